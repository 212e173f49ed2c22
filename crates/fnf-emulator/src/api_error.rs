//! The fnf error answers: each code with the HTTP status and message template
//! of the seed's table (and the facts file for the codes it adds). The only
//! place that decides a status for a code.

/// Codes the emulator answers that are not in the seed's table, with why:
/// - `SignatureNonceUsed` (400): what Alibaba's API gateway answers for a reused
///   `SignatureNonce`; the seed does not list one.
/// - `InvalidSecurityToken.Expired` / `.Mismatch` / `.Malformed` (403): the STS
///   token answers of Alibaba's gateway.
/// - `FlowAlreadyExists` (409): CreateFlow on an existing name.
/// - `ExecutionAlreadyExists`, `ExecutionAlreadyCompleted` (400),
///   `ConcurrentUpdateError` (409): from the facts file.
pub fn status_for_code(code: &str) -> u16 {
    match code {
        "InvalidArgument"
        | "MissingRequiredHeader"
        | "MissingRequiredParams"
        | "ActionNotSupported"
        | "APIVersionNotSupported"
        | "EntityTooLarge"
        | "ExecutionAlreadyExists"
        | "ExecutionAlreadyCompleted"
        | "SignatureNonceUsed" => 400,
        "InvalidAccessKeyID" | "RequestTimeTooSkewed" | "SignatureNotMatch" | "AccessDenied" => 403,
        c if c.starts_with("InvalidSecurityToken") => 403,
        // STS's answers for AssumeRoleWithOIDC.
        "MissingParameter" => 400,
        c if c.starts_with("InvalidParameter.") || c.starts_with("AuthenticationFail.") => 400,
        "ExecutionNotExists" | "FlowNotExists" => 404,
        "FlowAlreadyExists" | "ConcurrentUpdateError" => 409,
        "PreconditionFailed" => 412,
        "UnsupportedMediaType" => 415,
        "ResourceThrottled" => 429,
        "ServiceUnavailable" => 503,
        _ => 500,
    }
}

fn default_message(code: &str) -> &'static str {
    match code {
        "InvalidArgument" => "Parameter error.",
        "AccessDenied" => "The resources doesn't belong to you.",
        "PreconditionFailed" => "The resource to be modified has been changed.",
        "ResourceThrottled" => "The request is throttled. Please try again later.",
        "ConcurrentUpdateError" => "Update conflict, please retry.",
        "SignatureNotMatch" => {
            "The request signature we calculated does not match the signature you provided. Check your access key and signing method."
        }
        "SignatureNonceUsed" => "Specified signature nonce was used already.",
        // The seed's text, kept verbatim although the API takes form bodies.
        "UnsupportedMediaType" => "The content type must be \"application/json\".",
        _ => "An internal error has occurred. Please retry.",
    }
}

/// An error answer as the service sends it: `{RequestId, HostId, Code, Message, Recommend}`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_string(),
            message: message.into(),
        }
    }

    /// An answer with the seed's message for `code` (used by fault injection too).
    pub fn with_default_message(code: &str) -> Self {
        Self::new(code, default_message(code))
    }

    pub fn status(&self) -> u16 {
        status_for_code(&self.code)
    }

    pub fn invalid_argument(detail: impl Into<String>) -> Self {
        Self::new("InvalidArgument", detail)
    }

    pub fn missing_param(name: &str) -> Self {
        Self::new(
            "MissingRequiredParams",
            format!("The HTTP query '{name}' must be specified."),
        )
    }

    pub fn missing_header(name: &str) -> Self {
        Self::new(
            "MissingRequiredHeader",
            format!("The HTTP header '{name}' must be specified."),
        )
    }

    pub fn action_not_supported(action: &str) -> Self {
        Self::new(
            "ActionNotSupported",
            format!("The requested API operation '{action}' is incorrect. Please check."),
        )
    }

    pub fn version_not_supported(version: &str) -> Self {
        Self::new(
            "APIVersionNotSupported",
            format!("The requested API version '{version}' is not supported yet. Please check."),
        )
    }

    pub fn entity_too_large(limit_bytes: usize) -> Self {
        Self::new(
            "EntityTooLarge",
            format!("The payload size exceeds maximum allowed size ({limit_bytes} bytes)."),
        )
    }

    pub fn flow_not_exists(flow: &str) -> Self {
        Self::new("FlowNotExists", format!("Flow {flow} does not exist."))
    }

    pub fn execution_not_exists(flow: &str, execution: &str) -> Self {
        Self::new(
            "ExecutionNotExists",
            format!("Execution {execution} for flow {flow} does not exist."),
        )
    }

    pub fn execution_already_exists(flow: &str, execution: &str) -> Self {
        Self::new(
            "ExecutionAlreadyExists",
            format!("Execution {execution} for flow {flow} already exists."),
        )
    }

    pub fn execution_already_completed(flow: &str, execution: &str) -> Self {
        Self::new(
            "ExecutionAlreadyCompleted",
            format!("Execution '{execution}' for flow '{flow}' has already completed."),
        )
    }

    pub fn access_denied() -> Self {
        Self::with_default_message("AccessDenied")
    }

    pub fn throttled() -> Self {
        Self::with_default_message("ResourceThrottled")
    }

    pub fn internal() -> Self {
        Self::with_default_message("InternalServerError")
    }

    /// The JSON body the service answers with.
    pub fn body(&self, request_id: &str, host_id: &str) -> serde_json::Value {
        serde_json::json!({
            "RequestId": request_id,
            "HostId": host_id,
            "Code": self.code,
            "Message": self.message,
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={}&product=fnf", self.code),
        })
    }
}
