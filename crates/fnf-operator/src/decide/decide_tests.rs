//! Every row of the conditions table, and the start-at-most-once rules, proved
//! on the pure decision with no network.

use std::time::Duration;

use jiff::Timestamp;

use super::decision::{decide, deletion_step};
use super::events::EventKind;
use super::outcome::{DeletionStep, Next};
use super::test_fixtures::{flow_execution, now};
use super::view::*;
use crate::crd::*;

fn fe(spec: serde_json::Value, status: Option<serde_json::Value>) -> FlowExecution {
    flow_execution(serde_json::json!({}), spec, status)
}

fn basic() -> FlowExecution {
    fe(serde_json::json!({"flowName": "etl"}), None)
}

fn recorded(phase: &str) -> FlowExecution {
    fe(
        serde_json::json!({"flowName": "etl"}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": phase})),
    )
}

fn read(status: &str) -> CloudView {
    CloudView {
        execution: Some(ExecutionRead {
            status: Some(status.into()),
            output: Some(r#"{"ok":true}"#.into()),
            started_time: Some("2026-11-24T11:59:00.001Z".into()),
            stopped_time: None,
            request_id: Some("req-1".into()),
            adopted: false,
        }),
        ..Default::default()
    }
}

fn problem(kind: ProblemKind, reason: &str, since: Timestamp) -> CloudView {
    CloudView {
        problem: Some(CloudProblem {
            kind,
            reason: reason.into(),
            message: format!("{reason}: something"),
            request_id: Some("req-9".into()),
            since,
            last_seen: since,
            attempts: 1,
            from_call: true,
        }),
        ..Default::default()
    }
}

fn cond<'a>(status: &'a FlowExecutionStatus, type_: &str) -> Option<&'a str> {
    status.condition(type_).map(|c| c.status.as_str())
}

fn table_row(status: &FlowExecutionStatus) -> [Option<&str>; 5] {
    use condition_type::*;
    [SUCCEEDED, COMPLETED, READY, RECONCILING, STALLED].map(|t| cond(status, t))
}

#[test]
fn a_new_object_records_its_execution_name_and_starts() {
    let d = decide(
        &basic(),
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Start);
    assert_eq!(d.status.execution_name.as_deref(), Some("team-a_nightly"));
    assert_eq!(d.status.phase.as_deref(), Some("Pending"));
    assert_eq!(
        table_row(&d.status),
        [
            Some("Unknown"),
            Some("False"),
            Some("False"),
            Some("True"),
            None
        ]
    );
    assert!(d.wants_finalizer);
}

#[test]
fn after_a_restart_before_any_read_the_operator_asks_instead_of_starting() {
    let d = decide(
        &recorded("Pending"),
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Describe);
}

#[test]
fn a_start_is_retried_only_when_the_cloud_says_the_execution_does_not_exist() {
    let view = problem(ProblemKind::ExecutionMissing, "ExecutionNotExists", now());
    let d = decide(
        &recorded("Pending"),
        &view,
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Start);
}

#[test]
fn an_execution_seen_once_is_never_started_again() {
    let view = problem(ProblemKind::ExecutionMissing, "ExecutionNotExists", now());
    let d = decide(
        &recorded("Running"),
        &view,
        &DecideSettings::default(),
        now(),
    );
    assert!(matches!(d.next, Next::Retry(_)), "read again, never start");
    assert_eq!(
        cond(&d.status, condition_type::STALLED),
        None,
        "one read is not the end"
    );
}

#[test]
fn running_is_in_progress_and_watched() {
    let d = decide(
        &recorded("Pending"),
        &read("Running"),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(
        d.next,
        Next::Watch {
            recheck_after: None
        }
    );
    assert_eq!(d.status.phase.as_deref(), Some("Running"));
    assert_eq!(
        table_row(&d.status),
        [
            Some("Unknown"),
            Some("False"),
            Some("False"),
            Some("True"),
            None
        ]
    );
    let reasons: Vec<_> = d.events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["Started"],
        "Running is in the status, not an Event"
    );
}

#[test]
fn succeeded_is_ready_and_completed_and_final() {
    let d = decide(
        &recorded("Running"),
        &read("Succeeded"),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Done);
    assert_eq!(
        table_row(&d.status),
        [Some("True"), Some("True"), Some("True"), None, None]
    );
    assert_eq!(d.status.output.as_deref(), Some(r#"{"ok":true}"#));
    assert!(!d.wants_finalizer);
}

#[test]
fn failed_timed_out_and_stopped_are_completed_and_stalled_with_the_status_as_reason() {
    for ending in ["Failed", "TimedOut", "Stopped"] {
        let mut view = read(ending);
        view.failure = Some(FailureDetail {
            error: Some("E".into()),
            cause: Some("C".into()),
        });
        let d = decide(
            &recorded("Running"),
            &view,
            &DecideSettings::default(),
            now(),
        );
        assert_eq!(
            table_row(&d.status),
            [
                Some("False"),
                Some("True"),
                Some("False"),
                None,
                Some("True")
            ],
            "{ending}"
        );
        let succeeded = d.status.condition(condition_type::SUCCEEDED).unwrap();
        assert_eq!(succeeded.reason, ending);
        assert_eq!(d.status.error.as_deref(), Some("E"));
        assert_eq!(d.next, Next::Done);
    }
}

#[test]
fn a_failed_execution_fetches_its_failure_detail_once() {
    let d = decide(
        &recorded("Running"),
        &read("Failed"),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::FetchFailure);
    let mut view = read("Failed");
    view.failure = Some(FailureDetail::default());
    let d = decide(
        &recorded("Running"),
        &view,
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Done);
}

#[test]
fn a_refused_spec_is_stalled_with_the_code_as_reason() {
    let view = problem(ProblemKind::SpecRefused, "InvalidArgument", now());
    let d = decide(
        &recorded("Pending"),
        &view,
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(
        table_row(&d.status),
        [
            Some("False"),
            Some("True"),
            Some("False"),
            None,
            Some("True")
        ]
    );
    assert_eq!(
        d.status
            .condition(condition_type::SUCCEEDED)
            .unwrap()
            .reason,
        "InvalidArgument"
    );
    assert_eq!(d.next, Next::Done);
    assert!(
        d.events
            .iter()
            .any(|e| e.kind == EventKind::Warning && e.reason == "InvalidArgument")
    );
}

#[test]
fn bad_credentials_stall_but_are_retried_slowly() {
    let view = problem(ProblemKind::Credentials, "SignatureNotMatch", now());
    let d = decide(
        &recorded("Pending"),
        &view,
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(
        table_row(&d.status),
        [
            Some("False"),
            Some("False"),
            Some("False"),
            None,
            Some("True")
        ]
    );
    assert!(matches!(d.next, Next::Retry(_)));
}

#[test]
fn a_missing_flow_is_waited_for_then_stalls() {
    let settings = DecideSettings::default();
    let since = now();
    let early = decide(
        &recorded("Pending"),
        &problem(ProblemKind::FlowMissing, "FlowNotExists", since),
        &settings,
        since,
    );
    assert_eq!(
        cond(&early.status, condition_type::RECONCILING),
        Some("True")
    );
    assert!(matches!(early.next, Next::Retry(_)));
    let later = since + settings.flow_missing_grace + Duration::from_secs(1);
    let late = decide(
        &recorded("Pending"),
        &problem(ProblemKind::FlowMissing, "FlowNotExists", since),
        &settings,
        later,
    );
    assert_eq!(cond(&late.status, condition_type::STALLED), Some("True"));
    assert_eq!(cond(&late.status, condition_type::COMPLETED), Some("False"));
    assert_eq!(late.next, Next::Describe, "retry is due: ask again");
}

#[test]
fn cloud_trouble_changes_only_cloud_reachable() {
    let base = decide(
        &recorded("Pending"),
        &read("Running"),
        &DecideSettings::default(),
        now(),
    );
    let running = fe(
        serde_json::json!({"flowName": "etl"}),
        Some(serde_json::to_value(&base.status).unwrap()),
    );
    let mut view = problem(ProblemKind::Transient, "ResourceThrottled", now());
    view.execution = None;
    let d = decide(&running, &view, &DecideSettings::default(), now());
    assert_eq!(table_row(&d.status), table_row(&base.status));
    assert_eq!(
        cond(&d.status, condition_type::CLOUD_REACHABLE),
        Some("False")
    );
    assert_eq!(
        d.status.phase.as_deref(),
        Some("Running"),
        "no invented phase"
    );
    assert_eq!(
        d.next,
        Next::Watch {
            recheck_after: None
        }
    );
}

#[test]
fn an_unchanged_decision_is_an_unchanged_status_and_no_events() {
    let first = decide(
        &recorded("Pending"),
        &read("Running"),
        &DecideSettings::default(),
        now(),
    );
    let persisted = fe(
        serde_json::json!({"flowName": "etl"}),
        Some(serde_json::to_value(&first.status).unwrap()),
    );
    let later = now() + Duration::from_secs(3600);
    let again = decide(
        &persisted,
        &read("Running"),
        &DecideSettings::default(),
        later,
    );
    assert_eq!(
        again.status, first.status,
        "lastTransitionTime must not move"
    );
    assert!(again.events.is_empty());
}

#[test]
fn an_unknown_cloud_status_is_shown_verbatim_and_not_terminal() {
    let d = decide(
        &recorded("Running"),
        &read("Paused"),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.status.phase.as_deref(), Some("Paused"));
    assert_eq!(
        d.next,
        Next::Watch {
            recheck_after: None
        }
    );
}

#[test]
fn stop_is_requested_once() {
    let stop = fe(
        serde_json::json!({"flowName": "etl", "stop": true}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": "Running"})),
    );
    let d = decide(&stop, &read("Running"), &DecideSettings::default(), now());
    assert!(matches!(
        d.next,
        Next::Stop {
            error: "StoppedByUser",
            ..
        }
    ));
    assert_eq!(d.status.stop_reason.as_deref(), Some("StoppedByUser"));
    let mut view = read("Running");
    view.stop_requested = true;
    let d = decide(&stop, &view, &DecideSettings::default(), now());
    assert_eq!(
        d.next,
        Next::Watch {
            recheck_after: None
        }
    );
}

#[test]
fn observe_mode_never_starts() {
    let observe = fe(
        serde_json::json!({"flowName": "etl", "mode": "Observe"}),
        None,
    );
    let d = decide(
        &observe,
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Describe);
    assert!(!d.wants_finalizer);
    let recorded = fe(
        serde_json::json!({"flowName": "etl", "mode": "Observe"}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": "Pending"})),
    );
    let view = problem(ProblemKind::ExecutionMissing, "ExecutionNotExists", now());
    let d = decide(&recorded, &view, &DecideSettings::default(), now());
    assert!(matches!(d.next, Next::Retry(_)));
}

#[test]
fn oversized_input_is_refused_before_any_call() {
    let big = "x".repeat(INPUT_MAX_BYTES + 1);
    let obj = fe(
        serde_json::json!({"flowName": "etl", "input": {"blob": big}}),
        None,
    );
    let d = decide(
        &obj,
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Done);
    let succeeded = d.status.condition(condition_type::SUCCEEDED).unwrap();
    assert_eq!(succeeded.reason, "InputTooLarge");
    assert!(succeeded.message.contains("spec.input"));
}

#[test]
fn deleting_a_finished_execution_never_calls_the_cloud() {
    let mut done = recorded("Succeeded");
    done.metadata.finalizers = Some(vec![FINALIZER.into()]);
    assert_eq!(deletion_step(&done), DeletionStep::Release);
    let mut live = recorded("Running");
    live.metadata.finalizers = Some(vec![FINALIZER.into()]);
    assert_eq!(deletion_step(&live), DeletionStep::StopThenRelease);
    let mut orphan = fe(
        serde_json::json!({"flowName": "etl", "deletionPolicy": "Orphan"}),
        Some(serde_json::json!({"executionName": "x", "phase": "Running"})),
    );
    orphan.metadata.finalizers = Some(vec![FINALIZER.into()]);
    assert_eq!(deletion_step(&orphan), DeletionStep::Release);
}

#[test]
fn a_deadline_stops_a_run_that_is_too_long_and_says_so() {
    let obj = fe(
        serde_json::json!({"flowName": "etl", "activeDeadlineSeconds": 30}),
        Some(
            serde_json::json!({"executionName": "team-a_nightly", "phase": "Running",
            "startedTime": "2026-11-24T11:59:50Z"}),
        ),
    );
    let early = decide(&obj, &read("Running"), &DecideSettings::default(), now());
    // read() says it started at 11:59:00.001: 60 s before now, past 30 s.
    assert!(matches!(
        early.next,
        Next::Stop {
            error: "DeadlineExceeded",
            ..
        }
    ));
    assert_eq!(
        early.status.stop_reason.as_deref(),
        Some("DeadlineExceeded")
    );

    let mut fresh = read("Running");
    if let Some(e) = fresh.execution.as_mut() {
        e.started_time = Some("2026-11-24T11:59:50Z".into());
    }
    let d = decide(&obj, &fresh, &DecideSettings::default(), now());
    assert_eq!(
        d.next,
        Next::Watch {
            recheck_after: Some(Duration::from_secs(20))
        }
    );

    let stopped = fe(
        serde_json::json!({"flowName": "etl", "activeDeadlineSeconds": 30}),
        Some(
            serde_json::json!({"executionName": "team-a_nightly", "phase": "Running", "stopReason": "DeadlineExceeded"}),
        ),
    );
    let mut view = read("Stopped");
    view.failure = Some(FailureDetail::default());
    let d = decide(&stopped, &view, &DecideSettings::default(), now());
    assert_eq!(
        d.status
            .condition(condition_type::SUCCEEDED)
            .unwrap()
            .reason,
        "DeadlineExceeded"
    );
}

#[test]
fn ttl_deletes_after_the_end_and_not_before() {
    let ended = |ltt: &str| {
        fe(
            serde_json::json!({"flowName": "etl", "ttlSecondsAfterFinished": 60,
                "ttlStrategy": {"secondsAfterFailure": 600}}),
            Some(
                serde_json::json!({"executionName": "x", "phase": "Succeeded",
                "conditions": [{"type": "Completed", "status": "True", "reason": "Succeeded",
                                "lastTransitionTime": ltt}]}),
            ),
        )
    };
    let d = decide(
        &ended("2026-11-24T11:59:30Z"),
        &read("Succeeded"),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Retry(Duration::from_secs(30)));
    let d = decide(
        &ended("2026-11-24T11:58:00Z"),
        &read("Succeeded"),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.next, Next::Delete);
    let running = fe(
        serde_json::json!({"flowName": "etl", "ttlSecondsAfterFinished": 0}),
        Some(serde_json::json!({"executionName": "x", "phase": "Running"})),
    );
    let d = decide(
        &running,
        &read("Running"),
        &DecideSettings::default(),
        now(),
    );
    assert_ne!(d.next, Next::Delete, "a running one is never deleted");
}

#[test]
fn a_succeeded_output_is_exported_once() {
    let obj = fe(
        serde_json::json!({"flowName": "etl", "outputTo": {"configMap": {"name": "out"}}}),
        Some(serde_json::json!({"executionName": "x", "phase": "Running"})),
    );
    let d = decide(&obj, &read("Succeeded"), &DecideSettings::default(), now());
    assert_eq!(d.next, Next::ExportOutput);
    let mut view = read("Succeeded");
    view.output_written = Some(crate::decide::view::OutputExport {
        target: "ConfigMap/out".into(),
        outcome: Ok(()),
    });
    let d = decide(&obj, &view, &DecideSettings::default(), now());
    assert_eq!(d.next, Next::Done);
    assert_eq!(d.status.output_written_to.as_deref(), Some("ConfigMap/out"));
    assert!(d.events.iter().any(|e| e.reason == "OutputWritten"));
}
