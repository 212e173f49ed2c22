//! The shape of a scenario's workload: how its executions are spread over
//! flows and accounts, how long they run and when they arrive. Parsing of the
//! flag grammar and the distributions' arithmetic; pure, so both are tested.

use std::fmt;

use super::BenchError;

/// How a scenario's executions are spread over its flows.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FlowSkew {
    Uniform,
    /// Flow k (1-based) gets a share ∝ 1/k^s.
    Zipf(f64),
}

impl FlowSkew {
    pub fn parse(text: &str) -> Result<Self, BenchError> {
        match text.trim() {
            "uniform" => Ok(Self::Uniform),
            other => other
                .strip_prefix("zipf:")
                .and_then(|s| s.trim().parse::<f64>().ok())
                .filter(|s| s.is_finite() && *s > 0.0)
                .map(Self::Zipf)
                .ok_or_else(|| usage(format!("flow skew {other:?}: uniform or zipf:S (S > 0)"))),
        }
    }

    /// The share of each of `flows` flows, largest first; sums to 1.
    pub fn shares(self, flows: usize) -> Vec<f64> {
        let weights: Vec<f64> = (1..=flows.max(1))
            .map(|k| match self {
                Self::Uniform => 1.0,
                Self::Zipf(s) => 1.0 / (k as f64).powf(s),
            })
            .collect();
        let total: f64 = weights.iter().sum();
        weights.into_iter().map(|w| w / total).collect()
    }
}

impl fmt::Display for FlowSkew {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uniform => write!(f, "uniform"),
            Self::Zipf(s) => write!(f, "zipf:{s}"),
        }
    }
}

/// How long an execution runs, seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Durations {
    Uniform {
        min: f64,
        max: f64,
    },
    /// ln D ~ Normal(ln median, sigma), cut at `cap` if given.
    LogNormal {
        median: f64,
        sigma: f64,
        cap: Option<f64>,
    },
}

fn positive(text: &str, what: &str) -> Result<f64, BenchError> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
        .ok_or_else(|| usage(format!("{what} {text:?} is not a positive number")))
}

impl Durations {
    pub fn parse(text: &str) -> Result<Self, BenchError> {
        let text = text.trim();
        if let Some(range) = text.strip_prefix("uniform:") {
            let (a, b) = range
                .split_once('-')
                .ok_or_else(|| usage(format!("durations {text:?}: uniform:MIN-MAX")))?;
            let (min, max) = (positive(a, "shortest run")?, positive(b, "longest run")?);
            if min > max {
                return Err(usage(format!("durations {text:?}: MIN is above MAX")));
            }
            return Ok(Self::Uniform { min, max });
        }
        let Some(params) = text.strip_prefix("lognormal:") else {
            return Err(usage(format!(
                "durations {text:?}: uniform:MIN-MAX or lognormal:MEDIAN,SIGMA[,cap=C]"
            )));
        };
        let parts: Vec<&str> = params.split(',').collect();
        let (median, sigma, cap) = match parts.as_slice() {
            [m, s] => (m, s, None),
            [m, s, c] => {
                let cap = c
                    .trim()
                    .strip_prefix("cap=")
                    .ok_or_else(|| usage(format!("durations {text:?}: the third part is cap=C")))?;
                (m, s, Some(positive(cap, "cap")?))
            }
            _ => {
                return Err(usage(format!(
                    "durations {text:?}: lognormal:MEDIAN,SIGMA[,cap=C]"
                )));
            }
        };
        Ok(Self::LogNormal {
            median: positive(median, "median")?,
            sigma: positive(sigma, "sigma")?,
            cap,
        })
    }

    /// The longest possible run, if bounded.
    pub fn max(self) -> Option<f64> {
        match self {
            Self::Uniform { max, .. } => Some(max),
            Self::LogNormal { cap, .. } => cap,
        }
    }

    pub fn median(self) -> f64 {
        match self {
            Self::Uniform { min, max } => (min + max) / 2.0,
            Self::LogNormal { median, cap, .. } => cap.map_or(median, |c| median.min(c)),
        }
    }

    /// E[D] (E[min(D, cap)] with a cap): by Little's law, live = arrivals/s × mean.
    pub fn mean(self) -> f64 {
        match self {
            Self::Uniform { min, max } => (min + max) / 2.0,
            Self::LogNormal { median, sigma, cap } => {
                let mu = median.ln();
                let uncapped = (mu + sigma * sigma / 2.0).exp();
                match cap {
                    None => uncapped,
                    Some(c) => {
                        let z = (c.ln() - mu) / sigma;
                        uncapped * normal_cdf(z - sigma) + c * (1.0 - normal_cdf(z))
                    }
                }
            }
        }
    }

    /// One run time from two independent uniform draws in [0, 1).
    pub fn sample(self, u1: f64, u2: f64) -> f64 {
        match self {
            Self::Uniform { min, max } => min + (max - min) * u1,
            Self::LogNormal { median, sigma, cap } => {
                let d = median * (sigma * standard_normal(u1, u2)).exp();
                cap.map_or(d, |c| d.min(c))
            }
        }
    }
}

impl fmt::Display for Durations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uniform { min, max } => write!(f, "uniform:{min}-{max}"),
            Self::LogNormal { median, sigma, cap } => {
                write!(f, "lognormal:{median},{sigma}")?;
                cap.map_or(Ok(()), |c| write!(f, ",cap={c}"))
            }
        }
    }
}

/// Box–Muller: a standard normal from two uniforms in [0, 1).
fn standard_normal(u1: f64, u2: f64) -> f64 {
    let u1 = (1.0 - u1).max(f64::MIN_POSITIVE);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Φ(z), Abramowitz–Stegun 7.1.26 (absolute error < 1.5e-7).
pub fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

/// When a scenario's executions start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Arrivals {
    /// All together.
    Burst,
    /// The live count from the start (each initial execution as if it had
    /// started in the past), then Poisson arrivals at `rate` a second (`None`:
    /// live ÷ mean run time, which keeps the live count level).
    Steady { rate: Option<f64> },
}

impl Arrivals {
    pub fn parse(text: &str) -> Result<Self, BenchError> {
        match text.trim() {
            "burst" => Ok(Self::Burst),
            "steady" => Ok(Self::Steady { rate: None }),
            other => other
                .strip_prefix("steady:")
                .map(|r| positive(r, "arrival rate"))
                .transpose()?
                .map(|rate| Self::Steady { rate: Some(rate) })
                .ok_or_else(|| usage(format!("arrivals {other:?}: burst, steady or steady:RATE"))),
        }
    }
}

impl fmt::Display for Arrivals {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Burst => write!(f, "burst"),
            Self::Steady { rate: None } => write!(f, "steady"),
            Self::Steady { rate: Some(r) } => write!(f, "steady:{r}"),
        }
    }
}

/// Everything about a workload except its size and the poll strategy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Shape {
    /// Flows per account.
    pub flows: usize,
    pub skew: FlowSkew,
    pub durations: Durations,
    pub arrivals: Arrivals,
    /// Credential sets, each an account of its own with its own quotas.
    pub accounts: usize,
}

impl Shape {
    /// The shape of the first benchmark: one flow, one account, all together.
    pub fn classic(wait_min: f64, wait_max: f64) -> Self {
        Self {
            flows: 1,
            skew: FlowSkew::Uniform,
            durations: Durations::Uniform {
                min: wait_min,
                max: wait_max,
            },
            arrivals: Arrivals::Burst,
            accounts: 1,
        }
    }

    pub fn is_classic(&self) -> bool {
        self.flows == 1 && self.accounts == 1 && self.arrivals == Arrivals::Burst
    }

    /// Arrivals (= endings, in the steady state) per second over all accounts.
    pub fn arrival_rate(&self, live: usize) -> Option<f64> {
        match self.arrivals {
            Arrivals::Burst => None,
            Arrivals::Steady { rate: Some(r) } => Some(r),
            Arrivals::Steady { rate: None } => Some(live as f64 / self.durations.mean()),
        }
    }
}

fn usage(text: String) -> BenchError {
    BenchError::Usage(text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_grammar_reads_back_what_it_prints() {
        for text in ["uniform", "zipf:1.1"] {
            assert_eq!(FlowSkew::parse(text).unwrap().to_string(), text);
        }
        for text in [
            "uniform:20-60",
            "lognormal:180,1",
            "lognormal:20,0.5,cap=600",
        ] {
            assert_eq!(Durations::parse(text).unwrap().to_string(), text);
        }
        for text in ["burst", "steady", "steady:12.5"] {
            assert_eq!(Arrivals::parse(text).unwrap().to_string(), text);
        }
        for bad in ["zipf:0", "zipf", "normal"] {
            assert!(FlowSkew::parse(bad).is_err(), "{bad}");
        }
        for bad in [
            "uniform:60-20",
            "lognormal:20",
            "lognormal:20,1,600",
            "fixed:3",
        ] {
            assert!(Durations::parse(bad).is_err(), "{bad}");
        }
        for bad in ["steady:0", "poisson"] {
            assert!(Arrivals::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zipf_shares_fall_as_one_over_k_to_the_s() {
        let shares = FlowSkew::Zipf(1.0).shares(3);
        // 1 : 1/2 : 1/3 over 11/6.
        let expected = [6.0 / 11.0, 3.0 / 11.0, 2.0 / 11.0];
        for (got, want) in shares.iter().zip(expected) {
            assert!((got - want).abs() < 1e-12, "{shares:?}");
        }
        assert_eq!(FlowSkew::Uniform.shares(4), vec![0.25; 4]);
    }

    #[test]
    fn a_lognormal_mean_is_its_median_times_exp_half_sigma_squared_less_the_cap() {
        let d = Durations::parse("lognormal:100,1").unwrap();
        assert!((d.mean() - 100.0 * 0.5f64.exp()).abs() < 1e-9);
        // A cap at the median: E[min(D, m)] = m·e^{σ²/2}·Φ(−σ) + m/2.
        let capped = Durations::parse("lognormal:100,1,cap=100").unwrap();
        let want = 100.0 * 0.5f64.exp() * normal_cdf(-1.0) + 50.0;
        assert!((capped.mean() - want).abs() < 1e-6, "{}", capped.mean());
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.0) - 0.841_344_7).abs() < 1e-6);
    }

    #[test]
    fn samples_stay_within_their_bounds() {
        let d = Durations::parse("lognormal:20,2,cap=50").unwrap();
        assert_eq!(d.sample(0.999_999, 0.0), 50.0);
        assert!((d.sample(0.5, 0.25) - 20.0).abs() < 1e-9);
        let u = Durations::parse("uniform:20-60").unwrap();
        assert_eq!(u.sample(0.5, 0.9), 40.0);
    }

    #[test]
    fn steady_arrivals_default_to_live_over_mean_run_time() {
        let mut shape = Shape::classic(20.0, 60.0);
        assert_eq!(shape.arrival_rate(400), None);
        shape.arrivals = Arrivals::Steady { rate: None };
        assert_eq!(shape.arrival_rate(400), Some(10.0));
    }
}
