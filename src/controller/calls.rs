//! The cloud calls a decision asks for, each recording what the cloud said in
//! the tracker's view. The only place reconciles talk to the cloud.

use std::time::Duration;

use jiff::Timestamp;

use super::classify;
use super::context::Context;
use super::events::EventNote;
use super::tracker::TrackKey;
use super::view::CloudView;
use crate::crd::FlowExecution;
use crate::fnf::{Client, FnfError, StartExecution};

/// The cloud's StartedTime this long before our StartExecution means the call
/// joined an execution that was already running rather than starting it.
const ADOPTION_THRESHOLD: Duration = Duration::from_secs(60);

pub async fn start(
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

/// Looks the execution up. In Start mode this follows a restart that may have
/// come between recording the name and StartExecution: an execution found then
/// is ours, so it is not marked adopted. In Observe mode it never is ours.
pub async fn describe(
    client: &Client,
    fe: &FlowExecution,
    ctx: &Context,
    key: &TrackKey,
) -> Result<(), FnfError> {
    let found = client
        .describe_execution(&fe.spec.flow_name, &fe.resolved_execution_name(), 0)
        .await?;
    let adopted = fe.spec.mode == crate::crd::Mode::Observe;
    record(ctx, key, |view| {
        view.execution = Some(classify::read(&found, adopted));
    });
    Ok(())
}

pub async fn fetch_failure(
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

pub fn record(ctx: &Context, key: &TrackKey, change: impl FnOnce(&mut CloudView)) {
    ctx.tracker.update(key, |view| {
        change(view);
        view.problem = None;
    });
}
