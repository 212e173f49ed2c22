//! The scheduling decision, table by table: catch-up after downtime with and
//! without startingDeadlineSeconds, each concurrency policy, history limits,
//! suspend, and an unreadable schedule.

use super::*;
use crate::cron::runs::RunOutcome;

fn at(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn cron(spec: serde_json::Value, status: serde_json::Value) -> CronFlowExecution {
    let mut spec = spec;
    spec["template"] = serde_json::json!({"spec": {"flowName": "etl"}});
    serde_json::from_value(serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "CronFlowExecution",
        "metadata": {"name": "nightly", "namespace": "ns", "uid": "u-1", "generation": 1,
                     "creationTimestamp": "2026-01-01T09:30:00Z"},
        "spec": spec, "status": status,
    }))
    .unwrap()
}

fn every_minute(extra: serde_json::Value) -> CronFlowExecution {
    let mut spec = serde_json::json!({"schedule": "* * * * *"});
    for (k, v) in extra.as_object().unwrap() {
        spec[k] = v.clone();
    }
    cron(
        spec,
        serde_json::json!({"lastScheduleTime": "2026-01-01T10:00:00Z"}),
    )
}

fn run(time: &str, outcome: RunOutcome) -> RunView {
    let t = at(time);
    RunView {
        name: run_name("nightly", t),
        uid: Some(format!("uid-{}", t.as_second())),
        time: Some(t),
        outcome,
        stop_requested: false,
        deleting: false,
    }
}

fn reasons(d: &CronDecision) -> Vec<&str> {
    d.events.iter().map(|e| e.reason.as_str()).collect()
}

#[test]
fn a_due_time_creates_its_run_and_requeues_for_the_next() {
    let d = decide(
        &every_minute(serde_json::json!({})),
        &[],
        at("2026-01-01T10:01:00.5Z"),
    );
    let new = d.create.clone().unwrap();
    assert_eq!(new.name, "nightly-29454361");
    assert_eq!(new.scheduled, at("2026-01-01T10:01:00Z"));
    assert_eq!(
        d.status.last_schedule_time.as_deref(),
        Some("2026-01-01T10:01:00Z")
    );
    assert_eq!(d.status.active.len(), 1);
    assert_eq!(reasons(&d), ["RunCreated"]);
    assert_eq!(
        d.requeue_after,
        Some(Duration::from_millis(59_500) + REQUEUE_SLACK)
    );
}

#[test]
fn nothing_is_due_between_schedule_times() {
    let d = decide(
        &every_minute(serde_json::json!({})),
        &[],
        at("2026-01-01T10:00:30Z"),
    );
    assert_eq!(d.create, None);
    assert!(d.events.is_empty());
    let ready = &d.status.conditions[0];
    assert_eq!(
        (ready.type_.as_str(), ready.status.as_str()),
        ("Ready", "True")
    );
    assert_eq!(ready.message, "next run at 2026-01-01T10:01:00Z");
}

#[test]
fn a_run_created_before_the_status_said_so_is_not_created_again() {
    let existing = run("2026-01-01T10:01:00Z", RunOutcome::Live);
    let d = decide(
        &every_minute(serde_json::json!({})),
        &[existing],
        at("2026-01-01T10:01:10Z"),
    );
    assert_eq!(d.create, None);
    assert!(d.events.is_empty());
    assert_eq!(
        d.status.last_schedule_time.as_deref(),
        Some("2026-01-01T10:01:00Z")
    );
}

#[test]
fn after_downtime_only_the_latest_missed_time_runs() {
    // Down from 10:00 to 10:05:30: five times missed, one run, for 10:05.
    let d = decide(
        &every_minute(serde_json::json!({})),
        &[],
        at("2026-01-01T10:05:30Z"),
    );
    assert_eq!(
        d.create.clone().unwrap().scheduled,
        at("2026-01-01T10:05:00Z")
    );
    assert_eq!(reasons(&d), ["RunCreated"]);
}

#[test]
fn a_missed_time_within_the_starting_deadline_runs_late() {
    let cfe = every_minute(serde_json::json!({"startingDeadlineSeconds": 60}));
    let d = decide(&cfe, &[], at("2026-01-01T10:05:30Z"));
    assert_eq!(
        d.create.clone().unwrap().scheduled,
        at("2026-01-01T10:05:00Z")
    );
}

#[test]
fn a_missed_time_past_the_starting_deadline_is_reported_not_run() {
    let hourly = cron(
        serde_json::json!({"schedule": "0 * * * *", "startingDeadlineSeconds": 300}),
        serde_json::json!({"lastScheduleTime": "2026-01-01T09:00:00Z"}),
    );
    let d = decide(&hourly, &[], at("2026-01-01T10:20:00Z"));
    assert_eq!(d.create, None);
    assert_eq!(reasons(&d), ["MissedSchedule"]);
    let ready = &d.status.conditions[0];
    assert_eq!(ready.reason, "MissedSchedule");
    assert_eq!(
        d.status.last_schedule_time.as_deref(),
        Some("2026-01-01T09:00:00Z")
    );

    // Said once: the same decision on the status it wrote says nothing new.
    let mut again = hourly.clone();
    again.status = Some(d.status.clone());
    let d2 = decide(&again, &[], at("2026-01-01T10:25:00Z"));
    assert!(d2.events.is_empty(), "{:?}", d2.events);
    assert_eq!(
        d2.requeue_after,
        Some(Duration::from_secs(35 * 60) + REQUEUE_SLACK)
    );
}

#[test]
fn too_many_missed_times_warn_and_still_run_the_latest() {
    let cfe = cron(
        serde_json::json!({"schedule": "* * * * *"}),
        serde_json::json!({"lastScheduleTime": "2026-01-01T10:00:00Z"}),
    );
    let d = decide(&cfe, &[], at("2026-01-02T10:00:00Z"));
    assert_eq!(reasons(&d), ["TooManyMissedTimes", "RunCreated"]);
    assert_eq!(
        d.create.clone().unwrap().scheduled,
        at("2026-01-02T10:00:00Z")
    );
    // A starting deadline bounds the count: no warning.
    let bounded = every_minute(serde_json::json!({"startingDeadlineSeconds": 600}));
    let d = decide(&bounded, &[], at("2026-01-02T10:00:00Z"));
    assert_eq!(reasons(&d), ["RunCreated"]);
}

#[test]
fn a_new_object_starts_counting_from_its_creation() {
    let fresh = cron(
        serde_json::json!({"schedule": "0 10 * * *"}),
        serde_json::json!({}),
    );
    // Created 09:30; 10:00 has passed by 10:00:05.
    let d = decide(&fresh, &[], at("2026-01-01T10:00:05Z"));
    assert_eq!(
        d.create.clone().unwrap().scheduled,
        at("2026-01-01T10:00:00Z")
    );
    let d = decide(&fresh, &[], at("2026-01-01T09:59:00Z"));
    assert_eq!(d.create, None);
}

#[test]
fn allow_runs_alongside_a_live_run() {
    let live = run("2026-01-01T10:00:00Z", RunOutcome::Live);
    let d = decide(
        &every_minute(serde_json::json!({})),
        &[live],
        at("2026-01-01T10:01:00Z"),
    );
    assert!(d.create.is_some());
    assert!(d.stop.is_empty());
    assert_eq!(d.status.active.len(), 2);
}

#[test]
fn forbid_skips_while_a_run_is_live_once_and_runs_when_it_ends() {
    let cfe = every_minute(serde_json::json!({"concurrencyPolicy": "Forbid"}));
    let live = run("2026-01-01T10:00:00Z", RunOutcome::Live);
    let d = decide(
        &cfe,
        std::slice::from_ref(&live),
        at("2026-01-01T10:01:00Z"),
    );
    assert_eq!(d.create, None);
    assert_eq!(reasons(&d), ["RunSkipped"]);
    assert_eq!(d.status.conditions[0].reason, "RunSkipped");
    assert_eq!(
        d.status.last_schedule_time.as_deref(),
        Some("2026-01-01T10:00:00Z")
    );

    let mut again = cfe.clone();
    again.status = Some(d.status.clone());
    let d2 = decide(
        &again,
        std::slice::from_ref(&live),
        at("2026-01-01T10:01:20Z"),
    );
    assert!(d2.events.is_empty());

    // Like CronJob: when the live run ends, the due time runs (no deadline).
    let ended = RunView {
        outcome: RunOutcome::Succeeded { ended: None },
        ..live
    };
    let d3 = decide(&again, &[ended], at("2026-01-01T10:01:30Z"));
    assert_eq!(
        d3.create.clone().unwrap().scheduled,
        at("2026-01-01T10:01:00Z")
    );
}

#[test]
fn forbid_with_a_deadline_drops_a_time_skipped_too_long() {
    let cfe = every_minute(
        serde_json::json!({"concurrencyPolicy": "Forbid", "startingDeadlineSeconds": 10}),
    );
    let ended = run("2026-01-01T10:00:00Z", RunOutcome::Failed);
    let d = decide(&cfe, &[ended], at("2026-01-01T10:01:30Z"));
    assert_eq!(d.create, None);
    assert_eq!(reasons(&d), ["MissedSchedule"]);
}

#[test]
fn replace_stops_the_live_run_then_creates_the_new_one() {
    let cfe = every_minute(serde_json::json!({"concurrencyPolicy": "Replace"}));
    let live = run("2026-01-01T10:00:00Z", RunOutcome::Live);
    let d = decide(
        &cfe,
        std::slice::from_ref(&live),
        at("2026-01-01T10:01:00Z"),
    );
    assert_eq!(d.stop, std::slice::from_ref(&live.name));
    assert!(d.create.is_some());
    assert_eq!(reasons(&d), ["RunReplaced", "RunCreated"]);

    // A run already told to stop is not told again.
    let stopping = RunView {
        stop_requested: true,
        ..live
    };
    let d = decide(&cfe, &[stopping], at("2026-01-01T10:01:00Z"));
    assert!(d.stop.is_empty());
    assert!(d.create.is_some());
}

#[test]
fn history_beyond_the_limits_is_deleted_oldest_first() {
    let cfe = every_minute(
        serde_json::json!({"successfulRunsHistoryLimit": 2, "failedRunsHistoryLimit": 1}),
    );
    let ok = |t: &str| run(t, RunOutcome::Succeeded { ended: Some(at(t)) });
    let runs = [
        ok("2026-01-01T09:56:00Z"),
        ok("2026-01-01T09:57:00Z"),
        run("2026-01-01T09:58:00Z", RunOutcome::Failed),
        ok("2026-01-01T09:59:00Z"),
        run("2026-01-01T10:00:00Z", RunOutcome::Failed),
        run("2026-01-01T09:55:00Z", RunOutcome::Live),
    ];
    let d = decide(&cfe, &runs, at("2026-01-01T10:00:30Z"));
    assert_eq!(
        d.delete,
        [runs[0].name.clone(), runs[2].name.clone()],
        "the oldest succeeded and the older failed; never a live one"
    );
    assert_eq!(reasons(&d), ["RunDeleted", "RunDeleted"]);
    assert_eq!(
        d.status.last_successful_time.as_deref(),
        Some("2026-01-01T09:59:00Z")
    );
    assert_eq!(d.status.active.len(), 1);
}

#[test]
fn a_zero_limit_keeps_nothing_and_a_run_being_deleted_is_left_alone() {
    let cfe = every_minute(serde_json::json!({"successfulRunsHistoryLimit": 0}));
    let mut gone = run(
        "2026-01-01T09:59:00Z",
        RunOutcome::Succeeded { ended: None },
    );
    let done = run(
        "2026-01-01T10:00:00Z",
        RunOutcome::Succeeded { ended: None },
    );
    gone.deleting = true;
    let d = decide(&cfe, &[gone, done.clone()], at("2026-01-01T10:00:30Z"));
    assert_eq!(d.delete, [done.name]);
}

#[test]
fn suspend_creates_nothing_and_counts_the_time_as_missed_later() {
    let cfe = every_minute(serde_json::json!({"suspend": true}));
    let d = decide(&cfe, &[], at("2026-01-01T10:05:30Z"));
    assert_eq!(d.create, None);
    assert_eq!(d.requeue_after, None);
    assert_eq!(d.status.conditions[0].reason, "Suspended");
    // Resumed with a deadline shorter than the wait: nothing runs late.
    let resumed = every_minute(serde_json::json!({"startingDeadlineSeconds": 20}));
    let d = decide(&resumed, &[], at("2026-01-01T10:05:30Z"));
    assert_eq!(d.create, None);
    assert_eq!(reasons(&d), ["MissedSchedule"]);
}

#[test]
fn an_unreadable_schedule_stalls_with_one_warning() {
    let bad = cron(
        serde_json::json!({"schedule": "every day"}),
        serde_json::json!({}),
    );
    let d = decide(&bad, &[], at("2026-01-01T10:00:00Z"));
    assert_eq!(reasons(&d), ["InvalidSchedule"]);
    let types: Vec<(&str, &str)> = d
        .status
        .conditions
        .iter()
        .map(|c| (c.type_.as_str(), c.status.as_str()))
        .collect();
    assert_eq!(types, [("Ready", "False"), ("Stalled", "True")]);
    assert_eq!(d.requeue_after, None);
    let mut again = bad.clone();
    again.status = Some(d.status.clone());
    assert!(
        decide(&again, &[], at("2026-01-01T10:01:00Z"))
            .events
            .is_empty()
    );

    let zone = cron(
        serde_json::json!({"schedule": "@daily", "timeZone": "Nowhere/Special"}),
        serde_json::json!({}),
    );
    assert_eq!(
        reasons(&decide(&zone, &[], at("2026-01-01T10:00:00Z"))),
        ["UnknownTimeZone"]
    );
}

#[test]
fn a_daily_run_in_a_zone_is_due_at_its_local_time() {
    let berlin = cron(
        serde_json::json!({"schedule": "30 2 * * *", "timeZone": "Europe/Berlin"}),
        serde_json::json!({"lastScheduleTime": "2026-03-28T01:30:00Z"}),
    );
    // The spring-forward day: 02:30 does not exist; the run is at 03:00 CEST.
    assert_eq!(
        decide(&berlin, &[], at("2026-03-29T00:59:00Z")).create,
        None
    );
    let d = decide(&berlin, &[], at("2026-03-29T01:00:01Z"));
    assert_eq!(
        d.create.clone().unwrap().scheduled,
        at("2026-03-29T01:00:00Z")
    );
}

#[test]
fn a_far_next_time_is_looked_at_again_within_a_day() {
    let leap_day = cron(
        serde_json::json!({"schedule": "0 0 29 2 *"}),
        serde_json::json!({"lastScheduleTime": "2096-02-29T00:00:00Z"}),
    );
    // The next 29 February after 2096 is in 2104.
    let d = decide(&leap_day, &[], at("2096-03-01T00:00:00Z"));
    assert_eq!(d.create, None);
    assert_eq!(d.requeue_after, Some(REQUEUE_MAX));
    assert_eq!(
        d.status.conditions[0].message,
        "next run at 2104-02-29T00:00:00Z"
    );
}
