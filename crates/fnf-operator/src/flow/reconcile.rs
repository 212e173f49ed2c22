//! The Flow's thin layer: reads the cloud flow, decides, writes the status
//! only when it changed, publishes the decision's Events and carries out its
//! next step (CreateFlow, UpdateFlow; DeleteFlow on deletion). Every choice
//! is the decision's (`super::decide`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};

use super::decide::{
    CallFailure, CloudFlow, CloudRead, FlowNext, FlowView, Refusal, TRANSIENT_RECHECK, decide,
};
use crate::crd::{Flow, FlowDeletionPolicy, FlowMode, FlowStatus};
use crate::decide::events::flow as flow_events;
use crate::decide::view::ProblemKind;
use crate::reconcile::cloud::AccessProblem;
use crate::reconcile::context::Context;
use crate::reconcile::error::ReconcileError;
use crate::reconcile::object::{apply_status, patch_finalizer};
use fnf_client::{Client, ErrorCode, FlowDeclaration, FnfError};

/// Held while deleting the object must delete the cloud flow (Manage with
/// deletionPolicy Delete); never added otherwise.
pub const FLOW_FINALIZER: &str = "fnf-operator.dev/delete-flow";
/// Read, then at most a write and its answer: the decision needs no more.
const MAX_STEPS: usize = 3;

/// Wakes the FlowExecutions of a namespace that run a flow: (namespace, flow name).
pub type WakeFlowUsers = Box<dyn Fn(&str, &str) + Send + Sync>;

/// What the Flow controller shares between reconciles.
pub struct FlowContext {
    /// The FlowExecution controller's context: its Kubernetes client, the
    /// per-account fnf clients (one quota budget per account), Events, metrics.
    pub shared: Arc<Context>,
    /// The last write the cloud refused, per object uid.
    refusals: Mutex<HashMap<String, Refusal>>,
    /// Called when a Flow turns Ready: wakes the FlowExecutions waiting on it
    /// (namespace, flow name).
    pub on_ready: WakeFlowUsers,
    /// How often a flow is read back to find drift.
    pub resync: std::time::Duration,
}

impl FlowContext {
    pub fn new(shared: Arc<Context>, on_ready: WakeFlowUsers, resync: std::time::Duration) -> Self {
        Self {
            shared,
            refusals: Mutex::default(),
            on_ready,
            resync,
        }
    }

    fn refusals(&self) -> std::sync::MutexGuard<'_, HashMap<String, Refusal>> {
        self.refusals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub async fn reconcile(flow: Arc<Flow>, ctx: Arc<FlowContext>) -> Result<Action, ReconcileError> {
    let namespace = flow.namespace().ok_or(ReconcileError::NotNamespaced)?;
    let api: Api<Flow> = Api::namespaced(ctx.shared.kube.clone(), &namespace);
    let uid = flow.uid().unwrap_or_default();
    let client = ctx
        .shared
        .cloud
        .client_with(
            &namespace,
            flow.spec.region.as_deref(),
            flow.spec.credentials_secret_ref.as_ref(),
        )
        .await;
    if flow.metadata.deletion_timestamp.is_some() {
        ctx.refusals().remove(&uid);
        return finalize(&api, &flow, client.ok().as_ref(), &ctx).await;
    }
    let mut current = keep_finalizer(&api, (*flow).clone()).await?;
    let name = current.cloud_name();
    let mut read = match (&client, &name) {
        (_, None) => Ok(CloudRead::Unread),
        (Err(access), _) => Err(access_failure(access)),
        (Ok(client), Some(name)) => describe(client, name).await,
    };
    for _ in 0..MAX_STEPS {
        let view = FlowView {
            read: read.clone(),
            refusal: ctx.refusals().get(&uid).cloned(),
        };
        let decision = decide(&current, &view, ctx.resync, Timestamp::now());
        let was_ready = current.is_ready();
        current = write_status(&api, &ctx, current, &decision.status).await?;
        for note in &decision.events {
            ctx.shared
                .publish_about(current.object_ref(&()), note)
                .await;
        }
        if current.is_ready() && !was_ready {
            (ctx.on_ready)(&namespace, name.as_deref().unwrap_or_default());
        }
        let (Ok(client), Some(name)) = (&client, &name) else {
            return Ok(action_for(&decision.next));
        };
        let declared = declaration(&current, name);
        let written = match decision.next {
            FlowNext::Create => client.create_flow(&declared).await.map(|f| (f, None)),
            FlowNext::Update => {
                // Unchanged spec since the last observation: the cloud drifted.
                let drift = current.status.as_ref().and_then(|s| s.observed_generation)
                    == current.metadata.generation;
                client
                    .update_flow(&declared)
                    .await
                    .map(|f| (f, Some(drift)))
            }
            next => return Ok(action_for(&next)),
        };
        match written {
            Ok((answer, update)) => {
                ctx.refusals().remove(&uid);
                let note = match update {
                    None => flow_events::created(name, answer.request_id.as_deref()),
                    Some(drift) => flow_events::updated(name, drift, answer.request_id.as_deref()),
                };
                ctx.shared
                    .publish_about(current.object_ref(&()), &note)
                    .await;
                read = Ok(CloudRead::Found(cloud_flow(answer)));
            }
            // Created meanwhile (or by our own retried request): adopt it.
            Err(err) if err.error_code() == Some(ErrorCode::FlowAlreadyExists) => {
                read = describe(client, name).await;
            }
            Err(err) if is_transient(&err) => {
                tracing::info!(namespace = %namespace, flow = %name, reason = err.reason(), error = %err, "flow write failed; will retry");
                return Ok(Action::requeue(TRANSIENT_RECHECK));
            }
            Err(err) => {
                ctx.refusals().insert(
                    uid.clone(),
                    Refusal {
                        generation: current.metadata.generation,
                        failure: call_failure(&err),
                        at: Timestamp::now(),
                    },
                );
            }
        }
    }
    Ok(Action::requeue(TRANSIENT_RECHECK))
}

fn action_for(next: &FlowNext) -> Action {
    match next {
        FlowNext::Recheck(after) => Action::requeue(*after),
        FlowNext::AwaitChange => Action::await_change(),
        // Carried out by the caller; never reached with a client.
        FlowNext::Create | FlowNext::Update => Action::requeue(TRANSIENT_RECHECK),
    }
}

fn declaration(flow: &Flow, name: &str) -> FlowDeclaration {
    FlowDeclaration {
        name: name.to_string(),
        definition: flow.spec.definition.clone(),
        description: flow.spec.description.clone().unwrap_or_default(),
        role_arn: flow.spec.role_arn.clone().unwrap_or_default(),
        execution_mode: flow.spec.execution_mode.as_str().to_string(),
    }
}

async fn describe(client: &Client, name: &str) -> Result<CloudRead, CallFailure> {
    match client.describe_flow(name).await {
        Ok(found) => Ok(CloudRead::Found(cloud_flow(found))),
        Err(err) if err.error_code() == Some(ErrorCode::FlowNotExists) => Ok(CloudRead::Missing),
        Err(err) => Err(call_failure(&err)),
    }
}

fn cloud_flow(flow: fnf_client::Flow) -> CloudFlow {
    let execution_mode = match flow.execution_mode.as_deref() {
        None | Some("") => "Standard".to_string(),
        Some(mode) => mode.to_string(),
    };
    CloudFlow {
        id: flow.id,
        definition: flow.definition.unwrap_or_default(),
        description: flow.description.unwrap_or_default(),
        role_arn: flow.role_arn.unwrap_or_default(),
        created_time: flow.created_time,
        last_modified_time: flow.last_modified_time,
        execution_mode,
    }
}

fn is_transient(err: &FnfError) -> bool {
    err.is_retryable() || err.is_throttling()
}

fn call_failure(err: &FnfError) -> CallFailure {
    CallFailure {
        reason: err.reason().to_string(),
        // The client's Display carries the cloud's code, message and
        // RequestId, never credentials.
        message: crate::decide::clean::cloud_text(&err.to_string()),
        transient: is_transient(err),
    }
}

fn access_failure(access: &AccessProblem) -> CallFailure {
    CallFailure {
        reason: access.reason.to_string(),
        message: access.message.clone(),
        transient: access.kind == ProblemKind::Transient,
    }
}

async fn write_status(
    api: &Api<Flow>,
    ctx: &FlowContext,
    current: Flow,
    status: &FlowStatus,
) -> Result<Flow, ReconcileError> {
    match apply_status(api, &current.name_any(), current.status.as_ref(), status).await? {
        Some(written) => {
            ctx.shared.metrics.status_written();
            Ok(written)
        }
        None => Ok(current),
    }
}

fn wants_finalizer(flow: &Flow) -> bool {
    flow.spec.mode == FlowMode::Manage && flow.spec.deletion_policy == FlowDeletionPolicy::Delete
}

/// Adds or removes the finalizer as the spec wants it (compare-and-swap on
/// the resourceVersion).
async fn keep_finalizer(api: &Api<Flow>, current: Flow) -> Result<Flow, ReconcileError> {
    let wanted = wants_finalizer(&current);
    Ok(patch_finalizer(api, current, FLOW_FINALIZER, wanted).await?)
}

/// Deleting the object: DeleteFlow when the spec says so (a flow already gone
/// is fine), then the finalizer goes.
async fn finalize(
    api: &Api<Flow>,
    flow: &Flow,
    client: Option<&Client>,
    ctx: &FlowContext,
) -> Result<Action, ReconcileError> {
    if !flow.finalizers().iter().any(|f| f == FLOW_FINALIZER) {
        return Ok(Action::await_change());
    }
    if wants_finalizer(flow) {
        if let (Some(client), Some(name)) = (client, flow.cloud_name()) {
            match client.delete_flow(&name).await {
                Ok(()) => {
                    ctx.shared
                        .publish_about(flow.object_ref(&()), &flow_events::deleted(&name))
                        .await;
                }
                Err(err) if err.error_code() == Some(ErrorCode::FlowNotExists) => {}
                Err(err) => {
                    tracing::warn!(flow = %name, reason = err.reason(), error = %err, "DeleteFlow failed; the object's deletion waits");
                    return Ok(Action::requeue(TRANSIENT_RECHECK));
                }
            }
        } else if client.is_none() {
            // No credentials: the deletion waits for them (remove the
            // finalizer by hand to leave the cloud flow).
            return Ok(Action::requeue(TRANSIENT_RECHECK));
        }
    }
    patch_finalizer(api, flow.clone(), FLOW_FINALIZER, false).await?;
    Ok(Action::await_change())
}
