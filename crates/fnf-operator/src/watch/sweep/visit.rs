//! One visit to one flow: reads the planned listings, records every sought
//! execution found, and tallies what the pages held so the next visit can be
//! planned. Whatever the listing, every sought execution of a window ends up
//! covered: those absent from a `Running` listing are handed to the
//! final-status reader (one DescribeExecution each) while the visit's
//! allowance lasts, and the rest read again with every status around their
//! starts.

use std::collections::{HashMap, HashSet};
use std::future::Future;

use jiff::Timestamp;

use super::ages::{AgeDensity, AgeTally, BINS, EndedTally};
use super::choose::{self, Density, Listing, PAGE_SIZE, Part, RUNNING_PAGES_FOR_STARTING, Window};
use super::statuses::StatusSet;
use crate::crd::phase;
use crate::watch::key::{ReadVia, TrackKey};
use crate::watch::views::CloudViews;
use fnf_client::{Client, ExecutionsPage, FnfError, ListExecutions};

/// Reads one ListExecutions page: the client, or a fake in tests.
pub trait ListPages: Send + Sync {
    fn page(
        &self,
        query: &ListExecutions,
    ) -> impl Future<Output = Result<ExecutionsPage, FnfError>> + Send;
}

impl ListPages for Client {
    fn page(
        &self,
        query: &ListExecutions,
    ) -> impl Future<Output = Result<ExecutionsPage, FnfError>> + Send {
        self.list_executions(query)
    }
}

/// One execution the sweep looks for.
#[derive(Clone, Debug)]
pub struct Sought {
    pub key: TrackKey,
    pub execution_name: String,
    pub started: Option<Timestamp>,
    pub starting: bool,
    /// Sought for its ending (no long-poll in flight), not only to see it Running.
    pub ending_wanted: bool,
}

/// What a visit's pages held.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Tally {
    pub pages: usize,
    ages: AgeTally,
    ended_by_age: EndedTally,
    /// Sought executions found ended.
    pub endings: usize,
    /// Executions handed to the final-status reader.
    pub described: usize,
    /// Terminal statuses of the items on the pages, sought or not.
    pub statuses_seen: StatusSet,
}

impl Tally {
    /// Densities seen, or `previous` for any age and kind nothing was listed of.
    pub fn density(&self, previous: AgeDensity) -> AgeDensity {
        self.ages.density(previous)
    }

    /// Shares of the covered sought executions found ended, by age bin, or
    /// `previous` for a bin none was covered in.
    pub fn ended_shares(&self, previous: [f64; BINS]) -> [f64; BINS] {
        self.ended_by_age.shares(previous)
    }
}

/// What one visit needs besides the flow's plan.
pub struct Visit<'a, V, L> {
    pub tracker: &'a V,
    pub lister: &'a L,
    pub flow_name: &'a str,
    pub density: AgeDensity,
    /// Ages are counted from this.
    pub now: Timestamp,
    /// The terminal statuses a status-filtered window is listed by.
    pub statuses: StatusSet,
    /// Final-status reads the visit may ask for.
    pub describes: usize,
    /// Hands an execution to the final-status reader; false when it has no
    /// room.
    pub final_status: &'a (dyn Fn(&Sought) -> bool + Sync),
    /// Grants freed long-poll slots between pages.
    pub refill: &'a (dyn Fn() + Sync),
}

impl<V: CloudViews, L: ListPages> Visit<'_, V, L> {
    /// Reads every part; the first failed call ends the visit.
    pub async fn run(&self, sought: &[Sought], parts: &[Part]) -> Result<Tally, FnfError> {
        let mut tally = Tally::default();
        for part in parts {
            let members: HashMap<&str, &Sought> = part
                .members
                .iter()
                .filter_map(|&i| sought.get(i))
                .map(|s| (s.execution_name.as_str(), s))
                .collect();
            for member in members.values() {
                tally.ended_by_age.covered(member.started, self.now);
            }
            match part.listing {
                Listing::All => {
                    let query = Query::all("all", part.window);
                    self.read(&members, query, &mut tally).await?;
                    tally.ages.live.window(part.window, self.now);
                    tally.ages.ended.window(part.window, self.now);
                }
                Listing::Terminal => {
                    for status in self.statuses.iter() {
                        let query = Query::status("terminal", status, part.window);
                        self.read(&members, query, &mut tally).await?;
                    }
                    tally.ages.ended.window(part.window, self.now);
                    let starting: Vec<Option<Timestamp>> = members
                        .values()
                        .filter(|s| s.starting)
                        .map(|s| s.started)
                        .collect();
                    if !starting.is_empty() {
                        let window = choose::starting_window(&starting, part.window);
                        let query = Query {
                            most: RUNNING_PAGES_FOR_STARTING,
                            ..Query::status("starting", phase::RUNNING, window)
                        };
                        // A few pages: not a sample of the live items.
                        let live_before = tally.ages.live;
                        self.read(&members, query, &mut tally).await?;
                        tally.ages.live = live_before;
                    }
                }
                Listing::RunningFirst => {
                    let query = Query {
                        metadata_only: true,
                        ..Query::status("running", phase::RUNNING, part.window)
                    };
                    let running = self.read(&members, query, &mut tally).await?;
                    tally.ages.live.window(part.window, self.now);
                    let mut absent: Vec<&Sought> = members
                        .into_values()
                        .filter(|s| !running.contains(s.execution_name.as_str()))
                        .collect();
                    // Oldest first: a page around an old start re-reads the most.
                    absent.sort_by_key(|s| s.started);
                    let paged = self.describe_absent(absent, &mut tally);
                    let paged = paged.into_iter().map(|s| (s.execution_name.as_str(), s));
                    self.read_absent(&paged.collect(), &mut tally).await?;
                }
            }
        }
        Ok(tally)
    }

    /// Hands `absent` (not in a `Running` listing, oldest first) to the
    /// final-status reader while the allowance lasts; returns the rest. One
    /// not shown as Starting has ended, so it counts as an ending found.
    fn describe_absent<'s>(&self, absent: Vec<&'s Sought>, tally: &mut Tally) -> Vec<&'s Sought> {
        let mut rest = Vec::new();
        for sought in absent {
            if tally.described < self.describes && (self.final_status)(sought) {
                tally.described += 1;
                if !sought.starting {
                    tally.endings += 1;
                    tally.ended_by_age.ended(sought.started, self.now);
                }
            } else {
                rest.push(sought);
            }
        }
        rest
    }

    /// Reads, with every status, windows around executions a `Running`
    /// listing did not show: each has ended, or has not started running.
    async fn read_absent(
        &self,
        absent: &HashMap<&str, &Sought>,
        tally: &mut Tally,
    ) -> Result<(), FnfError> {
        if absent.is_empty() {
            return Ok(());
        }
        let mut starts: Vec<Timestamp> = absent.values().filter_map(|s| s.started).collect();
        let windows: Vec<Window> = if starts.len() < absent.len() {
            vec![(None, None)]
        } else {
            starts.sort();
            let every_item = |window| self.density.items(window, self.now, Density::all);
            choose::clusters(&starts, &every_item)
                .iter()
                .map(choose::Cluster::window)
                .collect()
        };
        for window in windows {
            // Only the ended items count: these windows are chosen where
            // executions ended, not a sample of live ones.
            let live_before = tally.ages.live;
            self.read(absent, Query::all("absent", window), tally)
                .await?;
            tally.ages.live = live_before;
            tally.ages.ended.window(window, self.now);
        }
        Ok(())
    }

    /// Reads a listing's pages, records the sought executions found, and
    /// returns their names. The metrics get what the tally gained, also when
    /// a page fails.
    async fn read<'s>(
        &self,
        sought: &HashMap<&'s str, &'s Sought>,
        query: Query<'_>,
        tally: &mut Tally,
    ) -> Result<HashSet<&'s str>, FnfError> {
        let (pages, endings) = (tally.pages, tally.endings);
        let result = self.read_pages(sought, &query, tally).await;
        let gained = |now: usize, before: usize| (now - before) as u64;
        self.tracker.sweep_listed(
            query.label,
            gained(tally.pages, pages),
            gained(tally.endings, endings),
        );
        result
    }

    async fn read_pages<'s>(
        &self,
        sought: &HashMap<&'s str, &'s Sought>,
        query: &Query<'_>,
        tally: &mut Tally,
    ) -> Result<HashSet<&'s str>, FnfError> {
        let mut found = HashSet::new();
        let mut next_token = None;
        let mut read = 0;
        while read < query.most {
            read += 1;
            tally.pages += 1;
            (self.refill)();
            let page = self
                .lister
                .page(&query.request(self.flow_name, next_token))
                .await?;
            for execution in &page.executions {
                let ended = execution.is_terminal();
                if let Some(status) = execution.status.as_deref() {
                    tally.statuses_seen.insert(status);
                }
                let counts = if ended {
                    &mut tally.ages.ended
                } else {
                    &mut tally.ages.live
                };
                counts.item(execution.started_at(), self.now);
                if let Some((&name, sought)) = sought.get_key_value(execution.name.as_str()) {
                    self.tracker
                        .record_read(&sought.key, execution, ReadVia::Sweep);
                    if ended {
                        tally.endings += 1;
                        tally.ended_by_age.ended(sought.started, self.now);
                    }
                    found.insert(name);
                }
            }
            match page.next_token.filter(|t| !t.is_empty()) {
                Some(token) => next_token = Some(token),
                None => break,
            }
        }
        Ok(found)
    }
}

/// One listing: its filter and how many pages it may read.
struct Query<'a> {
    /// What the metrics call this listing.
    label: &'static str,
    status: Option<&'a str>,
    window: Window,
    metadata_only: bool,
    most: usize,
}

impl<'a> Query<'a> {
    fn all(label: &'static str, window: Window) -> Self {
        Self {
            label,
            status: None,
            window,
            metadata_only: false,
            most: usize::MAX,
        }
    }

    fn status(label: &'static str, status: &'a str, window: Window) -> Self {
        Self {
            status: Some(status),
            ..Self::all(label, window)
        }
    }

    fn request(&self, flow_name: &str, next_token: Option<String>) -> ListExecutions {
        // The documented shape: RFC 3339 UTC with milliseconds.
        let format = |t: Timestamp| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
        ListExecutions {
            flow_name: flow_name.to_string(),
            next_token,
            limit: Some(PAGE_SIZE),
            status: self.status.map(str::to_string),
            started_time_begin: self.window.0.map(format),
            started_time_end: self.window.1.map(format),
            execution_name_prefix: None,
            metadata_only: self.metadata_only,
        }
    }
}
