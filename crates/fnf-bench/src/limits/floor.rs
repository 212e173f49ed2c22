//! The floor: the best p99 status lag any scheme could reach for a workload
//! under the documented quotas with the operator's 10% headroom. Pure
//! arithmetic over the model written out in docs/benchmarks.md ("The floor"),
//! unit-tested on cases small enough to work out by hand.

use super::repaging::AgeSlice;
use super::repaging_bound::repaging_bound;
use super::{DESCRIBE_QUOTA_PER_SEC, LIST_QUOTA_PER_SEC};
use crate::args::LONG_POLL_WAIT_SECS;
use fnf_client::quota::START_EXECUTION_RATE;
use fnf_operator::config::OPERATOR_QUOTA_SHARE;

/// Items on one ListExecutions page.
pub const PAGE_ITEMS: f64 = 100.0;
/// The quantile the floor is for.
const QUANTILE: f64 = 0.99;

/// Long-polls the headroom-reduced DescribeExecution quota keeps waiting
/// when each holds its call for the whole wait: S = 0.9 × 5/s × 60 s.
pub fn slots() -> f64 {
    describe_calls_per_sec() * f64::from(LONG_POLL_WAIT_SECS)
}

/// DescribeExecution calls a second: 0.9 × 5/s.
pub fn describe_calls_per_sec() -> f64 {
    OPERATOR_QUOTA_SHARE * DESCRIBE_QUOTA_PER_SEC
}

/// ListExecutions pages a second: L = 0.9 × 2/s.
pub fn pages_per_sec() -> f64 {
    OPERATOR_QUOTA_SHARE * LIST_QUOTA_PER_SEC
}

/// One account's workload as the floor sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct FloorInput {
    /// Each flow's share of the executions (and of the endings); sums to 1.
    pub flow_shares: Vec<f64>,
    /// Executions ending a second.
    pub endings_per_sec: f64,
    /// DescribeExecution calls it takes to keep a long-poll waiting on one
    /// execution for its whole run: ⌈run / 60 s⌉ on average (steady state),
    /// or live ÷ (60 × endings/s) where every run is long (the S slots).
    pub long_polls_per_execution: f64,
    /// Share of endings no long-poll can be waiting for whatever the scheme
    /// (a mass start's first seconds, before B + Q·t first calls are placed).
    pub unplaceable_share: f64,
    /// A burst: endings arrive at `endings_per_sec` for this long only, so
    /// pages that fall behind catch up afterwards (`None`: steady state).
    pub burst_secs: Option<f64>,
    /// The run-time distribution by age, for the re-paging bound of a steady
    /// state (empty: no such bound, as for a burst).
    pub run_ages: Vec<AgeSlice>,
}

/// What the model found for one account.
#[derive(Clone, Debug, PartialEq)]
pub struct Floor {
    /// Flows wholly held by long-polls: their endings have no lag and need no page.
    pub covered_flows: usize,
    /// Flows some of whose endings must be found by a page.
    pub paged_flows: usize,
    /// Share of all endings a long-poll answers at once.
    pub zero_lag_share: f64,
    /// Paged endings a second, and the pages a second they fill at 100 a page.
    pub paged_endings_per_sec: f64,
    /// A round-robin round over the paged flows (one page each, more for
    /// flows with over 100 endings a round), seconds; `None`: never finishes.
    pub round_secs: Option<f64>,
    /// The least p99 the re-paging bound alone allows, final statuses
    /// charged (`None`: not applied).
    pub repaging_secs: Option<f64>,
    /// Pages a DescribeExecution call is worth where that bound binds: what
    /// a final status costs an ending found by its absence from a `Running`
    /// listing (`None`: not applied).
    pub repaging_describe_in_pages: Option<f64>,
    /// The floor: the best p99 lag any page schedule reaches; `None` when
    /// pages cannot keep up with the endings in a steady state.
    pub p99_secs: Option<f64>,
}

/// Flow k's (live, endings/s) after the slots: covered flows are left out.
struct Paged {
    endings: Vec<f64>,
    covered: usize,
    zero_lag_share: f64,
}

/// The DescribeExecution budget goes to whole flows, smallest first (a flow
/// wholly held needs no page at all), at `long_polls_per_execution` calls per
/// ending; the rest to a random sample of the other flows' executions, whose
/// endings it answers at once.
fn assign_slots(input: &FloorInput) -> Paged {
    let total = input.endings_per_sec;
    let per_ending = input.long_polls_per_execution.max(f64::EPSILON);
    let mut order: Vec<f64> = input.flow_shares.clone();
    order.sort_by(f64::total_cmp);
    let mut used = 0.0;
    let mut covered = 0;
    for share in &order {
        let cost = share * total * per_ending;
        if used + cost > describe_calls_per_sec() {
            break;
        }
        used += cost;
        covered += 1;
    }
    let uncovered_endings: f64 = order[covered..].iter().map(|s| s * total).sum();
    let held = if uncovered_endings > 0.0 {
        ((describe_calls_per_sec() - used) / per_ending / uncovered_endings).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let mut endings: Vec<f64> = order[covered..]
        .iter()
        .map(|share| share * total * (1.0 - held))
        .collect();
    let mut zero_lag_share = if total > 0.0 {
        1.0 - endings.iter().sum::<f64>() / total
    } else {
        1.0
    };
    // Endings before any long-poll can be placed need pages in every flow.
    if 1.0 - zero_lag_share < input.unplaceable_share {
        endings = order
            .iter()
            .map(|share| share * total * input.unplaceable_share)
            .collect();
        covered = 0;
        zero_lag_share = 1.0 - input.unplaceable_share;
    }
    endings.retain(|e| *e > 0.0);
    endings.sort_by(|a, b| b.total_cmp(a));
    Paged {
        endings,
        covered,
        zero_lag_share,
    }
}

/// Whether every paged flow holding the endings that must be found within
/// `x` seconds can be visited every `x` seconds (a partly needed flow less
/// often) while all the others are still paged eventually, within L pages/s.
/// A flow visited u times a second with e endings a second costs
/// max(u, e/100) pages a second.
fn schedule_fits(paged: &[f64], must_find: f64, x: f64) -> bool {
    let mut cost: f64 = paged.iter().map(|e| e / PAGE_ITEMS).sum();
    let mut remaining = must_find;
    for &e in paged {
        if remaining <= 0.0 {
            break;
        }
        let taken = e.min(remaining);
        let visits = (taken / e) / x;
        cost += (visits - e / PAGE_ITEMS).max(0.0);
        remaining -= taken;
    }
    cost <= pages_per_sec()
}

/// A round-robin round: R = Σ max(1, ⌈e·R/100⌉) / L, by fixed point.
fn round_secs(paged: &[f64]) -> Option<f64> {
    if paged.iter().sum::<f64>() / PAGE_ITEMS >= pages_per_sec() {
        return None;
    }
    let mut round = paged.len() as f64 / pages_per_sec();
    for _ in 0..1000 {
        let pages: f64 = paged
            .iter()
            .map(|e| (e * round / PAGE_ITEMS).ceil().max(1.0))
            .sum();
        let next = pages / pages_per_sec();
        if (next - round).abs() < 1e-9 {
            break;
        }
        round = next;
    }
    Some(round)
}

pub fn floor(input: &FloorInput) -> Floor {
    let paged = assign_slots(input);
    let paged_endings: f64 = paged.endings.iter().sum();
    let mut out = Floor {
        covered_flows: paged.covered,
        paged_flows: paged.endings.len(),
        zero_lag_share: paged.zero_lag_share,
        paged_endings_per_sec: paged_endings,
        round_secs: round_secs(&paged.endings),
        repaging_secs: None,
        repaging_describe_in_pages: None,
        p99_secs: Some(0.0),
    };
    if paged.zero_lag_share >= QUANTILE || paged.endings.is_empty() {
        return out;
    }
    let must_find = (QUANTILE - paged.zero_lag_share) * input.endings_per_sec;
    let page_capacity = pages_per_sec() * PAGE_ITEMS;
    if paged_endings >= page_capacity {
        // Pages fall behind. In a burst the backlog drains after it; first
        // come first served, the ending a share q of the way through the
        // burst waits q·T·(E'/(100·L) − 1), plus a round's wait to be paged.
        out.p99_secs = input.burst_secs.map(|burst| {
            let q = must_find / paged_endings;
            let round = paged.endings.len() as f64 / pages_per_sec();
            q * burst * (paged_endings / page_capacity - 1.0) + round
        });
        return out;
    }
    // The cost of a deadline x falls as x grows: bisect for the least x that fits.
    let (mut low, mut high) = (0.0_f64, 1e7_f64);
    for _ in 0..200 {
        let mid = (low + high) / 2.0;
        if schedule_fits(&paged.endings, must_find, mid) {
            high = mid;
        } else {
            low = mid;
        }
    }
    // A steady state's pages also read what they read before, and an ending
    // seen missing from a `Running` listing still costs a describe for its
    // final status. That bound weighs all the executions and both budgets
    // itself (long-polls included), so it does not take the split above as
    // given: describes spent on final statuses are not there for long-polls.
    if input.burst_secs.is_none() && !input.run_ages.is_empty() {
        let flow_starts: Vec<f64> = input
            .flow_shares
            .iter()
            .map(|share| share * input.endings_per_sec)
            .collect();
        let bound = repaging_bound(&input.run_ages, &flow_starts, QUANTILE);
        out.repaging_secs = Some(bound.secs);
        out.repaging_describe_in_pages = Some(bound.describe_in_pages);
        out.p99_secs = Some(high.max(bound.secs));
    } else {
        out.p99_secs = Some(high);
    }
    out
}

/// The mass start's floor, seconds from applying N FlowExecutions to the last
/// StartExecution: the larger of the StartExecution quota (its burst, then
/// 0.9 × 100/s; the operator's bucket starts empty, so no burst) and the
/// apiserver's writes (the creation and the three writes a start needs, at
/// `write_cpu_secs` each over `cores`).
pub fn mass_start_floor_secs(n: usize, write_cpu_secs: f64, cores: usize) -> MassStartFloor {
    let n = n as f64;
    let quota = n / (OPERATOR_QUOTA_SHARE * START_EXECUTION_RATE.per_second);
    let apiserver = n * f64::from(WRITES_PER_START) * write_cpu_secs / cores.max(1) as f64;
    MassStartFloor { quota, apiserver }
}

/// The creation, the execution name recorded before StartExecution, the
/// finalizer, the started status.
pub const WRITES_PER_START: u32 = 4;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MassStartFloor {
    pub quota: f64,
    pub apiserver: f64,
}

impl MassStartFloor {
    pub fn secs(&self) -> f64 {
        self.quota.max(self.apiserver)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "floor_tests.rs"]
mod tests;
