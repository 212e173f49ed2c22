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
    let bound = repaging_bound(&slices, &[15.0], 1.0);
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
    let bound = repaging_bound(&slices, &[3.0], 1.0);
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
    assert_eq!(repaging_bound(&slices, &[1.0], 0.99).secs, 0.0);
}

#[test]
fn every_flow_a_listing_visits_costs_a_call_each_visit() {
    // 20 alike flows of 0.75 runs a second, runs uniform over 100–200 s, 99%
    // to be found. A visit every x reads 0.75 × 50 = 37.5 ended runs, under
    // a page, so a visited flow costs its call, 1/x, and finds all its
    // endings. Holding a whole flow instead takes 0.75 × 50/(60 + x)
    // describes a second (its runs from age 100, when they can first end).
    // The 1% skipped are the endings dearest to hold: a held flow's youngest,
    // ages 100 to 100 + w, 0.75·w/100 of an ending a second each. With h
    // flows held: pages (20 − h)/x = 1.8; skipped h·0.75·w/100 = 0.15;
    // describes h·0.75·(100 − w)²/(200(60 + x)) = 4.5. Counting items only
    // (the bound before calls were charged) gives far less.
    let describes = |x: f64| {
        let held = 20.0 - 1.8 * x;
        let w = 20.0 / held;
        held * 0.75 * (100.0 - w).powi(2) / (200.0 * (60.0 + x))
    };
    let (mut low, mut high) = (5.0, 8.0);
    for _ in 0..100 {
        let mid = (low + high) / 2.0;
        if describes(mid) > 4.5 {
            low = mid;
        } else {
            high = mid;
        }
    }
    let x: f64 = high;
    assert!((x - 6.461).abs() < 1e-3, "{x}");
    let slices = age_slices(uniform, 200.0, 1_000);
    let bound = repaging_bound(&slices, &[0.75; 20], 0.99);
    assert!((bound.secs / x - 1.0).abs() < 1e-3, "{bound:?} against {x}");
    let items_only = repaging_bound(&slices, &[15.0], 0.99);
    assert!(items_only.secs < 1.0, "{items_only:?}");
}

#[test]
fn flows_held_whole_need_no_visit() {
    // 50 flows of 0.02 runs a second (1 in all): holding every run from age
    // 100 takes 50/(60 + x) of the 4.5 describes, so no flow is visited.
    let slices = age_slices(uniform, 200.0, 1_000);
    assert_eq!(repaging_bound(&slices, &[0.02; 50], 0.99).secs, 0.0);
}
