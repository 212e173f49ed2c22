//! The execution actions: StartExecution, DescribeExecution (with its
//! long-poll), StopExecution, GetExecutionHistory, ListExecutions. Never checks
//! signatures or quotas (the pipeline did).

use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::actions::{LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, Params};
use super::api_error::ApiError;
use super::credentials::Principal;
use super::interpreter;
use super::service::Service;
use super::store::Started;

/// The longest DescribeExecution may hold a request.
pub const LONG_POLL_MAX_SECS: u64 = 60;
/// Input is kept in one history event, whose data the service limits.
pub const INPUT_MAX_BYTES: usize = 32 * 1024;
pub const HISTORY_LIMIT_MAX: u64 = 1000;
pub const HISTORY_LIMIT_DEFAULT: u64 = 60;

pub fn start(service: &Service, p: &Params<'_>, principal: &Principal) -> Result<Value, ApiError> {
    let flow = p.flow_name("FlowName", principal)?;
    let generated;
    let name = match p.get("ExecutionName") {
        Some(_) => p.name("ExecutionName")?,
        None => {
            // The service names an unnamed execution itself.
            generated = format!("exec-{:016x}", rand::random::<u64>());
            &generated
        }
    };
    let input = p.get("Input").unwrap_or_default();
    if input.len() > INPUT_MAX_BYTES {
        return Err(ApiError::invalid_argument(format!(
            "Input is larger than {INPUT_MAX_BYTES} bytes."
        )));
    }
    if !input.is_empty() && !serde_json::from_str::<Value>(input).is_ok_and(|v| v.is_object()) {
        return Err(ApiError::invalid_argument("Input must be a JSON object."));
    }
    match service.store.start_execution(flow, name, input)? {
        Started::AlreadyRunning(execution) => Ok(execution.describe()),
        Started::Created(execution, definition) => {
            service.counters.record_created(flow, name);
            service.call_log.record_created(flow, name);
            tracing::info!(flow, execution = name, "execution created");
            interpreter::spawn(execution.clone(), definition);
            Ok(execution.describe())
        }
    }
}

pub async fn describe(
    service: &Service,
    p: &Params<'_>,
    principal: &Principal,
) -> Result<Value, ApiError> {
    let flow = p.flow_name("FlowName", principal)?;
    let name = p.name("ExecutionName")?;
    let wait_secs = p
        .int("WaitTimeSeconds", 0, LONG_POLL_MAX_SECS)?
        .unwrap_or(0);
    let execution = service.store.execution(flow, name)?;
    if wait_secs > 0 && !execution.status().is_terminal() {
        let _held = service.counters.hold_long_poll();
        execution
            .wait_until_ended(Duration::from_secs(wait_secs))
            .await;
    }
    Ok(execution.describe())
}

/// The documented bounds of StopExecution's Error and Cause.
const STOP_ERROR_MAX_CHARS: usize = 128;
const STOP_CAUSE_MAX_CHARS: usize = 4096;

pub fn stop(service: &Service, p: &Params<'_>, principal: &Principal) -> Result<Value, ApiError> {
    let flow = p.flow_name("FlowName", principal)?;
    let name = p.name("ExecutionName")?;
    let error = p.get("Error").unwrap_or_default();
    let cause = p.get("Cause").unwrap_or_default();
    if error.chars().count() > STOP_ERROR_MAX_CHARS || cause.chars().count() > STOP_CAUSE_MAX_CHARS
    {
        return Err(ApiError::invalid_argument(format!(
            "Error is limited to {STOP_ERROR_MAX_CHARS} characters and Cause to {STOP_CAUSE_MAX_CHARS}."
        )));
    }
    let execution = service.store.execution(flow, name)?;
    if !execution.stop(error, cause) {
        return Err(ApiError::execution_already_completed(flow, name));
    }
    Ok(execution.describe())
}

pub fn history(
    service: &Service,
    p: &Params<'_>,
    principal: &Principal,
) -> Result<Value, ApiError> {
    let flow = p.flow_name("FlowName", principal)?;
    let name = p.name("ExecutionName")?;
    let limit = p
        .int("Limit", 1, HISTORY_LIMIT_MAX)?
        .unwrap_or(HISTORY_LIMIT_DEFAULT) as usize;
    let from = p.token()?;
    let execution = service.store.execution(flow, name)?;
    let (events, next) = execution.events(from, limit);
    let mut answer = json!({ "Events": events.iter().map(|e| e.to_json()).collect::<Vec<_>>() });
    if let Some(next) = next {
        answer["NextToken"] = Value::String(next.to_string());
    }
    Ok(answer)
}

fn time_param(p: &Params<'_>, name: &str) -> Result<Option<Timestamp>, ApiError> {
    p.get(name)
        .map(|raw| {
            raw.parse::<Timestamp>().map_err(|_| {
                ApiError::invalid_argument(format!("{name} '{raw}' is not an RFC 3339 time."))
            })
        })
        .transpose()
}

const STATUSES: [&str; 6] = [
    "Starting",
    "Running",
    "Stopped",
    "Succeeded",
    "Failed",
    "TimedOut",
];

pub fn list(service: &Service, p: &Params<'_>, principal: &Principal) -> Result<Value, ApiError> {
    let flow = p.flow_name("FlowName", principal)?;
    let limit = p
        .int("Limit", 1, LIST_LIMIT_MAX)?
        .unwrap_or(LIST_LIMIT_DEFAULT) as usize;
    let from = p.token()?;
    let status = p.get("Status");
    if let Some(s) = status
        && !STATUSES.contains(&s)
    {
        return Err(ApiError::invalid_argument(format!(
            "Status '{s}' is invalid."
        )));
    }
    let begin = time_param(p, "StartedTimeBegin")?;
    let end = time_param(p, "StartedTimeEnd")?;
    let prefix = p.get("ExecutionNamePrefix").unwrap_or_default();
    let metadata_only = match p.get("MetadataOnly") {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::invalid_argument(format!(
                "MetadataOnly '{other}' is invalid."
            )));
        }
    };
    let all = service.store.executions(flow)?;
    let matches = |e: &&std::sync::Arc<super::execution::Execution>| {
        e.name.starts_with(prefix)
            && begin.is_none_or(|b| e.started >= b)
            && end.is_none_or(|t| e.started <= t)
            && status.is_none_or(|s| e.status().as_str() == s)
    };
    // The token is a position in the flow's start order, so executions that
    // change status between pages are neither skipped nor repeated.
    let mut page = Vec::new();
    let mut position = from;
    while position < all.len() && page.len() < limit {
        if let Some(e) = all.get(position).filter(|e| matches(e)) {
            let mut item = e.describe();
            if metadata_only && let Some(fields) = item.as_object_mut() {
                for field in ["Input", "Output", "FlowDefinition"] {
                    fields.remove(field);
                }
            }
            page.push(item);
        }
        position += 1;
    }
    let more = all.iter().skip(position).any(|e| matches(&e));
    let mut answer = json!({ "Executions": page });
    if more {
        answer["NextToken"] = Value::String(position.to_string());
    }
    Ok(answer)
}
