//! Everything one running emulator shares between its connections and its
//! library handle. Plain state; the request order lives in `pipeline`.

use super::call_log::CallLog;
use super::clock::Clock;
use super::config::EmulatorConfig;
use super::counters::CounterStore;
use super::credentials::Credentials;
use super::faults::Faults;
use super::quotas::Quotas;
use super::store::Store;

pub struct Service {
    pub clock: Clock,
    pub store: Store,
    pub faults: Faults,
    pub quotas: Quotas,
    pub counters: CounterStore,
    pub call_log: CallLog,
    pub credentials: Credentials,
    /// `None` accepts any request time.
    pub max_skew_secs: Option<u64>,
    pub check_nonce: bool,
    pub max_body_bytes: usize,
    /// OIDC token contents AssumeRoleWithOIDC accepts; replaceable at run time
    /// (a token rotation).
    pub oidc_tokens: std::sync::RwLock<Vec<String>>,
    /// Test only: the lifetime of issued STS credentials, whatever was asked.
    pub sts_duration_secs: Option<u64>,
}

impl Service {
    pub fn new(config: &EmulatorConfig) -> Self {
        let clock = Clock::with_offset_secs(config.clock_offset_secs);
        let faults = Faults::default();
        for fault in &config.faults {
            faults.inject(fault.clone());
        }
        Self {
            clock,
            store: Store::new(clock),
            faults,
            quotas: Quotas::new(config.quotas.clone()),
            counters: CounterStore::default(),
            call_log: CallLog::default(),
            credentials: Credentials::new(&config.accounts, &config.sts_credentials),
            max_skew_secs: config.check_skew.then_some(config.max_skew_secs),
            check_nonce: config.check_nonce,
            max_body_bytes: config.max_body_bytes,
            oidc_tokens: std::sync::RwLock::new(config.oidc_tokens.clone()),
            sts_duration_secs: config.sts_duration_secs,
        }
    }
}

/// A request id in the service's shape (upper-case UUID).
pub fn new_request_id() -> String {
    let hex = format!("{:032X}", rand::random::<u128>());
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
