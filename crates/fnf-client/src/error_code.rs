//! The cloud error codes a caller reacts to, as a type: a match on
//! [`ErrorCode`] is checked by the compiler where a match on the code's text
//! is not. Every other code is kept verbatim in [`ErrorCode::Other`].

use crate::error::{FnfError, known_code_reason};

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// No execution of that name exists (yet: reads can lag behind a start).
    ExecutionNotExists,
    /// The flow does not exist in this region and account.
    FlowNotExists,
    /// StartExecution of a name already used: the answer names that execution.
    ExecutionAlreadyExists,
    /// StopExecution of an execution that has already ended.
    ExecutionAlreadyCompleted,
    /// CreateFlow of a name already used (adopt it instead).
    FlowAlreadyExists,
    // Credentials the cloud does not know, or that may not do this.
    InvalidAccessKeyId,
    InvalidAccessKeyIdNotFound,
    InvalidAccessKeyIdInactive,
    SignatureNotMatch,
    SignatureDoesNotMatch,
    AccessDenied,
    ForbiddenRam,
    InvalidSecurityTokenExpired,
    InvalidSecurityTokenMalformed,
    // The request itself was refused.
    InvalidArgument,
    MissingRequiredParams,
    EntityTooLarge,
    /// Any other code, verbatim (empty when the answer carried none).
    Other(String),
}

/// The typed codes with the cloud's spelling of each.
const CODES: &[(ErrorCode, &str)] = &[
    (ErrorCode::ExecutionNotExists, "ExecutionNotExists"),
    (ErrorCode::FlowNotExists, "FlowNotExists"),
    (ErrorCode::ExecutionAlreadyExists, "ExecutionAlreadyExists"),
    (
        ErrorCode::ExecutionAlreadyCompleted,
        "ExecutionAlreadyCompleted",
    ),
    (ErrorCode::FlowAlreadyExists, "FlowAlreadyExists"),
    (ErrorCode::InvalidAccessKeyId, "InvalidAccessKeyID"),
    (
        ErrorCode::InvalidAccessKeyIdNotFound,
        "InvalidAccessKeyId.NotFound",
    ),
    (
        ErrorCode::InvalidAccessKeyIdInactive,
        "InvalidAccessKeyId.Inactive",
    ),
    (ErrorCode::SignatureNotMatch, "SignatureNotMatch"),
    (ErrorCode::SignatureDoesNotMatch, "SignatureDoesNotMatch"),
    (ErrorCode::AccessDenied, "AccessDenied"),
    (ErrorCode::ForbiddenRam, "Forbidden.RAM"),
    (
        ErrorCode::InvalidSecurityTokenExpired,
        "InvalidSecurityToken.Expired",
    ),
    (
        ErrorCode::InvalidSecurityTokenMalformed,
        "InvalidSecurityToken.Malformed",
    ),
    (ErrorCode::InvalidArgument, "InvalidArgument"),
    (ErrorCode::MissingRequiredParams, "MissingRequiredParams"),
    (ErrorCode::EntityTooLarge, "EntityTooLarge"),
];

impl ErrorCode {
    /// The code as the cloud spells it in an error answer.
    pub fn from_code(code: &str) -> Self {
        CODES.iter().find(|(_, text)| *text == code).map_or_else(
            || ErrorCode::Other(code.to_string()),
            |(typed, _)| typed.clone(),
        )
    }

    /// The code whose stable reason (`FnfError::reason`) is `reason`;
    /// `Other` with the reason when no typed code has it.
    pub fn from_reason(reason: &str) -> Self {
        CODES
            .iter()
            .find(|(_, text)| known_code_reason(text) == Some(reason))
            .map_or_else(
                || ErrorCode::Other(reason.to_string()),
                |(typed, _)| typed.clone(),
            )
    }

    /// The cloud's spelling.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Other(code) => code,
            typed => CODES
                .iter()
                .find(|(known, _)| known == typed)
                .map_or("", |(_, text)| text),
        }
    }

    /// Credentials the cloud does not know, or that may not make this call:
    /// fixable without a spec change (a Secret or a RAM policy).
    pub fn is_credentials(&self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidAccessKeyId
                | ErrorCode::InvalidAccessKeyIdNotFound
                | ErrorCode::InvalidAccessKeyIdInactive
                | ErrorCode::SignatureNotMatch
                | ErrorCode::SignatureDoesNotMatch
                | ErrorCode::AccessDenied
                | ErrorCode::ForbiddenRam
                | ErrorCode::InvalidSecurityTokenExpired
                | ErrorCode::InvalidSecurityTokenMalformed
        )
    }

    /// The request itself was refused: sending it again cannot help.
    pub fn is_request_refused(&self) -> bool {
        matches!(
            self,
            ErrorCode::InvalidArgument
                | ErrorCode::MissingRequiredParams
                | ErrorCode::EntityTooLarge
        )
    }
}

impl FnfError {
    /// The cloud's error code, typed, for API errors.
    pub fn error_code(&self) -> Option<ErrorCode> {
        self.code().map(ErrorCode::from_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_round_trip_and_others_are_kept_verbatim() {
        for (typed, text) in CODES {
            assert_eq!(&ErrorCode::from_code(text), typed);
            assert_eq!(typed.as_str(), *text);
            assert!(known_code_reason(text).is_some(), "{text} is a known code");
        }
        assert_eq!(
            ErrorCode::from_code("Throttling.User"),
            ErrorCode::Other("Throttling.User".into())
        );
        assert_eq!(ErrorCode::from_code("").as_str(), "");
        assert_eq!(
            ErrorCode::from_reason("InvalidAccessKeyIdNotFound"),
            ErrorCode::InvalidAccessKeyIdNotFound
        );
        assert_eq!(
            ErrorCode::from_reason("ForbiddenRam"),
            ErrorCode::ForbiddenRam
        );
    }
}
