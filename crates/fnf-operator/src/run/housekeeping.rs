//! Every few seconds: forgets the objects deleted without a last reconcile,
//! and sets the gauges that no single event updates (polls in flight,
//! executions swept, starts waiting, history age, executions per phase).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use kube::Resource;
use kube::runtime::reflector::{ObjectRef, Store};

use crate::reconcile::context::Context;
use crate::watch::key::{PollStrategy, TrackKey};
use crate::watch::watched::Watched;

const HOUSEKEEPING_PERIOD: Duration = Duration::from_secs(5);

/// Runs until aborted. `stores` are the FlowExecution caches, one per watch.
pub(super) async fn keep(ctx: Arc<Context>, stores: Vec<Store<Watched>>) {
    // Keys enter the tracker only through reconciles, which read the
    // cache: a tracked key missing from every cache was deleted.
    loop {
        tokio::time::sleep(HOUSEKEEPING_PERIOD).await;
        // An object deleted without our finalizer (Orphan, Observe, or one
        // still waiting to start) is never reconciled again: forget it here.
        let mut kept = ctx.tracker.keys();
        kept.extend(ctx.start_gate.waiting());
        for key in kept {
            if !alive_in(&stores, &key) {
                ctx.forget(&key);
            }
        }
        let (held, swept) = ctx.tracker.plan_counts();
        let polls = match ctx.poll {
            PollStrategy::LongPoll { .. } => held,
            PollStrategy::Interval { .. } => ctx.tracker.polls_in_flight(),
        };
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        ctx.metrics.long_polls_in_flight.set(gauge(polls));
        ctx.metrics.swept_executions.set(gauge(swept));
        ctx.metrics
            .starts_waiting
            .set(gauge(ctx.start_gate.waiting_count()));
        let tasks = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        ctx.metrics.tasks_alive.set(gauge(tasks));
        ctx.metrics
            .set_step_data_age(ctx.tracker.oldest_step_data());
        let mut phases = BTreeMap::<String, i64>::new();
        for store in &stores {
            for fe in store.state() {
                let phase = fe
                    .status()
                    .and_then(|s| s.phase.clone())
                    .unwrap_or_else(|| crate::crd::phase::PENDING.to_string());
                *phases.entry(phase).or_default() += 1;
            }
        }
        ctx.metrics.set_executions(&phases);
    }
}

/// Whether the object of `key` (this very instance: same uid) is in a cache.
fn alive_in(stores: &[Store<Watched>], key: &TrackKey) -> bool {
    let object = ObjectRef::<Watched>::new(&key.name).within(&key.namespace);
    stores.iter().any(|store| {
        store
            .get(&object)
            .is_some_and(|fe| fe.meta().uid.as_deref() == Some(key.uid.as_str()))
    })
}
