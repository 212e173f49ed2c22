//! The committed corpus of a fuzz target (`fuzz/corpus/<target>`), read and
//! replayed through the target's check. Included by `#[path]` in each crate's
//! tests, so every input found once stays a test of `cargo test`.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

/// The inputs of `target`, sorted by file name; at least `min` of them.
pub fn inputs(target: &str, min: usize) -> Vec<(PathBuf, Vec<u8>)> {
    // Every including crate sits at crates/<name>.
    let dir = format!("{}/../../fuzz/corpus/{target}", env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            (path, data)
        })
        .collect();
    inputs.sort();
    assert!(inputs.len() >= min, "only {} inputs in {dir}", inputs.len());
    inputs
}

/// Runs `check` on every input of `target`; a panic names the input.
pub fn replay(target: &str, min: usize, check: fn(&[u8])) {
    for (path, data) in inputs(target, min) {
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails its check", path.display());
    }
}
