//! The floor: the best p99 status lag any scheme could reach for a workload
//! under the documented quotas with the operator's 10% headroom. Pure
//! arithmetic over the model written out in docs/benchmarks.md ("The floor"),
//! unit-tested on cases small enough to work out by hand.

use super::repaging::{AgeSlice, cheapest_listed_secs};
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
    /// The least p99 the re-paging bound alone allows (`None`: not applied).
    pub repaging_secs: Option<f64>,
    /// The floor: the best p99 lag any page schedule reaches; `None` when
    /// pages cannot keep up with the endings in a steady state.
    pub p99_secs: Option<f64>,
}

/// Flow k's (live, endings/s) after the slots: covered flows are left out.
struct Paged {
    endings: Vec<f64>,
    /// Executions of the paged flows started a second, held ones included:
    /// a page lists them all.
    started: f64,
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
    let mut started = uncovered_endings;
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
        started = total;
    }
    endings.retain(|e| *e > 0.0);
    endings.sort_by(|a, b| b.total_cmp(a));
    Paged {
        endings,
        started,
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
    // A steady state's pages also read what they read before: the visits
    // that find a share q of the paged endings within x read at least
    // started/s × cheapest_listed_secs(q) / 100 pages every x seconds.
    if input.burst_secs.is_none() && !input.run_ages.is_empty() {
        let q = must_find / paged_endings;
        let repaging =
            paged.started * cheapest_listed_secs(&input.run_ages, q) / PAGE_ITEMS / pages_per_sec();
        out.repaging_secs = Some(repaging);
        out.p99_secs = Some(high.max(repaging));
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
mod tests {
    use super::*;
    use crate::limits::repaging;

    /// Runs long next to the 60 s wait: a long-poll per minute of run, so the
    /// budget keeps S = 270 executions held (live ÷ (60 × endings/s) each).
    fn steady(live: f64, flows: usize, endings_per_sec: f64) -> FloorInput {
        FloorInput {
            flow_shares: vec![1.0 / flows as f64; flows],
            endings_per_sec,
            long_polls_per_execution: live / (60.0 * endings_per_sec),
            unplaceable_share: 0.0,
            burst_secs: None,
            run_ages: Vec::new(),
        }
    }

    fn close(got: Option<f64>, want: f64) {
        let got = got.unwrap();
        assert!((got - want).abs() < 1e-4, "got {got}, want {want}");
    }

    #[test]
    fn slots_and_pages_are_the_quotas_less_the_headroom() {
        assert!((slots() - 270.0).abs() < 1e-9);
        assert!((pages_per_sec() - 1.8).abs() < 1e-9);
    }

    #[test]
    fn one_large_flow_is_paged_every_visit_the_quota_allows() {
        // 270 of 1000 held: 27% of the 10/s endings answered at once, 7.3/s
        // paged. 99% needs 7.2/s of them found within x: one flow visited
        // 1/x a second finds a share x·u = 7.2/7.3 → u = 0.98630/x ≤ 1.8.
        let f = floor(&steady(1000.0, 1, 10.0));
        assert_eq!((f.covered_flows, f.paged_flows), (0, 1));
        assert!((f.zero_lag_share - 0.27).abs() < 1e-9);
        close(f.p99_secs, (7.2 / 7.3) / 1.8);
        close(f.round_secs, 1.0 / 1.8);
    }

    #[test]
    fn small_flows_go_wholly_to_slots_and_the_rest_share_the_pages() {
        // 10 flows of 200 live, 2 endings/s each. One flow fits the 270 slots
        // whole; the other 70 hold 70/1800 of the rest. Nine flows paged at
        // 2·(1 − 70/1800) = 1.92222/s each; zero-lag share 1 − 17.3/20 = 0.135.
        // 99% needs (0.99 − 0.135)·20 = 17.1/s: eight whole flows and 0.89595
        // of the ninth, each visited every x s: (8 + 0.89595)/x ≤ 1.8.
        let f = floor(&steady(2000.0, 10, 20.0));
        assert_eq!((f.covered_flows, f.paged_flows), (1, 9));
        assert!((f.zero_lag_share - 0.135).abs() < 1e-9);
        close(f.p99_secs, (8.0 + 1.7222222 / 1.9222222) / 1.8);
        // Round robin instead: nine pages a round, 5 s.
        close(f.round_secs, 5.0);
    }

    #[test]
    fn flows_that_all_fit_the_slots_have_no_lag() {
        let f = floor(&steady(250.0, 5, 5.0));
        assert_eq!((f.covered_flows, f.paged_flows), (5, 0));
        assert_eq!(f.p99_secs, Some(0.0));
    }

    #[test]
    fn short_runs_spend_the_describe_budget_on_first_calls() {
        // 300 live, 10 alike flows, 10 endings/s, every run under a minute:
        // one call each. 4.5 calls/s hold four whole flows (1/s each) and half
        // an ending a second of the other six (6/s): z = 0.45, the six flows
        // paged at 11/12 = 0.91667/s. 99% needs (0.99 − 0.45)·10 = 5.4/s
        // within x: five whole flows (4.58333/s) and 0.81667/0.91667 = 0.89091
        // of the sixth, (5 + 0.89091)/x ≤ 1.8.
        let mut input = steady(300.0, 10, 10.0);
        input.long_polls_per_execution = 1.0;
        let f = floor(&input);
        assert_eq!((f.covered_flows, f.paged_flows), (4, 6));
        assert!((f.zero_lag_share - 0.45).abs() < 1e-9);
        close(
            f.p99_secs,
            (5.0 + (5.4 - 5.0 * 11.0 / 12.0) / (11.0 / 12.0)) / 1.8,
        );
    }

    #[test]
    fn a_steady_states_pages_read_again_what_they_read_before() {
        // One flow, 10 endings/s, runs uniform over 100–200 s: m = 1 + 1 +
        // 0.8 + 0.2 = 3 long-polls a run, so 4.5 calls/s hold h = 0.15 of
        // them; 8.5/s paged and 8.4/s to find, q = 8.4/8.5 of them. The pages
        // alone would allow (8.4/8.5)/1.8 = 0.55 s; but a visit reads 10/s ×
        // ∫min(F, S) of start time. min(F, S) peaks at 0.5 at 150 s; the 1 − q
        // skipped there span 2w, w = (1 − q)·100/2, and save 2(0.5w − w²/200)
        // of the whole triangle's 25 s.
        let mut input = steady(1000.0, 1, 10.0);
        input.long_polls_per_execution = 3.0;
        input.run_ages =
            repaging::age_slices(|a| ((200.0 - a) / 100.0).clamp(0.0, 1.0), 200.0, 10_000);
        let f = floor(&input);
        let w = (1.0 - 8.4 / 8.5) * 100.0 / 2.0;
        let listed = 25.0 - 2.0 * (0.5 * w - w * w / 200.0);
        let repaging = 10.0 * listed / 100.0 / 1.8;
        close(f.repaging_secs, repaging);
        close(f.p99_secs, repaging);
    }

    #[test]
    fn endings_beyond_what_pages_carry_have_no_steady_floor() {
        // 200/s paged against 1.8 × 100 = 180 items a second.
        let f = floor(&steady(100_000.0, 1, 200.0));
        assert_eq!((f.p99_secs, f.round_secs), (None, None));
    }

    #[test]
    fn a_burst_beyond_the_pages_drains_first_come_first_served() {
        // 10,000 over 20–60 s: 250 endings/s for 40 s, 2.7% on slots, 243.25/s
        // paged against 180/s. p99 is the ending 0.98972 of the way through:
        // 0.98972·40·(243.25/180 − 1) + one page's wait 1/1.8.
        let mut input = steady(10_000.0, 1, 250.0);
        input.burst_secs = Some(40.0);
        let f = floor(&input);
        let q = (0.99 - 0.027) * 250.0 / 243.25;
        close(f.p99_secs, q * 40.0 * (243.25 / 180.0 - 1.0) + 1.0 / 1.8);
    }

    #[test]
    fn a_mass_starts_unplaceable_endings_are_paged_even_when_slots_suffice() {
        // 250 over 20–60 s started together: 10% end before any long-poll can
        // wait for them. 90% answered at once; 99% needs 0.9 of the paged
        // flow's endings within x, one flow: 0.9/x ≤ 1.8.
        let mut input = steady(250.0, 1, 250.0 / 40.0);
        input.unplaceable_share = 0.10;
        input.burst_secs = Some(40.0);
        let f = floor(&input);
        assert!((f.zero_lag_share - 0.9).abs() < 1e-9);
        close(f.p99_secs, 0.5);
    }

    #[test]
    fn a_mass_start_waits_for_the_start_quota_or_the_apiserver() {
        // 10,000 at 90/s; 4 writes each at 3 ms on 2 cores: 60 s.
        let f = mass_start_floor_secs(10_000, 0.003, 2);
        assert!((f.quota - 111.111).abs() < 1e-3);
        assert!((f.apiserver - 60.0).abs() < 1e-9);
        assert!((f.secs() - 111.111).abs() < 1e-3);
    }
}
