//! The complete call log a soak's checker replays, and the faults the soak
//! added: answers dropped after serving, and a skewed clock.

use fnf_emulator::{ExecutionMode, Fault};

use fnf_testkit::emulator_calls::*;

#[tokio::test]
async fn a_dropped_answer_still_starts_and_the_log_says_so() {
    let emulator = start(config()).await;
    emulator
        .create_flow("demo", PASS_WAIT_SUCCEED, ExecutionMode::Standard)
        .expect("flow");
    let caller = Caller::new(&emulator);
    emulator.inject(Fault::DropAnswers {
        action: Some("StartExecution".into()),
        rate: 1.0,
    });
    let params = [("FlowName", "demo"), ("ExecutionName", "lost-answer")];
    let outcome = caller.request("StartExecution", &params).send().await;
    assert!(outcome.is_err(), "the answer was dropped");
    assert!(emulator.execution("demo", "lost-answer").is_some());
    emulator.clear_faults();
    assert_eq!(caller.call("StartExecution", &params).await.0, 200);

    let created = emulator.created_log();
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0].execution, "lost-answer");
    let calls = emulator.call_log();
    let starts: Vec<_> = calls
        .iter()
        .filter(|c| c.action == "StartExecution")
        .collect();
    assert_eq!(starts.len(), 2, "{calls:?}");
    assert_eq!(
        (starts[0].code.as_str(), starts[0].injected),
        ("ConnectionDropped", true)
    );
    assert_eq!((starts[1].code.as_str(), starts[1].injected), ("OK", false));
    assert!(
        starts
            .iter()
            .all(|c| c.flow == "demo" && c.execution == "lost-answer")
    );
    assert!(starts[0].seq < starts[1].seq && starts[0].at_ms <= starts[1].at_ms);
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_skewed_clock_refuses_fresh_requests_until_cleared_and_injected_errors_are_marked() {
    let emulator = start(config()).await;
    let caller = Caller::new(&emulator);
    emulator.inject(Fault::ClockSkew { secs: 30 * 60 });
    assert_error(
        &caller.call("ListFlows", &[]).await,
        403,
        "RequestTimeTooSkewed",
    );
    emulator.clear_faults();
    emulator.inject(Fault::FailNext {
        action: "ListFlows".into(),
        code: "ResourceThrottled".into(),
        count: 1,
    });
    assert_eq!(caller.call("ListFlows", &[]).await.0, 429);
    assert_eq!(caller.call("ListFlows", &[]).await.0, 200);
    let marks: Vec<(String, bool)> = emulator
        .call_log()
        .into_iter()
        .map(|c| (c.code, c.injected))
        .collect();
    assert_eq!(
        marks,
        vec![
            ("RequestTimeTooSkewed".to_string(), false),
            ("ResourceThrottled".to_string(), true),
            ("OK".to_string(), false),
        ]
    );
    emulator.shutdown().await;
}
