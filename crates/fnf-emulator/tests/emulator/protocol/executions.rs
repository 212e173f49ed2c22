//! Executions that really run: timing, output, long-poll, idempotent start,
//! stop, and the old definition shape.

use std::time::{Duration, Instant};

use fnf_emulator::ExecutionMode;
use serde_json::Value;

use fnf_testkit::emulator_calls::*;

async fn describe(caller: &Caller, flow: &str, name: &str, wait: &str) -> Value {
    let (status, body) = caller
        .call(
            "DescribeExecution",
            &[
                ("FlowName", flow),
                ("ExecutionName", name),
                ("WaitTimeSeconds", wait),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn parse_time(body: &Value, field: &str) -> jiff::Timestamp {
    let text = body[field].as_str().unwrap_or_default();
    assert!(
        text.ends_with('Z') && text.len() == 24,
        "{field} {text:?} is not RFC 3339 UTC with milliseconds"
    );
    text.parse().expect("RFC 3339")
}

#[tokio::test]
async fn pass_wait_succeed_ends_succeeded_about_two_seconds_after_start_with_the_merged_output() {
    let emulator = start(config()).await;
    emulator
        .create_flow("demo", PASS_WAIT_SUCCEED, ExecutionMode::Standard)
        .expect("flow");
    let caller = Caller::new(&emulator);
    let (status, started) = caller
        .call(
            "StartExecution",
            &[
                ("FlowName", "demo"),
                ("ExecutionName", "run1"),
                ("Input", r#"{"who":"k8s"}"#),
            ],
        )
        .await;
    assert_eq!(status, 200, "{started}");
    assert!(
        matches!(started["Status"].as_str(), Some("Starting" | "Running")),
        "{started}"
    );
    assert!(started["RequestId"].as_str().is_some());

    // The long-poll returns when the execution ends, not when the wait passes.
    let asked = Instant::now();
    let ended = describe(&caller, "demo", "run1", "10").await;
    let answered = jiff::Timestamp::now();
    let held = asked.elapsed();
    assert_eq!(ended["Status"], "Succeeded", "{ended}");
    let output: Value =
        serde_json::from_str(ended["Output"].as_str().unwrap_or_default()).expect("output JSON");
    assert_eq!(
        output,
        serde_json::json!({"who": "k8s", "greeting": "hello"})
    );
    assert_eq!(ended["Input"], r#"{"who":"k8s"}"#);
    assert_eq!(ended["FlowDefinition"], PASS_WAIT_SUCCEED);
    let run_ms = parse_time(&ended, "StoppedTime")
        .duration_since(parse_time(&ended, "StartedTime"))
        .as_millis() as i64;
    assert!((1900..6000).contains(&run_ms), "ran {run_ms} ms");
    let lag_ms = answered
        .duration_since(parse_time(&ended, "StoppedTime"))
        .as_secs_f64()
        * 1000.0;
    println!("long-poll answered {lag_ms:.1} ms after the execution ended (held {held:?})");
    assert!(
        lag_ms < 1000.0,
        "long-poll answered {lag_ms} ms after the end"
    );
    assert!(
        held < Duration::from_secs(9),
        "held {held:?}: the wait passed instead of the end"
    );

    let snapshot = emulator.execution("demo", "run1").expect("snapshot");
    assert_eq!(snapshot.status, "Succeeded");
    assert_eq!(
        snapshot.stopped_time,
        ended["StoppedTime"].as_str().unwrap_or_default()
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn starting_a_running_name_again_returns_it_and_creates_nothing_then_refuses_once_ended() {
    let emulator = start(config()).await;
    emulator
        .create_flow("hold", WAIT_FROM_INPUT, ExecutionMode::Standard)
        .expect("flow");
    let caller = Caller::new(&emulator);
    let start_it = || {
        caller.call(
            "StartExecution",
            &[
                ("FlowName", "hold"),
                ("ExecutionName", "once"),
                ("Input", r#"{"wait":1}"#),
            ],
        )
    };
    let first = start_it().await;
    let again = start_it().await;
    assert_eq!(again.0, 200, "{}", again.1);
    assert_eq!(again.1["StartedTime"], first.1["StartedTime"]);
    assert_eq!(emulator.counters().executions_created("hold", "once"), 1);
    assert_eq!(emulator.counters().total_created(), 1);

    assert_eq!(
        describe(&caller, "hold", "once", "30").await["Status"],
        "Succeeded"
    );
    assert_error(&start_it().await, 400, "ExecutionAlreadyExists");
    assert_eq!(emulator.counters().executions_created("hold", "once"), 1);
    emulator.shutdown().await;
}

#[tokio::test]
async fn stopping_ends_a_running_execution_and_refuses_an_ended_one() {
    let emulator = start(config()).await;
    emulator
        .create_flow("hold", WAIT_FROM_INPUT, ExecutionMode::Standard)
        .expect("flow");
    let caller = Caller::new(&emulator);
    caller
        .call(
            "StartExecution",
            &[
                ("FlowName", "hold"),
                ("ExecutionName", "long"),
                ("Input", r#"{"wait":300}"#),
            ],
        )
        .await;
    let stop = [
        ("FlowName", "hold"),
        ("ExecutionName", "long"),
        ("Error", "Cancelled"),
        ("Cause", "by test"),
    ];
    let (status, stopped) = caller.call("StopExecution", &stop).await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!(stopped["Status"], "Stopped");
    assert_eq!(
        describe(&caller, "hold", "long", "0").await["Status"],
        "Stopped"
    );
    assert_error(
        &caller.call("StopExecution", &stop).await,
        400,
        "ExecutionAlreadyCompleted",
    );

    let (_, history) = caller
        .call(
            "GetExecutionHistory",
            &[("FlowName", "hold"), ("ExecutionName", "long")],
        )
        .await;
    let last = history["Events"]
        .as_array()
        .and_then(|e| e.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(last["Type"], "ExecutionStopped");
    let detail: Value =
        serde_json::from_str(last["EventDetail"].as_str().unwrap_or_default()).expect("detail");
    assert_eq!(
        detail,
        serde_json::json!({"error": "Cancelled", "cause": "by test"})
    );
    emulator.shutdown().await;
}

const OLD_SHAPE: &str = "type: flow
version: v1
name: legacy
steps:
  - type: pass
    name: seed
    result:
      size: 5
  - type: choice
    name: big
    choices:
      - condition: $.size > 3
        steps:
          - type: parallel
            name: fan
            branches:
              - steps:
                  - type: pass
                    name: left
                    result:
                      side: left
              - steps:
                  - type: wait
                    name: nap
                    seconds: 0.2
    default:
      goto: boom
  - type: succeed
    name: ok
  - type: fail
    name: boom
    error: TooSmall
    cause: size was small
";

#[tokio::test]
async fn old_shape_flows_run_choice_and_parallel_and_fail_with_error_and_cause() {
    let emulator = start(config()).await;
    emulator
        .create_flow("legacy", OLD_SHAPE, ExecutionMode::Standard)
        .expect("flow");
    let caller = Caller::new(&emulator);
    caller
        .call(
            "StartExecution",
            &[("FlowName", "legacy"), ("ExecutionName", "big")],
        )
        .await;
    let big = describe(&caller, "legacy", "big", "10").await;
    assert_eq!(big["Status"], "Succeeded", "{big}");
    let output: Value =
        serde_json::from_str(big["Output"].as_str().unwrap_or_default()).expect("output");
    assert_eq!(
        output,
        serde_json::json!([{"size": 5, "side": "left"}, {"size": 5}])
    );

    let small_flow = OLD_SHAPE.replace("size: 5", "size: 1");
    emulator
        .create_flow("legacy2", &small_flow, ExecutionMode::Standard)
        .expect("flow");
    caller
        .call(
            "StartExecution",
            &[("FlowName", "legacy2"), ("ExecutionName", "small")],
        )
        .await;
    let small = describe(&caller, "legacy2", "small", "10").await;
    assert_eq!(small["Status"], "Failed", "{small}");
    let (_, history) = caller
        .call(
            "GetExecutionHistory",
            &[("FlowName", "legacy2"), ("ExecutionName", "small")],
        )
        .await;
    let failed = history["Events"]
        .as_array()
        .and_then(|events| events.iter().find(|e| e["Type"] == "ExecutionFailed"))
        .cloned()
        .expect("ExecutionFailed event");
    let detail: Value =
        serde_json::from_str(failed["EventDetail"].as_str().unwrap_or_default()).expect("detail");
    assert_eq!(
        detail,
        serde_json::json!({"error": "TooSmall", "cause": "size was small"})
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_invalid_definition_is_refused_at_create_flow() {
    let emulator = start(config()).await;
    let caller = Caller::new(&emulator);
    let broken = "Type: StateMachine\nSpecVersion: v1\nStartAt: a\nStates:\n  - Type: Pass\n    Name: a\n    Next: nowhere\n";
    assert_error(
        &caller
            .call(
                "CreateFlow",
                &[
                    ("Name", "broken"),
                    ("Definition", broken),
                    ("Type", "FDL"),
                    ("Description", "x"),
                ],
            )
            .await,
        400,
        "InvalidArgument",
    );
    let (status, created) = caller
        .call(
            "CreateFlow",
            &[
                ("Name", "fine"),
                ("Definition", PASS_WAIT_SUCCEED),
                ("Type", "FDL"),
                ("Description", "x"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["ExecutionMode"], "Standard");
    assert_eq!(caller.call("DeleteFlow", &[("Name", "fine")]).await.0, 200);
    assert_error(
        &caller.call("DescribeFlow", &[("Name", "fine")]).await,
        404,
        "FlowNotExists",
    );
    emulator.shutdown().await;
}
