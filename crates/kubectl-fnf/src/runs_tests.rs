use super::*;

fn object(spec: serde_json::Value, status: serde_json::Value, generation: i64) -> FlowExecution {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1",
        "kind": "FlowExecution",
        "metadata": {"name": "run", "namespace": "team-a", "generation": generation},
        "spec": spec,
        "status": status,
    }))
    .unwrap()
}

fn condition(type_: &str, status: &str, reason: &str, generation: i64) -> serde_json::Value {
    serde_json::json!({
        "type": type_, "status": status, "reason": reason, "message": format!("{reason} message"),
        "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": generation,
    })
}

#[test]
fn rerun_is_refused_where_run_key_cannot_change_and_says_why() {
    let status = serde_json::json!({});
    for (spec, why) in [
        (
            serde_json::json!({"flowName": "f", "runPolicy": "Once"}),
            "runPolicy is Once",
        ),
        (
            serde_json::json!({"flowName": "f", "executionName": "team-a_x"}),
            "executionName",
        ),
        (
            serde_json::json!({"flowName": "f", "mode": "Observe"}),
            "Observe",
        ),
    ] {
        let err = check_rerun(&object(spec, status.clone(), 1)).unwrap_err();
        assert_eq!(err.reason(), "RerunRefused");
        let message = err.to_string();
        assert!(
            message.contains(why) && message.contains("team-a/run"),
            "{message}"
        );
    }
    assert!(
        check_rerun(&object(
            serde_json::json!({"flowName": "f"}),
            status.clone(),
            1
        ))
        .is_ok()
    );
    let explicit = serde_json::json!({"flowName": "f", "runPolicy": "OnChange"});
    assert!(check_rerun(&object(explicit, status, 1)).is_ok());
    assert_eq!(
        rerun_patch("2026-01-01T00:00:00.5Z"),
        serde_json::json!({"spec": {"runKey": "2026-01-01T00:00:00.5Z"}})
    );
}

#[test]
fn the_runs_table_shows_the_current_run_first_then_the_history_once() {
    let fe = object(
        serde_json::json!({"flowName": "f"}),
        serde_json::json!({
            "executionName": "team-a_run_Rbbb", "phase": "Running", "attempt": 2,
            "startedTime": "2026-01-01T00:02:00Z",
            "runs": [
                {"executionName": "team-a_run_Rbbb", "phase": "Failed", "attempt": 2},
                {"executionName": "team-a_run_Raaa", "phase": "Failed",
                 "startedTime": "2026-01-01T00:00:00Z", "stoppedTime": "2026-01-01T00:01:00Z"},
            ],
        }),
        1,
    );
    let text = runs_table(&fe);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "EXECUTION         ATTEMPT   PHASE     STARTED                FINISHED",
            "team-a_run_Rbbb   2         Running   2026-01-01T00:02:00Z   <none>",
            "team-a_run_Raaa   1         Failed    2026-01-01T00:00:00Z   2026-01-01T00:01:00Z",
        ]
    );
    let empty = runs_table(&object(
        serde_json::json!({"flowName": "f"}),
        serde_json::json!({}),
        1,
    ));
    assert_eq!(empty.lines().count(), 1, "only the header: {empty}");
}

#[test]
fn a_wait_ignores_conditions_written_for_an_earlier_generation() {
    let spec = serde_json::json!({"flowName": "f"});
    let done_for = |generation: i64, succeeded: &str| {
        serde_json::json!({
            "observedGeneration": generation,
            "conditions": [
                condition("Succeeded", succeeded, if succeeded == "True" { "Succeeded" } else { "Failed" }, generation),
                condition("Completed", "True", "Succeeded", generation),
            ],
        })
    };
    let stale = object(spec.clone(), done_for(1, "True"), 2);
    assert_eq!(
        wait_verdict(&stale, WaitFor::Completed),
        WaitVerdict::Waiting
    );
    assert_eq!(
        wait_verdict(&stale, WaitFor::Succeeded),
        WaitVerdict::Waiting
    );

    let current = object(spec.clone(), done_for(2, "True"), 2);
    assert_eq!(wait_verdict(&current, WaitFor::Completed), WaitVerdict::Met);
    assert_eq!(wait_verdict(&current, WaitFor::Succeeded), WaitVerdict::Met);

    let failed = object(spec.clone(), done_for(2, "False"), 2);
    assert_eq!(wait_verdict(&failed, WaitFor::Completed), WaitVerdict::Met);
    assert_eq!(
        wait_verdict(&failed, WaitFor::Succeeded),
        WaitVerdict::Failed {
            reason: "Failed".into(),
            message: "Failed message".into()
        }
    );

    let running = object(
        spec.clone(),
        serde_json::json!({"conditions": [condition("Completed", "False", "Running", 2)]}),
        2,
    );
    assert_eq!(
        wait_verdict(&running, WaitFor::Succeeded),
        WaitVerdict::Waiting
    );
    let unobserved = object(spec, serde_json::json!({"observedGeneration": 0}), 1);
    assert_eq!(
        wait_verdict(&unobserved, WaitFor::Completed),
        WaitVerdict::Waiting
    );
}
