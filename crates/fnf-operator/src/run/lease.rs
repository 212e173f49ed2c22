//! The leader Lease, with client-go's rules: every write is conditional on
//! the `resourceVersion` last read, so of two replicas that find the Lease
//! free (or expired) at once exactly one takes it; a rival's Lease counts as
//! expired only once it has stood unchanged for its duration by this
//! replica's own clock (no trust in another node's clock); and the holder
//! gives up leading when it has not renewed for `renew_deadline`, which ends
//! before any rival may take over.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Patch, PatchParams, PostParams};
use kube::{Api, api::ObjectMeta};

use crate::crd::FIELD_MANAGER;

/// The three durations of an election, from the Lease duration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    pub duration: Duration,
    /// The holder stops leading when its last renewal is this old.
    pub renew_deadline: Duration,
    /// Between two attempts, and the most one attempt may take.
    pub retry_period: Duration,
}

impl Timing {
    /// client-go's ratios (15 s, 10 s, 2 s). The holder stops at most
    /// `renew_deadline + retry_period` (0.87 of the duration) after its last
    /// renewal, before a rival's first chance at the Lease.
    pub fn for_lease(duration_secs: u64) -> Self {
        let duration = Duration::from_secs(duration_secs.max(1));
        Self {
            duration,
            renew_deadline: duration * 2 / 3,
            retry_period: (duration / 5).clamp(Duration::from_millis(200), Duration::from_secs(2)),
        }
    }
}

/// What one attempt on a Lease as read does.
#[derive(Debug, PartialEq)]
enum Attempt {
    /// Free, or a rival's that has stood unchanged for its duration.
    Take,
    /// Ours: renew it.
    Renew,
    /// A rival's, and live.
    Wait { holder: String },
}

/// Decides an attempt. `unchanged_for`: how long this replica has seen the
/// Lease's holder and renewal time stay as they are.
fn attempt(spec: &LeaseSpec, identity: &str, unchanged_for: Duration, timing: &Timing) -> Attempt {
    let holder = spec.holder_identity.as_deref().filter(|h| !h.is_empty());
    match holder {
        None => Attempt::Take,
        Some(h) if h == identity => Attempt::Renew,
        Some(_) if unchanged_for >= lease_duration(spec, timing) => Attempt::Take,
        Some(h) => Attempt::Wait {
            holder: h.to_string(),
        },
    }
}

/// The rival's own duration, as it wrote it; ours when it wrote none.
fn lease_duration(spec: &LeaseSpec, timing: &Timing) -> Duration {
    spec.lease_duration_seconds
        .and_then(|s| u64::try_from(s).ok())
        .map_or(timing.duration, Duration::from_secs)
}

/// The outcome of one attempt.
#[derive(Debug, PartialEq)]
pub enum Outcome {
    /// This replica holds the Lease, renewed just now.
    Holding,
    /// Another replica holds it.
    HeldBy(String),
    /// Someone wrote the Lease between our read and our write: read again.
    Raced,
}

/// What a read of the Lease decided, to be carried out by
/// [`Elector::commit`].
#[derive(Debug)]
pub enum Plan {
    /// Nothing to write.
    Decided(Outcome),
    /// No Lease yet: create it, holding it.
    Create,
    /// Take (`take`) or renew the Lease read at `resource_version`.
    Write {
        read: LeaseSpec,
        resource_version: Option<String>,
        take: bool,
    },
}

/// One replica's side of the election.
pub struct Elector {
    api: Api<Lease>,
    name: String,
    identity: String,
    timing: Timing,
    /// The holder and renewal time last read, and since when.
    seen: Option<(Record, Instant)>,
}

/// What marks a Lease as renewed: its holder and renewal time.
type Record = (Option<String>, Option<MicroTime>);

impl Elector {
    pub fn new(api: Api<Lease>, name: &str, identity: &str, timing: Timing) -> Self {
        Self {
            api,
            name: name.to_string(),
            identity: identity.to_string(),
            timing,
            seen: None,
        }
    }

    pub fn timing(&self) -> &Timing {
        &self.timing
    }

    /// Reads the Lease and takes or renews it when the rules above say so.
    pub async fn try_lead(&mut self) -> Result<Outcome, kube::Error> {
        let plan = self.read().await?;
        self.commit(plan).await
    }

    /// The first half of [`Elector::try_lead`]: reads the Lease and decides.
    /// Public with [`Elector::commit`] so that a test can interleave two
    /// replicas between the read and the write.
    pub async fn read(&mut self) -> Result<Plan, kube::Error> {
        let Some(lease) = self.api.get_opt(&self.name).await? else {
            return Ok(Plan::Create);
        };
        let spec = lease.spec.unwrap_or_default();
        let unchanged_for = self.observe(&spec);
        let take = match attempt(&spec, &self.identity, unchanged_for, &self.timing) {
            Attempt::Wait { holder } => return Ok(Plan::Decided(Outcome::HeldBy(holder))),
            Attempt::Renew => false,
            Attempt::Take => true,
        };
        Ok(Plan::Write {
            read: spec,
            resource_version: lease.metadata.resource_version,
            take,
        })
    }

    /// The second half: carries a plan out. A write is conditional on the
    /// `resourceVersion` the plan was read at, so it is `Raced` when anyone
    /// wrote the Lease since.
    pub async fn commit(&mut self, plan: Plan) -> Result<Outcome, kube::Error> {
        let (read, resource_version, take) = match plan {
            Plan::Decided(outcome) => return Ok(outcome),
            Plan::Create => return self.create().await,
            Plan::Write {
                read,
                resource_version,
                take,
            } => (read, resource_version, take),
        };
        let now = MicroTime(Timestamp::now());
        let transitions = read.lease_transitions.unwrap_or(0);
        let mut next = LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: self.duration_secs(),
            renew_time: Some(now.clone()),
            ..read
        };
        if take {
            next.acquire_time = Some(now);
            next.lease_transitions = Some(transitions + 1);
        }
        let body = serde_json::json!({
            "metadata": { "resourceVersion": resource_version },
            "spec": next,
        });
        match self.write(Patch::Merge(body)).await? {
            Some(written) => {
                self.observe(&written.spec.unwrap_or_default());
                Ok(Outcome::Holding)
            }
            None => Ok(Outcome::Raced),
        }
    }

    /// Frees the Lease if this replica still holds it, so that a rival need
    /// not wait out the duration.
    pub async fn release(&mut self) -> Result<(), kube::Error> {
        let Some(lease) = self.api.get_opt(&self.name).await? else {
            return Ok(());
        };
        let spec = lease.spec.unwrap_or_default();
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        let body = serde_json::json!({
            "metadata": { "resourceVersion": lease.metadata.resource_version },
            "spec": { "holderIdentity": null, "renewTime": null, "acquireTime": null },
        });
        self.write(Patch::Merge(body)).await.map(|_| ())
    }

    /// How long the holder and renewal time have stood as in `spec`.
    fn observe(&mut self, spec: &LeaseSpec) -> Duration {
        let key = (spec.holder_identity.clone(), spec.renew_time.clone());
        match &self.seen {
            Some((seen, since)) if *seen == key => since.elapsed(),
            _ => {
                self.seen = Some((key, Instant::now()));
                Duration::ZERO
            }
        }
    }

    /// The duration this replica writes into the Lease.
    fn duration_secs(&self) -> Option<i32> {
        i32::try_from(self.timing.duration.as_secs()).ok()
    }

    async fn create(&mut self) -> Result<Outcome, kube::Error> {
        let now = MicroTime(Timestamp::now());
        let lease = Lease {
            metadata: ObjectMeta {
                name: Some(self.name.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(LeaseSpec {
                holder_identity: Some(self.identity.clone()),
                lease_duration_seconds: self.duration_secs(),
                acquire_time: Some(now.clone()),
                renew_time: Some(now),
                lease_transitions: Some(0),
                ..LeaseSpec::default()
            }),
        };
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..PostParams::default()
        };
        match self.api.create(&params, &lease).await {
            Ok(created) => {
                self.observe(&created.spec.unwrap_or_default());
                Ok(Outcome::Holding)
            }
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(Outcome::Raced),
            Err(e) => Err(e),
        }
    }

    /// A conditional write: `None` when the Lease changed since it was read.
    async fn write(&self, patch: Patch<serde_json::Value>) -> Result<Option<Lease>, kube::Error> {
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..PatchParams::default()
        };
        match self.api.patch(&self.name, &params, &patch).await {
            Ok(lease) => Ok(Some(lease)),
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held_by(holder: Option<&str>, secs: Option<i32>) -> LeaseSpec {
        LeaseSpec {
            holder_identity: holder.map(str::to_string),
            lease_duration_seconds: secs,
            ..LeaseSpec::default()
        }
    }

    const TIMING: Timing = Timing {
        duration: Duration::from_secs(15),
        renew_deadline: Duration::from_secs(10),
        retry_period: Duration::from_secs(2),
    };

    #[test]
    fn the_holder_stops_before_a_rival_may_take_over() {
        for secs in [1, 2, 6, 15, 60, 137] {
            let t = Timing::for_lease(secs);
            assert!(
                t.renew_deadline + t.retry_period < t.duration,
                "{secs}: {t:?}"
            );
            assert!(t.retry_period < t.renew_deadline, "{secs}: {t:?}");
        }
        assert_eq!(Timing::for_lease(15), TIMING);
    }

    #[test]
    fn a_free_lease_is_taken_and_our_own_renewed_however_old() {
        for holder in [None, Some("")] {
            let free = held_by(holder, Some(15));
            assert_eq!(attempt(&free, "a", Duration::ZERO, &TIMING), Attempt::Take);
        }
        let ours = held_by(Some("a"), Some(15));
        let long_ago = Duration::from_secs(3600);
        assert_eq!(attempt(&ours, "a", long_ago, &TIMING), Attempt::Renew);
    }

    #[test]
    fn a_rivals_lease_is_taken_only_after_standing_unchanged_for_its_own_duration() {
        let rival = held_by(Some("b"), Some(30));
        let wait = Attempt::Wait { holder: "b".into() };
        assert_eq!(attempt(&rival, "a", Duration::from_secs(29), &TIMING), wait);
        assert_eq!(
            attempt(&rival, "a", Duration::from_secs(30), &TIMING),
            Attempt::Take
        );
        // No duration written: ours.
        let rival = held_by(Some("b"), None);
        assert_eq!(attempt(&rival, "a", Duration::from_secs(14), &TIMING), wait);
        assert_eq!(
            attempt(&rival, "a", Duration::from_secs(15), &TIMING),
            Attempt::Take
        );
    }
}
