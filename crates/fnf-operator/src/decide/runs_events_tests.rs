//! The run planner's Events (a new declaration waiting, a retry's wait,
//! suspend: each announced once) and InputTooLarge measured on the resolved
//! input, never quoting it.

use serde_json::{Map, Value, json};

use super::events::{EventKind, EventNote, reason};
use super::outcome::Next;
use super::runs::decide_run;
use super::test_fixtures::{flow_execution, now};
use super::view::{
    CloudView, DecideSettings, DeclaredInput, ExecutionRead, FailureDetail, INPUT_MAX_BYTES,
};
use crate::crd::{FlowExecution, FlowExecutionStatus, condition_type};

fn fe(generation: i64, spec: Value, status: Option<Value>) -> FlowExecution {
    flow_execution(json!({"generation": generation}), spec, status)
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

/// `fe` after its run of `input` was begun (attempt 1) and read as `phase`.
fn ran(spec: Value, ran_input: Value, phase: &str) -> FlowExecution {
    let before = fe(1, json!({"flowName": "etl", "input": ran_input}), None);
    let identity = before.run_identity(&before.spec.input.clone().unwrap_or_default());
    let name = before.run_execution_name(&identity, 1);
    fe(
        2,
        spec,
        Some(
            json!({"executionName": name, "runIdentity": identity.to_string(),
            "attempt": 1, "phase": phase, "startedTime": "2026-11-24T11:50:00Z",
            "observedGeneration": 1}),
        ),
    )
}

/// The planner's Events of deciding `obj` against `cloud`, and of deciding it
/// again once that decision's status was written.
fn announced_then_repeated(
    obj: &FlowExecution,
    cloud: &CloudView,
    reason: &str,
) -> (Vec<EventNote>, Vec<EventNote>) {
    let ofs = |events: Vec<EventNote>| -> Vec<EventNote> {
        events.into_iter().filter(|e| e.reason == reason).collect()
    };
    let input = DeclaredInput::of_spec(obj);
    let settings = DecideSettings::default();
    let first = decide_run(obj, &input, cloud, &settings, now());
    let mut written = obj.clone();
    written.status = Some(first.status.clone());
    let again = decide_run(&written, &input, cloud, &settings, now());
    (ofs(first.events), ofs(again.events))
}

#[test]
fn a_new_declaration_waiting_for_the_live_run_is_announced_once() {
    let obj = ran(
        json!({"flowName": "etl", "input": {"v": 2}}),
        json!({"v": 1}),
        "Running",
    );
    let (first, again) = announced_then_repeated(
        &obj,
        &read("Running", None),
        reason::WAITING_FOR_PREVIOUS_RUN,
    );
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].kind, EventKind::Normal);
    assert!(
        first[0].note.contains("spec.whileRunning: Wait"),
        "{}",
        first[0].note
    );
    assert_eq!(again, vec![]);
}

#[test]
fn a_scheduled_retry_is_announced_once_naming_the_attempt_and_its_time() {
    let spec =
        json!({"flowName": "etl", "input": {"v": 1}, "retry": {"limit": 2, "backoffSeconds": 10}});
    let obj = ran(spec, json!({"v": 1}), "Running");
    let mut view = read("Failed", Some("2026-11-24T11:59:55Z"));
    view.failure = Some(FailureDetail {
        error: Some("E".into()),
        cause: Some("boom".into()),
    });
    let (first, again) = announced_then_repeated(&obj, &view, reason::RETRY_SCHEDULED);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].kind, EventKind::Normal);
    let note = &first[0].note;
    assert!(
        note.contains("attempt 1") && note.contains("attempt 2 starts at 2026-11-24T12:00:05Z"),
        "{note}"
    );
    assert_eq!(again, vec![]);
}

#[test]
fn suspend_is_announced_once() {
    let obj = fe(1, json!({"flowName": "etl", "suspend": true}), None);
    let (first, again) = announced_then_repeated(&obj, &CloudView::default(), reason::SUSPENDED);
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].kind, EventKind::Normal);
    assert_eq!(again, vec![]);
}

const SECRET: &str = "s3cret-value-never-shown";

fn resolved_with_big_secret() -> DeclaredInput {
    let mut input = Map::new();
    input.insert("small".into(), json!(1));
    input.insert(
        "blob".into(),
        json!(format!("{SECRET}{}", "x".repeat(INPUT_MAX_BYTES))),
    );
    DeclaredInput::Ready(input)
}

#[test]
fn input_too_large_measures_the_resolved_input_and_never_quotes_it() {
    let spec = json!({"flowName": "etl", "input": {"small": 1}, "inputFrom": [
        {"field": "blob", "secretKeyRef": {"name": "api", "key": "blob"}}]});
    for policy in ["OnChange", "Once"] {
        let mut spec = spec.clone();
        spec["runPolicy"] = json!(policy);
        let obj = fe(1, spec, None);
        let d = decide_run(
            &obj,
            &resolved_with_big_secret(),
            &CloudView::default(),
            &DecideSettings::default(),
            now(),
        );
        assert_eq!(d.next, Next::Done, "{policy}");
        let stalled = d.status.condition(condition_type::STALLED).unwrap();
        assert_eq!(
            (stalled.status.as_str(), stalled.reason.as_str()),
            ("True", "InputTooLarge")
        );
        assert!(
            stalled.message.contains("spec.inputFrom"),
            "{}",
            stalled.message
        );
        let shown = format!(
            "{} {:?}",
            serde_json::to_string(&d.status).unwrap(),
            d.events
        );
        assert!(!shown.contains(SECRET), "{policy}: the value is shown");
        assert!(d.events.iter().any(|e| e.reason == "InputTooLarge"));
    }
}

#[test]
fn a_started_run_is_never_refused_when_its_source_grows() {
    // Once: the input was sent at the start; a source that grew since is no
    // reason to stop mirroring the run.
    let spec = json!({"flowName": "etl", "runPolicy": "Once", "inputFrom": [
        {"field": "blob", "configMapKeyRef": {"name": "settings", "key": "blob"}}]});
    let name = fe(1, spec.clone(), None).resolved_execution_name();
    let status: FlowExecutionStatus = serde_json::from_value(json!({
        "executionName": name, "phase": "Running", "startedTime": "2026-11-24T11:50:00Z",
        "observedGeneration": 1}))
    .unwrap();
    let mut obj = fe(1, spec, None);
    obj.status = Some(status);
    let d = decide_run(
        &obj,
        &resolved_with_big_secret(),
        &read("Running", None),
        &DecideSettings::default(),
        now(),
    );
    let stalled = d.status.condition(condition_type::STALLED);
    assert!(stalled.is_none_or(|c| c.status != "True"), "{stalled:?}");
    assert!(matches!(d.next, Next::Watch { .. }), "{:?}", d.next);
}
