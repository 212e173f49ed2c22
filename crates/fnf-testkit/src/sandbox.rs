//! The local stack in one process: the fnf emulator and the operator pointed at
//! it, on a control plane from `devcluster`. The demo, the end-to-end tests and
//! the benchmark all stand on this, so they exercise exactly what users run.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use fnf_client::{CredentialProvider, Credentials, Endpoint, FnfError};
use fnf_emulator::{self as emulator, Account, EmulatorConfig, EmulatorError, RunningEmulator};
use fnf_operator::{
    DecideSettings, InputSourceWatch, Metrics, OperatorConfig, PollStrategy, RunError,
};

/// The key pair the sandbox's emulator accepts and its operator uses.
pub const SANDBOX_ACCESS_KEY_ID: &str = "LTAI5tSandboxKey01";
pub const SANDBOX_ACCESS_KEY_SECRET: &str = "sandbox-secret-never-logged";

pub fn sandbox_credentials() -> Credentials {
    Credentials {
        access_key_id: SANDBOX_ACCESS_KEY_ID.into(),
        access_key_secret: SANDBOX_ACCESS_KEY_SECRET.into(),
        security_token: None,
    }
}

/// The sandbox key as the environment a child operator process reads.
pub fn sandbox_credentials_env() -> [(&'static str, &'static str); 2] {
    [
        (
            fnf_client::credentials::ENV_ACCESS_KEY_ID,
            SANDBOX_ACCESS_KEY_ID,
        ),
        (
            fnf_client::credentials::ENV_ACCESS_KEY_SECRET,
            SANDBOX_ACCESS_KEY_SECRET,
        ),
    ]
}

/// An emulator with the documented quotas that accepts the sandbox key.
pub async fn start_emulator() -> Result<RunningEmulator, EmulatorError> {
    emulator::start(EmulatorConfig {
        accounts: vec![Account::new(
            SANDBOX_ACCESS_KEY_ID,
            SANDBOX_ACCESS_KEY_SECRET,
        )],
        ..EmulatorConfig::default()
    })
    .await
}

/// Operator settings for a sandbox: the emulator's endpoint, the sandbox key,
/// the documented quotas, Secret credentials and `inputFrom` watches on, and
/// the given namespaces (empty: all).
pub fn operator_config(
    emulator_endpoint: &str,
    namespaces: Vec<String>,
    wait_time_secs: u32,
) -> Result<OperatorConfig, FnfError> {
    OperatorConfig::builder("cn-hangzhou")
        .namespaces(&namespaces)
        .poll(PollStrategy::LongPoll { wait_time_secs })
        .decide(DecideSettings {
            flow_missing_grace: Duration::from_secs(20),
            ..DecideSettings::default()
        })
        .endpoint_override(Some(Endpoint::from_url(emulator_endpoint)?))
        .default_credentials(Some(CredentialProvider::static_credentials(
            sandbox_credentials(),
        )))
        .secret_credentials(true)
        // The admin client may watch both kinds: a changed source wakes at once.
        .input_sources(InputSourceWatch {
            config_maps: true,
            secrets: true,
        })
        .instance(format!("sandbox-{}", std::process::id()))
        .build()
}

/// The operator running in this process until stopped.
pub struct OperatorTask {
    stop: watch::Sender<bool>,
    handle: JoinHandle<Result<(), RunError>>,
    pub metrics: Metrics,
}

impl OperatorTask {
    pub fn start(kube: kube::Client, config: OperatorConfig) -> Self {
        let (stop, mut stopped) = watch::channel(false);
        let metrics = Metrics::new();
        let shutdown = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        let handle = tokio::spawn(fnf_operator::run(kube, config, metrics.clone(), shutdown));
        Self {
            stop,
            handle,
            metrics,
        }
    }

    /// Graceful stop: in-flight reconciles finish, the Lease is released.
    pub async fn stop(self) -> Result<(), RunError> {
        let _ = self.stop.send(true);
        self.handle.await.unwrap_or(Ok(()))
    }

    /// Abrupt stop, as a crash: nothing is cleaned up.
    pub fn kill(self) {
        self.handle.abort();
    }
}
