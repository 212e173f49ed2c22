//! The fnf client against a recording server on 127.0.0.1: what each action
//! sends and that it is signed; parsers never panic. The `call` command
//! built on it is tested with the operator (`fnf-operator/tests/offline/cli_call.rs`).
//! Error mapping is in `errors`; timing (long-polls, back-off, quotas) in
//! `timing`.

use std::collections::HashSet;

use fnf_client::error::FnfError;
use fnf_client::model::{Execution, ExecutionsPage, Flow, HistoryPage, decode_response};
use fnf_client::{ListExecutions, SignatureVersion, StartExecution};
use fnf_testkit::cloud_stub::*;
use proptest::prelude::*;
use serde_json::json;

/// Answers each action with a plausible body.
fn cloud_reply(request: &Recorded, _: usize) -> Reply {
    match request.action().as_str() {
        "GetExecutionHistory" => Reply::json(
            200,
            json!({"RequestId": "r", "NextToken": "t2", "Events": [
                {"Type": "ExecutionStarted", "EventId": 1, "Time": "2019-01-01T01:01:01.001Z", "EventDetail": "{}"},
                {"Type": "StepEntered", "EventId": "2", "ScheduleEventId": 1, "StepName": "s"}
            ]}),
        ),
        "ListExecutions" => Reply::json(
            200,
            json!({"RequestId": "r", "Executions": [execution_json("Running")], "NextToken": ""}),
        ),
        "DescribeFlow" => Reply::json(
            200,
            json!({"Name": "my_flow", "Id": "id", "Type": "FDL", "ExecutionMode": "Standard", "RoleArn": ""}),
        ),
        _ => Reply::json(200, execution_json("Running")),
    }
}

async fn run_every_action(server: &TestServer, signature: SignatureVersion) {
    let client = client_for(server, signature);
    let execution = client
        .describe_execution("my_flow", "my_exec", 0)
        .await
        .unwrap();
    assert_eq!(execution.status.as_deref(), Some("Running"));
    assert_eq!(execution.stopped_time, None);
    let start = StartExecution {
        flow_name: "my_flow".into(),
        execution_name: "my_exec".into(),
        input: Some(r#"{"text": "a b+c/d*e~f'g", "zh": "流程"}"#.into()),
        qualifier: None,
    };
    client.start_execution(&start).await.unwrap();
    client
        .stop_execution(
            "my_flow",
            "my_exec",
            "Cancelled",
            "deleted by kubectl (ns/x)",
        )
        .await
        .unwrap();
    let history = client
        .get_execution_history("my_flow", "my_exec", Some("t1"), Some(50))
        .await
        .unwrap();
    assert_eq!(history.events.len(), 2);
    assert_eq!(history.events[1].event_id, 2);
    assert_eq!(history.next_token.as_deref(), Some("t2"));
    let list = ListExecutions {
        flow_name: "my_flow".into(),
        limit: Some(100),
        status: Some("Running".into()),
        ..Default::default()
    };
    let page = client.list_executions(&list).await.unwrap();
    assert_eq!(page.executions.len(), 1);
    assert_eq!(page.next_token, None);
    let flow = client.describe_flow("my_flow").await.unwrap();
    assert!(flow.is_standard());
    assert_eq!(flow.role_arn, None);
}

/// (action, method, parameters it must carry)
type ExpectedRequest = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
);

fn expected_requests() -> Vec<ExpectedRequest> {
    vec![
        (
            "DescribeExecution",
            "GET",
            vec![
                ("FlowName", "my_flow"),
                ("ExecutionName", "my_exec"),
                ("WaitTimeSeconds", "0"),
            ],
        ),
        (
            "StartExecution",
            "POST",
            vec![
                ("ExecutionName", "my_exec"),
                ("Input", r#"{"text": "a b+c/d*e~f'g", "zh": "流程"}"#),
            ],
        ),
        (
            "StopExecution",
            "POST",
            vec![
                ("Error", "Cancelled"),
                ("Cause", "deleted by kubectl (ns/x)"),
            ],
        ),
        (
            "GetExecutionHistory",
            "GET",
            vec![("NextToken", "t1"), ("Limit", "50")],
        ),
        (
            "ListExecutions",
            "GET",
            vec![("Limit", "100"), ("Status", "Running")],
        ),
        ("DescribeFlow", "GET", vec![("Name", "my_flow")]),
    ]
}

fn assert_requests_match(server: &TestServer) {
    let requests = server.requests();
    let expected = expected_requests();
    assert_eq!(requests.len(), expected.len());
    for (request, (action, method, params)) in requests.iter().zip(expected) {
        assert_eq!(request.action(), action);
        assert_eq!(request.method, method, "{action}");
        for (key, value) in params {
            assert_eq!(request.param(key).as_deref(), Some(value), "{action} {key}");
        }
        if method == "POST" {
            assert_eq!(
                request.header("content-type"),
                Some("application/x-www-form-urlencoded")
            );
            // Action parameters travel in the body, never in the query.
            assert!(request.query_param("FlowName").is_none(), "{action}");
            assert_eq!(
                request
                    .form()
                    .iter()
                    .find(|(k, _)| k == "FlowName")
                    .map(|(_, v)| v.as_str()),
                Some("my_flow")
            );
        } else {
            assert!(request.body.is_empty(), "{action}");
        }
        verify_signature(request, SECRET).unwrap_or_else(|e| panic!("{action}: {e}"));
    }
}

#[tokio::test]
async fn every_action_sends_its_parameters_signed_with_rpc() {
    let server = TestServer::start(cloud_reply).await;
    run_every_action(&server, SignatureVersion::Rpc).await;
    assert_requests_match(&server);
    let now = jiff::Timestamp::now();
    let mut nonces = HashSet::new();
    for request in server.requests() {
        assert_eq!(request.query_param("Format"), Some("json"));
        assert_eq!(request.query_param("Version"), Some("2019-03-15"));
        assert_eq!(request.query_param("SignatureMethod"), Some("HMAC-SHA1"));
        assert_eq!(request.query_param("SignatureVersion"), Some("1.0"));
        assert_eq!(request.query_param("AccessKeyId"), Some(KEY_ID));
        let timestamp = request.query_param("Timestamp").unwrap();
        assert_eq!(timestamp.len(), "2026-11-24T12:45:04Z".len(), "{timestamp}");
        let sent: jiff::Timestamp = timestamp.parse().unwrap();
        assert!((now.as_second() - sent.as_second()).abs() < 300);
        assert!(nonces.insert(request.query_param("SignatureNonce").unwrap().to_string()));
    }
}

#[tokio::test]
async fn every_action_sends_its_parameters_signed_with_v3() {
    let server = TestServer::start(cloud_reply).await;
    run_every_action(&server, SignatureVersion::V3).await;
    assert_requests_match(&server);
    let mut nonces = HashSet::new();
    for request in server.requests() {
        assert_eq!(request.header("x-acs-version"), Some("2019-03-15"));
        assert!(
            request
                .header("authorization")
                .unwrap()
                .contains(&format!("Credential={KEY_ID},"))
        );
        assert!(nonces.insert(request.header("x-acs-signature-nonce").unwrap().to_string()));
    }
}

#[tokio::test]
async fn sts_tokens_are_sent_and_signed_in_both_signature_versions() {
    let server = TestServer::start(cloud_reply).await;
    for signature in [SignatureVersion::Rpc, SignatureVersion::V3] {
        let mut config = config_for(&server);
        config.signature = signature;
        let client = fnf_client::Client::new(config, static_credentials(Some("sts-token/+=")));
        client
            .describe_execution("my_flow", "my_exec", 0)
            .await
            .unwrap();
    }
    let requests = server.requests();
    assert_eq!(
        requests[0].query_param("SecurityToken"),
        Some("sts-token/+=")
    );
    assert_eq!(
        requests[1].header("x-acs-security-token"),
        Some("sts-token/+=")
    );
    assert!(
        requests[1]
            .header("authorization")
            .unwrap()
            .contains("x-acs-security-token")
    );
    for request in &requests {
        verify_signature(request, SECRET).unwrap();
        // The same request signed with another secret must not verify.
        assert!(verify_signature(request, "other-secret").is_err());
    }
}

#[tokio::test]
async fn invalid_parameters_are_refused_before_any_request() {
    let server = TestServer::start(cloud_reply).await;
    let client = client_for(&server, SignatureVersion::Rpc);
    let err = client.describe_execution("f", "e", 61).await.unwrap_err();
    assert!(
        matches!(&err, FnfError::InvalidConfig(m) if m.contains("WaitTimeSeconds")),
        "{err}"
    );
    let err = client
        .describe_execution("f", "ns.name", 0)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ExecutionName"), "{err}");
    let err = client.stop_execution("f", "e", "", "c").await.unwrap_err();
    assert!(err.to_string().contains("Error"), "{err}");
    let err = client.call("Describe Execution", vec![]).await.unwrap_err();
    assert_eq!(err.reason(), "InvalidConfig");
    assert_eq!(server.count(), 0);
}

proptest! {
    #[test]
    fn parsers_never_panic_on_random_or_truncated_bodies(
        noise in proptest::collection::vec(any::<u8>(), 0..300),
        cut in any::<prop::sample::Index>(),
        status in 100u16..600,
    ) {
        let valid = json!({"Events": [{"Type": "TaskFailed", "EventId": 3, "EventDetail": "{\"error\":\"e\"}"}],
            "Executions": [execution_json("Failed")], "Name": "n", "Status": "Failed", "NextToken": "x"}).to_string();
        let truncated = &valid.as_bytes()[..cut.index(valid.len())];
        for body in [noise.as_slice(), truncated] {
            let results = [
                decode_response::<Execution>(body).err(),
                decode_response::<HistoryPage>(body).err(),
                decode_response::<ExecutionsPage>(body).err(),
                decode_response::<Flow>(body).err(),
                decode_response::<serde_json::Value>(body).err(),
            ];
            for err in results.into_iter().flatten() {
                prop_assert!(matches!(err, FnfError::Decode(_)));
            }
            let err = fnf_client::error::api_error_from_body(status, None, None, body);
            prop_assert_eq!(err.http_status(), Some(status));
        }
        // A truncated document is never mistaken for a complete one.
        prop_assert!(decode_response::<Execution>(truncated).is_err());
    }
}
