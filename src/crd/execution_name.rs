//! The default execution name: a deterministic, injective map from a
//! FlowExecution's namespace and name to a valid fnf name, so that a re-created
//! object adopts its old execution instead of starting a second one.
//!
//! Rule: `{namespace}_{name with every '.' replaced by '_'}`, prefixed with `_`
//! when the namespace starts with a digit. Injective because namespaces never
//! contain `_` or `.` (the first `_` after the optional prefix ends the
//! namespace) and names never contain `_` (every `_` after it was a `.`). When
//! the result is longer than 128 characters it is cut to 111 and suffixed with
//! `_` and 16 hex digits of SHA-256 over `namespace/name`.

use sha2::{Digest, Sha256};

pub const FNF_NAME_MAX_CHARS: usize = 128;
const HASH_SUFFIX_HEX_CHARS: usize = 16;

pub fn default_execution_name(namespace: &str, name: &str) -> String {
    let prefix = if namespace.starts_with(|c: char| c.is_ascii_digit()) {
        "_"
    } else {
        ""
    };
    let full = format!("{prefix}{namespace}_{}", name.replace('.', "_"));
    if full.len() <= FNF_NAME_MAX_CHARS {
        return full;
    }
    let digest = hex::encode(Sha256::digest(format!("{namespace}/{name}").as_bytes()));
    let keep = FNF_NAME_MAX_CHARS - 1 - HASH_SUFFIX_HEX_CHARS;
    format!("{}_{}", &full[..keep], &digest[..HASH_SUFFIX_HEX_CHARS])
}

/// fnf's naming rule for flows and executions.
pub fn is_valid_fnf_name(name: &str) -> bool {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    name.len() <= FNF_NAME_MAX_CHARS
        && (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
    }

    #[test]
    fn long_names_are_cut_and_hash_suffixed() {
        let long = "a".repeat(253);
        let name = default_execution_name("ns", &long);
        assert_eq!(name.len(), FNF_NAME_MAX_CHARS);
        assert!(is_valid_fnf_name(&name));
        assert_ne!(
            name,
            default_execution_name("ns", &format!("{}b", "a".repeat(252)))
        );
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
    fn dns_subdomain() -> impl Strategy<Value = String> {
        prop_oneof!["[a-z0-9]([a-z0-9.-]{0,30}[a-z0-9])?", "[a-z0-9]{200,253}"]
    }

    proptest! {
        #[test]
        fn default_names_are_always_valid(ns in dns_label(), name in dns_subdomain()) {
            prop_assert!(is_valid_fnf_name(&default_execution_name(&ns, &name)));
        }

        #[test]
        fn default_names_are_injective(
            a in (dns_label(), dns_subdomain()),
            b in (dns_label(), dns_subdomain()),
        ) {
            prop_assume!(a != b);
            prop_assert_ne!(default_execution_name(&a.0, &a.1), default_execution_name(&b.0, &b.1));
        }
    }
}
