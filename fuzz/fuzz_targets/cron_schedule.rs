#![no_main]

// The operator's own schedule file, compiled here without the rest of the
// operator (kube would dominate every fuzz build).
#[path = "../../crates/fnf-operator/src/cron/schedule.rs"]
#[allow(dead_code)]
mod schedule;

use schedule::Schedule;

#[path = "../checks/cron_schedule.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::check(data));
