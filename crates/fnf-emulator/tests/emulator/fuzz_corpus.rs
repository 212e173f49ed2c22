//! Replays the committed fuzz corpora of the verifier and request parser
//! (fuzz/corpus/emulator_request) and of the definition parser
//! (fuzz/corpus/emulator_definition) through the fuzz targets' own checks,
//! so every input found once stays a test.

use fnf_emulator::auth::{FreshnessPolicy, KnownKey, ReceivedRequest, verify_request};

#[path = "../../../../fuzz/checks/corpus.rs"]
mod corpus;
#[path = "../../../../fuzz/checks/emulator_definition.rs"]
mod emulator_definition;
#[path = "../../../../fuzz/checks/emulator_request.rs"]
mod emulator_request;

#[test]
fn the_request_corpus_replays_cleanly() {
    corpus::replay("emulator_request", 10, emulator_request::check);
}

#[test]
fn the_request_corpus_s_signed_requests_are_accepted() {
    // They lead the fuzzer past the signature check: they must stay valid.
    let signed: Vec<_> = corpus::inputs("emulator_request", 10)
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
    corpus::replay("emulator_definition", 10, emulator_definition::check);
}
