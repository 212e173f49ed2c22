#![allow(clippy::unwrap_used)]

use super::*;
use crate::crd::condition_type as ct;

const DEF: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: a\nStates:\n  - Type: Pass\n    Name: a\n    End: true\n";

fn flow(spec: serde_json::Value) -> Flow {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "Flow",
        "metadata": {"name": "orders", "namespace": "ns", "generation": 2}, "spec": spec,
    }))
    .unwrap()
}

fn cloud(definition: &str) -> CloudFlow {
    CloudFlow {
        id: Some("id-1".into()),
        definition: definition.into(),
        execution_mode: "Standard".into(),
        last_modified_time: Some("2026-01-01T00:00:00.000Z".into()),
        ..CloudFlow::default()
    }
}

fn view(read: Result<CloudRead, CallFailure>) -> FlowView {
    FlowView {
        read,
        refusal: None,
    }
}

fn now() -> Timestamp {
    "2026-01-01T00:10:00Z".parse().unwrap()
}

fn condition(d: &FlowDecision, type_: &str) -> Option<(String, String)> {
    d.status
        .condition(type_)
        .map(|c| (c.status.clone(), c.reason.clone()))
}

#[test]
fn a_missing_managed_flow_is_created() {
    let d = decide(
        &flow(serde_json::json!({"definition": DEF})),
        &view(Ok(CloudRead::Missing)),
        FLOW_RESYNC,
        now(),
    );
    assert_eq!(d.next, FlowNext::Create);
    assert_eq!(
        condition(&d, ct::RECONCILING),
        Some(("True".into(), "Creating".into()))
    );
    assert_eq!(d.status.flow_name.as_deref(), Some("orders"));
}

#[test]
fn an_observed_flow_is_never_written() {
    let f = flow(serde_json::json!({"definition": DEF, "mode": "Observe"}));
    let missing = decide(&f, &view(Ok(CloudRead::Missing)), FLOW_RESYNC, now());
    assert_eq!(missing.next, FlowNext::Recheck(OBSERVE_MISSING_RECHECK));
    let drifted = decide(
        &f,
        &view(Ok(CloudRead::Found(cloud("other")))),
        FLOW_RESYNC,
        now(),
    );
    assert_eq!(drifted.next, FlowNext::Recheck(FLOW_RESYNC));
    assert_eq!(
        condition(&drifted, ct::READY),
        Some(("True".into(), "Observed".into()))
    );
}

#[test]
fn a_flow_that_differs_from_the_spec_is_updated_and_one_that_matches_is_ready() {
    let f = flow(serde_json::json!({"definition": DEF}));
    let differs = decide(
        &f,
        &view(Ok(CloudRead::Found(cloud("old")))),
        FLOW_RESYNC,
        now(),
    );
    assert_eq!(differs.next, FlowNext::Update);
    // Found before any status: an adoption, announced once.
    assert!(differs.events.iter().any(|e| e.reason == "FlowAdopted"));
    let same = decide(
        &f,
        &view(Ok(CloudRead::Found(cloud(DEF)))),
        FLOW_RESYNC,
        now(),
    );
    assert_eq!(same.next, FlowNext::Recheck(FLOW_RESYNC));
    assert_eq!(
        condition(&same, ct::READY),
        Some(("True".into(), "UpToDate".into()))
    );
    assert_eq!(
        same.status.definition_hash.as_deref(),
        Some(definition_hash(DEF).as_str())
    );
    assert_eq!(same.status.flow_id.as_deref(), Some("id-1"));
}

#[test]
fn a_refused_definition_stalls_with_the_clouds_message_until_the_spec_changes() {
    let f = flow(serde_json::json!({"definition": "nonsense"}));
    let refusal = Refusal {
        generation: Some(2),
        failure: CallFailure {
            reason: "InvalidArgument".into(),
            message: "InvalidArgument: Invalid flow definition: no StartAt".into(),
            transient: false,
        },
        at: now(),
    };
    let v = FlowView {
        read: Ok(CloudRead::Found(cloud(DEF))),
        refusal: Some(refusal.clone()),
    };
    let d = decide(&f, &v, FLOW_RESYNC, now());
    assert!(matches!(d.next, FlowNext::Recheck(_)));
    let stalled = d.status.condition(ct::STALLED).unwrap();
    assert_eq!(stalled.reason, "InvalidArgument");
    assert!(stalled.message.contains("no StartAt"));
    assert!(
        d.events.iter().any(|e| e.reason == "InvalidArgument"
            && e.kind == crate::decide::events::EventKind::Warning)
    );
    // A new generation is tried again.
    let mut fixed = f.clone();
    fixed.metadata.generation = Some(3);
    assert_eq!(
        decide(&fixed, &v, FLOW_RESYNC, now()).next,
        FlowNext::Update
    );
}

#[test]
fn a_different_execution_mode_is_stalled_not_updated() {
    let f = flow(serde_json::json!({"definition": DEF, "executionMode": "Express"}));
    let d = decide(
        &f,
        &view(Ok(CloudRead::Found(cloud(DEF)))),
        FLOW_RESYNC,
        now(),
    );
    assert_eq!(
        condition(&d, ct::STALLED),
        Some(("True".into(), "ExecutionModeImmutable".into()))
    );
}

#[test]
fn a_throttled_read_changes_nothing_and_rechecks_soon() {
    let f = flow(serde_json::json!({"definition": DEF}));
    let ready = decide(
        &f,
        &view(Ok(CloudRead::Found(cloud(DEF)))),
        FLOW_RESYNC,
        now(),
    );
    let mut f2 = f.clone();
    f2.status = Some(ready.status.clone());
    let d = decide(
        &f2,
        &view(Err(CallFailure {
            reason: "ResourceThrottled".into(),
            message: "throttled".into(),
            transient: true,
        })),
        FLOW_RESYNC,
        now(),
    );
    assert_eq!(d.status, ready.status);
    assert_eq!(d.next, FlowNext::Recheck(TRANSIENT_RECHECK));
    assert!(d.events.is_empty());
}

#[test]
fn a_name_that_is_no_fnf_name_needs_spec_flow_name() {
    let mut f = flow(serde_json::json!({"definition": DEF}));
    f.metadata.name = Some("orders.v2".into());
    let d = decide(&f, &view(Ok(CloudRead::Unread)), FLOW_RESYNC, now());
    assert_eq!(
        condition(&d, ct::STALLED),
        Some(("True".into(), "InvalidFlowName".into()))
    );
    assert_eq!(d.next, FlowNext::AwaitChange);
}
