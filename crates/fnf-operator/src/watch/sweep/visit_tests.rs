//! Visits against a fake lister: what each listing asks for and records.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;

use super::ages::AgeDensity;
use super::choose::{Density, Listing, Part};
use super::statuses::StatusSet;
use super::visit::{ListPages, Sought, Visit};
use crate::decide::view::{CloudView, ExecutionRead};
use crate::watch::key::{ReadVia, TrackKey};
use crate::watch::views::CloudViews;
use fnf_client::{Execution, ExecutionsPage, FnfError, ListExecutions};

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_700_000_000 + secs).unwrap()
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
    fn sweep_described(&self, calls: u64, endings: u64) {
        self.1.lock().unwrap().push(("described", calls, endings));
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
        described: 0.0,
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
        statuses: StatusSet::all(),
        describes: 0,
        final_status: &|_| true,
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
        described: 0.0,
        members: vec![0, 1],
    };
    let visit = Visit {
        tracker: &reads,
        lister: &list,
        flow_name: "flow",
        density: AgeDensity::default(),
        now: at(1_000),
        statuses: StatusSet::all(),
        describes: 0,
        final_status: &|_| true,
        refill: &|| {},
    };
    let tally = visit
        .run(&sought, std::slice::from_ref(&part))
        .await
        .unwrap();
    assert_eq!((tally.pages, tally.endings), (5, 1));
    assert_eq!(reads.0.lock().unwrap().len(), 2);
    assert_eq!(tally.statuses_seen.iter().collect::<Vec<_>>(), ["TimedOut"]);
    // The Running pages cover only the start of the one shown as Starting.
    let running = list.queries.lock().unwrap()[4].clone();
    assert_eq!(running.status.as_deref(), Some("Running"));
    assert_eq!(
        running.started_time_begin.as_deref(),
        Some("2023-11-14T22:13:20.000Z")
    );
    // With TimedOut not due, its ending waits for a later visit.
    let mut usual = StatusSet::default();
    usual.insert("Succeeded");
    let later = Visit {
        statuses: usual,
        ..visit
    };
    let tally = later.run(&sought, &[part]).await.unwrap();
    assert_eq!((tally.pages, tally.endings), (2, 0));
    let queries = list.queries.lock().unwrap();
    let statuses: Vec<_> = queries.iter().map(|q| q.status.as_deref()).collect();
    assert_eq!(
        statuses[5..],
        [Some("Succeeded"), Some("Running")],
        "{statuses:?}"
    );
}

#[tokio::test]
async fn absent_executions_go_to_the_final_status_reader_while_the_allowance_lasts() {
    // Two sought executions ended among 300 others; one Running.
    let mut executions = vec![execution("old", 0, "Running")];
    executions.push(execution("first", 5, "Succeeded"));
    executions.extend((0..300).map(|i| execution(&format!("done-{i}"), 10 + i, "Succeeded")));
    executions.push(execution("second", 400, "Failed"));
    let list = FakeList {
        executions,
        ..FakeList::default()
    };
    let reads = Reads::default();
    let sought = [
        sought("old", 0, false),
        sought("second", 400, false),
        sought("first", 5, false),
    ];
    let part = Part {
        window: (Some(at(-1)), Some(at(401))),
        listing: Listing::RunningFirst,
        calls: 2.25,
        described: 1.0,
        members: vec![0, 1, 2],
    };
    let handed = Mutex::new(Vec::new());
    let final_status = |s: &Sought| {
        handed.lock().unwrap().push(s.execution_name.clone());
        true
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
        statuses: StatusSet::all(),
        describes: 1,
        final_status: &final_status,
        refill: &|| {},
    };
    let tally = visit.run(&sought, &[part]).await.unwrap();
    // The oldest absent one goes to the reader (and counts as an ending);
    // the other is paged around its start.
    assert_eq!(*handed.lock().unwrap(), ["first"]);
    assert_eq!((tally.described, tally.endings, tally.pages), (1, 2, 2));
    let mut seen = reads.0.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("old".to_string(), Some("Running".to_string())),
            ("second".to_string(), Some("Failed".to_string())),
        ]
    );
    assert_eq!(
        *reads.1.lock().unwrap(),
        [("running", 1, 0), ("absent", 1, 1)]
    );
    let paged_from = list.queries.lock().unwrap()[1].started_time_begin.clone();
    assert_eq!(
        paged_from.as_deref(),
        Some("2023-11-14T22:19:59.000Z"),
        "the page covers only the one not handed over"
    );
    // A reader with no room: both are paged.
    let full = Visit {
        final_status: &|_| false,
        ..visit
    };
    let tally = full
        .run(
            &sought,
            &[Part {
                window: (Some(at(-1)), Some(at(401))),
                listing: Listing::RunningFirst,
                calls: 4.0,
                described: 0.0,
                members: vec![0, 1, 2],
            }],
        )
        .await
        .unwrap();
    assert_eq!((tally.described, tally.endings), (0, 2));
}
