//! One fuzz input for the canonical JSON of a run's identity: any JSON
//! document's canonical form is JSON, does not depend on the document's
//! whitespace, and (for documents without floats, which serde_json's default
//! reader may read 1 ULP off) reads back as the same value and is its own
//! canonical form. Used by the `canonical_json` fuzz target and the
//! operator's corpus replay. `write_canonical` comes from the includer.

use serde_json::Value;

use super::write_canonical;

pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let canonical = canonical_of(&value);
    let back: Value = match serde_json::from_str(&canonical) {
        Ok(back) => back,
        Err(err) => panic!("canonical form {canonical:?} is not JSON: {err}"),
    };
    if !has_float(&value) {
        assert_eq!(back, value, "the canonical form reads back as the value");
        assert_eq!(
            canonical_of(&back),
            canonical,
            "the canonical form is a fixed point"
        );
    }
    let spaced = spaced_out(text);
    if let Ok(reformatted) = serde_json::from_str::<Value>(&spaced) {
        assert_eq!(
            canonical_of(&reformatted),
            canonical,
            "whitespace changes nothing"
        );
    }
}

fn canonical_of(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn has_float(value: &Value) -> bool {
    match value {
        Value::Number(n) => n.is_f64(),
        Value::Array(items) => items.iter().any(has_float),
        Value::Object(map) => map.values().any(has_float),
        _ => false,
    }
}

/// The same text with whitespace after every `,`, `:`, `[` and `{` outside
/// strings: the numbers keep their spelling.
fn spaced_out(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        out.push(c);
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
        } else if matches!(c, ',' | ':' | '[' | '{') {
            out.push_str(" \n\t");
        }
    }
    out
}
