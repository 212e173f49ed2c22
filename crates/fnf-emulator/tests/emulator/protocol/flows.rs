//! UpdateFlow and DeleteFlow on the wire: definitions the cloud refuses are
//! InvalidArgument naming the problem, LastModifiedTime moves, the flow
//! actions' documented quota (burst 10, 2/s), and what DeleteFlow does to the
//! flow's executions.

use fnf_emulator::{ExecutionMode, QuotaSettings};

use fnf_testkit::emulator_calls::*;

const PASS: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: a\nStates:\n  - Type: Pass\n    Name: a\n    End: true\n";
const WAIT: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: a\nStates:\n  - Type: Wait\n    Name: a\n    Seconds: 300\n    End: true\n";

#[tokio::test]
async fn update_flow_refuses_what_the_cloud_refuses_and_moves_last_modified_time() {
    let emulator = start(config()).await;
    emulator
        .create_flow("f", PASS, ExecutionMode::Standard)
        .unwrap();
    let caller = Caller::new(&emulator);
    let (_, before) = caller.call("DescribeFlow", &[("Name", "f")]).await;
    let refused = [
        (
            "Type: StateMachine\nSpecVersion: v1\nStates:\n  - Type: Pass\n    Name: a\n    End: true\n",
            "StartAt is missing",
        ),
        (
            "Type: StateMachine\nSpecVersion: v1\nStartAt: a\nStates:\n  - Type: Pass\n    Name: a\n    Next: b\n",
            "no state is named b",
        ),
        (
            "Type: StateMachine\nSpecVersion: v1\nStartAt: a\nStates:\n  - Type: Jump\n    Name: a\n    End: true\n",
            "type jump is not supported",
        ),
        ("Type: [unclosed", "not valid YAML"),
    ];
    for (definition, words) in refused {
        let answer = caller
            .call("UpdateFlow", &[("Name", "f"), ("Definition", definition)])
            .await;
        assert_error(&answer, 400, "InvalidArgument");
        let message = answer.1["Message"].as_str().unwrap();
        assert!(message.contains(words), "{message}");
    }
    let (status, updated) = caller
        .call(
            "UpdateFlow",
            &[("Name", "f"), ("Definition", WAIT), ("Description", "d2")],
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    let (_, after) = caller.call("DescribeFlow", &[("Name", "f")]).await;
    assert_eq!(after["Definition"], WAIT);
    assert_eq!(after["Description"], "d2");
    assert_eq!(after["CreatedTime"], before["CreatedTime"]);
    assert_ne!(after["LastModifiedTime"], before["LastModifiedTime"]);
    assert_error(
        &caller
            .call("UpdateFlow", &[("Name", "nope"), ("Definition", PASS)])
            .await,
        404,
        "FlowNotExists",
    );
}

#[tokio::test]
async fn delete_flow_ends_its_executions_and_they_can_no_longer_be_read() {
    let emulator = start(config()).await;
    emulator
        .create_flow("f", WAIT, ExecutionMode::Standard)
        .unwrap();
    let caller = Caller::new(&emulator);
    let (status, _) = caller
        .call(
            "StartExecution",
            &[("FlowName", "f"), ("ExecutionName", "e")],
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = caller.call("DeleteFlow", &[("Name", "f")]).await;
    assert_eq!(status, 200);
    assert_error(
        &caller
            .call(
                "DescribeExecution",
                &[("FlowName", "f"), ("ExecutionName", "e")],
            )
            .await,
        404,
        "FlowNotExists",
    );
}

#[tokio::test]
async fn flow_writes_have_the_documented_quota_of_other_actions() {
    let mut cfg = config();
    cfg.quotas = Some(QuotaSettings::default());
    let emulator = start(cfg).await;
    emulator
        .create_flow("f", PASS, ExecutionMode::Standard)
        .unwrap();
    let caller = Caller::new(&emulator);
    let mut throttled = 0;
    for _ in 0..20 {
        let (status, _) = caller
            .call("UpdateFlow", &[("Name", "f"), ("Definition", PASS)])
            .await;
        if status == 429 {
            throttled += 1;
        }
    }
    // Burst 10 and 2/s: the rest of 20 quick calls are mostly refused.
    assert!(throttled >= 5, "{throttled} of 20 throttled");
}
