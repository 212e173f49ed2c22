//! The flow-management actions (CreateFlow, UpdateFlow, DeleteFlow), each
//! validated before it costs a quota token or a round trip. They share the
//! account's "other actions" bucket with DescribeFlow, ListExecutions and
//! StopExecution.
//!
//! Must not retry, sign or send by itself: `Client::send` does that once, for
//! every action.

use super::client::Client;
use super::error::FnfError;
use super::model::{Flow, decode_response, validate_name, validate_text_len};
use super::request::HttpMethod;

/// The largest definition the cloud accepts (it documents 128 KiB).
pub const DEFINITION_MAX_BYTES: usize = 128 * 1024;
/// Description's documented length.
pub const DESCRIPTION_MAX_CHARS: usize = 256;

/// A flow as CreateFlow and UpdateFlow send it. `execution_mode` is only sent
/// by CreateFlow: the cloud cannot change a flow's mode.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowDeclaration {
    pub name: String,
    pub definition: String,
    pub description: String,
    /// Empty sends none (the flow then has no role).
    pub role_arn: String,
    /// `Standard` or `Express`.
    pub execution_mode: String,
}

type Params = Vec<(String, String)>;

fn param(key: &str, value: impl Into<String>) -> (String, String) {
    (key.to_string(), value.into())
}

fn declaration_params(flow: &FlowDeclaration) -> Result<Params, FnfError> {
    validate_name("Name", &flow.name)?;
    validate_text_len("Definition", &flow.definition, 1..=DEFINITION_MAX_BYTES)?;
    validate_text_len("Description", &flow.description, 0..=DESCRIPTION_MAX_CHARS)?;
    let mut params = vec![
        param("Name", &flow.name),
        param("Definition", &flow.definition),
        param("Type", "FDL"),
        // The cloud requires Description on CreateFlow; an empty one is fine.
        param("Description", &flow.description),
    ];
    if !flow.role_arn.is_empty() {
        params.push(param("RoleArn", &flow.role_arn));
    }
    Ok(params)
}

impl Client {
    /// Creates a flow; fails with `FlowAlreadyExists` when one of that name exists.
    pub async fn create_flow(&self, flow: &FlowDeclaration) -> Result<Flow, FnfError> {
        let mut params = declaration_params(flow)?;
        if !flow.execution_mode.is_empty() {
            params.push(param("ExecutionMode", &flow.execution_mode));
        }
        let body = self
            .send(
                "CreateFlow",
                HttpMethod::Post,
                &params,
                self.config().request_timeout,
            )
            .await?;
        decode_response(&body)
    }

    /// Replaces a flow's definition, description and role; idempotent.
    pub async fn update_flow(&self, flow: &FlowDeclaration) -> Result<Flow, FnfError> {
        let params = declaration_params(flow)?;
        let body = self
            .send(
                "UpdateFlow",
                HttpMethod::Post,
                &params,
                self.config().request_timeout,
            )
            .await?;
        decode_response(&body)
    }

    /// Deletes a flow. The cloud no longer answers for its executions
    /// afterwards (running ones end, and none can be read).
    pub async fn delete_flow(&self, name: &str) -> Result<(), FnfError> {
        validate_name("Name", name)?;
        let params: Params = vec![param("Name", name)];
        self.send(
            "DeleteFlow",
            HttpMethod::Post,
            &params,
            self.config().request_timeout,
        )
        .await?;
        Ok(())
    }
}
