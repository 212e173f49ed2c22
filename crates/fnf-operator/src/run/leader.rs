//! Leader election: only the replica holding the Lease runs the controllers.
//! Waiting for the Lease, leading while the controllers run, and releasing it
//! when they end (or exiting when it is lost, so that two never act at once).

use std::future::Future;

use kube_lease_manager::{LeaseManager, LeaseManagerBuilder, LeaseManagerError};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::LeaderElection;
use crate::crd::FIELD_MANAGER;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("leader election: {0}")]
    Lease(#[from] LeaseManagerError),
    #[error("lost the leader Lease; exiting so that only one replica acts")]
    LostLease,
}

impl RunError {
    pub fn reason(&self) -> &'static str {
        match self {
            RunError::Lease(_) => "LeaseError",
            RunError::LostLease => "LostLease",
        }
    }
}

/// The Lease, held: `leader` turns false when it is lost.
pub(super) struct Leadership {
    leader: watch::Receiver<bool>,
    manager: JoinHandle<Result<LeaseManager, LeaseManagerError>>,
}

/// Waits until this replica (`identity`) holds the Lease. `None`: `stop`
/// turned true first (the Lease manager has ended).
pub(super) async fn acquire(
    kube: &kube::Client,
    election: &LeaderElection,
    identity: &str,
    mut stop: watch::Receiver<bool>,
) -> Result<Option<Leadership>, RunError> {
    let manager = LeaseManagerBuilder::new(kube.clone(), &election.lease_name)
        .with_namespace(&election.lease_namespace)
        .with_identity(identity)
        .with_duration(election.lease_duration_secs)
        .with_grace(election.lease_duration_secs.div_ceil(3).max(1))
        .with_field_manager(lease_field_manager(identity))
        .build()
        .await?;
    let (mut leader, manager) = manager.watch().await;
    tracing::info!(lease = %election.lease_name, identity = %identity, "waiting to become leader");
    loop {
        if *leader.borrow_and_update() {
            break;
        }
        tokio::select! {
            changed = leader.changed() => if changed.is_err() { return Err(RunError::LostLease) },
            _ = stop.changed() => { drop(leader); let _ = manager.await; return Ok(None) }
        }
    }
    tracing::info!(identity = %identity, "became leader");
    Ok(Some(Leadership { leader, manager }))
}

/// The Lease's field manager: one per replica. An orphaned Lease is taken
/// with a server-side apply, and only a different field manager makes a rival
/// replica's apply conflict; with one manager shared by all replicas, two that
/// find the Lease orphaned at once (both restarted after it expired) both
/// succeed and both lead until the next renewal. The soak saw exactly that: a
/// second StartExecution and statuses written backwards for 5 s.
fn lease_field_manager(identity: &str) -> String {
    format!("{FIELD_MANAGER}/lease/{identity}")
}

impl Leadership {
    /// Runs `work` while this replica leads, then releases the Lease. Losing
    /// the Lease first ends `work` with `LostLease`.
    pub(super) async fn lead(self, work: impl Future<Output = ()>) -> Result<(), RunError> {
        let Leadership {
            mut leader,
            manager,
        } = self;
        let outcome = tokio::select! {
            _ = work => Ok(()),
            _ = async { while leader.changed().await.is_ok() { if !*leader.borrow() { break } } } => Err(RunError::LostLease),
        };
        drop(leader);
        // Dropping the receiver makes the manager release the Lease.
        let _ = manager.await;
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_replica_takes_the_lease_under_its_own_field_manager() {
        let a = lease_field_manager("replica-a");
        let b = lease_field_manager("replica-b");
        assert_ne!(
            a, b,
            "one shared manager lets two replicas both take an orphaned Lease"
        );
        assert!(a.starts_with(FIELD_MANAGER), "{a}");
    }
}
