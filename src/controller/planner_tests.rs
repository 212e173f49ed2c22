use super::*;
use crate::fnf::{
    ClientConfig, CredentialProvider, Credentials, Endpoint, QuotaConfig, QuotaRegistry, Rate,
};

#[test]
fn the_default_quota_sustains_a_few_hundred_long_polls() {
    // 5/s with 10% headroom, held 60 s.
    assert_eq!(slot_capacity(4.5, 60, 1.0), 256);
    assert_eq!(slot_capacity(4.5, 60, 0.25), 64);
    assert_eq!(slot_capacity(4.5, 0, 1.0), 4);
    assert_eq!(slot_capacity(0.01, 1, 1.0), 1);
}

#[test]
fn throttling_shrinks_the_share_and_quiet_restores_it() {
    let start = Instant::now();
    let calm = Throttling::new(start);
    assert_eq!(calm.observe(0, start + Duration::from_secs(60)).factor, 1.0);
    let hit = calm.observe(2, start);
    assert_eq!(hit.factor, THROTTLED_FACTOR);
    // The same count again is not a new penalty.
    assert_eq!(
        hit.observe(2, start + Duration::from_secs(1)).factor,
        hit.factor
    );
    let mut floor = hit;
    for n in 3..30 {
        floor = floor.observe(n, start);
    }
    assert_eq!(floor.factor, MIN_FACTOR);
    let later = floor.observe(29, start + RECOVERY_PERIOD);
    assert!((later.factor - (MIN_FACTOR + RECOVERY_STEP)).abs() < 1e-9);
}

fn target(quotas: &QuotaRegistry, name: &str) -> PollTarget {
    crate::fnf::install_crypto_provider();
    let endpoint = Endpoint::from_url("http://127.0.0.1:9").unwrap();
    let mut config = ClientConfig::with_http(endpoint, reqwest::Client::new());
    config.quotas = quotas.clone();
    let credentials = CredentialProvider::static_credentials(Credentials {
        access_key_id: "acct".into(),
        access_key_secret: "secret".into(),
        security_token: None,
    });
    PollTarget {
        client: Client::new(config, credentials),
        flow_name: "flow".into(),
        execution_name: name.into(),
        strategy: super::super::tracker::PollStrategy::LongPoll { wait_time_secs: 1 },
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
    let (tracker, _woken) = Tracker::new();
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
