//! Typed requests and responses of the fnf actions this operator uses.
//!
//! Pure: no I/O. Decoding never panics; a body that is too large or not the
//! expected JSON is a `Decode` error. Strings are kept verbatim as the cloud
//! sent them (statuses, timestamps), with empty strings read as "not set".

use serde::{Deserialize, Deserializer};

use super::error::FnfError;

/// The largest response body the client accepts. fnf caps event data at
/// 64 KiB and pages at 1000 events, so a legitimate answer is far smaller.
pub const RESPONSE_BODY_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Execution statuses after which nothing changes any more.
pub const TERMINAL_STATUSES: &[&str] = &["Stopped", "Succeeded", "Failed", "TimedOut"];

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Execution {
    #[serde(deserialize_with = "lenient_string")]
    pub name: String,
    #[serde(deserialize_with = "lenient_string")]
    pub flow_name: String,
    #[serde(deserialize_with = "optional_string")]
    pub status: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub input: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub output: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub started_time: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub stopped_time: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub flow_definition: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub request_id: Option<String>,
}

impl Execution {
    pub fn started_at(&self) -> Option<jiff::Timestamp> {
        self.started_time.as_deref().and_then(parse_cloud_time)
    }

    pub fn stopped_at(&self) -> Option<jiff::Timestamp> {
        self.stopped_time.as_deref().and_then(parse_cloud_time)
    }

    /// Unknown statuses count as not terminal.
    pub fn is_terminal(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|status| TERMINAL_STATUSES.contains(&status))
    }
}

/// Parses an RFC 3339 time as the cloud sends it (`Z` or an offset, with or
/// without fractional seconds). `None` for anything else.
pub fn parse_cloud_time(text: &str) -> Option<jiff::Timestamp> {
    text.trim().parse::<jiff::Timestamp>().ok()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HistoryEvent {
    #[serde(rename = "Type", deserialize_with = "lenient_string")]
    pub event_type: String,
    #[serde(deserialize_with = "lenient_i64")]
    pub event_id: i64,
    #[serde(deserialize_with = "optional_i64")]
    pub schedule_event_id: Option<i64>,
    #[serde(deserialize_with = "optional_string")]
    pub time: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub step_name: Option<String>,
    /// A JSON document carried as a string; its keys are not documented.
    #[serde(deserialize_with = "optional_string")]
    pub event_detail: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HistoryPage {
    #[serde(deserialize_with = "lenient_list")]
    pub events: Vec<HistoryEvent>,
    #[serde(deserialize_with = "optional_string")]
    pub next_token: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ExecutionsPage {
    #[serde(deserialize_with = "lenient_list")]
    pub executions: Vec<Execution>,
    #[serde(deserialize_with = "optional_string")]
    pub next_token: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Flow {
    #[serde(deserialize_with = "lenient_string")]
    pub name: String,
    #[serde(deserialize_with = "optional_string")]
    pub id: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub definition: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub description: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub role_arn: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub created_time: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub last_modified_time: Option<String>,
    /// `Standard`, `Express`, or empty (which means Standard).
    #[serde(deserialize_with = "optional_string")]
    pub execution_mode: Option<String>,
    #[serde(rename = "Type", deserialize_with = "optional_string")]
    pub type_: Option<String>,
    #[serde(deserialize_with = "optional_string")]
    pub request_id: Option<String>,
}

impl Flow {
    /// Only Standard flows can be started with StartExecution.
    pub fn is_standard(&self) -> bool {
        matches!(self.execution_mode.as_deref(), None | Some("Standard"))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StartExecution {
    pub flow_name: String,
    pub execution_name: String,
    /// A JSON document, sent as a string.
    pub input: Option<String>,
    pub qualifier: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListExecutions {
    pub flow_name: String,
    pub next_token: Option<String>,
    pub limit: Option<u32>,
    pub status: Option<String>,
    pub started_time_begin: Option<String>,
    pub started_time_end: Option<String>,
    pub execution_name_prefix: Option<String>,
    /// `MetadataOnly`: items without Input and Output (smaller pages when
    /// only the names and statuses are needed).
    pub metadata_only: bool,
}

/// Decodes a success body into `T`: `Decode` when it is too large or not the
/// expected JSON, never a panic.
pub fn decode_response<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, FnfError> {
    if body.len() > RESPONSE_BODY_MAX_BYTES {
        return Err(FnfError::Decode(format!(
            "response body of {} bytes exceeds the {RESPONSE_BODY_MAX_BYTES}-byte limit",
            body.len()
        )));
    }
    serde_json::from_slice(body).map_err(|err| FnfError::Decode(err.to_string()))
}

/// Flow and execution names: letters, digits, `_` and `-`, starting with a
/// letter or `_`, 1 to 128 characters. `field` names the offending parameter.
pub fn validate_name(field: &str, name: &str) -> Result<(), FnfError> {
    const NAME_MAX_CHARS: usize = 128;
    let mut chars = name.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    let rest_ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if starts_well && rest_ok && name.len() <= NAME_MAX_CHARS {
        Ok(())
    } else {
        Err(FnfError::InvalidConfig(format!(
            "{field} {name:?} is not a valid fnf name: use 1 to {NAME_MAX_CHARS} letters, digits, '_' or '-', starting with a letter or '_'"
        )))
    }
}

/// Checks that a numeric parameter lies in `range`, naming it when not.
pub fn validate_range(
    field: &str,
    value: u32,
    range: std::ops::RangeInclusive<u32>,
) -> Result<(), FnfError> {
    if range.contains(&value) {
        Ok(())
    } else {
        Err(FnfError::InvalidConfig(format!(
            "{field} must be between {} and {}, got {value}",
            range.start(),
            range.end()
        )))
    }
}

/// Checks a free-text parameter's length in characters, naming it when wrong.
pub fn validate_text_len(
    field: &str,
    value: &str,
    range: std::ops::RangeInclusive<usize>,
) -> Result<(), FnfError> {
    let len = value.chars().count();
    if range.contains(&len) {
        Ok(())
    } else {
        Err(FnfError::InvalidConfig(format!(
            "{field} must be {} to {} characters long, got {len}",
            range.start(),
            range.end()
        )))
    }
}

/// A string field that may come as a string, a number, a boolean or null.
fn optional_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match value {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
        Some(other) => Some(other.to_string()),
    })
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(optional_string(d)?.unwrap_or_default())
}

/// A number that may come as a JSON number or a numeric string.
fn optional_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match value {
        Some(serde_json::Value::Number(n)) => n.as_i64(),
        Some(serde_json::Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    })
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(optional_i64(d)?.unwrap_or_default())
}

/// A list that may be absent or null (fnf omits empty pages' lists).
fn lenient_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_seed_example() {
        let body = br#"{"Status":"Succeeded","StoppedTime":"2019-01-01T01:01:01.001Z","RequestId":"testRequestId","StartedTime":"2019-01-01T01:01:01.001Z","Output":"{\"key\":\"value\"}","FlowName":"my_flow_name","Name":"my_exec_name","Input":"{\"key\":\"value\"}"}"#;
        let execution: Execution = decode_response(body).unwrap();
        assert_eq!(execution.status.as_deref(), Some("Succeeded"));
        assert!(execution.is_terminal());
        assert_eq!(
            execution.started_at().map(|t| t.as_millisecond()),
            Some(1_546_304_461_001)
        );
    }

    #[test]
    fn empty_times_are_not_set_and_offsets_parse() {
        let body = br#"{"Name":"e","StartedTime":"2024-01-01T09:00:00+08:00","StoppedTime":""}"#;
        let execution: Execution = decode_response(body).unwrap();
        assert_eq!(execution.stopped_time, None);
        assert_eq!(
            execution.started_at().map(|t| t.as_second()),
            Some(1_704_070_800)
        );
    }

    #[test]
    fn unknown_statuses_are_kept_and_not_terminal() {
        let execution: Execution = decode_response(br#"{"Status":"Paused"}"#).unwrap();
        assert_eq!(execution.status.as_deref(), Some("Paused"));
        assert!(!execution.is_terminal());
    }

    #[test]
    fn names_follow_the_documented_rule() {
        assert!(validate_name("ExecutionName", "_run-1").is_ok());
        assert!(validate_name("ExecutionName", "1run").is_err());
        assert!(validate_name("ExecutionName", "ns.run").is_err());
        assert!(validate_name("ExecutionName", "").is_err());
        assert!(validate_name("ExecutionName", &"a".repeat(129)).is_err());
    }
}
