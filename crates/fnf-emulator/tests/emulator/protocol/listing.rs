//! Paged history and ListExecutions with its filters.

use fnf_emulator::ExecutionMode;
use serde_json::Value;

use fnf_testkit::emulator_calls::*;

fn many_passes(count: usize) -> String {
    let mut flow = String::from("Type: StateMachine\nSpecVersion: v1\nStartAt: p0\nStates:\n");
    for i in 0..count {
        let tail = if i + 1 == count {
            "    End: true\n".to_string()
        } else {
            format!("    Next: p{}\n", i + 1)
        };
        flow.push_str(&format!("  - Type: Pass\n    Name: p{i}\n{tail}"));
    }
    flow
}

#[tokio::test]
async fn history_pages_by_next_token_and_limit_and_covers_every_event_once() {
    let emulator = start(config()).await;
    emulator
        .create_flow("long", &many_passes(40), ExecutionMode::Standard)
        .expect("flow");
    let caller = Caller::new(&emulator);
    caller
        .call(
            "StartExecution",
            &[("FlowName", "long"), ("ExecutionName", "h")],
        )
        .await;
    caller
        .call(
            "DescribeExecution",
            &[
                ("FlowName", "long"),
                ("ExecutionName", "h"),
                ("WaitTimeSeconds", "10"),
            ],
        )
        .await;

    let mut events: Vec<Value> = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let mut params = vec![
            ("FlowName", "long"),
            ("ExecutionName", "h"),
            ("Limit", "25"),
        ];
        if !token.is_empty() {
            params.push(("NextToken", &token));
        }
        let (status, page) = caller.call("GetExecutionHistory", &params).await;
        assert_eq!(status, 200, "{page}");
        let batch = page["Events"].as_array().cloned().unwrap_or_default();
        assert!(batch.len() <= 25);
        events.extend(batch);
        pages += 1;
        match page["NextToken"].as_str() {
            Some(next) if !next.is_empty() => token = next.to_string(),
            _ => break,
        }
    }
    // ExecutionStarted + 40 × (StepEntered, StepExited) + ExecutionSucceeded.
    assert_eq!(events.len(), 82);
    assert_eq!(pages, 4);
    let ids: Vec<u64> = events
        .iter()
        .filter_map(|e| e["EventId"].as_u64())
        .collect();
    assert_eq!(ids, (1..=82).collect::<Vec<_>>());
    assert_eq!(events[0]["Type"], "ExecutionStarted");
    assert_eq!(events[1]["Type"], "StepEntered");
    assert_eq!(events[1]["StepName"], "p0");
    assert_eq!(events[2]["Type"], "StepExited");
    assert_eq!(events[2]["ScheduleEventId"], 2);
    assert_eq!(events[81]["Type"], "ExecutionSucceeded");
    for e in &events {
        assert!(
            e["Time"]
                .as_str()
                .is_some_and(|t| t.len() == 24 && t.ends_with('Z'))
        );
        assert!(
            serde_json::from_str::<Value>(e["EventDetail"].as_str().unwrap_or_default()).is_ok()
        );
    }

    let (_, default_page) = caller
        .call(
            "GetExecutionHistory",
            &[("FlowName", "long"), ("ExecutionName", "h")],
        )
        .await;
    assert_eq!(default_page["Events"].as_array().map(Vec::len), Some(60));
    assert_error(
        &caller
            .call(
                "GetExecutionHistory",
                &[
                    ("FlowName", "long"),
                    ("ExecutionName", "h"),
                    ("Limit", "1001"),
                ],
            )
            .await,
        400,
        "InvalidArgument",
    );
    emulator.shutdown().await;
}

fn names(page: &Value) -> Vec<String> {
    page["Executions"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e["Name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn list_executions_filters_by_status_prefix_and_start_time_and_pages() {
    let emulator = start(config()).await;
    emulator
        .create_flow("hold", WAIT_FROM_INPUT, ExecutionMode::Standard)
        .expect("flow");
    let caller = Caller::new(&emulator);
    for (name, wait) in [
        ("quick-1", "0"),
        ("quick-2", "0"),
        ("slow-1", "300"),
        ("slow-2", "300"),
    ] {
        let input = format!(r#"{{"wait":{wait}}}"#);
        caller
            .call(
                "StartExecution",
                &[
                    ("FlowName", "hold"),
                    ("ExecutionName", name),
                    ("Input", &input),
                ],
            )
            .await;
    }
    for name in ["quick-1", "quick-2"] {
        caller
            .call(
                "DescribeExecution",
                &[
                    ("FlowName", "hold"),
                    ("ExecutionName", name),
                    ("WaitTimeSeconds", "10"),
                ],
            )
            .await;
    }
    let list = |params: Vec<(&'static str, String)>| {
        let caller = caller.clone();
        async move {
            let mut all: Vec<(&str, &str)> = vec![("FlowName", "hold")];
            all.extend(params.iter().map(|(k, v)| (*k, v.as_str())));
            let (status, body) = caller.call("ListExecutions", &all).await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    assert_eq!(
        names(&list(vec![]).await),
        ["quick-1", "quick-2", "slow-1", "slow-2"]
    );
    assert_eq!(
        names(&list(vec![("Status", "Running".into())]).await),
        ["slow-1", "slow-2"]
    );
    assert_eq!(
        names(&list(vec![("Status", "Succeeded".into())]).await),
        ["quick-1", "quick-2"]
    );
    assert_eq!(
        names(&list(vec![("ExecutionNamePrefix", "slow".into())]).await),
        ["slow-1", "slow-2"]
    );
    let future = "2999-01-01T00:00:00Z".to_string();
    assert!(names(&list(vec![("StartedTimeBegin", future.clone())]).await).is_empty());
    assert_eq!(
        names(&list(vec![("StartedTimeEnd", future)]).await).len(),
        4
    );

    let first = list(vec![("Limit", "3".into())]).await;
    assert_eq!(names(&first), ["quick-1", "quick-2", "slow-1"]);
    let token = first["NextToken"]
        .as_str()
        .expect("a next page")
        .to_string();
    let second = list(vec![("Limit", "3".into()), ("NextToken", token)]).await;
    assert_eq!(names(&second), ["slow-2"]);
    assert!(second["NextToken"].as_str().is_none_or(str::is_empty));
    // MetadataOnly: the same items without Input, Output or definition.
    let full = list(vec![("Status", "Succeeded".into())]).await;
    assert!(full["Executions"][0]["Input"].is_string(), "{full}");
    let bare = list(vec![
        ("Status", "Succeeded".into()),
        ("MetadataOnly", "true".into()),
    ])
    .await;
    assert_eq!(names(&bare), ["quick-1", "quick-2"]);
    for field in ["Input", "Output", "FlowDefinition"] {
        assert!(bare["Executions"][0].get(field).is_none(), "{bare}");
    }
    assert_eq!(bare["Executions"][0]["Status"], "Succeeded");
    assert_error(
        &caller
            .call(
                "ListExecutions",
                &[("FlowName", "hold"), ("MetadataOnly", "maybe")],
            )
            .await,
        400,
        "InvalidArgument",
    );
    assert_error(
        &caller
            .call("ListExecutions", &[("FlowName", "hold"), ("Limit", "101")])
            .await,
        400,
        "InvalidArgument",
    );
    emulator.shutdown().await;
}
