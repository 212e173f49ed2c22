//! Event limits (note size, names) and the list of every reason.

use super::decision::TRANSITION_REASONS;
use super::*;

#[test]
fn a_long_note_is_shortened_on_a_character_boundary_with_a_marker() {
    let note = format!("flow ended Failed: {}", "é€😀x".repeat(1500));
    let fitted = fit_note(&note);
    assert!(fitted.len() <= NOTE_MAX_BYTES, "{}", fitted.len());
    assert!(fitted.ends_with(SHORTENED_MARKER));
    assert!(fitted.starts_with("flow ended Failed: é€😀x"));
    assert_eq!(fit_note("short"), "short");
    let exact = "a".repeat(NOTE_MAX_BYTES);
    assert_eq!(fit_note(&exact), exact);
}

#[test]
fn notes_are_cleaned_of_terminal_escapes() {
    assert_eq!(fit_note("boom \u{1b}[2J"), "boom [2J");
}

#[test]
fn event_names_are_valid_for_any_object_name() {
    let nanos = u128::from(u64::MAX) * 1000;
    assert_eq!(event_name("run", 255), "run.ff");
    for name in [
        "a".repeat(253),
        format!("{}.b", "a".repeat(230)),
        format!("{}-{}", "a".repeat(235), "b".repeat(17)),
        format!("{}.{}", "a".repeat(236), "b".repeat(16)),
    ] {
        let event = event_name(&name, nanos);
        assert!(event.len() <= EVENT_NAME_MAX_CHARS, "{event}");
        for label in event.split('.') {
            assert!(!label.is_empty(), "{event}");
            assert!(!label.starts_with('-') && !label.ends_with('-'), "{event}");
        }
    }
    assert_ne!(
        event_name(&format!("{}x", "a".repeat(252)), 1),
        event_name(&format!("{}y", "a".repeat(252)), 1)
    );
}

/// Every reason the operator's code gives an Event or a condition (a
/// `reason::` constant, or a `reason: "..."` literal anywhere in the crate)
/// is in `REASONS`, and `REASONS` names nothing else.
#[test]
fn every_reason_used_is_in_the_list() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut used = std::collections::BTreeSet::new();
    let mut elsewhere = String::new();
    let mut files = vec![src];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        // The events module is a directory: every file in it builds Events.
        let in_events = path
            .parent()
            .is_some_and(|dir| dir.ends_with("decide/events"));
        if !name.ends_with(".rs") || name.ends_with("tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for literal in text.split("reason: \"").skip(1) {
            used.insert(literal.split('"').next().unwrap().to_string());
        }
        if in_events && text.contains("pub mod reason {") {
            let consts = text.split("pub mod reason {").nth(1).unwrap();
            let consts = consts.split("\n}").next().unwrap();
            for value in consts.split("&str = \"").skip(1) {
                used.insert(value.split('"').next().unwrap().to_string());
            }
        }
        // Only this module builds an Event.
        if !in_events {
            assert!(!text.contains("EventNote {"), "{name} builds an Event");
            elsewhere.push_str(text);
        }
    }
    used.insert(super::super::identity::EXECUTION_NAME_IN_USE.to_string());
    for reason in &used {
        assert!(
            REASONS.contains(&reason.as_str()),
            "{reason} is not in REASONS"
        );
    }
    for reason in REASONS {
        let phase = [
            phase::SUCCEEDED,
            phase::FAILED,
            phase::TIMED_OUT,
            phase::STOPPED,
        ];
        let named = used.contains(*reason) || elsewhere.contains(&format!("\"{reason}\""));
        assert!(
            named || phase.contains(reason),
            "{reason} is listed but never used"
        );
    }
    for reason in TRANSITION_REASONS {
        assert!(REASONS.contains(reason));
    }
}
