//! The thin layer: carries a decision out. `reconcile` decides, writes what
//! the decision says of the object (status only when it changed, Events, the
//! finalizer) and carries out its next step; every choice is the decision's
//! (`crate::decide`) or a named step here. The only code that calls the cloud
//! for an object (`calls`) or writes to Kubernetes for one (`object`,
//! `outputs`, `finalize`, `unreadable`).

pub mod calls;
pub mod client;
pub mod cloud;
pub mod context;
pub mod error;
pub mod finalize;
pub mod inputs;
pub mod object;
pub mod outputs;
pub mod unreadable;

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};

use self::context::Context;
use self::error::ReconcileError;
use crate::crd::FlowExecution;
use crate::decide::decision::Decision;
use crate::decide::events;
use crate::decide::outcome::{NO_CLIENT_RECHECK, Next};
use crate::decide::runs::decide_run;
use crate::decide::view::{CloudView, DeclaredInput};
use crate::watch::key::{PollTarget, TrackKey};
use crate::watch::start_gate::StartPermit;
use fnf_client::Client;

/// Decision steps per reconcile: start, read, fetch failure, stop, and slack.
const MAX_STEPS: usize = 6;
/// Steps left over after `MAX_STEPS`: decide again shortly.
const STEPS_EXHAUSTED_RECHECK: Duration = Duration::from_secs(1);
/// An object waiting for its turn to start is woken by the gate; this only
/// covers a wake-up that never came. Rare: with 10,000 objects waiting, every
/// 30 s was 330 reconciles a second that decided nothing.
const START_TURN_RECHECK: Duration = Duration::from_secs(300);

/// One reconcile: decide, write what the decision says of the object, carry
/// out its next step; again while a step brings news the next decision needs.
pub async fn reconcile(
    fe: Arc<FlowExecution>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    let namespace = fe.namespace().ok_or(ReconcileError::NotNamespaced)?;
    let api: Api<FlowExecution> = Api::namespaced(ctx.kube.clone(), &namespace);
    let key = TrackKey::of(&fe);
    let mut current = ctx.freshest(&key, (*fe).clone());
    if fe.metadata.deletion_timestamp.is_some() {
        return finalize::finalize(&current, &api, &key, &ctx).await;
    }
    let client = client::current(&ctx, &key, &current).await;
    let input = inputs::declared_input(&ctx.kube, &current).await;
    let mut start_permit = None;
    let mut failed_before = false;
    for _ in 0..MAX_STEPS {
        // The view is of the status's current run only.
        ctx.tracker
            .follow_run(&key, &current.resolved_execution_name());
        let mut view = ctx.tracker.view(&key);
        view.flow = flow_readiness(&ctx, &current);
        let decision = decide_run(&current, &input, &view, &ctx.decide, Timestamp::now());
        if !admit_start(&ctx, &key, &current, &decision.next, &mut start_permit) {
            // Nothing is written while it waits; the gate wakes it.
            return Ok(Action::requeue(START_TURN_RECHECK));
        }
        if let Some(name) = decision
            .status
            .execution_name
            .as_deref()
            .filter(|_| decision.new_run)
        {
            // Nothing the cloud said of the previous run may be read as this one's.
            ctx.tracker.follow_run(&key, name);
        }
        if !decision.next.defers_write(failed_before) {
            current = write_decision(&api, &ctx, &key, current, &decision).await?;
        }
        let step = Step {
            ctx: &ctx,
            api: &api,
            key: &key,
            fe: &current,
            view: &view,
            input: &input,
        };
        match carry_out(&step, client.as_ref(), decision.next).await? {
            Carried::Again { call_failed } => failed_before |= call_failed,
            Carried::Finished(action) => return Ok(action),
        }
    }
    Ok(Action::requeue(STEPS_EXHAUSTED_RECHECK))
}

/// Whether a `Flow` in the object's namespace manages its flow, from the
/// watch cache (no cloud call).
fn flow_readiness(ctx: &Context, fe: &FlowExecution) -> Option<crate::decide::view::FlowReadiness> {
    use crate::decide::view::FlowReadiness;
    let namespace = fe.metadata.namespace.as_deref().unwrap_or_default();
    crate::flow::readiness(&ctx.flows, namespace, &fe.spec.flow_name).map(|ready| {
        if ready {
            FlowReadiness::Ready
        } else {
            FlowReadiness::NotReady
        }
    })
}

/// Start-gate admission: a start waits for its turn (oldest object first);
/// an object that needs no start gives its place up. `false` while it waits.
fn admit_start(
    ctx: &Context,
    key: &TrackKey,
    fe: &FlowExecution,
    next: &Next,
    permit: &mut Option<StartPermit>,
) -> bool {
    if permit.is_some() {
        return true;
    }
    if *next != Next::Start {
        ctx.start_gate.leave(key);
        return true;
    }
    *permit = ctx.start_gate.try_enter(key, created_ms(fe));
    permit.is_some()
}

/// The creation time, for the start gate's order (unknown sorts first).
fn created_ms(fe: &FlowExecution) -> i64 {
    fe.metadata
        .creation_timestamp
        .as_ref()
        .map_or(0, |t| t.0.as_millisecond())
}

/// Writes what the decision says of the object: its status with the Events
/// of the transition, the failed steps found meanwhile, and the finalizer.
async fn write_decision(
    api: &Api<FlowExecution>,
    ctx: &Context,
    key: &TrackKey,
    current: FlowExecution,
    decision: &Decision,
) -> Result<FlowExecution, ReconcileError> {
    let current =
        object::write_status(api, ctx, key, current, &decision.status, &decision.events).await?;
    publish_step_failures(ctx, key, &current).await;
    let before = current.resource_version();
    let current = object::keep_finalizer(api, current, decision.wants_finalizer).await?;
    if current.resource_version() != before {
        // Our own write is newer than the watch cache: decide on it next time.
        ctx.remember_written(key, &current);
    }
    Ok(current)
}

/// The failed steps the history follower found, each announced once.
async fn publish_step_failures(ctx: &Context, key: &TrackKey, fe: &FlowExecution) {
    let mut failed = Vec::new();
    ctx.tracker.update(key, |view| {
        failed = std::mem::take(&mut view.unannounced_step_failures);
    });
    let execution = fe.resolved_execution_name();
    for (step, detail) in &failed {
        ctx.publish(fe, &events::step_failed(step, &execution, detail))
            .await;
    }
}

/// What one step works on.
struct Step<'a> {
    ctx: &'a Context,
    api: &'a Api<FlowExecution>,
    key: &'a TrackKey,
    fe: &'a FlowExecution,
    view: &'a CloudView,
    /// The declaration's resolved input: may hold Secret values.
    input: &'a DeclaredInput,
}

enum Carried {
    /// Decide again: the step brought news (or a failure) to decide on.
    Again { call_failed: bool },
    /// This reconcile is over.
    Finished(Action),
}

/// Carries out the decision's next step.
async fn carry_out(
    step: &Step<'_>,
    client: Option<&Client>,
    next: Next,
) -> Result<Carried, ReconcileError> {
    let Step { ctx, key, fe, .. } = *step;
    // Steps that need no cloud call come first.
    match next {
        Next::Retry(after) => return Ok(Carried::Finished(Action::requeue(after))),
        Next::Done => {
            ctx.tracker.stop_polling(key);
            return Ok(Carried::Finished(Action::await_change()));
        }
        Next::ExportOutput => {
            export_output(step).await;
            return Ok(Carried::Again { call_failed: false });
        }
        Next::Delete => {
            ctx.forget(key);
            outputs::delete_expired(step.api, fe).await?;
            return Ok(Carried::Finished(Action::await_change()));
        }
        _ => {}
    }
    let Some(client) = client else {
        return Ok(Carried::Finished(Action::requeue(NO_CLIENT_RECHECK)));
    };
    let outcome = match next {
        Next::Start => calls::start(client, fe, step.input, ctx, key).await,
        Next::Describe => calls::describe(client, fe, step.input, ctx, key).await,
        Next::FetchFailure => calls::fetch_failure(client, fe, ctx, key).await,
        Next::Stop { error, cause } => calls::stop(client, fe, (error, &cause), ctx, key).await,
        Next::Watch { recheck_after } => {
            keep_watching(ctx, key, fe, client);
            let action = recheck_after.map_or_else(Action::await_change, Action::requeue);
            return Ok(Carried::Finished(action));
        }
        // Handled above, before a client was needed.
        Next::Retry(_) | Next::Done | Next::ExportOutput | Next::Delete => Ok(()),
    };
    let call_failed = outcome.is_err();
    if let Err(err) = outcome {
        calls::record_failure(ctx, key, &err);
    }
    Ok(Carried::Again { call_failed })
}

/// Writes the Output to `spec.outputTo` and records the attempt.
async fn export_output(step: &Step<'_>) {
    let written = outputs::export(&step.ctx.kube, step.fe, step.view).await;
    if let Err(why) = &written.outcome {
        step.ctx
            .publish(step.fe, &events::output_not_written(why))
            .await;
    }
    step.ctx
        .tracker
        .update(step.key, |view| view.output_written = Some(written));
}

/// Keeps a poll on the execution (and follows its history when asked to):
/// their answers wake the next reconcile.
fn keep_watching(ctx: &Context, key: &TrackKey, fe: &FlowExecution, client: &Client) {
    let flow_name = fe.spec.flow_name.clone();
    let execution_name = fe.resolved_execution_name();
    ctx.tracker.ensure_polling(
        key,
        PollTarget {
            client: client.clone(),
            flow_name: flow_name.clone(),
            execution_name: execution_name.clone(),
            strategy: ctx.poll,
            recorded_start: fe
                .status
                .as_ref()
                .and_then(|s| s.started_time.as_deref())
                .and_then(fnf_client::model::parse_cloud_time),
        },
    );
    if ctx.follow_steps {
        ctx.tracker
            .ensure_following_steps(key, client.clone(), &flow_name, &execution_name);
    }
}
