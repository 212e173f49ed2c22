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
pub fn repaging_bound(slices: &[AgeSlice], endings_per_sec: f64, quantile: f64) -> RepagingBound {
    let excess = |deadline_secs: f64, describe_in_pages: f64| {
        let prices = Prices {
            deadline_secs,
            describe_in_pages,
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

    fn uniform(a: f64) -> f64 {
        ((200.0 - a) / 100.0).clamp(0.0, 1.0)
    }

    #[test]
    fn long_polls_hold_the_oldest_runs_where_endings_come_often() {
        // Runs uniform over 100–200 s, 15 a second, every ending to be found.
        // With t = F(a) = (a − 100)/100, holding the live runs of a second of
        // age costs (1 − t)/(60 + x) describes per run started, and beats a
        // `Running` listing's describe per ending wherever 1 − t < 0.62 (see
        // repaging_tests): terminal status up to t₀, held after. Describes:
        // 15 × 100(1 − t₀)²/(2(60 + x)) = 4.5; pages: 15 × t₀²/(2x) = 1.8.
        // Together: t₀ = 0.39673, x = 0.65581 s. The price that shows it is
        // what a describe saves at t₀: t₀(60 + x)/(100·x·(1 − t₀)) = 0.60824.
        let slices = age_slices(uniform, 200.0, 1_000);
        let bound = repaging_bound(&slices, 15.0, 1.0);
        let mut x: f64 = 0.5;
        let mut t0 = 0.0;
        for _ in 0..100 {
            t0 = 1.0 - (0.006 * (60.0 + x)).sqrt();
            x = 15.0 * t0 * t0 / 3.6;
        }
        assert!((x - 0.655_81).abs() < 1e-5, "{x}");
        assert!((bound.secs - x).abs() < 1e-4, "{bound:?}");
        let price = t0 * (60.0 + x) / (100.0 * x * (1.0 - t0));
        assert!(
            (bound.describe_in_pages / price - 1.0).abs() < 1e-2,
            "{bound:?}"
        );
    }

    #[test]
    fn running_listings_take_describes_where_runs_rarely_end() {
        // Runs uniform over 100–1100 s, 3 a second, all to be found: with t =
        // (a − 100)/1000, s = x/1000, c = μ·x and k = 100/(60 + x), a second of
        // age costs t (terminal status), 1 − s − t + 0.1c (`Running`) or
        // k·c·(1 − t) (held), over 100·x pages. So terminal status up to t₁ =
        // (1 − s + 0.1c)/2, `Running` up to t₂ = 1 − (0.1c − s)/(kc − 1),
        // held after. Describes: 3 × ((t₂ − t₁) + 1000(1 − t₂)²/(2(60 + x)))
        // = 4.5; pages: 3 × (1000/(100·x)) × (t₁²/2 + ((1 − s − t₁)² − (1 − s
        // − t₂)²)/2) = 1.8. Solved: x = 2.65744 s, μ = 0.27448, `Running` for
        // t = 0.535–0.572.
        let describes = |x: f64, c: f64| {
            let (s, k) = (x / 1000.0, 100.0 / (60.0 + x));
            let (t1, t2) = (
                (1.0 - s + 0.1 * c) / 2.0,
                1.0 - (0.1 * c - s) / (k * c - 1.0),
            );
            let d = 3.0 * ((t2 - t1) + 1000.0 * (1.0 - t2).powi(2) / (2.0 * (60.0 + x)));
            let p = 3.0 * (10.0 / x) * (t1 * t1 + (1.0 - s - t1).powi(2) - (1.0 - s - t2).powi(2));
            (d, p / 2.0, t1, t2)
        };
        let price_for = |x: f64| {
            let (mut low, mut high) = ((60.0 + x) / 100.0 * (1.0 + 1e-9), 100.0);
            for _ in 0..200 {
                let mid = (low + high) / 2.0;
                if describes(x, mid).0 > 4.5 {
                    low = mid;
                } else {
                    high = mid;
                }
            }
            high
        };
        let (mut low, mut high) = (0.1, 100.0);
        for _ in 0..200 {
            let mid = (low + high) / 2.0;
            if describes(mid, price_for(mid)).1 > 1.8 {
                low = mid;
            } else {
                high = mid;
            }
        }
        let x: f64 = high;
        let (_, _, t1, t2) = describes(x, price_for(x));
        assert!((x - 2.657_44).abs() < 1e-5, "{x}");
        assert!(t1 < t2, "{t1} {t2}");
        let slices = age_slices(|a| ((1100.0 - a) / 1000.0).clamp(0.0, 1.0), 1100.0, 2_200);
        let bound = repaging_bound(&slices, 3.0, 1.0);
        assert!((bound.secs / x - 1.0).abs() < 1e-3, "{bound:?} against {x}");
        let price = price_for(x) / x;
        assert!(
            (bound.describe_in_pages / price - 1.0).abs() < 1e-2,
            "{bound:?}"
        );
    }

    #[test]
    fn long_polls_alone_answer_runs_they_can_all_hold() {
        // 1 run a second of 100–200 s, 150 s of live run each: at one call a
        // minute, 2.5 of the 4.5 calls a second hold them all, whatever the
        // deadline.
        let slices = age_slices(uniform, 200.0, 1_000);
        assert_eq!(repaging_bound(&slices, 1.0, 0.99).secs, 0.0);
    }
}
