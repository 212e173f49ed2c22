use std::time::Duration;

use jiff::Timestamp;

use super::*;
use crate::metrics::Metrics;
use crate::watch::key::PollStrategy;
use crate::watch::tracker::Tracker;
use fnf_client::{
    ClientConfig, CredentialProvider, Credentials, Endpoint, QuotaConfig, QuotaRegistry, Rate,
};

fn target(quotas: &QuotaRegistry, name: &str) -> PollTarget {
    target_in(quotas, "acct", "flow", name)
}

/// A target of `flow` under the credentials `account`; longer names started later.
fn target_in(quotas: &QuotaRegistry, account: &str, flow: &str, name: &str) -> PollTarget {
    fnf_client::install_crypto_provider();
    let endpoint = Endpoint::from_url("http://127.0.0.1:9").unwrap();
    let mut config = ClientConfig::with_http(endpoint, reqwest::Client::new());
    config.quotas = quotas.clone();
    let credentials = CredentialProvider::static_credentials(Credentials {
        access_key_id: account.into(),
        access_key_secret: "secret".into(),
        security_token: None,
    });
    PollTarget {
        client: Client::new(config, credentials),
        flow_name: flow.into(),
        execution_name: name.into(),
        strategy: PollStrategy::LongPoll { wait_time_secs: 1 },
        recorded_start: Some(Timestamp::from_second(1_000 + name.len() as i64).unwrap()),
    }
}

fn key(name: &str) -> TrackKey {
    TrackKey {
        namespace: "ns".into(),
        name: name.into(),
        uid: name.into(),
    }
}

#[tokio::test]
async fn slots_go_oldest_first_and_shrink_when_the_cloud_throttles() {
    // 5/s held 1 s: floor(5 × 0.95) = 4 slots; a new bucket can send 6 calls
    // within the grant horizon.
    let quotas =
        QuotaRegistry::new(QuotaConfig::unlimited().with_action(DESCRIBE, Rate::new(10, 5.0)));
    let (tracker, _woken) = Tracker::new(Metrics::default());
    let planner = Planner::default();
    // Longer names started later (see `target`).
    let names = ["a", "bb", "ccc", "dddd", "eeeee", "ffffff"];
    let mut members: Vec<Membership> = names
        .iter()
        .map(|n| planner.join(&tracker, &key(n), &target(&quotas, n), 1))
        .collect();
    assert_eq!(planner.counts(), (4, 2));
    for held in &mut members[..4] {
        tokio::time::timeout(Duration::from_secs(1), held.slot())
            .await
            .unwrap();
        assert!(held.keep_slot());
    }
    let mut youngest = members.pop().unwrap();
    let mut next = members.pop().unwrap();
    // A freed slot goes to the oldest waiting.
    drop(members.remove(0));
    tokio::time::timeout(Duration::from_secs(1), next.slot())
        .await
        .unwrap();
    assert!(next.keep_slot());
    assert_eq!(planner.counts(), (4, 1));
    assert!(
        tokio::time::timeout(Duration::from_millis(50), youngest.slot())
            .await
            .is_err(),
        "no fifth slot"
    );

    // Throttled: floor(4.75 × 0.75) = 3 slots; the next holder to ask gives one back.
    quotas.penalize("acct", DESCRIBE, Duration::from_millis(1));
    assert!(!next.keep_slot());
    assert_eq!(planner.counts(), (3, 2));
    assert!(members[0].keep_slot());

    drop(members);
    drop(next);
    drop(youngest);
    assert_eq!(planner.counts(), (0, 0));
}

#[tokio::test]
async fn a_poll_restarted_before_the_old_one_ended_takes_its_place() {
    let quotas =
        QuotaRegistry::new(QuotaConfig::unlimited().with_action(DESCRIBE, Rate::new(10, 5.0)));
    let (tracker, _woken) = Tracker::new(Metrics::default());
    let planner = Planner::default();
    let old = planner.join(&tracker, &key("a"), &target(&quotas, "a"), 1);
    let new = planner.join(&tracker, &key("a"), &target(&quotas, "a"), 1);
    assert_eq!(planner.counts(), (1, 0));
    drop(old);
    assert_eq!(
        planner.counts(),
        (1, 0),
        "the old one's drop leaves the new one"
    );
    drop(new);
    assert_eq!(planner.counts(), (0, 0));
}

/// 5/s held 1 s: four slots per account.
fn four_slots() -> QuotaRegistry {
    QuotaRegistry::new(QuotaConfig::unlimited().with_action(DESCRIBE, Rate::new(10, 5.0)))
}

async fn granted(membership: &mut Membership) -> bool {
    tokio::time::timeout(Duration::from_secs(1), membership.slot())
        .await
        .is_ok()
}

#[tokio::test]
async fn slots_go_to_whole_small_flows_first() {
    let quotas = four_slots();
    let (tracker, _woken) = Tracker::new(Metrics::default());
    let planner = Planner::default();
    // Seven of a big flow (the oldest, so they get the first four slots),
    // then two of a small one: five wait, few enough beside four slots that
    // no slot goes to final-status reads (`budget::final_status_share`).
    let mut big: Vec<Membership> = (1..=7)
        .map(|n| {
            let name = "b".repeat(n);
            planner.join(
                &tracker,
                &key(&name),
                &target_in(&quotas, "acct", "big", &name),
                1,
            )
        })
        .collect();
    let mut small: Vec<Membership> = ["s".repeat(20), "s".repeat(21)]
        .iter()
        .map(|name| {
            planner.join(
                &tracker,
                &key(name),
                &target_in(&quotas, "acct", "small", name),
                1,
            )
        })
        .collect();
    assert_eq!(planner.counts(), (4, 5));
    // A freed slot goes to the flow with the fewest waiting, not the oldest.
    drop(big.remove(0));
    assert!(granted(&mut small[0]).await);
    assert!(small[0].keep_slot());
    // A holder of the big flow, swept anyway, gives its slot to the small one.
    assert!(granted(&mut big[0]).await);
    assert!(!big[0].keep_slot());
    assert!(granted(&mut small[1]).await);
    assert!(small[1].keep_slot());
    // Now the small flow is whole and nothing waits elsewhere: holders keep theirs.
    assert!(granted(&mut big[1]).await);
    assert!(big[1].keep_slot());
    assert_eq!(planner.counts(), (4, 4));
    drop(big);
    drop(small);
    assert_eq!(planner.counts(), (0, 0));
}

#[tokio::test]
async fn each_account_has_its_own_slots() {
    let quotas = four_slots();
    let (tracker, _woken) = Tracker::new(Metrics::default());
    let planner = Planner::default();
    let mut members = Vec::new();
    for account in ["acct-a", "acct-b"] {
        for n in 1..=6 {
            let name = format!("{account}-{}", "x".repeat(n));
            let target = target_in(&quotas, account, "flow", &name);
            members.push(planner.join(&tracker, &key(&name), &target, 1));
        }
    }
    assert_eq!(planner.counts(), (8, 4), "four slots in each account");
    // Throttling one account shrinks its slots only.
    quotas.penalize("acct-a", DESCRIBE, Duration::from_millis(1));
    for member in &mut members[..4] {
        member.keep_slot();
    }
    for member in &mut members[6..10] {
        assert!(member.keep_slot());
    }
    assert_eq!(planner.counts(), (7, 5));
    drop(members);
    assert_eq!(planner.counts(), (0, 0));
}

#[tokio::test]
async fn a_sweep_larger_than_the_slots_takes_a_share_of_the_quota_for_final_statuses() {
    let quotas = four_slots();
    let (tracker, _woken) = Tracker::new(Metrics::default());
    let planner = Planner::default();
    let mut members: Vec<Membership> = (1..=20)
        .map(|n| {
            let name = "m".repeat(n);
            planner.join(&tracker, &key(&name), &target(&quotas, &name), 1)
        })
        .collect();
    // Four hold slots, sixteen wait: four times the slots, the whole share.
    assert_eq!(planner.counts(), (4, 16));
    // The share is 5 × 0.9 = 4.5 calls a second, but no slot is free yet.
    assert_eq!(planner.final_status_rate("acct"), 0.0);
    // The slots shrink to 4 × (1 − 0.9/0.95) = 0.2, so 1: each holder to
    // ask (its flow is swept anyway) gives its slot back, each freeing a
    // call a second (a long-poll a second of wait), until one is left.
    assert!(!members[0].keep_slot());
    assert_eq!(planner.counts(), (3, 17));
    assert_eq!(planner.final_status_rate("acct"), 1.0);
    assert!(!members[1].keep_slot());
    assert!(!members[2].keep_slot());
    assert_eq!(planner.counts(), (1, 19));
    assert_eq!(planner.final_status_rate("acct"), 3.0);
    assert!(members[3].keep_slot());
    // Few left waiting: no share, and the slots grow back.
    members.truncate(12);
    assert_eq!(planner.final_status_rate("acct"), 0.0);
    drop(members);
    assert_eq!(planner.counts(), (0, 0));
}

#[tokio::test]
async fn a_flow_held_whole_keeps_its_slot_when_final_status_reads_take_a_share() {
    let quotas = four_slots();
    let (tracker, _woken) = Tracker::new(Metrics::default());
    let planner = Planner::default();
    let join = |flow: &str, name: String| {
        let target = target_in(&quotas, "acct", flow, &name);
        planner.join(&tracker, &key(&name), &target, 1)
    };
    let mut small = join("small", "s".to_string());
    let mut big: Vec<Membership> = (1..=19).map(|n| join("big", "b".repeat(n))).collect();
    // Sixteen of the big flow wait: four times the slots, so 1 slot is left.
    assert_eq!(planner.counts(), (4, 16));
    assert!(small.keep_slot(), "needs no page: keeps its slot");
    assert!(!big[0].keep_slot(), "swept anyway: gives its slot up");
    assert!(!big[1].keep_slot());
    assert!(!big[2].keep_slot());
    assert_eq!(planner.counts(), (1, 19));
    assert!(small.keep_slot(), "still the one slot left");
    drop(big);
    drop(small);
    assert_eq!(planner.counts(), (0, 0));
}
