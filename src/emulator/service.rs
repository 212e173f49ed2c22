//! Everything one running emulator shares between its connections and its
//! library handle. Plain state; the request order lives in `pipeline`.

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
    pub credentials: Credentials,
    /// `None` accepts any request time.
    pub max_skew_secs: Option<u64>,
    pub check_nonce: bool,
    pub max_body_bytes: usize,
    pub oidc_tokens: Vec<String>,
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
            credentials: Credentials::new(&config.accounts, &config.sts_credentials),
            max_skew_secs: config.check_skew.then_some(config.max_skew_secs),
            check_nonce: config.check_nonce,
            max_body_bytes: config.max_body_bytes,
            oidc_tokens: config.oidc_tokens.clone(),
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
