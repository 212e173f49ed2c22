//! Replays the committed fuzz corpus of the client's response and error
//! parsers (fuzz/corpus/client_response) through the fuzz target's own check,
//! so every input found once stays a test.

#[path = "../../../../fuzz/checks/client_response.rs"]
mod client_response;

const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fuzz/corpus/client_response"
);

#[test]
fn the_client_response_corpus_replays_cleanly() {
    let mut replayed = 0;
    for entry in std::fs::read_dir(CORPUS).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| client_response::check(&data));
        assert!(outcome.is_ok(), "{} fails its check", path.display());
        replayed += 1;
    }
    assert!(replayed >= 10, "only {replayed} corpus inputs in {CORPUS}");
}
