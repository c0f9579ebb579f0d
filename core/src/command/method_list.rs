//! The command method list as data: [`COMMAND_METHODS`], one [`CommandMethod`] per entry of
//! [`for_each_command_method!`](crate::for_each_command_method), and the checks that hold the
//! list to the command table.

use super::table::CommandKind;

/// Which storage capability a command method belongs to (which of `hedgestore-native`'s
/// traits has it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MethodGroup {
    /// Strings, keys and the server (`BaseStorage`).
    Base,
    /// Hashes (`HashStorage`).
    Hash,
    /// Lists (`ListStorage`).
    List,
    /// Sets (`SetStorage`).
    Set,
    /// Sorted sets (`SortedSetStorage`).
    ZSet,
    /// Publish/subscribe (`PubSubStorage`).
    PubSub,
    /// HyperLogLog (`HyperLogLogStorage`).
    HyperLogLog,
}

/// One entry of the command method list, as data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommandMethod {
    /// The command it runs.
    pub kind: CommandKind,
    /// The method's identifier as written in Rust (`"del"`, `"r#type"`).
    pub ident: &'static str,
    /// Its capability.
    pub group: MethodGroup,
    /// Its parameters: name and parameter kind (see
    /// [`for_each_command_method!`](crate::for_each_command_method)).
    pub params: &'static [(&'static str, &'static str)],
    /// Its reply kind.
    pub reply: &'static str,
    /// Whether the method is written by hand rather than generated from the entry.
    pub hand_written: bool,
}

impl CommandMethod {
    /// The method's name (`"type"` for `r#type`): the command's id, with `_` for `|`.
    pub fn name(&self) -> &'static str {
        self.ident.strip_prefix("r#").unwrap_or(self.ident)
    }
}

macro_rules! group_of {
    (base) => {
        MethodGroup::Base
    };
    (hash) => {
        MethodGroup::Hash
    };
    (list) => {
        MethodGroup::List
    };
    (set) => {
        MethodGroup::Set
    };
    (zset) => {
        MethodGroup::ZSet
    };
    (pubsub) => {
        MethodGroup::PubSub
    };
    (hll) => {
        MethodGroup::HyperLogLog
    };
}

macro_rules! method_metadata {
    (
        generated: [$($group:ident: [$(
            $(#[$doc:meta])*
            $kind:ident => $name:ident($($param:ident: $pkind:ident),* $(,)?)
                -> $reply:ident = $variant:ident $fields:tt;
        )*],)*],
        hand_written: [$($hgroup:ident: [$(
            $(#[$hdoc:meta])*
            $hkind:ident => $hname:ident($($hparam:ident: $hpkind:ident),* $(,)?)
                -> $hreply:ident;
        )*],)*],
    ) => {
        /// Every typed command method, in list order: the list of
        /// [`for_each_command_method!`](crate::for_each_command_method) as data.
        pub const COMMAND_METHODS: &[CommandMethod] = &[
            $($(CommandMethod {
                kind: CommandKind::$kind,
                ident: stringify!($name),
                group: group_of!($group),
                params: &[$((stringify!($param), stringify!($pkind))),*],
                reply: stringify!($reply),
                hand_written: false,
            },)*)*
            $($(CommandMethod {
                kind: CommandKind::$hkind,
                ident: stringify!($hname),
                group: group_of!($hgroup),
                params: &[$((stringify!($hparam), stringify!($hpkind))),*],
                reply: stringify!($hreply),
                hand_written: true,
            },)*)*
        ];
    };
}

crate::for_each_command_method!(method_metadata);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::COMMAND_TABLE;
    use alloc::string::String;

    #[test]
    fn every_command_of_the_table_has_exactly_one_method() {
        for spec in COMMAND_TABLE {
            let methods = COMMAND_METHODS
                .iter()
                .filter(|m| m.kind == spec.kind)
                .count();
            assert_eq!(methods, 1, "{} has {methods} methods", spec.id);
        }
        assert_eq!(COMMAND_METHODS.len(), COMMAND_TABLE.len());
    }

    #[test]
    fn every_method_is_named_as_redis_names_its_command() {
        for method in COMMAND_METHODS {
            let id: String = method.kind.spec().id.replace('|', "_");
            assert_eq!(method.name(), id, "{:?}", method.kind);
        }
    }

    #[test]
    fn parameter_and_reply_kinds_are_known() {
        const PARAMS: &[&str] = &[
            "bytes",
            "bytes_list",
            "pairs",
            "opt_text",
            "int",
            "float",
            "count",
            "opt_count",
            "cursor",
            "position",
            "getex_option",
            "type_filter",
            "opt_duration",
            "scored_members",
            "score_bound",
            "lex_bound",
            "limit",
            "opt_floats",
            "aggregate",
            "bit",
            "bit_range",
            "bit_op",
            "switch",
            "list_end",
            "geo_points",
            "geo_unit",
        ];
        const REPLIES: &[&str] = &[
            "value",
            "values",
            "list",
            "map",
            "int",
            "count",
            "flag",
            "float",
            "done",
            "ttl_secs",
            "ttl_millis",
            "key_type",
            "scan_page",
            "text",
            "counts",
            "flags",
            "opt_float",
            "opt_floats",
            "rank",
            "scored",
            "scored_page",
            "popped",
            "time",
            "reply",
            "map_page",
            "positions",
            "ints",
        ];
        for method in COMMAND_METHODS {
            assert!(REPLIES.contains(&method.reply), "{}", method.ident);
            for (name, kind) in method.params {
                assert!(PARAMS.contains(kind), "{}({name}: {kind})", method.ident);
            }
        }
    }

    #[test]
    fn the_group_follows_the_commands_flags_and_family() {
        use crate::CommandFlags;
        for method in COMMAND_METHODS {
            let spec = method.kind.spec();
            let pubsub = spec.flags.contains(CommandFlags::PUBSUB);
            assert_eq!(method.group == MethodGroup::PubSub, pubsub, "{}", spec.id);
        }
    }
}
