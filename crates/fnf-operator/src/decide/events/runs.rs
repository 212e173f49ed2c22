//! The Normal Events of the run planner (`decide::runs`): a new declaration
//! that waits for (or replaces) the previous run, a retry's wait (naming the
//! ended attempt and when the next starts), and `spec.suspend` holding the
//! start. Each is announced on the transition to it, never on a repeat.

use super::{EventNote, reason};
use crate::crd::{FlowExecutionStatus, condition_type as ct};
use crate::decide::conditions::Standing;

/// The Event announcing `standing`, if it is one of the planner's and the
/// persisted status (`old`) does not show it yet.
pub fn planned(old: &FlowExecutionStatus, standing: &Standing) -> Option<EventNote> {
    let (reason, message, action) = match standing {
        Standing::InProgress { reason, message } if reason == reason::WAITING_FOR_PREVIOUS_RUN => {
            (reason, message, "WaitForPreviousRun")
        }
        Standing::InProgress { reason, message } if reason == reason::RETRY_SCHEDULED => {
            (reason, message, "ScheduleRetry")
        }
        Standing::Held { reason, message } if reason == reason::SUSPENDED => {
            (reason, message, "HoldStart")
        }
        _ => return None,
    };
    let was = old.condition(ct::COMPLETED);
    let announced = was.is_some_and(|c| {
        c.reason == *reason && ended_attempt(&c.message) == ended_attempt(message)
    });
    (!announced).then(|| EventNote::normal(reason, action, message.clone()))
}

/// What a message is about, without the time it names: a retry of the same
/// ended attempt is one announcement even if its start time is recomputed.
fn ended_attempt(message: &str) -> &str {
    message
        .split_once(" starts at ")
        .map_or(message, |(about, _)| about)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::decide::conditions;
    use crate::decide::events::EventKind;

    fn status_after(standing: &Standing) -> FlowExecutionStatus {
        let now = "2026-01-01T00:00:00Z".parse().unwrap();
        FlowExecutionStatus {
            conditions: conditions::build(&[], standing, None, Some(1), now),
            ..FlowExecutionStatus::default()
        }
    }

    fn in_progress(reason: &str, message: &str) -> Standing {
        Standing::InProgress {
            reason: reason.into(),
            message: message.into(),
        }
    }

    #[test]
    fn each_planner_transition_is_announced_once_as_a_normal_event() {
        let standings = [
            in_progress(reason::WAITING_FOR_PREVIOUS_RUN, "the declaration changed"),
            in_progress(
                reason::RETRY_SCHEDULED,
                "attempt 1 (x) ended Failed: E; attempt 2 starts at 2026-01-01T00:00:10Z",
            ),
            Standing::Held {
                reason: reason::SUSPENDED.into(),
                message: "spec.suspend is set".into(),
            },
        ];
        for standing in &standings {
            let note = planned(&FlowExecutionStatus::default(), standing).unwrap();
            assert_eq!(note.kind, EventKind::Normal);
            assert!(super::super::REASONS.contains(&note.reason.as_str()));
            assert_eq!(planned(&status_after(standing), standing), None);
        }
    }

    #[test]
    fn a_retry_of_another_attempt_is_announced_and_a_new_time_alone_is_not() {
        let first = in_progress(
            reason::RETRY_SCHEDULED,
            "attempt 1 (x) ended Failed; attempt 2 starts at 2026-01-01T00:00:10Z",
        );
        let retimed = in_progress(
            reason::RETRY_SCHEDULED,
            "attempt 1 (x) ended Failed; attempt 2 starts at 2026-01-01T00:00:11Z",
        );
        let second = in_progress(
            reason::RETRY_SCHEDULED,
            "attempt 2 (x_A2) ended Failed; attempt 3 starts at 2026-01-01T00:01:00Z",
        );
        let old = status_after(&first);
        assert_eq!(planned(&old, &retimed), None);
        let note = planned(&old, &second).unwrap();
        assert!(note.note.contains("attempt 3 starts at"), "{}", note.note);
    }

    #[test]
    fn other_standings_are_not_the_planners() {
        let standing = in_progress("Running", "running");
        assert_eq!(planned(&FlowExecutionStatus::default(), &standing), None);
    }
}
