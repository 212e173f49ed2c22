//! A measurement more than a check: 10,000 DescribeExecution long-polls held at
//! once (over HTTP/2, so file descriptors are not the limit), the memory they
//! cost the process (client and emulator together), and that every one returns
//! when the execution ends. Prints the figures; asserts only generous bounds.
// Test code: a failed unwrap is a failed test. (clippy.toml allows it in #[test]
// functions only, not in the helpers beside them.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fnf_emulator::ExecutionMode;
use fnf_testkit::emulator_calls::*;

const HELD_LONG_POLLS: usize = 10_000;
const EXECUTION_WAIT_SECS: u64 = 8;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_held_long_polls_all_return_when_the_execution_ends() {
    let emulator = start(config()).await;
    emulator
        .create_flow("hold", WAIT_FROM_INPUT, ExecutionMode::Standard)
        .expect("flow");
    let caller = Caller {
        http: reqwest::Client::builder()
            .http2_prior_knowledge()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client"),
        ..Caller::new(&emulator)
    };
    let input = format!(r#"{{"wait":{EXECUTION_WAIT_SECS}}}"#);
    let (status, _) = caller
        .call(
            "StartExecution",
            &[
                ("FlowName", "hold"),
                ("ExecutionName", "slow"),
                ("Input", &input),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let started = Instant::now();
    let rss_before = rss_kib();

    let answered = Arc::new(AtomicUsize::new(0));
    let polls: Vec<_> = (0..HELD_LONG_POLLS)
        .map(|_| {
            let caller = caller.clone();
            let answered = answered.clone();
            tokio::spawn(async move {
                let answer = caller
                    .call(
                        "DescribeExecution",
                        &[
                            ("FlowName", "hold"),
                            ("ExecutionName", "slow"),
                            ("WaitTimeSeconds", "30"),
                        ],
                    )
                    .await;
                answered.fetch_add(1, Ordering::Relaxed);
                (answer, Instant::now())
            })
        })
        .collect();
    // Measure while they are held, well before the execution ends.
    tokio::time::sleep(Duration::from_secs(EXECUTION_WAIT_SECS / 2 + 1)).await;
    let rss_held = rss_kib();
    let held = emulator.counters().held_long_polls;
    let early = answered.load(Ordering::Relaxed);
    let sent_in = started.elapsed();

    let mut last_answer = started;
    for poll in polls {
        let ((status, body), at) = poll.await.expect("task");
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["Status"], "Succeeded", "{body}");
        last_answer = last_answer.max(at);
    }
    let total = started.elapsed();
    let delta_kib = rss_held.saturating_sub(rss_before);
    println!(
        "{HELD_LONG_POLLS} held long-polls: RSS {rss_before} KiB -> {rss_held} KiB (+{delta_kib} KiB, {:.1} KiB each, client and emulator); \
         {held} held by the emulator then, {early} answered before the end; all answered {:?} after start (execution ran {EXECUTION_WAIT_SECS} s), measured at {sent_in:?}",
        delta_kib as f64 / HELD_LONG_POLLS as f64,
        last_answer - started,
    );
    assert_eq!(early, 0, "long-polls answered before the execution ended");
    assert_eq!(
        held, HELD_LONG_POLLS as u64,
        "not every long-poll reached the emulator"
    );
    assert_eq!(emulator.counters().held_long_polls, 0);
    assert!(
        total < Duration::from_secs(EXECUTION_WAIT_SECS + 15),
        "took {total:?}"
    );
    assert_eq!(
        emulator
            .counters()
            .calls_with_code("DescribeExecution", "OK"),
        HELD_LONG_POLLS as u64
    );
    emulator.shutdown().await;
}
