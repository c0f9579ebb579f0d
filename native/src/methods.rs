//! The typed command methods, generated from core's method list
//! ([`for_each_command_method!`](hedgestore_core::for_each_command_method)): one method per
//! command on the storage traits, on [`Storage`](crate::Storage) and on
//! [`Transaction`](crate::Transaction).
//!
//! Each parameter kind of the list becomes a Rust type here, in two flavours: the traits take
//! plain borrowed slices (`&[u8]`, `&[&[u8]]`) so they stay object-safe; the handle and the
//! transaction builder take anything byte-like (`impl AsRef<[u8]>`, `&[impl AsRef<[u8]>]`).
//! Both turn their arguments into the owned values the [`Command`](hedgestore_core::Command)
//! holds the same way ([`owned!`]), and each reply kind has one converter in
//! [`crate::reply`]. The hand-written entries (`SET`) are checked here: a function that is
//! never called but must compile calls them with the list's parameters and expects the list's
//! reply type, on every surface.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The future a generated storage trait method returns (what `async fn` in an object-safe
/// trait becomes): the backend's boxed future, an answer already known, or (the memory
/// storage's `GET` and `SET`) a call run when the future is first polled, on its borrowed
/// arguments, with no boxed future. Like any future it does nothing
/// until polled: a call whose future is dropped unpolled never runs.
#[must_use = "futures do nothing unless awaited"]
pub struct StorageFuture<'a, T>(Answer<'a, T>);

// `repr(u8)`: a plain tag byte rather than a niche in `T`, so that telling the variants
// apart (on every poll, and when the answered future is dropped) is one byte compared.
#[repr(u8)]
enum Answer<'a, T> {
    /// Known when the call was made; `None` once taken.
    Ready(Option<T>),
    /// Answered: nothing left to hand out or to drop.
    Done,
    Pending(Pin<Box<dyn Future<Output = T> + Send + 'a>>),
    Deferred(Deferred<'a, T>),
}

/// A memory storage call that needs no waiting, run on the first poll: `run(storage, key,
/// value, ttl)`. It borrows its arguments (the trait methods borrow them for the future's
/// lifetime): nothing is copied until the call runs.
pub(crate) struct Deferred<'a, T> {
    pub(crate) storage: &'a crate::memory::MemoryStorage,
    pub(crate) key: &'a [u8],
    pub(crate) value: &'a [u8],
    pub(crate) ttl: Option<std::time::Duration>,
    pub(crate) run:
        fn(&crate::memory::MemoryStorage, &[u8], &[u8], Option<std::time::Duration>) -> T,
}

impl<'a, T> StorageFuture<'a, T> {
    /// A future that answers `value` when first polled.
    pub fn ready(value: T) -> Self {
        Self(Answer::Ready(Some(value)))
    }

    /// `future`, boxed.
    pub fn boxed(future: impl Future<Output = T> + Send + 'a) -> Self {
        Self(Answer::Pending(Box::pin(future)))
    }

    /// A call run when the future is first polled (see [`Deferred`]).
    pub(crate) fn deferred(call: Deferred<'a, T>) -> Self {
        Self(Answer::Deferred(call))
    }
}

impl<'a, T> From<Pin<Box<dyn Future<Output = T> + Send + 'a>>> for StorageFuture<'a, T> {
    fn from(future: Pin<Box<dyn Future<Output = T> + Send + 'a>>) -> Self {
        Self(Answer::Pending(future))
    }
}

// The ready value and a deferred call's arguments are moved out, never pinned: like
// `std::future::Ready`, this future is `Unpin` whatever `T` is.
impl<T> Unpin for StorageFuture<'_, T> {}

impl<T> Future for StorageFuture<'_, T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let answer = &mut self.get_mut().0;
        match answer {
            Answer::Ready(value) => Poll::Ready(
                value
                    .take()
                    .expect("StorageFuture polled after it answered"),
            ),
            Answer::Done => panic!("StorageFuture polled after it answered"),
            Answer::Pending(future) => future.as_mut().poll(cx),
            Answer::Deferred(_) => {
                let Answer::Deferred(call) = std::mem::replace(answer, Answer::Done) else {
                    unreachable!("matched above")
                };
                Poll::Ready((call.run)(call.storage, call.key, call.value, call.ttl))
            }
        }
    }
}

impl<T> std::fmt::Debug for StorageFuture<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.0 {
            Answer::Ready(Some(_)) => "ready",
            Answer::Ready(None) | Answer::Done => "answered",
            Answer::Pending(_) => "pending",
            Answer::Deferred(_) => "not run yet",
        };
        f.debug_tuple("StorageFuture").field(&state).finish()
    }
}

/// The trait parameter type of a parameter kind.
macro_rules! trait_arg {
    (bytes) => { &'a [u8] };
    (bytes_list) => { &[&[u8]] };
    (pairs) => { &[(&[u8], &[u8])] };
    (opt_text) => { Option<&[u8]> };
    (opt_duration) => { Option<std::time::Duration> };
    (scored_members) => { &[(f64, &[u8])] };
    (geo_points) => { &[(f64, f64, &[u8])] };
    (opt_floats) => { Option<&[f64]> };
    ($kind:ident) => { $crate::methods::value_arg!($kind) };
}

/// The handle's and the transaction builder's parameter type of a parameter kind.
macro_rules! handle_arg {
    (bytes) => { impl AsRef<[u8]> };
    (bytes_list) => { &[impl AsRef<[u8]>] };
    (pairs) => { &[(impl AsRef<[u8]>, impl AsRef<[u8]>)] };
    (opt_text) => { Option<&str> };
    (opt_duration) => { Option<std::time::Duration> };
    (scored_members) => { &[(f64, impl AsRef<[u8]>)] };
    (geo_points) => { &[(f64, f64, impl AsRef<[u8]>)] };
    (opt_floats) => { Option<&[f64]> };
    ($kind:ident) => { $crate::methods::value_arg!($kind) };
}

/// Parameter kinds passed by value, the same on every surface.
macro_rules! value_arg {
    (int) => { i64 };
    (float) => { f64 };
    (count) => { usize };
    (opt_count) => { Option<usize> };
    (cursor) => { u64 };
    (position) => { hedgestore_core::InsertPosition };
    (getex_option) => { Option<hedgestore_core::GetExOption> };
    (type_filter) => { Option<hedgestore_core::KeyType> };
    (score_bound) => { hedgestore_core::ScoreBound };
    (lex_bound) => { hedgestore_core::LexBound };
    (limit) => { hedgestore_core::Limit };
    (aggregate) => { hedgestore_core::Aggregate };
    (bit) => { bool };
    (bit_range) => { Option<hedgestore_core::BitRange> };
    (bit_op) => { hedgestore_core::BitOp };
    (switch) => { bool };
    (list_end) => { hedgestore_core::ListEnd };
    (geo_unit) => { hedgestore_core::GeoUnit };
}

/// An argument of either flavour as the owned value the command holds.
macro_rules! owned {
    (bytes, $e:expr) => {
        AsRef::<[u8]>::as_ref(&$e).to_vec()
    };
    (bytes_list, $e:expr) => {
        $e.iter()
            .map(|b| AsRef::<[u8]>::as_ref(b).to_vec())
            .collect::<Vec<Vec<u8>>>()
    };
    (pairs, $e:expr) => {
        $e.iter()
            .map(|(name, value)| {
                (
                    AsRef::<[u8]>::as_ref(name).to_vec(),
                    AsRef::<[u8]>::as_ref(value).to_vec(),
                )
            })
            .collect::<Vec<(Vec<u8>, Vec<u8>)>>()
    };
    (opt_text, $e:expr) => {
        $e.map(|b| AsRef::<[u8]>::as_ref(b).to_vec())
    };
    (scored_members, $e:expr) => {
        $e.iter()
            .map(|(score, member)| (*score, AsRef::<[u8]>::as_ref(member).to_vec()))
            .collect::<Vec<(f64, Vec<u8>)>>()
    };
    (geo_points, $e:expr) => {
        $e.iter()
            .map(|(x, y, member)| (*x, *y, AsRef::<[u8]>::as_ref(member).to_vec()))
            .collect::<Vec<(f64, f64, Vec<u8>)>>()
    };
    (opt_floats, $e:expr) => {
        $e.map(<[f64]>::to_vec)
    };
    ($kind:ident, $e:expr) => {
        $e
    };
}

/// The Rust type of a reply kind.
macro_rules! reply_type {
    (value) => { Option<bytes::Bytes> };
    (values) => { Vec<Option<bytes::Bytes>> };
    (list) => { Vec<bytes::Bytes> };
    (map) => { std::collections::HashMap<bytes::Bytes, bytes::Bytes> };
    (int) => { i64 };
    (count) => { u64 };
    (flag) => { bool };
    (float) => { f64 };
    (done) => { () };
    (ttl_secs) => { $crate::Ttl };
    (ttl_millis) => { $crate::Ttl };
    (key_type) => { Option<hedgestore_core::KeyType> };
    (scan_page) => { (u64, Vec<bytes::Bytes>) };
    (text) => { bytes::Bytes };
    (counts) => { Vec<(bytes::Bytes, u64)> };
    (flags) => { Vec<bool> };
    (opt_float) => { Option<f64> };
    (opt_floats) => { Vec<Option<f64>> };
    (rank) => { Option<u64> };
    (scored) => { Vec<(bytes::Bytes, f64)> };
    (scored_page) => { (u64, Vec<(bytes::Bytes, f64)>) };
    (time) => { std::time::Duration };
    (reply) => { hedgestore_core::Reply };
    (map_page) => { (u64, Vec<(bytes::Bytes, bytes::Bytes)>) };
    (popped) => { Option<(bytes::Bytes, Vec<bytes::Bytes>)> };
    (positions) => { Vec<Option<(f64, f64)>> };
    (ints) => { Vec<i64> };
}

/// The converter of a reply kind, applied to a `Reply`.
macro_rules! convert_reply {
    ($kind:ident, $reply:expr) => {
        $crate::reply::$kind($reply)
    };
}

/// The methods of one group of the list inside a storage trait (`$want` is the group the
/// trait holds): each builds its command and runs it through `execute`.
macro_rules! trait_methods {
    (
        $want:ident
        generated: [$($group:ident: $entries:tt,)*],
        hand_written: $hand_written:tt,
    ) => {
        $($crate::methods::trait_methods!(@group $want $group $entries);)*
    };
    (@group base base $entries:tt) => { $crate::methods::trait_methods!(@emit $entries); };
    (@group hash hash $entries:tt) => { $crate::methods::trait_methods!(@emit $entries); };
    (@group list list $entries:tt) => { $crate::methods::trait_methods!(@emit $entries); };
    (@group set set $entries:tt) => { $crate::methods::trait_methods!(@emit $entries); };
    (@group zset zset $entries:tt) => { $crate::methods::trait_methods!(@emit $entries); };
    (@group pubsub pubsub $entries:tt) => { $crate::methods::trait_methods!(@emit $entries); };
    (@group hll hll $entries:tt) => { $crate::methods::trait_methods!(@emit $entries); };
    // A group no trait holds is a compile error (no arm matches it): a new section of the
    // list needs its trait.
    (@group $want:ident base $entries:tt) => {};
    (@group $want:ident hash $entries:tt) => {};
    (@group $want:ident list $entries:tt) => {};
    (@group $want:ident set $entries:tt) => {};
    (@group $want:ident zset $entries:tt) => {};
    (@group $want:ident pubsub $entries:tt) => {};
    (@group $want:ident hll $entries:tt) => {};
    (@emit [$(
        $(#[$doc:meta])*
        $kind:ident => $name:ident($($param:ident: $pkind:ident),* $(,)?)
            -> $reply:ident = $variant:ident $fields:tt;
    )*]) => {$(
        $(#[$doc])*
        fn $name<'a>(
            &'a self,
            $($param: $crate::methods::trait_arg!($pkind)),*
        ) -> $crate::methods::StorageFuture<'a, $crate::Result<$crate::methods::reply_type!($reply)>> {
            $(let $param = $crate::methods::owned!($pkind, $param);)*
            let reply = self.execute(hedgestore_core::Command::$variant $fields);
            $crate::methods::StorageFuture::boxed(async move {
                $crate::methods::convert_reply!($reply, reply.await?)
            })
        }
    )*};
}

/// What a method of [`Storage`](crate::Storage) does before building its command: `GET` on
/// a memory backend takes the storage's typed call instead (no `Command` built, no `Reply`
/// converted back: half the instructions per call), and on a Redis or fallback backend its
/// typed call (the `redis::Cmd` encoded from the key itself), as
/// [`Storage::set`](crate::Storage::set) does for `SET`. Every other method builds its
/// command.
macro_rules! handle_shortcut {
    (get, $self:ident, $key:ident) => {
        if let Some(memory) = $self.memory_backend() {
            return $crate::traits::BaseStorage::get(memory, AsRef::<[u8]>::as_ref(&$key)).await;
        }
        #[cfg(feature = "redis")]
        if let Some(backend) = $self.typed_backend() {
            return $crate::traits::BaseStorage::get(backend, AsRef::<[u8]>::as_ref(&$key)).await;
        }
    };
    ($name:ident, $self:ident $(, $param:ident)*) => {};
}

/// The command methods of [`Storage`](crate::Storage): each builds its command and runs it
/// (`get` on a memory backend first takes its shortcut, `handle_shortcut`).
macro_rules! storage_methods {
    (
        generated: [$($group:ident: [$(
            $(#[$doc:meta])*
            $kind:ident => $name:ident($($param:ident: $pkind:ident),* $(,)?)
                -> $reply:ident = $variant:ident $fields:tt;
        )*],)*],
        hand_written: $hand_written:tt,
    ) => {
        impl $crate::Storage {$($(
            $(#[$doc])*
            pub async fn $name(
                &self,
                $($param: $crate::methods::handle_arg!($pkind)),*
            ) -> $crate::Result<$crate::methods::reply_type!($reply)> {
                $crate::methods::handle_shortcut!($name, self $(, $param)*);
                $(let $param = $crate::methods::owned!($pkind, $param);)*
                let reply = self.execute(hedgestore_core::Command::$variant $fields).await?;
                $crate::methods::convert_reply!($reply, reply)
            }
        )*)*}
    };
}

/// The command methods of [`Transaction`](crate::Transaction) and
/// [`Pipeline`](crate::Pipeline): each queues its command.
macro_rules! transaction_methods {
    (
        $ty:ident
        generated: [$($group:ident: [$(
            $(#[$doc:meta])*
            $kind:ident => $name:ident($($param:ident: $pkind:ident),* $(,)?)
                -> $reply:ident = $variant:ident $fields:tt;
        )*],)*],
        hand_written: $hand_written:tt,
    ) => {
        impl $crate::$ty<'_> {$($(
            #[doc = "Queues the command; its reply comes back from [`execute`](Self::execute), in order."]
            #[doc = ""]
            $(#[$doc])*
            pub fn $name(&mut self, $($param: $crate::methods::handle_arg!($pkind)),*) -> &mut Self {
                $(let $param = $crate::methods::owned!($pkind, $param);)*
                self.command(hedgestore_core::Command::$variant $fields)
            }
        )*)*}
    };
}

/// A stand-in argument of a parameter kind, for the hand-written method checks.
macro_rules! sample_arg {
    (bytes) => {
        "k"
    };
    (bytes_list) => {
        &["k"]
    };
    (pairs) => {
        &[("f", "v")]
    };
    (opt_text) => {
        None
    };
    (opt_duration) => {
        None
    };
    (int) => {
        0
    };
    (float) => {
        0.0
    };
    (count) => {
        0
    };
    (opt_count) => {
        None
    };
    (cursor) => {
        0
    };
    (position) => {
        hedgestore_core::InsertPosition::Before
    };
    (getex_option) => {
        None
    };
    (type_filter) => {
        None
    };
    (scored_members) => {
        &[(1.0, "m")]
    };
    (score_bound) => {
        hedgestore_core::ScoreBound::inclusive(0.0)
    };
    (lex_bound) => {
        hedgestore_core::LexBound::Min
    };
    (limit) => {
        None
    };
    (opt_floats) => {
        None
    };
    (aggregate) => {
        hedgestore_core::Aggregate::Sum
    };
    (bit) => {
        false
    };
    (bit_range) => {
        None
    };
    (bit_op) => {
        hedgestore_core::BitOp::And
    };
    (switch) => {
        false
    };
    (list_end) => {
        hedgestore_core::ListEnd::Left
    };
    (geo_points) => {
        &[(13.361389, 38.115556, "m")]
    };
    (geo_unit) => {
        hedgestore_core::GeoUnit::M
    };
}

/// A stand-in argument of a parameter kind for a storage trait's method.
macro_rules! trait_sample_arg {
    (bytes) => {
        &b"k"[..]
    };
    (bytes_list) => {
        &[&b"k"[..]]
    };
    (pairs) => {
        &[(&b"f"[..], &b"v"[..])]
    };
    (scored_members) => {
        &[(1.0, &b"m"[..])]
    };
    (geo_points) => {
        &[(13.361389, 38.115556, &b"m"[..])]
    };
    ($kind:ident) => {
        $crate::methods::sample_arg!($kind)
    };
}

/// The checks of the hand-written entries: calls each method on the storage traits, the
/// handle and the transaction builder with the list's parameters, expecting the list's reply.
macro_rules! check_hand_written {
    (
        generated: $generated:tt,
        hand_written: [$($group:ident: [$(
            $(#[$doc:meta])*
            $kind:ident => $name:ident($($param:ident: $pkind:ident),* $(,)?) -> $reply:ident;
        )*],)*],
    ) => {
        /// Never called: compiles only while every hand-written method of the list exists
        /// with the list's name, parameters and reply type.
        #[allow(dead_code)]
        async fn hand_written_methods_match_the_list(
            storage: &$crate::Storage,
            backend: &dyn $crate::CompleteStorage,
        ) {
            $($(
                let _: $crate::Result<$crate::methods::reply_type!($reply)> =
                    storage.$name($($crate::methods::sample_arg!($pkind)),*).await;
                let _: $crate::Result<$crate::methods::reply_type!($reply)> =
                    backend.$name($($crate::methods::trait_sample_arg!($pkind)),*).await;
                let mut transaction = storage.transaction();
                let _: &mut $crate::Transaction<'_> =
                    transaction.$name($($crate::methods::sample_arg!($pkind)),*);
                let mut pipeline = storage.pipeline();
                let _: &mut $crate::Pipeline<'_> =
                    pipeline.$name($($crate::methods::sample_arg!($pkind)),*);
            )*)*
        }
    };
}

pub(crate) use {
    convert_reply, handle_arg, handle_shortcut, owned, reply_type, sample_arg, trait_arg,
    trait_methods, trait_sample_arg, value_arg,
};

hedgestore_core::for_each_command_method!(storage_methods);
hedgestore_core::for_each_command_method!(transaction_methods, Transaction);
hedgestore_core::for_each_command_method!(transaction_methods, Pipeline);
hedgestore_core::for_each_command_method!(check_hand_written);
