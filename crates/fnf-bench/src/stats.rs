//! Lag statistics with censoring: an execution whose end was not seen before
//! its scenario closed contributes only a lower bound, and any quantile that
//! such a bound could still move is reported as "at least". Pure.

use std::fmt;

/// One execution's status lag, in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LagSample {
    pub secs: f64,
    /// False: the end was not seen in time, `secs` is a lower bound.
    pub seen: bool,
}

/// A quantile, exact or only a lower bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quantile {
    pub secs: f64,
    pub at_least: bool,
}

impl fmt::Display for Quantile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = if self.at_least { "≥" } else { "" };
        if self.secs < 10.0 {
            write!(f, "{prefix}{:.2}", self.secs)
        } else {
            write!(f, "{prefix}{:.0}", self.secs)
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LagSummary {
    pub p50: Quantile,
    pub p90: Quantile,
    pub p99: Quantile,
    pub max: Quantile,
    /// Share of executions whose end was not seen in time (0–1).
    pub unseen_share: f64,
}

/// Nearest-rank quantile of `samples` (any order). A censored sample at or
/// below the chosen value could really lie above it, so the value is then
/// only a lower bound.
pub fn quantile(samples: &[LagSample], p: f64) -> Option<Quantile> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted: Vec<LagSample> = samples.to_vec();
    sorted.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    let rank = (p.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    let chosen = sorted[rank.clamp(1, sorted.len()) - 1].secs;
    let at_least = sorted.iter().any(|s| !s.seen && s.secs <= chosen);
    Some(Quantile {
        secs: chosen,
        at_least,
    })
}

pub fn summarize(samples: &[LagSample]) -> Option<LagSummary> {
    let unseen = samples.iter().filter(|s| !s.seen).count();
    Some(LagSummary {
        p50: quantile(samples, 0.50)?,
        p90: quantile(samples, 0.90)?,
        p99: quantile(samples, 0.99)?,
        max: quantile(samples, 1.0)?,
        unseen_share: unseen as f64 / samples.len() as f64,
    })
}

/// The empirical CDF of the seen lags over all samples: (lag, share of all
/// executions seen with at most that lag). It tops out below 1 by the unseen share.
pub fn seen_cdf(samples: &[LagSample]) -> Vec<(f64, f64)> {
    let mut seen: Vec<f64> = samples.iter().filter(|s| s.seen).map(|s| s.secs).collect();
    seen.sort_by(f64::total_cmp);
    let total = samples.len() as f64;
    seen.iter()
        .enumerate()
        .map(|(i, &secs)| (secs, (i + 1) as f64 / total))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn seen(secs: f64) -> LagSample {
        LagSample { secs, seen: true }
    }

    fn unseen(secs: f64) -> LagSample {
        LagSample { secs, seen: false }
    }

    #[test]
    fn quantiles_of_fully_seen_samples_are_exact_nearest_ranks() {
        let samples: Vec<LagSample> = (1..=100).map(|i| seen(f64::from(i))).collect();
        let summary = summarize(&samples).unwrap();
        assert_eq!(
            summary.p50,
            Quantile {
                secs: 50.0,
                at_least: false
            }
        );
        assert_eq!(summary.p90.secs, 90.0);
        assert_eq!(summary.p99.secs, 99.0);
        assert_eq!(summary.max.secs, 100.0);
        assert_eq!(summary.unseen_share, 0.0);
    }

    #[test]
    fn a_censored_sample_below_a_quantile_makes_it_a_lower_bound() {
        let mut samples: Vec<LagSample> = (1..=9).map(|i| seen(f64::from(i))).collect();
        samples.push(unseen(5.5));
        let summary = summarize(&samples).unwrap();
        // p50 = 5: the censored 5.5 lies above it whatever its true value.
        assert!(!summary.p50.at_least);
        // p90 = 8, but the censored sample (≥ 5.5) may really be above 8.
        assert!(summary.p90.at_least);
        assert!(summary.max.at_least);
        assert!((summary.unseen_share - 0.1).abs() < 1e-9);
    }

    #[test]
    fn the_cdf_counts_unseen_executions_in_its_denominator() {
        let cdf = seen_cdf(&[seen(2.0), seen(1.0), unseen(9.0), unseen(9.0)]);
        assert_eq!(cdf, vec![(1.0, 0.25), (2.0, 0.5)]);
    }

    #[test]
    fn a_lower_bound_is_displayed_as_such() {
        let q = Quantile {
            secs: 240.4,
            at_least: true,
        };
        assert_eq!(q.to_string(), "≥240");
        let exact = Quantile {
            secs: 0.123,
            at_least: false,
        };
        assert_eq!(exact.to_string(), "0.12");
    }
}
