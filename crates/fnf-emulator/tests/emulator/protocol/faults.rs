//! Quotas and every kind of injected fault, through the library and the admin
//! endpoint.

use std::time::{Duration, Instant};

use fnf_emulator::{ExecutionMode, Fault, QuotaSettings};

use fnf_testkit::emulator_calls::*;

#[tokio::test]
async fn over_quota_calls_are_throttled_with_429_and_each_action_has_its_own_bucket() {
    let mut cfg = config();
    cfg.quotas = Some(QuotaSettings::default());
    let emulator = start(cfg).await;
    emulator
        .create_flow("demo", PASS_WAIT_SUCCEED, ExecutionMode::Standard)
        .expect("flow");
    let caller = Caller::new(&emulator);
    let mut ok = 0;
    let mut throttled = None;
    for _ in 0..20 {
        let answer = caller.call("DescribeFlow", &[("Name", "demo")]).await;
        match answer.0 {
            200 => ok += 1,
            _ => throttled = Some(answer),
        }
    }
    // Burst 10 at 2/s: a slow machine may refill a token or two meanwhile.
    assert!((10..=13).contains(&ok), "{ok} calls passed");
    assert_error(
        &throttled.expect("some calls throttled"),
        429,
        "ResourceThrottled",
    );
    let counters = emulator.counters();
    assert_eq!(counters.calls("DescribeFlow"), 20);
    assert_eq!(
        counters.calls_with_code("DescribeFlow", "ResourceThrottled"),
        20 - ok
    );
    // StartExecution has its own, larger bucket.
    let (status, _) = caller
        .call(
            "StartExecution",
            &[("FlowName", "demo"), ("ExecutionName", "q")],
        )
        .await;
    assert_eq!(status, 200);
    emulator.shutdown().await;
}

async fn demo() -> (fnf_emulator::RunningEmulator, Caller) {
    let emulator = start(config()).await;
    emulator
        .create_flow("demo", PASS_WAIT_SUCCEED, ExecutionMode::Standard)
        .expect("flow");
    let caller = Caller::new(&emulator);
    (emulator, caller)
}

#[tokio::test]
async fn error_rate_and_fail_next_answer_the_injected_code() {
    let (emulator, caller) = demo().await;
    emulator.inject(Fault::ErrorRate {
        action: Some("ListFlows".into()),
        code: "InternalServerError".into(),
        rate: 1.0,
    });
    for _ in 0..3 {
        assert_error(
            &caller.call("ListFlows", &[]).await,
            500,
            "InternalServerError",
        );
    }
    assert_eq!(
        caller.call("DescribeFlow", &[("Name", "demo")]).await.0,
        200
    );
    emulator.clear_faults();
    assert_eq!(caller.call("ListFlows", &[]).await.0, 200);

    emulator.inject(Fault::FailNext {
        action: "StartExecution".into(),
        code: "ResourceThrottled".into(),
        count: 2,
    });
    let start_it = || {
        caller.call(
            "StartExecution",
            &[("FlowName", "demo"), ("ExecutionName", "n")],
        )
    };
    assert_error(&start_it().await, 429, "ResourceThrottled");
    assert_error(&start_it().await, 429, "ResourceThrottled");
    assert_eq!(start_it().await.0, 200);
    assert_eq!(emulator.counters().executions_created("demo", "n"), 1);
    assert_eq!(
        emulator
            .counters()
            .calls_with_code("StartExecution", "ResourceThrottled"),
        2
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn latency_delays_answers_within_the_range() {
    let (emulator, caller) = demo().await;
    emulator.inject(Fault::Latency {
        min: Duration::from_millis(300),
        max: Duration::from_millis(400),
    });
    let began = Instant::now();
    assert_eq!(caller.call("ListFlows", &[]).await.0, 200);
    assert!(
        began.elapsed() >= Duration::from_millis(300),
        "{:?}",
        began.elapsed()
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn dropped_connections_close_without_an_answer() {
    let (emulator, caller) = demo().await;
    emulator.inject(Fault::DropConnections {
        action: Some("ListFlows".into()),
        rate: 1.0,
    });
    let outcome = caller.request("ListFlows", &[]).send().await;
    let error = outcome.expect_err("no answer");
    assert!(!error.is_timeout(), "{error}");
    assert_eq!(
        caller.call("DescribeFlow", &[("Name", "demo")]).await.0,
        200
    );
    assert_eq!(
        emulator
            .counters()
            .calls_with_code("ListFlows", "ConnectionDropped"),
        1
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_paused_service_holds_requests_until_resumed() {
    let (emulator, caller) = demo().await;
    emulator.inject(Fault::Pause);
    let held = tokio::spawn({
        let caller = caller.clone();
        async move { caller.call("ListFlows", &[]).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!held.is_finished(), "answered while paused");
    // The admin endpoint still answers, and resumes the service.
    let resumed = caller
        .http
        .post(format!("{}/_emulator/resume", caller.endpoint))
        .send()
        .await
        .expect("admin");
    assert_eq!(resumed.status(), 200);
    let (status, _) = tokio::time::timeout(Duration::from_secs(10), held)
        .await
        .expect("answered")
        .expect("task");
    assert_eq!(status, 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_admin_endpoint_injects_faults_and_reports_counters_as_json() {
    let (emulator, caller) = demo().await;
    let admin = |path: &str| format!("{}/_emulator/{path}", caller.endpoint);
    let injected = caller
        .http
        .post(admin("faults"))
        .body(
            r#"{"kind":"FailNext","action":"DescribeFlow","code":"InternalServerError","count":1}"#,
        )
        .send()
        .await
        .expect("admin");
    assert_eq!(injected.status(), 200);
    assert_error(
        &caller.call("DescribeFlow", &[("Name", "demo")]).await,
        500,
        "InternalServerError",
    );
    caller
        .call(
            "StartExecution",
            &[("FlowName", "demo"), ("ExecutionName", "a1")],
        )
        .await;
    let counters: serde_json::Value = caller
        .http
        .get(admin("counters"))
        .send()
        .await
        .expect("admin")
        .json()
        .await
        .expect("json");
    assert_eq!(counters["calls"]["DescribeFlow"]["InternalServerError"], 1);
    assert_eq!(counters["executions_created"]["demo"]["a1"], 1);
    let execution: serde_json::Value = caller
        .http
        .get(admin("executions/demo/a1"))
        .send()
        .await
        .expect("admin")
        .json()
        .await
        .expect("json");
    assert_eq!(execution["Name"], "a1");
    let cleared = caller
        .http
        .delete(admin("faults"))
        .send()
        .await
        .expect("admin");
    assert_eq!(cleared.status(), 200);
    emulator.shutdown().await;
}

#[tokio::test]
async fn expiring_sts_credentials_early_refuses_them_as_expired_and_lists_their_secrets() {
    let mut cfg = config();
    cfg.sts_credentials.push(fnf_emulator::StsCredential {
        access_key_id: "STS.early".into(),
        access_key_secret: "sts-early-secret".into(),
        security_token: "CAIS-early".into(),
        expiration: Some("2099-01-01T00:00:00Z".into()),
        allowed_flows: None,
    });
    let emulator = start(cfg).await;
    let sts = Caller {
        key_id: "STS.early".into(),
        secret: "sts-early-secret".into(),
        token: Some("CAIS-early".into()),
        ..Caller::new(&emulator)
    };
    assert_eq!(sts.call("ListFlows", &[]).await.0, 200);
    assert_eq!(emulator.expire_sts_credentials(), 1);
    assert_error(
        &sts.call("ListFlows", &[]).await,
        403,
        "InvalidSecurityToken.Expired",
    );
    assert_eq!(emulator.expire_sts_credentials(), 0, "already expired");
    let known = emulator.sts_credentials();
    assert_eq!(known.len(), 1);
    assert_eq!(known[0].access_key_secret, "sts-early-secret");
    assert_eq!(known[0].security_token, "CAIS-early");
    let plain = Caller::new(&emulator);
    assert_eq!(
        plain.call("ListFlows", &[]).await.0,
        200,
        "AccessKeys are not STS credentials"
    );
    emulator.shutdown().await;
}
