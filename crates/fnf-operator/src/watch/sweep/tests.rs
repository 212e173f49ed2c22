use jiff::Timestamp;

use super::ages::{self, AgeDensity};
use super::choose::{self, Cluster, Density, Expected, Listing, Part, Seen, Start};
use super::statuses::StatusSet;

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + secs).unwrap()
}

#[test]
fn without_a_density_one_window_covers_every_start() {
    let starts = [at(0), at(5), at(3_600)];
    let one = choose::clusters(&starts, &|_| 0.0);
    assert_eq!(
        one,
        [Cluster {
            low: at(0),
            high: at(3_600),
            sought: 3
        }]
    );
    let (low, high) = one[0].window();
    assert_eq!(low, Some(at(-1)));
    assert_eq!(high, Some(at(3_601)));
}

#[test]
fn a_straggler_far_from_the_others_gets_its_own_window() {
    // Ten items a second: an hour between them holds 36,000 ended items.
    let density = Density {
        live: 1.0,
        ended: 9.0,
    };
    let starts = [at(0), at(2), at(3_600), at(3_601)];
    let density = AgeDensity::uniform(density);
    let parts = choose::clusters(&starts, &|w| density.items(w, at(9_000), Density::all));
    assert_eq!(parts.len(), 2);
    assert_eq!(
        (parts[0].low, parts[0].high, parts[0].sought),
        (at(0), at(2), 2)
    );
    assert_eq!(
        (parts[1].low, parts[1].high, parts[1].sought),
        (at(3_600), at(3_601), 2)
    );
}

#[test]
fn the_cheapest_listing_follows_what_the_window_holds() {
    let every = [Listing::All, Listing::RunningFirst, Listing::Terminal];
    let expected = |live, ended, endings| Expected {
        live,
        ended,
        endings,
        starting: false,
        statuses: 4,
        describes: 0.0,
    };
    // A few items: one page of everything.
    assert_eq!(
        choose::choose_among(&every, expected(30.0, 20.0, 5.0)),
        (Listing::All, 1.0)
    );
    // Thousands ended, a few live: Running, then the few absent.
    assert_eq!(
        choose::choose_among(&every, expected(150.0, 5_000.0, 3.0)),
        (Listing::RunningFirst, 5.0)
    );
    // Many live, few ended and many endings expected: the terminal statuses.
    assert_eq!(
        choose::choose_among(&every, expected(2_000.0, 50.0, 40.0)),
        (Listing::Terminal, 4.0)
    );
    // Executions shown as Starting add the Running pages a terminal sweep reads.
    let starting = Expected {
        starting: true,
        ..expected(2_000.0, 50.0, 40.0)
    };
    assert_eq!(choose::cost(Listing::Terminal, starting), 9.0);
    // With only the flow's usual status due, the status listing is one page.
    let usual = Expected {
        statuses: 1,
        ..expected(300.0, 50.0, 40.0)
    };
    assert_eq!(
        choose::choose_among(&every, usual),
        (Listing::Terminal, 1.0)
    );
    // Old start times: 40 live, 5,000 ended, 30 endings. Paging around the
    // absent ones costs a call each (31); with 20 final-status reads to
    // spend, 20 cost a quarter call each and 10 are paged: 1 + 5 + 10.
    let old = Expected {
        describes: 20.0,
        ..expected(40.0, 5_000.0, 30.0)
    };
    assert_eq!(choose::cost(Listing::RunningFirst, old), 16.0);
    assert_eq!(
        choose::cost(Listing::RunningFirst, expected(40.0, 5_000.0, 30.0)),
        31.0
    );
}

#[test]
fn pages_go_to_the_flows_with_the_most_lag_to_remove() {
    let never = choose::score(1.0, None, 1.0);
    let busy = choose::score(500.0, Some(std::time::Duration::from_secs(10)), 5.0);
    let quiet = choose::score(2.0, Some(std::time::Duration::from_secs(10)), 1.0);
    let quiet_later = choose::score(2.0, Some(std::time::Duration::from_secs(120)), 1.0);
    assert!(never.is_infinite());
    assert!(busy > quiet, "more to find per call");
    assert!(
        quiet_later > busy,
        "a flow left waiting long enough comes first"
    );
    // Best first; a flow over the round's budget waits, the first always goes.
    assert_eq!(
        choose::pick(&[(1.0, 1.0), (9.0, 30.0), (5.0, 15.0), (3.0, 4.0)], 20.0),
        [1]
    );
    assert_eq!(
        choose::pick(&[(1.0, 1.0), (9.0, 3.0), (5.0, 15.0), (3.0, 4.0)], 20.0),
        [1, 2, 0]
    );
}

#[test]
fn a_flow_plan_covers_every_sought_execution_once() {
    let start = |secs: Option<i64>| Start {
        started: secs.map(at),
        starting: false,
    };
    let seen = Seen {
        density: AgeDensity::uniform(Density {
            live: 0.5,
            ended: 20.0,
        }),
        ended_share: [0.1; ages::BINS],
    };
    let sought = [start(Some(3_600)), start(Some(0)), start(Some(3_601))];
    let parts = choose::plan_flow(&sought, seen, StatusSet::all().into(), at(9_000));
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].members, [1]);
    assert_eq!(parts[1].members, [0, 2]);
    // An unknown start: one open window read whole.
    let parts = choose::plan_flow(
        &[start(Some(0)), start(None)],
        seen,
        StatusSet::all().into(),
        at(9_000),
    );
    assert_eq!(
        parts,
        [Part {
            window: (None, None),
            listing: Listing::All,
            calls: 1.0,
            described: 0.0,
            members: vec![0, 1],
        }]
    );
}

#[test]
fn a_flow_has_waited_no_longer_than_its_oldest_sought_execution_exists() {
    use std::time::Duration;
    let now: Timestamp = "2026-01-01T00:10:00Z".parse().unwrap();
    let at = |s: &str| Start {
        started: Some(s.parse().unwrap()),
        starting: false,
    };
    let young = [at("2026-01-01T00:09:58Z"), at("2026-01-01T00:09:59Z")];
    // Visited long ago (or never): its first sought execution is 2 s old.
    let long_ago = Some(Duration::from_secs(300));
    assert_eq!(
        choose::waited(long_ago, &young, now),
        Some(Duration::from_secs(2))
    );
    assert_eq!(
        choose::waited(None, &young, now),
        Some(Duration::from_secs(2))
    );
    // Visited since: that visit bounds it.
    let lately = Some(Duration::from_secs(1));
    assert_eq!(choose::waited(lately, &young, now), lately);
    // A start unknown: only the visit is known, and never visited is unbounded.
    let unknown = [
        young[0],
        Start {
            started: None,
            starting: false,
        },
    ];
    assert_eq!(choose::waited(long_ago, &unknown, now), long_ago);
    assert_eq!(choose::waited(None, &unknown, now), None);
    // A start after now (clock skew) counts as just started.
    let ahead = [at("2026-01-01T00:10:05Z")];
    assert_eq!(choose::waited(long_ago, &ahead, now), Some(Duration::ZERO));
}

#[test]
fn running_pages_for_starting_runs_cover_only_their_starts() {
    let part = (Some(at(-1)), Some(at(1_000)));
    assert_eq!(
        choose::starting_window(&[Some(at(10)), Some(at(20))], part),
        (Some(at(9)), Some(at(21)))
    );
    // A start unknown: the whole part.
    assert_eq!(choose::starting_window(&[Some(at(10)), None], part), part);
    // More than the pages can hold: the 250 oldest, whatever the order given.
    let many: Vec<Option<Timestamp>> = (0..1_000).rev().map(|i| Some(at(i))).collect();
    assert_eq!(choose::STARTING_PER_READ, 250);
    assert_eq!(
        choose::starting_window(&many, part),
        (Some(at(-1)), Some(at(250)))
    );
}
