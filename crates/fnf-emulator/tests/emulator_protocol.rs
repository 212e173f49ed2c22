//! The emulator on the wire: every documented error code reached by a real
//! request, flows that run on real time, the long-poll, idempotent starts,
//! paging, filters, quotas, faults and the STS stand-in. Raw signed requests,
//! in-process emulator.
// Test code: a failed unwrap is a failed test. (clippy.toml allows it in #[test]
// functions only, not in the helpers beside them.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "emulator_protocol/errors.rs"]
mod errors;
#[path = "emulator_protocol/executions.rs"]
mod executions;
#[path = "emulator_protocol/faults.rs"]
mod faults;
#[path = "emulator_protocol/listing.rs"]
mod listing;
