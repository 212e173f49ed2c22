//! One account's plan: who holds a long-poll slot, who waits (and is swept
//! meanwhile), and which waiting execution the next free slot goes to.
//!
//! Slots go to whole small flows first: a flow whose every execution holds a
//! slot needs no ListExecutions page at all, while a slot given to one
//! execution of a flow still swept saves nothing of that flow's page. So the
//! next slot goes to the flow with the fewest executions waiting (its oldest
//! first), and a holder whose flow is swept anyway gives its slot up for a
//! flow closer to being covered whole.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use tokio::sync::{Notify, oneshot};
use tokio::task::AbortHandle;
use tokio::time::Instant;

use super::budget::{Budget, Throttling};
use crate::watch::key::{Member, TrackKey};
use fnf_client::Client;

/// A flow of one endpoint: (endpoint URL, flow name).
pub type FlowId = (String, String);

/// Oldest first: (started, ms since the epoch; arrival).
pub type Order = (i64, u64);

pub enum Role {
    /// `issued`: its first long-poll has been sent for (it holds a token or
    /// waits for one).
    Holder {
        issued: bool,
    },
    Waiting(Option<oneshot::Sender<()>>),
}

pub struct MemberState {
    pub member: Member,
    pub flow: FlowId,
    pub order: Order,
    pub role: Role,
}

pub struct Account {
    pub members: HashMap<TrackKey, MemberState>,
    /// Members waiting for a slot, per flow, oldest first.
    waiting: HashMap<FlowId, BTreeMap<Order, TrackKey>>,
    pub holders: usize,
    /// Holders granted a slot that have not yet sent their first long-poll.
    pub unissued: usize,
    /// How this account's members are asked (for grants between joins).
    pub asker: Option<(Client, u32)>,
    pub throttling: Throttling,
    pub sweeper: Option<AbortHandle>,
    pub news: Arc<Notify>,
}

impl Account {
    pub fn new() -> Self {
        Self {
            members: HashMap::new(),
            waiting: HashMap::new(),
            holders: 0,
            unissued: 0,
            asker: None,
            throttling: Throttling::new(Instant::now()),
            sweeper: None,
            news: Arc::new(Notify::new()),
        }
    }

    pub fn has_waiting(&self) -> bool {
        !self.waiting.is_empty()
    }

    /// Whether some of `flow` waits for a slot (so the sweep reads it anyway).
    pub fn is_waiting(&self, flow: &FlowId) -> bool {
        self.waiting.contains_key(flow)
    }

    /// Members without a slot: the ones the sweep follows.
    pub fn waiting_count(&self) -> usize {
        self.members.len().saturating_sub(self.holders)
    }

    /// Queues `key` for a slot (its state already says Waiting).
    pub fn enqueue(&mut self, flow: &FlowId, order: Order, key: TrackKey) {
        self.waiting
            .entry(flow.clone())
            .or_default()
            .insert(order, key);
    }

    fn dequeue(&mut self, flow: &FlowId, order: Order) {
        if let Some(queue) = self.waiting.get_mut(flow) {
            queue.remove(&order);
            if queue.is_empty() {
                self.waiting.remove(flow);
            }
        }
    }

    /// Takes a member out of the counts.
    pub fn remove(&mut self, key: &TrackKey) {
        if let Some(state) = self.members.remove(key) {
            match state.role {
                Role::Holder { issued } => {
                    self.holders -= 1;
                    if !issued {
                        self.unissued -= 1;
                    }
                }
                Role::Waiting(_) => self.dequeue(&state.flow, state.order),
            }
        }
    }

    /// The flow the next slot goes to: fewest waiting, then oldest waiting.
    fn next_flow(&self) -> Option<&FlowId> {
        self.waiting
            .iter()
            .filter_map(|(flow, queue)| {
                let oldest = queue.keys().next()?;
                Some(((queue.len(), *oldest), flow))
            })
            .min_by_key(|(rank, _)| *rank)
            .map(|(_, flow)| flow)
    }

    /// Whether a holder of `flow` should give its slot to a flow closer to
    /// being covered whole: its own flow is swept anyway (some of it waits)
    /// and another has fewer waiting.
    pub fn should_yield(&self, flow: &FlowId) -> bool {
        let Some(own) = self.waiting.get(flow).map(BTreeMap::len) else {
            return false;
        };
        self.waiting
            .iter()
            .any(|(other, queue)| other != flow && queue.len() < own)
    }

    /// Grants free slots to waiting members, whole small flows first, no
    /// faster than the bucket can send their first long-polls: a slot granted
    /// before its call can go covers nothing, and its abandoned wait would
    /// book the bucket.
    pub fn fill(&mut self, budget: Budget) {
        while self.holders < budget.slots && (self.unissued as u64) < budget.tokens {
            let Some(flow) = self.next_flow().cloned() else {
                return;
            };
            let Some((order, key)) = self.waiting.get_mut(&flow).and_then(BTreeMap::pop_first)
            else {
                return;
            };
            self.dequeue(&flow, order);
            if let Some(state) = self.members.get_mut(&key)
                && let Role::Waiting(grant) = &mut state.role
            {
                if let Some(grant) = grant.take() {
                    // A member whose task already ended leaves through `Drop`.
                    let _ = grant.send(());
                }
                state.role = Role::Holder { issued: false };
                state.member.holds_slot = true;
                self.holders += 1;
                self.unissued += 1;
            }
        }
    }
}
