//! The default execution name: a deterministic map from a FlowExecution's
//! namespace and name to a valid fnf name, so that a re-created object adopts
//! its old execution instead of starting a second one, and two objects never
//! share one.
//!
//! Rule: `{namespace}_{name with every '.' replaced by '_'}` (the *plain*
//! form), prefixed with `_` when the namespace starts with a digit. Plain forms
//! are injective: namespaces never contain `_` or `.` (the first `_` after the
//! optional prefix ends the namespace) and names never contain `_` (every `_`
//! after it was a `.`).
//!
//! When the plain form is longer than 128 characters it is cut to 110 and
//! suffixed with `__` and 16 hex digits of SHA-256 over `namespace/name` (the
//! *hashed* form, always exactly 128 characters). No plain form contains `__`:
//! a Kubernetes name is a DNS subdomain, whose dots sit between letters or
//! digits, and a namespace ends with one; so a hashed name can never equal
//! another object's plain name. Two hashed names are equal only if their first
//! 110 characters and 64 bits of SHA-256 both are.
//!
//! **Run names** (`runPolicy: OnChange`): [`run_execution_name`] appends
//! `_R{identity}` (12 lowercase hex digits), then `_A{n}` for attempts n >= 2,
//! to the plain form; when that passes 128 characters, the plain form is cut
//! and hash-suffixed as above, only shorter, leaving room for the marker.
//! Injectivity: Kubernetes namespaces and names are lowercase and hex digits
//! are lowercase, so no default name (plain, hashed or legacy) has an
//! uppercase letter, and a run name's first one is its marker's `R`: a run
//! name never equals a default name. Within run names, everything before that
//! `R` (less its `_`) is the base, the 12 hex digits after it the identity,
//! and an `_A` with decimal digits (no leading zero, never 1) the attempt; so
//! (base, identity, attempt) reads back from the name, and the base is as
//! injective in (namespace, name) as the default name is, for a given cut.
//!
//! Names built before this rule (`_` instead of `__`, cut to 111) could collide
//! with a plain name; [`legacy_default_execution_name`] recognises them so an
//! object that recorded one keeps it and nothing starts twice.

use sha2::{Digest, Sha256};

pub const FNF_NAME_MAX_CHARS: usize = 128;
const HASH_SUFFIX_HEX_CHARS: usize = 16;
/// Separates the cut plain form from the hash: never found in a plain form.
const HASH_MARKER: &str = "__";

pub fn default_execution_name(namespace: &str, name: &str) -> String {
    let full = plain_form(namespace, name);
    if full.len() <= FNF_NAME_MAX_CHARS {
        return full;
    }
    let keep = FNF_NAME_MAX_CHARS - HASH_MARKER.len() - HASH_SUFFIX_HEX_CHARS;
    format!(
        "{}{HASH_MARKER}{}",
        &full[..keep],
        hash_suffix(namespace, name)
    )
}

/// Marks a run name's identity: its `R` is a run name's first uppercase letter.
const RUN_MARKER: &str = "_R";
/// Marks a run name's attempt (2 and up).
const ATTEMPT_MARKER: &str = "_A";

/// The execution name of attempt `attempt` (1 is the first; below 2 means the
/// first) of the run with
/// `identity` of FlowExecution `namespace/name`: deterministic, a valid fnf
/// name, and never any other object's (or run's, or attempt's) name.
pub fn run_execution_name(
    namespace: &str,
    name: &str,
    identity: &super::RunIdentity,
    attempt: i32,
) -> String {
    let mut suffix = format!("{RUN_MARKER}{identity}");
    if attempt >= 2 {
        suffix.push_str(&format!("{ATTEMPT_MARKER}{attempt}"));
    }
    let full = plain_form(namespace, name);
    let budget = FNF_NAME_MAX_CHARS.saturating_sub(suffix.len());
    if full.len() <= budget {
        return format!("{full}{suffix}");
    }
    let keep = budget.saturating_sub(HASH_MARKER.len() + HASH_SUFFIX_HEX_CHARS);
    format!(
        "{}{HASH_MARKER}{}{suffix}",
        full.get(..keep).unwrap_or_default(),
        hash_suffix(namespace, name)
    )
}

/// The default name as versions before the `__` marker built it. Equal to
/// [`default_execution_name`] for every name of at most 128 characters.
pub fn legacy_default_execution_name(namespace: &str, name: &str) -> String {
    let full = plain_form(namespace, name);
    if full.len() <= FNF_NAME_MAX_CHARS {
        return full;
    }
    let keep = FNF_NAME_MAX_CHARS - 1 - HASH_SUFFIX_HEX_CHARS;
    format!("{}_{}", &full[..keep], hash_suffix(namespace, name))
}

/// What every default name of `namespace` starts with: the namespace's own
/// share of an account's execution names.
pub fn namespace_prefix(namespace: &str) -> String {
    format!("{}{namespace}_", digit_prefix(namespace))
}

fn digit_prefix(namespace: &str) -> &'static str {
    if namespace.starts_with(|c: char| c.is_ascii_digit()) {
        "_"
    } else {
        ""
    }
}

fn plain_form(namespace: &str, name: &str) -> String {
    format!("{}{}", namespace_prefix(namespace), name.replace('.', "_"))
}

fn hash_suffix(namespace: &str, name: &str) -> String {
    let digest = hex::encode(Sha256::digest(format!("{namespace}/{name}").as_bytes()));
    digest[..HASH_SUFFIX_HEX_CHARS].to_string()
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
#[path = "execution_name_tests.rs"]
mod tests;
