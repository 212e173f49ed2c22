//! Replays the committed fuzz corpus of the client's response and error
//! parsers (fuzz/corpus/client_response) through the fuzz target's own check,
//! so every input found once stays a test.

#[path = "../../../../fuzz/checks/client_response.rs"]
mod client_response;
#[path = "../../../../fuzz/checks/corpus.rs"]
mod corpus;

#[test]
fn the_client_response_corpus_replays_cleanly() {
    corpus::replay("client_response", 10, client_response::check);
}
