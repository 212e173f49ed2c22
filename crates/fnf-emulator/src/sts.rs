//! A stand-in for STS `AssumeRoleWithOIDC` on the emulator's own listener:
//! exchanges an OIDC token the config lists for temporary credentials the
//! emulator then accepts until they expire. Unsigned, like the real call.
//! Never logs the token or the issued secret.

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::actions::Params;
use super::api_error::ApiError;
use super::clock::format_secs;
use super::config::StsCredential;
use super::service::Service;

pub const ACTION: &str = "AssumeRoleWithOIDC";
/// STS's documented bounds and default for DurationSeconds.
pub const DURATION_MIN_SECS: u64 = 900;
pub const DURATION_MAX_SECS: u64 = 43_200;
pub const DURATION_DEFAULT_SECS: u64 = 3600;

fn random_token(len_bytes: usize) -> String {
    (0..len_bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

/// Error codes here are STS's own (`MissingParameter`, `InvalidParameter`,
/// `AuthenticationFail.OIDCToken.Invalid`), not fnf's.
pub fn assume_role_with_oidc(
    service: &Service,
    params: &[(String, String)],
) -> Result<Value, ApiError> {
    let p = Params(params);
    let required = |name: &str| {
        p.get(name).ok_or_else(|| {
            ApiError::new(
                "MissingParameter",
                format!("{name} is mandatory for this action."),
            )
        })
    };
    let role_arn = required("RoleArn")?;
    required("OIDCProviderArn")?;
    let token = required("OIDCToken")?;
    let session = p.get("RoleSessionName").unwrap_or("emulator-session");
    let duration_secs = match p.get("DurationSeconds") {
        None => DURATION_DEFAULT_SECS,
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|d| (DURATION_MIN_SECS..=DURATION_MAX_SECS).contains(d))
            .ok_or_else(|| {
                ApiError::new(
                    "InvalidParameter.DurationSeconds",
                    format!(
                        "DurationSeconds must be in [{DURATION_MIN_SECS}, {DURATION_MAX_SECS}]."
                    ),
                )
            })?,
    };
    // Trailing newlines are common in token files and not part of the JWT.
    let duration_secs = service.sts_duration_secs.unwrap_or(duration_secs);
    let accepted = service
        .oidc_tokens
        .read()
        .map(|tokens| tokens.iter().any(|t| t.trim() == token.trim()))
        .unwrap_or(false);
    if !accepted {
        return Err(ApiError::new(
            "AuthenticationFail.OIDCToken.Invalid",
            "The OIDC token is invalid.",
        ));
    }
    let now: Timestamp = service.clock.now();
    let expiration = now
        .checked_add(SignedDuration::from_secs(duration_secs as i64))
        .unwrap_or(now);
    let credential = StsCredential {
        access_key_id: format!("STS.{}", random_token(12).to_ascii_uppercase()),
        access_key_secret: random_token(20),
        security_token: format!("CAIS{}", random_token(48)),
        expiration: Some(format_secs(expiration)),
        allowed_flows: None,
    };
    service
        .credentials
        .add_issued_sts(&credential, expiration, role_arn);
    tracing::info!(
        role_arn,
        session,
        access_key_id = credential.access_key_id,
        "issued STS credentials"
    );
    Ok(json!({
        "AssumedRoleUser": {
            "Arn": format!("{role_arn}/{session}"),
            "AssumedRoleId": format!("{}:{session}", random_token(8)),
        },
        "Credentials": {
            "AccessKeyId": credential.access_key_id,
            "AccessKeySecret": credential.access_key_secret,
            "SecurityToken": credential.security_token,
            "Expiration": credential.expiration,
        },
    }))
}
