//! Property tests of the flow-definition parser and the Choice condition
//! language: no text panics them (nor overflows the stack), and a generated
//! valid definition parses into the model it describes.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::condition::{Condition, lookup};

/// The words the parser looks for, so generated documents reach its branches.
const KEYS: &[&str] = &[
    "Type",
    "type",
    "Name",
    "name",
    "States",
    "StartAt",
    "Steps",
    "steps",
    "Next",
    "End",
    "goto",
    "Branches",
    "choices",
    "Condition",
    "Default",
    "Seconds",
    "SecondsPath",
    "Duration",
    "Result",
    "Outputs",
    "Error",
    "Cause",
    "TimeoutSeconds",
];
const WORDS: &[&str] = &[
    "StateMachine",
    "flow",
    "Pass",
    "Wait",
    "Succeed",
    "Fail",
    "Choice",
    "Parallel",
    "a",
    "b",
    "$.x > 1",
    "true",
    "$.a == \"b\" && $.c < 2 || $.d != 3",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        prop::sample::select(WORDS).prop_map(|w| json!(w)),
        "\\PC{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|fields| {
                Value::Object(
                    fields
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                )
            }),
        ]
    })
}

/// A valid new-shape definition: a chain of states ending in Succeed, with
/// Choice states jumping forward.
fn valid_definition() -> impl Strategy<Value = (String, Vec<String>)> {
    prop::collection::vec(0u8..4, 1..8).prop_map(|kinds| {
        let names: Vec<String> = (0..=kinds.len()).map(|i| format!("s{i}")).collect();
        let mut states: Vec<Value> = kinds
            .iter()
            .enumerate()
            .map(|(i, kind)| {
                let next = &names[i + 1];
                match kind {
                    0 => {
                        json!({"Type": "Pass", "Name": names[i], "Result": {"i": i}, "Next": next})
                    }
                    1 => json!({"Type": "Wait", "Name": names[i], "Seconds": i, "Next": next}),
                    2 => json!({"Type": "Choice", "Name": names[i], "Branches": [
                        {"Condition": format!("$.i >= {i}"), "Next": next}
                    ], "Default": next}),
                    _ => json!({"Type": "Parallel", "Name": names[i], "Next": next, "Branches": [
                        {"StartAt": "inner", "States": [{"Type": "Succeed", "Name": "inner"}]}
                    ]}),
                }
            })
            .collect();
        states.push(json!({"Type": "Succeed", "Name": names[kinds.len()]}));
        let doc = json!({"Type": "StateMachine", "Name": "f", "StartAt": "s0", "States": states});
        // JSON is YAML: the parser reads it as such.
        (doc.to_string(), names)
    })
}

proptest! {
    #[test]
    fn no_text_panics_the_parser(text in "\\PC{0,200}") {
        let _ = parse(&text);
    }

    #[test]
    fn no_yaml_like_text_panics_the_parser(
        lines in prop::collection::vec(
            (0usize..4, prop::sample::select(KEYS), prop::sample::select(WORDS), any::<bool>()),
            0..20,
        )
    ) {
        let text: String = lines
            .iter()
            .map(|(indent, key, word, item)| {
                format!("{}{}{key}: {word}\n", "  ".repeat(*indent), if *item { "- " } else { "" })
            })
            .collect();
        let _ = parse(&text);
    }

    #[test]
    fn no_document_of_the_parser_s_words_panics_it(doc in json_value()) {
        let _ = parse(&doc.to_string());
    }

    #[test]
    fn a_valid_definition_parses_into_its_chain((text, names) in valid_definition()) {
        let parsed = parse(&text);
        prop_assert!(parsed.is_ok(), "{text}: {:?}", parsed.err());
        let Ok(flow) = parsed else { return Ok(()) };
        prop_assert_eq!(&flow.main.start_at, &names[0]);
        prop_assert_eq!(flow.main.states.len(), names.len());
        for state in &flow.main.states {
            prop_assert!(names.contains(&state.name));
        }
    }

    #[test]
    fn no_condition_text_panics_the_condition_parser(text in "\\PC{0,80}", input in json_value()) {
        if let Ok(condition) = Condition::parse(&text) {
            let _ = condition.holds(&input);
        }
    }

    #[test]
    fn no_path_panics_the_lookup(path in "\\$(Input)?[\\PC\\[\\]0-9.]{0,40}", input in json_value()) {
        let _ = lookup(&input, &path);
    }
}

#[test]
fn deeply_nested_documents_are_refused_without_overflowing_the_stack() {
    for depth in [64, 1_000, 100_000] {
        let flow_seq = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let _ = parse(&flow_seq);
        let block_seq = format!("States:\n{}", "- ".repeat(depth));
        let _ = parse(&block_seq);
    }
}

#[test]
fn deeply_nested_parallel_states_do_not_overflow_the_stack() {
    let mut branch = json!({"StartAt": "x", "States": [{"Type": "Succeed", "Name": "x"}]});
    for _ in 0..200 {
        branch = json!({"StartAt": "p", "States": [{"Type": "Parallel", "Name": "p", "End": true, "Branches": [branch]}]});
    }
    let mut doc = branch;
    doc["Type"] = json!("StateMachine");
    let _ = parse(&doc.to_string());
}

#[test]
fn an_alias_bomb_is_refused_as_not_yaml() {
    // Found by fuzzing: 311 bytes that expand to millions of nodes.
    let bomb = include_str!("../../../fuzz/corpus/emulator_definition/alias-bomb.yaml");
    assert_eq!(
        parse(bomb).err().map(|e| e.reason()),
        Some("DefinitionNotYaml")
    );
    // Anchors and aliases within the budget still work.
    let shared = "ok: &ok {Type: Succeed, Name: S}\nStartAt: S\nStates: [*ok]\n";
    assert!(parse(shared).is_ok());
}
