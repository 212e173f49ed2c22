//! The fnf actions behind a verified request: parameter rules shared by all,
//! the flow actions, and dispatch to the execution actions. Answers JSON
//! without RequestId (the pipeline adds it); never checks signatures.

use serde_json::{Value, json};

use super::api_error::ApiError;
use super::config::ExecutionMode;
use super::credentials::Principal;
use super::execution_actions;
use super::service::Service;
use super::store::{FlowUpdate, NewFlow};

const SUPPORTED_ACTIONS: [&str; 10] = [
    "CreateFlow",
    "UpdateFlow",
    "DescribeFlow",
    "ListFlows",
    "DeleteFlow",
    "StartExecution",
    "DescribeExecution",
    "StopExecution",
    "GetExecutionHistory",
    "ListExecutions",
];

pub fn is_supported(action: &str) -> bool {
    SUPPORTED_ACTIONS.contains(&action)
}

pub async fn dispatch(
    service: &Service,
    action: &str,
    params: &[(String, String)],
    principal: &Principal,
) -> Result<Value, ApiError> {
    let p = Params(params);
    match action {
        "CreateFlow" => create_flow(service, &p, principal),
        "UpdateFlow" => update_flow(service, &p, principal),
        "DescribeFlow" => {
            let name = p.flow_name("Name", principal)?;
            service.store.describe_flow(name)
        }
        "ListFlows" => list_flows(service, &p, principal),
        "DeleteFlow" => {
            let name = p.flow_name("Name", principal)?;
            service.store.delete_flow(name)?;
            Ok(json!({}))
        }
        "StartExecution" => execution_actions::start(service, &p, principal),
        "DescribeExecution" => execution_actions::describe(service, &p, principal).await,
        "StopExecution" => execution_actions::stop(service, &p, principal),
        "GetExecutionHistory" => execution_actions::history(service, &p, principal),
        "ListExecutions" => execution_actions::list(service, &p, principal),
        other => Err(ApiError::action_not_supported(other)),
    }
}

/// A request's parameters; an empty value counts as absent.
pub struct Params<'a>(pub &'a [(String, String)]);

impl Params<'_> {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn required(&self, name: &'static str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::missing_param(name))
    }

    /// A required resource name that must be valid.
    pub fn name(&self, param: &'static str) -> Result<&str, ApiError> {
        let value = self.required(param)?;
        if !is_valid_name(value) {
            return Err(ApiError::invalid_argument(format!(
                "{param} '{value}' is invalid: use 1-128 letters, digits, '_' or '-', starting with a letter or '_'."
            )));
        }
        Ok(value)
    }

    /// A flow name the caller is allowed to use.
    pub fn flow_name(&self, param: &'static str, principal: &Principal) -> Result<&str, ApiError> {
        let name = self.name(param)?;
        if !principal.may_use_flow(name) {
            return Err(ApiError::access_denied());
        }
        Ok(name)
    }

    /// An optional integer within `min..=max`.
    pub fn int(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, ApiError> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        match raw.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(ApiError::invalid_argument(format!(
                "{name} '{raw}' is invalid: it must be an integer in [{min}, {max}]."
            ))),
        }
    }

    /// An optional paging token: an index into the listing.
    pub fn token(&self) -> Result<usize, ApiError> {
        match self.get("NextToken") {
            None => Ok(0),
            Some(raw) => raw
                .parse()
                .map_err(|_| ApiError::invalid_argument(format!("NextToken '{raw}' is invalid."))),
        }
    }
}

/// Letters, digits, `_`, `-`; starts with a letter or `_`; 1–128 characters.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 128
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn create_flow(
    service: &Service,
    p: &Params<'_>,
    principal: &Principal,
) -> Result<Value, ApiError> {
    let name = p.flow_name("Name", principal)?;
    let definition = p.required("Definition")?;
    if p.get("Type").is_some_and(|t| t != "FDL") {
        return Err(ApiError::invalid_argument("Type must be FDL."));
    }
    let mode = match p.get("ExecutionMode") {
        None => ExecutionMode::Standard,
        Some(raw) => ExecutionMode::parse(raw).ok_or_else(|| {
            ApiError::invalid_argument(format!("ExecutionMode '{raw}' is invalid."))
        })?,
    };
    let role_arn = p.get("RoleArn").unwrap_or_default();
    if !role_arn.is_empty() && !is_valid_role_arn(role_arn) {
        return Err(ApiError::invalid_argument(format!(
            "RoleArn '{role_arn}' is invalid: expected acs:ram::<account id>:role/<role name>."
        )));
    }
    service.store.create_flow(NewFlow {
        name,
        definition,
        mode,
        description: p.get("Description").unwrap_or_default(),
        role_arn,
    })
}

fn update_flow(
    service: &Service,
    p: &Params<'_>,
    principal: &Principal,
) -> Result<Value, ApiError> {
    let name = p.flow_name("Name", principal)?;
    if p.get("Type").is_some_and(|t| t != "FDL") {
        return Err(ApiError::invalid_argument("Type must be FDL."));
    }
    let role_arn = p.get("RoleArn");
    if let Some(role) = role_arn.filter(|r| !is_valid_role_arn(r)) {
        return Err(ApiError::invalid_argument(format!(
            "RoleArn '{role}' is invalid: expected acs:ram::<account id>:role/<role name>."
        )));
    }
    service.store.update_flow(FlowUpdate {
        name,
        definition: p.get("Definition"),
        description: p.get("Description"),
        role_arn,
    })
}

/// `acs:ram::{digits}:role/{name}`, the shape of every RAM role ARN: the
/// cloud refuses a role it cannot assume; the emulator refuses one that
/// cannot be a role.
fn is_valid_role_arn(arn: &str) -> bool {
    let Some(rest) = arn.strip_prefix("acs:ram::") else {
        return false;
    };
    let Some((account, role)) = rest.split_once(":role/") else {
        return false;
    };
    !account.is_empty()
        && account.chars().all(|c| c.is_ascii_digit())
        && !role.is_empty()
        && role
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// The most items one page of a listing may hold, and the default.
pub const LIST_LIMIT_MAX: u64 = 100;
pub const LIST_LIMIT_DEFAULT: u64 = 60;

fn list_flows(service: &Service, p: &Params<'_>, principal: &Principal) -> Result<Value, ApiError> {
    let limit = p
        .int("Limit", 1, LIST_LIMIT_MAX)?
        .unwrap_or(LIST_LIMIT_DEFAULT) as usize;
    let from = p.token()?;
    let flows = service
        .store
        .list_flows(|name| principal.may_use_flow(name));
    let page: Vec<Value> = flows
        .iter()
        .skip(from)
        .take(limit)
        .map(|(_, v)| v.clone())
        .collect();
    let next = from + page.len();
    let mut answer = json!({ "Flows": page });
    if next < flows.len() {
        answer["NextToken"] = Value::String(next.to_string());
    }
    Ok(answer)
}
