//! Leader election: only the replica holding the Lease runs the controllers.
//! Waiting for the Lease, leading while the controllers run, and releasing it
//! when they end (or exiting when it is lost, so that two never act at once).
//! The election itself is `lease`.

use std::future::Future;
use std::time::Instant;

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::lease::{Elector, Outcome, Timing};
use crate::config::LeaderElection;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("lost the leader Lease; exiting so that only one replica acts")]
    LostLease,
}

impl RunError {
    pub fn reason(&self) -> &'static str {
        match self {
            RunError::LostLease => "LostLease",
        }
    }
}

/// The Lease, held: `leader` turns false when it is lost.
pub(super) struct Leadership {
    leader: watch::Receiver<bool>,
    renewer: JoinHandle<()>,
}

/// Waits until this replica (`identity`) holds the Lease. `None`: `stop`
/// turned true first.
pub(super) async fn acquire(
    kube: &kube::Client,
    election: &LeaderElection,
    identity: &str,
    mut stop: watch::Receiver<bool>,
) -> Result<Option<Leadership>, RunError> {
    let api: Api<Lease> = Api::namespaced(kube.clone(), &election.lease_namespace);
    let timing = Timing::for_lease(election.lease_duration_secs);
    let mut elector = Elector::new(api, &election.lease_name, identity, timing);
    tracing::info!(lease = %election.lease_name, identity = %identity, "waiting to become leader");
    let mut waiting_on = None;
    loop {
        match attempt(&mut elector).await {
            Some(Outcome::Holding) => break,
            Some(Outcome::HeldBy(holder)) if waiting_on.as_ref() != Some(&holder) => {
                tracing::info!(holder = %holder, "the Lease is held by another replica");
                waiting_on = Some(holder);
            }
            _ => {}
        }
        tokio::select! {
            _ = tokio::time::sleep(timing.retry_period) => {}
            _ = stop.changed() => return Ok(None),
        }
    }
    tracing::info!(identity = %identity, "became leader");
    let (tx, leader) = watch::channel(true);
    let renewer = tokio::spawn(renew(elector, tx));
    Ok(Some(Leadership { leader, renewer }))
}

/// One attempt, bounded by the retry period; `None` when it failed or took
/// too long (logged).
async fn attempt(elector: &mut Elector) -> Option<Outcome> {
    let limit = elector.timing().retry_period;
    match tokio::time::timeout(limit, elector.try_lead()).await {
        Ok(Ok(outcome)) => Some(outcome),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "the leader Lease could not be read or written");
            None
        }
        Err(_) => {
            tracing::warn!(
                limit_ms = limit.as_millis() as u64,
                "the leader Lease did not answer in time"
            );
            None
        }
    }
}

/// Renews the Lease every retry period. Sends `false` once it is held by
/// another replica, or once no renewal has succeeded for the renew deadline;
/// releases it when the leader's receiver is dropped.
async fn renew(mut elector: Elector, leader: watch::Sender<bool>) {
    let timing = *elector.timing();
    let mut renewed = Instant::now();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(timing.retry_period) => {}
            _ = leader.closed() => {
                if let Err(error) = elector.release().await {
                    tracing::warn!(error = %error, "the leader Lease could not be released; it expires instead");
                }
                return;
            }
        }
        let began = Instant::now();
        match attempt(&mut elector).await {
            Some(Outcome::Holding) => renewed = began,
            Some(Outcome::HeldBy(holder)) => {
                tracing::warn!(holder = %holder, "another replica holds the leader Lease");
                let _ = leader.send(false);
                return;
            }
            Some(Outcome::Raced) | None if renewed.elapsed() >= timing.renew_deadline => {
                tracing::warn!(
                    deadline_ms = timing.renew_deadline.as_millis() as u64,
                    "the leader Lease was not renewed within the deadline"
                );
                let _ = leader.send(false);
                return;
            }
            Some(Outcome::Raced) | None => {}
        }
    }
}

impl Leadership {
    /// Runs `work` while this replica leads, then releases the Lease. Losing
    /// the Lease first ends `work` with `LostLease`.
    pub(super) async fn lead(self, work: impl Future<Output = ()>) -> Result<(), RunError> {
        let Leadership {
            mut leader,
            renewer,
        } = self;
        let outcome = tokio::select! {
            _ = work => Ok(()),
            _ = async { while leader.changed().await.is_ok() { if !*leader.borrow() { break } } } => Err(RunError::LostLease),
        };
        drop(leader);
        // Dropping the receiver makes the renewer release the Lease.
        let _ = renewer.await;
        outcome
    }
}
