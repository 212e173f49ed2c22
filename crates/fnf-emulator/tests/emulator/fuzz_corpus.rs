//! Replays the committed fuzz corpora of the verifier and request parser
//! (fuzz/corpus/emulator_request) and of the definition parser
//! (fuzz/corpus/emulator_definition) through the fuzz targets' own checks,
//! so every input found once stays a test.

use std::path::PathBuf;

use fnf_emulator::auth::{FreshnessPolicy, KnownKey, ReceivedRequest, verify_request};

#[path = "../../../../fuzz/checks/emulator_definition.rs"]
mod emulator_definition;
#[path = "../../../../fuzz/checks/emulator_request.rs"]
mod emulator_request;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = format!("{}/../../fuzz/corpus/{target}", env!("CARGO_MANIFEST_DIR"));
    let mut inputs: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            (path, data)
        })
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 10, "only {} inputs in {dir}", inputs.len());
    inputs
}

fn replay(target: &str, check: fn(&[u8])) {
    for (path, data) in corpus(target) {
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails its check", path.display());
    }
}

#[test]
fn the_request_corpus_replays_cleanly() {
    replay("emulator_request", emulator_request::check);
}

#[test]
fn the_request_corpus_s_signed_requests_are_accepted() {
    // They lead the fuzzer past the signature check: they must stay valid.
    let signed: Vec<_> = corpus("emulator_request")
        .into_iter()
        .filter(|(path, _)| path.to_string_lossy().ends_with("-signed"))
        .collect();
    assert!(signed.len() >= 4);
    for (path, data) in signed {
        let raw = emulator_request::read_raw(&data);
        let request = ReceivedRequest {
            method: &raw.method,
            path_and_query: &raw.path_and_query,
            headers: &raw.headers,
            body: &raw.body,
        };
        let key = KnownKey {
            secret: emulator_request::KEY_SECRET.to_string(),
            security_token: None,
            expiration: None,
        };
        let policy = FreshnessPolicy {
            now: "2026-05-01T10:00:00Z".parse().unwrap(),
            max_skew_secs: Some(900),
        };
        let outcome = verify_request(
            &request,
            |id| (id == emulator_request::KEY_ID).then(|| key.clone()),
            &policy,
        );
        assert!(outcome.is_ok(), "{}: {outcome:?}", path.display());
    }
}

#[test]
fn the_definition_corpus_replays_cleanly() {
    replay("emulator_definition", emulator_definition::check);
}
