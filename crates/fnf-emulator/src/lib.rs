//! A local fnf (Serverless Workflow, 2019-03-15) service for tests, benchmarks
//! and the demo: the RPC API on `/` with both signature versions verified,
//! flows that really run on real time, the documented errors and quotas, an
//! STS `AssumeRoleWithOIDC` stand-in, fault injection and counters (library
//! API here, HTTP under `/_emulator/`). It must never reach a real cloud, and
//! never log a secret.
//!
//! Choices where the real service is not documented:
//! - StartExecution of an Express-mode flow: 400 `InvalidArgument`.
//! - A reused `SignatureNonce` (per AccessKey ID, remembered two hours): 400
//!   `SignatureNonceUsed`, as Alibaba's gateway answers.
//! - A path other than `/`: 400 `ActionNotSupported`.
//! - Counters count a success as code `OK` and a dropped connection as
//!   `ConnectionDropped`, under the call's action.

mod actions;
mod admin;
pub mod api_error;
pub mod auth;
mod call_log;
mod clock;
mod condition;
pub mod config;
mod counters;
mod credentials;
pub mod definition;
mod execution;
mod execution_actions;
mod faults;
mod interpreter;
mod pipeline;
mod quotas;
mod server;
mod service;
mod store;
mod sts;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use api_error::ApiError;
pub use call_log::{CallRecord, CreatedRecord};
pub use config::{
    Account, EmulatorConfig, ExecutionMode, PreloadedFlow, QuotaSettings, Rate, StsCredential,
    TlsFiles,
};
pub use counters::{CODE_DROPPED, CODE_OK, Counters};
pub use execution::{ExecutionSnapshot, PastRun, STARTED_SECONDS_AGO};
pub use faults::Fault;
pub use pipeline::API_VERSION;

use service::Service;

/// An execution as it stands, with the `error` and `cause` of its final
/// history event when it ended with one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalExecution {
    pub snapshot: ExecutionSnapshot,
    pub error_and_cause: Option<(String, String)>,
}
use store::NewFlow;

#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("invalid emulator configuration: {detail}")]
    Config { detail: String },
    #[error("flow {name} cannot be created: {source}")]
    Flow { name: String, source: ApiError },
}

impl EmulatorError {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Bind { .. } => "EmulatorBindFailed",
            Self::Config { .. } => "EmulatorConfigInvalid",
            Self::Flow { .. } => "EmulatorFlowInvalid",
        }
    }
}

/// A started emulator; dropping it without `shutdown` leaves it serving until
/// the runtime ends.
pub struct RunningEmulator {
    addr: SocketAddr,
    scheme: &'static str,
    service: Arc<Service>,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
}

/// Binds, preloads the configured flows and serves in a background task.
/// Plain HTTP is refused on any address but loopback, as the operator refuses to dial it.
pub async fn start(config: EmulatorConfig) -> Result<RunningEmulator, EmulatorError> {
    let tls = match &config.tls {
        Some(files) => Some(tls::acceptor(files)?),
        None if config.listen.ip().is_loopback() => None,
        None => {
            return Err(EmulatorError::Config {
                detail: format!(
                    "plain HTTP is served only on loopback; give a TLS identity to listen on {}",
                    config.listen
                ),
            });
        }
    };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let service = Arc::new(Service::new(&config));
    for flow in &config.flows {
        create(&service, &flow.name, &flow.definition, flow.mode)?;
    }
    let listener =
        TcpListener::bind(config.listen)
            .await
            .map_err(|source| EmulatorError::Bind {
                addr: config.listen,
                source,
            })?;
    let addr = listener
        .local_addr()
        .map_err(|source| EmulatorError::Bind {
            addr: config.listen,
            source,
        })?;
    let (stop, stopped) = watch::channel(false);
    let server = tokio::spawn(server::serve(listener, service.clone(), tls, stopped));
    tracing::info!(%addr, scheme, accounts = config.accounts.len(), quotas = config.quotas.is_some(), "fnf emulator listening");
    Ok(RunningEmulator {
        addr,
        scheme,
        service,
        stop,
        server,
    })
}

fn create(
    service: &Service,
    name: &str,
    definition: &str,
    mode: ExecutionMode,
) -> Result<(), EmulatorError> {
    service
        .store
        .create_flow(NewFlow {
            name,
            definition,
            mode,
            description: "",
            role_arn: "",
        })
        .map(|_| ())
        .map_err(|source| EmulatorError::Flow {
            name: name.to_string(),
            source,
        })
}

impl RunningEmulator {
    /// `http://127.0.0.1:PORT`, or `https://ADDR:PORT` when serving TLS.
    pub fn endpoint(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn create_flow(
        &self,
        name: &str,
        definition: &str,
        mode: ExecutionMode,
    ) -> Result<(), EmulatorError> {
        create(&self.service, name, definition, mode)
    }

    /// Adds runs of `flow` that ended before now (the benchmark's ended
    /// history); ListExecutions and DescribeExecution serve them as any
    /// others. Returns how many were added (see `PastRun`).
    pub fn record_past_runs(&self, flow: &str, runs: &[PastRun]) -> Result<usize, EmulatorError> {
        self.service
            .store
            .record_past_runs(flow, runs)
            .map_err(|source| EmulatorError::Flow {
                name: flow.to_string(),
                source,
            })
    }

    /// The flow as DescribeFlow answers it (`None` when it does not exist).
    pub fn describe_flow(&self, name: &str) -> Option<serde_json::Value> {
        self.service.store.describe_flow(name).ok()
    }

    /// Changes a flow's definition behind the back of whoever manages it.
    pub fn update_flow_definition(&self, name: &str, definition: &str) -> Result<(), String> {
        self.service
            .store
            .update_flow(store::FlowUpdate {
                name,
                definition: Some(definition),
                description: None,
                role_arn: None,
            })
            .map(|_| ())
            .map_err(|e| format!("{e:?}"))
    }

    /// Replaces the OIDC tokens AssumeRoleWithOIDC accepts (a token rotation).
    pub fn set_oidc_tokens(&self, tokens: Vec<String>) {
        if let Ok(mut accepted) = self.service.oidc_tokens.write() {
            *accepted = tokens;
        }
    }

    /// Every STS credential issued or configured so far counts as expired
    /// at once (signed calls with it get `InvalidSecurityToken.Expired`),
    /// whatever its Expiration said; returns how many. Later exchanges work.
    pub fn expire_sts_credentials(&self) -> usize {
        self.service
            .credentials
            .expire_sts(self.service.clock.now())
    }

    /// Every STS credential issued or configured so far, secrets included:
    /// for tests that check those values never leak.
    pub fn sts_credentials(&self) -> Vec<StsCredential> {
        self.service.credentials.sts_credentials()
    }

    pub fn counters(&self) -> Counters {
        self.service.counters.snapshot()
    }

    pub fn inject(&self, fault: Fault) {
        self.service.faults.inject(fault);
    }

    /// Removes every fault and resumes a paused service.
    pub fn clear_faults(&self) {
        self.service.faults.clear();
    }

    pub fn execution(&self, flow: &str, name: &str) -> Option<ExecutionSnapshot> {
        self.service
            .store
            .execution(flow, name)
            .ok()
            .map(|e| e.snapshot())
    }

    /// Every answered call so far, in answer order (see [`CallRecord`]).
    pub fn call_log(&self) -> Vec<CallRecord> {
        self.service.call_log.calls()
    }

    /// Every execution StartExecution created so far, in order.
    pub fn created_log(&self) -> Vec<CreatedRecord> {
        self.service.call_log.created()
    }

    /// Every execution of every flow as it stands now, with the error and
    /// cause of its final history event (empty while it runs).
    pub fn all_executions(&self) -> Vec<FinalExecution> {
        self.service
            .store
            .list_flows(|_| true)
            .into_iter()
            .filter_map(|(flow, _)| self.service.store.executions(&flow).ok())
            .flatten()
            .map(|e| FinalExecution {
                error_and_cause: e.final_error_and_cause(),
                snapshot: e.snapshot(),
            })
            .collect()
    }

    /// Stops accepting, closes connections and ends running executions.
    pub async fn shutdown(self) {
        self.stop.send_replace(true);
        let _ = self.server.await;
        self.service.store.stop_all();
    }
}
