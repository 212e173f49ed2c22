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
    // One flow, runs uniform over 100–200 s, 15 endings/s (10/s before final
    // statuses were charged; the case of repaging_bound's tests, with 99%).
    // Step 5 alone: m = 3, 1.5 endings/s held, 13.5 paged, 13.35/s to find:
    // (13.35/13.5)/1.8 = 0.55 s. Re-paging, t = F(a) = (a − 100)/100: a
    // second of age costs t/(100·x) pages by terminal status, or (1 − t)/(60
    // + x) describes held; the 1% skipped sit where the cost per ending
    // peaks, [t₁, t₁ + 0.01]. Describes: 15 × 100(0.99 − t₁)²/(2(60 + x)) =
    // 4.5; pages: 15 × t₁²/(2x) = 1.8. Together: t₁ = 0.38689, x = 0.62368 s
    // (2.08 s before: final statuses free, but long-polls held whole runs
    // picked at random, and every held run was still listed).
    let mut input = steady(2250.0, 1, 15.0);
    input.long_polls_per_execution = 3.0;
    input.run_ages = repaging::age_slices(|a| ((200.0 - a) / 100.0).clamp(0.0, 1.0), 200.0, 1_000);
    let f = floor(&input);
    let mut repaging: f64 = 0.5;
    for _ in 0..100 {
        let held_from = 1.0 - (0.006 * (60.0 + repaging)).sqrt();
        let t1 = held_from - 0.01;
        repaging = 15.0 * t1 * t1 / 3.6;
    }
    assert!((repaging - 0.623_68).abs() < 1e-5, "{repaging}");
    close(f.repaging_secs, repaging);
    // Step 5's 0.55 s is below it.
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
