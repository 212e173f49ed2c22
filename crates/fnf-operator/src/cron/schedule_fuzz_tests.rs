//! Property tests of the schedule parser and its times: no text or zone
//! panics it; a generated expression parses, and parse → display → parse
//! keeps its times; the times it finds match the fields, only increase, and
//! agree between the forward (`next_after`) and backward (`missed`) search.

use proptest::prelude::*;

use super::*;

/// One cron field as generated, with its members for checking matches.
#[derive(Clone, Debug)]
enum Field {
    Any,
    Step(u32),
    Value(u32),
    Range(u32, u32),
    RangeStep(u32, u32, u32),
    List(Vec<u32>),
}

impl Field {
    fn render(&self) -> String {
        match self {
            Field::Any => "*".into(),
            Field::Step(n) => format!("*/{n}"),
            Field::Value(v) => v.to_string(),
            Field::Range(a, b) => format!("{a}-{b}"),
            Field::RangeStep(a, b, n) => format!("{a}-{b}/{n}"),
            Field::List(items) => items
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(","),
        }
    }

    fn contains(&self, x: u32, min: u32) -> bool {
        match self {
            Field::Any => true,
            Field::Step(n) => (x - min).is_multiple_of(*n),
            Field::Value(v) => x == *v,
            Field::Range(a, b) => (*a..=*b).contains(&x),
            Field::RangeStep(a, b, n) => (*a..=*b).contains(&x) && (x - a).is_multiple_of(*n),
            Field::List(items) => items.contains(&x),
        }
    }
}

fn field(min: u32, max: u32) -> impl Strategy<Value = Field> {
    prop_oneof![
        Just(Field::Any),
        (1..=max - min).prop_map(Field::Step),
        (min..=max).prop_map(Field::Value),
        (min..=max, min..=max).prop_map(|(a, b)| Field::Range(a.min(b), a.max(b))),
        (min..=max, min..=max, 1..=max - min).prop_map(|(a, b, n)| Field::RangeStep(
            a.min(b),
            a.max(b),
            n
        )),
        prop::collection::btree_set(min..=max, 1..4)
            .prop_map(|set| Field::List(set.into_iter().collect())),
    ]
}

#[derive(Clone, Debug)]
struct Expression {
    minute: Field,
    hour: Field,
    day_of_month: Field,
    month: Field,
    day_of_week: Field,
}

impl Expression {
    fn render(&self) -> String {
        [
            &self.minute,
            &self.hour,
            &self.day_of_month,
            &self.month,
            &self.day_of_week,
        ]
        .map(Field::render)
        .join(" ")
    }
}

fn expression() -> impl Strategy<Value = Expression> {
    (
        field(0, 59),
        field(0, 23),
        // Days 1-28 and the day of week left wide, so every generated
        // expression matches within a few years.
        prop_oneof![3 => Just(Field::Any), 1 => field(1, 28)],
        field(1, 12),
        prop_oneof![3 => Just(Field::Any), 1 => field(0, 6)],
    )
        .prop_map(
            |(minute, hour, day_of_month, month, day_of_week)| Expression {
                minute,
                hour,
                day_of_month,
                month,
                day_of_week,
            },
        )
}

const ZONES: &[&str] = &[
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Chatham",
    "America/Santiago",
];

/// A time between 2000 and 2100.
fn instant() -> impl Strategy<Value = Timestamp> {
    (946_684_800i64..4_102_444_800).prop_map(|s| Timestamp::from_second(s).unwrap())
}

proptest! {
    #[test]
    fn no_text_panics_the_parser(text in "\\PC{0,40}", zone in prop::option::of("\\PC{0,24}")) {
        let _ = Schedule::parse(&text, zone.as_deref());
    }

    #[test]
    fn no_cron_like_text_panics_the_parser(
        fields in prop::collection::vec("[0-9*/,LW#?A-Za-z-]{0,8}", 0..8),
        separator in prop::sample::select(vec![" ", "  ", "\t", " \n"]),
    ) {
        let text = fields.join(separator);
        if let Ok(schedule) = Schedule::parse(&text, None) {
            let _ = schedule.next_after(Timestamp::UNIX_EPOCH);
        }
    }
}

/// `PROPTEST_CASES` when set (a longer run by hand), else `default`.
fn cases_or(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok());
    ProptestConfig::with_cases(cases.unwrap_or(default))
}

proptest! {
    // Each case searches calendars: fewer cases than the default.
    #![proptest_config(cases_or(96))]

    #[test]
    fn a_generated_expression_parses_and_round_trips_through_its_display(
        e in expression(),
        zone in prop::option::of(prop::sample::select(ZONES)),
        from in instant(),
    ) {
        let text = e.render();
        let parsed = Schedule::parse(&text, zone);
        prop_assert!(parsed.is_ok(), "{text}: {:?}", parsed.err());
        let Ok(schedule) = parsed else { return Ok(()) };
        let shown = schedule.cron.to_string();
        let again = Schedule::parse(&shown, zone);
        prop_assert!(again.is_ok(), "{shown}: {:?}", again.err());
        let Ok(again) = again else { return Ok(()) };
        let (mut a, mut b) = (from, from);
        for _ in 0..3 {
            let (next_a, next_b) = (schedule.next_after(a), again.next_after(b));
            prop_assert_eq!(next_a, next_b, "{} vs {}", text, shown);
            let (Some(na), Some(nb)) = (next_a, next_b) else { break };
            prop_assert!(na > a);
            (a, b) = (na, nb);
        }
    }

    #[test]
    fn utc_times_match_the_fields_and_only_increase(e in expression(), from in instant()) {
        let text = e.render();
        let schedule = Schedule::parse(&text, None).unwrap();
        let mut at = from;
        for _ in 0..4 {
            let Some(next) = schedule.next_after(at) else { break };
            prop_assert!(next > at, "{text}: {next} after {at}");
            let civil = next.to_zoned(TimeZone::UTC);
            prop_assert_eq!(civil.second(), 0);
            prop_assert!(e.minute.contains(civil.minute() as u32, 0), "{text}: {next}");
            prop_assert!(e.hour.contains(civil.hour() as u32, 0), "{text}: {next}");
            prop_assert!(e.month.contains(civil.month() as u32, 1), "{text}: {next}");
            let dom = e.day_of_month.contains(civil.day() as u32, 1);
            let dow = e
                .day_of_week
                .contains(civil.weekday().to_sunday_zero_offset() as u32, 0);
            // Vixie cron: either day field matches when both are restricted.
            let day_ok = match (&e.day_of_month, &e.day_of_week) {
                (Field::Any, _) => dow,
                (_, Field::Any) => dom,
                _ => dom || dow,
            };
            prop_assert!(day_ok, "{text}: {next}");
            at = next;
        }
    }

    #[test]
    fn missed_times_agree_with_the_forward_search(
        e in expression(),
        zone in prop::option::of(prop::sample::select(ZONES)),
        earliest in instant(),
        span_secs in 0i64..400 * 86_400,
    ) {
        let schedule = Schedule::parse(&e.render(), zone).unwrap();
        let now = Timestamp::from_second(earliest.as_second() + span_secs).unwrap();
        check_missed(&schedule, earliest, now, &format!("{} {zone:?}", e.render()))?;
    }

    /// The same, and times only increasing, within days of a DST change,
    /// where the two searches are likeliest to disagree.
    #[test]
    fn the_searches_agree_around_dst_changes(
        e in expression(),
        zone in prop::sample::select(ZONES),
        base in instant(),
        before_secs in 0i64..2 * 86_400,
        span_secs in 0i64..3 * 86_400,
    ) {
        let tz = bundled_zones().get(zone).unwrap();
        // Asia/Kolkata has no DST since 1945: any time will do there.
        let change = tz.following(base).next().map_or(base, |c| c.timestamp());
        let earliest = Timestamp::from_second(change.as_second() - before_secs).unwrap();
        let now = Timestamp::from_second(earliest.as_second() + span_secs).unwrap();
        let schedule = Schedule::parse(&e.render(), Some(zone)).unwrap();
        let label = format!("{} {zone}", e.render());
        check_missed(&schedule, earliest, now, &label)?;
        let mut at = earliest;
        for _ in 0..5 {
            let Some(next) = schedule.next_after(at) else { break };
            prop_assert!(next > at, "{label}: {next} after {at}");
            at = next;
        }
    }
}

fn check_missed(
    schedule: &Schedule,
    earliest: Timestamp,
    now: Timestamp,
    label: &str,
) -> Result<(), TestCaseError> {
    let missed = schedule.missed(earliest, now);
    prop_assert!(missed.count <= MISSED_TIMES_MAX + 1);
    prop_assert_eq!(missed.latest.is_some(), missed.count > 0, "{}", label);
    if let Some(latest) = missed.latest {
        prop_assert!(earliest < latest && latest <= now, "{label}: {latest}");
        // Nothing is scheduled between the latest missed time and now.
        let after = schedule.next_after(latest);
        prop_assert!(
            after.is_none_or(|t| t > now),
            "{label}: {after:?} after {latest} but now is {now}"
        );
        let first = schedule.next_after(earliest);
        prop_assert!(first.is_some_and(|t| t <= latest), "{label}");
    } else {
        let first = schedule.next_after(earliest);
        prop_assert!(
            first.is_none_or(|t| t > now),
            "{label}: {first:?} missed between {earliest} and {now}"
        );
    }
    Ok(())
}

#[test]
fn an_empty_list_item_is_refused() {
    // Found by fuzzing: croner took "," for an empty minute set, and each
    // search for it walked hour by hour to the year 5000.
    for text in [
        ", * 1 * 1",
        "1,,2 * * * *",
        "0 , * * *",
        "0 0 1, * *",
        "0 0 * * ,MON",
    ] {
        let err = Schedule::parse(text, None).unwrap_err();
        assert_eq!(err.reason(), "InvalidSchedule", "{text}");
    }
    assert!(Schedule::parse("0,30 9,17 1,15 1,7 1,5", None).is_ok());
}

#[test]
fn schedules_that_never_match_end_their_search() {
    for text in ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6,9,11 *"] {
        let schedule = Schedule::parse(text, Some("Europe/Berlin")).unwrap();
        assert_eq!(schedule.next_after(Timestamp::UNIX_EPOCH), None, "{text}");
        let missed = schedule.missed(Timestamp::UNIX_EPOCH, Timestamp::MAX);
        assert_eq!(missed.count, 0, "{text}");
    }
}

#[path = "../../../../fuzz/checks/cron_schedule.rs"]
mod corpus_check;

/// Replays the committed fuzz corpus (fuzz/corpus/cron_schedule) through the fuzz
/// target's own check, so every input found once stays a test.
#[test]
fn the_cron_schedule_corpus_replays_cleanly() {
    crate::fuzz_corpus::replay("cron_schedule", 10, corpus_check::check);
}
