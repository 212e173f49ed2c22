//! Runs one execution on real time, one tokio task each: walks the flow's
//! states, waits where a Wait says, writes history events, and ends the
//! execution. Never answers a request.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::condition::lookup;
use super::definition::{Block, FlowDefinition, StateKind, Target, WaitFor};
use super::execution::{Execution, Status};

/// A failed state: what ExecutionFailed reports.
struct Failure {
    error: String,
    cause: String,
}

fn failure(error: &str, cause: impl Into<String>) -> Failure {
    Failure {
        error: error.to_string(),
        cause: cause.into(),
    }
}

/// Starts the execution's task and ties it to the execution, so a stop ends it.
pub fn spawn(execution: Arc<Execution>, definition: Arc<FlowDefinition>) {
    let task = tokio::spawn(run(execution.clone(), definition));
    execution.attach_task(task.abort_handle());
}

async fn run(execution: Arc<Execution>, definition: Arc<FlowDefinition>) {
    execution.mark_running();
    let input: Value = if execution.input.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(&execution.input).unwrap_or(Value::String(execution.input.clone()))
    };
    execution.record("ExecutionStarted", "", json!({"input": execution.input}), 0);
    let body = run_block(&execution, &definition.main, input);
    let outcome = match definition.timeout_secs {
        Some(secs) => tokio::time::timeout(seconds(secs), body).await.ok(),
        None => Some(body.await),
    };
    match outcome {
        Some(Ok(output)) => {
            let output = output.to_string();
            execution.finish(
                Status::Succeeded,
                Some(output.clone()),
                "ExecutionSucceeded",
                json!({"output": output}),
            );
        }
        Some(Err(f)) => {
            execution.finish(
                Status::Failed,
                None,
                "ExecutionFailed",
                json!({"error": f.error, "cause": f.cause}),
            );
        }
        None => {
            execution.finish(
                Status::TimedOut,
                None,
                "ExecutionTimedOut",
                json!({"error": "FnF.Timeout", "cause": "the execution ran past its TimeoutSeconds"}),
            );
        }
    }
}

/// The longest a Wait or timeout may last, so a huge number cannot overflow a timer.
const MAX_WAIT_SECS: f64 = 366.0 * 24.0 * 3600.0;

fn seconds(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs.clamp(0.0, MAX_WAIT_SECS)).unwrap_or_default()
}

type BlockRun<'a> = Pin<Box<dyn Future<Output = Result<Value, Failure>> + Send + 'a>>;

fn run_block<'a>(execution: &'a Execution, block: &'a Block, input: Value) -> BlockRun<'a> {
    Box::pin(async move {
        let mut current = Some(block.start_at.clone());
        let mut data = input;
        while let Some(name) = current {
            // A Choice loop without a Wait must not starve the runtime.
            tokio::task::yield_now().await;
            let state = block
                .state(&name)
                .ok_or_else(|| failure("FnF.Runtime", format!("no state {name}")))?;
            let entered = execution
                .record(
                    "StepEntered",
                    &state.name,
                    json!({"input": data.to_string()}),
                    0,
                )
                .ok_or_else(|| {
                    failure("FnF.EventLimitExceeded", "more than 5000 history events")
                })?;
            let mut next = state.next.clone();
            let output = match &state.kind {
                StateKind::Pass { result } => match (result, &data) {
                    (Some(Value::Object(add)), Value::Object(base)) => {
                        let mut merged = base.clone();
                        merged.extend(add.clone());
                        Value::Object(merged)
                    }
                    (Some(result), _) => result.clone(),
                    (None, _) => data.clone(),
                },
                StateKind::Wait { wait } => {
                    let secs = match wait {
                        WaitFor::Seconds(secs) => *secs,
                        WaitFor::SecondsPath(path) => {
                            lookup(&data, path).and_then(Value::as_f64).ok_or_else(|| {
                                failure("FnF.Runtime", format!("{path} is not a number of seconds"))
                            })?
                        }
                    };
                    tokio::time::sleep(seconds(secs)).await;
                    data.clone()
                }
                StateKind::Succeed => {
                    next = None;
                    data.clone()
                }
                StateKind::Fail { error, cause } => {
                    execution.record(
                        "StepFailed",
                        &state.name,
                        json!({"error": error, "cause": cause}),
                        entered,
                    );
                    return Err(failure(error, cause.clone()));
                }
                StateKind::Choice { branches, default } => {
                    let chosen = branches
                        .iter()
                        .find(|b| b.condition.holds(&data))
                        .map(|b| &b.target)
                        .or(default.as_ref());
                    match chosen {
                        Some(Target::Goto(target)) => {
                            next = Some(target.clone());
                            data.clone()
                        }
                        Some(Target::Steps(nested)) => {
                            run_block(execution, nested, data.clone()).await?
                        }
                        None if next.is_some() => data.clone(),
                        None => {
                            return Err(failure(
                                "FnF.NoChoiceMatched",
                                format!("no choice of {name} matched"),
                            ));
                        }
                    }
                }
                StateKind::Parallel { branches } => {
                    let parallel_name = name.as_str();
                    let runs = branches.iter().enumerate().map(|(i, branch)| {
                        let data = data.clone();
                        async move {
                            let step = format!("{parallel_name}/{i}");
                            execution.record(
                                "BranchEntered",
                                &step,
                                json!({"input": data.to_string()}),
                                entered,
                            );
                            let out = run_block(execution, branch, data).await;
                            if let Ok(value) = &out {
                                execution.record(
                                    "BranchExited",
                                    &step,
                                    json!({"output": value.to_string()}),
                                    entered,
                                );
                            }
                            out
                        }
                    });
                    let outputs = futures::future::join_all(runs).await;
                    Value::Array(outputs.into_iter().collect::<Result<Vec<_>, _>>()?)
                }
            };
            execution.record(
                "StepExited",
                &state.name,
                json!({"output": output.to_string()}),
                entered,
            );
            data = output;
            current = next;
        }
        Ok(data)
    })
}
