// A client for the Alibaba Cloud Serverless Workflow (fnf) API, version
// 2019-03-15: the only code of the project that talks to the fnf API or to STS.
// Knows nothing of Kubernetes or of command lines. Its documentation is the
// README, so the repository and rustdoc say the same (its examples run as doc
// tests).
#![doc = include_str!("../README.md")]

pub mod actions;
pub mod backoff;
pub mod client;
mod client_config;
pub mod credentials;
pub mod endpoint;
pub mod error;
pub mod error_code;
pub mod flow_actions;
pub mod model;
pub mod quota;
pub mod request;
pub mod rrsa;
pub mod sign;

pub use backoff::{Backoff, Jitter};
pub use client::{CallObserver, Client, ClientConfig, RetryPolicy, SignatureVersion};
pub use credentials::{CredentialProvider, Credentials};
pub use endpoint::Endpoint;
pub use error::FnfError;
pub use error_code::ErrorCode;
pub use flow_actions::FlowDeclaration;
pub use model::{
    Execution, ExecutionsPage, Flow, HistoryEvent, HistoryPage, ListExecutions, StartExecution,
};
pub use quota::{QuotaConfig, QuotaRegistry, Rate};
pub use rrsa::RrsaConfig;

/// Installs rustls' ring provider as the process default. Idempotent: a
/// second call (or a provider installed elsewhere) is left as it is.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
