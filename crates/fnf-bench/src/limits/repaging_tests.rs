use super::*;

/// Runs uniform over 100–200 s: F rises from 0 to 1 over those ages, an
/// ending share of 1/100 a second of age.
fn uniform_100_200(a: f64) -> f64 {
    ((200.0 - a) / 100.0).clamp(0.0, 1.0)
}

fn prices(deadline_secs: f64, describe_in_pages: f64) -> Prices {
    Prices {
        deadline_secs,
        describe_in_pages,
    }
}

fn close(got: f64, want: f64) {
    assert!((got - want).abs() < 1e-5, "got {got}, want {want}");
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

// Below, with t = F(a) = (a − 100)/100, a visit every x = 2 s and c = μ·x,
// a second of age costs, over 100·x pages, t by terminal status, max(0, 0.98
// − t) + c by `Running` listing (S two seconds later; its 1/100 of the
// endings each need a describe), or K(1 − t) held, K = c·100/62 (a call
// covers 60 + 2 s of a live run). Per run started a second that is (1/2)∫₀¹
// of the least. Held is under c wherever t > 0.38, and there a `Running`
// listing costs c at least: it never pays. ∫₀¹ min(t, K(1 − t)) dt is
// t*²/2 + K(1 − t*)²/2 with t* = K/(1 + K), i.e. K/(2(1 + K)).

#[test]
fn a_dear_describe_holds_only_the_oldest_runs() {
    // μ = 0.5: K = 1.6129, held from t* = 0.617 on; K/(2(1 + K))/2 = 0.154321.
    let slices = age_slices(uniform_100_200, 200.0, 1_000);
    close(
        least_weighted_cost(&slices, prices(2.0, 0.5), 1.0),
        0.154_321,
    );
}

#[test]
fn a_nearly_free_describe_holds_nearly_every_run() {
    // μ = 0.01: K = 0.032258, held from t* = 0.03125 on: 0.0078125.
    let slices = age_slices(uniform_100_200, 200.0, 1_000);
    close(
        least_weighted_cost(&slices, prices(2.0, 0.01), 1.0),
        0.007_812_5,
    );
}

#[test]
fn the_quantile_skips_the_dearest_endings() {
    // μ = 10: K = 32.258. The cost per ending peaks at t*; the 1% skipped is
    // [t₁, t₁ + 0.01] with t₁ = K(1 − t₁ − 0.01), t₁ = 0.99K/(1 + K): what
    // is left costs t₁²/2 + K(0.99 − t₁)²/2 = 0.99²·K/(2(1 + K)), halved:
    // 0.237658.
    let slices = age_slices(uniform_100_200, 200.0, 1_000);
    close(
        least_weighted_cost(&slices, prices(2.0, 10.0), 0.99),
        0.237_658,
    );
}

#[test]
fn running_listings_pay_where_runs_rarely_end() {
    // Runs uniform over 100–1100 s: 1/1000 end a second of age, so holding
    // the live ones costs more per ending, and the `Running` listing's
    // describes less. With t = (a − 100)/1000, x = 2 s, μ = 0.5 (c = 1), s =
    // 0.002, over 100·x pages a second of age: t by terminal status, 1 − s
    // − t + 0.1c by `Running` listing, 1.6129c(1 − t) held. Terminal status
    // up to t₁ = (1 − s + 0.1c)/2 = 0.549, `Running` up to t₂ = 1 − (0.1c −
    // s)/(1.6129c − 1) = 0.840105, held after: per run started (1000/(100·
    // 2))·(t₁²/2 + ((1 − s − t₁)² − (1 − s − t₂)²)/2 + 0.1c(t₂ − t₁) +
    // 1.6129c(1 − t₂)²/2) = 5 × 0.288764 = 1.443821.
    let slices = age_slices(|a| ((1100.0 - a) / 1000.0).clamp(0.0, 1.0), 1100.0, 5_500);
    close(
        least_weighted_cost(&slices, prices(2.0, 0.5), 1.0),
        1.443_821,
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
