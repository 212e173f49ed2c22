//! Cloud faults during a run, scaled down from the field (a 30 s 5xx burst is
//! ~8 s here, a 2 minute pause ~17 s: still longer than a call's timeout): the
//! operator starts each execution at most once, stays inside the documented
//! quotas while the cloud misbehaves, and once the fault clears mirrors every
//! ending the cloud reached. Recovery times are printed (MEASURED lines) and
//! only bounded generously.

use std::time::{Duration, Instant};

use fnf_emulator::{ExecutionMode, Fault};
use fnf_testkit::e2e::*;
use fnf_testkit::fault::*;
use kube::ResourceExt;

/// How long a fault lasts at least.
const FAULT_SECS: u64 = 8;
/// Generous: the poll back-off is capped at 30 s and the long-poll is 5 s here.
const RECOVERY_BOUND: Duration = Duration::from_secs(45);
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// Outlasts the 5 s long-poll in flight when the fault begins (with margin
/// for a loaded machine), so the ending can only be read after the fault.
const RUN_SECS: u32 = 9;

fn cloud_phase(env: &Env, flow: &str, fe: &str) -> String {
    env.emulator
        .execution(flow, &env.run_name(flow, fe))
        .map(|e| e.status)
        .unwrap_or_default()
}

fn started_once(env: &Env, flow: &str, fe: &str) {
    let runs = env.runs_of(flow, fe);
    assert_eq!(runs.len(), 1, "{fe}: one execution name: {runs:?}");
    assert_eq!(
        runs[0].1, 1,
        "{fe}: exactly one StartExecution created an execution"
    );
}

/// One execution Running when `faults` begin, one applied during them. The
/// faults last until the running one has ended in the cloud (and at least
/// `FAULT_SECS`); then both must reach Succeeded, each started once, and the
/// calls during the fault must fit the documented quotas.
async fn survives(prefix: &str, faults: Vec<Fault>) -> Duration {
    let env = Env::new(prefix).await;
    env.emulator
        .create_flow("waiting", &flow_waiting(RUN_SECS), ExecutionMode::Standard)
        .unwrap();
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    env.create("running", serde_json::json!({"flowName": "waiting"}))
        .await;
    env.wait_for("running", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;

    let window = CallWindow::open(&env);
    let began = Instant::now();
    for fault in faults {
        env.emulator.inject(fault);
    }
    env.create("applied", serde_json::json!({"flowName": "quick"}))
        .await;
    let ended_in_cloud = eventually(RUN_TIMEOUT, || {
        cloud_phase(&env, "waiting", "running") == "Succeeded"
            && began.elapsed() >= Duration::from_secs(FAULT_SECS)
    })
    .await;
    assert!(ended_in_cloud, "the execution ran on during the fault");
    let during = env.api.get("running").await.unwrap();
    let rates = window.close(&env);
    env.emulator.clear_faults();
    let cleared = Instant::now();

    rates.report(&format!("{prefix} calls during the fault"));
    rates.assert_within_documented_quota(prefix);
    for name in ["running", "applied"] {
        let fe = env.wait_for(name, RECOVERY_BOUND, completed).await;
        assert_eq!(phase(&fe), Some("Succeeded"), "{name}");
    }
    let recovery = cleared.elapsed();
    eprintln!(
        "MEASURED {prefix}: fault {:.1} s, both Succeeded {:.1} s after it cleared (status of the running one at clear time: {:?})",
        rates.secs,
        recovery.as_secs_f64(),
        phase(&during)
    );
    started_once(&env, "waiting", "running");
    started_once(&env, "quick", "applied");
    let fe = env.api.get("running").await.unwrap();
    assert_eq!(condition(&fe, "CloudReachable"), Some("True"));
    operator.stop().await.unwrap();
    recovery
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_burst_is_survived_with_one_start_and_the_ending_mirrored_after_it() {
    survives(
        "flt-5xx",
        vec![Fault::ErrorRate {
            action: None,
            code: "InternalServerError".into(),
            rate: 1.0,
        }],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttling_storm_slows_the_operator_to_the_quota_and_every_run_completes_after() {
    survives(
        "flt-429",
        vec![Fault::ErrorRate {
            action: None,
            code: "ResourceThrottled".into(),
            rate: 1.0,
        }],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_polls_dropped_again_and_again_are_retried_until_the_ending_is_read() {
    survives(
        "flt-drop",
        vec![Fault::DropConnections {
            action: Some("DescribeExecution".into()),
            rate: 1.0,
        }],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_cloud_still_runs_success_and_failure_through_with_one_start_each() {
    let env = Env::new("flt-latency").await;
    // Every call waits 2–5 s (the field sees 5–20 s; the call timeout is 15 s).
    env.emulator.inject(Fault::Latency {
        min: Duration::from_secs(2),
        max: Duration::from_secs(5),
    });
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    let began = Instant::now();
    env.create("slow-ok", serde_json::json!({"flowName": "quick"}))
        .await;
    env.create("slow-fail", serde_json::json!({"flowName": "failing"}))
        .await;
    let ok = env.wait_for("slow-ok", RUN_TIMEOUT, completed).await;
    let failed = env.wait_for("slow-fail", RUN_TIMEOUT, completed).await;
    eprintln!(
        "MEASURED flt-latency: both ended {:.1} s after apply with 2-5 s per call",
        began.elapsed().as_secs_f64()
    );
    assert_eq!(phase(&ok), Some("Succeeded"));
    assert_eq!(phase(&failed), Some("Failed"));
    assert_eq!(
        failed.status.unwrap().error.as_deref(),
        Some("PaymentDeclined")
    );
    started_once(&env, "quick", "slow-ok");
    started_once(&env, "failing", "slow-fail");
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_longer_than_a_call_timeout_ends_in_one_start_and_the_ending_mirrored() {
    // Longer than the 15 s call timeout, as a 2 minute outage would be.
    const PAUSE_SECS: u64 = 17;
    let env = Env::new("flt-pause").await;
    env.emulator
        .create_flow("waiting", &flow_waiting(RUN_SECS), ExecutionMode::Standard)
        .unwrap();
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    env.create("running", serde_json::json!({"flowName": "waiting"}))
        .await;
    env.wait_for("running", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    env.emulator.inject(Fault::Pause);
    env.create("applied", serde_json::json!({"flowName": "quick"}))
        .await;
    tokio::time::sleep(Duration::from_secs(PAUSE_SECS)).await;
    assert_eq!(
        cloud_phase(&env, "waiting", "running"),
        "Succeeded",
        "executions run on while the API is paused"
    );
    env.emulator.inject(Fault::Resume);
    let resumed = Instant::now();
    for name in ["running", "applied"] {
        let fe = env.wait_for(name, RECOVERY_BOUND, completed).await;
        assert_eq!(phase(&fe), Some("Succeeded"), "{name}");
    }
    eprintln!(
        "MEASURED flt-pause: {PAUSE_SECS} s pause, both Succeeded {:.1} s after resume",
        resumed.elapsed().as_secs_f64()
    );
    started_once(&env, "waiting", "running");
    started_once(&env, "quick", "applied");
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_refused_once_as_too_skewed_is_re_signed_at_once_without_a_warning() {
    let env = Env::new("flt-skew").await;
    for action in ["StartExecution", "DescribeExecution"] {
        env.emulator.inject(Fault::FailNext {
            action: action.into(),
            code: "RequestTimeTooSkewed".into(),
            count: 1,
        });
    }
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    env.create("skewed", serde_json::json!({"flowName": "quick"}))
        .await;
    let fe = env.wait_for("skewed", RUN_TIMEOUT, completed).await;
    assert_eq!(phase(&fe), Some("Succeeded"));
    let counters = env.emulator.counters();
    for action in ["StartExecution", "DescribeExecution"] {
        assert_eq!(
            counters.calls_with_code(action, "RequestTimeTooSkewed"),
            1,
            "{action} was refused once"
        );
    }
    started_once(&env, "quick", "skewed");
    let skew_warnings = warnings_about(&env, "skewed", "RequestTimeTooSkewed").await;
    assert!(skew_warnings.is_empty(), "{skew_warnings:#?}");
    assert_ne!(condition(&fe, "CloudReachable"), Some("False"));
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_skewed_past_the_tolerance_shows_as_unreachable_and_is_not_hammered() {
    let env = env_with_emulator(
        "flt-clock",
        fnf_emulator::EmulatorConfig {
            clock_offset_secs: 3600,
            ..Default::default()
        },
    )
    .await;
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    env.create("late", serde_json::json!({"flowName": "quick"}))
        .await;
    let fe = env
        .wait_for("late", RUN_TIMEOUT, |fe| {
            condition_of(fe, "CloudReachable")
                .is_some_and(|c| c.status == "False" && c.reason == "RequestTimeTooSkewed")
        })
        .await;
    let message = condition_of(&fe, "CloudReachable").unwrap().message.clone();
    eprintln!("MEASURED flt-clock: CloudReachable message: {message}");
    assert!(message.contains("RequestTimeTooSkewed"), "{message}");
    assert_eq!(phase(&fe), Some("Pending"));
    let window = CallWindow::open(&env);
    tokio::time::sleep(Duration::from_secs(FAULT_SECS)).await;
    let rates = window.close(&env);
    rates.report("flt-clock calls while skewed");
    rates.assert_within_documented_quota("flt-clock");
    assert!(
        rates.of("StartExecution") <= 8,
        "backs off: {} starts in {:.0} s",
        rates.of("StartExecution"),
        rates.secs
    );
    assert_eq!(env.emulator.counters().total_created(), 0);
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execution_not_exists_right_after_the_start_is_read_again_and_the_run_is_mirrored() {
    // Read-after-write lag: the first reads of a fresh execution miss it.
    const MISSED_READS: u32 = 3;
    let env = Env::new("flt-lag").await;
    env.emulator
        .create_flow("waiting", &flow_waiting(6), ExecutionMode::Standard)
        .unwrap();
    env.emulator.inject(Fault::FailNext {
        action: "DescribeExecution".into(),
        code: "ExecutionNotExists".into(),
        count: MISSED_READS,
    });
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    env.create("lagging", serde_json::json!({"flowName": "waiting"}))
        .await;
    // Every state the object shows until the cloud says Succeeded.
    let deadline = Instant::now() + RUN_TIMEOUT;
    let mut finalizer_after_miss = None;
    let fe = loop {
        let fe = env.api.get("lagging").await.unwrap();
        assert!(
            !completed(&fe) || phase(&fe) == Some("Succeeded"),
            "one ExecutionNotExists ended a live run: {:#?}",
            fe.status
        );
        let misses = env
            .emulator
            .counters()
            .calls_with_code("DescribeExecution", "ExecutionNotExists");
        if misses > 0 && phase(&fe) != Some("Succeeded") && finalizer_after_miss.is_none() {
            finalizer_after_miss = Some(
                fe.finalizers()
                    .contains(&fnf_operator::crd::FINALIZER.to_string()),
            );
        }
        if phase(&fe) == Some("Succeeded") && completed(&fe) {
            break fe;
        }
        assert!(
            Instant::now() < deadline,
            "never mirrored: {:#?}",
            fe.status
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        env.emulator
            .counters()
            .calls_with_code("DescribeExecution", "ExecutionNotExists"),
        u64::from(MISSED_READS),
        "every missed read was answered"
    );
    assert_eq!(
        finalizer_after_miss,
        Some(true),
        "the finalizer stays while the run may be live"
    );
    assert_eq!(condition(&fe, "Stalled"), None);
    started_once(&env, "waiting", "lagging");
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_that_keeps_failing_backs_off_and_warns_once() {
    const WATCH_SECS: u64 = 30;
    let env = Env::new("flt-startfail").await;
    env.emulator.inject(Fault::ErrorRate {
        action: Some("StartExecution".into()),
        code: "InternalServerError".into(),
        rate: 1.0,
    });
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    let window = CallWindow::open(&env);
    env.create("refused", serde_json::json!({"flowName": "quick"}))
        .await;
    tokio::time::sleep(Duration::from_secs(WATCH_SECS)).await;
    let rates = window.close(&env);
    rates.report("flt-startfail StartExecution failing");
    let warnings = events(&env)
        .await
        .into_iter()
        .filter(|e| e["type"] == "Warning" && e["involvedObject"]["name"] == "refused")
        .collect::<Vec<_>>();
    let fe = env.api.get("refused").await.unwrap();
    let reachable = condition_of(&fe, "CloudReachable").unwrap();
    eprintln!(
        "MEASURED flt-startfail: {} Warning Events; CloudReachable: {}",
        warnings.len(),
        reachable.message
    );
    // Each attempt is up to 4 calls (the client's own retries); attempts
    // back off 1, 2, 4, 8, 16 s: six or so in 30 s, not one per status write.
    assert!(
        rates.of("StartExecution") <= 40,
        "{} StartExecution calls in {:.0} s",
        rates.of("StartExecution"),
        rates.secs
    );
    assert!(
        warnings.len() <= 1,
        "one Warning for the run of failures: {warnings:#?}"
    );
    assert_eq!(reachable.status, "False");
    assert!(
        reachable.message.contains("failures in a row"),
        "{}",
        reachable.message
    );
    assert_eq!(phase(&fe), Some("Pending"));
    // Once the cloud answers again, the execution starts (once).
    env.emulator.clear_faults();
    let fe = env.wait_for("refused", RUN_TIMEOUT, completed).await;
    assert_eq!(phase(&fe), Some("Succeeded"));
    started_once(&env, "quick", "refused");
    operator.stop().await.unwrap();
}
