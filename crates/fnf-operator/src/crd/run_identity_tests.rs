//! The identity's promises: the same declaration, however written, is the
//! same identity; any change of what runs is another; a Secret's value never
//! reaches the hash.

use super::*;
use proptest::prelude::*;

fn input(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn sources(value: Value) -> Vec<InputFieldSource> {
    serde_json::from_value(value).unwrap()
}

fn of(input_value: Value) -> RunIdentity {
    RunIdentity::of("etl", None, &input(input_value), None, &[])
}

#[test]
fn key_order_and_formatting_never_change_the_identity() {
    let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": "s"}}"#).unwrap();
    let b: Value = serde_json::from_str("{\"a\":{\"x\":\"s\",\n  \"y\":[1,2]},\"b\":1}").unwrap();
    assert_eq!(of(a), of(b));
}

#[test]
fn the_identity_is_twelve_lowercase_hex_digits_and_stable_across_versions() {
    let identity = of(serde_json::json!({"greeting": "v1"}));
    assert_eq!(identity.as_str().len(), RUN_IDENTITY_HEX_CHARS);
    assert_eq!(
        RunIdentity::parse(identity.as_str()),
        Some(identity.clone())
    );
    // Pinned: a change here re-names every OnChange run (each would start
    // again), so it must be a deliberate new SCHEME, never an accident.
    assert_eq!(identity.as_str(), PINNED_GREETING_V1);
    assert_eq!(RunIdentity::parse("ABCDEF012345"), None);
    assert_eq!(RunIdentity::parse("abc"), None);
}

/// Also what Python computes: `sha256(json.dumps(declaration, sort_keys=True,
/// separators=(",", ":")))[:12]`, an independent canonical JSON.
const PINNED_GREETING_V1: &str = "f92578342e99";

#[test]
fn each_part_of_the_declaration_changes_the_identity() {
    let base = serde_json::json!({"greeting": "v1"});
    let plain = RunIdentity::of("etl", None, &input(base.clone()), None, &[]);
    let others = [
        RunIdentity::of("other", None, &input(base.clone()), None, &[]),
        RunIdentity::of("etl", Some("prod"), &input(base.clone()), None, &[]),
        RunIdentity::of(
            "etl",
            None,
            &input(serde_json::json!({"greeting": "v2"})),
            None,
            &[],
        ),
        RunIdentity::of("etl", None, &input(base.clone()), Some("1"), &[]),
        RunIdentity::of(
            "etl",
            None,
            &input(serde_json::json!({"greeting": 1})),
            None,
            &[],
        ),
        RunIdentity::of(
            "etl",
            None,
            &input(serde_json::json!({"greeting": "1"})),
            None,
            &[],
        ),
    ];
    for other in &others {
        assert_ne!(&plain, other);
    }
    // An empty runKey is a runKey, unlike none at all.
    assert_ne!(
        RunIdentity::of("etl", None, &input(base.clone()), Some(""), &[]),
        plain
    );
}

#[test]
fn a_secret_value_never_reaches_the_hash_only_its_reference_does() {
    let from_secret = sources(serde_json::json!([
        {"field": "token", "secretKeyRef": {"name": "api", "key": "token"}}
    ]));
    let with = |token: &str| {
        RunIdentity::of(
            "etl",
            None,
            &input(serde_json::json!({"greeting": "v1", "token": token})),
            None,
            &from_secret,
        )
    };
    assert_eq!(with("1234"), with("9999"), "the value is not hashed");
    // ...so the identity equals the one computed without the value at all.
    assert_eq!(
        with("1234"),
        RunIdentity::of(
            "etl",
            None,
            &input(serde_json::json!({"greeting": "v1"})),
            None,
            &from_secret
        )
    );
    let other_key = sources(serde_json::json!([
        {"field": "token", "secretKeyRef": {"name": "api", "key": "token2"}}
    ]));
    assert_ne!(
        with("1234"),
        RunIdentity::of(
            "etl",
            None,
            &input(serde_json::json!({"greeting": "v1", "token": "1234"})),
            None,
            &other_key
        ),
        "another Secret key is another declaration"
    );
}

#[test]
fn config_map_values_are_hashed_by_value() {
    let from_config_map = sources(serde_json::json!([
        {"field": "region", "configMapKeyRef": {"name": "settings", "key": "region"}}
    ]));
    let with = |region: &str| {
        RunIdentity::of(
            "etl",
            None,
            &input(serde_json::json!({"region": region})),
            None,
            &from_config_map,
        )
    };
    assert_ne!(with("eu"), with("us"));
}

#[test]
fn canonical_json_sorts_keys_at_every_depth_and_escapes_strings() {
    let value = serde_json::json!({"b": [{"d": 1, "c": null}], "a": "q\"\n"});
    let mut out = String::new();
    write_canonical(&value, &mut out);
    assert_eq!(out, r#"{"a":"q\"\n","b":[{"c":null,"d":1}]}"#);
}

proptest! {
    /// Any two inputs that differ as JSON values have different canonical
    /// forms, and re-parsing the canonical form gives the value back.
    #[test]
    fn the_canonical_form_is_the_value(pairs in proptest::collection::btree_map("[a-zA-Z0-9_]{0,6}", any::<i64>(), 0..6)) {
        let value: Value = serde_json::to_value(&pairs).unwrap();
        let mut out = String::new();
        write_canonical(&value, &mut out);
        let back: Value = serde_json::from_str(&out).unwrap();
        prop_assert_eq!(back, value);
    }
}
