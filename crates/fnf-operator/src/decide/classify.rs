//! Translation from the client's words to the decision's: errors to problems,
//! executions to reads, history to failure detail. Pure.

use std::time::Duration;

use jiff::Timestamp;

use super::clean;
use super::view::{CloudProblem, ExecutionRead, FailureDetail, ProblemKind};
use crate::crd::FlowExecution;
use fnf_client::{Backoff, ErrorCode, Execution, FnfError, HistoryEvent, Jitter};

/// How a failed call bears on the resource. `previous` keeps `since` and
/// counts `attempts` while the same kind of problem repeats (the FlowNotExists
/// grace period counts from the first one, the back-off from the count).
pub fn problem(err: &FnfError, previous: Option<&CloudProblem>, now: Timestamp) -> CloudProblem {
    let kind = problem_kind(err);
    let (since, attempts) = repeat_of(kind, previous, now);
    let message = clean::cloud_text(&match err.code() {
        Some(code) if !code.is_empty() => format!("{code}: {}", api_message(err)),
        _ => err.to_string(),
    });
    CloudProblem {
        kind,
        reason: err.reason().to_string(),
        message,
        request_id: err.request_id().map(clean::cloud_text),
        since,
        last_seen: now,
        attempts,
        from_call: true,
    }
}

/// `since` and `attempts` of a problem of `kind` seen now after `previous`.
fn repeat_of(
    kind: ProblemKind,
    previous: Option<&CloudProblem>,
    now: Timestamp,
) -> (Timestamp, u32) {
    previous
        .filter(|p| p.kind == kind)
        .map_or((now, 1), |p| (p.since, p.attempts.saturating_add(1)))
}

/// The retry curve of failed cloud calls: doubling from a second, at most
/// half a minute (a call failing for minutes is tried twice a minute). One
/// curve for reconciles, polls and sweeps.
pub const RETRY_BACKOFF: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));

/// The longest wait after `failures` failed cloud calls in a row.
pub fn backoff_ceiling(failures: u32) -> Duration {
    RETRY_BACKOFF.ceiling(failures)
}

/// How long after the `attempts`-th failure in a row the call is tried again:
/// doubling from a second up to half a minute, spread over [½, 1] of that by
/// `seed` (the object's uid), so objects failing together retry apart. Pure:
/// the same object and count always wait the same.
pub fn retry_delay(attempts: u32, seed: &str) -> Duration {
    RETRY_BACKOFF.delay(attempts.saturating_sub(1), Jitter::seeded(seed, attempts))
}

fn api_message(err: &FnfError) -> String {
    match err {
        FnfError::Api { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

pub fn problem_kind(err: &FnfError) -> ProblemKind {
    match err.error_code() {
        Some(ErrorCode::ExecutionNotExists) => return ProblemKind::ExecutionMissing,
        Some(ErrorCode::FlowNotExists) => return ProblemKind::FlowMissing,
        Some(code) if code.is_credentials() => return ProblemKind::Credentials,
        Some(code) if code.is_request_refused() => return ProblemKind::SpecRefused,
        _ => {}
    }
    match err {
        FnfError::Credentials(_) => ProblemKind::Credentials,
        FnfError::InvalidConfig(_) => ProblemKind::SpecRefused,
        // Anything else is either worth retrying or an operator defect (an
        // action or version the cloud does not know): neither is the user's
        // spec, so neither may mark the resource as failed.
        _ => ProblemKind::Transient,
    }
}

/// A cloud refusal of credentials, with where the key came from and what to
/// change. Problems found before any call (a missing Secret) already say both.
pub fn credentials_message(fe: &FlowExecution, reason: &str, text: String) -> String {
    let (source, id, secret, token) = match &fe.spec.credentials_secret_ref {
        Some(r) => (
            format!(
                "Secret {}/{} (spec.credentialsSecretRef)",
                fe.metadata.namespace.as_deref().unwrap_or_default(),
                r.name
            ),
            "accessKeyId",
            "accessKeySecret",
            "securityToken",
        ),
        None => (
            "the operator's own credentials".to_string(),
            "ALIBABA_CLOUD_ACCESS_KEY_ID",
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
            "ALIBABA_CLOUD_SECURITY_TOKEN",
        ),
    };
    let fix = match ErrorCode::from_reason(reason) {
        ErrorCode::InvalidAccessKeyId
        | ErrorCode::InvalidAccessKeyIdNotFound
        | ErrorCode::InvalidAccessKeyIdInactive => {
            format!("the cloud does not know this AccessKey ID or it is disabled: fix {id}")
        }
        ErrorCode::SignatureNotMatch | ErrorCode::SignatureDoesNotMatch => {
            format!("the AccessKey secret does not belong to the AccessKey ID: fix {secret}")
        }
        ErrorCode::AccessDenied | ErrorCode::ForbiddenRam => format!(
            "this key may not use flow {}: grant it fnf:StartExecution, fnf:DescribeExecution, fnf:GetExecutionHistory and fnf:StopExecution on the flow in RAM, or use another key",
            fe.spec.flow_name
        ),
        ErrorCode::InvalidSecurityTokenExpired | ErrorCode::InvalidSecurityTokenMalformed => {
            format!("the STS token is expired or malformed: renew {token}")
        }
        _ => return text,
    };
    format!("{source}: {fix}: {text}")
}

/// A problem the operator found before any call (a missing Secret, a region
/// it cannot resolve).
pub fn local_problem(
    kind: ProblemKind,
    reason: &str,
    message: String,
    previous: Option<&CloudProblem>,
    now: Timestamp,
) -> CloudProblem {
    let (since, attempts) = repeat_of(kind, previous, now);
    CloudProblem {
        kind,
        reason: reason.to_string(),
        message,
        request_id: None,
        since,
        last_seen: now,
        attempts,
        from_call: false,
    }
}

pub fn read(execution: &Execution, adopted: bool) -> ExecutionRead {
    ExecutionRead {
        // Text the status shows is cleaned; the Output is data, kept verbatim.
        status: clean::cloud_field(&execution.status),
        output: execution.output.clone(),
        started_time: clean::cloud_field(&execution.started_time),
        stopped_time: clean::cloud_field(&execution.stopped_time),
        request_id: clean::cloud_field(&execution.request_id),
        adopted,
    }
}

/// Event types that end an execution without success.
const ENDING_EVENTS: &[&str] = &["ExecutionFailed", "ExecutionTimedOut", "ExecutionStopped"];

/// The error and cause of an ended execution, from the last ending event of its
/// history. The keys inside EventDetail are not documented: `error`/`cause` in
/// any capitalisation are read, and otherwise the raw detail is the cause.
pub fn failure(events: &[HistoryEvent]) -> FailureDetail {
    let Some(ending) = events
        .iter()
        .rev()
        .find(|e| ENDING_EVENTS.contains(&e.event_type.as_str()))
    else {
        return FailureDetail::default();
    };
    let Some(detail) = ending.event_detail.as_deref().filter(|d| !d.is_empty()) else {
        return FailureDetail::default();
    };
    let parsed: Option<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(detail).ok();
    let field = |names: &[&str]| {
        parsed.as_ref().and_then(|map| {
            map.iter()
                .find(|(k, _)| names.contains(&k.to_ascii_lowercase().as_str()))
                .map(|(_, v)| match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
        })
    };
    let error = field(&["error"]).map(|e| clean::cloud_text(&e));
    let cause = field(&["cause"]).map(|c| clean::cloud_text(&c));
    if error.is_none() && cause.is_none() {
        return FailureDetail {
            error: None,
            cause: Some(clean::cloud_text(detail)),
        };
    }
    FailureDetail { error, cause }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: &str) -> FnfError {
        FnfError::Api {
            code: code.into(),
            message: "m".into(),
            request_id: Some("r".into()),
            http_status: 400,
            retry_after: None,
        }
    }

    #[test]
    fn codes_map_to_the_documented_behaviour() {
        assert_eq!(
            problem_kind(&api("ExecutionNotExists")),
            ProblemKind::ExecutionMissing
        );
        assert_eq!(
            problem_kind(&api("FlowNotExists")),
            ProblemKind::FlowMissing
        );
        assert_eq!(
            problem_kind(&api("SignatureNotMatch")),
            ProblemKind::Credentials
        );
        assert_eq!(problem_kind(&api("AccessDenied")), ProblemKind::Credentials);
        assert_eq!(
            problem_kind(&api("InvalidArgument")),
            ProblemKind::SpecRefused
        );
        assert_eq!(
            problem_kind(&api("ResourceThrottled")),
            ProblemKind::Transient
        );
        assert_eq!(
            problem_kind(&api("InternalServerError")),
            ProblemKind::Transient
        );
        assert_eq!(problem_kind(&FnfError::Timeout), ProblemKind::Transient);
    }

    #[test]
    fn retries_back_off_exponentially_to_half_a_minute_and_objects_spread() {
        let waits: Vec<Duration> = (1..=9).map(|n| retry_delay(n, "uid-a")).collect();
        for (n, wait) in waits.iter().enumerate() {
            let ceiling = Duration::from_secs(1 << n.min(5)).min(Duration::from_secs(30));
            assert!(*wait >= ceiling / 2 && *wait <= ceiling, "{n}: {wait:?}");
        }
        assert!(waits[8] >= Duration::from_secs(15));
        assert_eq!(retry_delay(3, "uid-a"), retry_delay(3, "uid-a"), "pure");
        let spread: std::collections::BTreeSet<Duration> = (0..20)
            .map(|i| retry_delay(5, &format!("uid-{i}")))
            .collect();
        assert!(spread.len() > 10, "objects failing together retry apart");
    }

    #[test]
    fn a_repeated_problem_keeps_its_start_and_counts_attempts() {
        let t0 = Timestamp::UNIX_EPOCH;
        let t1 = t0 + Duration::from_secs(5);
        let first = problem(&api("InternalServerError"), None, t0);
        assert_eq!(
            (first.attempts, first.since, first.from_call),
            (1, t0, true)
        );
        let second = problem(&api("InternalServerError"), Some(&first), t1);
        assert_eq!(
            (second.attempts, second.since, second.last_seen),
            (2, t0, t1)
        );
        let other = problem(&api("ExecutionNotExists"), Some(&second), t1);
        assert_eq!(
            (other.attempts, other.since),
            (1, t1),
            "a new kind starts afresh"
        );
        let local = local_problem(
            ProblemKind::Credentials,
            "SecretNotFound",
            "m".into(),
            None,
            t0,
        );
        assert!(!local.from_call);
    }

    #[test]
    fn failure_detail_comes_from_the_last_ending_event() {
        let events = vec![
            HistoryEvent {
                event_type: "StepEntered".into(),
                ..Default::default()
            },
            HistoryEvent {
                event_type: "ExecutionFailed".into(),
                event_detail: Some(r#"{"error":"E1","cause":"boom"}"#.into()),
                ..Default::default()
            },
        ];
        let f = failure(&events);
        assert_eq!(f.error.as_deref(), Some("E1"));
        assert_eq!(f.cause.as_deref(), Some("boom"));
    }

    #[test]
    fn control_characters_from_the_cloud_never_reach_the_status() {
        let events = vec![HistoryEvent {
            event_type: "ExecutionFailed".into(),
            event_detail: Some(
                r#"{"error":"E\u001b[2J","cause":"boom\u001b]0;pwned\u0007"}"#.into(),
            ),
            ..Default::default()
        }];
        let f = failure(&events);
        assert_eq!(f.error.as_deref(), Some("E[2J"));
        assert_eq!(f.cause.as_deref(), Some("boom]0;pwned"));
        let err = FnfError::Api {
            code: "InternalError".into(),
            message: "bad\u{1b}[31m".into(),
            request_id: Some("r\u{0}".into()),
            http_status: 500,
            retry_after: None,
        };
        let p = problem(&err, None, Timestamp::UNIX_EPOCH);
        assert!(!p.message.contains('\u{1b}'), "{}", p.message);
        assert_eq!(p.request_id.as_deref(), Some("r"));
    }

    #[test]
    fn undocumented_detail_is_kept_raw() {
        let events = vec![HistoryEvent {
            event_type: "ExecutionTimedOut".into(),
            event_detail: Some("not json".into()),
            ..Default::default()
        }];
        assert_eq!(failure(&events).cause.as_deref(), Some("not json"));
    }
}
