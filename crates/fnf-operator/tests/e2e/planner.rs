//! More live executions than the DescribeExecution quota can long-poll: the
//! planner long-polls as many as it sustains and sweeps the rest with
//! ListExecutions pages. Every ending reaches its FlowExecution with the
//! cloud's own Output and StoppedTime, each execution is started once, and no
//! call is throttled. Figures are printed, not asserted.

use std::time::{Duration, Instant};

use fnf_emulator::ExecutionMode;
use fnf_operator::crd::FlowExecution;
use fnf_testkit::e2e::*;

/// Twice what the default quota can long-poll (256 slots).
const LIVE: usize = 600;
/// Waits `$.wait` seconds, then fails when `$.fail` is 1 and succeeds otherwise.
const FLOW_HOLD: &str = "Type: StateMachine\nSpecVersion: v1\nName: hold\nStartAt: Hold\nStates:\n  - Type: Wait\n    Name: Hold\n    SecondsPath: $.wait\n    Next: Judge\n  - Type: Choice\n    Name: Judge\n    Branches:\n      - Condition: $.fail == 1\n        Next: Boom\n    Default: Done\n  - Type: Fail\n    Name: Boom\n    Error: Declined\n    Cause: asked to fail\n  - Type: Succeed\n    Name: Done\n";
/// One run in this many fails: a status the flow rarely ends in, which the
/// sweep lists less often than Succeeded, still arrives.
const FAIL_EVERY: usize = 100;
/// Gauges are refreshed by the operator's housekeeping every 5 s.
const SAMPLE_PERIOD: Duration = Duration::from_secs(1);

fn gauge(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0)
}

/// The sum of a counter's series over all its labels.
fn counter_sum(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn executions_beyond_the_long_poll_quota_are_swept_and_every_end_arrives() {
    let env = Env::new("e2e-planner").await;
    env.emulator
        .create_flow("hold", FLOW_HOLD, ExecutionMode::Standard)
        .unwrap();
    let operator = env.start_operator();
    // Runs of 15 to 44 s: all are live together for a while.
    env.create_many(LIVE, |i| {
        let fail = u8::from(i % FAIL_EVERY == FAIL_EVERY - 1);
        serde_json::json!({"flowName": "hold", "input": {"wait": 15 + i % 30, "fail": fail}})
    })
    .await;

    let (mut most_held, mut most_swept) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(300);
    let seen_done_at = loop {
        let metrics = operator.metrics.render();
        most_held = most_held.max(gauge(&metrics, "fnf_operator_long_polls_in_flight"));
        most_swept = most_swept.max(gauge(&metrics, "fnf_operator_swept_executions"));
        let items = env.api.list(&Default::default()).await.unwrap().items;
        let done = items.iter().filter(|fe| completed(fe)).count();
        if done == LIVE {
            break Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "only {done} of {LIVE} completed; most swept {most_swept}"
        );
        tokio::time::sleep(SAMPLE_PERIOD).await;
    };
    let counters = env.emulator.counters();
    assert_eq!(counters.total_created(), LIVE as u64, "each started once");

    // Every status is the cloud's, field for field.
    let items: Vec<FlowExecution> = env.api.list(&Default::default()).await.unwrap().items;
    let mut last_end = None;
    let mut failed = 0;
    for fe in &items {
        let status = fe.status.as_ref().unwrap();
        let name = status.execution_name.as_deref().unwrap();
        let cloud = env.emulator.execution("hold", name).unwrap();
        assert_eq!(phase(fe), Some(cloud.status.as_str()), "{name}");
        failed += usize::from(cloud.status == "Failed");
        if cloud.status == "Succeeded" {
            assert_eq!(status.output.as_deref(), Some(cloud.output.as_str()));
        }
        assert_eq!(
            status.stopped_time.as_deref(),
            Some(cloud.stopped_time.as_str())
        );
        let end: jiff::Timestamp = cloud.stopped_time.parse().unwrap();
        last_end = last_end.max(Some(end));
    }
    assert_eq!(failed, LIVE / FAIL_EVERY, "the failing runs failed");
    for action in ["DescribeExecution", "ListExecutions", "StartExecution"] {
        assert_eq!(
            counters.calls_with_code(action, "ResourceThrottled"),
            0,
            "{action} throttled"
        );
    }
    assert!(
        most_held <= 256,
        "long-polls {most_held} beyond the quota's"
    );
    assert!(most_swept > 0, "nothing was swept");
    // Without sweeps every end would cost its own DescribeExecution.
    assert!(
        counters.calls("DescribeExecution") < LIVE as u64,
        "ends were found one DescribeExecution at a time: {}",
        counters.calls("DescribeExecution")
    );
    // The sweeps' own tally of pages is every ListExecutions the cloud answered.
    let metrics = operator.metrics.render();
    let swept_pages = counter_sum(&metrics, "fnf_operator_sweep_pages_total");
    assert_eq!(swept_pages, counters.calls("ListExecutions"), "{metrics}");
    assert!(counter_sum(&metrics, "fnf_operator_sweep_endings_total") > 0);
    let behind = jiff::Timestamp::now().duration_since(last_end.unwrap());
    eprintln!(
        "most long-polls {most_held}, most swept {most_swept}; DescribeExecution {} ListExecutions {} calls; last end seen within {:.1}s (sampled every {}s)",
        counters.calls("DescribeExecution"),
        counters.calls("ListExecutions"),
        behind.as_secs_f64() - seen_done_at.elapsed().as_secs_f64(),
        SAMPLE_PERIOD.as_secs()
    );
    operator.kill();
}
