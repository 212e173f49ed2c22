//! Schedule times: from a cron expression and a time zone to the next time
//! and the times missed since the last one. Pure: the caller passes `now`.
//!
//! Parsing and matching are the `croner` crate's (5 fields, `@hourly`-style
//! macros, day-of-month OR day-of-week like Vixie cron and CronJob), on
//! jiff's zoned times. Across DST changes it follows the Open Cron Pattern
//! Spec: a fixed time that a spring-forward skips runs at the first instant
//! after the gap; a fixed time that a fall-back repeats runs once, at its
//! first occurrence; wildcard minutes and hours run in both halves.
//! Time zones come from the IANA database bundled into the binary, so the
//! answer is the same on every image (it has no tz database).

use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::{Timestamp, Zoned};

/// How many missed times are counted before "too many": CronJob's 100.
pub const MISSED_TIMES_MAX: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("spec.schedule {schedule:?} is not a cron expression: {source}")]
    InvalidSchedule {
        schedule: String,
        #[source]
        source: croner::errors::CronError,
    },
    #[error("spec.timeZone {zone:?} is not a known IANA time zone: {source}")]
    UnknownTimeZone {
        zone: String,
        #[source]
        source: jiff::Error,
    },
}

impl ScheduleError {
    /// Stable, for the condition's and the Event's reason.
    pub fn reason(&self) -> &'static str {
        match self {
            ScheduleError::InvalidSchedule { .. } => "InvalidSchedule",
            ScheduleError::UnknownTimeZone { .. } => "UnknownTimeZone",
        }
    }
}

/// A parsed schedule in its time zone.
#[derive(Clone, Debug)]
pub struct Schedule {
    cron: croner::Cron,
    zone: TimeZone,
}

/// The schedule times in `(earliest, now]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Missed {
    /// The latest of them.
    pub latest: Option<Timestamp>,
    /// How many, counted up to [`MISSED_TIMES_MAX`] + 1.
    pub count: usize,
}

impl Missed {
    pub fn too_many(&self) -> bool {
        self.count > MISSED_TIMES_MAX
    }
}

impl Schedule {
    pub fn parse(schedule: &str, time_zone: Option<&str>) -> Result<Self, ScheduleError> {
        let zone = match time_zone {
            None => TimeZone::UTC,
            Some(name) => {
                bundled_zones()
                    .get(name)
                    .map_err(|source| ScheduleError::UnknownTimeZone {
                        zone: name.to_string(),
                        source,
                    })?
            }
        };
        // croner reads a list item with no value in it ("," or a lone "+")
        // as no value: such a field never matches, and every search then
        // walks to the year 5000, a minute of CPU per reconcile (found by
        // fuzzing).
        let holds_no_value = |item: &str| {
            !item
                .chars()
                .any(|c| c.is_ascii_alphanumeric() || c == '*' || c == '?')
        };
        if schedule
            .split_whitespace()
            .any(|field| field.split(',').any(holds_no_value))
        {
            return Err(ScheduleError::InvalidSchedule {
                schedule: schedule.to_string(),
                source: croner::errors::CronError::InvalidPattern(
                    "a field has a list item without a value".to_string(),
                ),
            });
        }
        let cron = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Disallowed)
            .year(croner::parser::Year::Disallowed)
            .build()
            .parse(spelled_for_croner(schedule))
            .map_err(|source| ScheduleError::InvalidSchedule {
                schedule: schedule.to_string(),
                source,
            })?;
        Ok(Self { cron, zone })
    }

    /// The first schedule time after `t` (never `t` itself); `None` for a
    /// schedule that never matches again (e.g. February 30).
    pub fn next_after(&self, t: Timestamp) -> Option<Timestamp> {
        let start = Zoned::new(t, self.zone.clone());
        self.cron
            .find_next_occurrence(&start, false)
            .ok()
            .map(|z| z.timestamp())
    }

    /// The schedule times after `earliest` up to and including `now`: the
    /// latest and how many (a long downtime costs at most
    /// [`MISSED_TIMES_MAX`] + 1 steps, not one per minute).
    pub fn missed(&self, earliest: Timestamp, now: Timestamp) -> Missed {
        let none = Missed {
            latest: None,
            count: 0,
        };
        if now <= earliest {
            return none;
        }
        let end = Zoned::new(now, self.zone.clone());
        let Some(latest) = self
            .cron
            .find_previous_occurrence(&end, true)
            .ok()
            .map(|z| z.timestamp())
            .filter(|t| *t > earliest)
        else {
            return none;
        };
        let mut count = 0;
        let mut at = earliest;
        while count <= MISSED_TIMES_MAX {
            match self.next_after(at) {
                Some(next) if next <= latest => {
                    count += 1;
                    at = next;
                }
                _ => break,
            }
        }
        Missed {
            latest: Some(latest),
            count,
        }
    }
}

/// CronJob's `@midnight` is `@daily`; croner knows only the latter.
fn spelled_for_croner(schedule: &str) -> &str {
    if schedule.trim().eq_ignore_ascii_case("@midnight") {
        "@daily"
    } else {
        schedule
    }
}

/// The IANA database compiled into the binary (jiff's `tzdb-bundle-always`):
/// read once, then shared.
fn bundled_zones() -> &'static TimeZoneDatabase {
    static ZONES: std::sync::OnceLock<TimeZoneDatabase> = std::sync::OnceLock::new();
    ZONES.get_or_init(TimeZoneDatabase::bundled)
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "schedule_fuzz_tests.rs"]
mod fuzz_tests;
