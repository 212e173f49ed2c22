//! The fnf client's timing behaviour against a local server: long-polls are
//! not cut short, ordinary calls time out, `x-acs-retry-after` is honoured,
//! and the token buckets hold many concurrent callers to the configured rate.
//! Bounds are one-sided or generous, so a loaded machine cannot flake them.

use std::time::{Duration, Instant};

use fnf_client::error::FnfError;
use fnf_client::{Client, QuotaConfig, QuotaRegistry, Rate, RetryPolicy, SignatureVersion};
use fnf_testkit::cloud_stub::*;

#[tokio::test]
async fn a_long_poll_answered_after_the_ordinary_timeout_is_not_cut() {
    const ANSWER_AFTER_SECS: u64 = 17;
    let server = TestServer::start(|_, _| {
        Reply::json(200, execution_json("Succeeded")).after(Duration::from_secs(ANSWER_AFTER_SECS))
    })
    .await;
    // The default configuration: a 15 s ordinary timeout, no retries to hide a cut.
    let mut config = config_for(&server);
    config.retry = RetryPolicy::no_retries();
    assert_eq!(config.request_timeout, Duration::from_secs(15));
    let client = Client::new(config, static_credentials(None));
    let started = Instant::now();
    let execution = client
        .describe_execution("my_flow", "my_exec", 20)
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(ANSWER_AFTER_SECS));
    assert_eq!(execution.status.as_deref(), Some("Succeeded"));
    assert_eq!(
        server.requests()[0].param("WaitTimeSeconds").as_deref(),
        Some("20")
    );
}

#[tokio::test]
async fn an_ordinary_call_that_hangs_times_out() {
    let server = TestServer::start(|_, _| {
        Reply::json(200, execution_json("Running")).after(Duration::from_secs(5))
    })
    .await;
    let mut config = config_for(&server);
    config.retry = RetryPolicy::no_retries();
    config.request_timeout = Duration::from_millis(500);
    let client = Client::new(config, static_credentials(None));
    let err = client
        .describe_execution("my_flow", "my_exec", 0)
        .await
        .unwrap_err();
    assert_eq!(err, FnfError::Timeout);
    assert!(err.is_retryable());
    assert_eq!(err.reason(), "Timeout");
}

#[tokio::test]
async fn the_cloud_retry_after_header_sets_the_back_off() {
    const RETRY_AFTER_MS: u64 = 1200;
    let server = TestServer::start(|_, index| {
        if index == 0 {
            Reply::error(429, "ResourceThrottled")
                .with_header("x-acs-retry-after", &RETRY_AFTER_MS.to_string())
        } else {
            Reply::json(200, execution_json("Running"))
        }
    })
    .await;
    // Back-off alone would wait at most 5 ms.
    let client = client_for(&server, SignatureVersion::V3);
    client
        .describe_execution("my_flow", "my_exec", 0)
        .await
        .unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].at - requests[0].at >= Duration::from_millis(RETRY_AFTER_MS));
    verify_signature(&requests[1], SECRET).unwrap();
}

#[tokio::test]
async fn a_throttled_call_pauses_the_whole_account_bucket() {
    const PAUSE_MS: u64 = 1000;
    let server = TestServer::start(|request, _| {
        if request.param("ExecutionName").as_deref() == Some("first") {
            Reply::error(429, "ResourceThrottled")
                .with_header("x-acs-retry-after", &PAUSE_MS.to_string())
        } else {
            Reply::json(200, execution_json("Running"))
        }
    })
    .await;
    let mut config = config_for(&server);
    config.retry = RetryPolicy::no_retries();
    config.quotas = QuotaRegistry::new(
        QuotaConfig::unlimited().with_action("DescribeExecution", Rate::new(100, 100.0)),
    );
    let client = Client::new(config, static_credentials(None));
    let err = client
        .describe_execution("f", "first", 0)
        .await
        .unwrap_err();
    assert_eq!(err.reason(), "ResourceThrottled");
    let throttled_at = server.requests()[0].at;
    // Another caller of the same account waits out the pause.
    client.describe_execution("f", "second", 0).await.unwrap();
    assert!(server.requests()[1].at - throttled_at >= Duration::from_millis(PAUSE_MS - 50));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_calls_stay_within_the_configured_rate() {
    const CALLS: usize = 1000;
    const BURST: u32 = 10;
    const PER_SECOND: f64 = 50.0;
    let server = TestServer::start(|_, _| Reply::json(200, execution_json("Running"))).await;
    let mut config = config_for(&server);
    config.quotas = QuotaRegistry::new(
        QuotaConfig::unlimited().with_action("DescribeExecution", Rate::new(BURST, PER_SECOND)),
    );
    // Clients share the registry, as all clients of a process do.
    let client = Client::new(config.clone(), static_credentials(None));
    let other_client = Client::new(config, static_credentials(None));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..CALLS {
        let client = if i % 2 == 0 {
            client.clone()
        } else {
            other_client.clone()
        };
        tasks.spawn(async move { client.describe_execution("my_flow", "my_exec", 0).await });
    }
    while let Some(result) = tasks.join_next().await {
        result.unwrap().unwrap();
    }
    let elapsed = started.elapsed();
    let arrivals: Vec<Instant> = server.requests().iter().map(|r| r.at).collect();
    assert_eq!(arrivals.len(), CALLS);
    // The rate cannot be beaten: (CALLS - BURST) tokens take this long to refill.
    let floor = Duration::from_secs_f64((CALLS as f64 - f64::from(BURST)) / PER_SECOND * 0.95);
    assert!(elapsed >= floor, "{elapsed:?} < {floor:?}");
    // Any one-second window sees at most burst + rate, plus slack for requests
    // that a busy machine delayed and delivered together.
    let ceiling = BURST as usize + PER_SECOND as usize + (PER_SECOND as usize / 2);
    let mut sorted = arrivals.clone();
    sorted.sort();
    let mut busiest = 0;
    let mut start = 0;
    for end in 0..sorted.len() {
        while sorted[end] - sorted[start] >= Duration::from_secs(1) {
            start += 1;
        }
        busiest = busiest.max(end - start + 1);
    }
    assert!(
        busiest <= ceiling,
        "{busiest} requests in one second (ceiling {ceiling})"
    );
    println!("{CALLS} calls in {elapsed:?}; busiest one-second window: {busiest}");
}
