//! One execution's record: status, output, history, and the signal long-polls
//! wait on. The only place that changes an execution's status, so a stop and a
//! natural end can never both win.

use std::sync::Mutex;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::AbortHandle;

use super::clock::{Clock, format_millis};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Starting,
    Running,
    Succeeded,
    Failed,
    TimedOut,
    Stopped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "Starting",
            Self::Running => "Running",
            Self::Succeeded => "Succeeded",
            Self::Failed => "Failed",
            Self::TimedOut => "TimedOut",
            Self::Stopped => "Stopped",
        }
    }

    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Starting | Self::Running)
    }
}

#[derive(Clone, Debug)]
pub struct HistoryEvent {
    pub id: u64,
    pub schedule_id: u64,
    pub kind: &'static str,
    pub time: Timestamp,
    pub step: String,
    pub detail: String,
}

impl HistoryEvent {
    pub fn to_json(&self) -> Value {
        json!({
            "Type": self.kind,
            "EventId": self.id,
            "ScheduleEventId": self.schedule_id,
            "Time": format_millis(self.time),
            "StepName": self.step,
            "EventDetail": self.detail,
        })
    }
}

/// The most events one execution keeps (the documented limit).
pub const MAX_EVENTS_PER_EXECUTION: usize = 5000;

struct Progress {
    status: Status,
    output: Option<String>,
    stopped: Option<Timestamp>,
    events: Vec<HistoryEvent>,
    task: Option<AbortHandle>,
}

/// A point-in-time view of an execution, with times as served.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionSnapshot {
    pub flow_name: String,
    pub name: String,
    pub status: String,
    pub input: String,
    pub output: String,
    pub started_time: String,
    pub stopped_time: String,
}

/// An input key only the emulator reads: the execution's StartedTime is set
/// this many seconds before its start, as if it had been running that long.
/// The benchmark starts a steady state's live runs at their ages with it, so
/// start-time windows hold what an account running for hours holds.
pub const STARTED_SECONDS_AGO: &str = "fnfEmulatorStartedSecondsAgo";

/// `now`, moved back by the input's `STARTED_SECONDS_AGO` (under a year).
fn backdated(now: Timestamp, input: &str) -> Timestamp {
    if !input.contains(STARTED_SECONDS_AGO) {
        return now;
    }
    serde_json::from_str::<Value>(input)
        .ok()
        .and_then(|v| v.get(STARTED_SECONDS_AGO)?.as_f64())
        .filter(|secs| secs.is_finite() && (0.0..31_536_000.0).contains(secs))
        .and_then(|secs| now.checked_sub(Duration::from_secs_f64(secs)).ok())
        .unwrap_or(now)
}

/// A run that started and ended before now, as an account that has run for
/// hours holds them in every start-time window (the benchmark's ended
/// history). It serves as any ended execution does, with an empty history.
#[derive(Clone, Debug, PartialEq)]
pub struct PastRun {
    pub name: String,
    /// How long ago it started.
    pub started_secs_ago: f64,
    /// How long it ran: under `started_secs_ago`, or it would still run.
    pub ran_secs: f64,
}

pub struct Execution {
    pub flow_name: String,
    pub name: String,
    pub input: String,
    pub flow_definition: String,
    pub started: Timestamp,
    clock: Clock,
    progress: Mutex<Progress>,
    ended: watch::Sender<bool>,
}

impl Execution {
    pub fn new(
        flow_name: &str,
        name: &str,
        input: &str,
        flow_definition: &str,
        clock: Clock,
    ) -> Self {
        Self {
            flow_name: flow_name.to_string(),
            name: name.to_string(),
            input: input.to_string(),
            flow_definition: flow_definition.to_string(),
            started: backdated(clock.now(), input),
            clock,
            progress: Mutex::new(Progress {
                status: Status::Starting,
                output: None,
                stopped: None,
                events: Vec::new(),
                task: None,
            }),
            ended: watch::Sender::new(false),
        }
    }

    /// An execution that ended `run.started_secs_ago − run.ran_secs` seconds
    /// ago, Succeeded with an empty output; `None` when that end is not in
    /// the past or either time is not a number of seconds under a year.
    pub fn past(
        flow_name: &str,
        run: &PastRun,
        flow_definition: &str,
        clock: Clock,
    ) -> Option<Self> {
        let ago = |secs: f64| {
            (secs.is_finite() && (0.0..31_536_000.0).contains(&secs))
                .then(|| clock.now().checked_sub(Duration::from_secs_f64(secs)).ok())
                .flatten()
        };
        let started = ago(run.started_secs_ago)?;
        let stopped = ago(run.started_secs_ago - run.ran_secs).filter(|s| *s >= started)?;
        Some(Self {
            flow_name: flow_name.to_string(),
            name: run.name.clone(),
            input: "{}".to_string(),
            flow_definition: flow_definition.to_string(),
            started,
            clock,
            progress: Mutex::new(Progress {
                status: Status::Succeeded,
                output: Some("{}".to_string()),
                stopped: Some(stopped),
                events: Vec::new(),
                task: None,
            }),
            ended: watch::Sender::new(true),
        })
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn status(&self) -> Status {
        self.progress().status
    }

    pub fn attach_task(&self, task: AbortHandle) {
        let mut p = self.progress();
        if p.status.is_terminal() {
            task.abort();
        } else {
            p.task = Some(task);
        }
    }

    pub fn mark_running(&self) {
        let mut p = self.progress();
        if p.status == Status::Starting {
            p.status = Status::Running;
        }
    }

    /// Appends an event unless the execution has ended; returns its id, `None`
    /// when the event limit is reached.
    pub fn record(
        &self,
        kind: &'static str,
        step: &str,
        detail: Value,
        schedule_id: u64,
    ) -> Option<u64> {
        let mut p = self.progress();
        if p.events.len() >= MAX_EVENTS_PER_EXECUTION {
            return None;
        }
        let id = p.events.len() as u64 + 1;
        if !p.status.is_terminal() {
            let time = self.clock.now();
            p.events.push(HistoryEvent {
                id,
                schedule_id,
                kind,
                time,
                step: step.to_string(),
                detail: detail.to_string(),
            });
        }
        Some(id)
    }

    /// Ends the execution unless it already has; `false` when it had.
    pub fn finish(
        &self,
        status: Status,
        output: Option<String>,
        kind: &'static str,
        detail: Value,
    ) -> bool {
        let mut p = self.progress();
        if p.status.is_terminal() {
            return false;
        }
        let now = self.clock.now();
        let id = p.events.len() as u64 + 1;
        p.events.push(HistoryEvent {
            id,
            schedule_id: 0,
            kind,
            time: now,
            step: String::new(),
            detail: detail.to_string(),
        });
        p.status = status;
        p.output = output;
        p.stopped = Some(now);
        if let Some(task) = p.task.take() {
            task.abort();
        }
        drop(p);
        self.ended.send_replace(true);
        true
    }

    /// StopExecution: `false` when the execution had already ended.
    pub fn stop(&self, error: &str, cause: &str) -> bool {
        self.finish(
            Status::Stopped,
            None,
            "ExecutionStopped",
            json!({"error": error, "cause": cause}),
        )
    }

    /// Holds until the execution ends or `wait` passes; cheap for thousands of waiters.
    pub async fn wait_until_ended(&self, wait: Duration) {
        let mut rx = self.ended.subscribe();
        let _ = tokio::time::timeout(wait, rx.wait_for(|ended| *ended)).await;
    }

    pub fn events(&self, from_index: usize, limit: usize) -> (Vec<HistoryEvent>, Option<usize>) {
        let p = self.progress();
        let page: Vec<HistoryEvent> = p
            .events
            .iter()
            .skip(from_index)
            .take(limit)
            .cloned()
            .collect();
        let next = from_index + page.len();
        (page, (next < p.events.len()).then_some(next))
    }

    pub fn snapshot(&self) -> ExecutionSnapshot {
        let p = self.progress();
        ExecutionSnapshot {
            flow_name: self.flow_name.clone(),
            name: self.name.clone(),
            status: p.status.as_str().to_string(),
            input: self.input.clone(),
            output: p.output.clone().unwrap_or_default(),
            started_time: format_millis(self.started),
            stopped_time: p.stopped.map(format_millis).unwrap_or_default(),
        }
    }

    /// `error` and `cause` of the final event of an ended execution, as its
    /// history serves them; `None` while it runs or when the end has neither.
    pub fn final_error_and_cause(&self) -> Option<(String, String)> {
        let p = self.progress();
        if !p.status.is_terminal() {
            return None;
        }
        let detail: Value = serde_json::from_str(&p.events.last()?.detail).ok()?;
        let field = |k: &str| detail.get(k).and_then(Value::as_str).map(str::to_string);
        match (field("error"), field("cause")) {
            (None, None) => None,
            (error, cause) => Some((error.unwrap_or_default(), cause.unwrap_or_default())),
        }
    }

    /// The DescribeExecution fields (without RequestId).
    pub fn describe(&self) -> Value {
        let s = self.snapshot();
        json!({
            "Name": s.name,
            "FlowName": s.flow_name,
            "FlowDefinition": self.flow_definition,
            "Input": s.input,
            "Output": s.output,
            "Status": s.status,
            "StartedTime": s.started_time,
            "StoppedTime": s.stopped_time,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_input_can_backdate_the_start_and_nothing_else_does() {
        let now: Timestamp = "2026-05-01T10:00:00Z".parse().unwrap();
        let at = |input: &str| backdated(now, input).to_string();
        assert_eq!(
            at(r#"{"wait": 5, "fnfEmulatorStartedSecondsAgo": 90.5}"#),
            "2026-05-01T09:58:29.5Z"
        );
        for unchanged in [
            r#"{"wait": 5}"#,
            r#"{"fnfEmulatorStartedSecondsAgo": -3}"#,
            r#"{"fnfEmulatorStartedSecondsAgo": "90"}"#,
            r#"{"fnfEmulatorStartedSecondsAgo": 1e12}"#,
            r#"{"nested": {"fnfEmulatorStartedSecondsAgo": 90}}"#,
            "not json fnfEmulatorStartedSecondsAgo",
        ] {
            assert_eq!(at(unchanged), now.to_string(), "{unchanged}");
        }
    }

    #[test]
    fn a_past_run_serves_as_ended_and_only_an_end_in_the_past_is_taken() {
        let clock = Clock::with_offset_secs(0);
        let run = |started_secs_ago: f64, ran_secs: f64| PastRun {
            name: "past-1".into(),
            started_secs_ago,
            ran_secs,
        };
        let past = Execution::past("f", &run(600.0, 240.0), "def", clock).unwrap();
        let served = past.snapshot();
        assert_eq!(served.status, "Succeeded");
        let started: Timestamp = served.started_time.parse().unwrap();
        let stopped: Timestamp = served.stopped_time.parse().unwrap();
        assert_eq!((stopped - started).get_seconds(), 240);
        assert!(clock.now().duration_since(stopped).as_secs_f64() >= 359.0);
        for still_running in [
            run(60.0, 120.0),
            run(f64::NAN, 1.0),
            run(1e12, 1.0),
            run(5.0, -1.0),
        ] {
            assert!(
                Execution::past("f", &still_running, "def", clock).is_none(),
                "{still_running:?}"
            );
        }
    }
}
