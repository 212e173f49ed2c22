//! The re-paging bound itself (docs/benchmarks.md, "The floor", step 6): two
//! budgets, L pages and B DescribeExecution calls a second, shared by
//! listings, final statuses and long-polls; and a ListExecutions call reads
//! one flow, so a flow a listing visits every x costs a call every x however
//! little it holds. Two prices fold the constraints into one sum: μ pages a
//! describe, λ pages an ending counted. A schedule within both budgets that
//! counts a share q of the E endings a second has
//!
//!   pages + μ·(describes − B) − λ·(counted − q·E) ≤ L,
//!
//! and the left side is at least Σ over flows of that flow's least pages +
//! μ·describes − λ·counted, plus λ·q·E − μ·B. So a deadline x is out of reach
//! as soon as one pair (μ, λ) makes that exceed L (weak duality). The bound
//! is the least x that no pair rules out.

use super::floor::{describe_calls_per_sec, pages_per_sec};
use super::repaging::{AgeSlice, Prices, slice_costs};

/// The least p99 the re-paging bound allows, and the describe price that
/// rules out anything faster.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RepagingBound {
    pub secs: f64,
    /// Pages a DescribeExecution call is worth at the bound (μ); 0 when the
    /// bound is 0.
    pub describe_in_pages: f64,
}

/// The range of describe prices searched (pages a call): below it describes
/// are as good as free, above it listings alone would do.
const LEAST_PRICE: f64 = 1e-6;
const MOST_PRICE: f64 = 1e6;
/// The range of deadlines searched, seconds.
const SHORTEST_DEADLINE: f64 = 1e-6;
const LONGEST_DEADLINE: f64 = 1e7;
/// A price is searched on a grid over its logarithm, then refined by golden
/// section between the best point's neighbours: the dual is concave in each
/// price for one flow, but a flow's call per visit makes it only piecewise
/// so for several. Whatever pair the search finds, the bound it shows holds.
const GRID_POINTS: usize = 32;
const GOLDEN_STEPS: usize = 40;

/// The bound for flows starting `flow_starts_per_sec` executions a second
/// each (in a steady state also their endings a second), of runs whose ages
/// `slices` describe, a share `quantile` of all endings to be found within it.
pub fn repaging_bound(
    slices: &[AgeSlice],
    flow_starts_per_sec: &[f64],
    quantile: f64,
) -> RepagingBound {
    let worst = |deadline_secs: f64| {
        let excess = |ln_price: f64| {
            let prices = Prices {
                deadline_secs,
                describe_in_pages: ln_price.exp(),
            };
            Dual::new(slices, prices).most(flow_starts_per_sec, quantile)
                - describe_calls_per_sec() * prices.describe_in_pages
        };
        let (ln_price, excess) = most_over(excess, LEAST_PRICE.ln(), MOST_PRICE.ln());
        (ln_price.exp(), excess)
    };
    let fits = |deadline: f64| worst(deadline).1 <= pages_per_sec();
    if fits(SHORTEST_DEADLINE) {
        return RepagingBound {
            secs: 0.0,
            describe_in_pages: 0.0,
        };
    }
    // Every price's cost falls as the deadline grows: bisect over ln x.
    let (mut low, mut high) = (SHORTEST_DEADLINE.ln(), LONGEST_DEADLINE.ln());
    for _ in 0..50 {
        let mid = (low + high) / 2.0;
        if fits(mid.exp()) {
            high = mid;
        } else {
            low = mid;
        }
    }
    // The largest deadline found out of reach, so the bound never claims more
    // than is shown; the price is the one that rules it out.
    RepagingBound {
        secs: low.exp(),
        describe_in_pages: worst(low.exp()).0,
    }
}

/// The greatest of `f` over [low, high] as the search finds it: a grid,
/// then golden section between the best grid point's neighbours.
fn most_over(f: impl Fn(f64) -> f64, low: f64, high: f64) -> (f64, f64) {
    let step = (high - low) / (GRID_POINTS - 1) as f64;
    let (mut best, mut best_value) = (low, f(low));
    for i in 1..GRID_POINTS {
        let at = low + step * i as f64;
        let value = f(at);
        if value > best_value {
            (best, best_value) = (at, value);
        }
    }
    let (mut low, mut high) = ((best - step).max(low), (best + step).min(high));
    let ratio = (5.0_f64.sqrt() - 1.0) / 2.0;
    let mut a = high - ratio * (high - low);
    let mut b = low + ratio * (high - low);
    let (mut value_a, mut value_b) = (f(a), f(b));
    for _ in 0..GOLDEN_STEPS {
        if value_a >= value_b {
            high = b;
            (b, value_b) = (a, value_a);
            a = high - ratio * (high - low);
            value_a = f(a);
        } else {
            low = a;
            (a, value_a) = (b, value_b);
            b = low + ratio * (high - low);
            value_b = f(b);
        }
    }
    [(a, value_a), (b, value_b), (best, best_value)]
        .into_iter()
        .fold((best, f64::NEG_INFINITY), |most, point| {
            if point.1 > most.1 { point } else { most }
        })
}

/// Σ over slices of min(0, cost − λ·share), per execution started a second,
/// for any λ: the slices worth counting at λ are those whose cost per ending
/// is under it, so sorted by that a prefix sum answers.
struct Gain {
    per_ending: Vec<f64>,
    /// (cost, share) summed over the first i slices, i = 0..=n.
    sums: Vec<(f64, f64)>,
}

impl Gain {
    fn new(mut priced: Vec<(f64, f64)>) -> Self {
        priced.sort_by(|a, b| (a.0 / a.1).total_cmp(&(b.0 / b.1)));
        let mut sum = (0.0, 0.0);
        let mut sums = vec![sum];
        sums.extend(priced.iter().map(|&(cost, share)| {
            sum = (sum.0 + cost, sum.1 + share);
            sum
        }));
        Self {
            per_ending: priced.iter().map(|(cost, share)| cost / share).collect(),
            sums,
        }
    }

    fn at(&self, ending_price: f64) -> f64 {
        let (cost, share) = self.sums[self.per_ending.partition_point(|r| *r < ending_price)];
        cost - ending_price * share
    }
}

/// The dual at one deadline and describe price, as a function of λ.
struct Dual {
    visited: Gain,
    unvisited: Gain,
    ending_shares: f64,
    /// A visit's one call, pages a second.
    visit_pages: f64,
    /// Where λ is searched: every slice's cost per ending lies inside.
    ln_range: (f64, f64),
}

impl Dual {
    fn new(slices: &[AgeSlice], prices: Prices) -> Self {
        let costs = slice_costs(slices, prices);
        let per_ending = costs
            .iter()
            .flat_map(|c| [c.visited / c.ending_share, c.unvisited / c.ending_share])
            .filter(|r| *r > 0.0 && r.is_finite());
        let (least, most) =
            per_ending.fold((f64::INFINITY, 0.0_f64), |(l, m), r| (l.min(r), m.max(r)));
        let visit_pages = 1.0 / prices.deadline_secs;
        Self {
            visited: Gain::new(costs.iter().map(|c| (c.visited, c.ending_share)).collect()),
            unvisited: Gain::new(
                costs
                    .iter()
                    .map(|c| (c.unvisited, c.ending_share))
                    .collect(),
            ),
            ending_shares: costs.iter().map(|c| c.ending_share).sum(),
            visit_pages,
            ln_range: ((least.min(1.0) * 1e-3).ln(), (most.max(1.0) * 1e3).ln()),
        }
    }

    /// Σ over flows of each one's least pages + μ·describes − λ·counted,
    /// plus λ·q·E. A flow is visited every x (a call each time, and its
    /// items: at least the larger of the two) or not at all (held or
    /// skipped); a schedule that visits it part of the time mixes the two
    /// linearly, so the smaller is the least.
    fn at(&self, flows: &[f64], quantile: f64, ending_price: f64) -> f64 {
        let (visited, unvisited) = (
            self.visited.at(ending_price),
            self.unvisited.at(ending_price),
        );
        let least: f64 = flows
            .iter()
            .map(|&starts| {
                let call_each_visit = self.visit_pages - ending_price * starts * self.ending_shares;
                (starts * unvisited).min(call_each_visit.max(starts * visited))
            })
            .sum();
        least + ending_price * quantile * flows.iter().sum::<f64>()
    }

    /// The dual at the worst λ.
    fn most(&self, flows: &[f64], quantile: f64) -> f64 {
        // A visit's call per ending of the smallest flow bounds λ too.
        let smallest = flows
            .iter()
            .copied()
            .filter(|s| *s > 0.0)
            .fold(f64::INFINITY, f64::min);
        let (low, high) = self.ln_range;
        let high = high.max((self.visit_pages / smallest * 1e3).ln());
        most_over(|ln| self.at(flows, quantile, ln.exp()), low, high).1
    }
}

#[cfg(test)]
#[path = "repaging_bound_tests.rs"]
mod tests;
