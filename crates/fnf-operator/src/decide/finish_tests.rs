//! The end of a run through the pure decision: TTL after a final refusal, the
//! Output held in the status, and a changed `spec.outputTo`.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use jiff::SignedDuration;

use super::*;
use crate::decide::conditions::kubernetes_time;
use crate::decide::decision::{Decision, decide};
use crate::decide::events::reason::OUTPUT_TRUNCATED;
use crate::decide::outcome::Next;
use crate::decide::output::cut_at_char_boundary;
use crate::decide::test_fixtures::{flow_execution, now};
use crate::decide::view::{CloudProblem, DecideSettings, ExecutionRead, OutputExport, ProblemKind};

fn fe(spec: serde_json::Value, status: Option<serde_json::Value>) -> FlowExecution {
    flow_execution(serde_json::json!({}), spec, status)
}

fn succeeded_with(output: &str) -> CloudView {
    CloudView {
        execution: Some(ExecutionRead {
            status: Some("Succeeded".into()),
            output: Some(output.into()),
            started_time: Some("2026-11-24T11:59:00Z".into()),
            stopped_time: Some("2026-11-24T11:59:30Z".into()),
            request_id: Some("req-1".into()),
            adopted: false,
        }),
        ..Default::default()
    }
}

fn spec_refused() -> CloudView {
    CloudView {
        problem: Some(CloudProblem {
            kind: ProblemKind::SpecRefused,
            reason: "InvalidArgument".into(),
            message: "InvalidArgument: the qualifier does not exist".into(),
            request_id: None,
            since: now(),
            last_seen: now(),
            attempts: 1,
            from_call: true,
        }),
        ..Default::default()
    }
}

fn settings(max: usize) -> DecideSettings {
    DecideSettings {
        status_output_max_bytes: max,
        ..DecideSettings::default()
    }
}

/// Decides once, then again on the status the first decision wrote, `later` on.
fn decide_twice(
    obj: &FlowExecution,
    cloud: &CloudView,
    settings: &DecideSettings,
    later: Duration,
) -> (Decision, Decision) {
    let first = decide(obj, cloud, settings, now());
    let mut written = obj.clone();
    written.status = Some(first.status.clone());
    let then = now() + SignedDuration::try_from(later).unwrap();
    let second = decide(&written, cloud, settings, then);
    (first, second)
}

#[test]
fn an_input_refused_before_any_call_is_deleted_after_its_ttl() {
    let big = "x".repeat(40 * 1024);
    let obj = fe(
        serde_json::json!({"flowName": "etl", "input": {"blob": big}, "ttlSecondsAfterFinished": 30}),
        None,
    );
    let (first, second) = decide_twice(
        &obj,
        &CloudView::default(),
        &DecideSettings::default(),
        Duration::from_secs(10),
    );
    assert_eq!(
        first.status.condition("Completed").unwrap().reason,
        "InputTooLarge"
    );
    assert_eq!(
        first.next,
        Next::Retry(Duration::from_secs(1)),
        "the end is being written"
    );
    assert_eq!(second.next, Next::Retry(Duration::from_secs(20)));
    let (_, expired) = decide_twice(
        &obj,
        &CloudView::default(),
        &DecideSettings::default(),
        Duration::from_secs(30),
    );
    assert_eq!(expired.next, Next::Delete);
    assert!(!expired.wants_finalizer);
}

#[test]
fn a_spec_the_cloud_refused_uses_the_ttl_after_failure() {
    let obj = fe(
        serde_json::json!({"flowName": "etl", "ttlSecondsAfterFinished": 600,
            "ttlStrategy": {"secondsAfterFailure": 5, "secondsAfterSuccess": 900}}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": "Pending"})),
    );
    let (first, second) = decide_twice(
        &obj,
        &spec_refused(),
        &DecideSettings::default(),
        Duration::from_secs(5),
    );
    assert_eq!(first.status.condition("Completed").unwrap().status, "True");
    assert_eq!(second.next, Next::Delete);
}

#[test]
fn a_refusal_without_ttl_is_done_and_a_curable_one_is_never_deleted() {
    let obj = fe(
        serde_json::json!({"flowName": "etl"}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": "Pending"})),
    );
    let (_, second) = decide_twice(
        &obj,
        &spec_refused(),
        &DecideSettings::default(),
        Duration::from_secs(3600),
    );
    assert_eq!(second.next, Next::Done);

    // Missing credentials are Stalled but not Completed: no TTL applies.
    let obj = fe(
        serde_json::json!({"flowName": "etl", "ttlSecondsAfterFinished": 1}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": "Pending"})),
    );
    let mut cloud = spec_refused();
    if let Some(p) = cloud.problem.as_mut() {
        p.kind = ProblemKind::Credentials;
        p.reason = "InvalidAccessKeyId.NotFound".into();
    }
    let (_, second) = decide_twice(
        &obj,
        &cloud,
        &DecideSettings::default(),
        Duration::from_secs(3600),
    );
    assert_ne!(second.next, Next::Delete);
}

#[test]
fn an_output_over_the_cap_is_cut_marked_and_announced_once() {
    let output = format!(r#"{{"blob":"{}"}}"#, "x".repeat(100 * 1024));
    let obj = fe(
        serde_json::json!({"flowName": "etl", "outputTo": {"configMap": {"name": "out"}}}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": "Running"})),
    );
    let (first, second) = decide_twice(
        &obj,
        &succeeded_with(&output),
        &settings(64 * 1024),
        Duration::from_secs(1),
    );
    let status = &first.status;
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    assert_eq!(status.output.as_deref().map(str::len), Some(64 * 1024));
    assert!(output.starts_with(status.output.as_deref().unwrap()));
    assert_eq!(status.output_truncated, Some(true));
    let note = first
        .events
        .iter()
        .find(|e| e.reason == OUTPUT_TRUNCATED)
        .unwrap();
    assert!(
        note.note.contains(&format!("{} bytes", output.len()))
            && note.note.contains("ConfigMap/out")
            && note.note.contains("kubectl fnf output nightly -n team-a"),
        "{}",
        note.note
    );
    assert_eq!(first.next, Next::ExportOutput);
    assert_eq!(second.status, first.status, "nothing changes on a repeat");
    assert!(!second.events.iter().any(|e| e.reason == OUTPUT_TRUNCATED));
}

#[test]
fn an_output_within_the_cap_is_whole_and_a_forged_mark_is_cleared() {
    let obj = fe(
        serde_json::json!({"flowName": "etl"}),
        Some(
            serde_json::json!({"executionName": "team-a_nightly", "phase": "Running",
            "outputTruncated": true}),
        ),
    );
    let d = decide(
        &obj,
        &succeeded_with(r#"{"ok":true}"#),
        &settings(1024),
        now(),
    );
    assert_eq!(d.status.output.as_deref(), Some(r#"{"ok":true}"#));
    assert_eq!(d.status.output_truncated, None);
}

#[test]
fn an_output_is_cut_on_a_character_boundary() {
    assert_eq!(cut_at_char_boundary("aé", 2), "a");
    assert_eq!(cut_at_char_boundary("aé", 3), "aé");
    assert_eq!(cut_at_char_boundary("日本", 4), "日");
}

#[test]
fn after_a_restart_a_truncated_output_is_read_again_before_it_is_exported() {
    let obj = fe(
        serde_json::json!({"flowName": "etl", "outputTo": {"configMap": {"name": "out"}}}),
        Some(
            serde_json::json!({"executionName": "team-a_nightly", "phase": "Succeeded",
            "output": "{\"blob\":\"xx", "outputTruncated": true}),
        ),
    );
    let d = decide(&obj, &CloudView::default(), &settings(1024), now());
    assert_eq!(d.next, Next::Describe);
    assert_eq!(d.status.output_truncated, Some(true), "kept without a read");
    // An execution the cloud no longer has cannot give it: the export says why.
    let mut gone = spec_refused();
    if let Some(p) = gone.problem.as_mut() {
        p.kind = ProblemKind::ExecutionMissing;
    }
    let d = decide(&obj, &gone, &settings(1024), now());
    assert_eq!(d.next, Next::ExportOutput);
}

#[test]
fn a_changed_output_to_writes_the_new_target_once() {
    let obj = fe(
        serde_json::json!({"flowName": "etl", "outputTo": {"secret": {"name": "new"}}}),
        Some(
            serde_json::json!({"executionName": "team-a_nightly", "phase": "Succeeded",
            "output": "{}", "outputWrittenTo": "ConfigMap/old"}),
        ),
    );
    let mut cloud = succeeded_with("{}");
    let d = decide(&obj, &cloud, &settings(1024), now());
    assert_eq!(d.next, Next::ExportOutput);

    cloud.output_written = Some(OutputExport {
        target: "Secret/new".into(),
        outcome: Ok(()),
    });
    let d = decide(&obj, &cloud, &settings(1024), now());
    assert_eq!(d.status.output_written_to.as_deref(), Some("Secret/new"));
    assert_eq!(d.next, Next::Done);
    let written = d
        .events
        .iter()
        .find(|e| e.reason == "OutputWritten")
        .unwrap();
    assert!(written.note.contains("Secret/new"), "{}", written.note);

    // A failed attempt is not repeated for the same target.
    cloud.output_written = Some(OutputExport {
        target: "Secret/new".into(),
        outcome: Err("not owned".into()),
    });
    let d = decide(&obj, &cloud, &settings(1024), now());
    assert_eq!(d.next, Next::Done);
    assert_eq!(d.status.output_written_to.as_deref(), Some("ConfigMap/old"));
}

#[test]
fn the_ttl_counts_from_completed_turning_true() {
    let ended = now() - SignedDuration::from_secs(8);
    let obj = fe(
        serde_json::json!({"flowName": "etl", "ttlSecondsAfterFinished": 10}),
        Some(
            serde_json::json!({"executionName": "team-a_nightly", "phase": "Pending",
            "conditions": [{"type": "Completed", "status": "True", "reason": "InvalidArgument",
                "message": "", "lastTransitionTime": kubernetes_time(ended)}]}),
        ),
    );
    let d = decide(&obj, &spec_refused(), &DecideSettings::default(), now());
    assert_eq!(d.next, Next::Retry(Duration::from_secs(2)));
}
