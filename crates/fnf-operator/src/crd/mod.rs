//! The `FlowExecution` custom resource: its spec, status and conditions.
//!
//! The CRD YAML under `crds/` is generated from these types by `fnf-crdgen`;
//! a test fails when the committed YAML drifts from them.
//!
//! - `spec`, `run_spec`: what the user declares; `status`: what the operator reports.
//! - `schema`: schema pieces and admission rules the derive cannot express.
//! - `execution_name`, `run_identity`: pure naming of executions and runs.
//! - `input_sources`: pure, the input a run sends (inputFrom applied).
//! - `cron`: the `CronFlowExecution` kind (a FlowExecution on a schedule).

mod cron;
mod execution_name;
mod flow;
mod input_sources;
mod run_identity;
mod run_spec;
mod schema;
mod spec;
mod status;

pub use cron::{
    CRON_CRD_PATHS, CRON_NAME_MAX_CHARS, ConcurrencyPolicy, CronFlowExecution,
    CronFlowExecutionSpec, CronFlowExecutionStatus, FlowExecutionTemplate, RunReference,
    TemplateMetadata, cron_crd, cron_crd_yaml,
};
pub use execution_name::{
    FNF_NAME_MAX_CHARS, default_execution_name, is_valid_fnf_name, legacy_default_execution_name,
    namespace_prefix, run_execution_name,
};
pub use flow::{
    Flow, FlowDeletionPolicy, FlowExecutionMode, FlowMode, FlowSpec, FlowStatus, definition_hash,
    flow_crd,
};
pub use input_sources::{InputSourceError, SourceData, referenced_sources, resolved_input};
pub use run_identity::{RUN_IDENTITY_HEX_CHARS, RunIdentity};
pub use run_spec::{
    InputFieldSource, InputSourceKind, ObjectKeyRef, RETRY_BACKOFF_MAX_SECS, RETRY_LIMIT_MAX,
    Retry, RetryOn, RunPolicy, WhileRunning,
};
pub use schema::{INPUT_DEPTH_POLICY_NAME, INPUT_MAX_DEPTH, input_depth_policy};
pub use spec::{
    DeletionPolicy, FlowExecution, FlowExecutionSpec, Mode, ObjectName, OutputTarget, SecretRef,
    TtlStrategy,
};
pub use status::{
    Condition, FlowExecutionStatus, RUNS_MAX, RunRecord, condition_type, fields_dropped, phase,
    runs_with,
};

pub const GROUP: &str = "fnf-operator.dev";
pub const FINALIZER: &str = "fnf-operator.dev/stop-execution";
/// The field manager of every write the operator makes (status, finalizer,
/// `spec.outputTo` objects, its Lease).
pub const FIELD_MANAGER: &str = "fnf-operator";
impl FlowExecution {
    /// The execution name of the status's current run: the explicit one,
    /// else the deterministic default; under `runPolicy: OnChange`, the name
    /// of the run and attempt the status records (`runIdentity`, `attempt`).
    /// Only ever derived, never read from the status: a forged status can
    /// point at this object's own names only. An object whose status recorded
    /// the default (also as older versions built it) keeps that name, so
    /// nothing starts twice across an upgrade.
    pub fn resolved_execution_name(&self) -> String {
        if let Some(name) = &self.spec.execution_name {
            return name.clone();
        }
        let namespace = self.metadata.namespace.as_deref().unwrap_or("default");
        let name = self.metadata.name.as_deref().unwrap_or_default();
        let status = self.status.as_ref();
        let recorded = status.and_then(|s| s.execution_name.as_deref());
        let legacy = legacy_default_execution_name(namespace, name);
        let default = default_execution_name(namespace, name);
        match recorded {
            Some(r) if r == legacy => return legacy,
            Some(r) if r == default => return default,
            _ => {}
        }
        let run = status.and_then(|s| {
            let identity = RunIdentity::parse(s.run_identity.as_deref()?)?;
            Some((identity, s.attempt.unwrap_or(1)))
        });
        match run {
            Some((identity, attempt)) if self.runs_on_change() => {
                run_execution_name(namespace, name, &identity, attempt)
            }
            _ => default,
        }
    }

    /// Whether each declaration runs once (`runPolicy: OnChange` in Start
    /// mode): Observe mode follows a name someone else chose.
    pub fn runs_on_change(&self) -> bool {
        self.run_policy() == RunPolicy::OnChange && self.spec.mode == Mode::Start
    }

    /// Whether the execution name carries this object's namespace prefix, as
    /// every default name does: the share of the account's names that belongs
    /// to this namespace.
    pub fn execution_name_is_own(&self) -> bool {
        let namespace = self.metadata.namespace.as_deref().unwrap_or("default");
        self.resolved_execution_name()
            .starts_with(&namespace_prefix(namespace))
    }

    /// The effective run policy: the explicit one, else `Once` when an
    /// explicit `executionName` names the one run, else `OnChange`.
    pub fn run_policy(&self) -> RunPolicy {
        match (self.spec.run_policy, &self.spec.execution_name) {
            (Some(policy), _) => policy,
            (None, Some(_)) => RunPolicy::Once,
            (None, None) => RunPolicy::OnChange,
        }
    }

    /// The identity of running this spec with `resolved_input` (the input the
    /// cloud will get: `spec.input` with `spec.inputFrom` applied).
    pub fn run_identity(
        &self,
        resolved_input: &serde_json::Map<String, serde_json::Value>,
    ) -> RunIdentity {
        RunIdentity::of(
            &self.spec.flow_name,
            self.spec.qualifier.as_deref(),
            resolved_input,
            self.spec.run_key.as_deref(),
            &self.spec.input_from,
        )
    }

    /// The execution name of attempt `attempt` of the run `identity` of this
    /// object (OnChange without an explicit name).
    pub fn run_execution_name(&self, identity: &RunIdentity, attempt: i32) -> String {
        let namespace = self.metadata.namespace.as_deref().unwrap_or("default");
        let name = self.metadata.name.as_deref().unwrap_or_default();
        run_execution_name(namespace, name, identity, attempt)
    }
}

/// Where the generated CRD is committed, relative to the repository root: the
/// plain copy users apply, and the chart's copy Helm installs.
pub const CRD_PATHS: [&str; 2] = [
    "crds/flowexecutions.fnf-operator.dev.yaml",
    "charts/fnf-operator/crds/flowexecutions.fnf-operator.dev.yaml",
];

/// The CRD: derived from the types, plus a default `status` of
/// `{observedGeneration: 0}` so that a new object reads as "not yet observed"
/// (kstatus: InProgress) before the operator first writes its status, instead
/// of Current for want of any status at all.
pub fn crd()
-> k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition {
    use kube::CustomResourceExt as _;
    let mut crd = FlowExecution::crd();
    default_status(&mut crd);
    crd
}

/// Gives every version's `status` the default `{observedGeneration: 0}`.
fn default_status(
    crd: &mut k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
) {
    for version in &mut crd.spec.versions {
        let status = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
            .and_then(|s| s.properties.as_mut())
            .and_then(|p| p.get_mut("status"));
        if let Some(status) = status {
            status.default = Some(
                k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSON(
                    serde_json::json!({"observedGeneration": 0}),
                ),
            );
        }
    }
}

/// Where the Flow CRD is committed, as [`CRD_PATHS`].
pub const FLOW_CRD_PATHS: [&str; 2] = [
    "crds/flows.fnf-operator.dev.yaml",
    "charts/fnf-operator/crds/flows.fnf-operator.dev.yaml",
];

/// The Flow CRD as committed.
pub fn flow_crd_yaml() -> Result<String, serde_saphyr::SerializeError> {
    let body = committed_yaml(&flow_crd())?;
    Ok(format!(
        "# Generated by `cargo run --bin fnf-crdgen -- --write` from crates/fnf-operator/src/crd. Do not edit.\n{body}"
    ))
}

/// Where the admission policy limiting `spec.input`'s depth is committed:
/// next to the CRD, so `kubectl apply -f crds/` and Helm install both.
pub const POLICY_PATHS: [&str; 2] = [
    "crds/flowexecutions.fnf-operator.dev-input-depth.yaml",
    "charts/fnf-operator/crds/flowexecutions.fnf-operator.dev-input-depth.yaml",
];

/// YAML as committed. serde-saphyr would fold a one-line string longer than
/// 80 characters over several lines; CEL rules and messages read, diff and
/// grep better whole. Multi-line descriptions stay literal blocks.
fn committed_yaml<T: serde::Serialize>(value: &T) -> Result<String, serde_saphyr::SerializeError> {
    serde_saphyr::to_string_with_options(
        value,
        serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX },
    )
}

/// The input-depth policy and its binding as committed.
pub fn input_depth_policy_yaml() -> Result<String, serde_saphyr::SerializeError> {
    let mut out = String::from(
        "# Generated by `cargo run --bin fnf-crdgen -- --write` from crates/fnf-operator/src/crd. Do not edit.\n",
    );
    for (i, object) in input_depth_policy().iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&committed_yaml(object)?);
    }
    Ok(out)
}

/// The CRD as committed: a header saying it is generated, then the YAML.
pub fn crd_yaml() -> Result<String, serde_saphyr::SerializeError> {
    let body = committed_yaml(&crd())?;
    Ok(format!(
        "# Generated by `cargo run --bin fnf-crdgen -- --write` from crates/fnf-operator/src/crd. Do not edit.\n{body}"
    ))
}

/// Every generated file with its committed paths: what `fnf-crdgen --write`
/// writes and the drift test compares, so a new CRD is one entry here.
pub fn generated_files() -> Result<Vec<(&'static str, String)>, serde_saphyr::SerializeError> {
    let documents = [
        (CRD_PATHS, crd_yaml()?),
        (POLICY_PATHS, input_depth_policy_yaml()?),
        (CRON_CRD_PATHS, cron_crd_yaml()?),
        (FLOW_CRD_PATHS, flow_crd_yaml()?),
    ];
    Ok(documents
        .into_iter()
        .flat_map(|(paths, text)| paths.map(|path| (path, text.clone())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(spec: serde_json::Value) -> FlowExecution {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "FlowExecution",
            "metadata": {"name": "run", "namespace": "ns"}, "spec": spec,
        }))
        .unwrap()
    }

    #[test]
    fn the_run_policy_defaults_to_once_only_with_an_explicit_execution_name() {
        let policy = |spec| object(spec).run_policy();
        assert_eq!(
            policy(serde_json::json!({"flowName": "f"})),
            RunPolicy::OnChange
        );
        assert_eq!(
            policy(serde_json::json!({"flowName": "f", "executionName": "ns_x"})),
            RunPolicy::Once
        );
        assert_eq!(
            policy(serde_json::json!({"flowName": "f", "runPolicy": "Once"})),
            RunPolicy::Once
        );
    }

    #[test]
    fn a_run_name_carries_the_objects_default_name() {
        let fe = object(serde_json::json!({"flowName": "f", "input": {"a": 1}}));
        let identity = fe.run_identity(fe.spec.input.as_ref().unwrap());
        assert_eq!(
            fe.run_execution_name(&identity, 2),
            format!("ns_run_R{identity}_A2")
        );
    }
}
