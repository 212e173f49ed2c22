//! One fuzz input for the CronFlowExecution schedule parser: the first line
//! is the expression, the second (if any) the time zone. Parsing never
//! panics; a parsed schedule's times only increase and agree between the
//! forward and the backward search. Used by the `cron_schedule` fuzz target
//! and the operator's corpus replay. `Schedule` comes from the includer.

use jiff::Timestamp;

use super::Schedule;

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(2, '\n');
    let expression = lines.next().unwrap_or_default();
    let zone = lines.next().map(str::trim);
    let Ok(schedule) = Schedule::parse(expression, zone) else {
        return;
    };
    // 2026-05-01T10:00:00Z, and a year before it.
    let now = Timestamp::from_second(1_777_629_600).unwrap_or(Timestamp::UNIX_EPOCH);
    let earliest =
        Timestamp::from_second(1_777_629_600 - 366 * 86_400).unwrap_or(Timestamp::UNIX_EPOCH);
    let mut at = earliest;
    for _ in 0..3 {
        match schedule.next_after(at) {
            Some(next) => {
                assert!(next > at, "{expression:?}: {next} after {at}");
                at = next;
            }
            None => break,
        }
    }
    let missed = schedule.missed(earliest, now);
    assert_eq!(missed.latest.is_some(), missed.count > 0, "{expression:?}");
    if let Some(latest) = missed.latest {
        assert!(earliest < latest && latest <= now);
        let after = schedule.next_after(latest);
        assert!(
            after.is_none_or(|t| t > now),
            "{expression:?} {zone:?}: {after:?} after {latest}"
        );
    }
}
