//! What the operator knows from the cloud about one execution, in the terms the
//! decision needs. Plain data: no client types, no I/O.

use std::time::Duration;

use jiff::Timestamp;

/// One read of the execution, verbatim as the cloud sent it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutionRead {
    pub status: Option<String>,
    pub output: Option<String>,
    pub started_time: Option<String>,
    pub stopped_time: Option<String>,
    pub request_id: Option<String>,
    /// The operator found this execution rather than creating it.
    pub adopted: bool,
}

/// Error and cause of a failed execution, read from its history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailureDetail {
    pub error: Option<String>,
    pub cause: Option<String>,
}

/// How a failed call bears on the resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    /// Throttling, 5xx, timeouts, dropped connections: retried; changes no
    /// condition but `CloudReachable`.
    Transient,
    /// No execution of that name exists.
    ExecutionMissing,
    /// The flow does not exist (yet: GitOps may apply the flow a moment later).
    FlowMissing,
    /// Credentials are missing, unknown or not allowed: fixable without a spec
    /// change (a Secret or a RAM policy), so retried slowly.
    Credentials,
    /// The cloud refused the spec itself; identity is immutable, so this is final.
    SpecRefused,
}

/// The last failed call for this execution.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudProblem {
    pub kind: ProblemKind,
    /// Stable reason for conditions and Events (the client's `reason()`).
    pub reason: String,
    /// Human text: the cloud's Code verbatim and its message.
    pub message: String,
    pub request_id: Option<String>,
    /// When this kind of problem was first seen without a success in between.
    pub since: Timestamp,
    /// When it was last seen: retries are timed from here, never from what
    /// woke the reconcile (our own status write wakes it too).
    pub last_seen: Timestamp,
    /// How many times in a row it was seen: the retry back-off doubles with each.
    pub attempts: u32,
    /// Whether a cloud call answered this way. A problem found before any
    /// call (a missing Secret) says nothing about the cloud's reachability.
    pub from_call: bool,
}

/// Everything the cloud has said about one execution since the operator started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CloudView {
    pub execution: Option<ExecutionRead>,
    pub failure: Option<FailureDetail>,
    pub problem: Option<CloudProblem>,
    /// StopExecution was accepted for this execution.
    pub stop_requested: bool,
    /// The last attempt to write the Output to `spec.outputTo`.
    pub output_written: Option<OutputExport>,
    /// What the history says so far.
    pub steps: Option<StepProgress>,
    /// Failed steps found while following the history, not yet announced:
    /// (step, error and cause).
    pub unannounced_step_failures: Vec<(String, String)>,
    /// The execution of that name is not the one this object declares (another
    /// flow or input): why. Nothing of it is mirrored.
    pub name_in_use: Option<String>,
    /// Reasons of the Events published for this object since the operator
    /// started: a transition announced once is not announced again when a
    /// forged status is corrected.
    pub announced: std::collections::BTreeSet<String>,
    /// Whether a `Flow` object in the namespace manages the execution's flow,
    /// and whether it is Ready (`None`: none does). Read from the watch cache.
    pub flow: Option<FlowReadiness>,
}

/// The state of the `Flow` object managing an execution's flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlowReadiness {
    Ready,
    NotReady,
}

/// One attempt to write the Output to the object `spec.outputTo` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputExport {
    /// The object it was for: `ConfigMap/name` or `Secret/name`.
    pub target: String,
    /// Why it was not written, if it was not.
    pub outcome: Result<(), String>,
}

/// The execution's progress through its steps, from its history.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepProgress {
    /// The last step entered.
    pub current: Option<String>,
    /// Steps entered so far.
    pub entered: i64,
    /// Failed steps seen so far: (step, error and cause).
    pub failed: Vec<(String, String)>,
}

impl CloudView {
    /// Whether the cloud has said this execution ended.
    pub fn ended(&self) -> bool {
        self.execution
            .as_ref()
            .and_then(|e| e.status.as_deref())
            .is_some_and(crate::crd::phase::is_terminal)
    }
}

/// Settings the decision depends on.
#[derive(Clone, Debug)]
pub struct DecideSettings {
    /// How long a missing flow is waited for before the resource is Stalled.
    pub flow_missing_grace: Duration,
    /// The largest Input the operator sends (the cloud caps event data).
    pub input_max_bytes: usize,
    /// The most of an Output the status holds; a larger one is cut there.
    pub status_output_max_bytes: usize,
    /// Namespaces whose FlowExecutions may use execution names outside their
    /// own namespace prefix (`*`: every namespace). Empty: none may.
    pub allow_foreign_execution_names: Vec<String>,
    /// How long an execution the operator started or has seen is re-read
    /// while the cloud answers ExecutionNotExists, before it is taken as gone:
    /// a read right after the start can lag behind it.
    pub execution_missing_window: Duration,
}

impl DecideSettings {
    /// Whether FlowExecutions of `namespace` may name executions of others.
    pub fn allows_foreign_names(&self, namespace: &str) -> bool {
        self.allow_foreign_execution_names
            .iter()
            .any(|n| n == "*" || n == namespace)
    }
}

impl Default for DecideSettings {
    fn default() -> Self {
        Self {
            flow_missing_grace: Duration::from_secs(120),
            input_max_bytes: INPUT_MAX_BYTES,
            status_output_max_bytes: STATUS_OUTPUT_MAX_BYTES,
            allow_foreign_execution_names: Vec::new(),
            execution_missing_window: EXECUTION_MISSING_WINDOW,
        }
    }
}

/// Read-after-write lag in the cloud is seconds; three minutes of
/// ExecutionNotExists answers (re-read with back-off) is not lag.
pub const EXECUTION_MISSING_WINDOW: Duration = Duration::from_secs(180);

/// The cloud keeps 32–64 KiB per event's data and Input is one event: refuse
/// more before any call rather than after one.
pub const INPUT_MAX_BYTES: usize = 32 * 1024;

/// What of an Output the status holds by default. An object must stay under
/// etcd's 1.5 MiB request limit with room for the rest of the status, and the
/// operator caches every object: 64 KiB keeps an Output of the cloud's own
/// event size whole while a larger one cannot stall the status write. The
/// whole Output goes to `spec.outputTo` and `kubectl fnf output`.
pub const STATUS_OUTPUT_MAX_BYTES: usize = 64 * 1024;

/// The input the current declaration sends: `spec.input` with each
/// `spec.inputFrom` entry applied by the thin layer, or why a source of it
/// cannot be read yet. May hold Secret values: its `Debug` prints none.
#[derive(Clone, PartialEq)]
pub enum DeclaredInput {
    Ready(serde_json::Map<String, serde_json::Value>),
    /// A ConfigMap, Secret or key `spec.inputFrom` names is missing (or its
    /// value unusable): the reason and a message naming it, never a value.
    Missing {
        reason: String,
        message: String,
    },
}

impl DeclaredInput {
    /// The input of a spec without `inputFrom`.
    pub fn of_spec(fe: &crate::crd::FlowExecution) -> Self {
        DeclaredInput::Ready(fe.spec.input.clone().unwrap_or_default())
    }

    /// The input, once every source of it was read.
    pub fn ready(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
        match self {
            DeclaredInput::Ready(input) => Some(input),
            DeclaredInput::Missing { .. } => None,
        }
    }
}

impl std::fmt::Debug for DeclaredInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeclaredInput::Ready(input) => {
                let fields: Vec<&String> = input.keys().collect();
                f.debug_struct("Ready").field("fields", &fields).finish()
            }
            DeclaredInput::Missing { reason, message } => f
                .debug_struct("Missing")
                .field("reason", reason)
                .field("message", message)
                .finish(),
        }
    }
}
