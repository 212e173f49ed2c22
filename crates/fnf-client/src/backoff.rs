//! The one back-off curve of the project: a base delay doubled per failure up
//! to a ceiling, then spread by a jitter. The client's retries, the
//! operator's retries of failed calls, its polls and sweeps, and its
//! reconcile error policy all use it, each with its own base and ceiling.

use std::time::Duration;

/// Doubling from `base`, at most `max`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

/// How a wait is spread below its ceiling, so callers failing together do
/// not retry together.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Jitter {
    /// Exactly the ceiling.
    None,
    /// Anywhere in `[0, ceiling]` (random): the client's retries.
    Full,
    /// Anywhere in `[½, 1]` of the ceiling (random).
    Half,
    /// A fixed fraction in `[½, 1)` of the ceiling: pure, the same seed
    /// always waits the same (see [`Jitter::seeded`]).
    Fraction(f64),
}

impl Jitter {
    /// A fraction in `[½, 1)` fixed by `seed` and `attempt` (FNV-1a over
    /// both): well spread over seeds, with no randomness.
    pub fn seeded(seed: &str, attempt: u32) -> Self {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in seed.bytes().chain(attempt.to_le_bytes()) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        Jitter::Fraction(0.5 + (hash % 1024) as f64 / 2048.0)
    }

    fn apply(self, ceiling: Duration) -> Duration {
        match self {
            Jitter::None => ceiling,
            Jitter::Full => ceiling.mul_f64(rand::random::<f64>()),
            Jitter::Half => ceiling.mul_f64(0.5 + rand::random::<f64>() / 2.0),
            Jitter::Fraction(fraction) => ceiling.mul_f64(fraction),
        }
    }
}

impl Backoff {
    pub const fn new(base: Duration, max: Duration) -> Self {
        Self { base, max }
    }

    /// The longest wait after `doublings` doublings: `base × 2^doublings`,
    /// at most `max`.
    pub fn ceiling(&self, doublings: u32) -> Duration {
        self.base
            .saturating_mul(1u32 << doublings.min(30))
            .min(self.max)
    }

    /// The wait after `doublings` doublings, spread by `jitter`.
    pub fn delay(&self, doublings: u32, jitter: Jitter) -> Duration {
        jitter.apply(self.ceiling(doublings))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_to_the_max_and_jitter_stays_below_it() {
        let curve = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let ceilings: Vec<u64> = (0..8).map(|n| curve.ceiling(n).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(curve.ceiling(u32::MAX), Duration::from_secs(30));
        for n in 0..8 {
            let ceiling = curve.ceiling(n);
            assert!(curve.delay(n, Jitter::Full) <= ceiling);
            let half = curve.delay(n, Jitter::Half);
            assert!(half >= ceiling / 2 && half <= ceiling);
            assert_eq!(curve.delay(n, Jitter::None), ceiling);
        }
        assert_eq!(Jitter::seeded("a", 3), Jitter::seeded("a", 3), "pure");
    }
}
