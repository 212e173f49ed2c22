//! The emulator on the wire: every documented error code reached by a real
//! request, flows that run on real time, the long-poll, idempotent starts,
//! paging, filters, quotas, faults and the STS stand-in. Raw signed requests,
//! in-process emulator.

#[path = "emulator_support/mod.rs"]
mod emulator_support;

#[path = "emulator_protocol/errors.rs"]
mod errors;
#[path = "emulator_protocol/executions.rs"]
mod executions;
#[path = "emulator_protocol/faults.rs"]
mod faults;
#[path = "emulator_protocol/listing.rs"]
mod listing;
