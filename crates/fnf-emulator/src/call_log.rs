//! The complete log of answered API calls (action, account, flow, execution,
//! answer code, whether a fault produced it) and of the executions
//! StartExecution created, in order, for checkers that replay what the cloud
//! saw. Never holds a request's parameters beyond those names: no input, no
//! signature, no secret.

use std::sync::Mutex;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One answered (or dropped) call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// Order of answers, from 0.
    pub seq: u64,
    /// Real wall time of the answer in Unix milliseconds (not the emulator's
    /// shiftable clock, so it compares with the caller's own recordings).
    pub at_ms: i64,
    pub action: String,
    /// The account the signature proved (empty when refused before that).
    pub account: String,
    /// `FlowName` of the request, when it had one.
    pub flow: String,
    /// `ExecutionName` of the request, when it had one.
    pub execution: String,
    /// `OK`, the error code, or `ConnectionDropped`.
    pub code: String,
    /// True when an injected fault (not the service) gave this answer.
    pub injected: bool,
}

/// One execution StartExecution created (an idempotent repeat creates none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedRecord {
    pub at_ms: i64,
    pub flow: String,
    pub execution: String,
}

/// The flow and execution a request names, for the log.
#[derive(Clone, Debug, Default)]
pub struct CallTarget {
    pub flow: String,
    pub execution: String,
}

#[derive(Default)]
struct Entries {
    calls: Vec<CallRecord>,
    created: Vec<CreatedRecord>,
}

#[derive(Default)]
pub struct CallLog {
    entries: Mutex<Entries>,
}

fn now_ms() -> i64 {
    Timestamp::now().as_millisecond()
}

impl CallLog {
    pub fn record_call(
        &self,
        action: &str,
        account: &str,
        target: &CallTarget,
        code: &str,
        injected: bool,
    ) {
        let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let seq = e.calls.len() as u64;
        e.calls.push(CallRecord {
            seq,
            at_ms: now_ms(),
            action: action.to_string(),
            account: account.to_string(),
            flow: target.flow.clone(),
            execution: target.execution.clone(),
            code: code.to_string(),
            injected,
        });
    }

    pub fn record_created(&self, flow: &str, execution: &str) {
        let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        e.created.push(CreatedRecord {
            at_ms: now_ms(),
            flow: flow.to_string(),
            execution: execution.to_string(),
        });
    }

    pub fn calls(&self) -> Vec<CallRecord> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .calls
            .clone()
    }

    pub fn created(&self) -> Vec<CreatedRecord> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .created
            .clone()
    }
}
