//! Every setting the proxy reads is documented where operators look: `--help`, the crate's
//! documentation (the configuration table) and the README.

use std::collections::BTreeSet;
use std::process::Command;

/// The `HEDGESTORE_PROXY_*` names in `text`.
fn variables(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("HEDGESTORE_PROXY_") {
        let name: String = rest[at..]
            .chars()
            .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
            .collect();
        rest = &rest[at + name.len()..];
        found.insert(name.trim_end_matches('_').to_string());
    }
    found
}

#[test]
fn every_setting_is_in_help_docs_and_readme() {
    let code = include_str!("../src/config.rs");
    // The variables the code looks up: `get("HEDGESTORE_PROXY_…")`.
    let read: BTreeSet<String> = code
        .split("get(\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .filter(|s| s.starts_with("HEDGESTORE_PROXY_"))
        .map(str::to_string)
        .collect();
    assert!(read.len() >= 15, "{read:?}");
    let help = Command::new(env!("CARGO_BIN_EXE_hedgestore-proxy"))
        .arg("--help")
        .output()
        .expect("--help runs");
    let help = variables(&String::from_utf8_lossy(&help.stdout));
    let table = variables(code.split("\nuse ").next().unwrap_or(""));
    let lib = variables(include_str!("../src/lib.rs"));
    let readme = include_str!("../../README.md");
    for name in &read {
        assert!(help.contains(name), "{name} is not in --help");
        assert!(
            table.contains(name),
            "{name} is not in the configuration table"
        );
        let in_readme = readme.contains(name.as_str())
            || (name.ends_with("_MS") && readme.contains(name.trim_end_matches("_MS")));
        assert!(in_readme, "{name} is not in the README");
    }
    let limits = [
        "HEDGESTORE_PROXY_MAX_BODY",
        "HEDGESTORE_PROXY_MAX_REPLY",
        "HEDGESTORE_PROXY_MAX_SCAN_COUNT",
        "HEDGESTORE_PROXY_MAX_HEADER",
        "HEDGESTORE_PROXY_HEADER_TIMEOUT_MS",
        "HEDGESTORE_PROXY_MAX_CONNECTIONS",
        "HEDGESTORE_PROXY_MAX_CONNECTIONS_PER_PEER",
        "HEDGESTORE_PROXY_SSE_HARD_LIMIT",
        "HEDGESTORE_PROXY_SSE_SOFT_LIMIT",
        "HEDGESTORE_PROXY_SSE_SOFT_LIMIT_MS",
    ];
    for name in limits {
        assert!(read.contains(name), "{name} is not read");
        assert!(
            lib.contains(name),
            "{name} is not in the crate's Limits section"
        );
    }
}
