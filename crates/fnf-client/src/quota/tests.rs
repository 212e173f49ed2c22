use super::*;

#[tokio::test]
async fn a_new_bucket_goes_at_the_steady_rate_and_earns_its_burst_idling() {
    // Interval 100 ms, burst 5.
    let quotas = QuotaRegistry::new(
        QuotaConfig::unlimited().with_action("DescribeExecution", Rate::new(5, 10.0)),
    );
    let start = Instant::now();
    for _ in 0..5 {
        quotas.acquire("acct", "DescribeExecution").await;
    }
    assert!(Instant::now() - start >= Duration::from_millis(400));
    // Idle for the whole tolerance: the next five go at once.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let burst = Instant::now();
    for _ in 0..5 {
        quotas.acquire("acct", "DescribeExecution").await;
    }
    // Generous: only proves the burst did not wait an interval each.
    assert!(Instant::now() - burst < Duration::from_millis(300));
    // Other accounts and actions have their own buckets.
    let before_others = Instant::now();
    quotas.acquire("other", "DescribeExecution").await;
    quotas.acquire("acct", "ListExecutions").await;
    assert!(Instant::now() - before_others < Duration::from_millis(300));
}

#[tokio::test]
async fn a_penalty_pauses_the_bucket_and_voids_reserved_slots() {
    let quotas = QuotaRegistry::new(
        QuotaConfig::unlimited().with_action("StartExecution", Rate::new(1, 10.0)),
    );
    quotas.acquire("acct", "StartExecution").await;
    let waiter = {
        let quotas = quotas.clone();
        // Reserves the slot at +100 ms before the penalty arrives.
        tokio::spawn(async move { quotas.acquire("acct", "StartExecution").await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let penalized_at = Instant::now();
    quotas.penalize("acct", "StartExecution", Duration::from_millis(400));
    waiter.await.unwrap();
    assert!(Instant::now() - penalized_at >= Duration::from_millis(400));
    assert_eq!(quotas.penalties("acct", "StartExecution"), 1);
    for _ in 0..3 {
        quotas.acquire("acct", "StartExecution").await;
    }
    // One more caller would wait for the fourth interval.
    assert!(quotas.backlog("acct", "StartExecution") > Duration::from_millis(50));
    assert_eq!(
        quotas.available("acct", "StartExecution", Duration::ZERO),
        0
    );
    assert_eq!(quotas.backlog("other", "StartExecution"), Duration::ZERO);
    assert_eq!(quotas.penalties("acct", "DescribeExecution"), 0);
}

#[tokio::test]
async fn an_abandoned_wait_gives_its_slot_back() {
    let quotas = QuotaRegistry::new(
        QuotaConfig::unlimited().with_action("DescribeExecution", Rate::new(1, 2.0)),
    );
    quotas.acquire("acct", "DescribeExecution").await;
    // Ten waiters that give up would otherwise book five seconds ahead.
    for _ in 0..10 {
        let wait = quotas.acquire("acct", "DescribeExecution");
        assert!(
            tokio::time::timeout(Duration::from_millis(10), wait)
                .await
                .is_err()
        );
    }
    assert!(quotas.backlog("acct", "DescribeExecution") <= Duration::from_millis(500));
    assert_eq!(
        quotas.available("fresh", "DescribeExecution", Duration::ZERO),
        1
    );
    assert_eq!(
        quotas.available("fresh", "DescribeExecution", Duration::from_millis(1500)),
        4
    );
    let start = Instant::now();
    quotas.acquire("acct", "DescribeExecution").await;
    assert!(Instant::now() - start < Duration::from_millis(900));
}

#[test]
fn the_defaults_are_the_documented_quotas() {
    let config = QuotaConfig::fnf_defaults();
    assert_eq!(
        config.rate_for("DescribeExecution"),
        Some(Rate::new(50, 5.0))
    );
    assert_eq!(
        config.rate_for("StartExecution"),
        Some(Rate::new(100, 100.0))
    );
    assert_eq!(config.rate_for("StopExecution"), Some(Rate::new(10, 2.0)));
    assert_eq!(QuotaConfig::unlimited().rate_for("StopExecution"), None);
}
