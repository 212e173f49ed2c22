//! The small expression language of Choice conditions (`$.size > 3 && $Input.kind
//! == "a"`) and JSON paths into a state's input (`$.a.b[0]`). Pure.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    Always,
    Compare {
        path: String,
        op: Op,
        literal: Value,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl Condition {
    /// `||` of `&&` of comparisons `PATH OP LITERAL`; `true` always holds.
    pub fn parse(text: &str) -> Result<Self, String> {
        let any: Vec<Condition> = text
            .split("||")
            .map(|part| {
                let all = part
                    .split("&&")
                    .map(parse_comparison)
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if all.len() == 1 {
                    all.into_iter().next().unwrap_or(Condition::Always)
                } else {
                    Condition::All(all)
                })
            })
            .collect::<Result<_, String>>()?;
        Ok(if any.len() == 1 {
            any.into_iter().next().unwrap_or(Condition::Always)
        } else {
            Condition::Any(any)
        })
    }

    pub fn holds(&self, input: &Value) -> bool {
        match self {
            Self::Always => true,
            Self::All(all) => all.iter().all(|c| c.holds(input)),
            Self::Any(any) => any.iter().any(|c| c.holds(input)),
            Self::Compare { path, op, literal } => {
                let Some(value) = lookup(input, path) else {
                    return false;
                };
                compare(value, *op, literal)
            }
        }
    }
}

fn parse_comparison(text: &str) -> Result<Condition, String> {
    let text = text.trim();
    if text == "true" {
        return Ok(Condition::Always);
    }
    // Two-character operators first, so `>=` is not read as `>`.
    const OPS: [(&str, Op); 6] = [
        ("==", Op::Eq),
        ("!=", Op::Ne),
        (">=", Op::Ge),
        ("<=", Op::Le),
        (">", Op::Gt),
        ("<", Op::Lt),
    ];
    for (symbol, op) in OPS {
        if let Some((left, right)) = text.split_once(symbol) {
            let path = left.trim();
            if !path.starts_with('$') {
                return Err(format!("condition {text:?} must start with a $ path"));
            }
            let right = right.trim();
            let literal = serde_json::from_str(right).unwrap_or_else(|_| {
                Value::String(right.trim_matches(|c| c == '\'' || c == '"').to_string())
            });
            return Ok(Condition::Compare {
                path: path.to_string(),
                op,
                literal,
            });
        }
    }
    Err(format!("condition {text:?} has no comparison operator"))
}

fn compare(value: &Value, op: Op, literal: &Value) -> bool {
    let ordering = match (value, literal) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    };
    match op {
        Op::Eq => ordering.map_or(value == literal, |o| o.is_eq()),
        Op::Ne => ordering.map_or(value != literal, |o| o.is_ne()),
        Op::Gt => ordering.is_some_and(|o| o.is_gt()),
        Op::Ge => ordering.is_some_and(|o| o.is_ge()),
        Op::Lt => ordering.is_some_and(|o| o.is_lt()),
        Op::Le => ordering.is_some_and(|o| o.is_le()),
    }
}

/// Resolves `$.a.b[0]` (or `$Input.a...`) in `input`.
pub fn lookup<'v>(input: &'v Value, path: &str) -> Option<&'v Value> {
    let rest = path
        .strip_prefix("$Input")
        .or_else(|| path.strip_prefix('$'))?;
    let mut current = input;
    for segment in rest.split('.').filter(|s| !s.is_empty()) {
        let (key, indexes) = match segment.find('[') {
            Some(i) => (&segment[..i], &segment[i..]),
            None => (segment, ""),
        };
        if !key.is_empty() {
            current = current.get(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let i: usize = index.trim_end_matches(']').trim().parse().ok()?;
            current = current.get(i)?;
        }
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn comparisons_and_connectives_evaluate_against_the_input() {
        let input = json!({"size": 5, "kind": "a", "list": [{"x": 1}]});
        let holds = |text: &str| Condition::parse(text).map(|c| c.holds(&input));
        assert_eq!(holds("$.size > 3"), Ok(true));
        assert_eq!(holds("$.size >= 6"), Ok(false));
        assert_eq!(holds("$Input.kind == \"a\" && $.size < 10"), Ok(true));
        assert_eq!(holds("$.kind == \"b\" || $.list[0].x == 1"), Ok(true));
        assert_eq!(holds("$.missing == 1"), Ok(false));
        assert!(Condition::parse("size > 3").is_err());
    }
}
