//! Which terminal statuses a flow's status-filtered listings ask for. The
//! cloud filters a listing by one status, so each status costs at least a call
//! per window even when it holds nothing, and most flows end in one or two of
//! the four. A status the flow was seen ending in lately is listed at every
//! visit; any other (a rare one) once `RARE_PERIOD` has passed since it was
//! last listed. An execution that ends in a rare status is still found, at
//! most about `RARE_PERIOD` plus a visit later; the calls saved go to the
//! endings most runs have. Pure: the sweeper keeps one `StatusCadence` per
//! flow.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use fnf_client::model::TERMINAL_STATUSES;

/// A status the flow has not ended in lately is listed at most this often.
pub const RARE_PERIOD: Duration = Duration::from_secs(60);
/// A status listed items were seen in for this long after is listed at every visit.
pub const SEEN_MEMORY: Duration = Duration::from_secs(600);
/// Listed when nothing else is due: most runs end in it.
const USUAL: &str = "Succeeded";

const COUNT: usize = TERMINAL_STATUSES.len();

/// A set of terminal statuses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusSet([bool; COUNT]);

impl StatusSet {
    pub fn all() -> Self {
        Self([true; COUNT])
    }

    /// Adds `status` if it is terminal; anything else is ignored.
    pub fn insert(&mut self, status: &str) {
        if let Some(i) = index(status) {
            self.0[i] = true;
        }
    }

    #[cfg(test)]
    pub fn contains(&self, status: &str) -> bool {
        index(status).is_some_and(|i| self.0[i])
    }

    pub fn len(&self) -> usize {
        self.0.iter().filter(|&&b| b).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        TERMINAL_STATUSES
            .iter()
            .zip(self.0)
            .filter_map(|(status, member)| member.then_some(*status))
    }
}

fn index(status: &str) -> Option<usize> {
    TERMINAL_STATUSES.iter().position(|s| *s == status)
}

/// One flow's memory of its terminal statuses: when items of each were last
/// seen, and when each was last listed for every execution then sought.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct StatusCadence {
    seen: [Option<Timestamp>; COUNT],
    listed: [Option<Timestamp>; COUNT],
}

fn within(then: Option<Timestamp>, now: Timestamp, period: Duration) -> bool {
    let period = SignedDuration::try_from(period).unwrap_or(SignedDuration::MAX);
    then.is_some_and(|then| now.duration_since(then) < period)
}

impl StatusCadence {
    /// The statuses a status-filtered listing asks for at a visit now: those
    /// seen lately and the rare ones whose period has passed; never none.
    pub fn due(&self, now: Timestamp) -> StatusSet {
        let due = StatusSet(std::array::from_fn(|i| {
            within(self.seen[i], now, SEEN_MEMORY) || !within(self.listed[i], now, RARE_PERIOD)
        }));
        if !due.is_empty() {
            return due;
        }
        let mut usual = StatusSet::default();
        usual.insert(USUAL);
        usual
    }

    /// Records a visit that went through: the statuses `due` were listed
    /// on its windows read by status (`by_status`; a window read with every
    /// status covers all four), and items of the statuses `seen` were on its
    /// pages.
    pub fn visited(&mut self, by_status: bool, due: StatusSet, seen: StatusSet, now: Timestamp) {
        let listed = if by_status { due } else { StatusSet::all() };
        for i in 0..COUNT {
            if listed.0[i] {
                self.listed[i] = Some(now);
            }
            if seen.0[i] {
                self.seen[i] = Some(now);
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    fn set(statuses: &[&str]) -> StatusSet {
        let mut set = StatusSet::default();
        for status in statuses {
            set.insert(status);
        }
        set
    }

    #[test]
    fn a_flow_never_visited_lists_every_status() {
        assert_eq!(StatusCadence::default().due(at(0)), StatusSet::all());
    }

    #[test]
    fn statuses_seen_lately_are_listed_every_visit_and_rare_ones_once_a_period() {
        let mut cadence = StatusCadence::default();
        cadence.visited(true, StatusSet::all(), set(&["Succeeded"]), at(0));
        // Ten seconds on, only Succeeded was seen: the other three wait.
        assert_eq!(cadence.due(at(10)), set(&["Succeeded"]));
        cadence.visited(
            true,
            set(&["Succeeded"]),
            set(&["Succeeded", "Failed"]),
            at(10),
        );
        assert_eq!(cadence.due(at(20)), set(&["Succeeded", "Failed"]));
        // The period since the last listing of all four has passed.
        assert_eq!(cadence.due(at(60)), StatusSet::all());
        // Failed is forgotten once SEEN_MEMORY has passed without one.
        cadence.visited(true, StatusSet::all(), set(&["Succeeded"]), at(600));
        assert_eq!(cadence.due(at(620)), set(&["Succeeded"]));
    }

    #[test]
    fn a_status_skipped_at_a_visit_keeps_its_old_listing_time() {
        let mut cadence = StatusCadence::default();
        cadence.visited(true, StatusSet::all(), set(&["Failed"]), at(0));
        // Visits that list only Failed do not make Stopped any fresher.
        for t in [15, 30, 45] {
            cadence.visited(true, set(&["Failed"]), set(&["Failed"]), at(t));
        }
        assert!(cadence.due(at(60)).contains("Stopped"));
    }

    #[test]
    fn a_visit_that_read_no_window_by_status_listed_all_four() {
        let mut cadence = StatusCadence::default();
        cadence.visited(true, StatusSet::all(), set(&["Succeeded"]), at(0));
        cadence.visited(false, set(&["Succeeded"]), set(&["Succeeded"]), at(50));
        assert_eq!(cadence.due(at(70)), set(&["Succeeded"]));
    }

    #[test]
    fn with_nothing_due_the_usual_status_is_listed() {
        let mut cadence = StatusCadence::default();
        cadence.visited(true, StatusSet::all(), StatusSet::default(), at(0));
        assert_eq!(cadence.due(at(5)), set(&["Succeeded"]));
    }

    #[test]
    fn non_terminal_statuses_are_not_members() {
        let mut s = StatusSet::default();
        s.insert("Running");
        assert!(s.is_empty());
        assert_eq!(set(&["Failed", "Stopped"]).iter().count(), 2);
    }
}
