//! Errors of the fnf layer: what the cloud answered, or why we could not ask it.
//!
//! Every variant has a stable `reason()` for Events, conditions and metric
//! labels. Messages never carry secrets (keys, tokens, signatures, signed URLs).

use std::time::Duration;

/// Cloud error codes this client knows, with the CamelCase reason each maps
/// to. Codes not listed here are kept verbatim in [`FnfError::Api`] but report
/// the reason `UnknownCloudError`, so metric labels stay bounded.
const KNOWN_CODES: &[(&str, &str)] = &[
    // The seed's DescribeExecution table.
    ("InvalidArgument", "InvalidArgument"),
    ("MissingRequiredHeader", "MissingRequiredHeader"),
    ("MissingRequiredParams", "MissingRequiredParams"),
    ("ActionNotSupported", "ActionNotSupported"),
    ("APIVersionNotSupported", "APIVersionNotSupported"),
    ("EntityTooLarge", "EntityTooLarge"),
    ("InvalidAccessKeyID", "InvalidAccessKeyID"),
    ("RequestTimeTooSkewed", "RequestTimeTooSkewed"),
    ("SignatureNotMatch", "SignatureNotMatch"),
    ("AccessDenied", "AccessDenied"),
    ("ExecutionNotExists", "ExecutionNotExists"),
    ("FlowNotExists", "FlowNotExists"),
    ("PreconditionFailed", "PreconditionFailed"),
    ("UnsupportedMediaType", "UnsupportedMediaType"),
    ("ResourceThrottled", "ResourceThrottled"),
    ("InternalServerError", "InternalServerError"),
    // StartExecution / StopExecution.
    ("ExecutionAlreadyExists", "ExecutionAlreadyExists"),
    ("ExecutionAlreadyCompleted", "ExecutionAlreadyCompleted"),
    ("ConcurrentUpdateError", "ConcurrentUpdateError"),
    // Flow management calls that `call` may reach.
    ("FlowAlreadyExists", "FlowAlreadyExists"),
    ("ScheduleNotExists", "ScheduleNotExists"),
    ("ResourceInUse", "ResourceInUse"),
    // Alibaba's API gateway answers these before the request reaches fnf.
    ("Throttling", "Throttling"),
    ("Throttling.User", "ThrottlingUser"),
    ("Throttling.Api", "ThrottlingApi"),
    ("ServiceUnavailable", "ServiceUnavailable"),
    ("InternalError", "InternalError"),
    ("SignatureDoesNotMatch", "SignatureDoesNotMatch"),
    ("IncompleteSignature", "IncompleteSignature"),
    ("SignatureNonceUsed", "SignatureNonceUsed"),
    ("InvalidTimeStamp.Expired", "InvalidTimeStampExpired"),
    ("InvalidAccessKeyId.NotFound", "InvalidAccessKeyIdNotFound"),
    ("InvalidAccessKeyId.Inactive", "InvalidAccessKeyIdInactive"),
    (
        "InvalidSecurityToken.Expired",
        "InvalidSecurityTokenExpired",
    ),
    (
        "InvalidSecurityToken.Malformed",
        "InvalidSecurityTokenMalformed",
    ),
    ("Forbidden.RAM", "ForbiddenRam"),
];

/// Codes worth retrying with back-off (the facts file's list plus the
/// gateway's throttling and availability codes).
const RETRYABLE_CODES: &[&str] = &[
    "ResourceThrottled",
    "InternalServerError",
    "ConcurrentUpdateError",
    "PreconditionFailed",
    "RequestTimeTooSkewed",
    "Throttling",
    "Throttling.User",
    "Throttling.Api",
    "ServiceUnavailable",
    "InternalError",
];

/// HTTP statuses worth retrying when the body carries no code we know
/// (a load balancer's 502 page, for example).
const RETRYABLE_HTTP_STATUSES: &[u16] = &[429, 500, 502, 503, 504];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FnfError {
    /// The cloud answered with an error status.
    #[error("fnf answered HTTP {http_status} {}: {message}{}", display_code(.code), display_request_id(.request_id))]
    Api {
        /// The cloud's `Code`, verbatim; empty when the body carried none.
        code: String,
        message: String,
        request_id: Option<String>,
        http_status: u16,
        /// From header `x-acs-retry-after` (milliseconds on the wire).
        retry_after: Option<Duration>,
    },
    #[error("could not reach fnf: {0}")]
    Transport(String),
    #[error("fnf did not answer in time")]
    Timeout,
    #[error("could not decode the fnf response: {0}")]
    Decode(String),
    #[error("no usable cloud credentials: {0}")]
    Credentials(String),
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
}

fn display_code(code: &str) -> String {
    if code.is_empty() {
        "without an error code".to_string()
    } else {
        code.to_string()
    }
}

fn display_request_id(request_id: &Option<String>) -> String {
    match request_id {
        Some(id) => format!(" (RequestId {id})"),
        None => String::new(),
    }
}

impl FnfError {
    /// The cloud's error code, verbatim, for API errors.
    pub fn code(&self) -> Option<&str> {
        match self {
            FnfError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn http_status(&self) -> Option<u16> {
        match self {
            FnfError::Api { http_status, .. } => Some(*http_status),
            _ => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            FnfError::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FnfError::Api { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Stable CamelCase reason for Events, conditions and metric labels.
    pub fn reason(&self) -> &'static str {
        match self {
            FnfError::Api { code, .. } => known_code_reason(code).unwrap_or("UnknownCloudError"),
            FnfError::Transport(_) => "Transport",
            FnfError::Timeout => "Timeout",
            FnfError::Decode(_) => "Decode",
            FnfError::Credentials(_) => "Credentials",
            FnfError::InvalidConfig(_) => "InvalidConfig",
        }
    }

    /// Whether the same request may succeed if sent again after a back-off.
    /// `RequestTimeTooSkewed` counts as retryable; the client retries it only
    /// once, re-signed with a fresh timestamp.
    pub fn is_retryable(&self) -> bool {
        match self {
            FnfError::Api {
                code,
                http_status,
                retry_after,
                ..
            } => {
                if RETRYABLE_CODES.contains(&code.as_str()) || retry_after.is_some() {
                    // The official SDK treats any error carrying
                    // `x-acs-retry-after` as throttling.
                    true
                } else if known_code_reason(code).is_some() {
                    // A known code decides, whatever the HTTP status says.
                    false
                } else {
                    RETRYABLE_HTTP_STATUSES.contains(http_status)
                }
            }
            FnfError::Transport(_) | FnfError::Timeout => true,
            FnfError::Decode(_) | FnfError::Credentials(_) | FnfError::InvalidConfig(_) => false,
        }
    }

    /// The cloud refused the request because of its rate limits.
    pub fn is_throttling(&self) -> bool {
        match self {
            FnfError::Api {
                code,
                http_status,
                retry_after,
                ..
            } => {
                matches!(
                    code.as_str(),
                    "ResourceThrottled" | "Throttling" | "Throttling.User" | "Throttling.Api"
                ) || retry_after.is_some()
                    || (code.is_empty() && *http_status == 429)
            }
            _ => false,
        }
    }
}

/// The reason for a cloud code this client knows, `None` for any other.
pub fn known_code_reason(code: &str) -> Option<&'static str> {
    KNOWN_CODES
        .iter()
        .find(|(known, _)| *known == code)
        .map(|(_, reason)| *reason)
}

/// Every cloud code this client knows (for tests and documentation).
pub fn known_codes() -> impl Iterator<Item = &'static str> {
    KNOWN_CODES.iter().map(|(code, _)| *code)
}

/// The longest error message kept from a body that is not the JSON error
/// shape (an HTML page from a proxy, say), so errors stay readable.
const FOREIGN_ERROR_BODY_MAX_CHARS: usize = 200;

/// Builds the error for a non-success answer. Never fails: a body that is not
/// the documented JSON shape still yields an `Api` error with an empty code.
pub fn api_error_from_body(
    http_status: u16,
    header_request_id: Option<String>,
    retry_after: Option<Duration>,
    body: &[u8],
) -> FnfError {
    // Only a JSON object is the error shape (a derived struct would also read
    // an array, by position). Raw values read any depth (a deep `Message` must
    // not hide the code), and a repeated key keeps its last value.
    type Fields = std::collections::HashMap<String, Box<serde_json::value::RawValue>>;
    let parsed: Option<Fields> = serde_json::from_slice(body).ok();
    let text = |fields: &Fields, key: &str| {
        let raw = fields.get(key)?;
        match serde_json::from_str(raw.get()) {
            Ok(serde_json::Value::String(s)) => Some(s),
            Ok(serde_json::Value::Null) => None,
            Ok(other) => Some(other.to_string()),
            // Deeper than serde_json reads into a value: kept as sent.
            Err(_) => Some(raw.get().to_string()),
        }
    };
    match parsed {
        Some(fields) => FnfError::Api {
            code: text(&fields, "Code").unwrap_or_default(),
            message: text(&fields, "Message").unwrap_or_default(),
            request_id: text(&fields, "RequestId")
                .filter(|id| !id.is_empty())
                .or(header_request_id),
            http_status,
            retry_after,
        },
        None => FnfError::Api {
            code: String::new(),
            message: String::from_utf8_lossy(body)
                .chars()
                .take(FOREIGN_ERROR_BODY_MAX_CHARS)
                .collect(),
            request_id: header_request_id,
            http_status,
            retry_after,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str, status: u16) -> FnfError {
        FnfError::Api {
            code: code.into(),
            message: String::new(),
            request_id: None,
            http_status: status,
            retry_after: None,
        }
    }

    #[test]
    fn unknown_codes_keep_the_code_but_report_a_bounded_reason() {
        let err = api("Some.NewCode", 400);
        assert_eq!(err.reason(), "UnknownCloudError");
        assert_eq!(err.code(), Some("Some.NewCode"));
    }

    #[test]
    fn the_code_decides_retryability_over_the_http_status() {
        assert!(!api("ExecutionNotExists", 500).is_retryable());
        assert!(api("ResourceThrottled", 400).is_retryable());
        assert!(api("", 503).is_retryable());
        assert!(!api("", 404).is_retryable());
    }

    #[test]
    fn every_reason_is_camel_case() {
        for (_, reason) in KNOWN_CODES {
            assert!(
                reason.chars().all(|c| c.is_ascii_alphanumeric()),
                "{reason}"
            );
            assert!(
                reason.starts_with(|c: char| c.is_ascii_uppercase()),
                "{reason}"
            );
        }
    }

    #[test]
    fn a_proxy_page_becomes_an_api_error_without_a_code() {
        let err = api_error_from_body(502, None, None, b"<html>bad gateway</html>");
        assert_eq!(err.code(), Some(""));
        assert!(err.is_retryable());
    }
}
