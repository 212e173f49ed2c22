//! The default name's promises, proved at the 128-character boundary where the
//! plain form gives way to the hashed one.

use std::collections::HashMap;

use super::*;
use proptest::prelude::*;

/// Kubernetes' rule for object names (RFC 1123 subdomain).
fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

#[test]
fn plain_names_read_naturally() {
    assert_eq!(
        default_execution_name("team-a", "nightly.run"),
        "team-a_nightly_run"
    );
}

#[test]
fn a_namespace_starting_with_a_digit_gets_a_prefix() {
    let name = default_execution_name("1team", "x");
    assert_eq!(name, "_1team_x");
    assert!(is_valid_fnf_name(&name));
    assert!(name.starts_with(&namespace_prefix("1team")));
}

#[test]
fn long_names_are_cut_and_hash_suffixed() {
    let long = "a".repeat(253);
    let name = default_execution_name("ns", &long);
    assert_eq!(name.len(), FNF_NAME_MAX_CHARS);
    assert!(is_valid_fnf_name(&name));
    assert!(name.starts_with("ns_aaa"));
    assert_eq!(&name[110..112], "__");
    assert_ne!(
        name,
        default_execution_name("ns", &format!("{}b", "a".repeat(252)))
    );
}

/// The defect seen live: a long name's legacy hashed form equals the plain
/// form of another object whose name ends in `.` and the same 16 hex digits.
#[test]
fn a_hashed_name_never_equals_the_plain_name_it_used_to_collide_with() {
    let long = "a".repeat(200);
    let legacy = legacy_default_execution_name("team-a", &long);
    let twin = legacy["team-a_".len()..].replace('_', ".");
    assert!(is_dns_subdomain(&twin), "{twin}");
    assert_eq!(
        legacy_default_execution_name("team-a", &twin),
        legacy,
        "the old rule collided"
    );
    assert_ne!(
        default_execution_name("team-a", &long),
        default_execution_name("team-a", &twin)
    );
}

#[test]
fn legacy_and_current_names_agree_up_to_128_characters() {
    for len in 1..=(FNF_NAME_MAX_CHARS - "ns_".len()) {
        let name = "b".repeat(len);
        assert_eq!(
            default_execution_name("ns", &name),
            legacy_default_execution_name("ns", &name)
        );
    }
    let long = "b".repeat(FNF_NAME_MAX_CHARS);
    assert_ne!(
        default_execution_name("ns", &long),
        legacy_default_execution_name("ns", &long)
    );
}

/// Names whose plain form is 100 to 160 characters long, in shapes that reach
/// the boundary from every side: one long label, dotted labels, a name ending
/// in `.` and 16 hex digits (the shape that collided), and for every hashed
/// result the name whose plain form would spell it out.
fn boundary_names(namespace: &str) -> Vec<String> {
    let prefix = namespace_prefix(namespace).len();
    let mut names = Vec::new();
    for plain_len in 100..=160usize {
        let Some(len) = plain_len
            .checked_sub(prefix)
            .filter(|l| (1..=253).contains(l))
        else {
            continue;
        };
        names.push("a".repeat(len));
        names.push(
            (0..len)
                .map(|i| if i % 4 == 3 && i + 1 < len { '.' } else { 'x' })
                .collect(),
        );
        if len > 18 {
            names.push(format!("{}.0123456789abcdef", "c".repeat(len - 17)));
        }
    }
    let twins: Vec<String> = names
        .iter()
        .flat_map(|n| {
            [
                default_execution_name(namespace, n),
                legacy_default_execution_name(namespace, n),
            ]
        })
        .filter(|out| out.len() == FNF_NAME_MAX_CHARS)
        .map(|out| out[prefix..].replace('_', "."))
        .collect();
    names.extend(twins);
    names
}

#[test]
fn every_name_at_the_boundary_maps_to_its_own_execution_name() {
    let namespaces: Vec<String> = (1..=63)
        .flat_map(|len| {
            [
                "n".repeat(len),
                format!("9{}", "m".repeat(len - 1)),
                format!("{}a", "a-".repeat((len - 1) / 2)),
            ]
        })
        .collect();
    let mut seen: HashMap<String, (String, String)> = HashMap::new();
    let mut checked = 0;
    for namespace in &namespaces {
        for name in boundary_names(namespace) {
            let out = default_execution_name(namespace, &name);
            assert!(is_valid_fnf_name(&out), "{out}");
            assert!(out.starts_with(&namespace_prefix(namespace)));
            if !is_dns_subdomain(&name) {
                // A twin that is no Kubernetes name cannot exist: no object has it.
                continue;
            }
            // Plain forms never hold the marker; hashed forms always do, so
            // the name that would spell a hashed form out is no Kubernetes name.
            let hashed = plain_form(namespace, &name).len() > FNF_NAME_MAX_CHARS;
            assert_eq!(out.contains("__"), hashed, "{namespace}/{name} -> {out}");
            if hashed {
                let twin = out[namespace_prefix(namespace).len()..].replace('_', ".");
                assert!(!is_dns_subdomain(&twin), "{twin}");
            }
            let input = (namespace.clone(), name.clone());
            if let Some(other) = seen.insert(out.clone(), input.clone()) {
                assert_eq!(other, input, "two objects share {out}");
            }
            checked += 1;
        }
    }
    assert!(checked > 10_000, "checked {checked}");
}

#[test]
fn fnf_naming_rule() {
    assert!(is_valid_fnf_name("_a-b_9"));
    assert!(!is_valid_fnf_name("9a"));
    assert!(!is_valid_fnf_name("a.b"));
    assert!(!is_valid_fnf_name("a b"));
    assert!(!is_valid_fnf_name(""));
    assert!(!is_valid_fnf_name(&"a".repeat(129)));
}

fn dns_label() -> impl Strategy<Value = String> {
    "[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?"
}

/// Valid object names, many of them near the boundary.
fn dns_subdomain() -> impl Strategy<Value = String> {
    let label = "[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?";
    prop_oneof![
        proptest::collection::vec(label, 1..4).prop_map(|l| l.join(".")),
        proptest::collection::vec(label, 6..14).prop_map(|l| l.join(".")),
        "[a-z0-9]{95,130}",
        "[a-z0-9]{200,253}",
    ]
    .prop_filter("a DNS subdomain", |n| is_dns_subdomain(n))
}

proptest! {
    #[test]
    fn default_names_are_always_valid(ns in dns_label(), name in dns_subdomain()) {
        let out = default_execution_name(&ns, &name);
        prop_assert!(is_valid_fnf_name(&out));
        prop_assert!(out.starts_with(&namespace_prefix(&ns)));
    }

    #[test]
    fn default_names_are_injective(
        a in (dns_label(), dns_subdomain()),
        b in (dns_label(), dns_subdomain()),
    ) {
        prop_assume!(a != b);
        prop_assert_ne!(default_execution_name(&a.0, &a.1), default_execution_name(&b.0, &b.1));
    }

    #[test]
    fn no_plain_name_spells_out_a_hashed_one(ns in dns_label(), name in dns_subdomain()) {
        let out = default_execution_name(&ns, &name);
        if out.contains("__") {
            let twin = out[namespace_prefix(&ns).len()..].replace('_', ".");
            prop_assert!(!is_dns_subdomain(&twin), "{twin}");
        }
    }
}

mod run_names {
    use super::*;
    use crate::crd::RunIdentity;
    use std::collections::HashSet;

    fn identity(seed: &str) -> RunIdentity {
        RunIdentity::of(seed, None, &serde_json::Map::new(), None, &[])
    }

    #[test]
    fn a_run_name_is_the_default_name_plus_the_identity_and_the_attempt() {
        let id = identity("etl");
        assert_eq!(
            run_execution_name("team-a", "nightly.run", &id, 1),
            format!("team-a_nightly_run_R{id}")
        );
        assert_eq!(
            run_execution_name("team-a", "nightly.run", &id, 3),
            format!("team-a_nightly_run_R{id}_A3")
        );
    }

    #[test]
    fn long_run_names_are_cut_to_128_valid_characters_and_stay_distinct() {
        let id = identity("etl");
        let long = "a".repeat(253);
        let mut seen = HashSet::new();
        for attempt in 1..=101 {
            let name = run_execution_name("ns", &long, &id, attempt);
            assert!(name.len() <= FNF_NAME_MAX_CHARS, "{name}");
            assert!(is_valid_fnf_name(&name), "{name}");
            assert!(seen.insert(name));
        }
        let other = run_execution_name("ns", &format!("{}b", "a".repeat(252)), &id, 1);
        assert!(!seen.contains(&other));
    }

    /// Decodes a run name back into (base, identity, attempt): the proof that
    /// the encoding is injective, executed.
    fn decode(run_name: &str) -> (String, String, i32) {
        let (base, rest) = run_name.split_once('R').unwrap();
        let base = base.strip_suffix('_').unwrap().to_string();
        let (identity, attempt) = match rest.split_once("_A") {
            Some((identity, attempt)) => (identity.to_string(), attempt.parse().unwrap()),
            None => (rest.to_string(), 1),
        };
        (base, identity, attempt)
    }

    fn k8s_name() -> impl Strategy<Value = String> {
        "[a-z0-9]([a-z0-9.-]{0,40}[a-z0-9])?"
            .prop_filter("a DNS subdomain", |n| is_dns_subdomain(n))
    }

    proptest! {
        #[test]
        fn run_names_decode_to_their_parts_and_never_equal_a_default_name(
            namespace in "[a-z]([a-z0-9-]{0,20}[a-z0-9])?",
            name in k8s_name(),
            seed in "[a-z]{1,8}",
            attempt in 1..=101i32,
        ) {
            let id = identity(&seed);
            let run_name = run_execution_name(&namespace, &name, &id, attempt);
            prop_assert!(is_valid_fnf_name(&run_name));
            // The first uppercase letter is the marker's R.
            let first_upper = run_name.find(|c: char| c.is_ascii_uppercase()).unwrap();
            prop_assert_eq!(&run_name[first_upper - 1..=first_upper], "_R");
            let (base, decoded_id, decoded_attempt) = decode(&run_name);
            prop_assert_eq!(base, default_execution_name(&namespace, &name));
            prop_assert_eq!(decoded_id, id.to_string());
            prop_assert_eq!(decoded_attempt, attempt);
            // No default name has an uppercase letter.
            for default in [
                default_execution_name(&namespace, &name),
                legacy_default_execution_name(&namespace, &name),
            ] {
                prop_assert!(!default.chars().any(|c| c.is_ascii_uppercase()));
            }
        }
    }
}
