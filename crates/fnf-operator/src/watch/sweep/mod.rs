//! The sweeper: one task per account reads ListExecutions pages, so every
//! ending is seen even when no long-poll is in flight for it. It seeks, per
//! flow, the executions without a long-poll in flight (and those still shown
//! as Starting: a long-poll answers only at the end).
//!
//! Pages go where they remove the most lag: each round ranks the flows by the
//! endings a visit may find times how long they have waited, per estimated
//! call (`choose::score`), and visits the best until about `ROUND_CALLS` calls
//! are planned; then it plans again. A visit reads only windows around its
//! sought executions (ended executions between them are not paged again), each
//! with the listing its last visits suggest is cheapest: every status at once,
//! one listing per terminal status, or `Running` only (metadata) with the
//! absent ones read again around their starts. What a window holds is priced
//! by the age of its start times (`ages`), and a flow may be read two ways at
//! once: its young runs by status, its old ones by their absence from
//! `Running`. A status listing asks only for the terminal statuses the flow
//! ends in lately, and for the others once a minute (`statuses`). An
//! execution absent from `Running` is read with one DescribeExecution while
//! the share of that quota the slots leave allows (`describes`, a task of
//! its own), since paging around an old start re-reads every run ended near
//! it. Calls are paced by the account's ListExecutions quota, so rounds
//! simply follow each other.

mod ages;
mod choose;
mod describes;
mod statuses;
mod visit;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod visit_tests;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, mpsc};

use super::key::Member;
use super::views::CloudViews;
use crate::crd::phase;
use crate::decide::classify;
use choose::{Listing, Part, Reads, Seen, Start};
use describes::{Allowance, FinalStatus};
use fnf_client::model::parse_cloud_time;
use fnf_client::{Client, FnfError};
use statuses::{StatusCadence, StatusSet};
use visit::{Sought, Visit};

/// DescribeExecution callers wait longer than this: slot holders may not have
/// their long-poll in flight. Well above the planner's grant horizon, since
/// granting up to the tokens of the next second keeps the queue about that
/// deep by design: at the horizon itself the check flipped every round and
/// swept every slot holder (the small preset's p99: 12 s at 1 s, 9 s at 3 s).
const QUEUED_LONG_POLLS: Duration = Duration::from_secs(3);
/// How long a flow's last visit is remembered after it.
const MEMORY_KEPT: Duration = Duration::from_secs(600);
/// Nothing to sweep: look again after this even without news.
const IDLE_RECHECK: Duration = Duration::from_secs(5);
/// Calls planned per round before the flows are ranked again (about a
/// second of the default ListExecutions quota): a flow's rank changes with
/// every ending and arrival, and ranking costs no call.
const ROUND_CALLS: f64 = 2.0;

/// A flow of one endpoint: (endpoint URL, flow name).
type FlowId = (String, String);

/// What one round seeks in one flow.
struct FlowSweep {
    client: Client,
    flow_name: String,
    sought: Vec<Sought>,
}

/// What the sweeper remembers of a flow between visits.
#[derive(Clone, Copy, Default)]
struct Memory {
    seen: Seen,
    statuses: StatusCadence,
    visited: Option<Instant>,
}

/// One flow's next visit as a round plans it.
#[derive(Default)]
struct Planned {
    id: FlowId,
    parts: Vec<Part>,
    /// The terminal statuses its status-filtered windows are listed by.
    statuses: StatusSet,
    score: f64,
    calls: f64,
}

/// What a sweep needs of the plan it serves: the account's members, and
/// grants of freed long-poll slots between pages. The planner implements it.
pub trait Roster: Send + Sync + 'static {
    /// Grants what the account's budget allows now.
    fn refill(&self, account_id: &str);
    /// The account's members as they stand now.
    fn members(&self, account_id: &str) -> Vec<Member>;
    /// DescribeExecution calls a second the sweep may make for final statuses.
    fn final_status_rate(&self, account_id: &str) -> f64;
}

pub async fn run<V: CloudViews, R: Roster>(
    tracker: V,
    planner: R,
    account_id: String,
    news: Arc<Notify>,
) {
    let mut failures: u32 = 0;
    let mut memory: HashMap<FlowId, Memory> = HashMap::new();
    let mut allowance = Allowance::default();
    // The reader ends when this task does (its queue's sender goes).
    let (final_statuses, queue) = mpsc::channel(describes::QUEUE);
    tokio::spawn(describes::read_final_statuses(tracker.clone(), queue));
    loop {
        planner.refill(&account_id);
        let mut flows = gather(&tracker, &account_id, planner.members(&account_id));
        if flows.is_empty() {
            // Either a new member or the idle re-check: both just start a round.
            let _ = tokio::time::timeout(IDLE_RECHECK, news.notified()).await;
            continue;
        }
        let now = Instant::now();
        // Kept while a flow is between sought executions, so that its next
        // one is ranked by when the flow was last read.
        memory.retain(|_, m| {
            m.visited
                .is_some_and(|t| now.duration_since(t) < MEMORY_KEPT)
        });
        let now_ts = jiff::Timestamp::now();
        allowance.fill(planner.final_status_rate(&account_id), now);
        #[allow(clippy::cast_precision_loss)]
        let describes = allowance.available().min(1 << 20) as f64;
        let mut planned: Vec<Planned> = flows
            .iter()
            .map(|(id, flow)| {
                let remembered = memory.get(id).copied().unwrap_or_default();
                let flow_starts = starts(&flow.sought);
                let statuses = remembered.statuses.due(now_ts);
                let reads = Reads {
                    statuses,
                    describes,
                };
                let parts = choose::plan_flow(&flow_starts, remembered.seen, reads, now_ts);
                let calls: f64 = parts.iter().map(|p| p.calls).sum();
                let since = remembered.visited.map(|t| now.duration_since(t));
                let waited = choose::waited(since, &flow_starts, now_ts);
                let score = choose::score(weight(&flow.sought), waited, calls);
                Planned {
                    id: id.clone(),
                    parts,
                    statuses,
                    score,
                    calls,
                }
            })
            .collect();
        let ranked: Vec<(f64, f64)> = planned.iter().map(|p| (p.score, p.calls)).collect();
        // Slots follow the DescribeExecution bucket's refill: grant between pages.
        let refill = || planner.refill(&account_id);
        let round_started = Instant::now();
        let mut failed = false;
        let mut pages = 0;
        let mut visited = 0;
        for index in choose::pick(&ranked, ROUND_CALLS) {
            let plan = std::mem::take(&mut planned[index]);
            let Some(flow) = flows.remove(&plan.id) else {
                continue;
            };
            let remembered = memory.entry(plan.id).or_default();
            let visit_started = jiff::Timestamp::now();
            let final_status = |sought: &Sought| {
                let read = FinalStatus {
                    client: flow.client.clone(),
                    flow_name: flow.flow_name.clone(),
                    sought: sought.clone(),
                };
                final_statuses.try_send(read).is_ok()
            };
            let visit = Visit {
                tracker: &tracker,
                lister: &flow.client,
                flow_name: &flow.flow_name,
                density: remembered.seen.density,
                now: visit_started,
                statuses: plan.statuses,
                describes: allowance.available(),
                final_status: &final_status,
                refill: &refill,
            };
            let result = visit.run(&flow.sought, &plan.parts).await;
            remembered.visited = Some(Instant::now());
            visited += 1;
            match result {
                Ok(tally) => {
                    allowance.spend(tally.described);
                    tracing::debug!(
                        flow = %flow.flow_name,
                        sought = flow.sought.len(),
                        wanted = flow.sought.iter().filter(|s| s.ending_wanted).count(),
                        starting = flow.sought.iter().filter(|s| s.starting).count(),
                        pages = tally.pages,
                        endings = tally.endings,
                        described = tally.described,
                        plan = %plan_summary(&plan.parts, visit_started),
                        "sweep visit"
                    );
                    pages += tally.pages;
                    remembered.seen = Seen {
                        density: tally.density(remembered.seen.density),
                        ended_share: tally.ended_shares(remembered.seen.ended_share),
                    };
                    let by_status = plan.parts.iter().any(|p| p.listing == Listing::Terminal);
                    let seen = tally.statuses_seen;
                    remembered
                        .statuses
                        .visited(by_status, plan.statuses, seen, visit_started);
                }
                Err(err) => {
                    // What it handed over is unknown: count the whole allowance spent.
                    allowance.spend(allowance.available());
                    failed |= logged(&flow.flow_name, &err);
                }
            }
        }
        tracing::debug!(
            account = %account_id,
            flows = visited,
            waiting_flows = flows.len(),
            pages,
            took_ms = round_started.elapsed().as_millis() as u64,
            failed,
            "sweep round"
        );
        if failed {
            failures = failures.saturating_add(1);
            tokio::time::sleep(classify::backoff_ceiling(failures)).await;
        } else {
            failures = 0;
        }
    }
}

/// A visit's parts for the debug log: listing, members, estimated calls and
/// the ages (seconds) its window spans.
fn plan_summary(parts: &[Part], now: jiff::Timestamp) -> String {
    let age = |t: Option<jiff::Timestamp>| t.map_or(-1, |t| now.duration_since(t).as_secs());
    parts
        .iter()
        .map(|p| {
            let (low, high) = p.window;
            format!(
                "{:?}:{}:{:.1}:{}-{}",
                p.listing,
                p.members.len(),
                p.calls,
                age(high),
                age(low)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn logged(flow_name: &str, err: &FnfError) -> bool {
    tracing::debug!(
        flow = %flow_name, reason = err.reason(), error = %err,
        "sweep failed"
    );
    true
}

/// The sought executions as `choose::score` counts them.
fn weight(sought: &[Sought]) -> f64 {
    sought
        .iter()
        .map(|s| {
            if s.ending_wanted {
                1.0
            } else {
                choose::STARTING_ONLY_WEIGHT
            }
        })
        .sum()
}

fn starts(sought: &[Sought]) -> Vec<Start> {
    sought
        .iter()
        .map(|s| Start {
            started: s.started,
            starting: s.starting,
        })
        .collect()
}

/// The executions each flow's sweep seeks now.
fn gather<V: CloudViews>(
    tracker: &V,
    account_id: &str,
    members: Vec<Member>,
) -> HashMap<FlowId, FlowSweep> {
    // A slot holder's long-poll may be queued for its token (many slots
    // granted at once): until it is in flight, the sweep covers it too.
    let long_polls_queued = members.first().is_some_and(|member| {
        let quotas = &member.client.config().quotas;
        quotas.backlog(account_id, "DescribeExecution") > QUEUED_LONG_POLLS
    });
    let mut flows: HashMap<FlowId, FlowSweep> = HashMap::new();
    for member in members {
        let Some(read) = tracker.execution_read(&member.key) else {
            continue;
        };
        let ended = read.status.as_deref().is_some_and(phase::is_terminal);
        let starting = read.status.as_deref() == Some(phase::STARTING);
        let wanted_ending = !ended && (!member.holds_slot || long_polls_queued);
        if !wanted_ending && !starting {
            continue;
        }
        let id = (
            member.client.config().endpoint.url().to_string(),
            member.flow_name.clone(),
        );
        let flow = flows.entry(id).or_insert_with(|| FlowSweep {
            client: member.client.clone(),
            flow_name: member.flow_name.clone(),
            sought: Vec::new(),
        });
        flow.sought.push(Sought {
            key: member.key,
            execution_name: member.execution_name,
            started: read.started_time.as_deref().and_then(parse_cloud_time),
            starting,
            ending_wanted: wanted_ending,
        });
    }
    flows
}
