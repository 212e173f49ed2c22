//! Why a reconcile failed: only the Kubernetes API can fail one. Cloud
//! trouble is not an error here: it is recorded in the object's view and the
//! decision says what it means.

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("object has no namespace")]
    NotNamespaced,
}

impl ReconcileError {
    /// Stable, CamelCase: for metric labels and logs.
    pub fn reason(&self) -> &'static str {
        match self {
            ReconcileError::Kube(_) => "KubernetesApi",
            ReconcileError::NotNamespaced => "NotNamespaced",
        }
    }
}
