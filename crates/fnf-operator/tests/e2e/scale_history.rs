//! 1,000 running FlowExecutions: following their histories for the current
//! step stays inside GetExecutionHistory's own quota (5/s, burst 50) and never
//! draws a ResourceThrottled, nor does status polling; a restarted operator
//! takes all 1,000 back within every quota. Figures are printed.

use std::time::{Duration, Instant};

use fnf_emulator::ExecutionMode;
use fnf_operator::crd::FlowExecution;
use fnf_testkit::e2e::*;

const RUNNING: usize = 1000;
const WINDOW: Duration = Duration::from_secs(20);
const FLOW_WAIT: &str = "Type: StateMachine\nSpecVersion: v1\nName: idle\nStartAt: Idle\nStates:\n  - Type: Wait\n    Name: Idle\n    Seconds: 600\n    Next: Done\n  - Type: Succeed\n    Name: Done\n";

async fn count(env: &Env, matching: impl Fn(&FlowExecution) -> bool) -> usize {
    let items = env.api.list(&Default::default()).await.unwrap().items;
    items.iter().filter(|fe| matching(fe)).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn following_a_thousand_histories_stays_within_the_history_quota() {
    let env = Env::new("e2e-scale").await;
    env.emulator
        .create_flow("idle", FLOW_WAIT, ExecutionMode::Standard)
        .unwrap();
    let operator = env.start_operator();
    let created = Instant::now();
    env.create_many(RUNNING, |_| serde_json::json!({"flowName": "idle"}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(120);
    while env.emulator.counters().total_created() < RUNNING as u64 {
        assert!(
            Instant::now() < deadline,
            "only {} started",
            env.emulator.counters().total_created()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    eprintln!(
        "all {RUNNING} executions started after {:.1}s",
        created.elapsed().as_secs_f64()
    );

    assert_eq!(
        env.emulator.counters().total_created(),
        RUNNING as u64,
        "no execution started twice"
    );
    let before = env.emulator.counters();
    tokio::time::sleep(WINDOW).await;
    let after = env.emulator.counters();
    let secs = WINDOW.as_secs_f64();
    let history = (after.calls("GetExecutionHistory") - before.calls("GetExecutionHistory")) as f64;
    let describe = (after.calls("DescribeExecution") - before.calls("DescribeExecution")) as f64;
    eprintln!(
        "over {secs:.0}s: GetExecutionHistory {:.2}/s, DescribeExecution {:.2}/s, 429s history {} describe {}",
        history / secs,
        describe / secs,
        after.calls_with_code("GetExecutionHistory", "ResourceThrottled"),
        after.calls_with_code("DescribeExecution", "ResourceThrottled"),
    );
    // The bucket allows its burst on top of the rate within any window.
    assert!(
        history <= 5.0 * secs + 50.0,
        "history calls {history} in {secs}s"
    );
    assert!(history > 0.0, "histories are followed");
    assert_eq!(
        after.calls_with_code("GetExecutionHistory", "ResourceThrottled"),
        0
    );
    assert_eq!(
        after.calls_with_code("DescribeExecution", "ResourceThrottled"),
        0
    );
    let with_step = count(&env, |fe| {
        fe.status.as_ref().is_some_and(|s| s.current_step.is_some())
    })
    .await;
    eprintln!("{with_step} of {RUNNING} show a current step");
    assert!(with_step > 0);
    let metrics = operator.metrics.render();
    let line = |name: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    eprintln!(
        "{}\n{}",
        line("fnf_operator_executions{phase=\"Running\"}"),
        line("fnf_operator_step_data_age_seconds")
    );
    assert!(
        metrics.contains("fnf_operator_executions{phase=\"Running\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("fnf_operator_step_data_age_seconds"));
    // Stopped, not killed: an in-process kill would leave its polls running
    // beside the new operator's, a second client of the same account.
    operator.stop().await.unwrap();

    // A new operator meets 1,000 running FlowExecutions at once: it starts
    // nothing, stays inside every bucket, and every one still reads Running.
    let before = env.emulator.counters();
    let restarted = env.start_operator();
    tokio::time::sleep(WINDOW).await;
    let after = env.emulator.counters();
    let delta = |action: &str| after.calls(action) - before.calls(action);
    eprintln!(
        "after a restart, over {secs:.0}s: DescribeExecution {}, ListExecutions {}, GetExecutionHistory {}",
        delta("DescribeExecution"),
        delta("ListExecutions"),
        delta("GetExecutionHistory"),
    );
    assert_eq!(
        after.total_created(),
        RUNNING as u64,
        "nothing started again"
    );
    assert_eq!(delta("StartExecution"), 0);
    for (action, per_sec, burst) in [
        ("DescribeExecution", 5.0, 50.0),
        ("GetExecutionHistory", 5.0, 50.0),
        ("ListExecutions", 2.0, 10.0),
    ] {
        assert!(
            delta(action) as f64 <= per_sec * secs + burst,
            "{action}: {} calls in {secs}s",
            delta(action)
        );
        assert_eq!(
            after.calls_with_code(action, "ResourceThrottled"),
            before.calls_with_code(action, "ResourceThrottled"),
            "{action} throttled after the restart"
        );
    }
    let running = count(&env, |fe| phase(fe) == Some("Running")).await;
    assert_eq!(running, RUNNING);
    restarted.kill();
}
