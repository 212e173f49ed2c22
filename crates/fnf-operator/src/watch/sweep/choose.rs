//! What a sweep reads, decided without I/O: which start-time windows cover a
//! flow's sought executions, which listing reads each window, and which flows
//! get the next pages. Every estimate comes from what the flow's last visit
//! returned; a wrong estimate only costs calls, never an ending, because every
//! listing still covers every sought execution.

use std::time::Duration;

use jiff::Timestamp;

use super::ages::{self, AgeDensity};
pub use super::ages::{Density, Window};
use super::statuses::StatusSet;

/// Items per ListExecutions page.
pub const PAGE_SIZE: u32 = 100;
/// The cloud compares StartedTime at its own precision: widen each window.
pub const WINDOW_SLACK: Duration = Duration::from_secs(1);
/// Pages of `Running` a terminal sweep reads for executions shown as Starting.
pub const RUNNING_PAGES_FOR_STARTING: usize = 5;
/// What a final-status read (DescribeExecution) is worth in ListExecutions
/// calls when the sweep's allowance has one: it spends another action's
/// quota, so it is nearly free to the pages, but not so free that a window
/// of many absences is read one call each where a page would find them all.
pub const DESCRIBE_PRICE: f64 = 0.25;

/// How one window is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// No status filter: every item, ended or not, in one pass.
    All,
    /// One listing per terminal status due (`statuses`), plus a few
    /// `Running` pages when a sought execution is still shown as Starting.
    Terminal,
    /// `Running` items only (metadata): a sought execution absent from it
    /// has ended (or not yet run); those are then read one DescribeExecution
    /// each while the sweep's allowance lasts, and with `All` over windows
    /// around them after that.
    RunningFirst,
}

/// What a window is expected to hold, from the flow's last visit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Expected {
    pub live: f64,
    pub ended: f64,
    /// Sought executions expected to have ended since the last visit.
    pub endings: f64,
    /// Whether a sought execution is shown as Starting.
    pub starting: bool,
    /// Terminal statuses a status-filtered read lists, one listing each.
    pub statuses: usize,
    /// Final-status reads the window may use.
    pub describes: f64,
}

/// What a visit may read besides pages of every status.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reads {
    /// The terminal statuses a status-filtered window is listed by.
    pub statuses: StatusSet,
    /// Final-status reads (DescribeExecution) the sweep's allowance has.
    pub describes: f64,
}

impl From<StatusSet> for Reads {
    fn from(statuses: StatusSet) -> Self {
        Self {
            statuses,
            describes: 0.0,
        }
    }
}

fn pages(items: f64) -> f64 {
    (items / f64::from(PAGE_SIZE)).ceil().max(1.0)
}

/// The estimated calls of each listing over a window.
pub fn cost(listing: Listing, expected: Expected) -> f64 {
    let all = pages(expected.live + expected.ended);
    match listing {
        Listing::All => all,
        Listing::Terminal => {
            // One status usually holds nearly all endings; the others cost a call each.
            let starting = if expected.starting {
                pages(expected.live).min(RUNNING_PAGES_FOR_STARTING as f64)
            } else {
                0.0
            };
            let others = expected.statuses.saturating_sub(1) as f64;
            pages(expected.ended) + others + starting
        }
        // Absent executions are described while the allowance lasts, the
        // rest read again around their starts: at worst one call each, never
        // more than reading the window at once.
        Listing::RunningFirst => {
            let described = expected.endings.min(expected.describes).max(0.0);
            let paged = (expected.endings - described).ceil().min(all);
            pages(expected.live) + described * DESCRIBE_PRICE + paged
        }
    }
}

/// The cheapest of `listings` for a window, and its cost; the first given
/// on a tie (`All` needs no second pass).
pub fn choose_among(listings: &[Listing], expected: Expected) -> (Listing, f64) {
    listings
        .iter()
        .map(|&listing| (listing, cost(listing, expected)))
        .fold((Listing::All, f64::INFINITY), |best, next| {
            if next.1 < best.1 { next } else { best }
        })
}

/// A window over sought executions: its bounds (without slack) and how many
/// sought executions it covers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Cluster {
    pub low: Timestamp,
    pub high: Timestamp,
    pub sought: usize,
}

impl Cluster {
    pub fn window(&self) -> Window {
        (
            self.low.checked_sub(WINDOW_SLACK).ok(),
            self.high.checked_add(WINDOW_SLACK).ok(),
        )
    }

    /// Items the window is expected to hold, at least its sought ones.
    pub fn items(&self, expected: &dyn Fn(Window) -> f64) -> f64 {
        expected(self.window()).max(self.sought as f64)
    }
}

/// Runs shown as Starting whose starts one status read's `Running` pages
/// cover at most: half of what those pages hold, so live runs between them
/// still leave room.
pub const STARTING_PER_READ: usize = RUNNING_PAGES_FOR_STARTING * PAGE_SIZE as usize / 2;

/// The window a status read's `Running` pages cover: only the starts of the
/// sought executions shown as Starting, so the live ones around them are not
/// paged, and of those only the `STARTING_PER_READ` oldest. The pages are
/// capped, so a window over every such start would list the same first runs
/// at each visit and never reach the rest; the oldest, once seen Running,
/// leave the set and the next read moves on. All of `window` when one of
/// those starts is unknown.
pub fn starting_window(starting: &[Option<Timestamp>], window: Window) -> Window {
    let Some(mut starts) = starting.iter().copied().collect::<Option<Vec<Timestamp>>>() else {
        return window;
    };
    starts.sort_unstable();
    starts.truncate(STARTING_PER_READ);
    let (Some(low), Some(high)) = (starts.first(), starts.last()) else {
        return window;
    };
    Cluster {
        low: *low,
        high: *high,
        sought: starts.len(),
    }
    .window()
}

/// Splits sorted start times into windows so that the items between them
/// (`expected` of a window: every item, or only live ones for a `Running`
/// listing) are not paged: two neighbours share a window only when that
/// costs no more pages than reading them apart. With no density known yet,
/// one window covers all.
pub fn clusters(starts: &[Timestamp], expected: &dyn Fn(Window) -> f64) -> Vec<Cluster> {
    let mut out: Vec<Cluster> = Vec::new();
    for &start in starts {
        let alone = Cluster {
            low: start,
            high: start,
            sought: 1,
        };
        if let Some(last) = out.last_mut() {
            let merged = Cluster {
                low: last.low,
                high: start.max(last.high),
                sought: last.sought + 1,
            };
            let apart = pages(last.items(expected)) + pages(alone.items(expected));
            if pages(merged.items(expected)) <= apart {
                *last = merged;
                continue;
            }
        }
        out.push(alone);
    }
    out
}

/// What a sought execution counts for in a flow's score: one whose ending is
/// sought counts whole; one sought only to see it Running (its long-poll will
/// report the ending, and a long-poll's timeout answer shows Running within a
/// minute anyway) counts this much.
pub const STARTING_ONLY_WEIGHT: f64 = 0.1;

/// How much lag a visit to a flow removes per call: the endings it may find
/// (proportional to `sought`, the weighted sought executions, and the time
/// since the last visit) times how long they have waited, per estimated
/// call. A flow never visited goes first.
pub fn score(sought: f64, since_visit: Option<Duration>, calls: f64) -> f64 {
    let Some(since) = since_visit else {
        return f64::INFINITY;
    };
    let secs = since.as_secs_f64();
    sought * secs * secs / calls.max(1.0)
}

/// How long the endings a visit to a flow may find can have waited: since
/// its last visit, and never longer than its oldest sought execution has
/// existed (`None`: unknown, never visited and some start unknown). Bounding
/// by age keeps a flow that just gained its first sought execution from
/// ranking as if it had waited forever.
pub fn waited(since_visit: Option<Duration>, starts: &[Start], now: Timestamp) -> Option<Duration> {
    let oldest = starts
        .iter()
        .map(|s| s.started)
        .collect::<Option<Vec<_>>>()
        .and_then(|all| all.into_iter().min());
    let age = oldest.map(|t| Duration::try_from(now.duration_since(t)).unwrap_or(Duration::ZERO));
    match (since_visit, age) {
        (Some(since), Some(age)) => Some(since.min(age)),
        (since, age) => since.or(age),
    }
}

/// The flows a round visits, best first: by score, until their estimated
/// calls reach `budget` (at least one flow), so the plan is redone often.
pub fn pick(flows: &[(f64, f64)], budget: f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..flows.len()).collect();
    order.sort_by(|&a, &b| flows[b].0.total_cmp(&flows[a].0));
    let mut spent = 0.0;
    let mut chosen = Vec::new();
    for index in order {
        if !chosen.is_empty() && spent + flows[index].1 > budget {
            continue;
        }
        spent += flows[index].1;
        chosen.push(index);
    }
    chosen
}

/// One sought execution as planning sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Start {
    pub started: Option<Timestamp>,
    /// Shown as Starting (a long-poll would not report it Running).
    pub starting: bool,
}

/// One window of a flow's visit: how it is read and which sought executions
/// (indices into the planned slice) it covers.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub window: Window,
    pub listing: Listing,
    pub calls: f64,
    /// Final-status reads it is expected to make.
    pub described: f64,
    pub members: Vec<usize>,
}

/// What a flow's last visit saw, for planning the next one.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Seen {
    pub density: AgeDensity,
    /// Share of the sought executions found ended at the last visits, by
    /// age bin.
    pub ended_share: [f64; ages::BINS],
}

/// The windows and listings of one flow's visit. Executions without a known
/// start force one open window read whole. The flow may be split once where
/// one age bin ends, each side read its own way: young start times hold few
/// ended items (cheap to list by status), old ones few live items (cheap to
/// list `Running`). A status-filtered read lists `reads.statuses`.
pub fn plan_flow(sought: &[Start], seen: Seen, reads: Reads, now: Timestamp) -> Vec<Part> {
    if sought.is_empty() {
        return Vec::new();
    }
    if sought.iter().any(|s| s.started.is_none()) {
        return vec![Part {
            window: (None, None),
            listing: Listing::All,
            calls: pages(sought.len() as f64),
            described: 0.0,
            members: (0..sought.len()).collect(),
        }];
    }
    let mut order: Vec<usize> = (0..sought.len()).collect();
    order.sort_by_key(|&i| sought[i].started);
    let starts: Vec<Timestamp> = order.iter().filter_map(|&i| sought[i].started).collect();
    let side_with = |range: std::ops::Range<usize>, used: f64| {
        let reads = Reads {
            describes: (reads.describes - used).max(0.0),
            ..reads
        };
        plan_side(
            sought,
            &order[range.clone()],
            &starts[range],
            seen,
            reads,
            now,
        )
    };
    let side = |range| side_with(range, 0.0);
    let mut best = side(0..starts.len());
    for split in ages::bin_changes(&starts, now) {
        // The old side goes first: it is where final-status reads pay.
        let mut parts = side(0..split);
        let used = described(&parts);
        parts.extend(side_with(split..starts.len(), used));
        if total_calls(&parts) < total_calls(&best) {
            best = parts;
        }
    }
    best
}

fn total_calls(parts: &[Part]) -> f64 {
    parts.iter().map(|p| p.calls).sum()
}

fn described(parts: &[Part]) -> f64 {
    parts.iter().map(|p| p.described).sum()
}

/// The cheaper plan for consecutive sought executions: reading every item
/// pays for the ended ones between them; a Running listing does not, but
/// pays again for the absent ones.
fn plan_side(
    sought: &[Start],
    order: &[usize],
    starts: &[Timestamp],
    seen: Seen,
    reads: Reads,
    now: Timestamp,
) -> Vec<Part> {
    let every_item = |window: Window| seen.density.items(window, now, Density::all);
    let live_item = |window: Window| seen.density.items(window, now, |d| d.live);
    let plan = |expected: &dyn Fn(Window) -> f64, listings: &[Listing]| {
        let clusters = clusters(starts, expected);
        plan_windows(sought, order, seen, reads, now, clusters, listings)
    };
    let every = plan(&every_item, &[Listing::All, Listing::Terminal]);
    let running = plan(&live_item, &[Listing::RunningFirst]);
    if total_calls(&running) < total_calls(&every) {
        running
    } else {
        every
    }
}

/// One part per cluster, each read with the cheapest of `listings`.
fn plan_windows(
    sought: &[Start],
    order: &[usize],
    seen: Seen,
    reads: Reads,
    now: Timestamp,
    clusters: Vec<Cluster>,
    listings: &[Listing],
) -> Vec<Part> {
    let mut describes = reads.describes;
    let mut rest = order;
    let mut parts = Vec::new();
    for cluster in clusters {
        let (members, after) = rest.split_at(cluster.sought.min(rest.len()));
        rest = after;
        let window = cluster.window();
        let endings: f64 = members
            .iter()
            .filter_map(|&i| sought[i].started)
            .map(|started| seen.ended_share[ages::bin_of(started, now)])
            .sum();
        let expected = Expected {
            live: seen
                .density
                .items(window, now, |d| d.live)
                .max(cluster.sought as f64 - endings),
            ended: seen.density.items(window, now, |d| d.ended),
            endings,
            starting: members.iter().any(|&i| sought[i].starting),
            statuses: reads.statuses.len(),
            describes,
        };
        let (listing, calls) = choose_among(listings, expected);
        let described = if listing == Listing::RunningFirst {
            endings.min(describes)
        } else {
            0.0
        };
        describes -= described;
        parts.push(Part {
            window,
            listing,
            calls,
            described,
            members: members.to_vec(),
        });
    }
    parts
}
