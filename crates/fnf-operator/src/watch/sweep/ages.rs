//! How many items a flow's listings hold per second of start time, by age.
//! A flow's young start times hold mostly live executions and its old ones
//! mostly ended executions, so one density per flow prices every window
//! wrongly: a status-filtered listing looks dear where it is cheap and the
//! other way round. Ages are binned roughly by doubling, and a steady flow
//! keeps each bin's density as time moves on.

use jiff::Timestamp;

/// A start-time range; `None` bounds are open.
pub type Window = (Option<Timestamp>, Option<Timestamp>);

/// How many items a flow's listings returned per second of start time.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Density {
    /// Starting or Running items.
    pub live: f64,
    /// Ended items.
    pub ended: f64,
}

impl Density {
    pub fn all(self) -> f64 {
        self.live + self.ended
    }
}

/// Ages (seconds since the start) at which the bins end; the last bin is open.
const BIN_ENDS: [f64; 8] = [30.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 3840.0];
pub const BINS: usize = BIN_ENDS.len() + 1;

/// Ages [from, to) of bin `bin`, seconds.
fn bin_ages(bin: usize) -> (f64, f64) {
    let from = if bin == 0 { 0.0 } else { BIN_ENDS[bin - 1] };
    let to = BIN_ENDS.get(bin).copied().unwrap_or(f64::INFINITY);
    (from, to)
}

fn age_secs(at: Timestamp, now: Timestamp) -> f64 {
    now.duration_since(at).as_secs_f64().max(0.0)
}

/// The bin a start time falls in at `now`.
pub fn bin_of(started: Timestamp, now: Timestamp) -> usize {
    let age = age_secs(started, now);
    BIN_ENDS.iter().take_while(|&&end| age >= end).count()
}

/// Seconds of a closed window's start times in each bin (none for an open one).
pub fn overlaps(window: Window, now: Timestamp) -> [f64; BINS] {
    let mut out = [0.0; BINS];
    let (Some(low), Some(high)) = window else {
        return out;
    };
    // Ages run the other way from start times.
    let (young, old) = (age_secs(high, now), age_secs(low, now));
    for (bin, secs) in out.iter_mut().enumerate() {
        let (from, to) = bin_ages(bin);
        *secs = (old.min(to) - young.max(from)).max(0.0);
    }
    out
}

/// A density per age bin; zero where nothing is known yet.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AgeDensity {
    pub bins: [Density; BINS],
}

impl AgeDensity {
    /// The same density at every age.
    #[cfg(test)]
    pub fn uniform(density: Density) -> Self {
        Self {
            bins: [density; BINS],
        }
    }

    /// Items a window is expected to hold, counting `kind` of each bin's density.
    pub fn items(&self, window: Window, now: Timestamp, kind: fn(Density) -> f64) -> f64 {
        overlaps(window, now)
            .iter()
            .zip(&self.bins)
            .map(|(secs, density)| secs * kind(*density))
            .sum()
    }
}

/// Items seen, and seconds of start time read, per bin.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    items: [f64; BINS],
    secs: [f64; BINS],
}

impl Counts {
    pub fn item(&mut self, started: Option<Timestamp>, now: Timestamp) {
        if let Some(started) = started {
            self.items[bin_of(started, now)] += 1.0;
        }
    }

    pub fn window(&mut self, window: Window, now: Timestamp) {
        for (secs, add) in self.secs.iter_mut().zip(overlaps(window, now)) {
            *secs += add;
        }
    }

    /// Items a second of start time per bin; `previous` where nothing was read.
    fn densities(&self, previous: [f64; BINS]) -> [f64; BINS] {
        let mut out = previous;
        for (bin, density) in out.iter_mut().enumerate() {
            if self.secs[bin] > 0.0 {
                *density = self.items[bin] / self.secs[bin];
            }
        }
        out
    }
}

/// What a visit's pages held by age: live and ended items counted apart.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AgeTally {
    pub live: Counts,
    pub ended: Counts,
}

impl AgeTally {
    /// The densities seen, `previous` for any bin and kind nothing was read of.
    pub fn density(&self, previous: AgeDensity) -> AgeDensity {
        let live = self.live.densities(previous.bins.map(|d| d.live));
        let ended = self.ended.densities(previous.bins.map(|d| d.ended));
        let mut out = previous;
        for (bin, density) in out.bins.iter_mut().enumerate() {
            *density = Density {
                live: live[bin],
                ended: ended[bin],
            };
        }
        out
    }
}

/// Of the sought executions a visit covered, how many it found ended, by
/// age: a young run ends far more often between two visits than one hours
/// old, so one share for the whole flow prices an old window's endings (and
/// the calls to read them) several times too high.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct EndedTally {
    covered: [f64; BINS],
    ended: [f64; BINS],
}

impl EndedTally {
    pub fn covered(&mut self, started: Option<Timestamp>, now: Timestamp) {
        if let Some(started) = started {
            self.covered[bin_of(started, now)] += 1.0;
        }
    }

    pub fn ended(&mut self, started: Option<Timestamp>, now: Timestamp) {
        if let Some(started) = started {
            self.ended[bin_of(started, now)] += 1.0;
        }
    }

    /// The share found ended per bin; `previous` where none was covered.
    pub fn shares(&self, previous: [f64; BINS]) -> [f64; BINS] {
        let mut out = previous;
        for (bin, share) in out.iter_mut().enumerate() {
            if self.covered[bin] > 0.0 {
                *share = (self.ended[bin] / self.covered[bin]).min(1.0);
            }
        }
        out
    }
}

/// Indices into `starts` (sorted, oldest first) where a younger bin begins:
/// the places a flow's windows may change listing.
pub fn bin_changes(starts: &[Timestamp], now: Timestamp) -> Vec<usize> {
    starts
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| bin_of(pair[0], now) != bin_of(pair[1], now))
        .map(|(index, _)| index + 1)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::watch::sweep::choose::{self, Listing, Seen, Start};
    use crate::watch::sweep::statuses::StatusSet;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    #[test]
    fn a_window_is_split_over_the_bins_its_ages_fall_in() {
        let now = at(1_000);
        assert_eq!(bin_of(at(1_000), now), 0);
        assert_eq!(bin_of(at(970), now), 1);
        assert_eq!(bin_of(at(-5_000), now), BINS - 1);
        // Ages 20 to 100 s: 10 s in [0, 30), 30 s in [30, 60), 40 s in [60, 120).
        let secs = overlaps((Some(at(900)), Some(at(980))), now);
        assert_eq!(&secs[..4], &[10.0, 30.0, 40.0, 0.0]);
        assert_eq!(overlaps((None, Some(at(980))), now), [0.0; BINS]);
    }

    #[test]
    fn each_bin_keeps_what_was_read_of_it_and_the_rest_is_remembered() {
        let now = at(1_000);
        let previous = AgeDensity::uniform(Density {
            live: 7.0,
            ended: 7.0,
        });
        let mut tally = AgeTally::default();
        // Ages 0 to 60 s read whole: 30 live items in the first 30 s, 6 ended
        // in the next 30 s.
        let window = (Some(at(940)), Some(at(1_000)));
        tally.live.window(window, now);
        tally.ended.window(window, now);
        for i in 0..30 {
            tally.live.item(Some(at(1_000 - i)), now);
        }
        for i in 0..6 {
            tally.ended.item(Some(at(960 - i)), now);
        }
        let density = tally.density(previous);
        assert_eq!(
            density.bins[0],
            Density {
                live: 1.0,
                ended: 0.0
            }
        );
        assert_eq!(
            density.bins[1],
            Density {
                live: 0.0,
                ended: 0.2
            }
        );
        assert_eq!(density.bins[2], previous.bins[2]);
        // Expected items follow the bins a window covers.
        let items = density.items((Some(at(900)), Some(at(1_000))), now, |d| d.live);
        assert_eq!(items, 30.0 + 0.0 + 40.0 * 7.0);
    }

    #[test]
    fn young_runs_are_listed_by_status_and_old_ones_by_their_absence() {
        let now = at(10_000);
        // Young start times (under 240 s) hold mostly live runs, old ones
        // mostly ended runs.
        let mut density = AgeDensity::default();
        for (bin, d) in density.bins.iter_mut().enumerate() {
            let young = bin_ages(bin).1 <= 240.0;
            *d = if young {
                Density {
                    live: 3.0,
                    ended: 0.3,
                }
            } else {
                Density {
                    live: 0.05,
                    ended: 2.0,
                }
            };
        }
        let seen = Seen {
            density,
            ended_share: [0.1; BINS],
        };
        let start = |secs: i64| Start {
            started: Some(at(secs)),
            starting: false,
        };
        // 600 sought in the last 200 s, 50 sought 1,000 to 3,000 s old.
        let mut sought: Vec<Start> = (0..600).map(|i| start(10_000 - i / 3)).collect();
        sought.extend((0..50).map(|i| start(7_000 + i * 40)));
        let parts = choose::plan_flow(&sought, seen, StatusSet::all().into(), now);
        let listing_of = |member: usize| {
            parts
                .iter()
                .find(|p| p.members.contains(&member))
                .map(|p| p.listing)
        };
        assert_eq!(listing_of(0), Some(Listing::Terminal));
        assert_eq!(listing_of(600), Some(Listing::RunningFirst));
        let calls: f64 = parts.iter().map(|p| p.calls).sum();
        let mut covered: Vec<usize> = parts.iter().flat_map(|p| p.members.clone()).collect();
        covered.sort_unstable();
        assert_eq!(covered, (0..650).collect::<Vec<_>>());
        // By hand: the young side's 60 ended items cost a page and the other
        // three terminal statuses a call each (4); the old side's 100 live items
        // a page and its 5 expected endings a call each (6). Read one way as a
        // whole: by status 4 + a call for each of the 50 old runs (54); by
        // `Running` about 8 pages and a call for each of 65 endings.
        assert_eq!(calls, 10.0, "{parts:?}");
    }
}
