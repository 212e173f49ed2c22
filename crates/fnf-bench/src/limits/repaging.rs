//! The re-paging bound's cost side (docs/benchmarks.md, "The floor", step 6):
//! a ListExecutions page selects by flow, start time and status, never by
//! "not yet seen". So a visit to the executions started in one second reads
//! every ended one (a terminal-status listing, F(a) of them at age a) or every
//! live one (a `Running` listing, S(a) = 1 − F(a)), and an ending found by its
//! absence from a `Running` listing still needs its final status: one
//! DescribeExecution call, from the budget long-polls also use. Pages and
//! describe calls are two budgets; this module prices a describe at μ pages
//! and finds the least weighted cost of a schedule. Pure arithmetic, so it is
//! checked by hand.

use super::floor::PAGE_ITEMS;
use crate::args::LONG_POLL_WAIT_SECS;

/// One slice of run ages, as a steady state's pages see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AgeSlice {
    /// The share of all runs that end at an age inside the slice.
    pub ending_share: f64,
    /// ∫ F(a) da over the slice: the seconds of start time a terminal-status
    /// visit every second reads per execution started a second.
    pub ended_secs: f64,
    /// ∫ S(a) da over the slice: the same for a `Running` visit.
    pub live_secs: f64,
    /// The slice's width in age.
    pub age_secs: f64,
}

/// `steps` equal slices of [0, horizon] from the run time's survival
/// function S(a) = P(run > a); a cap's point mass falls in the last slice.
pub fn age_slices(survival: impl Fn(f64) -> f64, horizon: f64, steps: u32) -> Vec<AgeSlice> {
    let width = horizon / f64::from(steps.max(1));
    (0..steps.max(1))
        .map(|i| {
            let (low, high) = (f64::from(i) * width, f64::from(i + 1) * width);
            // Simpson's rule: exact for the piecewise-linear uniform case
            // within a slice, and close for smooth ones.
            let live =
                width / 6.0 * (survival(low) + 4.0 * survival((low + high) / 2.0) + survival(high));
            AgeSlice {
                ending_share: (survival(low) - survival(high)).max(0.0),
                ended_secs: width - live,
                live_secs: live,
                age_secs: width,
            }
        })
        .collect()
}

/// What a schedule is weighed by: a deadline and a describe call's price.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prices {
    /// Every ending counted must have its final status within this many seconds.
    pub deadline_secs: f64,
    /// Pages a DescribeExecution call is worth (μ).
    pub describe_in_pages: f64,
}

/// The least pages + μ·describes a second, per execution started a second,
/// of any schedule giving a share `quantile` of the endings their final
/// status within the deadline x. Each slice of ages of each start second is
/// either left to the 1% not counted, or, for every run it holds:
///
/// - visited every x by terminal status: F(a)/(100·x) pages a second of age;
/// - visited every x by `Running` listing: S(a + x)/(100·x) pages, plus μ
///   for each ending found by its absence (its final status);
/// - held by DescribeExecution: each live run has a call waiting or made
///   within x of its ending, μ·S(a)/(60 + x) a second of age (a long-poll
///   waits 60 s, and an ending just after it is still found in time by the
///   next call up to x later).
///
/// Those are lower bounds: the visit that finds an ending at age a comes at
/// an age in [a, a + x], when at least F(a) runs have ended and at least
/// S(a + x) are live, and visits with gaps of at most x, each charged x
/// seconds of age (before it for F, after it for S, both monotone), cover
/// every age they find endings at; one call covers at most 60 + x seconds
/// of one run. The slices are a fractional knapsack, cheapest per ending
/// first.
pub fn least_weighted_cost(slices: &[AgeSlice], prices: Prices, quantile: f64) -> f64 {
    cheapest_first(slices, prices).cost_of_share(quantile.clamp(0.0, 1.0))
}

/// The slices' cheapest visits, ordered by cost per ending, with running sums.
struct Knapsack {
    /// (ending share, weighted cost) summed over the cheapest slices so far.
    cumulative: Vec<(f64, f64)>,
}

impl Knapsack {
    /// The least weighted cost of finding a share `q` of the endings; ∞ when
    /// the slices hold less than that.
    fn cost_of_share(&self, q: f64) -> f64 {
        if q <= 0.0 {
            return 0.0;
        }
        // The slices' shares sum to 1 only up to rounding; past that, short.
        let Some(&(all_shares, all_costs)) = self.cumulative.last() else {
            return f64::INFINITY;
        };
        if q >= all_shares {
            return if q - all_shares < 1e-9 {
                all_costs
            } else {
                f64::INFINITY
            };
        }
        let after = self.cumulative.partition_point(|&(share, _)| share < q);
        let Some(&(share, cost)) = self.cumulative.get(after) else {
            return f64::INFINITY;
        };
        let (share_before, cost_before) = match after {
            0 => (0.0, 0.0),
            i => self.cumulative[i - 1],
        };
        let part = (q - share_before) / (share - share_before);
        cost_before + part * (cost - cost_before)
    }
}

/// One slice's least cost at a pair of prices, per execution started a
/// second: pages + μ·describes a second for its ages of every start second.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SliceCost {
    pub ending_share: f64,
    /// The cheapest of terminal-status visits, `Running` visits and held,
    /// in a flow a listing visits every x.
    pub visited: f64,
    /// Held: the only way in a flow no listing visits.
    pub unvisited: f64,
}

/// Every slice that holds endings, priced (see `least_weighted_cost`).
pub fn slice_costs(slices: &[AgeSlice], prices: Prices) -> Vec<SliceCost> {
    let visits_per_sec = 1.0 / (PAGE_ITEMS * prices.deadline_secs);
    let live_later = live_secs_later(slices, prices.deadline_secs);
    let calls_cover_secs = f64::from(LONG_POLL_WAIT_SECS) + prices.deadline_secs;
    slices
        .iter()
        .zip(live_later)
        .filter(|(s, _)| s.ending_share > 0.0)
        .map(|(s, live)| {
            let terminal = s.ended_secs * visits_per_sec;
            let running = live * visits_per_sec + prices.describe_in_pages * s.ending_share;
            let held = prices.describe_in_pages * s.live_secs / calls_cover_secs;
            SliceCost {
                ending_share: s.ending_share,
                visited: terminal.min(running).min(held),
                unvisited: held,
            }
        })
        .collect()
}

fn cheapest_first(slices: &[AgeSlice], prices: Prices) -> Knapsack {
    let mut priced: Vec<(f64, f64)> = slice_costs(slices, prices)
        .into_iter()
        .map(|c| (c.ending_share, c.visited))
        .collect();
    priced.sort_by(|a, b| (a.1 / a.0).total_cmp(&(b.1 / b.0)));
    let mut running_sum = (0.0, 0.0);
    let cumulative = priced
        .into_iter()
        .map(|(share, cost)| {
            running_sum = (running_sum.0 + share, running_sum.1 + cost);
            running_sum
        })
        .collect();
    Knapsack { cumulative }
}

/// ∫ S(a + shift) da over each slice, from the running sum of the slices'
/// ∫ S (linear within a slice, nothing past the last one: its horizon is
/// where runs are over).
fn live_secs_later(slices: &[AgeSlice], shift: f64) -> Vec<f64> {
    // (age, ∫₀^age S) at each slice's start.
    let mut starts = Vec::with_capacity(slices.len());
    let (mut age, mut live) = (0.0, 0.0);
    for slice in slices {
        starts.push((age, live));
        age += slice.age_secs;
        live += slice.live_secs;
    }
    let (horizon, all_live) = (age, live);
    let mut next = 0;
    let mut live_until = |age: f64| {
        if age >= horizon {
            return all_live;
        }
        while next + 1 < starts.len() && starts[next + 1].0 <= age {
            next += 1;
        }
        let (start, live_before) = starts[next];
        let slice = &slices[next];
        live_before + slice.live_secs * (age - start) / slice.age_secs.max(f64::MIN_POSITIVE)
    };
    let mut from = live_until(shift);
    starts
        .iter()
        .zip(slices)
        .map(|(&(start, _), slice)| {
            let to = live_until(start + slice.age_secs + shift);
            let live = to - from;
            from = to;
            live
        })
        .collect()
}

#[cfg(test)]
#[path = "repaging_tests.rs"]
mod tests;
