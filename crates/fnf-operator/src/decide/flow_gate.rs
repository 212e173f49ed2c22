//! A FlowExecution whose flow a `Flow` object in its namespace manages waits
//! for that object to be Ready before its first call (reason FlowNotReady):
//! a Flow and its runs applied in one commit then never meet FlowNotExists.
//! Pure.

use std::time::Duration;

use super::conditions::Standing;
use super::events::reason;
use super::view::{CloudView, FlowReadiness};
use crate::crd::{FlowExecution, phase};

/// The Flow controller wakes waiting executions when their flow turns Ready;
/// this only covers a wake-up that never came. No cloud call is made.
pub const FLOW_NOT_READY_RECHECK: Duration = Duration::from_secs(10);

/// The standing of an execution that must wait for its flow, if it must:
/// nothing of it has reached the cloud yet and its flow's `Flow` is not Ready.
pub fn waiting_for_flow(
    fe: &FlowExecution,
    cloud: &CloudView,
    current_phase: &str,
) -> Option<Standing> {
    let waits = cloud.flow == Some(FlowReadiness::NotReady)
        && cloud.execution.is_none()
        && current_phase == phase::PENDING
        && !fe.spec.stop;
    waits.then(|| Standing::InProgress {
        reason: reason::FLOW_NOT_READY.into(),
        message: format!(
            "waiting for the Flow object of flow {} in this namespace to be Ready",
            fe.spec.flow_name
        ),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::decision::decide;
    use super::super::outcome::Next;
    use super::super::test_fixtures::{flow_execution, now};
    use super::super::view::{CloudView, DecideSettings, FlowReadiness};
    use super::*;
    use crate::crd::condition_type as ct;

    fn fe() -> FlowExecution {
        flow_execution(
            serde_json::json!({}),
            serde_json::json!({"flowName": "orders"}),
            None,
        )
    }

    #[test]
    fn an_execution_of_a_flow_whose_flow_object_is_not_ready_waits_without_a_call() {
        let view = CloudView {
            flow: Some(FlowReadiness::NotReady),
            ..CloudView::default()
        };
        let d = decide(&fe(), &view, &DecideSettings::default(), now());
        assert_eq!(d.next, Next::Retry(FLOW_NOT_READY_RECHECK));
        let ready = d.status.condition(ct::READY).unwrap();
        assert_eq!(ready.reason, "FlowNotReady");
        assert_eq!(d.status.condition(ct::RECONCILING).unwrap().status, "True");
    }

    #[test]
    fn a_ready_flow_object_or_none_at_all_lets_the_start_go() {
        for flow in [Some(FlowReadiness::Ready), None] {
            let view = CloudView {
                flow,
                ..CloudView::default()
            };
            let d = decide(&fe(), &view, &DecideSettings::default(), now());
            assert_ne!(d.next, Next::Retry(FLOW_NOT_READY_RECHECK));
        }
    }
}
