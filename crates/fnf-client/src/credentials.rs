//! Where the access key comes from: static values, the environment, or RRSA
//! (an OIDC token exchanged at STS, see `rrsa`).
//!
//! Must never reveal a secret: `Debug` redacts the key secret and the token,
//! and errors name variables and files, never their contents.

use std::fmt;
use std::sync::Arc;

use super::error::FnfError;
use super::rrsa::{RrsaConfig, RrsaSource};

pub const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
pub const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
pub const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
pub const ENV_ROLE_ARN: &str = "ALIBABA_CLOUD_ROLE_ARN";
pub const ENV_OIDC_PROVIDER_ARN: &str = "ALIBABA_CLOUD_OIDC_PROVIDER_ARN";
pub const ENV_OIDC_TOKEN_FILE: &str = "ALIBABA_CLOUD_OIDC_TOKEN_FILE";
pub const ENV_ROLE_SESSION_NAME: &str = "ALIBABA_CLOUD_ROLE_SESSION_NAME";
pub const ENV_STS_ENDPOINT: &str = "ALIBABA_CLOUD_STS_ENDPOINT";
pub const ENV_STS_REGION: &str = "ALIBABA_CLOUD_STS_REGION";
pub const ENV_VPC_ENDPOINT_ENABLED: &str = "ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED";

/// One access key, possibly temporary (with an STS security token).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field(
                "security_token",
                &self.security_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Hands out credentials to the client. Cheap to clone: clones share one
/// cache, so an RRSA exchange happens once per process, not once per client.
#[derive(Clone)]
pub struct CredentialProvider {
    source: Arc<Source>,
}

enum Source {
    Static(Credentials),
    /// Read at every call, so a rotated value is picked up.
    Environment,
    Rrsa(Box<RrsaSource>),
}

impl fmt::Debug for CredentialProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &*self.source {
            Source::Static(_) => "Static",
            Source::Environment => "Environment",
            Source::Rrsa(_) => "Rrsa",
        };
        f.debug_struct("CredentialProvider")
            .field("kind", &kind)
            .field("account_id", &self.account_id())
            .finish()
    }
}

impl CredentialProvider {
    pub fn static_credentials(credentials: Credentials) -> Self {
        Self {
            source: Arc::new(Source::Static(credentials)),
        }
    }

    /// `ALIBABA_CLOUD_ACCESS_KEY_ID`, `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and the
    /// optional `ALIBABA_CLOUD_SECURITY_TOKEN`, read at every call.
    pub fn environment() -> Self {
        Self {
            source: Arc::new(Source::Environment),
        }
    }

    pub fn rrsa(config: RrsaConfig) -> Self {
        Self {
            source: Arc::new(Source::Rrsa(Box::new(RrsaSource::new(config)))),
        }
    }

    /// Static keys from the environment if set, else RRSA if its variables
    /// are set, else an error naming the variables to set.
    pub fn from_environment_chain() -> Result<Self, FnfError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The environment chain over any variable lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, FnfError> {
        Self::from_lookup_with_http(lookup, None)
    }

    /// The environment chain, with RRSA's STS calls made by `http` (e.g. one trusting a
    /// private CA) instead of a default client.
    pub fn from_lookup_with_http(
        lookup: impl Fn(&str) -> Option<String>,
        http: Option<reqwest::Client>,
    ) -> Result<Self, FnfError> {
        let get = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        if let Some(credentials) = static_keys(&get)? {
            return Ok(Self::static_credentials(credentials));
        }
        let rrsa_vars = [ENV_ROLE_ARN, ENV_OIDC_PROVIDER_ARN, ENV_OIDC_TOKEN_FILE];
        let missing: Vec<&str> = rrsa_vars
            .iter()
            .copied()
            .filter(|name| get(name).is_none())
            .collect();
        if missing.len() == rrsa_vars.len() {
            return Err(FnfError::Credentials(format!(
                "set {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET} (optionally {ENV_SECURITY_TOKEN}), \
                 or for RRSA {ENV_ROLE_ARN}, {ENV_OIDC_PROVIDER_ARN} and {ENV_OIDC_TOKEN_FILE}"
            )));
        }
        if !missing.is_empty() {
            return Err(FnfError::Credentials(format!(
                "RRSA is partly configured: also set {}",
                missing.join(", ")
            )));
        }
        let mut rrsa = RrsaConfig::from_lookup(&get)?;
        if let Some(http) = http {
            rrsa.http = http;
        }
        Ok(Self::rrsa(rrsa))
    }

    pub async fn credentials(&self) -> Result<Credentials, FnfError> {
        match &*self.source {
            Source::Static(credentials) => Ok(credentials.clone()),
            Source::Environment => {
                let get = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
                static_keys(&get)?.ok_or_else(|| {
                    FnfError::Credentials(format!(
                        "set {ENV_ACCESS_KEY_ID} and {ENV_ACCESS_KEY_SECRET}"
                    ))
                })
            }
            Source::Rrsa(rrsa) => rrsa.credentials().await,
        }
    }

    /// The service refused `refused` as expired: whether fresh credentials
    /// can be had at once (RRSA exchanges its token again; static keys and
    /// the environment have nothing newer to offer).
    pub async fn renew_after_expiry(&self, refused: &Credentials) -> bool {
        match &*self.source {
            Source::Rrsa(rrsa) => {
                rrsa.forget_refused(&refused.access_key_id).await;
                true
            }
            Source::Static(_) | Source::Environment => false,
        }
    }

    /// A stable identity for per-account quotas: the AccessKeyId, or the role
    /// ARN for RRSA (whose keys rotate but whose account does not).
    pub fn account_id(&self) -> String {
        match &*self.source {
            Source::Static(credentials) => credentials.access_key_id.clone(),
            Source::Environment => std::env::var(ENV_ACCESS_KEY_ID).unwrap_or_default(),
            Source::Rrsa(rrsa) => rrsa.role_arn().to_string(),
        }
    }
}

/// Static keys from a lookup: `None` when neither half is set, an error
/// naming the missing half when only one is.
fn static_keys(get: &dyn Fn(&str) -> Option<String>) -> Result<Option<Credentials>, FnfError> {
    match (get(ENV_ACCESS_KEY_ID), get(ENV_ACCESS_KEY_SECRET)) {
        (Some(access_key_id), Some(access_key_secret)) => Ok(Some(Credentials {
            access_key_id,
            access_key_secret,
            security_token: get(ENV_SECURITY_TOKEN),
        })),
        (Some(_), None) => Err(FnfError::Credentials(format!(
            "{ENV_ACCESS_KEY_ID} is set but {ENV_ACCESS_KEY_SECRET} is not; set both"
        ))),
        (None, Some(_)) => Err(FnfError::Credentials(format!(
            "{ENV_ACCESS_KEY_SECRET} is set but {ENV_ACCESS_KEY_ID} is not; set both"
        ))),
        (None, None) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn chain(vars: &[(&str, &str)]) -> Result<CredentialProvider, FnfError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        CredentialProvider::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn debug_output_redacts_the_secret_and_token() {
        let credentials = Credentials {
            access_key_id: "LTAIid".into(),
            access_key_secret: "very-secret".into(),
            security_token: Some("sts-token".into()),
        };
        let shown = format!("{credentials:?}");
        assert!(shown.contains("LTAIid"));
        assert!(!shown.contains("very-secret") && !shown.contains("sts-token"));
    }

    #[test]
    fn no_credentials_names_every_variable_to_set() {
        let err = chain(&[]).unwrap_err().to_string();
        for name in [
            ENV_ACCESS_KEY_ID,
            ENV_ACCESS_KEY_SECRET,
            ENV_ROLE_ARN,
            ENV_OIDC_PROVIDER_ARN,
            ENV_OIDC_TOKEN_FILE,
        ] {
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn static_keys_win_over_rrsa() {
        let provider = chain(&[
            (ENV_ACCESS_KEY_ID, "LTAIid"),
            (ENV_ACCESS_KEY_SECRET, "s"),
            (ENV_ROLE_ARN, "acs:ram::1:role/r"),
        ])
        .unwrap();
        assert_eq!(provider.account_id(), "LTAIid");
    }

    #[test]
    fn partial_rrsa_names_what_is_missing() {
        let err = chain(&[(ENV_ROLE_ARN, "acs:ram::1:role/r")])
            .unwrap_err()
            .to_string();
        assert!(err.contains(ENV_OIDC_TOKEN_FILE) && err.contains(ENV_OIDC_PROVIDER_ARN));
        assert!(!err.contains(ENV_ROLE_ARN), "{err}");
    }

    #[test]
    fn rrsa_identity_is_the_role_arn() {
        let provider = chain(&[
            (ENV_ROLE_ARN, "acs:ram::1:role/r"),
            (ENV_OIDC_PROVIDER_ARN, "acs:ram::1:oidc-provider/p"),
            (ENV_OIDC_TOKEN_FILE, "/tmp/token"),
        ])
        .unwrap();
        assert_eq!(provider.account_id(), "acs:ram::1:role/r");
    }
}
