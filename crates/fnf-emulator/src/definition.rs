//! Flow definitions (FDL, YAML) in both shapes the service documents — the old
//! `type: flow / steps:` and the new `Type: StateMachine / StartAt / States:` —
//! parsed into one model the interpreter runs. Pure: no I/O, no time.

use std::collections::HashSet;

use serde_json::Value;

use super::condition::Condition;

#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    #[error("the definition is not valid YAML: {0}")]
    Yaml(String),
    #[error(
        "the definition is neither `type: flow` with `steps` nor `Type: StateMachine` with `States`"
    )]
    UnknownShape,
    #[error("state {state}: {detail}")]
    State { state: String, detail: String },
}

impl DefinitionError {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Yaml(_) => "DefinitionNotYaml",
            Self::UnknownShape => "DefinitionUnknownShape",
            Self::State { .. } => "DefinitionInvalidState",
        }
    }
}

#[derive(Clone, Debug)]
pub struct FlowDefinition {
    pub main: Block,
    /// `TimeoutSeconds` at the top: the execution ends `TimedOut` past it.
    pub timeout_secs: Option<f64>,
}

/// States run from `start_at`, each naming its successor; `None` ends the block.
#[derive(Clone, Debug)]
pub struct Block {
    pub start_at: String,
    pub states: Vec<State>,
}

impl Block {
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.iter().find(|s| s.name == name)
    }
}

#[derive(Clone, Debug)]
pub struct State {
    pub name: String,
    pub kind: StateKind,
    pub next: Option<String>,
}

#[derive(Clone, Debug)]
pub enum StateKind {
    /// Output is `result` merged into an object input, or replacing any other input.
    Pass {
        result: Option<Value>,
    },
    Wait {
        wait: WaitFor,
    },
    Succeed,
    Fail {
        error: String,
        cause: String,
    },
    Choice {
        branches: Vec<ChoiceBranch>,
        default: Option<Target>,
    },
    Parallel {
        branches: Vec<Block>,
    },
}

#[derive(Clone, Debug)]
pub enum WaitFor {
    Seconds(f64),
    /// A path into the state's input holding the seconds.
    SecondsPath(String),
}

#[derive(Clone, Debug)]
pub struct ChoiceBranch {
    pub condition: Condition,
    pub target: Target,
}

/// New shape: jump to a state. Old shape: run nested steps, then carry on.
#[derive(Clone, Debug)]
pub enum Target {
    Goto(String),
    Steps(Block),
}

/// Case-insensitive field lookup, since the two shapes differ only in case.
fn field<'a>(map: &'a Value, name: &str) -> Option<&'a Value> {
    map.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn text(map: &Value, name: &str) -> Option<String> {
    match field(map, name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(map: &Value, name: &str) -> Option<f64> {
    match field(map, name)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn invalid(state: &str, detail: impl Into<String>) -> DefinitionError {
    DefinitionError::State {
        state: state.to_string(),
        detail: detail.into(),
    }
}

/// The most parser events aliases may replay in one definition. A flow has
/// no use for more, and serde-saphyr's default (a million) let a 300-byte
/// alias bomb cost seconds of CPU per CreateFlow (found by fuzzing).
const ALIAS_REPLAYED_EVENTS_MAX: usize = 10_000;

pub fn parse(definition: &str) -> Result<FlowDefinition, DefinitionError> {
    // Read into JSON values: a definition's keys are strings, and a Pass
    // state's Result is handed on as JSON anyway.
    let options = serde_saphyr::options! {
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: ALIAS_REPLAYED_EVENTS_MAX,
        },
    };
    let doc: Value = serde_saphyr::from_str_with_options(definition, options)
        .map_err(|e| DefinitionError::Yaml(e.to_string()))?;
    let timeout_secs = number(&doc, "TimeoutSeconds");
    let main = if let Some(states) = field(&doc, "States") {
        let start_at = text(&doc, "StartAt").ok_or_else(|| invalid("", "StartAt is missing"))?;
        new_block(start_at, states)?
    } else if let Some(steps) = field(&doc, "Steps") {
        old_block(steps)?
    } else {
        return Err(DefinitionError::UnknownShape);
    };
    Ok(FlowDefinition { main, timeout_secs })
}

fn check_block(block: &Block) -> Result<(), DefinitionError> {
    let mut names = HashSet::new();
    for state in &block.states {
        if !names.insert(state.name.as_str()) {
            return Err(invalid(&state.name, "the name is used twice"));
        }
    }
    if block.state(&block.start_at).is_none() {
        return Err(invalid(&block.start_at, "StartAt names no state"));
    }
    for state in &block.states {
        let mut targets: Vec<&str> = state.next.iter().map(String::as_str).collect();
        if let StateKind::Choice { branches, default } = &state.kind {
            for target in branches.iter().map(|b| &b.target).chain(default.iter()) {
                if let Target::Goto(name) = target {
                    targets.push(name);
                }
            }
        }
        if let Some(missing) = targets.iter().find(|t| block.state(t).is_none()) {
            return Err(invalid(&state.name, format!("no state is named {missing}")));
        }
    }
    Ok(())
}

fn new_block(start_at: String, states: &Value) -> Result<Block, DefinitionError> {
    let list = states
        .as_array()
        .ok_or_else(|| invalid("", "States must be a list"))?;
    let mut out = Vec::new();
    for raw in list {
        let name = text(raw, "Name").ok_or_else(|| invalid("", "a state has no Name"))?;
        let ends = matches!(field(raw, "End"), Some(Value::Bool(true)));
        let kind = state_kind(&name, raw, Shape::New)?;
        let terminal = matches!(
            kind,
            StateKind::Succeed | StateKind::Fail { .. } | StateKind::Choice { .. }
        );
        let next = if ends || terminal {
            None
        } else {
            Some(text(raw, "Next").ok_or_else(|| invalid(&name, "neither Next nor End: true"))?)
        };
        out.push(State { name, kind, next });
    }
    let block = Block {
        start_at,
        states: out,
    };
    check_block(&block)?;
    Ok(block)
}

fn old_block(steps: &Value) -> Result<Block, DefinitionError> {
    let list = steps
        .as_array()
        .ok_or_else(|| invalid("", "steps must be a list"))?;
    let mut names = Vec::new();
    for raw in list {
        names.push(text(raw, "name").ok_or_else(|| invalid("", "a step has no name"))?);
    }
    let mut out = Vec::new();
    for (i, raw) in list.iter().enumerate() {
        let kind = state_kind(&names[i], raw, Shape::Old)?;
        let next = text(raw, "goto").or_else(|| names.get(i + 1).cloned());
        let next = match kind {
            StateKind::Succeed | StateKind::Fail { .. } => None,
            _ => next,
        };
        out.push(State {
            name: names[i].clone(),
            kind,
            next,
        });
    }
    let start_at = names
        .first()
        .cloned()
        .ok_or_else(|| invalid("", "steps is empty"))?;
    let block = Block {
        start_at,
        states: out,
    };
    check_block(&block)?;
    Ok(block)
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Old,
    New,
}

fn state_kind(name: &str, raw: &Value, shape: Shape) -> Result<StateKind, DefinitionError> {
    let kind = text(raw, "Type").ok_or_else(|| invalid(name, "no Type"))?;
    Ok(match kind.to_ascii_lowercase().as_str() {
        "pass" => {
            let result = field(raw, "Result")
                .or_else(|| field(raw, "Outputs"))
                .cloned();
            StateKind::Pass { result }
        }
        "wait" => {
            let wait =
                if let Some(secs) = number(raw, "Seconds").or_else(|| number(raw, "Duration")) {
                    WaitFor::Seconds(secs)
                } else if let Some(path) = text(raw, "SecondsPath") {
                    WaitFor::SecondsPath(path)
                } else {
                    return Err(invalid(name, "Wait needs Seconds or SecondsPath"));
                };
            StateKind::Wait { wait }
        }
        "succeed" => StateKind::Succeed,
        "fail" => StateKind::Fail {
            error: text(raw, "Error").unwrap_or_default(),
            cause: text(raw, "Cause").unwrap_or_default(),
        },
        "choice" => choice(name, raw, shape)?,
        "parallel" => {
            let list = field(raw, "Branches")
                .and_then(Value::as_array)
                .ok_or_else(|| invalid(name, "Parallel needs Branches"))?;
            let mut branches = Vec::new();
            for b in list {
                branches.push(nested(name, b, shape)?);
            }
            StateKind::Parallel { branches }
        }
        other => return Err(invalid(name, format!("type {other} is not supported"))),
    })
}

fn nested(name: &str, raw: &Value, shape: Shape) -> Result<Block, DefinitionError> {
    match shape {
        Shape::Old => {
            old_block(field(raw, "steps").ok_or_else(|| invalid(name, "a branch has no steps"))?)
        }
        Shape::New => {
            let start =
                text(raw, "StartAt").ok_or_else(|| invalid(name, "a branch has no StartAt"))?;
            new_block(
                start,
                field(raw, "States").ok_or_else(|| invalid(name, "a branch has no States"))?,
            )
        }
    }
}

fn choice(name: &str, raw: &Value, shape: Shape) -> Result<StateKind, DefinitionError> {
    let list_name = if shape == Shape::Old {
        "choices"
    } else {
        "Branches"
    };
    let list = field(raw, list_name)
        .and_then(Value::as_array)
        .ok_or_else(|| invalid(name, format!("Choice needs {list_name}")))?;
    let target = |b: &Value| -> Result<Target, DefinitionError> {
        if let Some(next) = text(b, "Next").or_else(|| text(b, "goto")) {
            Ok(Target::Goto(next))
        } else if shape == Shape::Old && field(b, "steps").is_some() {
            Ok(Target::Steps(nested(name, b, shape)?))
        } else {
            Err(invalid(name, "a choice has neither Next/goto nor steps"))
        }
    };
    let mut branches = Vec::new();
    for b in list {
        let text_condition =
            text(b, "Condition").ok_or_else(|| invalid(name, "a choice has no Condition"))?;
        let condition = Condition::parse(&text_condition).map_err(|e| invalid(name, e))?;
        branches.push(ChoiceBranch {
            condition,
            target: target(b)?,
        });
    }
    let default = match field(raw, "Default") {
        None => None,
        Some(Value::String(s)) => Some(Target::Goto(s.clone())),
        Some(other) => Some(target(other)?),
    };
    Ok(StateKind::Choice { branches, default })
}

#[cfg(test)]
#[path = "definition_fuzz_tests.rs"]
mod fuzz_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_shapes_parse_into_the_same_model() {
        let new = parse(
            "Type: StateMachine\nName: f\nStartAt: Make\nTimeoutSeconds: 30\nStates:\n  - Type: Pass\n    Name: Make\n    Result: {n: 1, tags: [a, b], 7: seven}\n    Next: Done\n  - Type: Succeed\n    Name: Done\n",
        )
        .unwrap();
        assert_eq!(new.timeout_secs, Some(30.0));
        assert_eq!(new.main.start_at, "Make");
        let Some(StateKind::Pass { result }) = new.main.state("Make").map(|s| &s.kind) else {
            panic!("Make is a Pass state");
        };
        assert_eq!(
            result.clone(),
            Some(serde_json::json!({"n": 1, "tags": ["a", "b"], "7": "seven"}))
        );
        let old = parse(
            "version: v1\ntype: flow\nsteps:\n  - type: wait\n    name: w\n    duration: 2\n  - type: succeed\n    name: s\n",
        )
        .unwrap();
        assert_eq!(old.main.start_at, "w");
        assert!(matches!(
            old.main.state("w").map(|s| &s.kind),
            Some(StateKind::Wait {
                wait: WaitFor::Seconds(2.0)
            })
        ));
        assert_eq!(
            old.main.state("w").and_then(|s| s.next.as_deref()),
            Some("s")
        );
    }

    #[test]
    fn text_that_is_not_yaml_or_not_a_flow_is_refused_with_its_reason() {
        let reason = |text: &str| parse(text).err().map(|e| e.reason());
        assert_eq!(reason("States: [unclosed"), Some("DefinitionNotYaml"));
        assert_eq!(reason("just text"), Some("DefinitionUnknownShape"));
        assert_eq!(reason("a: 1"), Some("DefinitionUnknownShape"));
        assert_eq!(reason(""), Some("DefinitionUnknownShape"));
        assert_eq!(
            reason("StartAt: X\nStates:\n  - Type: Succeed\n    Name: Y\n"),
            Some("DefinitionInvalidState")
        );
    }
}
