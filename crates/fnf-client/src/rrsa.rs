//! RRSA (RAM Roles for Service Accounts): trade the pod's OIDC token for STS
//! credentials with an unsigned `AssumeRoleWithOIDC`, cache them, and refresh
//! them before they expire.
//!
//! Must never log or return the OIDC token or the STS secret; the token file
//! is re-read at each exchange because the kubelet rotates it.

use std::path::PathBuf;
use std::time::Duration;

use super::credentials::{
    Credentials, ENV_OIDC_PROVIDER_ARN, ENV_OIDC_TOKEN_FILE, ENV_ROLE_ARN, ENV_ROLE_SESSION_NAME,
    ENV_STS_ENDPOINT, ENV_STS_REGION, ENV_VPC_ENDPOINT_ENABLED,
};
use super::endpoint::Endpoint;
use super::error::FnfError;
use super::sign::percent_encode;

/// Refresh cached credentials when this much validity or less remains.
pub const REFRESH_BEFORE_EXPIRY_SECS: i64 = 180;
pub const DEFAULT_SESSION_DURATION_SECS: u32 = 3600;
/// STS refuses shorter sessions.
pub const MIN_SESSION_DURATION_SECS: u32 = 900;
const STS_TIMEOUT_SECS: u64 = 15;
const STS_API_VERSION: &str = "2015-04-01";
const STS_ERROR_MESSAGE_MAX_CHARS: usize = 300;

#[derive(Debug, Clone)]
pub struct RrsaConfig {
    pub role_arn: String,
    pub oidc_provider_arn: String,
    pub oidc_token_file: PathBuf,
    pub role_session_name: String,
    pub sts_endpoint: Endpoint,
    pub duration_secs: u32,
    pub http: reqwest::Client,
}

impl RrsaConfig {
    /// Reads the RRSA variables (the names Alibaba's credential libraries use).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Result<Self, FnfError> {
        let require = |name: &str| {
            get(name).ok_or_else(|| FnfError::Credentials(format!("RRSA needs {name} to be set")))
        };
        let sts_endpoint = match (get(ENV_STS_ENDPOINT), get(ENV_STS_REGION)) {
            (Some(endpoint), _) => Endpoint::from_url_for_field(ENV_STS_ENDPOINT, &endpoint)?,
            (None, Some(region)) => {
                let vpc = get(ENV_VPC_ENDPOINT_ENABLED)
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"));
                let host = if vpc {
                    format!("sts-vpc.{region}.aliyuncs.com")
                } else {
                    format!("sts.{region}.aliyuncs.com")
                };
                Endpoint::from_url_for_field(ENV_STS_REGION, &host)?
            }
            (None, None) => Endpoint::from_url_for_field("STS endpoint", "sts.aliyuncs.com")?,
        };
        Ok(Self {
            role_arn: require(ENV_ROLE_ARN)?,
            oidc_provider_arn: require(ENV_OIDC_PROVIDER_ARN)?,
            oidc_token_file: PathBuf::from(require(ENV_OIDC_TOKEN_FILE)?),
            role_session_name: get(ENV_ROLE_SESSION_NAME).unwrap_or_else(default_session_name),
            sts_endpoint,
            duration_secs: DEFAULT_SESSION_DURATION_SECS,
            http: super::client::default_http_client()?,
        })
    }
}

fn default_session_name() -> String {
    format!("fnf-operator-{}", jiff::Timestamp::now().as_second())
}

struct Cached {
    credentials: Credentials,
    expiration: jiff::Timestamp,
}

pub(crate) struct RrsaSource {
    config: RrsaConfig,
    /// An async mutex held across the exchange, so concurrent callers wait for
    /// one exchange instead of each starting their own.
    cache: tokio::sync::Mutex<Option<Cached>>,
}

impl RrsaSource {
    pub(crate) fn new(config: RrsaConfig) -> Self {
        Self {
            config,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    pub(crate) fn role_arn(&self) -> &str {
        &self.config.role_arn
    }

    pub(crate) async fn credentials(&self) -> Result<Credentials, FnfError> {
        let mut cache = self.cache.lock().await;
        let now = jiff::Timestamp::now();
        if let Some(cached) = cache.as_ref()
            && seconds_left(cached, now) > REFRESH_BEFORE_EXPIRY_SECS
        {
            return Ok(cached.credentials.clone());
        }
        match self.exchange().await {
            Ok(fresh) => {
                tracing::info!(
                    role_arn = %self.config.role_arn,
                    expiration = %fresh.expiration,
                    "obtained STS credentials with RRSA"
                );
                let credentials = fresh.credentials.clone();
                *cache = Some(fresh);
                Ok(credentials)
            }
            Err(err) => match cache.as_ref() {
                // Still valid for a while: keep working and try again next call.
                Some(cached) if seconds_left(cached, now) > 0 => {
                    tracing::warn!(reason = err.reason(), error = %err, "RRSA refresh failed; using the cached credentials");
                    Ok(cached.credentials.clone())
                }
                _ => Err(err),
            },
        }
    }

    /// Drops the cached credentials if they are the ones the service refused
    /// as expired (revoked, or the clocks disagree), so the next call
    /// exchanges the token again instead of failing until the refresh margin.
    /// A key other than the cached one was already replaced: nothing to do.
    pub(crate) async fn forget_refused(&self, access_key_id: &str) {
        let mut cache = self.cache.lock().await;
        if cache
            .as_ref()
            .is_some_and(|cached| cached.credentials.access_key_id == access_key_id)
        {
            tracing::info!(role_arn = %self.config.role_arn, "the service refused the STS credentials as expired; exchanging the token again");
            *cache = None;
        }
    }

    async fn exchange(&self) -> Result<Cached, FnfError> {
        let config = &self.config;
        let token = tokio::fs::read_to_string(&config.oidc_token_file)
            .await
            .map_err(|err| {
                FnfError::Credentials(format!(
                    "could not read the OIDC token file {} (from {ENV_OIDC_TOKEN_FILE}): {}",
                    config.oidc_token_file.display(),
                    err.kind()
                ))
            })?;
        let timestamp = jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let query = encode_pairs(&[
            ("Action", "AssumeRoleWithOIDC"),
            ("Version", STS_API_VERSION),
            ("Format", "JSON"),
            ("Timestamp", &timestamp),
        ]);
        let duration = config
            .duration_secs
            .max(MIN_SESSION_DURATION_SECS)
            .to_string();
        let body = encode_pairs(&[
            ("RoleArn", &config.role_arn),
            ("OIDCProviderArn", &config.oidc_provider_arn),
            ("OIDCToken", token.trim()),
            ("RoleSessionName", &config.role_session_name),
            ("DurationSeconds", &duration),
        ]);
        let url = format!("{}?{query}", config.sts_endpoint.url());
        let response = config
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .timeout(Duration::from_secs(STS_TIMEOUT_SECS))
            .body(body)
            .send()
            .await
            .map_err(sts_transport_error)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(sts_transport_error)?;
        if !status.is_success() {
            return Err(sts_api_error(status.as_u16(), &bytes));
        }
        parse_sts_answer(&bytes)
    }
}

fn seconds_left(cached: &Cached, now: jiff::Timestamp) -> i64 {
    cached.expiration.as_second() - now.as_second()
}

fn encode_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn sts_transport_error(err: reqwest::Error) -> FnfError {
    let kind = if err.is_timeout() {
        "timed out"
    } else {
        "failed"
    };
    // `without_url`: the URL is harmless here, but keep one habit everywhere.
    FnfError::Credentials(format!(
        "STS AssumeRoleWithOIDC {kind}: {}",
        err.without_url()
    ))
}

fn sts_api_error(http_status: u16, body: &[u8]) -> FnfError {
    #[derive(serde::Deserialize, Default)]
    #[serde(rename_all = "PascalCase", default)]
    struct StsError {
        code: String,
        message: String,
    }
    let parsed: StsError = serde_json::from_slice(body).unwrap_or_default();
    let message: String = parsed
        .message
        .chars()
        .take(STS_ERROR_MESSAGE_MAX_CHARS)
        .collect();
    FnfError::Credentials(format!(
        "STS AssumeRoleWithOIDC answered HTTP {http_status} {}: {message}",
        parsed.code
    ))
}

fn parse_sts_answer(body: &[u8]) -> Result<Cached, FnfError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Answer {
        credentials: StsCredentials,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct StsCredentials {
        access_key_id: String,
        access_key_secret: String,
        security_token: String,
        expiration: String,
    }
    let answer: Answer = serde_json::from_slice(body).map_err(|err| {
        // serde's "invalid type/value" messages may quote a value (a secret,
        // here); only a missing-field message is safe to pass on.
        let detail = if err.to_string().starts_with("missing field") {
            err.to_string()
        } else {
            format!(
                "{:?} error at line {} column {}",
                err.classify(),
                err.line(),
                err.column()
            )
        };
        FnfError::Credentials(format!(
            "STS AssumeRoleWithOIDC answer is not understood: {detail}"
        ))
    })?;
    let expiration = answer
        .credentials
        .expiration
        .parse::<jiff::Timestamp>()
        .map_err(|_| {
            FnfError::Credentials(format!(
                "STS AssumeRoleWithOIDC answered an unreadable Expiration {:?}",
                answer.credentials.expiration
            ))
        })?;
    Ok(Cached {
        credentials: Credentials {
            access_key_id: answer.credentials.access_key_id,
            access_key_secret: answer.credentials.access_key_secret,
            security_token: Some(answer.credentials.security_token),
        },
        expiration,
    })
}
