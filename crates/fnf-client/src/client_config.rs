//! How a [`Client`](super::Client) is configured: signatures, retries,
//! quotas, the shared HTTP client, and the observer told about every call.

use std::sync::Arc;
use std::time::Duration;

use super::backoff::{Backoff, Jitter};
use super::endpoint::Endpoint;
use super::error::FnfError;
use super::quota::QuotaRegistry;

/// Timeout of a call that does not long-poll; also the margin added to a
/// long-poll's wait.
pub const CALL_TIMEOUT_SECS: u64 = 15;
const CONNECT_TIMEOUT_SECS: u64 = 5;

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
