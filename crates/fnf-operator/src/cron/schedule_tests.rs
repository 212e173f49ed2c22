//! Schedule times across DST changes, leap days, month ends and downtime.

use super::*;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn next_times(schedule: &Schedule, from: &str, n: usize) -> Vec<String> {
    let mut t = at(from);
    let mut out = Vec::new();
    for _ in 0..n {
        t = schedule.next_after(t).unwrap();
        out.push(t.to_string());
    }
    out
}

#[test]
fn a_fixed_time_skipped_by_spring_forward_runs_right_after_the_gap() {
    // Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST; 02:30 does not exist.
    let daily = Schedule::parse("30 2 * * *", Some("Europe/Berlin")).unwrap();
    assert_eq!(
        next_times(&daily, "2026-03-27T12:00:00Z", 3),
        [
            "2026-03-28T01:30:00Z", // 02:30 CET
            "2026-03-29T01:00:00Z", // 03:00 CEST, the first instant after the gap
            "2026-03-30T00:30:00Z", // 02:30 CEST
        ]
    );
}

#[test]
fn a_fixed_time_repeated_by_fall_back_runs_once() {
    // Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
    let daily = Schedule::parse("30 2 * * *", Some("Europe/Berlin")).unwrap();
    assert_eq!(
        next_times(&daily, "2026-10-24T12:00:00Z", 2),
        [
            "2026-10-25T00:30:00Z", // 02:30 CEST, the first of the two
            "2026-10-26T01:30:00Z", // 02:30 CET the next day
        ]
    );
}

#[test]
fn an_hourly_schedule_runs_in_both_halves_of_a_fall_back() {
    let hourly = Schedule::parse("@hourly", Some("Europe/Berlin")).unwrap();
    assert_eq!(
        next_times(&hourly, "2026-10-24T23:30:00Z", 4),
        [
            "2026-10-25T00:00:00Z", // 02:00 CEST
            "2026-10-25T01:00:00Z", // 02:00 CET
            "2026-10-25T02:00:00Z", // 03:00 CET
            "2026-10-25T03:00:00Z",
        ]
    );
}

#[test]
fn the_same_wall_time_in_another_zone_is_another_instant() {
    let utc = Schedule::parse("0 9 * * *", None).unwrap();
    let tokyo = Schedule::parse("0 9 * * *", Some("Asia/Tokyo")).unwrap();
    assert_eq!(
        next_times(&utc, "2026-06-01T10:00:00Z", 1),
        ["2026-06-02T09:00:00Z"]
    );
    assert_eq!(
        next_times(&tokyo, "2026-06-01T10:00:00Z", 1),
        ["2026-06-02T00:00:00Z"]
    );
}

#[test]
fn february_29_runs_only_in_leap_years() {
    let leap_day = Schedule::parse("0 12 29 2 *", None).unwrap();
    assert_eq!(
        next_times(&leap_day, "2025-01-01T00:00:00Z", 2),
        ["2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"]
    );
}

#[test]
fn monthly_runs_on_the_first_and_day_31_skips_short_months() {
    let monthly = Schedule::parse("@monthly", None).unwrap();
    assert_eq!(
        next_times(&monthly, "2028-01-31T23:59:00Z", 3),
        [
            "2028-02-01T00:00:00Z",
            "2028-03-01T00:00:00Z",
            "2028-04-01T00:00:00Z"
        ]
    );
    let day_31 = Schedule::parse("0 0 31 * *", None).unwrap();
    assert_eq!(
        next_times(&day_31, "2028-01-31T00:00:00Z", 3),
        [
            "2028-03-31T00:00:00Z",
            "2028-05-31T00:00:00Z",
            "2028-07-31T00:00:00Z"
        ]
    );
}

#[test]
fn day_of_month_and_day_of_week_together_match_either_like_cron() {
    // The 13th, or any Friday.
    let either = Schedule::parse("0 0 13 * FRI", None).unwrap();
    assert_eq!(
        next_times(&either, "2026-02-01T00:00:00Z", 3),
        [
            "2026-02-06T00:00:00Z", // Friday
            "2026-02-13T00:00:00Z", // the 13th (also a Friday)
            "2026-02-20T00:00:00Z", // Friday
        ]
    );
}

#[test]
fn missed_times_give_the_latest_and_the_count() {
    let every_minute = Schedule::parse("* * * * *", None).unwrap();
    let missed = every_minute.missed(at("2026-01-01T10:00:00Z"), at("2026-01-01T10:05:30Z"));
    assert_eq!(missed.latest, Some(at("2026-01-01T10:05:00Z")));
    assert_eq!(missed.count, 5);
    assert!(!missed.too_many());

    let none = every_minute.missed(at("2026-01-01T10:05:00Z"), at("2026-01-01T10:05:59Z"));
    assert_eq!(none.latest, None);
    assert_eq!(none.count, 0);

    // A time exactly at now counts; one exactly at earliest does not.
    let exact = every_minute.missed(at("2026-01-01T10:05:00Z"), at("2026-01-01T10:06:00Z"));
    assert_eq!(exact.latest, Some(at("2026-01-01T10:06:00Z")));
    assert_eq!(exact.count, 1);
}

#[test]
fn a_long_downtime_counts_only_past_too_many() {
    let every_minute = Schedule::parse("* * * * *", None).unwrap();
    let missed = every_minute.missed(at("2026-01-01T00:00:00Z"), at("2026-03-01T00:00:00Z"));
    assert_eq!(missed.latest, Some(at("2026-03-01T00:00:00Z")));
    assert_eq!(missed.count, MISSED_TIMES_MAX + 1);
    assert!(missed.too_many());
}

#[test]
fn bad_schedules_and_zones_are_refused_with_stable_reasons() {
    for bad in [
        "",
        "* * * *",
        "61 * * * *",
        "0 0 * * * *",
        "@every 5m",
        "bogus",
    ] {
        let err = Schedule::parse(bad, None).unwrap_err();
        assert_eq!(err.reason(), "InvalidSchedule", "{bad:?}");
    }
    let err = Schedule::parse("* * * * *", Some("Mars/Olympus")).unwrap_err();
    assert_eq!(err.reason(), "UnknownTimeZone");
    for macro_ in [
        "@yearly",
        "@annually",
        "@monthly",
        "@weekly",
        "@daily",
        "@midnight",
        "@hourly",
    ] {
        Schedule::parse(macro_, None).unwrap();
    }
    Schedule::parse("*/15 9-17 * JAN-MAR MON-FRI", Some("America/New_York")).unwrap();
}
