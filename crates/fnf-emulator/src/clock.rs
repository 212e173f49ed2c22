//! The emulator's one notion of wall-clock time (shiftable, so tests can make
//! a client's timestamps stale) and the service's timestamp format.

use jiff::{SignedDuration, Timestamp};

#[derive(Clone, Copy, Debug, Default)]
pub struct Clock {
    offset_secs: i64,
}

impl Clock {
    pub fn with_offset_secs(offset_secs: i64) -> Self {
        Self { offset_secs }
    }

    pub fn now(&self) -> Timestamp {
        let now = Timestamp::now();
        now.checked_add(SignedDuration::from_secs(self.offset_secs))
            .unwrap_or(now)
    }
}

/// RFC 3339 UTC with milliseconds, as the service answers (`2019-01-01T01:01:01.001Z`).
pub fn format_millis(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// STS answers whole seconds (`2006-01-02T15:04:05Z`).
pub fn format_secs(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_times_have_three_fraction_digits_and_z() {
        let ts: Timestamp = "2019-01-01T01:01:01.001234Z".parse().unwrap_or_default();
        assert_eq!(format_millis(ts), "2019-01-01T01:01:01.001Z");
        let whole: Timestamp = "2019-01-01T01:01:01Z".parse().unwrap_or_default();
        assert_eq!(format_millis(whole), "2019-01-01T01:01:01.000Z");
    }
}
