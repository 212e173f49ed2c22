//! The emulator on the wire: every documented error code reached by a real
//! request, flows that run on real time, the long-poll, idempotent starts,
//! paging, filters, quotas, faults and the STS stand-in. Raw signed requests,
//! in-process emulator.

mod call_log;
mod errors;
mod executions;
mod faults;
mod flows;
mod listing;
