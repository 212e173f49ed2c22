//! The fnf client against local servers (a recording fnf server, an STS
//! stand-in) and against requests captured from Alibaba Cloud's official SDKs.
//! No control plane.
// Test code: a failed unwrap is a failed test. (clippy.toml allows it in #[test]
// functions only, not in the helpers beside them.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod errors;
mod fuzz_corpus;
mod fuzz_decode;
mod requests;
mod rrsa;
mod signing_vectors;
mod timing;
