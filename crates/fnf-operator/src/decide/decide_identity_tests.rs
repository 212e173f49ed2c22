//! The decision's part in whose run an object mirrors: adoption checked, the
//! status rebuilt from the cloud's word, names kept across the upgrade, and a
//! namespace kept to its own executions. Pure: no network.

use super::decision::{decide, deletion_step};
use super::events::EventKind;
use super::outcome::{DeletionStep, Next};
use super::test_fixtures::{flow_execution, now};
use super::view::*;
use crate::crd::*;

fn fe_named(
    name: &str,
    spec: serde_json::Value,
    status: Option<serde_json::Value>,
) -> FlowExecution {
    flow_execution(
        serde_json::json!({"name": name, "finalizers": [FINALIZER]}),
        spec,
        status,
    )
}

fn fe(spec: serde_json::Value, status: Option<serde_json::Value>) -> FlowExecution {
    fe_named("nightly", spec, status)
}

fn read(status: &str, adopted: bool) -> CloudView {
    CloudView {
        execution: Some(ExecutionRead {
            status: Some(status.into()),
            output: None,
            started_time: Some("2026-11-24T11:59:00.001Z".into()),
            stopped_time: None,
            request_id: Some("req-1".into()),
            adopted,
        }),
        ..Default::default()
    }
}

fn stalled(status: &FlowExecutionStatus) -> Option<(&str, &str)> {
    status
        .condition(condition_type::STALLED)
        .map(|c| (c.status.as_str(), c.reason.as_str()))
}

#[test]
fn an_execution_of_another_input_is_refused_and_nothing_of_it_is_mirrored() {
    let view = CloudView {
        name_in_use: Some("execution team-a_nightly ... choose another metadata.name".into()),
        ..Default::default()
    };
    let obj = fe(
        serde_json::json!({"flowName": "etl"}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": "Pending"})),
    );
    let d = decide(&obj, &view, &DecideSettings::default(), now());
    assert_eq!(d.next, Next::Done);
    assert_eq!(stalled(&d.status), Some(("True", "ExecutionNameInUse")));
    assert_eq!(d.status.phase.as_deref(), Some("Pending"));
    assert_eq!(d.status.started_time, None);
    assert!(!d.wants_finalizer);
    let warnings: Vec<_> = d
        .events
        .iter()
        .filter(|e| e.kind == EventKind::Warning)
        .collect();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].reason, "ExecutionNameInUse");
    assert!(warnings[0].note.contains("metadata.name"));

    // After a restart (no view), the refusal stands and nothing is called.
    let refused = fe(
        serde_json::json!({"flowName": "etl"}),
        Some(serde_json::to_value(&d.status).unwrap()),
    );
    let again = decide(
        &refused,
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(again.next, Next::Done);
    assert_eq!(again.status, d.status);
    assert!(again.events.is_empty());
}

#[test]
fn a_forged_status_is_rebuilt_from_the_cloud_read() {
    let forged = serde_json::json!({
        "executionName": "team-a_nightly", "phase": "Running",
        "output": "forged", "stoppedTime": "2020-01-01T00:00:00Z",
        "error": "Forged", "cause": "forged", "startedTime": "2020-01-01T00:00:00Z",
    });
    let obj = fe(serde_json::json!({"flowName": "etl"}), Some(forged.clone()));
    let d = decide(
        &obj,
        &read("Running", false),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.status.output, None);
    assert_eq!(d.status.stopped_time, None);
    assert_eq!(
        (d.status.error.as_ref(), d.status.cause.as_ref()),
        (None, None)
    );
    assert_eq!(
        d.status.started_time.as_deref(),
        Some("2026-11-24T11:59:00.001Z")
    );
    let cleared = crate::crd::fields_dropped(obj.status.as_ref().unwrap(), &d.status);
    for field in ["output", "stoppedTime", "error", "cause"] {
        assert!(cleared.contains(&field.to_string()), "{field}: {cleared:?}");
    }

    let obj = fe(serde_json::json!({"flowName": "etl"}), Some(forged));
    let d = decide(
        &obj,
        &read("Succeeded", false),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(
        (d.status.error.as_ref(), d.status.cause.as_ref()),
        (None, None)
    );
    assert_eq!(d.status.stopped_time, None, "the cloud sent none");
}

#[test]
fn correcting_a_forged_phase_does_not_announce_a_transition_twice() {
    let obj = fe(
        serde_json::json!({"flowName": "etl"}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": "Pending"})),
    );
    let mut view = read("Running", false);
    let first = decide(&obj, &view, &DecideSettings::default(), now());
    let reasons: Vec<_> = first.events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(
        reasons,
        ["Started"],
        "Running is in the status, not an Event"
    );
    view.announced.extend(reasons.iter().map(|r| r.to_string()));
    let again = decide(&obj, &view, &DecideSettings::default(), now());
    assert!(again.events.is_empty(), "{:?}", again.events);
}

#[test]
fn a_name_recorded_by_the_old_rule_is_kept_and_a_forged_one_is_not() {
    let long = "a".repeat(200);
    let legacy = legacy_default_execution_name("team-a", &long);
    let current = default_execution_name("team-a", &long);
    assert_ne!(legacy, current);
    let obj = fe_named(
        &long,
        serde_json::json!({"flowName": "etl"}),
        Some(serde_json::json!({"executionName": legacy, "phase": "Running"})),
    );
    let d = decide(
        &obj,
        &CloudView::default(),
        &DecideSettings::default(),
        now(),
    );
    assert_eq!(d.status.execution_name.as_deref(), Some(legacy.as_str()));
    assert_ne!(d.next, Next::Start);

    let forged = fe_named(
        &long,
        serde_json::json!({"flowName": "etl"}),
        Some(serde_json::json!({"executionName": "team-b_theirs", "phase": "Pending"})),
    );
    assert_eq!(forged.resolved_execution_name(), current);
}

#[test]
fn a_foreign_execution_name_is_refused_unless_the_namespace_is_allowed() {
    for mode in ["Start", "Observe"] {
        let obj = fe(
            serde_json::json!({"flowName": "etl", "executionName": "team-b_theirs", "mode": mode}),
            None,
        );
        let d = decide(
            &obj,
            &CloudView::default(),
            &DecideSettings::default(),
            now(),
        );
        assert_eq!(d.next, Next::Done, "{mode}");
        assert_eq!(
            stalled(&d.status),
            Some(("True", "ExecutionNameNotAllowed"))
        );
        assert!(!d.wants_finalizer);
        let note = &d.events[0].note;
        assert!(
            note.contains("spec.executionName") && note.contains("--allow-foreign-execution-names"),
            "{note}"
        );
        for allowed in [vec!["team-a".to_string()], vec!["*".to_string()]] {
            let settings = DecideSettings {
                allow_foreign_execution_names: allowed,
                ..DecideSettings::default()
            };
            let d = decide(&obj, &CloudView::default(), &settings, now());
            assert_ne!(d.next, Next::Done, "{mode}");
        }
        let other = DecideSettings {
            allow_foreign_execution_names: vec!["team-b".into()],
            ..DecideSettings::default()
        };
        assert_eq!(
            decide(&obj, &CloudView::default(), &other, now()).next,
            Next::Done
        );
    }
    // A name with the namespace's own prefix needs nothing; `team-a-x_` is not `team-a_`.
    let own = fe(
        serde_json::json!({"flowName": "etl", "executionName": "team-a_mine"}),
        None,
    );
    assert_eq!(
        decide(
            &own,
            &CloudView::default(),
            &DecideSettings::default(),
            now()
        )
        .next,
        Next::Start
    );
    let lookalike = fe(
        serde_json::json!({"flowName": "etl", "executionName": "team-a-x_run"}),
        None,
    );
    assert_eq!(
        decide(
            &lookalike,
            &CloudView::default(),
            &DecideSettings::default(),
            now()
        )
        .next,
        Next::Done
    );
}

#[test]
fn a_run_this_object_adopted_is_never_stopped_for_it() {
    let obj = fe(
        serde_json::json!({"flowName": "etl", "stop": true}),
        Some(
            serde_json::json!({"executionName": "team-a_nightly", "phase": "Running", "adopted": true}),
        ),
    );
    let d = decide(
        &obj,
        &read("Running", true),
        &DecideSettings::default(),
        now(),
    );
    assert!(matches!(d.next, Next::Watch { .. }), "{:?}", d.next);
    assert!(!d.wants_finalizer);
    assert!(d.events.iter().any(|e| e.reason == "StopNotAllowed"));
    assert_eq!(deletion_step(&obj), DeletionStep::Release);

    let ours = fe(
        serde_json::json!({"flowName": "etl", "stop": true}),
        Some(serde_json::json!({"executionName": "team-a_nightly", "phase": "Running"})),
    );
    let d = decide(
        &ours,
        &read("Running", false),
        &DecideSettings::default(),
        now(),
    );
    assert!(matches!(d.next, Next::Stop { .. }), "{:?}", d.next);
    assert_eq!(deletion_step(&ours), DeletionStep::StopThenRelease);
}
