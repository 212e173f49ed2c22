//! A scenario's executions, drawn once from its seed: which account and flow
//! each belongs to, when it is created and how long it runs. Pure, so a seed
//! gives the same workload on every machine.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::args::ScenarioSpec;
use super::shape::{Arrivals, Durations};

/// One FlowExecution the scenario creates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlannedExecution {
    pub index: usize,
    pub account: usize,
    /// Index of the flow within its account.
    pub flow: usize,
    /// Seconds after the live count is first reached (0: part of it).
    pub start_at_secs: f64,
    pub wait_secs: f64,
    /// How long it has been running when started (a steady state's live
    /// count): the emulator backdates its StartedTime by this much.
    pub age_secs: f64,
}

/// Runs shorter than this are drawn as this: the flow's Wait state and the
/// start itself take about that long anyway.
const SHORTEST_WAIT_SECS: f64 = 1.0;

/// The cloud flow for `flow` of `account` (flows are per account, so one
/// account's listings never hold another's executions).
pub fn flow_name(account: usize, flow: usize) -> String {
    format!("bench-a{account}-f{flow:03}")
}

pub fn object_name(index: usize) -> String {
    format!("fe-{index:06}")
}

/// The size executions that make up the live count at the start, then (steady
/// arrivals) those arriving within `horizon_secs` after, in creation order.
pub fn plan(spec: &ScenarioSpec, seed: u64, horizon_secs: f64) -> Vec<PlannedExecution> {
    let shape = spec.shape;
    let mut rng = StdRng::seed_from_u64(seed);
    let cumulative: Vec<f64> = shape
        .skew
        .shares(shape.flows)
        .iter()
        .scan(0.0, |sum, share| {
            *sum += share;
            Some(*sum)
        })
        .collect();
    let mut out = Vec::with_capacity(spec.size);
    let mut push = |rng: &mut StdRng, start_at_secs: f64, (age_secs, wait_secs): (f64, f64)| {
        let index = out.len();
        let u: f64 = rng.random();
        let flow = cumulative
            .iter()
            .position(|c| u < *c)
            .unwrap_or(shape.flows.saturating_sub(1));
        out.push(PlannedExecution {
            index,
            account: index % shape.accounts.max(1),
            flow,
            start_at_secs,
            wait_secs: wait_secs.max(SHORTEST_WAIT_SECS),
            age_secs,
        });
    };
    let steady = matches!(shape.arrivals, Arrivals::Steady { .. });
    for _ in 0..spec.size {
        let run = if steady {
            caught_run(shape.durations, &mut rng)
        } else {
            (0.0, shape.durations.sample(rng.random(), rng.random()))
        };
        push(&mut rng, 0.0, run);
    }
    if let Some(rate) = shape.arrival_rate(spec.size).filter(|_| steady) {
        let mut t = 0.0;
        loop {
            let u: f64 = rng.random();
            t += -(1.0 - u).ln() / rate;
            if t > horizon_secs {
                break;
            }
            let wait = shape.durations.sample(rng.random(), rng.random());
            push(&mut rng, t, (0.0, wait));
        }
    }
    out
}

/// A run caught at a random moment of a steady state, as (its age, what is
/// left of it): runs are caught in proportion to their length
/// (length-biased), at a uniform point of it. Starting the live count this
/// way, backdated by its age, makes endings arrive at their steady rate from
/// the first second and start-time windows hold the ages they would, as if
/// the account had been running for hours.
fn caught_run(durations: Durations, rng: &mut StdRng) -> (f64, f64) {
    let whole = match (durations, durations.max()) {
        // Rejection against the longest run: accept d with probability d/max.
        (_, Some(max)) => loop {
            let d = durations.sample(rng.random(), rng.random());
            if rng.random::<f64>() * max < d {
                break d;
            }
        },
        // An uncapped lognormal's length-biased law is lognormal with the
        // median times e^{σ²}.
        (Durations::LogNormal { median, sigma, .. }, None) => Durations::LogNormal {
            median: median * (sigma * sigma).exp(),
            sigma,
            cap: None,
        }
        .sample(rng.random(), rng.random()),
        (Durations::Uniform { .. }, None) => durations.sample(rng.random(), rng.random()),
    };
    let age = whole * rng.random::<f64>();
    (age, whole - age)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::args::Strategy;
    use crate::shape::{FlowSkew, Shape};

    fn spec(size: usize, shape: Shape) -> ScenarioSpec {
        ScenarioSpec {
            size,
            strategy: Strategy::LongPoll,
            shape,
        }
    }

    fn steady() -> Shape {
        Shape {
            flows: 4,
            skew: FlowSkew::Zipf(1.0),
            durations: Durations::Uniform {
                min: 10.0,
                max: 30.0,
            },
            arrivals: Arrivals::Steady { rate: None },
            accounts: 2,
        }
    }

    #[test]
    fn a_seed_gives_the_same_workload_and_another_seed_another() {
        let s = spec(200, steady());
        assert_eq!(plan(&s, 7, 60.0), plan(&s, 7, 60.0));
        assert_ne!(plan(&s, 7, 60.0), plan(&s, 8, 60.0));
    }

    #[test]
    fn a_burst_starts_everything_at_once_with_whole_runs() {
        let p = plan(&spec(500, Shape::classic(20.0, 60.0)), 1, 600.0);
        assert_eq!(p.len(), 500);
        assert!(p.iter().all(|e| e.start_at_secs == 0.0 && e.flow == 0));
        assert!(p.iter().all(|e| (20.0..=60.0).contains(&e.wait_secs)));
    }

    #[test]
    fn steady_arrivals_keep_the_live_count_and_follow_the_skew() {
        let s = spec(2000, steady());
        let p = plan(&s, 3, 100.0);
        // live ÷ mean = 2000 / 20 = 100/s over 100 s, about 10,000 arrivals.
        let arrived = p.iter().filter(|e| e.start_at_secs > 0.0).count();
        assert!((9_000..11_000).contains(&arrived), "{arrived}");
        // Remaining runs of uniform 10–30 s average E[D²]/2E[D] = 10.83 s.
        let initial: Vec<&PlannedExecution> = p.iter().take(2000).collect();
        let mean = initial.iter().map(|e| e.wait_secs).sum::<f64>() / 2000.0;
        assert!((mean - 10.83).abs() < 0.6, "{mean}");
        // Each is caught at a point of a whole run: its age and what is left
        // make one of 10–30 s (or what is left is the 1 s shortest wait).
        let ages = initial.iter().map(|e| e.age_secs).sum::<f64>() / 2000.0;
        assert!((ages - 10.83).abs() < 0.6, "{ages}");
        assert!(initial.iter().all(|e| {
            let whole = e.age_secs + e.wait_secs;
            (10.0..=31.0).contains(&whole)
        }));
        assert!(p.iter().skip(2000).all(|e| e.age_secs == 0.0));
        // Zipf(1) over 4 flows: the first holds 12/25 of the executions.
        let first = p.iter().filter(|e| e.flow == 0).count() as f64 / p.len() as f64;
        assert!((first - 0.48).abs() < 0.02, "{first}");
        assert!(p.iter().all(|e| e.account == e.index % 2));
    }
}
