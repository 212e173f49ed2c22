//! Property tests of what the client reads from the wire: success bodies
//! decode or fail with `Decode`, never a panic; error bodies keep the
//! cloud's `Code` whatever else the JSON holds; any code keeps a bounded
//! reason and round-trips through `ErrorCode`.

use fnf_client::error::{FnfError, api_error_from_body, known_code_reason};
use fnf_client::model::{decode_response, parse_cloud_time};
use fnf_client::{ErrorCode, Execution, ExecutionsPage, Flow, HistoryPage};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Field names of the models and the error body, so objects reach them.
const FIELDS: &[&str] = &[
    "Code",
    "Message",
    "RequestId",
    "HostId",
    "Name",
    "FlowName",
    "Status",
    "Input",
    "Output",
    "StartedTime",
    "StoppedTime",
    "Events",
    "Executions",
    "NextToken",
    "Type",
    "EventId",
    "ScheduleEventId",
    "Time",
    "StepName",
    "EventDetail",
    "Definition",
    "ExecutionMode",
    "code",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELDS), inner), 0..6).prop_map(object),
        ]
    })
}

fn object(fields: Vec<(&str, Value)>) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map<String, Value>>(),
    )
}

fn decode_every_model(body: &[u8]) {
    let _ = decode_response::<Execution>(body).map(|e| (e.started_at(), e.is_terminal()));
    let _ = decode_response::<Flow>(body).map(|f| f.is_standard());
    let _ = decode_response::<HistoryPage>(body);
    let _ = decode_response::<ExecutionsPage>(body);
}

fn is_decode(result: Result<Execution, FnfError>) -> bool {
    matches!(result, Ok(_) | Err(FnfError::Decode(_)))
}

proptest! {
    #[test]
    fn no_bytes_panic_the_success_decoders(body in prop::collection::vec(any::<u8>(), 0..300)) {
        decode_every_model(&body);
        prop_assert!(is_decode(decode_response::<Execution>(&body)));
    }

    #[test]
    fn no_json_panics_the_success_decoders(doc in json_value()) {
        decode_every_model(doc.to_string().as_bytes());
    }

    /// The model's strings are lenient: any JSON object is an Execution, and
    /// a non-empty string status is kept verbatim.
    #[test]
    fn any_object_decodes_as_an_execution(doc in json_value(), status in "\\PC{1,12}") {
        let mut fields = match doc {
            Value::Object(fields) => fields,
            _ => Map::new(),
        };
        fields.insert("Status".into(), Value::String(status.clone()));
        let execution = decode_response::<Execution>(Value::Object(fields).to_string().as_bytes());
        prop_assert!(execution.is_ok(), "{:?}", execution.err());
        prop_assert_eq!(execution.ok().and_then(|e| e.status), Some(status));
    }

    #[test]
    fn no_text_panics_the_time_parser(text in "\\PC{0,40}") {
        let _ = parse_cloud_time(&text);
    }

    #[test]
    fn an_error_body_keeps_its_code_whatever_else_it_holds(
        code in "\\PC{0,24}",
        others in prop::collection::vec((prop::sample::select(FIELDS), json_value()), 0..6),
        message in json_value(),
        status in 100u16..600,
    ) {
        let mut fields: Map<String, Value> = others
            .into_iter()
            .filter(|(k, _)| *k != "Code")
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        fields.insert("Message".into(), message);
        fields.insert("Code".into(), Value::String(code.clone()));
        let body = Value::Object(fields).to_string();
        let err = api_error_from_body(status, None, None, body.as_bytes());
        prop_assert_eq!(err.code(), Some(code.as_str()));
        prop_assert_eq!(err.http_status(), Some(status));
        check_bounded(&err);
    }

    #[test]
    fn no_error_body_panics_the_error_parser_or_loses_boundedness(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..400),
            json_value().prop_map(|v| v.to_string().into_bytes()),
        ],
        status in 0u16..1000,
        header_id in prop::option::of("[a-z0-9-]{1,20}"),
    ) {
        let err = api_error_from_body(status, header_id, None, &body);
        check_bounded(&err);
        if serde_json::from_slice::<Value>(&body).map(|v| !v.is_object()).unwrap_or(true) {
            // Not the JSON error shape: no code, and the message is cut short.
            prop_assert_eq!(err.code(), Some(""));
            if let FnfError::Api { message, .. } = &err {
                prop_assert!(message.chars().count() <= 200);
            }
        }
    }

    #[test]
    fn any_code_round_trips_through_error_code(code in "\\PC{0,30}") {
        let typed = ErrorCode::from_code(&code);
        prop_assert_eq!(typed.as_str(), code.as_str());
    }
}

/// Reasons stay a bounded, known set (metric labels); retryability is decided.
fn check_bounded(err: &FnfError) {
    let reason = err.reason();
    let code = err.code().unwrap_or_default();
    assert!(
        reason == "UnknownCloudError" || known_code_reason(code) == Some(reason),
        "{reason} for {code:?}"
    );
    let _ = (err.is_retryable(), err.is_throttling(), err.to_string());
}

#[test]
fn an_error_body_keeps_its_code_beside_a_deeply_nested_message() {
    for depth in [100, 200, 10_000] {
        let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        for body in [
            format!(r#"{{"Code":"Throttling.User","Message":{deep},"RequestId":"r1"}}"#),
            format!(r#"{{"Message":{deep},"Code":"Throttling.User"}}"#),
            format!(r#"{{"Code":"Throttling.User","Data":{{"x":{deep}}}}}"#),
        ] {
            let err = api_error_from_body(429, None, None, body.as_bytes());
            assert_eq!(err.code(), Some("Throttling.User"), "depth {depth}");
            assert!(err.is_throttling());
        }
    }
}

#[test]
fn an_error_body_with_a_repeated_field_keeps_a_code() {
    let err = api_error_from_body(
        400,
        None,
        None,
        br#"{"Code":"InvalidArgument","Message":"a","Code":"InvalidArgument"}"#,
    );
    assert_eq!(err.code(), Some("InvalidArgument"));
}

#[test]
fn a_json_array_is_not_the_error_shape() {
    // Found by the property above: the old derived struct read an array by
    // position, so `["Throttling"]` gave the code "Throttling".
    for body in [&b"[false]"[..], br#"["Throttling","m","r"]"#] {
        let err = api_error_from_body(400, None, None, body);
        assert_eq!(err.code(), Some(""), "{}", String::from_utf8_lossy(body));
    }
}
