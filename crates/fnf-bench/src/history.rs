//! A steady state's ended history: the runs an account that has run for
//! hours already holds in its start-time windows. Backdating the live count
//! gives the live runs their ages, but without this the windows would hold
//! only the runs ended since the benchmark began, and listing old windows,
//! where a real account keeps thousands of ended runs, would look cheap.
//! Pure: drawn from the seed like the workload.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::args::ScenarioSpec;
use super::shape::{Arrivals, Durations};
use fnf_emulator::PastRun;

/// The oldest start drawn: past the longest run (or, uncapped, past all but
/// about one in a thousand runs) no live run's window reaches, so older
/// ended runs would never be listed. Four hours at most.
const LONGEST_PAST_SECS: f64 = 4.0 * 3600.0;
/// Mixed into the seed: the history has its own random stream, so the
/// workload's draws stay as they were.
const HISTORY_STREAM: u64 = 0x4849_5354;

/// Ended runs of one flow of one account.
#[derive(Clone, Debug, PartialEq)]
pub struct FlowHistory {
    pub account: usize,
    pub flow: usize,
    pub runs: Vec<PastRun>,
}

/// Per account and flow, the runs that started in the last horizon at the
/// steady arrival rate and have ended by now: starts a Poisson stream at each
/// flow's share of the rate, each run drawn from the durations and kept when
/// shorter than its age. Empty for a burst.
pub fn ended_history(spec: &ScenarioSpec, seed: u64) -> Vec<FlowHistory> {
    let shape = spec.shape;
    let Some(rate) = shape
        .arrival_rate(spec.size)
        .filter(|_| matches!(shape.arrivals, Arrivals::Steady { .. }))
    else {
        return Vec::new();
    };
    let horizon = horizon_secs(shape.durations);
    let per_account = rate / shape.accounts.max(1) as f64;
    let mut rng = StdRng::seed_from_u64(seed ^ HISTORY_STREAM);
    let mut out = Vec::new();
    for account in 0..shape.accounts.max(1) {
        for (flow, share) in shape.skew.shares(shape.flows).into_iter().enumerate() {
            let runs = ended_runs(per_account * share, horizon, shape.durations, &mut rng);
            out.push(FlowHistory {
                account,
                flow,
                runs,
            });
        }
    }
    out
}

/// Runs of one flow starting `rate` a second over the last `horizon`
/// seconds (a Poisson stream) that have ended by now.
fn ended_runs(rate: f64, horizon: f64, durations: Durations, rng: &mut StdRng) -> Vec<PastRun> {
    let mut runs = Vec::new();
    if rate <= 0.0 {
        return runs;
    }
    let mut age = 0.0;
    loop {
        let u: f64 = rng.random();
        age += -(1.0 - u).ln() / rate;
        if age > horizon {
            return runs;
        }
        let ran = durations.sample(rng.random(), rng.random());
        if ran < age {
            runs.push(PastRun {
                name: format!("past-{:07}", runs.len()),
                started_secs_ago: age,
                ran_secs: ran,
            });
        }
    }
}

fn horizon_secs(durations: Durations) -> f64 {
    let longest = durations.max().unwrap_or_else(|| match durations {
        Durations::LogNormal { median, sigma, .. } => median * (3.0 * sigma).exp(),
        Durations::Uniform { max, .. } => max,
    });
    longest.min(LONGEST_PAST_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::Strategy;
    use crate::shape::{FlowSkew, Shape};

    fn spec(arrivals: Arrivals) -> ScenarioSpec {
        ScenarioSpec {
            size: 2000,
            strategy: Strategy::LongPoll,
            shape: Shape {
                flows: 4,
                skew: FlowSkew::Uniform,
                durations: Durations::Uniform {
                    min: 100.0,
                    max: 200.0,
                },
                arrivals,
                accounts: 2,
            },
        }
    }

    #[test]
    fn an_account_holds_the_ended_runs_of_its_arrival_rate() {
        // 2,000 live over runs of 150 s on average: 13.33 starts a second,
        // 6.67 an account, 1.67 a flow. Over the 200 s horizon a start of age
        // a has ended with probability F(a) = (a − 100)/100, ∫F = 50 s: about
        // 83 ended runs a flow.
        let history = ended_history(&spec(Arrivals::Steady { rate: None }), 1);
        assert_eq!(history.len(), 8);
        let runs: usize = history.iter().map(|h| h.runs.len()).sum();
        assert!((560..780).contains(&runs), "{runs}");
        for run in history.iter().flat_map(|h| &h.runs) {
            assert!(run.ran_secs < run.started_secs_ago && run.started_secs_ago <= 200.0);
            assert!((100.0..=200.0).contains(&run.ran_secs));
        }
        assert_eq!(
            history,
            ended_history(&spec(Arrivals::Steady { rate: None }), 1)
        );
    }

    #[test]
    fn a_burst_has_no_history() {
        assert!(ended_history(&spec(Arrivals::Burst), 1).is_empty());
    }
}
