//! The operator's configuration, and the one way to build it: the CLI (`run`
//! flags) and the test kit's sandbox both use [`OperatorConfig::builder`], so
//! a default changes in one place.

use crate::decide::view::DecideSettings;
use crate::watch::key::PollStrategy;
use fnf_client::client::default_http_client;
use fnf_client::{
    CallObserver, CredentialProvider, Endpoint, FnfError, QuotaConfig, QuotaRegistry, RetryPolicy,
    SignatureVersion,
};

#[derive(Clone, Debug)]
pub struct OperatorConfig {
    /// Namespaces to watch; empty means all.
    pub namespaces: Vec<String>,
    pub concurrency: u16,
    pub poll: PollStrategy,
    pub follow_steps: bool,
    pub decide: DecideSettings,
    /// How often each `Flow` is read back (DescribeFlow) to find drift.
    pub flow_resync: std::time::Duration,
    pub cloud: CloudSettings,
    pub leader_election: Option<LeaderElection>,
    pub instance: String,
    /// Which kinds `spec.inputFrom` may read, so their metadata is watched.
    pub input_sources: InputSourceWatch,
}

/// The kinds of `spec.inputFrom` sources whose changes wake the objects that
/// name them (the chart grants `list, watch` on each only with its value on).
/// Off, a changed source is read at the object's next reconcile only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InputSourceWatch {
    pub config_maps: bool,
    pub secrets: bool,
}

#[derive(Clone, Debug)]
pub struct LeaderElection {
    pub lease_name: String,
    pub lease_namespace: String,
    pub lease_duration_secs: u64,
}

/// How the operator reaches the cloud, from its flags.
#[derive(Clone, Debug)]
pub struct CloudSettings {
    pub default_region: String,
    /// Replaces the regional endpoint for every resource (VPC endpoint, emulator).
    pub endpoint_override: Option<Endpoint>,
    pub signature: SignatureVersion,
    pub retry: RetryPolicy,
    pub quotas: QuotaRegistry,
    pub http: reqwest::Client,
    /// The operator's own credentials; `None` when it has none (every resource
    /// must then name a Secret).
    pub default_credentials: Option<CredentialProvider>,
    /// Whether `spec.credentialsSecretRef` may be used (the chart grants
    /// `secrets: get` only then).
    pub secret_credentials: bool,
    /// Told about every cloud call (metrics); set by `run`.
    pub observer: Option<CallObserver>,
}

/// The share of each documented quota the operator uses by default. Requests
/// the operator spaces evenly can still reach the cloud bunched (network and
/// scheduling jitter), and the cloud counts with its own clock: the rest is
/// headroom so that the operator itself never draws a ResourceThrottled.
pub const OPERATOR_QUOTA_SHARE: f64 = 0.9;

/// The documented quotas with the operator's headroom.
pub fn operator_quotas() -> QuotaConfig {
    QuotaConfig::fnf_defaults().with_headroom(OPERATOR_QUOTA_SHARE)
}

/// FlowExecutions reconciled at once by default.
pub const DEFAULT_CONCURRENCY: u16 = 16;
/// The DescribeExecution long-poll wait by default (the cloud's most).
pub const DEFAULT_WAIT_TIME_SECS: u32 = 60;

/// Builds an [`OperatorConfig`]: every setting starts at the operator's
/// default (those of `fnf-operator run` without flags) and is changed by name.
#[derive(Clone, Debug)]
pub struct OperatorConfigBuilder {
    namespaces: Vec<String>,
    concurrency: u16,
    poll: PollStrategy,
    follow_steps: bool,
    decide: DecideSettings,
    flow_resync: std::time::Duration,
    default_region: String,
    endpoint_override: Option<Endpoint>,
    signature: SignatureVersion,
    quotas: QuotaConfig,
    default_credentials: Option<CredentialProvider>,
    secret_credentials: bool,
    leader_election: Option<LeaderElection>,
    instance: Option<String>,
    cloud_http: Option<reqwest::Client>,
    input_sources: InputSourceWatch,
}

impl OperatorConfig {
    /// The defaults, for FlowExecutions of `default_region` when they name none.
    pub fn builder(default_region: &str) -> OperatorConfigBuilder {
        OperatorConfigBuilder {
            namespaces: Vec::new(),
            concurrency: DEFAULT_CONCURRENCY,
            poll: PollStrategy::LongPoll {
                wait_time_secs: DEFAULT_WAIT_TIME_SECS,
            },
            follow_steps: true,
            decide: DecideSettings::default(),
            flow_resync: crate::flow::decide::FLOW_RESYNC,
            default_region: default_region.to_string(),
            endpoint_override: None,
            signature: SignatureVersion::Rpc,
            quotas: operator_quotas(),
            default_credentials: None,
            secret_credentials: false,
            leader_election: None,
            instance: None,
            cloud_http: None,
            input_sources: InputSourceWatch::default(),
        }
    }
}

impl OperatorConfigBuilder {
    /// Namespaces to watch (empty names are dropped); none watches all.
    pub fn namespaces(mut self, namespaces: &[String]) -> Self {
        self.namespaces = namespaces
            .iter()
            .filter(|n| !n.is_empty())
            .cloned()
            .collect();
        self
    }

    pub fn concurrency(mut self, concurrency: u16) -> Self {
        self.concurrency = concurrency;
        self
    }

    pub fn poll(mut self, poll: PollStrategy) -> Self {
        self.poll = poll;
        self
    }

    /// How often each `Flow` is read back to find changes made elsewhere.
    pub fn flow_resync(mut self, period: std::time::Duration) -> Self {
        self.flow_resync = period;
        self
    }

    pub fn follow_steps(mut self, follow: bool) -> Self {
        self.follow_steps = follow;
        self
    }

    pub fn decide(mut self, decide: DecideSettings) -> Self {
        self.decide = decide;
        self
    }

    /// Every call goes to `endpoint` instead of the regional one.
    pub fn endpoint_override(mut self, endpoint: Option<Endpoint>) -> Self {
        self.endpoint_override = endpoint;
        self
    }

    pub fn signature(mut self, signature: SignatureVersion) -> Self {
        self.signature = signature;
        self
    }

    pub fn quotas(mut self, quotas: QuotaConfig) -> Self {
        self.quotas = quotas;
        self
    }

    /// The operator's own credentials; `None`: every FlowExecution must name a Secret.
    pub fn default_credentials(mut self, credentials: Option<CredentialProvider>) -> Self {
        self.default_credentials = credentials;
        self
    }

    pub fn secret_credentials(mut self, allowed: bool) -> Self {
        self.secret_credentials = allowed;
        self
    }

    /// Watch the metadata of these `spec.inputFrom` kinds (default: none).
    pub fn input_sources(mut self, watch: InputSourceWatch) -> Self {
        self.input_sources = watch;
        self
    }

    pub fn leader_election(mut self, election: Option<LeaderElection>) -> Self {
        self.leader_election = election;
        self
    }

    /// The HTTP client for cloud calls (default: [`default_http_client`]), e.g. one that
    /// trusts a private CA.
    pub fn cloud_http(mut self, http: reqwest::Client) -> Self {
        self.cloud_http = Some(http);
        self
    }

    /// This replica's name in the Lease and in Events (default: the host name).
    pub fn instance(mut self, instance: String) -> Self {
        self.instance = Some(instance);
        self
    }

    /// The configuration, with the HTTP client every cloud call shares.
    pub fn build(self) -> Result<OperatorConfig, FnfError> {
        Ok(OperatorConfig {
            namespaces: self.namespaces,
            concurrency: self.concurrency,
            poll: self.poll,
            follow_steps: self.follow_steps,
            decide: self.decide,
            flow_resync: self.flow_resync,
            cloud: CloudSettings {
                default_region: self.default_region,
                endpoint_override: self.endpoint_override,
                signature: self.signature,
                retry: RetryPolicy::default(),
                quotas: QuotaRegistry::new(self.quotas),
                http: match self.cloud_http {
                    Some(http) => http,
                    None => default_http_client()?,
                },
                default_credentials: self.default_credentials,
                secret_credentials: self.secret_credentials,
                observer: None,
            },
            leader_election: self.leader_election,
            instance: self.instance.unwrap_or_else(default_instance),
            input_sources: self.input_sources,
        })
    }
}

/// This replica's name when none is given: the host name (the pod's name).
fn default_instance() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| format!("fnf-operator-{}", std::process::id()))
}
