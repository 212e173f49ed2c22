//! The poll planner. An account's DescribeExecution quota sustains about
//! `rate × WaitTimeSeconds` long-polls at once (≈ 256 with the default quota
//! and headroom). Those *slots* go where they save the most ListExecutions
//! pages: whole small flows first, oldest first within a flow (`account`);
//! every other live execution of the account is *swept*: `sweep` reads
//! ListExecutions pages (100 executions per call) within the ListExecutions
//! quota (slotted ones too while their long-polls queue for tokens). Each
//! account (credential set) has its own slots, sweeper and quota buckets.
//! When the cloud throttles anyway (someone else shares the account), the
//! slots shrink, and grow back once it stops.
//!
//! Locks here are never held across an `.await`, and never taken while the
//! tracker's lock is held (nor the other way round).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;
use tokio::task::AbortHandle;
use tokio::time::Instant;

mod account;
mod budget;
mod membership;

use account::{Account, MemberState, Role};
pub use budget::slot_capacity;
use budget::{Budget, GRANT_HORIZON, final_status_share, slots_beside_sweep};
pub use membership::Membership;

use super::key::{Member, PollTarget, TrackKey};
use super::sweep::{self, Roster};
use super::views::CloudViews;
use fnf_client::Client;

const DESCRIBE: &str = "DescribeExecution";
#[derive(Default)]
struct Inner {
    accounts: Mutex<HashMap<String, Account>>,
    arrivals: std::sync::atomic::AtomicU64,
}

/// Shared by every poll task of the operator; cheap to clone.
#[derive(Clone, Default)]
pub struct Planner {
    inner: Arc<Inner>,
}

impl Planner {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Account>> {
        // A poisoned lock only means a task panicked mid-update; the counts are
        // rebuilt as members leave.
        self.inner
            .accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn budget(account_id: &str, account: &mut Account, client: &Client, wait: u32) -> Budget {
        let quotas = &client.config().quotas;
        let Some(rate) = quotas.config().rate_for(DESCRIBE) else {
            return Budget {
                slots: usize::MAX,
                whole: usize::MAX,
                tokens: u64::MAX,
            };
        };
        account.throttling = account
            .throttling
            .observe(quotas.penalties(account_id, DESCRIBE), Instant::now());
        let full = slot_capacity(rate.per_second, wait, account.throttling.factor);
        let share = final_status_share(account.waiting_count(), full);
        Budget {
            slots: slots_beside_sweep(full, share),
            whole: full,
            tokens: quotas.available(account_id, DESCRIBE, GRANT_HORIZON),
        }
    }

    /// DescribeExecution calls a second the account's sweep may make for
    /// final statuses: the share kept for them, as far as the slots have
    /// freed it (a holder of a flow held whole keeps its slot, so the share
    /// may be freed only in part).
    pub fn final_status_rate(&self, account_id: &str) -> f64 {
        let accounts = self.lock();
        let Some(account) = accounts.get(account_id) else {
            return 0.0;
        };
        let Some((client, wait)) = &account.asker else {
            return 0.0;
        };
        let Some(rate) = client.config().quotas.config().rate_for(DESCRIBE) else {
            // Not limited: nothing to share.
            return f64::INFINITY;
        };
        let full = slot_capacity(rate.per_second, *wait, account.throttling.factor);
        let share = final_status_share(account.waiting_count(), full);
        let kept = rate.per_second * account.throttling.factor * share;
        // A slot's long-poll takes a call every `wait` seconds.
        #[allow(clippy::cast_precision_loss)]
        let freed = full.saturating_sub(account.holders) as f64 / f64::from((*wait).max(1));
        kept.min(freed)
    }

    /// Grants what the account's budget allows now (the sweeper calls this
    /// between pages, so slots follow the bucket's refill).
    pub fn refill(&self, account_id: &str) {
        let mut accounts = self.lock();
        let Some(account) = accounts.get_mut(account_id) else {
            return;
        };
        if !account.has_waiting() {
            return;
        }
        if let Some((client, wait)) = account.asker.clone() {
            let budget = Self::budget(account_id, account, &client, wait);
            account.fill(budget);
        }
    }

    /// Enters `key` into its account's plan: a slot if one is free, otherwise
    /// the sweep. Leaving is dropping the returned membership.
    pub fn join<V: CloudViews>(
        &self,
        tracker: &V,
        key: &TrackKey,
        target: &PollTarget,
        wait: u32,
    ) -> Membership {
        let started = tracker
            .execution_read(key)
            .and_then(|read| read.started_time)
            .as_deref()
            .and_then(fnf_client::model::parse_cloud_time)
            .or(target.recorded_start);
        let account_id = target.client.credential_provider().account_id();
        let arrival = self
            .inner
            .arrivals
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let order = (started.map_or(i64::MAX, |t| t.as_millisecond()), arrival);
        let (grant, granted) = oneshot::channel();
        let mut accounts = self.lock();
        let account = accounts
            .entry(account_id.clone())
            .or_insert_with(Account::new);
        // A poll restarted for the same object (after a stop) may join before
        // the old task's membership is dropped: the new one replaces it.
        account.remove(key);
        let member = Member {
            key: key.clone(),
            client: target.client.clone(),
            flow_name: target.flow_name.clone(),
            execution_name: target.execution_name.clone(),
            holds_slot: false,
        };
        let flow = (
            target.client.config().endpoint.url().to_string(),
            target.flow_name.clone(),
        );
        account.enqueue(&flow, order, key.clone());
        account.members.insert(
            key.clone(),
            MemberState {
                member,
                flow,
                order,
                role: Role::Waiting(Some(grant)),
            },
        );
        account.asker = Some((target.client.clone(), wait));
        let budget = Self::budget(&account_id, account, &target.client, wait);
        account.fill(budget);
        if account
            .sweeper
            .as_ref()
            .is_none_or(AbortHandle::is_finished)
        {
            let task = tokio::spawn(sweep::run(
                tracker.clone(),
                self.clone(),
                account_id.clone(),
                account.news.clone(),
            ));
            account.sweeper = Some(task.abort_handle());
        }
        account.news.notify_one();
        Membership {
            planner: self.clone(),
            account_id,
            key: key.clone(),
            client: target.client.clone(),
            wait,
            arrival,
            granted: Some(granted),
        }
    }

    /// The account's members as they stand now (for one sweep round).
    pub fn members(&self, account_id: &str) -> Vec<Member> {
        self.lock()
            .get(account_id)
            .map(|account| {
                account
                    .members
                    .values()
                    .map(|state| state.member.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Long-polls in flight and executions swept, over all accounts.
    pub fn counts(&self) -> (usize, usize) {
        self.lock().values().fold((0, 0), |(held, swept), account| {
            (
                held + account.holders,
                swept + account.members.len() - account.holders,
            )
        })
    }

    /// Ends every sweeper (the controller is stopping).
    pub fn abort_all(&self) {
        for account in self.lock().values_mut() {
            if let Some(task) = account.sweeper.take() {
                task.abort();
            }
        }
    }

    fn leave(&self, membership: &Membership) {
        let Membership {
            account_id,
            key,
            client,
            wait,
            arrival,
            ..
        } = membership;
        let mut accounts = self.lock();
        let Some(account) = accounts.get_mut(account_id) else {
            return;
        };
        // A replaced membership leaves nothing: its successor holds the place.
        if account
            .members
            .get(key)
            .is_none_or(|s| s.order.1 != *arrival)
        {
            return;
        }
        account.remove(key);
        let (client, wait) = (client, *wait);
        let budget = Self::budget(account_id, account, client, wait);
        account.fill(budget);
        if account.members.is_empty() {
            if let Some(task) = account.sweeper.take() {
                task.abort();
            }
            accounts.remove(account_id);
        }
    }
}

impl Roster for Planner {
    fn refill(&self, account_id: &str) {
        Planner::refill(self, account_id);
    }

    fn members(&self, account_id: &str) -> Vec<Member> {
        Planner::members(self, account_id)
    }

    fn final_status_rate(&self, account_id: &str) -> f64 {
        Planner::final_status_rate(self, account_id)
    }
}

#[cfg(test)]
mod tests;
