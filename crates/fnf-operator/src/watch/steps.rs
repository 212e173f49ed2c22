//! Following an execution's history while it runs, for `status.currentStep`
//! and `status.stepCount` and an Event per failed step. GetExecutionHistory
//! has its own quota (5/s, burst 50), separate from DescribeExecution's, so
//! following steps never slows status. Followers take turns (a fair
//! semaphore of `HISTORY_READERS`), so with thousands running each waits in
//! line holding its own state (about a kilobyte), not a call in flight, and
//! the quota's token bucket is never booked more than a few calls ahead.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use super::key::TrackKey;
use super::views::CloudViews;
use crate::decide::clean;
use crate::decide::view::StepProgress;
use fnf_client::{Client, HistoryEvent};

/// How often a running execution's history is read again.
pub const STEP_REFRESH: Duration = Duration::from_secs(3);
const HISTORY_PAGE_LIMIT: u32 = 100;
/// Followers reading at once, over every account: enough to keep several
/// accounts' quotas busy at a cloud's latency (about 10 calls a second each).
pub const HISTORY_READERS: usize = 8;

/// Folds new history events into the progress; events already seen (by id)
/// are skipped, since the last page is read again to catch what was appended.
pub fn fold(progress: &mut StepProgress, seen: &mut HashSet<i64>, events: &[HistoryEvent]) {
    for event in events {
        if !seen.insert(event.event_id) {
            continue;
        }
        match event.event_type.as_str() {
            "StepEntered" => {
                progress.entered += 1;
                if let Some(step) = &event.step_name {
                    progress.current = Some(clean::cloud_text(step));
                }
            }
            "StepFailed" | "TaskFailed" | "TaskTimedOut" => {
                let step = clean::cloud_text(event.step_name.as_deref().unwrap_or_default());
                let detail = clean::cloud_text(event.event_detail.as_deref().unwrap_or_default());
                progress.failed.push((step, detail));
            }
            _ => {}
        }
    }
}

/// Reads the history until the execution ends (the tracker's view says so),
/// publishing progress into the view and waking the reconcile on change.
pub async fn follow<V: CloudViews>(
    tracker: V,
    readers: Arc<Semaphore>,
    key: TrackKey,
    client: Client,
    flow: String,
    execution: String,
) {
    let mut progress = StepProgress::default();
    let mut seen = HashSet::new();
    // A follower restarted with new credentials reads the history again from
    // the start: failures already announced are not announced twice.
    let told = tracker.view(&key).steps.map_or(0, |s| s.failed.len());
    // The token of the page being read; the last page is re-read for new events.
    let mut page_token: Option<String> = None;
    loop {
        let ended = tracker.view(&key).ended();
        let Ok(turn) = readers.acquire().await else {
            return;
        };
        loop {
            // Boxed: a follower waiting for its turn stays small; only a
            // call in flight holds the call's state.
            let read = Box::pin(client.get_execution_history(
                &flow,
                &execution,
                page_token.as_deref(),
                Some(HISTORY_PAGE_LIMIT),
            ))
            .await;
            match read {
                Ok(page) => {
                    tracker.steps_read(&key);
                    let before = progress.clone();
                    fold(&mut progress, &mut seen, &page.events);
                    if progress != before {
                        publish(&tracker, &key, &progress, before.failed.len().max(told));
                    }
                    if let Some(next) = page.next_token.filter(|t| !t.is_empty()) {
                        page_token = Some(next);
                        continue;
                    }
                }
                Err(err) => {
                    tracing::debug!(namespace = %key.namespace, name = %key.name, reason = err.reason(), "history read failed");
                }
            }
            break;
        }
        drop(turn);
        if ended {
            return;
        }
        tokio::time::sleep(STEP_REFRESH).await;
    }
}

/// Puts the progress in the view, with the failures not announced before
/// (from index `announced`), and wakes the reconcile.
fn publish<V: CloudViews>(tracker: &V, key: &TrackKey, progress: &StepProgress, announced: usize) {
    let failed_now = progress
        .failed
        .get(announced..)
        .unwrap_or_default()
        .to_vec();
    let published = progress.clone();
    tracker.update(key, |view| {
        view.steps = Some(published);
        view.unannounced_step_failures.extend(failed_now);
    });
    tracker.wake(key);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::metrics::Metrics;
    use crate::watch::tracker::Tracker;
    use fnf_client::{ClientConfig, CredentialProvider, Credentials, Endpoint};

    #[test]
    fn a_follower_waiting_for_its_turn_holds_no_call() {
        // Thousands wait at once (one per running execution): a waiting one
        // holds its own state, not also that of a call (boxed while in flight).
        fnf_client::install_crypto_provider();
        let endpoint = Endpoint::from_url("http://127.0.0.1:9").unwrap();
        let config = ClientConfig::with_http(endpoint, reqwest::Client::new());
        let credentials = CredentialProvider::static_credentials(Credentials {
            access_key_id: "id".into(),
            access_key_secret: "secret".into(),
            security_token: None,
        });
        let client = Client::new(config, credentials);
        let key = TrackKey {
            namespace: "ns".into(),
            name: "n".into(),
            uid: "u".into(),
        };
        let (tracker, _woken) = Tracker::new(Metrics::default());
        let readers = Arc::new(Semaphore::new(HISTORY_READERS));
        let call = client.get_execution_history("flow", "run", None, Some(HISTORY_PAGE_LIMIT));
        let follower = follow(
            tracker,
            readers,
            key,
            client.clone(),
            "flow".into(),
            "run".into(),
        );
        let (waiting, in_flight) = (
            std::mem::size_of_val(&follower),
            std::mem::size_of_val(&call),
        );
        println!("follower {waiting} bytes, a call in flight {in_flight} bytes");
        assert!(waiting < in_flight, "{waiting} vs {in_flight}");
    }

    fn event(id: i64, kind: &str, step: &str) -> HistoryEvent {
        HistoryEvent {
            event_type: kind.into(),
            event_id: id,
            step_name: Some(step.into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_current_step_is_the_last_entered_and_rereads_count_once() {
        let mut progress = StepProgress::default();
        let mut seen = HashSet::new();
        let page = vec![
            event(1, "ExecutionStarted", ""),
            event(2, "StepEntered", "a"),
            event(3, "StepExited", "a"),
        ];
        fold(&mut progress, &mut seen, &page);
        let mut longer = page.clone();
        longer.push(event(4, "StepEntered", "b"));
        longer.push(event(5, "StepFailed", "b"));
        fold(&mut progress, &mut seen, &longer);
        assert_eq!(progress.current.as_deref(), Some("b"));
        assert_eq!(progress.entered, 2);
        assert_eq!(progress.failed.len(), 1);
    }
}
