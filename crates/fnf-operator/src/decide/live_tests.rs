//! The live decision's promises, on the pure function: an execution does not
//! vanish on one read, a stop before the start starts nothing, the finalizer
//! is held only while there is something to stop, a failed call waits for its
//! back-off whatever woke the decision, and a waiting deletion says why.

use std::time::Duration;

use jiff::Timestamp;

use super::decision::decide;
use super::events::EventKind;
use super::events::{DELETION_WAITS, reason::STOPPED_BEFORE_START};
use super::outcome::Next;
use super::test_fixtures::{flow_execution, now};
use super::view::*;
use crate::crd::*;

fn fe(spec: serde_json::Value, status: Option<serde_json::Value>) -> FlowExecution {
    flow_execution(serde_json::json!({"uid": "u-1"}), spec, status)
}

fn recorded(phase: &str) -> FlowExecution {
    fe(
        serde_json::json!({"flowName": "etl"}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": phase})),
    )
}

fn with_finalizer(mut obj: FlowExecution) -> FlowExecution {
    obj.metadata.finalizers = Some(vec![FINALIZER.into()]);
    obj
}

fn trouble(kind: ProblemKind, reason: &str, since: Timestamp, attempts: u32) -> CloudProblem {
    CloudProblem {
        kind,
        reason: reason.into(),
        message: format!("{reason}: something"),
        request_id: None,
        since,
        last_seen: since,
        attempts,
        from_call: true,
    }
}

fn view(problem: CloudProblem) -> CloudView {
    CloudView {
        problem: Some(problem),
        ..Default::default()
    }
}

fn cond<'a>(status: &'a FlowExecutionStatus, type_: &str) -> Option<&'a Condition> {
    status.condition(type_)
}

#[test]
fn one_execution_not_exists_for_a_running_execution_is_read_again_not_concluded() {
    let settings = DecideSettings::default();
    let missing = view(trouble(
        ProblemKind::ExecutionMissing,
        "ExecutionNotExists",
        now(),
        1,
    ));
    let running = with_finalizer(recorded("Running"));
    let d = decide(&running, &missing, &settings, now());
    assert!(matches!(d.next, Next::Retry(_)), "{:?}", d.next);
    assert_eq!(d.status.phase.as_deref(), Some("Running"));
    assert_eq!(cond(&d.status, condition_type::STALLED), None);
    assert_eq!(
        cond(&d.status, condition_type::COMPLETED).unwrap().status,
        "False"
    );
    assert!(d.wants_finalizer, "it may still be live");
    let message = &cond(&d.status, condition_type::SUCCEEDED).unwrap().message;
    assert!(message.contains("2026-11-24T12:03:00Z"), "{message}");

    // Once its back-off has passed, the next step reads it again.
    let later = now() + Duration::from_secs(5);
    let d = decide(&running, &missing, &settings, later);
    assert_eq!(d.next, Next::Describe);
    assert!(d.wants_finalizer);
}

#[test]
fn an_execution_not_found_for_the_whole_window_is_concluded_gone() {
    let settings = DecideSettings::default();
    let since = now();
    let mut problem = trouble(
        ProblemKind::ExecutionMissing,
        "ExecutionNotExists",
        since,
        9,
    );
    let after = since + settings.execution_missing_window;
    problem.last_seen = after;
    let d = decide(
        &with_finalizer(recorded("Running")),
        &view(problem),
        &settings,
        after,
    );
    assert_eq!(d.next, Next::Done);
    assert_eq!(
        cond(&d.status, condition_type::STALLED).unwrap().status,
        "True"
    );
    assert_eq!(
        cond(&d.status, condition_type::COMPLETED).unwrap().status,
        "True"
    );
    assert!(!d.wants_finalizer, "nothing left to stop");
}

#[test]
fn stop_at_creation_starts_nothing_and_completes() {
    let obj = fe(serde_json::json!({"flowName": "etl", "stop": true}), None);
    let d = decide(
        &obj,
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Done);
    assert!(!d.wants_finalizer);
    let completed = cond(&d.status, condition_type::COMPLETED).unwrap();
    assert_eq!(
        (completed.status.as_str(), completed.reason.as_str()),
        ("True", STOPPED_BEFORE_START)
    );
    assert_eq!(d.status.phase.as_deref(), Some("Pending"));
    assert_eq!(d.status.stop_reason.as_deref(), Some("StoppedByUser"));
    assert!(
        d.events
            .iter()
            .any(|e| e.reason == STOPPED_BEFORE_START && e.kind == EventKind::Normal)
    );
    // Decided again on what was written: no second Event.
    let written = fe(
        serde_json::json!({"flowName": "etl", "stop": true}),
        Some(serde_json::to_value(&d.status).unwrap()),
    );
    let again = decide(
        &written,
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(again.next, Next::Done);
    assert!(again.events.is_empty(), "{:?}", again.events);
}

#[test]
fn stop_while_waiting_for_the_flow_starts_nothing() {
    let obj = with_finalizer(fe(
        serde_json::json!({"flowName": "etl", "stop": true}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": "Pending"})),
    ));
    let missing_flow = view(trouble(ProblemKind::FlowMissing, "FlowNotExists", now(), 3));
    let d = decide(&obj, &missing_flow, &DecideSettings::default(), now());
    assert_eq!(d.next, Next::Done);
    assert!(!d.wants_finalizer);
    // A start that may have reached the cloud is asked after, never repeated.
    let unknown = decide(
        &obj,
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(unknown.next, Next::Describe);
    let not_found = view(trouble(
        ProblemKind::ExecutionMissing,
        "ExecutionNotExists",
        now(),
        1,
    ));
    let d = decide(
        &obj,
        &not_found,
        &DecideSettings::default(),
        now() + Duration::from_secs(5),
    );
    assert_eq!(d.next, Next::Describe, "never Start with spec.stop");
}

#[test]
fn the_finalizer_comes_with_the_first_start_not_before() {
    let keyless = fe(
        serde_json::json!({"flowName": "etl", "credentialsSecretRef": {"name": "k"}}),
        None,
    );
    let mut local = trouble(ProblemKind::Credentials, "SecretKeyMissing", now(), 1);
    local.from_call = false;
    let d = decide(&keyless, &view(local), &DecideSettings::default(), now());
    assert!(matches!(d.next, Next::Retry(_)));
    assert!(!d.wants_finalizer, "nothing was started, nothing to stop");
    assert_eq!(
        cond(&d.status, condition_type::CLOUD_REACHABLE),
        None,
        "no call was made: nothing is known of the cloud"
    );
    let fresh = decide(
        &keyless,
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(fresh.next, Next::Start);
    assert!(fresh.wants_finalizer, "on before the start is sent");
}

#[test]
fn a_failed_start_waits_for_its_back_off_whatever_wakes_it() {
    let obj = with_finalizer(recorded("Pending"));
    let failing = |attempts| {
        view(trouble(
            ProblemKind::Transient,
            "InternalServerError",
            now(),
            attempts,
        ))
    };
    // Woken by our own status write right after the failure: no new call.
    let d = decide(&obj, &failing(1), &DecideSettings::default(), now());
    assert!(matches!(d.next, Next::Retry(_)), "{:?}", d.next);
    // The wait doubles with every failure in a row.
    let wait =
        |attempts| match decide(&obj, &failing(attempts), &DecideSettings::default(), now()).next {
            Next::Retry(left) => left,
            other => panic!("{other:?}"),
        };
    assert!(wait(5) > wait(1) * 4, "{:?} vs {:?}", wait(5), wait(1));
    assert!(wait(20) <= Duration::from_secs(30));
    // Once it is over, the start itself is tried again, not a read first: a
    // read answering ExecutionNotExists would be news each time.
    let d = decide(
        &obj,
        &failing(1),
        &DecideSettings::default(),
        now() + Duration::from_secs(1),
    );
    assert_eq!(d.next, Next::Start);
    // The count is on the condition, so one Warning stands for the run.
    let d = decide(&obj, &failing(4), &DecideSettings::default(), now());
    let reachable = cond(&d.status, condition_type::CLOUD_REACHABLE).unwrap();
    assert_eq!(reachable.status, "False");
    assert!(
        reachable.message.contains("4 failures in a row"),
        "{}",
        reachable.message
    );
    let written = fe(
        serde_json::json!({"flowName": "etl"}),
        Some(serde_json::to_value(&d.status).unwrap()),
    );
    let d = decide(&written, &failing(5), &DecideSettings::default(), now());
    assert!(
        !d.events.iter().any(|e| e.kind == EventKind::Warning),
        "{:?}",
        d.events
    );
}

#[test]
fn a_deletion_that_cannot_stop_says_why_once() {
    let mut obj = with_finalizer(fe(
        serde_json::json!({"flowName": "etl", "credentialsSecretRef": {"name": "gone"}}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": "Running"})),
    ));
    obj.metadata.deletion_timestamp =
        Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now()));
    let mut local = trouble(ProblemKind::Credentials, "SecretNotFound", now(), 1);
    local.from_call = false;
    let d = decide(
        &obj,
        &view(local.clone()),
        &DecideSettings::default(),
        now(),
    );
    let ready = cond(&d.status, condition_type::READY).unwrap();
    assert!(
        ready.message.starts_with(DELETION_WAITS),
        "{}",
        ready.message
    );
    assert!(ready.message.contains("Orphan"), "{}", ready.message);
    assert!(d.events.iter().any(|e| e.reason == "DeletionWaiting"));
    assert!(d.wants_finalizer);
    obj.status = Some(d.status.clone());
    let again = decide(&obj, &view(local), &DecideSettings::default(), now());
    assert!(again.events.is_empty(), "{:?}", again.events);
}
