//! Each kind of violation planted in a small synthetic recording, and a clean
//! recording that must pass.

use serde_json::json;

use super::super::recording::*;
use super::{Violation, check};

const NS: &str = "soak-a";
const FLOW: &str = "quick";
const RUN: &str = "soak-a_job_R0123456789ab";

fn version(at_ms: i64, status: serde_json::Value) -> ObjectVersion {
    ObjectVersion {
        at_ms,
        kind: "FlowExecution".into(),
        namespace: NS.into(),
        name: "job".into(),
        uid: "uid-1".into(),
        deleted: false,
        object: json!({"metadata": {"name": "job", "namespace": NS}, "spec": {"flowName": FLOW}, "status": status}),
    }
}

fn running(at_ms: i64) -> ObjectVersion {
    version(
        at_ms,
        json!({"phase": "Running", "executionName": RUN, "flowName": FLOW,
        "startedTime": "2026-01-01T00:00:01.000Z", "runIdentity": "0123456789ab", "attempt": 1, "observedGeneration": 1}),
    )
}

fn succeeded(at_ms: i64) -> ObjectVersion {
    version(
        at_ms,
        json!({"phase": "Succeeded", "executionName": RUN, "flowName": FLOW,
        "startedTime": "2026-01-01T00:00:01.000Z", "stoppedTime": "2026-01-01T00:00:03.000Z",
        "output": "{\"a\":1}", "runIdentity": "0123456789ab", "attempt": 1, "observedGeneration": 1}),
    )
}

fn clean() -> Recording {
    Recording {
        created: vec![CreatedRecord {
            at_ms: 1_000,
            flow: FLOW.into(),
            execution: RUN.into(),
        }],
        calls: vec![CallRecord {
            seq: 0,
            at_ms: 1_000,
            action: "StartExecution".into(),
            account: "acct".into(),
            flow: FLOW.into(),
            execution: RUN.into(),
            code: "OK".into(),
            injected: false,
        }],
        executions: vec![CloudExecution {
            flow: FLOW.into(),
            name: RUN.into(),
            status: "Succeeded".into(),
            output: "{\"a\":1}".into(),
            started_time: "2026-01-01T00:00:01.000Z".into(),
            stopped_time: "2026-01-01T00:00:03.000Z".into(),
            stopped_at_ms: Some(3_000),
            error: None,
            cause: None,
        }],
        versions: vec![
            version(
                500,
                json!({"phase": "Pending", "runIdentity": "0123456789ab", "attempt": 1}),
            ),
            running(1_500),
            succeeded(4_000),
        ],
        texts: vec![EmittedText {
            source: "replica-a log".into(),
            text: "started quick run\n".into(),
        }],
        faults: vec![],
        samples: vec![],
        began_ms: 0,
        ended_ms: 200_000,
    }
}

fn bounds() -> Bounds {
    Bounds::for_settings(10, 15, 15)
}

fn secrets() -> Vec<KnownSecret> {
    vec![KnownSecret {
        label: "set-b access key secret".into(),
        value: "hunter2-very-secret".into(),
    }]
}

fn violations(r: &Recording) -> Vec<Violation> {
    check(r, &secrets(), &bounds())
}

fn only(r: &Recording, invariant: u8) -> Violation {
    let found = violations(r);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].invariant, invariant, "{}", found[0]);
    found[0].clone()
}

#[test]
fn a_clean_recording_has_no_violation() {
    assert_eq!(violations(&clean()), vec![]);
}

#[test]
fn coverage_counts_what_was_judged() {
    let c = super::coverage(&clean(), &bounds());
    assert_eq!(
        (c.starts, c.ends_judged, c.ends_not_judged, c.versions),
        (1, 1, 0, 3)
    );
}

#[test]
fn a_second_execution_for_the_same_run_is_reported() {
    let mut r = clean();
    // The object's default name, started while its status declared run 0123… attempt 1.
    r.created.push(CreatedRecord {
        at_ms: 2_000,
        flow: FLOW.into(),
        execution: "soak-a_job".into(),
    });
    let v = only(&r, 1);
    assert_eq!(v.object, "FlowExecution/soak-a/job");
    assert!(v.detail.contains("attempt 1"), "{v}");
}

#[test]
fn a_name_created_twice_is_reported() {
    let mut r = clean();
    r.created.push(r.created[0].clone());
    let found = violations(&r);
    assert!(
        found.iter().all(|v| v.invariant == 1) && !found.is_empty(),
        "{found:#?}"
    );
}

#[test]
fn an_end_never_shown_is_reported_with_its_calls() {
    let mut r = clean();
    r.versions.pop();
    let v = only(&r, 2);
    assert!(v.detail.contains("Succeeded"), "{v}");
    assert!(
        v.context.iter().any(|l| l.contains("StartExecution")),
        "{v}"
    );
}

#[test]
fn an_end_of_a_start_whose_answer_was_lost_is_judged_too() {
    let mut r = clean();
    // The status declared the run but never learnt the execution's name.
    r.versions.truncate(1);
    r.versions.push(version(
        1_500,
        json!({"phase": "Pending", "runIdentity": "0123456789ab", "attempt": 1}),
    ));
    assert_eq!(only(&r, 2).execution, format!("{FLOW}/{RUN}"));
}

#[test]
fn an_end_shown_late_only_after_a_fault_is_in_bound() {
    let mut r = clean();
    r.versions[2].at_ms = 100_000;
    assert_eq!(only(&r, 2).invariant, 2);
    r.faults.push(FaultWindow {
        kind: "Pause".into(),
        detail: "".into(),
        from_ms: 2_000,
        to_ms: 60_000,
    });
    assert_eq!(violations(&r), vec![]);
}

#[test]
fn an_end_on_a_deleted_object_is_not_judged_and_late_recordings_are_not_either() {
    let mut r = clean();
    r.versions.pop();
    let mut gone = running(5_000);
    gone.deleted = true;
    r.versions.push(gone);
    assert_eq!(violations(&r), vec![]);
    let mut r = clean();
    r.versions.pop();
    r.ended_ms = 10_000;
    assert_eq!(violations(&r), vec![]);
}

#[test]
fn an_older_status_over_a_newer_one_is_reported() {
    let mut r = clean();
    r.versions.push(running(5_000));
    let v = only(&r, 3);
    assert!(
        v.detail.contains("phase Running") && v.detail.contains("after Succeeded"),
        "{v}"
    );
}

#[test]
fn attempt_and_observed_generation_regressions_are_reported() {
    let mut r = clean();
    let mut back = succeeded(5_000);
    back.object["status"]["attempt"] = json!(0);
    back.object["status"]["observedGeneration"] = json!(0);
    let found = violations(&r_with(&mut r, back));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found.iter().all(|v| v.invariant == 3));
}

fn r_with(r: &mut Recording, v: ObjectVersion) -> Recording {
    r.versions.push(v);
    r.clone()
}

#[test]
fn a_mirrored_value_the_cloud_did_not_say_is_reported_without_the_value() {
    let mut r = clean();
    r.versions[2].object["status"]["output"] = json!("{\"a\":2}");
    let v = only(&r, 3);
    assert!(
        v.detail.contains("output") && !v.detail.contains("a\\\":2"),
        "{v}"
    );
    let mut r = clean();
    r.executions.clear();
    let found = violations(&r);
    assert!(
        found
            .iter()
            .any(|v| v.invariant == 3 && v.detail.contains("never had")),
        "{found:#?}"
    );
}

#[test]
fn a_truncated_output_is_a_prefix() {
    let mut r = clean();
    r.versions[2].object["status"]["output"] = json!("{\"a\"");
    r.versions[2].object["status"]["outputTruncated"] = json!(true);
    assert_eq!(violations(&r), vec![]);
}

#[test]
fn a_secret_in_a_log_a_status_or_a_name_is_reported_by_label_only() {
    let mut r = clean();
    r.texts.push(EmittedText {
        source: "events".into(),
        text: "ok\nkey=hunter2-very-secret\n".into(),
    });
    let v = only(&r, 4);
    assert!(
        v.detail.contains("set-b access key secret") && v.detail.contains("line 2"),
        "{v}"
    );
    assert!(!v.to_string().contains("hunter2"), "{v}");
    let mut r = clean();
    r.versions[1].object["status"]["cause"] = json!("hunter2-very-secret");
    assert_eq!(only(&r, 4).object, "FlowExecution/soak-a/job");
}

#[test]
fn only_throttles_the_soak_did_not_inject_are_reported() {
    let mut r = clean();
    let mut call = r.calls[0].clone();
    call.code = "ResourceThrottled".into();
    call.injected = true;
    r.calls.push(call.clone());
    assert_eq!(violations(&r), vec![]);
    call.injected = false;
    call.action = "DescribeExecution".into();
    r.calls.push(call);
    assert_eq!(only(&r, 5).object, "DescribeExecution");
}

#[test]
fn growth_that_stays_after_warm_up_is_reported_per_process_and_a_peak_is_not() {
    let mut r = clean();
    let sample = |at_ms, rss_kib, open_fds, process: &str| ResourceSample {
        at_ms,
        process: process.into(),
        rss_kib,
        open_fds,
    };
    r.samples = vec![
        sample(0, 10_000, 20, "replica-a#1"),
        sample(30_000, 40_000, 30, "replica-a#1"),
        // A peak (a takeover, a latency fault) that is gone 10 s later.
        sample(40_000, 300_000, 400, "replica-a#1"),
        sample(50_000, 300_000, 400, "replica-a#1"),
        sample(60_000, 60_000, 40, "replica-a#1"),
        sample(0, 40_000, 30, "replica-b#1"),
        sample(30_000, 40_000, 30, "replica-b#1"),
        // What stays: 30 s over the bound.
        sample(60_000, 200_000, 300, "replica-b#1"),
        sample(75_000, 210_000, 310, "replica-b#1"),
        sample(90_000, 220_000, 320, "replica-b#1"),
    ];
    let found = violations(&r);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found
            .iter()
            .all(|v| v.invariant == 6 && v.object == "replica-b#1")
    );
}
