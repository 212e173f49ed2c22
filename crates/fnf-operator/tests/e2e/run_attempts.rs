//! Retries and suspend end to end: `retry.limit: 2` on a failing flow makes
//! exactly three executions, also when the operator dies between attempts;
//! `suspend` holds the start until released.

use std::time::Duration;

use fnf_testkit::e2e::*;
use fnf_testkit::fault::condition_of;
use fnf_testkit::gitops::{argo_health, kstatus};

use super::runs::{TIMEOUT, created, done_at_generation, execution_name, status_of};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_limit_two_makes_exactly_three_executions_even_across_a_crash() {
    let env = Env::new("e2e-runs-retry").await;
    let operator = env.start_operator();
    env.create(
        "flaky",
        serde_json::json!({"flowName": "failing", "retry": {"limit": 2, "backoffSeconds": 3}}),
    )
    .await;
    // Between attempts (the first ended, the retry waits): the operator dies.
    let between = env
        .wait_for("flaky", TIMEOUT, |fe| {
            condition_of(fe, "Reconciling").is_some_and(|c| c.reason == "RetryScheduled")
        })
        .await;
    let message = &condition_of(&between, "Reconciling").unwrap().message;
    assert!(
        message.contains("attempt 1") && message.contains("attempt 2"),
        "{message}"
    );
    assert_eq!(condition(&between, "Completed"), Some("False"));
    operator.kill();
    let operator = env.start_operator();
    let fe = env
        .wait_for("flaky", TIMEOUT, |fe| {
            completed(fe) && status_of(fe).attempt == Some(3)
        })
        .await;
    // A second crash once the last attempt was recorded changes nothing.
    operator.kill();
    let operator = env.start_operator();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let status = status_of(&fe);
    assert_eq!(created(&env), 3, "exactly three executions");
    assert_eq!(status.phase.as_deref(), Some("Failed"));
    assert!(
        execution_name(&fe).ends_with("_A3"),
        "{}",
        execution_name(&fe)
    );
    let attempts: Vec<Option<i32>> = status.runs.iter().map(|r| r.attempt).collect();
    assert_eq!(attempts, [Some(2), Some(1)]);
    let completed_reason = &condition_of(&fe, "Completed").unwrap().message;
    assert!(completed_reason.contains("attempt 3"), "{completed_reason}");
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspend_holds_the_start_until_released() {
    let env = Env::new("e2e-runs-suspend").await;
    let operator = env.start_operator();
    env.create(
        "held",
        serde_json::json!({"flowName": "quick", "suspend": true}),
    )
    .await;
    let held = env
        .wait_for("held", TIMEOUT, |fe| {
            condition_of(fe, "Reconciling")
                .is_some_and(|c| c.status == "False" && c.reason == "Suspended")
        })
        .await;
    assert_eq!(status_of(&held).execution_name, None);
    // What docs/gitops.md says a suspended object shows.
    let obj = serde_json::to_value(&held).unwrap();
    assert_eq!(
        (argo_health(&obj).0, kstatus(&obj).0),
        ("Progressing".to_string(), "InProgress".to_string())
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(created(&env), 0, "nothing starts while suspended");
    env.patch_spec("held", serde_json::json!({"suspend": false}))
        .await
        .unwrap();
    env.wait_for("held", TIMEOUT, done_at_generation).await;
    assert_eq!(created(&env), 1);
    operator.stop().await.unwrap();
}
