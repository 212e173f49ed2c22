//! The typed fnf actions the operator uses, each validated before it costs a
//! quota token or a round trip.
//!
//! Must not retry, sign or send by itself: `Client::send` does that once, for
//! every action.

use std::time::Duration;

use super::client::Client;
use super::error::FnfError;
use super::model::{
    Execution, ExecutionsPage, Flow, HistoryPage, ListExecutions, StartExecution, decode_response,
    validate_name, validate_range, validate_text_len,
};
use super::request::HttpMethod;

/// DescribeExecution's `WaitTimeSeconds` range.
pub const LONG_POLL_WAIT_MAX_SECS: u32 = 60;
/// GetExecutionHistory's `Limit` range.
pub const HISTORY_PAGE_MAX_EVENTS: u32 = 1000;
/// ListExecutions' `Limit` range.
pub const EXECUTIONS_PAGE_MAX_ITEMS: u32 = 100;
const STOP_ERROR_MAX_CHARS: usize = 128;
const STOP_CAUSE_MAX_CHARS: usize = 4096;

type Params = Vec<(String, String)>;

fn param(key: &str, value: impl Into<String>) -> (String, String) {
    (key.to_string(), value.into())
}

impl Client {
    /// Long-polls for up to `wait_time_secs` (0..=60; 0 answers at once). The
    /// HTTP timeout is the wait plus the configured margin, so the cloud's
    /// full wait is never cut short.
    pub async fn describe_execution(
        &self,
        flow_name: &str,
        execution_name: &str,
        wait_time_secs: u32,
    ) -> Result<Execution, FnfError> {
        validate_name("FlowName", flow_name)?;
        validate_name("ExecutionName", execution_name)?;
        validate_range(
            "WaitTimeSeconds",
            wait_time_secs,
            0..=LONG_POLL_WAIT_MAX_SECS,
        )?;
        let params: Params = vec![
            param("FlowName", flow_name),
            param("ExecutionName", execution_name),
            param("WaitTimeSeconds", wait_time_secs.to_string()),
        ];
        let timeout =
            self.config().request_timeout + Duration::from_secs(u64::from(wait_time_secs));
        let body = self
            .send("DescribeExecution", HttpMethod::Get, &params, timeout)
            .await?;
        decode_response(&body)
    }

    /// Starts an execution; safe to retry with the same name (a running one is
    /// returned, an ended one fails with `ExecutionAlreadyExists`).
    pub async fn start_execution(&self, request: &StartExecution) -> Result<Execution, FnfError> {
        validate_name("FlowName", &request.flow_name)?;
        validate_name("ExecutionName", &request.execution_name)?;
        let mut params: Params = vec![
            param("FlowName", &request.flow_name),
            param("ExecutionName", &request.execution_name),
        ];
        if let Some(input) = &request.input {
            params.push(param("Input", input));
        }
        if let Some(qualifier) = &request.qualifier {
            params.push(param("Qualifier", qualifier));
        }
        let body = self
            .send(
                "StartExecution",
                HttpMethod::Post,
                &params,
                self.config().request_timeout,
            )
            .await?;
        decode_response(&body)
    }

    pub async fn stop_execution(
        &self,
        flow_name: &str,
        execution_name: &str,
        error: &str,
        cause: &str,
    ) -> Result<Execution, FnfError> {
        validate_name("FlowName", flow_name)?;
        validate_name("ExecutionName", execution_name)?;
        validate_text_len("Error", error, 1..=STOP_ERROR_MAX_CHARS)?;
        validate_text_len("Cause", cause, 1..=STOP_CAUSE_MAX_CHARS)?;
        let params: Params = vec![
            param("FlowName", flow_name),
            param("ExecutionName", execution_name),
            param("Error", error),
            param("Cause", cause),
        ];
        let body = self
            .send(
                "StopExecution",
                HttpMethod::Post,
                &params,
                self.config().request_timeout,
            )
            .await?;
        decode_response(&body)
    }

    pub async fn get_execution_history(
        &self,
        flow_name: &str,
        execution_name: &str,
        next_token: Option<&str>,
        limit: Option<u32>,
    ) -> Result<HistoryPage, FnfError> {
        validate_name("FlowName", flow_name)?;
        validate_name("ExecutionName", execution_name)?;
        let mut params: Params = vec![
            param("FlowName", flow_name),
            param("ExecutionName", execution_name),
        ];
        if let Some(token) = next_token.filter(|t| !t.is_empty()) {
            params.push(param("NextToken", token));
        }
        if let Some(limit) = limit {
            validate_range("Limit", limit, 1..=HISTORY_PAGE_MAX_EVENTS)?;
            params.push(param("Limit", limit.to_string()));
        }
        let body = self
            .send(
                "GetExecutionHistory",
                HttpMethod::Get,
                &params,
                self.config().request_timeout,
            )
            .await?;
        decode_response(&body)
    }

    pub async fn list_executions(
        &self,
        request: &ListExecutions,
    ) -> Result<ExecutionsPage, FnfError> {
        validate_name("FlowName", &request.flow_name)?;
        let mut params: Params = vec![param("FlowName", &request.flow_name)];
        if let Some(limit) = request.limit {
            validate_range("Limit", limit, 1..=EXECUTIONS_PAGE_MAX_ITEMS)?;
            params.push(param("Limit", limit.to_string()));
        }
        let optional = [
            ("NextToken", &request.next_token),
            ("Status", &request.status),
            ("StartedTimeBegin", &request.started_time_begin),
            ("StartedTimeEnd", &request.started_time_end),
            ("ExecutionNamePrefix", &request.execution_name_prefix),
        ];
        for (key, value) in optional {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                params.push(param(key, value));
            }
        }
        if request.metadata_only {
            params.push(param("MetadataOnly", "true"));
        }
        let body = self
            .send(
                "ListExecutions",
                HttpMethod::Get,
                &params,
                self.config().request_timeout,
            )
            .await?;
        decode_response(&body)
    }

    pub async fn describe_flow(&self, name: &str) -> Result<Flow, FnfError> {
        validate_name("Name", name)?;
        let params: Params = vec![param("Name", name)];
        let body = self
            .send(
                "DescribeFlow",
                HttpMethod::Get,
                &params,
                self.config().request_timeout,
            )
            .await?;
        decode_response(&body)
    }
}
