//! The run planner: a new declaration, Wait and Replace, the look-up of a
//! run never seen, retries, suspend, a missing input source, the upgrade
//! from today's names, and Once left as it was.

use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use crate::decide::test_fixtures::{flow_execution, now};
use crate::decide::view::{CloudProblem, ExecutionRead, FailureDetail};

fn fe(generation: i64, spec: Value, status: Option<Value>) -> FlowExecution {
    flow_execution(json!({"generation": generation}), spec, status)
}

fn ready(fe: &FlowExecution) -> DeclaredInput {
    DeclaredInput::of_spec(fe)
}

fn read(status: &str, stopped: Option<&str>) -> CloudView {
    CloudView {
        execution: Some(ExecutionRead {
            status: Some(status.into()),
            started_time: Some("2026-11-24T11:50:00Z".into()),
            stopped_time: stopped.map(str::to_string),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn cond<'a>(d: &'a Decision, type_: &str) -> (&'a str, &'a str) {
    d.status
        .condition(type_)
        .map(|c| (c.status.as_str(), c.reason.as_str()))
        .unwrap_or_default()
}

fn identity_of(fe: &FlowExecution) -> RunIdentity {
    fe.run_identity(&fe.spec.input.clone().unwrap_or_default())
}

/// `fe` after its run of `input` was begun (attempt 1) and read as `phase`.
fn ran(generation: i64, spec: Value, ran_input: Value, phase: &str) -> FlowExecution {
    let before = fe(1, json!({"flowName": "etl", "input": ran_input}), None);
    let identity = identity_of(&before);
    let name = before.run_execution_name(&identity, 1);
    fe(
        generation,
        spec,
        Some(
            json!({"executionName": name, "runIdentity": identity.to_string(),
            "attempt": 1, "phase": phase, "startedTime": "2026-11-24T11:50:00Z",
            "observedGeneration": 1}),
        ),
    )
}

#[test]
fn a_new_object_begins_its_declared_run_under_a_name_of_its_declaration() {
    let obj = fe(1, json!({"flowName": "etl", "input": {"v": 1}}), None);
    let d = decide_run(
        &obj,
        &ready(&obj),
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    let identity = identity_of(&obj);
    assert_eq!(d.next, Next::Start);
    assert!(d.new_run);
    assert_eq!(d.status.run_identity.as_deref(), Some(identity.as_str()));
    assert_eq!(d.status.attempt, Some(1));
    assert_eq!(
        d.status.execution_name.as_deref(),
        Some(format!("team-a_nightly_R{identity}").as_str())
    );
}

#[test]
fn an_edited_input_begins_a_new_run_and_keeps_the_old_one_in_runs() {
    let obj = ran(
        2,
        json!({"flowName": "etl", "input": {"v": 2}}),
        json!({"v": 1}),
        "Succeeded",
    );
    let old_name = obj.status.as_ref().unwrap().execution_name.clone().unwrap();
    let view = read("Succeeded", Some("2026-11-24T11:55:00Z"));
    let d = decide_run(&obj, &ready(&obj), &view, &DecideSettings::default(), now());
    assert_eq!(d.next, Next::Start);
    assert!(d.new_run);
    assert_ne!(d.status.execution_name.as_deref(), Some(old_name.as_str()));
    assert_eq!(d.status.runs[0].execution_name, old_name);
    assert_eq!(d.status.runs[0].phase, "Succeeded");
    assert_eq!(d.status.output, None);
    assert_eq!(cond(&d, "Completed").0, "False");
    assert_eq!(cond(&d, "Reconciling").0, "True");
    assert_eq!(d.status.observed_generation, Some(2));
    assert!(
        d.status
            .conditions
            .iter()
            .all(|c| c.observed_generation == Some(2))
    );
}

#[test]
fn a_live_previous_run_is_waited_for_or_replaced() {
    let spec = json!({"flowName": "etl", "input": {"v": 2}});
    let obj = ran(2, spec.clone(), json!({"v": 1}), "Running");
    let d = decide_run(
        &obj,
        &ready(&obj),
        &read("Running", None),
        &DecideSettings::default(),
        now(),
    );
    assert!(matches!(d.next, Next::Watch { .. }), "{:?}", d.next);
    assert_eq!(
        cond(&d, "Completed"),
        ("False", reason::WAITING_FOR_PREVIOUS_RUN)
    );
    assert_eq!(
        d.status.run_identity,
        obj.status.as_ref().unwrap().run_identity
    );

    let mut replace = spec;
    replace["whileRunning"] = json!("Replace");
    let obj = ran(2, replace, json!({"v": 1}), "Running");
    let d = decide_run(
        &obj,
        &ready(&obj),
        &read("Running", None),
        &DecideSettings::default(),
        now(),
    );
    assert!(
        matches!(
            d.next,
            Next::Stop {
                error: REPLACED,
                ..
            }
        ),
        "{:?}",
        d.next
    );
    assert_eq!(d.status.stop_reason.as_deref(), Some(REPLACED));
}

#[test]
fn a_previous_run_never_seen_is_looked_up_and_never_started_under_the_new_input() {
    let obj = ran(
        2,
        json!({"flowName": "etl", "input": {"v": 2}}),
        json!({"v": 1}),
        "Pending",
    );
    let d = decide_run(
        &obj,
        &ready(&obj),
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Describe);
    assert!(!d.new_run);
    let missing = CloudView {
        problem: Some(CloudProblem {
            kind: ProblemKind::ExecutionMissing,
            reason: "ExecutionNotExists".into(),
            message: "m".into(),
            request_id: None,
            since: now(),
            last_seen: now(),
            attempts: 1,
            from_call: true,
        }),
        ..Default::default()
    };
    let d = decide_run(
        &obj,
        &ready(&obj),
        &missing,
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Start);
    assert!(d.new_run);
    assert!(
        d.status.runs.is_empty(),
        "a run that never started is no run"
    );
}

#[test]
fn a_failed_attempt_is_retried_after_its_backoff_under_its_own_name() {
    let spec =
        json!({"flowName": "etl", "input": {"v": 1}, "retry": {"limit": 2, "backoffSeconds": 10}});
    let obj = ran(1, spec.clone(), json!({"v": 1}), "Running");
    let mut view = read("Failed", Some("2026-11-24T11:59:55Z"));
    view.failure = Some(FailureDetail {
        error: Some("E".into()),
        cause: Some("boom".into()),
    });
    let d = decide_run(&obj, &ready(&obj), &view, &DecideSettings::default(), now());
    assert_eq!(d.next, Next::Retry(Duration::from_secs(5)));
    assert_eq!(cond(&d, "Completed"), ("False", reason::RETRY_SCHEDULED));
    let message = &d.status.condition("Completed").unwrap().message;
    assert!(
        message.contains("attempt 1") && message.contains("attempt 2"),
        "{message}"
    );

    let later = now() + Duration::from_secs(6);
    let d = decide_run(&obj, &ready(&obj), &view, &DecideSettings::default(), later);
    assert_eq!(d.next, Next::Start);
    assert_eq!(d.status.attempt, Some(2));
    assert!(d.status.execution_name.as_deref().unwrap().ends_with("_A2"));
    assert_eq!(d.status.runs[0].attempt, Some(1));

    // The last attempt ends the run.
    let mut last = obj.clone();
    let status = last.status.as_mut().unwrap();
    status.attempt = Some(3);
    let d = decide_run(
        &last,
        &ready(&last),
        &view,
        &DecideSettings::default(),
        later,
    );
    assert_eq!(cond(&d, "Completed"), ("True", "Failed"));
    assert_eq!(d.next, Next::Done);
}

#[test]
fn a_stop_the_user_asked_for_is_never_retried() {
    let spec = json!({"flowName": "etl", "retry": {"limit": 2, "on": ["Stopped"]}});
    let mut obj = ran(1, spec, json!({}), "Running");
    obj.status.as_mut().unwrap().stop_reason = Some("StoppedByUser".into());
    let mut view = read("Stopped", Some("2026-11-24T11:00:00Z"));
    view.failure = Some(FailureDetail::default());
    let d = decide_run(&obj, &ready(&obj), &view, &DecideSettings::default(), now());
    assert_eq!(cond(&d, "Completed").0, "True");
}

#[test]
fn suspend_holds_the_start_without_recording_a_name() {
    let obj = fe(1, json!({"flowName": "etl", "suspend": true}), None);
    let d = decide_run(
        &obj,
        &ready(&obj),
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Done);
    assert_eq!(d.status.execution_name, None);
    assert_eq!(
        d.status.run_identity, None,
        "a begin is recorded only on release"
    );
    assert_eq!(cond(&d, "Reconciling"), ("False", reason::SUSPENDED));
    assert_eq!(cond(&d, "Completed").0, "False");
}

#[test]
fn a_missing_input_source_holds_the_start_and_names_it() {
    let obj = fe(1, json!({"flowName": "etl"}), None);
    let missing = DeclaredInput::Missing {
        reason: "InputSourceNotFound".into(),
        message: "spec.inputFrom field \"token\": Secret \"api\" does not exist in this namespace"
            .into(),
    };
    let d = decide_run(
        &obj,
        &missing,
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert!(matches!(d.next, Next::Retry(_)));
    assert_eq!(d.status.execution_name, None);
    let (status, reason) = cond(&d, "Reconciling");
    assert_eq!((status, reason), ("True", "InputSourceNotFound"));
    assert!(
        d.status
            .condition("Ready")
            .unwrap()
            .message
            .contains("Secret \"api\"")
    );
}

#[test]
fn a_run_recorded_under_the_default_name_before_the_upgrade_is_the_declared_run() {
    let obj = fe(
        1,
        json!({"flowName": "etl", "input": {"v": 1}}),
        Some(json!({"executionName": "team-a_nightly", "phase": "Running"})),
    );
    let d = decide_run(
        &obj,
        &ready(&obj),
        &read("Running", None),
        &DecideSettings::default(),
        now(),
    );
    assert!(!d.new_run);
    assert!(matches!(d.next, Next::Watch { .. }), "{:?}", d.next);
    assert_eq!(d.status.execution_name.as_deref(), Some("team-a_nightly"));
    assert_eq!(
        d.status.run_identity.as_deref(),
        Some(identity_of(&obj).as_str())
    );
}

#[test]
fn once_keeps_the_default_name() {
    let obj = fe(1, json!({"flowName": "etl", "runPolicy": "Once"}), None);
    let d = decide_run(
        &obj,
        &ready(&obj),
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.status.execution_name.as_deref(), Some("team-a_nightly"));
    assert_eq!(d.status.run_identity, None);
    assert_eq!(d.next, Next::Start);
}

#[test]
fn a_new_run_keeps_a_problem_found_before_any_call() {
    let obj = fe(
        1,
        json!({"flowName": "etl", "credentialsSecretRef": {"name": "half"}}),
        None,
    );
    let view = CloudView {
        problem: Some(CloudProblem {
            kind: ProblemKind::Credentials,
            reason: "SecretKeyMissing".into(),
            message: "Secret team-a/half has no accessKeySecret".into(),
            request_id: None,
            since: now(),
            last_seen: now(),
            attempts: 1,
            from_call: false,
        }),
        ..Default::default()
    };
    let d = decide_run(&obj, &ready(&obj), &view, &DecideSettings::default(), now());
    assert_ne!(d.next, Next::Start);
    assert!(!d.wants_finalizer, "nothing can start: nothing to stop");
    assert_eq!(cond(&d, "Stalled"), ("True", "SecretKeyMissing"));
}
