//! Invariant 4: no secret value in any log line, Event, metric, status or
//! execution name. Violations name the secret by its label and the place by
//! source and line number, never by the value.

use super::super::recording::{KnownSecret, Recording};
use super::{Violation, at};

pub fn check(recording: &Recording, secrets: &[KnownSecret]) -> Vec<Violation> {
    let secrets: Vec<&KnownSecret> = secrets.iter().filter(|s| s.value.len() >= 6).collect();
    let mut found = Vec::new();
    let mut scan = |object: String, execution: String, place: String, text: &str| {
        for s in &secrets {
            if text.contains(&s.value) {
                found.push(Violation {
                    invariant: 4,
                    object: object.clone(),
                    execution: execution.clone(),
                    detail: format!("secret {} appears in {place}", s.label),
                    context: Vec::new(),
                });
            }
        }
    };
    for t in &recording.texts {
        for (n, line) in t.text.lines().enumerate() {
            scan(
                t.source.clone(),
                String::new(),
                format!("line {}", n + 1),
                line,
            );
        }
    }
    for v in &recording.versions {
        scan(
            v.key(),
            String::new(),
            format!("its status at {}", at(recording, v.at_ms)),
            &v.status().to_string(),
        );
    }
    for c in &recording.created {
        scan(
            c.flow.clone(),
            c.execution.clone(),
            "an execution name".to_string(),
            &c.execution,
        );
    }
    found
}
