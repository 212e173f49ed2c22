//! The sweeper: one task per account reads ListExecutions pages, so every
//! ending is seen even when no long-poll is in flight for it. A round first
//! reads up to a few pages of `Running` per flow for executions still shown as
//! Starting (a long-poll answers only at the end), then, per flow, lists each
//! terminal status within the start-time window of the executions without a
//! long-poll in flight (every item carries
//! the DescribeExecution fields, so an ending needs no further call). Calls are paced by the
//! account's ListExecutions quota, so rounds simply follow each other.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::Notify;

use super::key::{Member, ReadVia, TrackKey};
use super::views::CloudViews;
use crate::crd::phase;
use crate::decide::classify;
use fnf_client::model::{TERMINAL_STATUSES, parse_cloud_time};
use fnf_client::{Client, FnfError, ListExecutions};

const PAGE_SIZE: u32 = 100;
/// The cloud compares StartedTime at its own precision: widen the window.
const WINDOW_SLACK: Duration = Duration::from_secs(1);
/// DescribeExecution callers wait longer than this: slot holders may not have
/// their long-poll in flight.
const QUEUED_LONG_POLLS: Duration = Duration::from_secs(1);
/// Pages of `Running` read per round for executions shown as Starting.
const RUNNING_PAGES_PER_ROUND: usize = 5;
/// Nothing to sweep: look again after this even without news.
const IDLE_RECHECK: Duration = Duration::from_secs(5);

/// One execution the sweep looks for.
#[derive(Clone, Debug)]
struct Sought {
    key: TrackKey,
    started: Option<Timestamp>,
}

/// What one round reads for one flow of one endpoint.
struct FlowSweep {
    client: Client,
    flow_name: String,
    /// Executions not yet seen ended, by execution name.
    endings: HashMap<String, Sought>,
    /// Executions still shown as Starting, by execution name.
    starting: HashMap<String, Sought>,
}

/// What a sweep needs of the plan it serves: the account's members, and
/// grants of freed long-poll slots between pages. The planner implements it.
pub trait Roster: Send + Sync + 'static {
    /// Grants what the account's budget allows now.
    fn refill(&self, account_id: &str);
    /// The account's members as they stand now.
    fn members(&self, account_id: &str) -> Vec<Member>;
}

pub async fn run<V: CloudViews, R: Roster>(
    tracker: V,
    planner: R,
    account_id: String,
    news: Arc<Notify>,
) {
    let mut failures: u32 = 0;
    loop {
        planner.refill(&account_id);
        let sweeps = plan_round(&tracker, &account_id, planner.members(&account_id));
        if sweeps.is_empty() {
            // Either a new member or the idle re-check: both just start a round.
            let _ = tokio::time::timeout(IDLE_RECHECK, news.notified()).await;
            continue;
        }
        // Slots follow the DescribeExecution bucket's refill: grant between pages.
        let refill = || planner.refill(&account_id);
        let round_started = std::time::Instant::now();
        let mut failed = false;
        let mut pages = 0;
        for sweep in &sweeps {
            let result = sweep_starting(&tracker, sweep, &refill).await;
            failed |= failed_and_logged(sweep, "Running", result, &mut pages);
        }
        for sweep in &sweeps {
            let result = sweep_endings(&tracker, sweep, &refill).await;
            failed |= failed_and_logged(sweep, "endings", result, &mut pages);
        }
        tracing::debug!(
            account = %account_id,
            flows = sweeps.len(),
            endings_sought = sweeps.iter().map(|s| s.endings.len()).sum::<usize>(),
            starting_sought = sweeps.iter().map(|s| s.starting.len()).sum::<usize>(),
            pages,
            took_ms = round_started.elapsed().as_millis() as u64,
            failed,
            "sweep round"
        );
        if failed {
            failures = failures.saturating_add(1);
            tokio::time::sleep(classify::backoff_ceiling(failures)).await;
        } else {
            failures = 0;
        }
    }
}

fn failed_and_logged(
    sweep: &FlowSweep,
    what: &str,
    result: Result<usize, FnfError>,
    pages: &mut usize,
) -> bool {
    let err = match result {
        Ok(read) => {
            *pages += read;
            return false;
        }
        Err(err) => err,
    };
    tracing::debug!(
        flow = %sweep.flow_name, what, reason = err.reason(), error = %err,
        "sweep failed"
    );
    true
}

fn plan_round<V: CloudViews>(
    tracker: &V,
    account_id: &str,
    members: Vec<Member>,
) -> Vec<FlowSweep> {
    // A slot holder's long-poll may be queued for its token (many slots
    // granted at once): until it is in flight, the sweep covers it too.
    let long_polls_queued = members.first().is_some_and(|member| {
        let quotas = &member.client.config().quotas;
        quotas.backlog(account_id, "DescribeExecution") > QUEUED_LONG_POLLS
    });
    let mut sweeps: HashMap<(String, String), FlowSweep> = HashMap::new();
    for member in members {
        let Some(read) = tracker.execution_read(&member.key) else {
            continue;
        };
        let ended = read.status.as_deref().is_some_and(phase::is_terminal);
        let starting = read.status.as_deref() == Some(phase::STARTING);
        let wanted_ending = !ended && (!member.holds_slot || long_polls_queued);
        if !wanted_ending && !starting {
            continue;
        }
        let sought = Sought {
            key: member.key.clone(),
            started: read.started_time.as_deref().and_then(parse_cloud_time),
        };
        let group = (
            member.client.config().endpoint.url().to_string(),
            member.flow_name.clone(),
        );
        let sweep = sweeps.entry(group).or_insert_with(|| FlowSweep {
            client: member.client.clone(),
            flow_name: member.flow_name.clone(),
            endings: HashMap::new(),
            starting: HashMap::new(),
        });
        if wanted_ending {
            sweep
                .endings
                .insert(member.execution_name.clone(), sought.clone());
        }
        if starting {
            sweep.starting.insert(member.execution_name, sought);
        }
    }
    sweeps.into_values().collect()
}

async fn sweep_endings<V: CloudViews>(
    tracker: &V,
    sweep: &FlowSweep,
    refill: &(dyn Fn() + Sync),
) -> Result<usize, FnfError> {
    if sweep.endings.is_empty() {
        return Ok(0);
    }
    let window = window(sweep.endings.values());
    let mut read = 0;
    for &status in TERMINAL_STATUSES {
        let pages = Pages {
            status,
            window,
            most: usize::MAX,
        };
        read += read_pages(tracker, sweep, &sweep.endings, pages, refill).await?;
    }
    Ok(read)
}

async fn sweep_starting<V: CloudViews>(
    tracker: &V,
    sweep: &FlowSweep,
    refill: &(dyn Fn() + Sync),
) -> Result<usize, FnfError> {
    if sweep.starting.is_empty() {
        return Ok(0);
    }
    // A few pages a round, so endings are not held up; the next round's
    // window starts after the ones seen Running.
    let pages = Pages {
        status: phase::RUNNING,
        window: window(sweep.starting.values()),
        most: RUNNING_PAGES_PER_ROUND,
    };
    read_pages(tracker, sweep, &sweep.starting, pages, refill).await
}

/// Which pages one listing reads.
struct Pages<'a> {
    status: &'a str,
    window: Window,
    most: usize,
}

/// Reads up to `pages.most` pages and records the sought executions found;
/// the number of pages read.
async fn read_pages<V: CloudViews>(
    tracker: &V,
    sweep: &FlowSweep,
    sought: &HashMap<String, Sought>,
    pages: Pages<'_>,
    refill: &(dyn Fn() + Sync),
) -> Result<usize, FnfError> {
    let mut next_token = None;
    let mut read = 0;
    while read < pages.most {
        read += 1;
        refill();
        let page = sweep
            .client
            .list_executions(&query(sweep, pages.status, pages.window, next_token))
            .await?;
        record(tracker, sought, &page.executions);
        match page.next_token.filter(|t| !t.is_empty()) {
            Some(token) => next_token = Some(token),
            None => break,
        }
    }
    Ok(read)
}

fn record<V: CloudViews>(
    tracker: &V,
    sought: &HashMap<String, Sought>,
    found: &[fnf_client::Execution],
) {
    for execution in found {
        if let Some(sought) = sought.get(&execution.name) {
            tracker.record_read(&sought.key, execution, ReadVia::Sweep);
        }
    }
}

type Window = (Option<Timestamp>, Option<Timestamp>);

/// The start-time range covering every sought execution; unbounded when one
/// has no known start.
fn window<'a>(sought: impl Iterator<Item = &'a Sought>) -> Window {
    let mut bounds: Option<(Timestamp, Timestamp)> = None;
    for s in sought {
        let Some(started) = s.started else {
            return (None, None);
        };
        bounds = Some(match bounds {
            None => (started, started),
            Some((low, high)) => (low.min(started), high.max(started)),
        });
    }
    match bounds {
        Some((low, high)) => (
            low.checked_sub(WINDOW_SLACK).ok(),
            high.checked_add(WINDOW_SLACK).ok(),
        ),
        None => (None, None),
    }
}

fn query(sweep: &FlowSweep, status: &str, window: Window, token: Option<String>) -> ListExecutions {
    // The documented shape: RFC 3339 UTC with milliseconds.
    let format = |t: Timestamp| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    ListExecutions {
        flow_name: sweep.flow_name.clone(),
        next_token: token,
        limit: Some(PAGE_SIZE),
        status: Some(status.to_string()),
        started_time_begin: window.0.map(format),
        started_time_end: window.1.map(format),
        execution_name_prefix: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sought(started: Option<&str>) -> Sought {
        Sought {
            key: TrackKey {
                namespace: "ns".into(),
                name: "n".into(),
                uid: "u".into(),
            },
            started: started.map(|t| t.parse().unwrap()),
        }
    }

    #[test]
    fn the_window_covers_every_start_with_slack() {
        let all = [
            sought(Some("2026-01-01T00:00:10Z")),
            sought(Some("2026-01-01T00:00:05.500Z")),
        ];
        let (low, high) = window(all.iter());
        assert_eq!(low.unwrap().to_string(), "2026-01-01T00:00:04.5Z");
        assert_eq!(high.unwrap().to_string(), "2026-01-01T00:00:11Z");
        let unknown = [sought(Some("2026-01-01T00:00:10Z")), sought(None)];
        assert_eq!(window(unknown.iter()), (None, None));
    }
}
