//! Records every version of every FlowExecution, CronFlowExecution and Flow
//! from the first second, with the time it was seen, through watches that
//! come back by themselves after an apiserver restart or a dropped watch.

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Api, Resource};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;

use super::recording::ObjectVersion;
use fnf_operator::crd::{CronFlowExecution, Flow, FlowExecution};

pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

#[derive(Clone, Default)]
pub struct Recorder {
    versions: Arc<Mutex<Vec<ObjectVersion>>>,
}

fn version_of<K: Resource + Serialize>(kind: &str, object: &K, deleted: bool) -> ObjectVersion {
    let meta = object.meta();
    ObjectVersion {
        at_ms: now_ms(),
        kind: kind.to_string(),
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone().unwrap_or_default(),
        uid: meta.uid.clone().unwrap_or_default(),
        deleted,
        object: serde_json::to_value(object).unwrap_or_default(),
    }
}

impl Recorder {
    /// Starts the three watches; they run until the handles are aborted.
    pub fn start(&self, client: &kube::Client) -> Vec<JoinHandle<()>> {
        vec![
            self.watch::<FlowExecution>(client, "FlowExecution"),
            self.watch::<CronFlowExecution>(client, "CronFlowExecution"),
            self.watch::<Flow>(client, "Flow"),
        ]
    }

    fn watch<K>(&self, client: &kube::Client, kind: &'static str) -> JoinHandle<()>
    where
        K: Resource<DynamicType = ()>
            + Clone
            + std::fmt::Debug
            + Serialize
            + DeserializeOwned
            + Send
            + Sync
            + 'static,
    {
        let api: Api<K> = Api::all(client.clone());
        let versions = self.versions.clone();
        tokio::spawn(async move {
            let mut stream = watcher::watcher(api, watcher::Config::default()).boxed();
            while let Some(event) = stream.next().await {
                let seen = match event {
                    Ok(Event::Apply(o)) | Ok(Event::InitApply(o)) => version_of(kind, &o, false),
                    Ok(Event::Delete(o)) => version_of(kind, &o, true),
                    Ok(Event::Init) | Ok(Event::InitDone) => continue,
                    Err(_) => {
                        // The apiserver is away: the watcher relists when it is back.
                        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                        continue;
                    }
                };
                versions
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(seen);
            }
        })
    }

    pub fn versions(&self) -> Vec<ObjectVersion> {
        self.versions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
