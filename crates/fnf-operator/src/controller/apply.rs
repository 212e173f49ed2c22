//! The thin layer: runs the decision's next step against the cloud, writes the
//! status (only when it changed), publishes Events and keeps the finalizer.
//! Every choice is made by `decide`; this file only carries it out.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use kube::api::{Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};
use serde_json::json;

use super::calls;
use super::classify;
use super::context::Context;
use super::decide::{Next, decide};
use super::events::EventNote;
use super::finalize;
use super::outputs;
use super::tracker::{PollTarget, TrackKey};
use super::view::ProblemKind;
use crate::crd::{FINALIZER, FlowExecution};
use fnf_client::Client;

pub const FIELD_MANAGER: &str = "fnf-operator";

/// Decision steps per reconcile: start, read, fetch failure, stop, and slack.
const MAX_STEPS: usize = 6;
/// An object waiting for its turn to start is woken by the gate; this only
/// covers a wake-up that never came.
const START_TURN_RECHECK: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("object has no namespace")]
    NotNamespaced,
}

impl ReconcileError {
    pub fn reason(&self) -> &'static str {
        match self {
            ReconcileError::Kube(_) => "KubernetesApi",
            ReconcileError::NotNamespaced => "NotNamespaced",
        }
    }
}

pub async fn reconcile(
    fe: Arc<FlowExecution>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let namespace = fe.namespace().ok_or(ReconcileError::NotNamespaced)?;
    let api: Api<FlowExecution> = Api::namespaced(ctx.kube.clone(), &namespace);
    let key = TrackKey::of(&fe);
    if fe.metadata.deletion_timestamp.is_some() {
        return finalize::finalize(&ctx.freshest(&key, (*fe).clone()), &api, &key, &ctx).await;
    }

    let mut current = ctx.freshest(&key, (*fe).clone());
    let client = current_client(&ctx, &key, &current).await;
    let mut start_permit = None;
    let mut failed_before = false;
    for _ in 0..MAX_STEPS {
        let view = ctx.tracker.view(&key);
        let decision = decide(&current, &view, &ctx.decide, Timestamp::now());
        if decision.next == Next::Start && start_permit.is_none() {
            match ctx.start_gate.try_enter(&key, created_ms(&current)) {
                Some(permit) => start_permit = Some(permit),
                // Nothing is written while it waits; the gate wakes it.
                None => return Ok(Action::requeue(START_TURN_RECHECK)),
            }
        } else if start_permit.is_none() {
            ctx.start_gate.leave(&key);
        }
        // An ending's detail is one call away: write the ending once, with it.
        let complete_soon = decision.next == Next::FetchFailure && !failed_before;
        if !complete_soon {
            current = write_status(
                &api,
                &ctx,
                &key,
                current,
                &decision.status,
                &decision.events,
            )
            .await?;
            let mut pending = Vec::new();
            ctx.tracker.update(&key, |view| {
                pending = std::mem::take(&mut view.pending_events)
            });
            for note in &pending {
                ctx.publish(&current, note).await;
            }
            let before = current.resource_version();
            current = keep_finalizer(&api, current, decision.wants_finalizer).await?;
            if current.resource_version() != before {
                // Our own write is newer than the watch cache: decide on it next time.
                ctx.remember_written(&key, &current);
            }
        }
        // Steps that need no cloud call come first.
        match &decision.next {
            Next::Retry(after) => return Ok(Action::requeue(*after)),
            Next::Done => {
                ctx.tracker.stop_polling(&key);
                return Ok(Action::await_change());
            }
            Next::ExportOutput => {
                let written = outputs::export(&ctx.kube, &current, &view).await;
                if let Err(message) = &written.outcome {
                    ctx.publish(
                        &current,
                        &EventNote::warning("OutputNotWritten", "WriteOutput", message.clone()),
                    )
                    .await;
                }
                ctx.tracker
                    .update(&key, |view| view.output_written = Some(written));
                continue;
            }
            Next::Delete => {
                ctx.forget(&key);
                outputs::delete_expired(&api, &current).await?;
                return Ok(Action::await_change());
            }
            _ => {}
        }
        let Some(client) = client.as_ref() else {
            // No client: the problem is in the view and the decision holds the retry.
            return Ok(Action::requeue(Duration::from_secs(30)));
        };
        let execution_name = current.resolved_execution_name();
        let flow_name = current.spec.flow_name.clone();
        let outcome = match decision.next {
            Next::Start => calls::start(client, &current, &ctx, &key).await,
            Next::Describe => calls::describe(client, &current, &ctx, &key).await,
            Next::FetchFailure => {
                calls::fetch_failure(client, &flow_name, &execution_name, &ctx, &key).await
            }
            Next::Stop { error, cause } => {
                calls::stop(client, &current, (error, &cause), &ctx, &key).await
            }
            Next::Watch { recheck_after } => {
                ctx.tracker.ensure_polling(
                    &key,
                    PollTarget {
                        client: client.clone(),
                        flow_name: flow_name.clone(),
                        execution_name: execution_name.clone(),
                        strategy: ctx.poll,
                        recorded_start: current
                            .status
                            .as_ref()
                            .and_then(|s| s.started_time.as_deref())
                            .and_then(fnf_client::model::parse_cloud_time),
                    },
                );
                if ctx.follow_steps {
                    ctx.tracker.ensure_following_steps(
                        &key,
                        client.clone(),
                        &flow_name,
                        &execution_name,
                    );
                }
                return Ok(recheck_after.map_or_else(Action::await_change, Action::requeue));
            }
            // Handled above, before a client was needed.
            Next::Retry(_) | Next::Done | Next::ExportOutput | Next::Delete => Ok(()),
        };
        if let Err(err) = outcome {
            // The next decision writes what the failure means and holds the
            // next try for the back-off recorded here.
            let now = Timestamp::now();
            ctx.tracker.update(&key, |view| {
                view.problem = Some(classify::problem(&err, view.problem.as_ref(), now));
            });
            failed_before = true;
        }
    }
    Ok(Action::requeue(Duration::from_secs(1)))
}

/// The creation time, for the start gate's order (unknown sorts first).
fn created_ms(fe: &FlowExecution) -> i64 {
    fe.metadata
        .creation_timestamp
        .as_ref()
        .map_or(0, |t| t.0.as_millisecond())
}

/// Writes `status` when it differs from what is persisted, then the Events that
/// the transition deserves. Returns the object as now persisted.
pub(super) async fn write_status(
    api: &Api<FlowExecution>,
    ctx: &Context,
    key: &TrackKey,
    current: FlowExecution,
    status: &crate::crd::FlowExecutionStatus,
    events: &[EventNote],
) -> Result<FlowExecution, ReconcileError> {
    if current.status.as_ref() == Some(status) {
        return Ok(current);
    }
    // Fields another client wrote are not removed by our apply: null them first.
    let cleared = current
        .status
        .as_ref()
        .map(|persisted| status.fields_cleared_since(persisted))
        .unwrap_or_default();
    if !cleared.is_empty() {
        let nulls: serde_json::Map<String, serde_json::Value> = cleared
            .into_iter()
            .map(|field| (field, serde_json::Value::Null))
            .collect();
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PatchParams::default()
        };
        api.patch_status(
            &current.name_any(),
            &params,
            &Patch::Merge(json!({"status": nulls})),
        )
        .await?;
    }
    let patch = json!({
        "apiVersion": FlowExecution::api_version(&()),
        "kind": FlowExecution::kind(&()),
        "status": status,
    });
    let written = api
        .patch_status(
            &current.name_any(),
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await?;
    ctx.metrics.status_written();
    ctx.remember_written(key, &written);
    for note in events {
        ctx.publish(&written, note).await;
    }
    ctx.tracker.update(key, |view| {
        view.announced
            .extend(events.iter().map(|note| note.reason.clone()));
    });
    Ok(written)
}

pub(super) async fn keep_finalizer(
    api: &Api<FlowExecution>,
    current: FlowExecution,
    wanted: bool,
) -> Result<FlowExecution, ReconcileError> {
    let finalizers = current.finalizers();
    let has = finalizers.iter().any(|f| f == FINALIZER);
    if has == wanted {
        return Ok(current);
    }
    let mut list: Vec<String> = finalizers
        .iter()
        .filter(|f| *f != FINALIZER)
        .cloned()
        .collect();
    if wanted {
        list.push(FINALIZER.to_string());
    }
    // The resourceVersion makes this a compare-and-swap on the finalizer list.
    let patch =
        json!({"metadata": {"finalizers": list, "resourceVersion": current.resource_version()}});
    Ok(api
        .patch(
            &current.name_any(),
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await?)
}

/// The client for `fe` as its credentials are now. Problems with the old
/// ones are over once they change: a missing Secret that now exists, keys
/// the cloud refused that were replaced. With no client (a missing Secret,
/// a bad region) nothing is called with credentials that are gone, polls
/// included.
pub(super) async fn current_client(
    ctx: &Context,
    key: &TrackKey,
    fe: &FlowExecution,
) -> Option<Client> {
    let now = Timestamp::now();
    match ctx.cloud.client_for(fe).await {
        Ok(client) => {
            let changed = ctx.tracker.set_client(key, &client);
            ctx.tracker.update(key, |view| {
                let over = view.problem.as_ref().is_some_and(|p| {
                    !p.from_call || (changed && p.kind == ProblemKind::Credentials)
                });
                if over {
                    view.problem = None;
                }
            });
            Some(client)
        }
        Err(access) => {
            ctx.tracker.update(key, |view| {
                view.problem = Some(classify::local_problem(
                    access.kind,
                    access.reason,
                    access.message.clone(),
                    view.problem.as_ref(),
                    now,
                ));
            });
            if access.kind != ProblemKind::Transient {
                ctx.tracker.stop_polling(key);
            }
            None
        }
    }
}
