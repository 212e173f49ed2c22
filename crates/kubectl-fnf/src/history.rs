//! The plugin's reads from the cloud: a whole execution history, page after
//! page, and an execution's whole Output.
//!
//! Reads only (GetExecutionHistory, DescribeExecution). Must never loop
//! forever on a misbehaving NextToken, and never print or log the key it
//! signs with.

use std::collections::HashSet;
use std::future::Future;

use super::error::PluginError;
use super::resolve::HistoryTarget;
use fnf_client::{Client, ClientConfig, CredentialProvider, HistoryEvent, HistoryPage};

fn client_for(
    target: &HistoryTarget,
    credentials: CredentialProvider,
) -> Result<Client, PluginError> {
    let mut config = ClientConfig::new(target.endpoint.clone())
        .map_err(|err| PluginError::InvalidSetting(err.to_string()))?;
    if target.region.is_some() {
        config.region_id = target.region.clone();
    }
    Ok(Client::new(config, credentials))
}

/// The execution's Output as the cloud holds it (DescribeExecution, no wait);
/// `None` when it has none.
pub async fn fetch_output(
    target: &HistoryTarget,
    credentials: CredentialProvider,
) -> Result<Option<String>, PluginError> {
    let client = client_for(target, credentials)?;
    let execution = client
        .describe_execution(&target.flow_name, &target.execution_name, 0)
        .await
        .map_err(|source| PluginError::Cloud {
            action: "DescribeExecution",
            flow_name: target.flow_name.clone(),
            execution_name: target.execution_name.clone(),
            source: Box::new(source),
        })?;
    Ok(execution.output.filter(|o| !o.is_empty()))
}

/// fnf keeps at most 5,000 events per execution, so even one event per page
/// ends well before this.
pub const HISTORY_PAGES_MAX: usize = 5_001;

pub async fn fetch_history(
    target: &HistoryTarget,
    credentials: CredentialProvider,
    page_size: u32,
) -> Result<Vec<HistoryEvent>, PluginError> {
    let client = client_for(target, credentials)?;
    collect_pages(|token| {
        let client = client.clone();
        async move {
            client
                .get_execution_history(
                    &target.flow_name,
                    &target.execution_name,
                    token.as_deref(),
                    Some(page_size),
                )
                .await
                .map_err(|source| PluginError::Cloud {
                    action: "GetExecutionHistory",
                    flow_name: target.flow_name.clone(),
                    execution_name: target.execution_name.clone(),
                    source: Box::new(source),
                })
        }
    })
    .await
}

/// Calls `fetch` with no token, then with each NextToken, until a page comes
/// without one. A token seen twice is an error, not a loop.
pub async fn collect_pages<F, Fut>(mut fetch: F) -> Result<Vec<HistoryEvent>, PluginError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<HistoryPage, PluginError>>,
{
    let mut events = Vec::new();
    let mut seen = HashSet::new();
    let mut token = None;
    for _ in 0..HISTORY_PAGES_MAX {
        let page = fetch(token.take()).await?;
        events.extend(page.events);
        match page.next_token.filter(|t| !t.is_empty()) {
            None => return Ok(events),
            Some(next) if !seen.insert(next.clone()) => {
                return Err(PluginError::HistoryPagingStuck { token: next });
            }
            Some(next) => token = Some(next),
        }
    }
    Err(PluginError::HistoryPagingStuck {
        token: format!("(still more after {HISTORY_PAGES_MAX} pages)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    fn page(ids: &[i64], next: Option<&str>) -> HistoryPage {
        HistoryPage {
            events: ids
                .iter()
                .map(|&event_id| HistoryEvent {
                    event_id,
                    ..HistoryEvent::default()
                })
                .collect(),
            next_token: next.map(str::to_string),
            request_id: None,
        }
    }

    #[tokio::test]
    async fn pages_are_followed_by_their_tokens_until_none_is_left() {
        let asked = Mutex::new(Vec::new());
        let events = collect_pages(|token| {
            asked.lock().unwrap().push(token.clone());
            let answer = match token.as_deref() {
                None => page(&[1, 2], Some("2")),
                Some("2") => page(&[3, 4], Some("4")),
                Some("4") => page(&[5], Some("")),
                Some(other) => panic!("unexpected token {other}"),
            };
            async move { Ok(answer) }
        })
        .await
        .unwrap();
        let ids: Vec<i64> = events.iter().map(|e| e.event_id).collect();
        assert_eq!(ids, [1, 2, 3, 4, 5]);
        assert_eq!(
            *asked.lock().unwrap(),
            [None, Some("2".to_string()), Some("4".to_string())]
        );
    }

    #[tokio::test]
    async fn a_token_that_comes_back_stops_the_paging_with_an_error() {
        let calls = Mutex::new(0);
        let err = collect_pages(|_| {
            *calls.lock().unwrap() += 1;
            async { Ok(page(&[1], Some("same"))) }
        })
        .await
        .unwrap_err();
        assert_eq!(err.reason(), "HistoryPagingStuck");
        assert_eq!(*calls.lock().unwrap(), 2);
    }

    #[tokio::test]
    async fn a_failed_page_fails_the_whole_history() {
        let err = collect_pages(|token| async move {
            match token {
                None => Ok(page(&[1], Some("1"))),
                Some(_) => Err(PluginError::InvalidSetting("boom".into())),
            }
        })
        .await
        .unwrap_err();
        assert_eq!(err.to_string(), "boom");
    }
}
