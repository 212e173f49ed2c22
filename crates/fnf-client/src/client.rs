//! The only code that talks to the fnf API: signs, sends, retries and keeps
//! each (account, action) inside its quota. The typed actions are in
//! `actions`.
//!
//! Must never log or return secrets: transport errors drop the signed URL,
//! and tracing events carry the action, code, attempt and latency only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::backoff::{Backoff, Jitter};
use super::credentials::{CredentialProvider, Credentials};
use super::endpoint::Endpoint;
use super::error::{FnfError, api_error_from_body};
use super::error_code::ErrorCode;
use super::model::{RESPONSE_BODY_MAX_BYTES, decode_response};
use super::quota::QuotaRegistry;
use super::request::{
    HttpMethod, RequestInputs, SignedRequest, format_timestamp, new_nonce, sign_rpc, sign_v3,
};

/// Timeout of a call that does not long-poll; also the margin added to a
/// long-poll's wait.
pub const CALL_TIMEOUT_SECS: u64 = 15;
const CONNECT_TIMEOUT_SECS: u64 = 5;
/// A `x-acs-retry-after` beyond this is treated as this, so a bad header
/// cannot park a reconcile for hours.
const RETRY_AFTER_MAX_SECS: u64 = 300;
const RETRY_AFTER_HEADER: &str = "x-acs-retry-after";
const REQUEST_ID_HEADER: &str = "x-acs-request-id";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SignatureVersion {
    /// HMAC-SHA1 RPC signature 1.0, what the official SDKs send by default.
    #[default]
    Rpc,
    /// ACS3-HMAC-SHA256.
    V3,
}

/// Capped exponential back-off with full jitter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included (1 means never retry).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    pub fn no_retries() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// A random delay in `[0, min(max_delay, base_delay * 2^(attempt-1))]`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        Backoff::new(self.base_delay, self.max_delay).delay(attempt.saturating_sub(1), Jitter::Full)
    }
}

#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoint: Endpoint,
    pub signature: SignatureVersion,
    pub retry: RetryPolicy,
    pub quotas: QuotaRegistry,
    /// One shared HTTP client (connection pool) per process.
    pub http: reqwest::Client,
    /// Sent as `RegionId` (RPC) when set.
    pub region_id: Option<String>,
    /// Timeout of an ordinary call, and the margin over a long-poll's wait.
    pub request_timeout: Duration,
    /// Told about every attempt, for metrics.
    pub observer: Option<CallObserver>,
}

/// Receives every attempt: the action, its outcome (`Success` or the error's
/// stable reason) and its latency.
#[derive(Clone)]
pub struct CallObserver(pub Arc<ObserveCall>);

/// `(action, outcome, latency)`.
pub type ObserveCall = dyn Fn(&str, &str, Duration) + Send + Sync;

impl std::fmt::Debug for CallObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CallObserver")
    }
}

impl ClientConfig {
    /// Defaults: RPC signatures, default retries and quotas, a new HTTP client.
    pub fn new(endpoint: Endpoint) -> Result<Self, FnfError> {
        Ok(Self::with_http(endpoint, default_http_client()?))
    }

    pub fn with_http(endpoint: Endpoint, http: reqwest::Client) -> Self {
        Self {
            region_id: endpoint.region().map(str::to_string),
            endpoint,
            signature: SignatureVersion::default(),
            retry: RetryPolicy::default(),
            quotas: QuotaRegistry::default(),
            http,
            request_timeout: Duration::from_secs(CALL_TIMEOUT_SECS),
            observer: None,
        }
    }
}

/// The HTTP client for fnf and STS. Installs the ring crypto provider first
/// (idempotent), since reqwest is built without one.
pub fn default_http_client() -> Result<reqwest::Client, FnfError> {
    http_client_trusting(None)
}

/// Like [`default_http_client`], also trusting the CA certificates of a PEM bundle besides
/// the system's (a private endpoint, or a proxy that inspects TLS).
pub fn http_client_trusting(extra_roots_pem: Option<&[u8]>) -> Result<reqwest::Client, FnfError> {
    super::install_crypto_provider();
    let extra_roots = match extra_roots_pem {
        Some(pem) => reqwest::Certificate::from_pem_bundle(pem).map_err(|err| {
            FnfError::InvalidConfig(format!("the CA bundle is not PEM certificates: {err}"))
        })?,
        None => Vec::new(),
    };
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS))
        .user_agent(concat!("fnf-operator/", env!("CARGO_PKG_VERSION")))
        .tls_certs_merge(extra_roots)
        .build()
        .map_err(|err| FnfError::InvalidConfig(format!("cannot build the HTTP client: {err}")))
}

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
