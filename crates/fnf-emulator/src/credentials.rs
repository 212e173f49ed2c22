//! Who may call: static AccessKey pairs, STS credentials (configured or issued
//! by the `AssumeRoleWithOIDC` stand-in), which flows each may touch, and the
//! signature nonces already seen. Holds secrets; never logs or prints them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use jiff::Timestamp;

use super::auth::KnownKey;
use super::config::{Account, StsCredential};

#[derive(Clone)]
struct Entry {
    key: KnownKey,
    allowed_flows: Option<Vec<String>>,
    /// Whose quota the key draws on when not its own: credentials issued for a
    /// role belong to the role's account, however often they rotate.
    metered_as: Option<String>,
}

/// The caller a verified request speaks for.
#[derive(Clone, Debug)]
pub struct Principal {
    /// Quotas are metered per this name.
    pub account: String,
    pub allowed_flows: Option<Vec<String>>,
}

impl Principal {
    pub fn may_use_flow(&self, flow: &str) -> bool {
        self.allowed_flows
            .as_ref()
            .is_none_or(|flows| flows.iter().any(|f| f == flow))
    }
}

/// Seen nonces are forgotten after this, well past any accepted skew.
const NONCE_MEMORY_SECS: u64 = 2 * 60 * 60;
/// Expired nonces are swept once the table grows past this.
const NONCE_SWEEP_THRESHOLD: usize = 100_000;

#[derive(Default)]
pub struct Credentials {
    keys: Mutex<HashMap<String, Entry>>,
    nonces: Mutex<HashMap<(String, String), Instant>>,
}

impl Credentials {
    pub fn new(accounts: &[Account], sts: &[StsCredential]) -> Self {
        let creds = Self::default();
        for account in accounts {
            creds.insert(
                &account.access_key_id,
                Entry {
                    key: KnownKey {
                        secret: account.access_key_secret.clone(),
                        security_token: None,
                        expiration: None,
                    },
                    allowed_flows: account.allowed_flows.clone(),
                    metered_as: None,
                },
            );
        }
        for cred in sts {
            creds.add_sts(
                cred,
                cred.expiration.as_deref().and_then(|e| e.parse().ok()),
            );
        }
        creds
    }

    fn insert(&self, id: &str, entry: Entry) {
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.to_string(), entry);
    }

    fn insert_sts(
        &self,
        cred: &StsCredential,
        expiration: Option<Timestamp>,
        metered_as: Option<String>,
    ) {
        self.insert(
            &cred.access_key_id,
            Entry {
                key: KnownKey {
                    secret: cred.access_key_secret.clone(),
                    security_token: Some(cred.security_token.clone()),
                    expiration,
                },
                allowed_flows: cred.allowed_flows.clone(),
                metered_as,
            },
        );
    }

    pub fn add_sts(&self, cred: &StsCredential, expiration: Option<Timestamp>) {
        self.insert_sts(cred, expiration, None);
    }

    /// Credentials issued by `AssumeRoleWithOIDC` for `role_arn`: their calls
    /// draw on the role's quota, as the service meters per account, not per key.
    pub fn add_issued_sts(&self, cred: &StsCredential, expiration: Timestamp, role_arn: &str) {
        self.insert_sts(cred, Some(expiration), Some(role_arn.to_string()));
    }

    /// Makes every STS credential known so far count as expired from `now`
    /// (a soak's STS expiry fault: the caller's cached credentials die before
    /// it thinks they do); returns how many were still valid. Credentials
    /// issued afterwards are unaffected.
    pub fn expire_sts(&self, now: Timestamp) -> usize {
        let mut keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let mut expired = 0;
        for entry in keys.values_mut() {
            let valid = entry.key.expiration.is_none_or(|e| e > now);
            if entry.key.security_token.is_some() && valid {
                entry.key.expiration = Some(now);
                expired += 1;
            }
        }
        expired
    }

    /// Every STS credential known so far (configured or issued), for tests
    /// that must know which values may never leak.
    pub fn sts_credentials(&self) -> Vec<StsCredential> {
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter_map(|(id, entry)| {
                Some(StsCredential {
                    access_key_id: id.clone(),
                    access_key_secret: entry.key.secret.clone(),
                    security_token: entry.key.security_token.clone()?,
                    expiration: None,
                    allowed_flows: entry.allowed_flows.clone(),
                })
            })
            .collect()
    }

    pub fn key(&self, access_key_id: &str) -> Option<KnownKey> {
        self.keys
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(access_key_id)
            .map(|e| e.key.clone())
    }

    pub fn principal(&self, access_key_id: &str) -> Principal {
        let keys = self.keys.lock().unwrap_or_else(|e| e.into_inner());
        let entry = keys.get(access_key_id);
        Principal {
            account: entry
                .and_then(|e| e.metered_as.clone())
                .unwrap_or_else(|| access_key_id.to_string()),
            allowed_flows: entry.and_then(|e| e.allowed_flows.clone()),
        }
    }

    /// Records a nonce; `false` when `access_key_id` already used it.
    pub fn first_use_of_nonce(&self, access_key_id: &str, nonce: &str) -> bool {
        let now = Instant::now();
        let mut nonces = self.nonces.lock().unwrap_or_else(|e| e.into_inner());
        if nonces.len() > NONCE_SWEEP_THRESHOLD {
            nonces.retain(|_, forget_at| *forget_at > now);
        }
        let key = (access_key_id.to_string(), nonce.to_string());
        match nonces.get(&key) {
            Some(forget_at) if *forget_at > now => false,
            _ => {
                nonces.insert(key, now + Duration::from_secs(NONCE_MEMORY_SECS));
                true
            }
        }
    }
}
