//! What an emulator is started with: listen address, credentials, quotas, clock
//! and preloaded flows. Plain data, readable from a JSON file; never logs or
//! prints a secret (Debug redacts them).
//!
//! A config file (`fnf-emulator --config FILE`); every field is optional:
//! ```json
//! {
//!   "listen": "127.0.0.1:8080",
//!   "tls": {"cert_file": "emulator.crt", "key_file": "emulator.key"},
//!   "accounts": [{"access_key_id": "LTAIdemo", "access_key_secret": "demo-secret",
//!                 "allowed_flows": ["demo"]}],
//!   "sts_credentials": [{"access_key_id": "STS.demo", "access_key_secret": "s",
//!                        "security_token": "CAIS...", "expiration": "2030-01-01T00:00:00Z"}],
//!   "quotas": {"per_action": {"DescribeExecution": {"burst": 50, "per_second": 5.0}},
//!              "other": {"burst": 10, "per_second": 2.0}},
//!   "check_skew": true, "max_skew_secs": 900, "check_nonce": true,
//!   "oidc_tokens": ["<the projected service-account token>"],
//!   "clock_offset_secs": 0,
//!   "flows": [{"name": "demo", "definition": "Type: StateMachine\n...", "mode": "Standard"}],
//!   "faults": [{"kind": "Latency", "min_ms": 20, "max_ms": 80}]
//! }
//! ```
//! `"quotas": null` turns quotas off; leaving it out keeps the documented defaults.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::EmulatorError;
use super::faults::Fault;

/// The documented clock skew the service tolerates for both signature versions.
pub const DEFAULT_MAX_SKEW_SECS: u64 = 15 * 60;
/// The documented request size limit (1024 KiB).
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// PEM files of the emulator's HTTPS identity: the certificate chain (leaf first) and its key.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    pub cert_file: std::path::PathBuf,
    pub key_file: std::path::PathBuf,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmulatorConfig {
    pub listen: SocketAddr,
    /// Serve HTTPS with this certificate. Without it the emulator serves plain HTTP, which
    /// it allows only on a loopback address (as the operator only dials plain HTTP there).
    pub tls: Option<TlsFiles>,
    /// Static AccessKey pairs.
    pub accounts: Vec<Account>,
    /// STS credentials known from start-up (besides those `AssumeRoleWithOIDC` issues).
    pub sts_credentials: Vec<StsCredential>,
    /// `None` turns quotas off; `Some(QuotaSettings::default())` is the documented set.
    pub quotas: Option<QuotaSettings>,
    /// `false` accepts any request timestamp, e.g. to replay captured requests.
    pub check_skew: bool,
    pub max_skew_secs: u64,
    /// `false` accepts a reused signature nonce (replaying captures).
    pub check_nonce: bool,
    /// OIDC token contents `AssumeRoleWithOIDC` accepts; empty accepts none.
    pub oidc_tokens: Vec<String>,
    /// Test only: issue STS credentials for this many seconds whatever
    /// DurationSeconds says (the real STS allows no less than 900), so that a
    /// test can watch credentials expire and be refreshed.
    pub sts_duration_secs: Option<u64>,
    /// Moves the emulator's clock (signature freshness and served times), in seconds.
    pub clock_offset_secs: i64,
    pub max_body_bytes: usize,
    pub flows: Vec<PreloadedFlow>,
    /// Faults in force from start-up.
    pub faults: Vec<Fault>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: None,
            accounts: Vec::new(),
            sts_credentials: Vec::new(),
            quotas: Some(QuotaSettings::default()),
            check_skew: true,
            max_skew_secs: DEFAULT_MAX_SKEW_SECS,
            check_nonce: true,
            oidc_tokens: Vec::new(),
            sts_duration_secs: None,
            clock_offset_secs: 0,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            flows: Vec::new(),
            faults: Vec::new(),
        }
    }
}

impl EmulatorConfig {
    pub fn from_json_file(path: &Path) -> Result<Self, EmulatorError> {
        let text = std::fs::read_to_string(path).map_err(|e| EmulatorError::Config {
            detail: format!("cannot read {}: {e}", path.display()),
        })?;
        serde_json::from_str(&text).map_err(|e| EmulatorError::Config {
            detail: format!("{}: {e}", path.display()),
        })
    }
}

#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub access_key_id: String,
    pub access_key_secret: String,
    /// Flows this key may touch; `None` allows every flow.
    #[serde(default)]
    pub allowed_flows: Option<Vec<String>>,
}

impl Account {
    pub fn new(access_key_id: impl Into<String>, access_key_secret: impl Into<String>) -> Self {
        Self {
            access_key_id: access_key_id.into(),
            access_key_secret: access_key_secret.into(),
            allowed_flows: None,
        }
    }
}

impl std::fmt::Debug for Account {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Account")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("allowed_flows", &self.allowed_flows)
            .finish()
    }
}

/// A temporary credential: requests must carry `security_token` and are refused
/// after `expiration` (RFC 3339; `None` never expires).
#[derive(Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StsCredential {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: String,
    #[serde(default)]
    pub expiration: Option<String>,
    #[serde(default)]
    pub allowed_flows: Option<Vec<String>>,
}

impl std::fmt::Debug for StsCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StsCredential")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("security_token", &"<redacted>")
            .field("expiration", &self.expiration)
            .finish()
    }
}

/// One token bucket: `burst` tokens, refilled at `per_second`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
pub struct Rate {
    pub burst: u32,
    pub per_second: f64,
}

/// Per-action, per-account request quotas.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default)]
pub struct QuotaSettings {
    pub per_action: BTreeMap<String, Rate>,
    /// Every action not in `per_action`.
    pub other: Rate,
}

impl Default for QuotaSettings {
    /// The documented defaults.
    fn default() -> Self {
        let mut per_action = BTreeMap::new();
        per_action.insert(
            "StartExecution".to_string(),
            Rate {
                burst: 100,
                per_second: 100.0,
            },
        );
        for action in ["DescribeExecution", "GetExecutionHistory"] {
            per_action.insert(
                action.to_string(),
                Rate {
                    burst: 50,
                    per_second: 5.0,
                },
            );
        }
        Self {
            per_action,
            other: Rate {
                burst: 10,
                per_second: 2.0,
            },
        }
    }
}

impl QuotaSettings {
    pub fn rate_for(&self, action: &str) -> Rate {
        self.per_action.get(action).copied().unwrap_or(self.other)
    }
}

#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum ExecutionMode {
    #[default]
    Standard,
    Express,
}

impl ExecutionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "Standard",
            Self::Express => "Express",
        }
    }

    /// The wire value; empty means Standard, as DescribeFlow documents.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "" | "Standard" => Some(Self::Standard),
            "Express" => Some(Self::Express),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PreloadedFlow {
    pub name: String,
    pub definition: String,
    #[serde(default)]
    pub mode: ExecutionMode,
}
