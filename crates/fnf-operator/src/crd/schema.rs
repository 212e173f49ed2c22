//! Hand-written schema pieces the derive cannot express: fnf's naming rule,
//! a free-form JSON object, and the CEL admission rules on the spec.

use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Value, json};

/// fnf's rule for flow and execution names.
pub const FNF_NAME_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_-]{0,127}$";

pub fn fnf_name(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": 128,
        "pattern": FNF_NAME_PATTERN,
    })
}

pub fn optional_fnf_name(generator: &mut SchemaGenerator) -> Schema {
    let mut schema = fnf_name(generator);
    schema.insert("nullable".into(), Value::Bool(true));
    schema
}

/// Any JSON object, kept as written (the apiserver must not prune its fields).
pub fn input(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "nullable": true,
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// Whether the old object's effective `runPolicy` is `Once` (see
/// [`super::FlowExecution::run_policy`]); `NEW_RUNS_ONCE` the same of the new.
const OLD_RUNS_ONCE: &str =
    "(has(oldSelf.runPolicy) ? oldSelf.runPolicy == 'Once' : has(oldSelf.executionName))";
const NEW_RUNS_ONCE: &str =
    "(has(self.runPolicy) ? self.runPolicy == 'Once' : has(self.executionName))";

/// The admission rules on the spec.
///
/// - The run's declaration (flowName, qualifier, input, inputFrom, runKey) is
///   immutable only when the old object runs `Once`: there, changing it would
///   silently point the object at another execution. Under `OnChange` a new
///   declaration is a new run with a name of its own.
/// - executionName, mode and region are immutable always: they say which
///   cloud object the FlowExecution is, not what it runs.
/// - The effective runPolicy is immutable: switching would re-name (Once to
///   OnChange: the run gets an identity suffix and starts again) or freeze the
///   object's runs; writing the default explicitly is no change.
/// - An explicit executionName names exactly one run, so `OnChange` with it
///   is refused (also on create; the other rules read `oldSelf`, so only
///   updates run them).
pub fn spec_rules() -> Value {
    let immutable = |field: &str| {
        json!({
            "rule": format!(
                "has(self.{field}) == has(oldSelf.{field}) && (!has(self.{field}) || self.{field} == oldSelf.{field})"
            ),
            "message": format!(
                "spec.{field} is immutable: create a new FlowExecution (a new name, or a new spec.executionName) to run again"
            ),
        })
    };
    let immutable_when_once = |field: &str| {
        let mut rule = immutable(field);
        rule["rule"] = json!(format!(
            "!{OLD_RUNS_ONCE} || ({})",
            rule["rule"].as_str().unwrap_or_default()
        ));
        rule
    };
    json!([
        {
            "rule": format!("!{OLD_RUNS_ONCE} || self.flowName == oldSelf.flowName"),
            "message": "spec.flowName is immutable: create a new FlowExecution to run another flow",
        },
        immutable("executionName"),
        immutable_when_once("input"),
        immutable_when_once("inputFrom"),
        immutable_when_once("runKey"),
        immutable("mode"),
        immutable_when_once("qualifier"),
        immutable("region"),
        {
            "rule": format!("{NEW_RUNS_ONCE} == {OLD_RUNS_ONCE}"),
            "message": "spec.runPolicy cannot change between Once and OnChange (it decides which runs the object stands for): create a new FlowExecution with the new policy",
        },
        {
            "rule": "!(has(self.runPolicy) && self.runPolicy == 'OnChange' && has(self.executionName))",
            "message": "spec.runPolicy OnChange cannot go with spec.executionName: an explicit name names exactly one run, and each new declaration needs a new execution name; remove spec.executionName (the operator then names each run) or use runPolicy Once",
        },
        {
            "rule": "!has(oldSelf.stop) || !oldSelf.stop || (has(self.stop) && self.stop)",
            "message": "spec.stop cannot be set back to false: a stopped execution stays stopped; create a new FlowExecution to run again",
        },
    ])
}

/// Each `spec.inputFrom` entry reads exactly one object.
pub fn input_field_source_rules() -> Value {
    json!([{
        "rule": "has(self.configMapKeyRef) != has(self.secretKeyRef)",
        "message": "each spec.inputFrom entry needs exactly one of configMapKeyRef and secretKeyRef",
    }])
}

/// Exactly one of `configMap` and `secret`.
pub fn output_target_rules() -> Value {
    json!([{
        "rule": "has(self.configMap) != has(self.secret)",
        "message": "spec.outputTo needs exactly one of configMap and secret",
    }])
}

/// The deepest `spec.input` accepted (`{}` is depth 1). The operator decodes
/// no deeper (see `controller::watched`): its own writes return the whole
/// object, managedFields included (they mirror the input, ~8 levels further
/// down), and serde_json stops at 128 levels.
pub const INPUT_MAX_DEPTH: usize = 100;

pub const INPUT_DEPTH_POLICY_NAME: &str = "flowexecutions.fnf-operator.dev-input-depth";

/// The admission rule that refuses a `spec.input` deeper than
/// [`INPUT_MAX_DEPTH`]: a ValidatingAdmissionPolicy and its binding.
///
/// It cannot live in the CRD: CEL rules there do not see the fields of an
/// `x-kubernetes-preserve-unknown-fields` object (the input), and a schema
/// would need both `items` and `additionalProperties` at every level, 2^100
/// nodes. The policy sees the object as plain JSON. CEL has no recursion, and
/// nesting 100 macros is past its parser's depth limit, so each variable holds
/// the objects and arrays one level further down than the previous one.
/// CREATE is checked, and an UPDATE only when it changes the input (which
/// `runPolicy: OnChange` allows): an object made before the policy must stay
/// updatable (finalizers) and deletable.
pub fn input_depth_policy() -> [Value; 2] {
    let mut variables = vec![json!({
        "name": "l1",
        "expression": "has(object.spec.input) ? [object.spec.input] : []",
    })];
    for level in 2..=INPUT_MAX_DEPTH + 1 {
        variables.push(json!({
            "name": format!("l{level}"),
            "expression": format!(
                "variables.l{}.map(v, type(v) == map ? v.map(k, v[k]) : v).flatten().filter(x, type(x) == map || type(x) == list)",
                level - 1
            ),
        }));
    }
    let policy = json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": INPUT_DEPTH_POLICY_NAME},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{
                "apiGroups": ["fnf-operator.dev"],
                "apiVersions": ["*"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["flowexecutions"],
            }]},
            "matchConditions": [{
                "name": "input-is-new",
                "expression": "request.operation == 'CREATE' || (has(object.spec.input) && (!has(oldObject.spec.input) || object.spec.input != oldObject.spec.input))",
            }],
            "variables": variables,
            "validations": [{
                "expression": format!("size(variables.l{}) == 0", INPUT_MAX_DEPTH + 1),
                "message": format!(
                    "spec.input is nested deeper than {INPUT_MAX_DEPTH} levels, the most fnf-operator reads: flatten it, or pass the deep part as a JSON string"
                ),
                "reason": "Invalid",
            }],
        },
    });
    let binding = json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": INPUT_DEPTH_POLICY_NAME},
        "spec": {
            "policyName": INPUT_DEPTH_POLICY_NAME,
            "validationActions": ["Deny"],
        },
    });
    [policy, binding]
}
