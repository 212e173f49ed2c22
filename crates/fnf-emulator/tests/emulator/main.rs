//! The emulator on the wire: raw signed requests, the official SDKs' captured
//! signatures and the official Python SDKs themselves. The long-poll
//! measurement has its own binary (`emulator_long_polls`): it measures its own
//! process's memory, which other tests running beside it would distort.
// Test code: a failed unwrap is a failed test. (clippy.toml allows it in #[test]
// functions only, not in the helpers beside them.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod fuzz_auth;
mod fuzz_corpus;
mod fuzz_requests;
mod official_sdks;
mod protocol;
mod signatures;
