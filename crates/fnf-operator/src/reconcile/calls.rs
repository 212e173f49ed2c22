//! The cloud calls a decision asks for, each recording what the cloud said in
//! the tracker's view. The only place reconciles talk to the cloud; the one
//! stop path (for `spec.stop`, the deadline and a deletion).

use jiff::Timestamp;

use super::context::Context;
use crate::crd::FlowExecution;
use crate::decide::view::{CloudView, DeclaredInput};
use crate::decide::{classify, events, identity};
use crate::watch::key::TrackKey;
use fnf_client::{Client, ErrorCode, FnfError, StartExecution};

/// Starts the current run with `input`, the declaration's resolved input
/// (the only place a value from a Secret goes).
pub async fn start(
    client: &Client,
    fe: &FlowExecution,
    input: &DeclaredInput,
    ctx: &Context,
    key: &TrackKey,
) -> Result<(), FnfError> {
    let Some(declared) = input.ready() else {
        // The decision holds a start while a source is missing; a stale
        // decision must not start without it.
        return Ok(());
    };
    // No input and no inputFrom: no Input at all, as before inputFrom.
    let sends_input = fe.spec.input.is_some() || !declared.is_empty();
    let request = StartExecution {
        flow_name: fe.spec.flow_name.clone(),
        execution_name: fe.resolved_execution_name(),
        input: sends_input
            .then(|| serde_json::to_string(declared).ok())
            .flatten(),
        qualifier: fe.spec.qualifier.clone(),
    };
    match client.start_execution(&request).await {
        Ok(started) => {
            // The cloud answers a start of a running name with that execution.
            // An answer without the Input cannot show whose it is: ask.
            let execution = if identity::input_unknown(fe, Some(declared), &started) {
                client
                    .describe_execution(&request.flow_name, &request.execution_name, 0)
                    .await?
            } else {
                started
            };
            if let Some(why) = identity::mismatch(fe, Some(declared), &execution) {
                record_name_in_use(ctx, key, why);
                return Ok(());
            }
            // Judged against the object, not this call: a retried start whose
            // first answer was lost finds our own run, which must stay ours.
            let adopted = identity::predates(fe, &execution);
            ctx.metrics.start_sent(adopted);
            record(ctx, key, |view| {
                view.execution = Some(classify::read(&execution, adopted));
            });
            Ok(())
        }
        Err(err) if err.error_code() == Some(ErrorCode::ExecutionAlreadyExists) => {
            let execution = client
                .describe_execution(&request.flow_name, &request.execution_name, 0)
                .await?;
            if let Some(why) = identity::mismatch(fe, Some(declared), &execution) {
                record_name_in_use(ctx, key, why);
                return Ok(());
            }
            // An ended run: nothing of it can be stopped, so whose it was only
            // names the Event; a re-created object reports what it found.
            record(ctx, key, |view| {
                view.execution = Some(classify::read(&execution, true));
            });
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// Looks the execution up. In Start mode this follows a restart that may have
/// come between recording the name and StartExecution: an execution found then
/// is ours unless it is older than the object. In Observe mode it never is ours.
/// Either way it is mirrored only when it is the one the object declares.
pub async fn describe(
    client: &Client,
    fe: &FlowExecution,
    input: &DeclaredInput,
    ctx: &Context,
    key: &TrackKey,
) -> Result<(), FnfError> {
    let found = client
        .describe_execution(&fe.spec.flow_name, &fe.resolved_execution_name(), 0)
        .await?;
    if let Some(why) = identity::mismatch(fe, input.ready(), &found) {
        record_name_in_use(ctx, key, why);
        return Ok(());
    }
    let adopted = fe.spec.mode == crate::crd::Mode::Observe || identity::predates(fe, &found);
    record(ctx, key, |view| {
        view.execution = Some(classify::read(&found, adopted));
    });
    Ok(())
}

/// The execution of that name is not this object's: nothing of it is kept.
fn record_name_in_use(ctx: &Context, key: &TrackKey, why: String) {
    record(ctx, key, |view| {
        view.execution = None;
        view.name_in_use = Some(why);
    });
}

pub async fn fetch_failure(
    client: &Client,
    fe: &FlowExecution,
    ctx: &Context,
    key: &TrackKey,
) -> Result<(), FnfError> {
    let flow = fe.spec.flow_name.as_str();
    let execution = fe.resolved_execution_name();
    let mut events = Vec::new();
    let mut token: Option<String> = None;
    // The ending event is the last one; pages are walked to reach it.
    loop {
        let page = client
            .get_execution_history(flow, &execution, token.as_deref(), Some(1000))
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

/// Asks the cloud to stop the execution with this Error and Cause. An
/// execution that has already ended, or whose flow is gone, has nothing left
/// to stop: that is success too (no StopRequested Event for a gone flow).
pub async fn stop(
    client: &Client,
    fe: &FlowExecution,
    (error, cause): (&str, &str),
    ctx: &Context,
    key: &TrackKey,
) -> Result<(), FnfError> {
    let result = client
        .stop_execution(
            &fe.spec.flow_name,
            &fe.resolved_execution_name(),
            error,
            cause,
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
        Err(err) => match err.error_code() {
            Some(ErrorCode::ExecutionAlreadyCompleted) => {
                record(ctx, key, |view| view.stop_requested = true);
            }
            Some(ErrorCode::FlowNotExists) => {
                record(ctx, key, |view| view.stop_requested = true);
                return Ok(());
            }
            _ => return Err(err),
        },
    }
    ctx.publish(fe, &events::stop_requested(cause)).await;
    // Watch again so the ending is read promptly.
    ctx.tracker.stop_polling(key);
    Ok(())
}

/// Records a failed call in the view: the next decision writes what it
/// means and holds the next try for the back-off counted here.
pub fn record_failure(ctx: &Context, key: &TrackKey, err: &FnfError) {
    let now = Timestamp::now();
    ctx.tracker.update(key, |view| {
        view.problem = Some(classify::problem(err, view.problem.as_ref(), now));
    });
}

pub fn record(ctx: &Context, key: &TrackKey, change: impl FnOnce(&mut CloudView)) {
    ctx.tracker.update(key, |view| {
        change(view);
        view.problem = None;
    });
}
