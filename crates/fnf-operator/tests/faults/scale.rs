//! Many FlowExecutions applied at once (the field's 1,000, scaled down): each
//! is started once and completes, and the operator's calls stay inside the
//! account's documented quotas, so the cloud hardly ever has to throttle it.

use std::time::{Duration, Instant};

use fnf_testkit::e2e::*;
use fnf_testkit::fault::*;
use futures::StreamExt;
use kube::api::ListParams;

const OBJECTS: usize = 100;
/// Generous: at the documented 5 DescribeExecution/s, 100 objects need ~30 s.
const ALL_DONE_TIMEOUT: Duration = Duration::from_secs(150);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_applied_at_once_each_start_once_and_stay_inside_the_quota() {
    let env = Env::new("flt-scale").await;
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    let window = CallWindow::open(&env);
    let began = Instant::now();
    futures::stream::iter(0..OBJECTS)
        .for_each_concurrent(16, |i| {
            let env = &env;
            async move {
                env.create(
                    &format!("many-{i:04}"),
                    serde_json::json!({"flowName": "quick"}),
                )
                .await;
            }
        })
        .await;
    let applied = began.elapsed();
    let deadline = Instant::now() + ALL_DONE_TIMEOUT;
    loop {
        let list = env.api.list(&ListParams::default()).await.unwrap();
        let done = list.items.iter().filter(|fe| completed(fe)).count();
        if done == OBJECTS {
            assert!(
                list.items.iter().all(|fe| phase(fe) == Some("Succeeded")),
                "every run succeeded"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{done} of {OBJECTS} completed in time"
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let rates = window.close(&env);
    let counters = env.emulator.counters();
    eprintln!(
        "MEASURED flt-scale: {OBJECTS} applied in {:.1} s, all Succeeded {:.1} s after the first apply; throttled answers: {}",
        applied.as_secs_f64(),
        rates.secs,
        counters.calls_with_code("DescribeExecution", "ResourceThrottled")
            + counters.calls_with_code("StartExecution", "ResourceThrottled")
    );
    rates.report("flt-scale calls");
    rates.assert_within_documented_quota("flt-scale");
    assert_eq!(counters.total_created(), OBJECTS as u64, "one start each");
    assert!(
        counters
            .executions_created
            .values()
            .flat_map(|names| names.values())
            .all(|n| *n == 1)
    );
    operator.stop().await.unwrap();
}

/// With one start permit (concurrency 2), objects applied together wait their
/// turn at the start gate and are woken when it comes: had a wake-up been lost,
/// each would sit out the gate's 30 s re-check and the run would not finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_one_start_permit_every_object_gets_its_turn_and_starts_once() {
    const GATED: usize = 40;
    let env = Env::new("flt-gate").await;
    let mut config = operator_config(&env, SHORT_WAIT_SECS);
    config.concurrency = 2;
    let operator = start_operator_with(&env, config);
    env.create_many(GATED, |_| serde_json::json!({"flowName": "quick"}))
        .await;
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let list = env.api.list(&ListParams::default()).await.unwrap();
        let done = list.items.iter().filter(|fe| completed(fe)).count();
        if done == GATED {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{done} of {GATED} completed: a start waited for a turn that never came"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let counters = env.emulator.counters();
    assert_eq!(counters.total_created(), GATED as u64, "one start each");
    operator.stop().await.unwrap();
}
