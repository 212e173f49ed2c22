use super::*;

/// Runs uniform over 100–200 s: F rises from 0 to 1 over those ages, an
/// ending share of 1/100 a second of age.
fn uniform_100_200(a: f64) -> f64 {
    ((200.0 - a) / 100.0).clamp(0.0, 1.0)
}

/// Long-polls on a run of 100–200 s: 1 + 1 + 0.8 + 0.2 calls (one from each
/// minute it reaches).
const UNIFORM_100_200_LONG_POLLS: f64 = 3.0;

fn prices(deadline_secs: f64, describe_in_pages: f64) -> Prices {
    Prices {
        deadline_secs,
        describe_in_pages,
        long_polls_per_execution: UNIFORM_100_200_LONG_POLLS,
    }
}

fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-6, "got {got}, want {want}");
}

#[test]
fn slices_hold_every_ending_and_the_seconds_each_listing_reads() {
    // ∫F over 100–200 s is the triangle's 50 s; ∫S the first 100 s whole and
    // the other triangle's 50.
    let slices = age_slices(uniform_100_200, 200.0, 1_000);
    close(slices.iter().map(|s| s.ending_share).sum(), 1.0);
    close(slices.iter().map(|s| s.ended_secs).sum(), 50.0);
    close(slices.iter().map(|s| s.live_secs).sum(), 150.0);
}

// In the three cases below, with t = F(a) = (a − 100)/100 and a visit every
// x = 2 s, a second of age costs a terminal-status visit t/(100·2) pages and
// a `Running` one S(a + 2)/(100·2) = max(0, 0.98 − t)/200 pages plus μ/100
// (its 1/100 of the endings each need a describe): per execution started a
// second, (1/2)∫₀¹ min(t, max(0, 0.98 − t) + 2μ) dt. Holding it instead
// costs μ·3.

#[test]
fn a_dear_describe_leaves_only_terminal_status_listings() {
    // μ = 0.5: the `Running` visit's max(0, 0.98 − t) + 1 is never below t,
    // so every age is listed by terminal status, (1/2)·(1/2) = 0.25; holding
    // costs 1.5.
    let slices = age_slices(uniform_100_200, 200.0, 1_000);
    close(least_weighted_cost(&slices, prices(2.0, 0.5), 1.0), 0.25);
}

#[test]
fn a_cheap_describe_makes_running_listings_pay_for_the_oldest_runs() {
    // μ = 0.1: min(t, 1.18 − t) switches at t = 0.59 (ages 159–200 by
    // `Running` listing): ∫₀^0.59 t + ∫_0.59^0.98 (1.18 − t) + ∫_0.98^1 0.2 =
    // 0.17405 + 0.15405 + 0.004, half of which is 0.16605, against 0.25 by
    // terminal status alone. Holding: 0.3.
    let slices = age_slices(uniform_100_200, 200.0, 1_000);
    close(
        least_weighted_cost(&slices, prices(2.0, 0.1), 1.0),
        0.166_05,
    );
}

#[test]
fn a_nearly_free_describe_holds_every_run_by_long_poll() {
    // μ = 0.01: holding costs 0.03 an execution; listing about half of
    // ∫ min(t, max(0, 0.98 − t) + 0.02) ≈ 0.25.
    let slices = age_slices(uniform_100_200, 200.0, 1_000);
    close(least_weighted_cost(&slices, prices(2.0, 0.01), 1.0), 0.03);
}

#[test]
fn the_quantile_skips_the_dearest_endings() {
    // μ = 10: terminal status everywhere, a cost per ending ∝ t, so the 1%
    // skipped are t = 0.99–1: (1/2)∫₀^0.99 t dt = 0.245025. Holding one
    // execution (30) never pays back the 0.25 its visits cost.
    let slices = age_slices(uniform_100_200, 200.0, 1_000);
    close(
        least_weighted_cost(&slices, prices(2.0, 10.0), 0.99),
        0.245_025,
    );
}

#[test]
fn a_caps_point_mass_costs_nothing_to_find() {
    // Every run is cut at 50 s: nothing ends before (F = 0: a terminal-status
    // visit reads nothing), all at the cap, in the last slice of 0.5 s.
    let capped = |a: f64| if a < 50.0 { 1.0 } else { 0.0 };
    let slices = age_slices(capped, 50.0, 100);
    close(slices.iter().map(|s| s.ending_share).sum(), 1.0);
    let cost = least_weighted_cost(&slices, prices(2.0, 1.0), 1.0);
    assert!(cost < 0.5 / (100.0 * 2.0), "{cost}");
}
