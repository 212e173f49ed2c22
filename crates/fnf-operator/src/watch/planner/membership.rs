//! A poll task's side of the plan: waiting for a slot, keeping it, and
//! leaving (on drop).

use tokio::sync::oneshot;

use super::Planner;
use super::account::Role;
use crate::watch::key::TrackKey;
use fnf_client::Client;

/// A poll task's place in the plan; dropping it frees the slot or leaves the sweep.
pub struct Membership {
    pub(super) planner: Planner,
    pub(super) account_id: String,
    pub(super) key: TrackKey,
    pub(super) client: Client,
    pub(super) wait: u32,
    /// Tells this membership from a later one of the same object.
    pub(super) arrival: u64,
    pub(super) granted: Option<oneshot::Receiver<()>>,
}

impl Membership {
    /// Returns once this execution holds a long-poll slot; until then it is swept.
    pub async fn slot(&mut self) {
        if let Some(granted) = self.granted.take() {
            // A dropped sender means the member was granted and re-queued
            // elsewhere; `keep_slot` sorts that out.
            let _ = granted.await;
        }
    }

    /// Whether this holder may long-poll again; gives the slot back (and
    /// rejoins the sweep) when throttling has shrunk the capacity below the
    /// number of holders, or when its flow is swept anyway and either
    /// final-status reads take the slot or another flow is closer to needing
    /// no page.
    pub fn keep_slot(&mut self) -> bool {
        let mut accounts = self.planner.lock();
        let Some(account) = accounts.get_mut(&self.account_id) else {
            return true;
        };
        let budget = Planner::budget(&self.account_id, account, &self.client, self.wait);
        let throttled = account.holders > budget.whole;
        let Some(flow) = account
            .members
            .get(&self.key)
            .filter(|s| s.order.1 == self.arrival)
            .map(|s| s.flow.clone())
        else {
            // Replaced: this task is being ended.
            return true;
        };
        let swept_anyway = account.is_waiting(&flow);
        let over = throttled
            || (swept_anyway && account.holders > budget.slots)
            || account.should_yield(&flow);
        let Some(state) = account
            .members
            .get_mut(&self.key)
            .filter(|s| s.order.1 == self.arrival)
        else {
            // Replaced: this task is being ended.
            return true;
        };
        match &mut state.role {
            Role::Holder { issued } if over => {
                if !*issued {
                    account.unissued -= 1;
                }
                let (grant, granted) = oneshot::channel();
                state.role = Role::Waiting(Some(grant));
                state.member.holds_slot = false;
                let order = state.order;
                account.holders -= 1;
                account.enqueue(&flow, order, self.key.clone());
                // The slot given up goes to the flow closer to being whole.
                account.fill(budget);
                account.news.notify_one();
                self.granted = Some(granted);
                false
            }
            Role::Holder { issued } => {
                if !*issued {
                    *issued = true;
                    account.unissued -= 1;
                }
                // Capacity regained after throttling goes to those waiting.
                account.fill(budget);
                true
            }
            Role::Waiting(grant) => {
                // Still queued: make sure there is a grant to wait for.
                if self.granted.is_none() {
                    let (sender, granted) = oneshot::channel();
                    *grant = Some(sender);
                    self.granted = Some(granted);
                }
                false
            }
        }
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        self.planner.leave(self);
    }
}
