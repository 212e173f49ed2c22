//! The only code that talks to the fnf API: signs, sends, retries and keeps
//! each (account, action) inside its quota. The typed actions are in
//! `actions`.
//!
//! Must never log or return secrets: transport errors drop the signed URL,
//! and tracing events carry the action, code, attempt and latency only.

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use super::client_config::{
    CALL_TIMEOUT_SECS, CallObserver, ClientConfig, ObserveCall, RetryPolicy, SignatureVersion,
    default_http_client, http_client_trusting,
};
use super::credentials::{CredentialProvider, Credentials};
use super::error::{FnfError, api_error_from_body};
use super::error_code::ErrorCode;
use super::model::{RESPONSE_BODY_MAX_BYTES, decode_response};
use super::request::{
    HttpMethod, RequestInputs, SignedRequest, format_timestamp, new_nonce, sign_rpc, sign_v3,
};

/// A `x-acs-retry-after` beyond this is treated as this, so a bad header
/// cannot park a reconcile for hours.
const RETRY_AFTER_MAX_SECS: u64 = 300;
const RETRY_AFTER_HEADER: &str = "x-acs-retry-after";
const REQUEST_ID_HEADER: &str = "x-acs-request-id";

/// An fnf API client. Cheap to clone; clones share configuration, quotas,
/// credentials cache and connection pool.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

#[derive(Debug)]
struct ClientInner {
    config: ClientConfig,
    credentials: CredentialProvider,
}

impl Client {
    pub fn new(config: ClientConfig, credentials: CredentialProvider) -> Self {
        Self {
            inner: Arc::new(ClientInner {
                config,
                credentials,
            }),
        }
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    pub fn credential_provider(&self) -> &CredentialProvider {
        &self.inner.credentials
    }

    /// Whether `other` is a clone of this client (same credentials and
    /// configuration), not merely an equal one.
    pub fn is_same(&self, other: &Client) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// Any action, for the CLI: GET for Describe*/Get*/List*, POST otherwise.
    pub async fn call(
        &self,
        action: &str,
        params: Vec<(String, String)>,
    ) -> Result<serde_json::Value, FnfError> {
        if action.is_empty() || !action.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(FnfError::InvalidConfig(format!(
                "action {action:?} is not an fnf action name (letters and digits, e.g. DescribeExecution)"
            )));
        }
        if let Some((key, _)) = params.iter().find(|(key, _)| key.is_empty()) {
            return Err(FnfError::InvalidConfig(format!(
                "parameter name {key:?} is empty (use --param Key=Value)"
            )));
        }
        let wait_secs = params
            .iter()
            .find(|(key, _)| key == "WaitTimeSeconds")
            .and_then(|(_, value)| value.parse::<u64>().ok())
            .unwrap_or(0)
            .min(60);
        let timeout = self.config().request_timeout + Duration::from_secs(wait_secs);
        let body = self
            .send(action, HttpMethod::for_action(action), &params, timeout)
            .await?;
        decode_response(&body)
    }

    /// Sends one action with retries, and returns the success body.
    pub(crate) async fn send(
        &self,
        action: &str,
        method: HttpMethod,
        params: &[(String, String)],
        timeout: Duration,
    ) -> Result<Vec<u8>, FnfError> {
        let config = self.config();
        let account = self.inner.credentials.account_id();
        let max_attempts = config.retry.max_attempts.max(1);
        let mut skew_retried = false;
        let mut renewed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            config.quotas.acquire(&account, action).await;
            let started = Instant::now();
            let credentials = self.inner.credentials.credentials().await;
            let result = match &credentials {
                Ok(credentials) => {
                    self.send_once(action, method, params, timeout, credentials)
                        .await
                }
                Err(err) => Err(err.clone()),
            };
            let latency = started.elapsed();
            if let Some(observer) = &config.observer {
                let outcome = result.as_ref().map_or_else(FnfError::reason, |_| "Success");
                (observer.0)(action, outcome, latency);
            }
            let latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
            let err = match result {
                Ok(body) => {
                    tracing::debug!(action, code = "Success", attempt, latency_ms, "fnf call");
                    return Ok(body);
                }
                Err(err) => err,
            };
            let retryable = err.is_retryable();
            tracing::info!(
                action,
                code = err.code().unwrap_or_else(|| err.reason()),
                reason = err.reason(),
                http_status = err.http_status(),
                request_id = err.request_id(),
                retryable,
                attempt,
                latency_ms,
                error = %err,
                "fnf call failed"
            );
            let skewed = err.code() == Some("RequestTimeTooSkewed");
            // Credentials refused as expired before their stated expiry (revoked,
            // or clocks apart): renewable ones are renewed and the call re-signed
            // once, at once, rather than failing until the refresh margin.
            let renewing = match &credentials {
                Ok(refused)
                    if !renewed
                        && err.code() == Some(ErrorCode::InvalidSecurityTokenExpired.as_str()) =>
                {
                    self.inner.credentials.renew_after_expiry(refused).await
                }
                _ => false,
            };
            let delay = match err.retry_after() {
                Some(after) => after.min(Duration::from_secs(RETRY_AFTER_MAX_SECS)),
                // A fresh timestamp (or fresh credentials) is the whole fix: re-sign at once.
                None if skewed || renewing => Duration::ZERO,
                None => config.retry.backoff(attempt),
            };
            if err.is_throttling() {
                // Every caller of this account slows down, not just this one,
                // even when this caller gives up.
                config.quotas.penalize(&account, action, delay);
            }
            if !(retryable || renewing) || attempt >= max_attempts || (skewed && skew_retried) {
                return Err(err);
            }
            skew_retried |= skewed;
            renewed |= renewing;
            tokio::time::sleep(delay).await;
        }
    }

    /// One attempt, signed afresh (new timestamp and nonce) with `credentials`.
    async fn send_once(
        &self,
        action: &str,
        method: HttpMethod,
        params: &[(String, String)],
        timeout: Duration,
        credentials: &Credentials,
    ) -> Result<Vec<u8>, FnfError> {
        let config = self.config();
        let host = config.endpoint.host_header();
        let timestamp = format_timestamp(jiff::Timestamp::now());
        let nonce = new_nonce();
        let inputs = RequestInputs {
            action,
            method,
            params,
            credentials,
            host: &host,
            region_id: config.region_id.as_deref(),
            timestamp: &timestamp,
            nonce: &nonce,
        };
        let signed = match config.signature {
            SignatureVersion::Rpc => sign_rpc(inputs),
            SignatureVersion::V3 => sign_v3(inputs),
        };
        self.transmit(signed, timeout).await
    }

    async fn transmit(
        &self,
        signed: SignedRequest,
        timeout: Duration,
    ) -> Result<Vec<u8>, FnfError> {
        let config = self.config();
        let mut url = config.endpoint.url().clone();
        let query = signed.query_string();
        url.set_query((!query.is_empty()).then_some(query.as_str()));
        let mut request = match signed.method {
            HttpMethod::Get => config.http.get(url),
            HttpMethod::Post => config.http.post(url),
        };
        for (name, value) in &signed.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if signed.method == HttpMethod::Post {
            request = request.body(signed.body);
        }
        let mut response = request
            .timeout(timeout)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status().as_u16();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_string)
        };
        let retry_after = header(RETRY_AFTER_HEADER)
            .and_then(|ms| ms.trim().parse::<u64>().ok())
            .map(Duration::from_millis);
        let request_id = header(REQUEST_ID_HEADER);
        let body = read_capped_body(&mut response).await?;
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(api_error_from_body(status, request_id, retry_after, &body))
        }
    }
}

/// Reads the body, refusing more than `RESPONSE_BODY_MAX_BYTES` without
/// buffering the excess.
async fn read_capped_body(response: &mut reqwest::Response) -> Result<Vec<u8>, FnfError> {
    let too_large = |len: u64| {
        FnfError::Decode(format!(
            "response body of {len} bytes or more exceeds the {RESPONSE_BODY_MAX_BYTES}-byte limit"
        ))
    };
    if let Some(len) = response.content_length()
        && len > RESPONSE_BODY_MAX_BYTES as u64
    {
        return Err(too_large(len));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        if body.len() + chunk.len() > RESPONSE_BODY_MAX_BYTES {
            return Err(too_large((body.len() + chunk.len()) as u64));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Maps a reqwest error without its URL (which carries the signature and,
/// with STS, the security token), keeping the causes for diagnosis.
fn transport_error(err: reqwest::Error) -> FnfError {
    if err.is_timeout() {
        return FnfError::Timeout;
    }
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    FnfError::Transport(message)
}
