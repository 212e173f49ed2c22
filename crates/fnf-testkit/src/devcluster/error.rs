//! Errors of the local control plane. Messages carry what a developer needs to fix the
//! machine (log paths, log tails, the build script's stderr); they never carry key
//! material or ServiceAccount tokens.

use std::path::PathBuf;

/// Everything that can go wrong while building, starting, using or stopping a [`super::DevCluster`].
#[derive(Debug, thiserror::Error)]
pub enum DevClusterError {
    /// `tools/control-plane/build.sh` failed (most often: Go is not installed).
    #[error("building the control-plane binaries failed ({status}):\n{stderr}")]
    BuildFailed { status: String, stderr: String },

    /// The build script succeeded but a binary is missing from its output directory.
    #[error("the control-plane build did not produce {path}")]
    BinaryMissing { path: PathBuf },

    /// A file or process operation on the local machine failed.
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    /// Generating the cluster's certificates or keys failed.
    #[error("generating control-plane certificates failed: {0}")]
    Certificates(#[from] rcgen::Error),

    /// etcd or kube-apiserver exited while it was expected to run.
    #[error("{component} exited ({status}); log {log_path}:\n{log_tail}")]
    ProcessExited {
        component: &'static str,
        status: String,
        log_path: PathBuf,
        log_tail: String,
    },

    /// etcd or kube-apiserver did not become ready in time.
    #[error("{component} was not ready after {waited_secs}s; log {log_path}:\n{log_tail}")]
    NotReady {
        component: &'static str,
        waited_secs: u64,
        log_path: PathBuf,
        log_tail: String,
    },

    /// A kubeconfig could not be read or turned into a client configuration.
    #[error("kubeconfig: {0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),

    /// A request to kube-apiserver failed.
    #[error("{context}: {source}")]
    Kube {
        context: String,
        #[source]
        source: kube::Error,
    },

    /// A manifest (YAML or JSON) could not be parsed or produced.
    #[error("{context}: {message}")]
    Manifest { context: String, message: String },

    /// A CustomResourceDefinition was accepted but never reported `Established`.
    #[error("CustomResourceDefinition {name} was not Established after {waited_secs}s")]
    CrdNotEstablished { name: String, waited_secs: u64 },

    /// The TokenRequest API answered without a token.
    #[error("TokenRequest for ServiceAccount {namespace}/{name} returned no token")]
    TokenMissing { namespace: String, name: String },

    /// The node cannot run on this machine (not root, a package missing, a host command
    /// failing); the reason names what to fix.
    #[error("the test node is unavailable: {reason}")]
    NodeUnavailable { reason: String },

    /// A helper thread or blocking task ended without an answer (it panicked).
    #[error("the background task {task} died without an answer")]
    BackgroundTaskDied { task: &'static str },
}

impl DevClusterError {
    /// A stable CamelCase label for Events, conditions and metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::BuildFailed { .. } => "ControlPlaneBuildFailed",
            Self::BinaryMissing { .. } => "ControlPlaneBinaryMissing",
            Self::Io { .. } => "LocalIoFailed",
            Self::Certificates(_) => "CertificateGenerationFailed",
            Self::ProcessExited { .. } => "ControlPlaneProcessExited",
            Self::NotReady { .. } => "ControlPlaneNotReady",
            Self::Kubeconfig(_) => "KubeconfigInvalid",
            Self::Kube { .. } => "KubeApiFailed",
            Self::Manifest { .. } => "ManifestInvalid",
            Self::CrdNotEstablished { .. } => "CrdNotEstablished",
            Self::TokenMissing { .. } => "TokenMissing",
            Self::NodeUnavailable { .. } => "NodeUnavailable",
            Self::BackgroundTaskDied { .. } => "BackgroundTaskDied",
        }
    }

    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn kube(context: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube {
            context: context.into(),
            source,
        }
    }
}
