//! Reports an object the operator cannot read (see `watched`) on the object
//! itself: `Stalled=True` with the reason and what to do, and one Warning
//! Event. Nothing else is done with it: with its spec unread there is nothing
//! to start, mirror or stop.

use jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};

use super::context::Context;
use super::error::ReconcileError;
use super::object::apply_status;
use crate::crd::FlowExecutionStatus;
use crate::decide::conditions::{self, Standing};
use crate::decide::events;
use crate::watch::watched::{Unreadable, Watched};

/// The status an unreadable object should have: its old one with the
/// conditions of a final refusal. Pure.
pub fn wanted_status(
    unreadable: &Unreadable,
    generation: Option<i64>,
    now: Timestamp,
) -> FlowExecutionStatus {
    let old = unreadable.status.clone().unwrap_or_default();
    let standing = Standing::Refused {
        reason: unreadable.reason.to_string(),
        message: unreadable.message.clone(),
        // The spec cannot be changed into a readable one: its input is immutable.
        final_: true,
    };
    FlowExecutionStatus {
        conditions: conditions::build(&old.conditions, &standing, None, generation, now),
        observed_generation: generation,
        ..old
    }
}

pub async fn report(
    watched: &Watched,
    unreadable: &Unreadable,
    ctx: &Context,
) -> Result<Action, ReconcileError> {
    let namespace = watched.namespace().ok_or(ReconcileError::NotNamespaced)?;
    tracing::debug!(
        namespace = %namespace, name = %watched.name_any(), reason = unreadable.reason,
        message = %unreadable.message, "cannot read this FlowExecution; reporting it on the object"
    );
    if watched.meta().deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let status = wanted_status(unreadable, watched.meta().generation, Timestamp::now());
    let api: Api<Watched> = Api::namespaced(ctx.kube.clone(), &namespace);
    // The answer is decoded as a `Watched` too, so it cannot fail on depth.
    let written = apply_status(
        &api,
        &watched.name_any(),
        unreadable.status.as_ref(),
        &status,
    )
    .await?;
    if written.is_none() {
        return Ok(Action::await_change());
    }
    ctx.metrics.status_written();
    ctx.publish_about(
        watched.object_ref(&()),
        &events::unreadable(unreadable.reason, &unreadable.message),
    )
    .await;
    Ok(Action::await_change())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::condition_type as ct;

    #[test]
    fn an_unreadable_object_is_stalled_and_final_and_a_second_report_changes_nothing() {
        let unreadable = Unreadable {
            metadata: Default::default(),
            reason: "InputTooDeep",
            message: "spec.input is nested deeper than 100 levels".into(),
            status: None,
        };
        let now = Timestamp::UNIX_EPOCH;
        let first = wanted_status(&unreadable, Some(1), now);
        let stalled = first.condition(ct::STALLED).unwrap();
        assert_eq!(
            (stalled.status.as_str(), stalled.reason.as_str()),
            ("True", "InputTooDeep")
        );
        assert_eq!(first.condition(ct::COMPLETED).unwrap().status, "True");
        assert_eq!(first.condition(ct::READY).unwrap().status, "False");
        let again = Unreadable {
            status: Some(first.clone()),
            ..unreadable
        };
        let later = Timestamp::from_second(60).unwrap();
        assert_eq!(wanted_status(&again, Some(1), later), first);
    }
}
