//! Applies the plan's workload steps to the control plane. A step that fails
//! (the apiserver is restarting, the object is already gone) is counted and
//! skipped: the soak judges the operator, not the workload.

use kube::Api;
use kube::api::{ApiResource, DeleteParams, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use super::plan::{CREDENTIALS_B_SECRET, WorkloadAction};
use fnf_operator::crd::{CronFlowExecution, Flow, FlowExecution};

const API_VERSION: &str = "fnf-operator.dev/v1alpha1";

/// A waiting flow's definition (`wait_secs` in one Wait state).
pub fn waiting_definition(name: &str, wait_secs: u32) -> String {
    format!(
        "Type: StateMachine\nSpecVersion: v1\nName: {name}\nStartAt: Pause\nStates:\n  - Type: Wait\n    Name: Pause\n    Seconds: {wait_secs}\n    Next: Done\n  - Type: Succeed\n    Name: Done\n"
    )
}

/// Ends TimedOut: its TimeoutSeconds is shorter than its Wait.
pub const FLOW_SLOWPOKE: &str = "Type: StateMachine\nSpecVersion: v1\nName: slowpoke\nTimeoutSeconds: 3\nStartAt: Pause\nStates:\n  - Type: Wait\n    Name: Pause\n    Seconds: 10\n    Next: Done\n  - Type: Succeed\n    Name: Done\n";

pub struct Workload {
    client: kube::Client,
}

fn api(client: &kube::Client, namespace: &str, resource: &ApiResource) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), namespace, resource)
}

impl Workload {
    pub fn new(client: kube::Client) -> Self {
        Self { client }
    }

    async fn create(
        &self,
        namespace: &str,
        resource: &ApiResource,
        object: Value,
    ) -> Result<(), kube::Error> {
        let object: DynamicObject =
            serde_json::from_value(object).map_err(kube::Error::SerdeError)?;
        api(&self.client, namespace, resource)
            .create(&PostParams::default(), &object)
            .await
            .map(|_| ())
    }

    async fn patch_spec(
        &self,
        namespace: &str,
        name: &str,
        spec: Value,
    ) -> Result<(), kube::Error> {
        let resource = ApiResource::erase::<FlowExecution>(&());
        api(&self.client, namespace, &resource)
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(json!({ "spec": spec })),
            )
            .await
            .map(|_| ())
    }

    async fn delete(
        &self,
        namespace: &str,
        name: &str,
        resource: &ApiResource,
    ) -> Result<(), kube::Error> {
        api(&self.client, namespace, resource)
            .delete(name, &DeleteParams::default())
            .await
            .map(|_| ())
    }

    pub async fn apply(&self, action: &WorkloadAction) -> Result<(), kube::Error> {
        let runs = ApiResource::erase::<FlowExecution>(&());
        match action {
            WorkloadAction::Create {
                namespace,
                name,
                flow,
                input,
                set_b,
                retry,
                replace,
            } => {
                let mut spec = json!({ "flowName": flow, "input": { "n": input } });
                if *set_b {
                    spec["credentialsSecretRef"] = json!({ "name": CREDENTIALS_B_SECRET });
                }
                if *retry {
                    spec["retry"] =
                        json!({ "limit": 2, "on": ["Failed", "TimedOut"], "backoffSeconds": 2 });
                }
                if *replace {
                    spec["whileRunning"] = json!("Replace");
                }
                let object = json!({
                    "apiVersion": API_VERSION, "kind": "FlowExecution",
                    "metadata": { "name": name, "namespace": namespace }, "spec": spec,
                });
                self.create(namespace, &runs, object).await
            }
            WorkloadAction::EditInput {
                namespace,
                name,
                input,
            } => {
                self.patch_spec(namespace, name, json!({ "input": { "n": input } }))
                    .await
            }
            WorkloadAction::EditRunKey {
                namespace,
                name,
                key,
            } => {
                self.patch_spec(namespace, name, json!({ "runKey": format!("k{key}") }))
                    .await
            }
            WorkloadAction::Stop { namespace, name } => {
                self.patch_spec(namespace, name, json!({ "stop": true }))
                    .await
            }
            WorkloadAction::Suspend {
                namespace,
                name,
                suspend,
            } => {
                self.patch_spec(namespace, name, json!({ "suspend": suspend }))
                    .await
            }
            WorkloadAction::Delete { namespace, name } => self.delete(namespace, name, &runs).await,
            WorkloadAction::CreateCron {
                namespace,
                name,
                flow,
            } => {
                let object = json!({
                    "apiVersion": API_VERSION, "kind": "CronFlowExecution",
                    "metadata": { "name": name, "namespace": namespace },
                    "spec": {
                        "schedule": "* * * * *", "concurrencyPolicy": "Forbid",
                        "template": { "spec": { "flowName": flow, "input": { "cron": name } } },
                    },
                });
                self.create(
                    namespace,
                    &ApiResource::erase::<CronFlowExecution>(&()),
                    object,
                )
                .await
            }
            WorkloadAction::DeleteCron { namespace, name } => {
                self.delete(
                    namespace,
                    name,
                    &ApiResource::erase::<CronFlowExecution>(&()),
                )
                .await
            }
            WorkloadAction::ApplyFlow {
                namespace,
                name,
                wait_secs,
            } => {
                let flows = ApiResource::erase::<Flow>(&());
                let flow_name = format!("{namespace}-{name}");
                let object = json!({
                    "apiVersion": API_VERSION, "kind": "Flow",
                    "metadata": { "name": name, "namespace": namespace },
                    "spec": { "flowName": flow_name, "definition": waiting_definition(&flow_name, *wait_secs) },
                });
                let object: DynamicObject =
                    serde_json::from_value(object).map_err(kube::Error::SerdeError)?;
                api(&self.client, namespace, &flows)
                    .patch(
                        name,
                        &PatchParams::apply("fnf-soak").force(),
                        &Patch::Apply(&object),
                    )
                    .await
                    .map(|_| ())
            }
            WorkloadAction::DeleteFlow { namespace, name } => {
                self.delete(namespace, name, &ApiResource::erase::<Flow>(&()))
                    .await
            }
        }
    }
}
