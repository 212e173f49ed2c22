//! Whether an execution found in the cloud is the one a FlowExecution
//! declares, and whether it existed before the object did. Checked before
//! anything of it is mirrored: a name alone does not make a run this object's.
//! Pure: no I/O, no clock.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::crd::{FlowExecution, Mode};
use fnf_client::Execution;

/// Stable reason of the refusal, for the condition and the Event.
pub const EXECUTION_NAME_IN_USE: &str = "ExecutionNameInUse";

/// How far the cloud's clock may run behind the operator's (or the
/// apiserver's) before a run this object started would look older than the
/// call (or the object) that started it. NTP keeps real clocks far closer.
const CLOCK_SKEW_ALLOWANCE: Duration = Duration::from_secs(1);

/// Why `found` is not the execution `fe` declares: another flow, or (in Start
/// mode) another input than `input`, the one the run sends (`spec.input` with
/// `spec.inputFrom` applied; `None` while a source of it cannot be read, when
/// only the flow is compared). Observe mode mirrors a run started elsewhere
/// with any input, so only the flow is compared there. Never quotes an input.
pub fn mismatch(
    fe: &FlowExecution,
    input: Option<&Map<String, Value>>,
    found: &Execution,
) -> Option<String> {
    let name = fe.resolved_execution_name();
    let field = if fe.spec.execution_name.is_some() {
        "spec.executionName"
    } else if fe.runs_on_change() {
        "spec.runKey (the run's execution name is derived from it)"
    } else {
        "metadata.name (the default execution name is derived from it)"
    };
    if !found.flow_name.is_empty() && found.flow_name != fe.spec.flow_name {
        return Some(format!(
            "execution {name} belongs to flow {}, not to spec.flowName {}: nothing of it is mirrored; choose another {field} in a new FlowExecution",
            found.flow_name, fe.spec.flow_name
        ));
    }
    let other_input = input.is_some_and(|i| !same_input(Some(i), found.input.as_deref()));
    if fe.spec.mode == Mode::Start && other_input {
        return Some(format!(
            "execution {name} of flow {} already exists with a different input, so it is not this FlowExecution's run: nothing of it is mirrored and nothing was started; to run this input, choose another {field} in a new FlowExecution",
            fe.spec.flow_name
        ));
    }
    None
}

/// Whether `found` leaves out an Input that the declaration has, so that the
/// input cannot be compared without reading the execution.
pub fn input_unknown(
    fe: &FlowExecution,
    input: Option<&Map<String, Value>>,
    found: &Execution,
) -> bool {
    fe.spec.mode == Mode::Start && found.input.is_none() && input.is_some_and(|i| !i.is_empty())
}

/// Whether `found` was running before this object existed, so it cannot be
/// this object's run. Judged against the object's creation, never against a
/// call: a retried StartExecution whose first answer was lost finds our own
/// run, which must stay ours (it is stopped on delete). A run started by
/// someone else within the skew allowance before counts as ours; a cloud clock
/// further behind makes our own run look adopted, which only means that it is
/// not stopped for this object.
pub fn predates(fe: &FlowExecution, found: &Execution) -> bool {
    let Some(started) = found.started_at() else {
        return false;
    };
    fe.metadata
        .creation_timestamp
        .as_ref()
        .and_then(|t| t.0.checked_sub(CLOCK_SKEW_ALLOWANCE).ok())
        .is_some_and(|bound| started < bound)
}

/// The declared input and the cloud's, compared as JSON values: key order,
/// spacing and `1` against `1.0` never matter; no input equals `{}`.
pub fn same_input(declared: Option<&Map<String, Value>>, cloud: Option<&str>) -> bool {
    let declared_text = declared.and_then(|d| serde_json::to_string(d).ok());
    let cloud = cloud.map(str::trim).filter(|c| !c.is_empty());
    // What the operator sent comes back verbatim: no parse needed (nor any
    // depth limit met).
    if cloud.is_some() && cloud == declared_text.as_deref() {
        return true;
    }
    let declared = Value::Object(declared.cloned().unwrap_or_default());
    let cloud = match cloud {
        None => Value::Object(Map::new()),
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(value) => value,
            Err(_) => return false,
        },
    };
    same_value(&declared, &cloud)
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| same_value(v, w)))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(v, w)| same_value(v, w))
        }
        (Value::Number(a), Value::Number(b)) => {
            let integer = |n: &serde_json::Number| n.is_i64() || n.is_u64();
            a == b || ((!integer(a) || !integer(b)) && a.as_f64() == b.as_f64())
        }
        _ => a == b,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fe(spec: Value, created: &str) -> FlowExecution {
        serde_json::from_value(json!({
            "apiVersion": "fnf-operator.dev/v1alpha1",
            "kind": "FlowExecution",
            "metadata": {"name": "nightly", "namespace": "team-a", "creationTimestamp": created},
            "spec": spec,
        }))
        .unwrap()
    }

    fn found(flow: &str, input: Option<&str>, started: &str) -> Execution {
        Execution {
            name: "team-a_nightly".into(),
            flow_name: flow.into(),
            status: Some("Running".into()),
            input: input.map(str::to_string),
            started_time: Some(started.into()),
            ..Default::default()
        }
    }

    const CREATED: &str = "2026-11-24T12:00:00Z";

    #[test]
    fn inputs_compare_as_json_whatever_the_order_and_spacing() {
        let declared = json!({"b": [1, {"y": 2.0, "x": "s"}], "a": null});
        let map = declared.as_object();
        assert!(same_input(
            map,
            Some(r#" { "a" : null , "b":[1,{"x":"s","y":2}] } "#)
        ));
        assert!(!same_input(
            map,
            Some(r#"{"a":null,"b":[{"x":"s","y":2},1]}"#)
        ));
        assert!(!same_input(map, Some(r#"{"a":null}"#)));
        assert!(!same_input(map, Some("not json")));
        assert!(same_input(None, None));
        assert!(same_input(None, Some("{}")));
        assert!(same_input(json!({}).as_object(), Some("")));
        assert!(!same_input(None, Some(r#"{"a":1}"#)));
    }

    #[test]
    fn large_integers_are_compared_exactly() {
        let declared = json!({"n": 9_007_199_254_740_993_u64});
        assert!(!same_input(
            declared.as_object(),
            Some(r#"{"n":9007199254740992}"#)
        ));
        assert!(same_input(
            declared.as_object(),
            Some(r#"{"n":9007199254740993}"#)
        ));
    }

    #[test]
    fn another_input_is_refused_naming_the_field_to_change() {
        let explicit = fe(
            json!({"flowName": "etl", "executionName": "team-a_x", "input": {"day": 1}}),
            CREATED,
        );
        let message = mismatch(
            &explicit,
            explicit.spec.input.as_ref(),
            &found("etl", Some(r#"{"day":2}"#), CREATED),
        )
        .unwrap();
        assert!(message.contains("spec.executionName"), "{message}");
        assert!(message.contains("different input"), "{message}");
        assert!(
            mismatch(
                &explicit,
                explicit.spec.input.as_ref(),
                &found("etl", Some(r#"{ "day": 1 }"#), CREATED)
            )
            .is_none()
        );

        let none = Map::new();
        let once = fe(json!({"flowName": "etl", "runPolicy": "Once"}), CREATED);
        let message = mismatch(
            &once,
            Some(&none),
            &found("etl", Some(r#"{"a":1}"#), CREATED),
        )
        .unwrap();
        assert!(message.contains("metadata.name"), "{message}");
        // Under OnChange the name is the run's: another runKey is another name.
        let on_change = fe(json!({"flowName": "etl"}), CREATED);
        let message = mismatch(
            &on_change,
            Some(&none),
            &found("etl", Some(r#"{"a":1}"#), CREATED),
        )
        .unwrap();
        assert!(message.contains("spec.runKey"), "{message}");
        // An input not known yet (a source unread) is not compared.
        assert!(mismatch(&on_change, None, &found("etl", Some(r#"{"a":1}"#), CREATED)).is_none());
    }

    #[test]
    fn another_flow_is_refused_in_both_modes() {
        for mode in ["Start", "Observe"] {
            let obj = fe(json!({"flowName": "etl", "mode": mode}), CREATED);
            let message = mismatch(
                &obj,
                obj.spec.input.as_ref(),
                &found("other", None, CREATED),
            )
            .unwrap();
            assert!(message.contains("belongs to flow other"), "{message}");
        }
    }

    #[test]
    fn observe_mode_compares_only_the_flow() {
        let obj = fe(
            json!({"flowName": "etl", "mode": "Observe", "input": {"a": 1}}),
            CREATED,
        );
        assert!(
            mismatch(
                &obj,
                obj.spec.input.as_ref(),
                &found("etl", Some(r#"{"b":2}"#), CREATED)
            )
            .is_none()
        );
    }

    #[test]
    fn a_run_older_than_the_object_was_not_started_by_it() {
        let obj = fe(json!({"flowName": "etl"}), CREATED);
        assert!(predates(&obj, &found("etl", None, "2026-11-24T11:59:58Z")));
        // Within the clock allowance, or after the creation: ours.
        assert!(!predates(
            &obj,
            &found("etl", None, "2026-11-24T11:59:59.500Z")
        ));
        assert!(!predates(&obj, &found("etl", None, "2026-11-24T12:00:01Z")));
    }
}
