//! The re-paging bound (docs/benchmarks.md, "The floor", step 6): a
//! ListExecutions page selects by flow, start time and status, never by "not
//! yet seen". So a visit to the executions started in one second reads every
//! ended one (a terminal-status listing) or every live one (a `Running`
//! listing, whose absences reveal endings); at age a that is λ·min(F(a), S(a))
//! items, F the share of runs over by then and S = 1 − F. Finding the endings
//! at age a within x seconds means visiting their start second every x
//! seconds while it is that old. Pure arithmetic, so it is checked by hand.

/// One slice of run ages, as a steady state's pages see it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AgeSlice {
    /// The share of all runs that end at an age inside the slice.
    pub ending_share: f64,
    /// ∫ min(F(a), S(a)) da over the slice: the seconds of start time a visit
    /// every second reads per execution started a second.
    pub listed_secs: f64,
}

/// `steps` equal slices of [0, horizon] from the run time's survival
/// function S(a) = P(run > a); a cap's point mass falls in the last slice.
pub fn age_slices(survival: impl Fn(f64) -> f64, horizon: f64, steps: u32) -> Vec<AgeSlice> {
    let width = horizon / f64::from(steps.max(1));
    (0..steps.max(1))
        .map(|i| {
            let (low, high) = (f64::from(i) * width, f64::from(i + 1) * width);
            let at = |a: f64| {
                let s = survival(a);
                s.min(1.0 - s)
            };
            // Simpson's rule: exact for the piecewise-linear uniform case
            // within a slice, and close for smooth ones.
            let listed = width / 6.0 * (at(low) + 4.0 * at((low + high) / 2.0) + at(high));
            AgeSlice {
                ending_share: (survival(low) - survival(high)).max(0.0),
                listed_secs: listed,
            }
        })
        .collect()
}

/// The fewest seconds of start time (per execution started a second) the
/// visits must read so that a share `q` of the endings is found within x,
/// times x: the cheapest slices per ending first, the last one in part (a
/// fractional knapsack, whose greedy answer is the optimum).
pub fn cheapest_listed_secs(slices: &[AgeSlice], q: f64) -> f64 {
    let mut order: Vec<&AgeSlice> = slices.iter().filter(|s| s.ending_share > 0.0).collect();
    order.sort_by(|a, b| {
        (a.listed_secs / a.ending_share).total_cmp(&(b.listed_secs / b.ending_share))
    });
    let mut needed = q.clamp(0.0, 1.0);
    let mut listed = 0.0;
    for slice in order {
        if needed <= 0.0 {
            break;
        }
        let taken = slice.ending_share.min(needed);
        listed += slice.listed_secs * taken / slice.ending_share;
        needed -= taken;
    }
    listed
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs uniform over 100–200 s.
    fn uniform_100_200(a: f64) -> f64 {
        ((200.0 - a) / 100.0).clamp(0.0, 1.0)
    }

    #[test]
    fn every_ending_of_uniform_runs_costs_the_triangle_under_min_f_s() {
        // min(F, S) rises from 0 at 100 s to 0.5 at 150 s and falls to 0 at
        // 200 s: 25 s of start time.
        let slices = age_slices(uniform_100_200, 200.0, 10_000);
        let total: f64 = slices.iter().map(|s| s.ending_share).sum();
        assert!((total - 1.0).abs() < 1e-9);
        assert!((cheapest_listed_secs(&slices, 1.0) - 25.0).abs() < 1e-6);
    }

    #[test]
    fn the_cheapest_endings_are_the_earliest_and_the_latest() {
        // Half the endings: ages 100–125 and 175–200, where min(F, S) ≤ 0.25,
        // 2 × ∫₀²⁵ t/100 dt = 6.25 s.
        let slices = age_slices(uniform_100_200, 200.0, 10_000);
        assert!((cheapest_listed_secs(&slices, 0.5) - 6.25).abs() < 1e-6);
        // Skipping the dearest 1% (149.5–150.5 s) saves 2 × ∫₀^0.5 (0.5 − t/100) dt.
        let saved = 2.0 * (0.25 - 0.00125);
        assert!((cheapest_listed_secs(&slices, 0.99) - (25.0 - saved)).abs() < 1e-4);
    }

    #[test]
    fn a_caps_point_mass_costs_nothing_to_find() {
        // Every run is cut at 50 s: nothing ends before, all at the cap, and
        // no visit reads anything (F = 0 before the cap, S = 0 from it).
        let capped = |a: f64| if a < 50.0 { 1.0 } else { 0.0 };
        let slices = age_slices(capped, 50.0, 100);
        assert!((slices.iter().map(|s| s.ending_share).sum::<f64>() - 1.0).abs() < 1e-12);
        assert_eq!(cheapest_listed_secs(&slices, 1.0), 0.0);
    }
}
