use std::sync::{Arc, Mutex};

use jiff::Timestamp;

use super::ages::AgeDensity;
use super::choose::{self, Cluster, Density, Expected, Listing, Part, Seen, Start};
use super::visit::{ListPages, Sought, Visit};
use crate::decide::view::{CloudView, ExecutionRead};
use crate::watch::key::{ReadVia, TrackKey};
use crate::watch::views::CloudViews;
use fnf_client::{Execution, ExecutionsPage, FnfError, ListExecutions};

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
        ended_share: 0.1,
    };
    let sought = [start(Some(3_600)), start(Some(0)), start(Some(3_601))];
    let parts = choose::plan_flow(&sought, seen, at(9_000));
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].members, [1]);
    assert_eq!(parts[1].members, [0, 2]);
    // An unknown start: one open window read whole.
    let parts = choose::plan_flow(&[start(Some(0)), start(None)], seen, at(9_000));
    assert_eq!(
        parts,
        [Part {
            window: (None, None),
            listing: Listing::All,
            calls: 1.0,
            members: vec![0, 1],
        }]
    );
}

/// A flow's executions, listed as the cloud pages them (start order, the
/// token a position), recording every query.
#[derive(Default)]
struct FakeList {
    executions: Vec<Execution>,
    queries: Mutex<Vec<ListExecutions>>,
}

impl ListPages for FakeList {
    async fn page(&self, query: &ListExecutions) -> Result<ExecutionsPage, FnfError> {
        self.queries.lock().unwrap().push(query.clone());
        let bound = |t: &Option<String>| t.as_deref().map(|t| t.parse::<Timestamp>().unwrap());
        let (begin, end) = (
            bound(&query.started_time_begin),
            bound(&query.started_time_end),
        );
        let matches = |e: &Execution| {
            let started: Timestamp = e.started_time.as_deref().unwrap().parse().unwrap();
            begin.is_none_or(|b| started >= b)
                && end.is_none_or(|t| started <= t)
                && query
                    .status
                    .as_deref()
                    .is_none_or(|s| e.status.as_deref() == Some(s))
        };
        let from: usize = query
            .next_token
            .as_deref()
            .map_or(0, |t| t.parse().unwrap());
        let limit = query.limit.unwrap_or(100) as usize;
        let mut executions = Vec::new();
        let mut position = from;
        while position < self.executions.len() && executions.len() < limit {
            if matches(&self.executions[position]) {
                let mut item = self.executions[position].clone();
                if query.metadata_only {
                    item.output = None;
                }
                executions.push(item);
            }
            position += 1;
        }
        let more = self.executions[position..].iter().any(&matches);
        Ok(ExecutionsPage {
            executions,
            next_token: more.then(|| position.to_string()),
            request_id: None,
        })
    }
}

/// (object name, status read)
type Read = (String, Option<String>);

/// (listing, pages, endings found)
type Listed = (&'static str, u64, u64);

/// Records the reads the sweep hands over, and what each listing read.
#[derive(Clone, Default)]
struct Reads(Arc<Mutex<Vec<Read>>>, Arc<Mutex<Vec<Listed>>>);

impl CloudViews for Reads {
    fn view(&self, _key: &TrackKey) -> CloudView {
        CloudView::default()
    }
    fn update(&self, _key: &TrackKey, _change: impl FnOnce(&mut CloudView)) {}
    fn execution_read(&self, _key: &TrackKey) -> Option<ExecutionRead> {
        None
    }
    fn record_read(&self, key: &TrackKey, execution: &Execution, via: ReadVia) {
        assert_eq!(via, ReadVia::Sweep);
        let read = (key.name.clone(), execution.status.clone());
        self.0.lock().unwrap().push(read);
    }
    fn steps_read(&self, _key: &TrackKey) {}
    fn wake(&self, _key: &TrackKey) {}
    fn sweep_listed(&self, listing: &'static str, pages: u64, endings: u64) {
        self.1.lock().unwrap().push((listing, pages, endings));
    }
}

fn execution(name: &str, secs: i64, status: &str) -> Execution {
    Execution {
        name: name.into(),
        status: Some(status.into()),
        started_time: Some(at(secs).strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        output: Some("{}".into()),
        ..Execution::default()
    }
}

fn sought(name: &str, secs: i64, starting: bool) -> Sought {
    Sought {
        key: TrackKey {
            namespace: "ns".into(),
            name: name.into(),
            uid: name.into(),
        },
        execution_name: name.into(),
        started: Some(at(secs)),
        starting,
        ending_wanted: true,
    }
}

#[tokio::test]
async fn an_execution_absent_from_running_is_read_around_its_start() {
    // 300 ended executions between two sought ones, one of which has ended.
    let mut executions = vec![execution("old", 0, "Running")];
    executions.extend((0..300).map(|i| execution(&format!("done-{i}"), 10 + i, "Succeeded")));
    executions.push(execution("gone", 400, "Failed"));
    executions.push(execution("new", 401, "Starting"));
    let list = FakeList {
        executions,
        ..FakeList::default()
    };
    let reads = Reads::default();
    let sought = [
        sought("old", 0, false),
        sought("gone", 400, false),
        sought("new", 401, true),
    ];
    let part = Part {
        window: (Some(at(-1)), Some(at(402))),
        listing: Listing::RunningFirst,
        calls: 2.0,
        members: vec![0, 1, 2],
    };
    let visit = Visit {
        tracker: &reads,
        lister: &list,
        flow_name: "flow",
        density: AgeDensity::uniform(Density {
            live: 0.01,
            ended: 0.75,
        }),
        now: at(1_000),
        refill: &|| {},
    };
    let tally = visit.run(&sought, &[part]).await.unwrap();
    let mut seen = reads.0.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("gone".to_string(), Some("Failed".to_string())),
            ("new".to_string(), Some("Starting".to_string())),
            ("old".to_string(), Some("Running".to_string())),
        ]
    );
    assert_eq!(tally.endings, 1);
    // The metrics name which listing found the ending.
    assert_eq!(
        *reads.1.lock().unwrap(),
        [("running", 1, 0), ("absent", 1, 1)]
    );
    let queries = list.queries.lock().unwrap();
    // Running (metadata only), then one window around both absent ones:
    // none of the 300 ended executions is paged.
    assert_eq!(queries.len(), 2, "{queries:?}");
    assert!(queries[0].metadata_only);
    assert_eq!(queries[0].status.as_deref(), Some("Running"));
    assert_eq!(queries[1].status, None);
    assert!(!queries[1].metadata_only);
    assert_eq!(
        queries[1].started_time_begin.as_deref(),
        Some("2023-11-14T22:19:59.000Z")
    );
}

#[tokio::test]
async fn a_terminal_sweep_lists_each_terminal_status_and_running_for_starting() {
    let list = FakeList {
        executions: vec![execution("a", 0, "TimedOut"), execution("b", 1, "Running")],
        ..FakeList::default()
    };
    let reads = Reads::default();
    let sought = [sought("a", 0, false), sought("b", 1, true)];
    let part = Part {
        window: (Some(at(-1)), Some(at(2))),
        listing: Listing::Terminal,
        calls: 5.0,
        members: vec![0, 1],
    };
    let visit = Visit {
        tracker: &reads,
        lister: &list,
        flow_name: "flow",
        density: AgeDensity::default(),
        now: at(1_000),
        refill: &|| {},
    };
    let tally = visit.run(&sought, &[part]).await.unwrap();
    assert_eq!((tally.pages, tally.endings), (5, 1));
    assert_eq!(reads.0.lock().unwrap().len(), 2);
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
