//! One fuzz input for the client's response and error parsers: any body
//! decodes into each model or fails with `Decode`; any error body gives an
//! API error with a bounded reason, keeping a string `Code` when the body is
//! a JSON object with one. Used by the `client_response` fuzz target and the
//! client's corpus replay.

use fnf_client::error::{FnfError, api_error_from_body, known_code_reason};
use fnf_client::model::decode_response;
use fnf_client::{Execution, ExecutionsPage, Flow, HistoryPage};

pub fn check(data: &[u8]) {
    decoded_or_decode_error(decode_response::<Execution>(data).map(|e| e.started_at()));
    decoded_or_decode_error(decode_response::<Flow>(data).map(|f| f.is_standard()));
    decoded_or_decode_error(decode_response::<HistoryPage>(data).map(|p| p.events.len()));
    decoded_or_decode_error(decode_response::<ExecutionsPage>(data).map(|p| p.executions.len()));

    let err = api_error_from_body(503, Some("header-id".to_string()), None, data);
    let code = err.code().unwrap_or_default().to_string();
    let reason = err.reason();
    assert!(reason == "UnknownCloudError" || known_code_reason(&code) == Some(reason));
    let _ = (err.is_retryable(), err.is_throttling(), err.to_string());
    if let Some(expected) = string_code(data) {
        assert_eq!(code, expected, "the body's Code is kept");
    }
}

fn decoded_or_decode_error<T>(result: Result<T, FnfError>) {
    if let Err(err) = result {
        assert!(matches!(err, FnfError::Decode(_)), "{err:?}");
    }
}

/// The body's `Code` when it is a JSON object whose last `Code` is a string
/// (read without a depth limit: a deep value elsewhere must not hide it).
fn string_code(data: &[u8]) -> Option<String> {
    let fields: std::collections::HashMap<String, Box<serde_json::value::RawValue>> =
        serde_json::from_slice(data).ok()?;
    serde_json::from_str(fields.get("Code")?.get()).ok()
}
