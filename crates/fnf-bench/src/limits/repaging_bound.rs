//! The re-paging bound itself (docs/benchmarks.md, "The floor", step 6): two
//! budgets, L pages and B DescribeExecution calls a second, shared by
//! listings, final statuses and long-polls. For any price μ ≥ 0 of a describe
//! in pages a feasible schedule has pages + μ·describes ≤ L + μ·B, so a
//! deadline x is out of reach as soon as one μ makes the least weighted cost
//! (repaging::least_weighted_cost) exceed L + μ·B. The bound is the least x
//! no μ rules out.

use super::floor::{describe_calls_per_sec, pages_per_sec};
use super::repaging::{AgeSlice, Prices, least_weighted_cost};

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

/// The bound for `endings_per_sec` (= executions started a second in a
/// steady state) of runs whose ages `slices` describe, a share `quantile`
/// of them to be found within it.
pub fn repaging_bound(
    slices: &[AgeSlice],
    endings_per_sec: f64,
    long_polls_per_execution: f64,
    quantile: f64,
) -> RepagingBound {
    let excess = |deadline_secs: f64, describe_in_pages: f64| {
        let prices = Prices {
            deadline_secs,
            describe_in_pages,
            long_polls_per_execution,
        };
        endings_per_sec * least_weighted_cost(slices, prices, quantile)
            - describe_calls_per_sec() * describe_in_pages
    };
    // The weighted cost is a least over schedules of sums linear in μ, so
    // concave in μ, and so is the excess: one maximum, found by golden
    // section over ln μ (unimodal still).
    let worst_price = |deadline: f64| {
        let (mut low, mut high) = (LEAST_PRICE.ln(), MOST_PRICE.ln());
        let ratio = (5.0_f64.sqrt() - 1.0) / 2.0;
        let mut a = high - ratio * (high - low);
        let mut b = low + ratio * (high - low);
        let (mut excess_a, mut excess_b) = (excess(deadline, a.exp()), excess(deadline, b.exp()));
        for _ in 0..60 {
            if excess_a >= excess_b {
                high = b;
                (b, excess_b) = (a, excess_a);
                a = high - ratio * (high - low);
                excess_a = excess(deadline, a.exp());
            } else {
                low = a;
                (a, excess_a) = (b, excess_b);
                b = low + ratio * (high - low);
                excess_b = excess(deadline, b.exp());
            }
        }
        if excess_a >= excess_b {
            (a.exp(), excess_a)
        } else {
            (b.exp(), excess_b)
        }
    };
    let fits = |deadline: f64| worst_price(deadline).1 <= pages_per_sec();
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
        describe_in_pages: worst_price(low.exp()).0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::repaging::age_slices;

    // Runs uniform over 100–200 s, t = F(a) = (a − 100)/100: with a visit
    // every x, a second of age costs t/(100·x) pages by terminal status, or
    // S(a + x)/(100·x) = max(0, 1 − x/100 − t)/(100·x) pages and 1/100 of a
    // describe by `Running` listing.

    #[test]
    fn describes_left_over_buy_running_listings_for_the_oldest_runs() {
        // 15 endings/s, all to be found. 4.5 describes/s give final statuses
        // to 4.5/15 = 30% of the endings: the oldest, t = 0.7–1, by `Running`
        // listing; the rest by terminal status. Pages: 15/x · (∫₀^0.7 t dt +
        // ∫_0.7^(1−x/100) (1 − x/100 − t) dt) = 15 × (0.245 + (0.3 −
        // x/100)²/2)/x = 1.8, x = 2.35999 s (2.08333 s with final statuses
        // free: 15 × 0.25/1.8). The price that shows it: a describe saves
        // (t − (1 − x/100 − t))/x = (0.4 + x/100)/x pages at t = 0.7. Long-
        // polls do not pay: 3 calls a run at that price, 1.27/x, against the
        // 0.41/x pages and describes its visits cost.
        let slices = age_slices(uniform, 200.0, 1_000);
        let bound = repaging_bound(&slices, 15.0, 3.0, 1.0);
        let mut x: f64 = 2.0;
        for _ in 0..100 {
            x = 15.0 * (0.245 + (0.3 - x / 100.0) * (0.3 - x / 100.0) / 2.0) / 1.8;
        }
        assert!((x - 2.359_99).abs() < 1e-5, "{x}");
        assert!((bound.secs - x).abs() < 1e-4, "{bound:?}");
        // Within a slice's width of that: which listing a slice gets moves
        // by slices of 0.002 in t.
        assert!(
            (bound.describe_in_pages * x / (0.4 + x / 100.0) - 1.0).abs() < 1e-2,
            "{bound:?}"
        );
    }

    #[test]
    fn a_tight_describe_budget_leaves_running_listings_the_oldest_runs_only() {
        // 150 endings/s of the same runs: 4.5 describes/s give final statuses
        // to 3% of them, t = 0.97–1, and by then x/100 is past 0.03, so those
        // `Running` visits read nothing (every run started then is over a
        // deadline later). Pages: 150 × 0.97²/2 / x = 1.8, x = 39.2042 s,
        // against 41.6667 s by terminal status alone (150 × 0.5/1.8) and
        // 20.8333 s with final statuses free. A describe is worth the 0.97/x
        // pages a terminal-status visit reads for that ending; holding a run
        // (3 calls) costs 2.91/x against the 0.4995/x its visits and
        // describes cost.
        let slices = age_slices(uniform, 200.0, 1_000);
        let bound = repaging_bound(&slices, 150.0, 3.0, 1.0);
        let x = 150.0 * 0.97 * 0.97 / 2.0 / 1.8;
        assert!((bound.secs - x).abs() < 1e-4, "{bound:?} against {x}");
        assert!(
            (bound.describe_in_pages * x / 0.97 - 1.0).abs() < 1e-2,
            "{bound:?}"
        );
    }

    fn uniform(a: f64) -> f64 {
        ((200.0 - a) / 100.0).clamp(0.0, 1.0)
    }

    #[test]
    fn long_polls_alone_answer_runs_they_can_all_hold() {
        // 1 run a second of 100–200 s at 3 calls each: 3 of the 4.5 calls a
        // second hold them all, whatever the deadline.
        let slices = age_slices(uniform, 200.0, 1_000);
        assert_eq!(repaging_bound(&slices, 1.0, 3.0, 0.99).secs, 0.0);
    }
}
