//! What a scenario waits for: the operator to start its live count, and the
//! watch to see its measured executions end. Each logs its progress.

use std::time::{Duration, Instant};

use super::args::ScenarioSpec;
use super::observe::{SeenMap, ended_count};
use fnf_emulator::{CODE_OK, RunningEmulator};

const CHECK_PERIOD: Duration = Duration::from_secs(1);
const PROGRESS_LOG_PERIOD: Duration = Duration::from_secs(20);
/// The longest wait for the operator to start a steady scenario's live count.
const LIVE_DEADLINE: Duration = Duration::from_secs(900);

/// Waits until the emulator has accepted `count` StartExecution calls since
/// `before` (a refused one started nothing), or `LIVE_DEADLINE`.
pub async fn wait_for_starts(
    spec: &ScenarioSpec,
    emulator: &RunningEmulator,
    before: &fnf_emulator::Counters,
    count: usize,
) {
    let deadline = Instant::now() + LIVE_DEADLINE;
    let mut last_log = Instant::now();
    loop {
        let started = emulator
            .counters()
            .calls_with_code("StartExecution", CODE_OK)
            - before.calls_with_code("StartExecution", CODE_OK);
        if started >= count as u64 {
            return;
        }
        if Instant::now() >= deadline {
            tracing::warn!(scenario = %spec.label(), started, of = count, "the live count was not started in time; measuring anyway");
            return;
        }
        if last_log.elapsed() >= PROGRESS_LOG_PERIOD {
            tracing::info!(scenario = %spec.label(), started, of = count, "starting the live count");
            last_log = Instant::now();
        }
        tokio::time::sleep(CHECK_PERIOD).await;
    }
}

/// Waits until the watch has seen every one of `names` end, or `deadline`.
pub async fn wait_for_ends(
    spec: &ScenarioSpec,
    seen: &SeenMap,
    names: &[String],
    deadline: Instant,
    emulator: &RunningEmulator,
) {
    let mut last_log = Instant::now();
    loop {
        let seen_now = ended_count(seen, names);
        if seen_now >= names.len() || Instant::now() >= deadline {
            return;
        }
        if last_log.elapsed() >= PROGRESS_LOG_PERIOD {
            let counters = emulator.counters();
            tracing::info!(
                scenario = %spec.label(), seen = seen_now, of = names.len(),
                describe_calls = counters.calls("DescribeExecution"),
                list_calls = counters.calls("ListExecutions"),
                held_long_polls = counters.held_long_polls,
                "waiting for ends"
            );
            last_log = Instant::now();
        }
        tokio::time::sleep(CHECK_PERIOD).await;
    }
}
