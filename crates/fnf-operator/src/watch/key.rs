//! The names the watch's parts share: which object (`TrackKey`), how its
//! execution is watched (`PollStrategy`, `PollTarget`), which read brought
//! news (`ReadVia`) and what the sweep needs of a planned execution
//! (`Member`). Plain data.

use std::time::Duration;

use jiff::Timestamp;
use kube::runtime::reflector::ObjectRef;

use crate::crd::FlowExecution;
use fnf_client::Client;

/// A FlowExecution instance: a re-created object (new uid) starts afresh.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackKey {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl TrackKey {
    pub fn of(fe: &FlowExecution) -> Self {
        Self {
            namespace: fe.metadata.namespace.clone().unwrap_or_default(),
            name: fe.metadata.name.clone().unwrap_or_default(),
            uid: fe.metadata.uid.clone().unwrap_or_default(),
        }
    }

    pub fn object_ref(&self) -> ObjectRef<FlowExecution> {
        ObjectRef::new(&self.name).within(&self.namespace)
    }
}

/// How a live execution is watched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PollStrategy {
    /// DescribeExecution held by the cloud for up to this many seconds (0–60):
    /// one call per execution per wait, and an answer the moment it ends.
    LongPoll { wait_time_secs: u32 },
    /// DescribeExecution without waiting, once per period: what peer controllers
    /// do. Kept as the baseline the benchmark measures the long-poll against.
    Interval { period: Duration },
}

/// What a poll needs to know.
#[derive(Clone)]
pub struct PollTarget {
    pub client: Client,
    pub flow_name: String,
    pub execution_name: String,
    pub strategy: PollStrategy,
    /// StartedTime as the status recorded it: after a restart the cloud has
    /// not been read yet, and the sweep needs a start to bound its window.
    pub recorded_start: Option<Timestamp>,
}

/// Which read brought an execution's news: the metric of how late endings are
/// seen is split by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadVia {
    LongPoll,
    /// DescribeExecution without waiting (the interval baseline).
    Describe,
    Sweep,
}

impl ReadVia {
    pub fn label(self) -> &'static str {
        match self {
            Self::LongPoll => "long-poll",
            Self::Describe => "describe",
            Self::Sweep => "sweep",
        }
    }
}

/// One swept or slotted execution, as the sweeper needs it.
#[derive(Clone)]
pub struct Member {
    pub key: TrackKey,
    pub client: Client,
    pub flow_name: String,
    pub execution_name: String,
    pub holds_slot: bool,
}
