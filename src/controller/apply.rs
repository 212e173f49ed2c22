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

use super::classify;
use super::context::Context;
use super::decide::{DeletionStep, Next, decide, deletion_step};
use super::events::EventNote;
use super::tracker::{PollTarget, TrackKey};
use super::view::{CloudView, ProblemKind};
use crate::crd::{FINALIZER, FlowExecution, phase};
use crate::fnf::{Client, FnfError, StartExecution};

pub const FIELD_MANAGER: &str = "fnf-operator";

/// The cloud's StartedTime this long before our StartExecution means the call
/// joined an execution that was already running rather than starting it.
const ADOPTION_THRESHOLD: Duration = Duration::from_secs(60);
/// Decision steps per reconcile: start, read, fetch failure, stop, and slack.
const MAX_STEPS: usize = 6;

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("cloud call failed and will be retried: {0}")]
    CloudTransient(String),
    #[error("object has no namespace")]
    NotNamespaced,
}

impl ReconcileError {
    pub fn reason(&self) -> &'static str {
        match self {
            ReconcileError::Kube(_) => "KubernetesApi",
            ReconcileError::CloudTransient(_) => "CloudTransient",
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
        return finalize(&fe, &api, &key, &ctx).await;
    }

    let mut current = ctx.freshest(&key, (*fe).clone());
    let client = match ctx.cloud.client_for(&current).await {
        Ok(client) => Some(client),
        Err(problem) => {
            let now = Timestamp::now();
            ctx.tracker.update(&key, |view| {
                view.problem = Some(classify::local_problem(
                    problem.kind,
                    problem.reason,
                    problem.message.clone(),
                    view.problem.as_ref(),
                    now,
                ));
            });
            None
        }
    };

    let mut backoff_after_write = None;
    for _ in 0..MAX_STEPS {
        let view = ctx.tracker.view(&key);
        let decision = decide(&current, &view, &ctx.decide, Timestamp::now());
        // An ending's detail is one call away: write the ending once, with it.
        let complete_soon = decision.next == Next::FetchFailure && backoff_after_write.is_none();
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
            current = keep_finalizer(&api, current, decision.wants_finalizer).await?;
        }
        if let Some(err) = backoff_after_write.take() {
            return Err(ReconcileError::CloudTransient(err));
        }
        let Some(client) = client.as_ref() else {
            return Ok(match decision.next {
                Next::Retry(after) => Action::requeue(after),
                _ => Action::requeue(Duration::from_secs(300)),
            });
        };
        let execution_name = current.resolved_execution_name();
        let flow_name = current.spec.flow_name.clone();
        let outcome = match decision.next {
            Next::Start => start(client, &current, &ctx, &key).await,
            Next::Describe => describe(client, &flow_name, &execution_name, &ctx, &key).await,
            Next::FetchFailure => {
                fetch_failure(client, &flow_name, &execution_name, &ctx, &key).await
            }
            Next::Stop => stop(client, &current, &ctx, &key).await,
            Next::Watch => {
                ctx.tracker.ensure_polling(
                    &key,
                    PollTarget {
                        client: client.clone(),
                        flow_name,
                        execution_name,
                        strategy: ctx.poll,
                    },
                );
                return Ok(Action::await_change());
            }
            Next::Retry(after) => return Ok(Action::requeue(after)),
            Next::Done => {
                ctx.tracker.stop_polling(&key);
                return Ok(Action::await_change());
            }
        };
        if let Err(err) = outcome {
            let now = Timestamp::now();
            let mut transient = false;
            ctx.tracker.update(&key, |view| {
                let problem = classify::problem(&err, view.problem.as_ref(), now);
                transient = problem.kind == ProblemKind::Transient;
                view.problem = Some(problem);
            });
            if transient {
                // Write what the failure means (CloudReachable) first, then back off.
                backoff_after_write = Some(err.to_string());
            }
        }
    }
    Ok(Action::requeue(Duration::from_secs(1)))
}

async fn start(
    client: &Client,
    fe: &FlowExecution,
    ctx: &Context,
    key: &TrackKey,
) -> Result<(), FnfError> {
    let request = StartExecution {
        flow_name: fe.spec.flow_name.clone(),
        execution_name: fe.resolved_execution_name(),
        input: fe
            .spec
            .input
            .as_ref()
            .and_then(|input| serde_json::to_string(input).ok()),
        qualifier: fe.spec.qualifier.clone(),
    };
    let sent_at = Timestamp::now();
    ctx.metrics.cloud_call("StartExecution");
    match client.start_execution(&request).await {
        Ok(execution) => {
            let adopted = execution.started_at().is_some_and(|started| {
                sent_at.duration_since(started).unsigned_abs() > ADOPTION_THRESHOLD
                    && started < sent_at
            });
            ctx.metrics.start_sent(adopted);
            record(ctx, key, |view| {
                view.execution = Some(classify::read(&execution, adopted));
            });
            Ok(())
        }
        Err(err) if err.code() == Some("ExecutionAlreadyExists") => {
            let execution = client
                .describe_execution(&request.flow_name, &request.execution_name, 0)
                .await?;
            record(ctx, key, |view| {
                view.execution = Some(classify::read(&execution, true));
            });
            Ok(())
        }
        Err(err) => Err(err),
    }
}

async fn describe(
    client: &Client,
    flow: &str,
    execution: &str,
    ctx: &Context,
    key: &TrackKey,
) -> Result<(), FnfError> {
    let found = client.describe_execution(flow, execution, 0).await?;
    let ours = ctx.tracker.view(key).execution.is_some();
    record(ctx, key, |view| {
        // Found by looking rather than by starting: someone else may have started it.
        view.execution = Some(classify::read(&found, !ours));
    });
    Ok(())
}

async fn fetch_failure(
    client: &Client,
    flow: &str,
    execution: &str,
    ctx: &Context,
    key: &TrackKey,
) -> Result<(), FnfError> {
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    // The ending event is the last one; pages are walked to reach it.
    loop {
        let page = client
            .get_execution_history(flow, execution, token.as_deref(), Some(1000))
            .await?;
        events.extend(page.events);
        match page.next_token.filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    let failure = classify::failure(&events);
    record(ctx, key, |view| view.failure = Some(failure));
    Ok(())
}

async fn stop(
    client: &Client,
    fe: &FlowExecution,
    ctx: &Context,
    key: &TrackKey,
) -> Result<(), FnfError> {
    let cause = format!(
        "spec.stop set on FlowExecution {}/{}",
        fe.namespace().unwrap_or_default(),
        fe.name_any()
    );
    let result = client
        .stop_execution(
            &fe.spec.flow_name,
            &fe.resolved_execution_name(),
            "StoppedByUser",
            &cause,
        )
        .await;
    match result {
        Ok(execution) => {
            record(ctx, key, |view| {
                view.stop_requested = true;
                if execution.status.is_some() {
                    let adopted = view.execution.as_ref().is_some_and(|r| r.adopted);
                    view.execution = Some(classify::read(&execution, adopted));
                }
            });
        }
        Err(err) if err.code() == Some("ExecutionAlreadyCompleted") => {
            record(ctx, key, |view| view.stop_requested = true);
        }
        Err(err) => return Err(err),
    }
    ctx.publish(
        fe,
        &EventNote::normal(
            "StopRequested",
            "StopExecution",
            format!("asked the cloud to stop: {cause}"),
        ),
    )
    .await;
    // Watch again so the ending is read promptly.
    ctx.tracker.stop_polling(key);
    Ok(())
}

fn record(ctx: &Context, key: &TrackKey, change: impl FnOnce(&mut CloudView)) {
    ctx.tracker.update(key, |view| {
        change(view);
        view.problem = None;
    });
}

/// Writes `status` when it differs from what is persisted, then the Events that
/// the transition deserves. Returns the object as now persisted.
async fn write_status(
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
    Ok(written)
}

async fn keep_finalizer(
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

async fn finalize(
    fe: &FlowExecution,
    api: &Api<FlowExecution>,
    key: &TrackKey,
    ctx: &Context,
) -> Result<Action, ReconcileError> {
    let step = deletion_step(fe);
    if step == DeletionStep::StopThenRelease {
        let client = ctx
            .cloud
            .client_for(fe)
            .await
            .map_err(|p| ReconcileError::CloudTransient(p.message))?;
        let cause = format!(
            "FlowExecution {}/{} was deleted (deletionPolicy Stop)",
            fe.namespace().unwrap_or_default(),
            fe.name_any()
        );
        let stopped = client
            .stop_execution(
                &fe.spec.flow_name,
                &fe.resolved_execution_name(),
                "FlowExecutionDeleted",
                &cause,
            )
            .await;
        match stopped {
            Ok(_) => {
                ctx.publish(
                    fe,
                    &EventNote::normal(
                        "StopRequested",
                        "StopExecution",
                        format!("stopped the execution: {cause}"),
                    ),
                )
                .await
            }
            Err(err)
                if matches!(
                    err.code(),
                    Some("ExecutionAlreadyCompleted" | "ExecutionNotExists" | "FlowNotExists")
                ) => {}
            Err(err) => return Err(ReconcileError::CloudTransient(err.to_string())),
        }
    }
    ctx.tracker.forget(key);
    ctx.forget_written(key);
    if step != DeletionStep::None {
        keep_finalizer(api, fe.clone(), false).await?;
    }
    Ok(Action::await_change())
}

/// Whether a persisted status is final (used by metrics).
pub fn is_final(fe: &FlowExecution) -> bool {
    fe.status
        .as_ref()
        .and_then(|s| s.phase.as_deref())
        .is_some_and(phase::is_terminal)
}
