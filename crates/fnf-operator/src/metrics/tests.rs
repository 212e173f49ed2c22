use super::*;

#[test]
fn every_cloud_call_is_counted_and_timed_by_action_and_outcome() {
    let metrics = Metrics::new();
    let observer = metrics.call_observer();
    (observer.0)(
        "DescribeExecution",
        "Success",
        std::time::Duration::from_millis(20),
    );
    (observer.0)(
        "DescribeExecution",
        "ResourceThrottled",
        std::time::Duration::from_millis(3),
    );
    let text = metrics.render();
    assert!(
        text.contains(
            r#"fnf_operator_cloud_calls_total{action="DescribeExecution",outcome="Success"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"fnf_operator_cloud_calls_total{action="DescribeExecution",outcome="ResourceThrottled"} 1"#));
    assert!(text.contains("fnf_operator_cloud_call_duration_seconds_bucket"));
}

#[test]
fn metrics_are_served_with_the_openmetrics_content_type_the_body_is_in() {
    let metrics = Metrics::new();
    let answer = metrics.scrape();
    assert_eq!(
        answer.headers()[header::CONTENT_TYPE],
        OPENMETRICS_CONTENT_TYPE
    );
    assert!(
        metrics.render().ends_with("# EOF\n"),
        "OpenMetrics ends with # EOF"
    );
}

#[test]
fn build_info_carries_the_version() {
    let text = Metrics::new().render();
    let line = format!(r#"fnf_operator_build_info{{version="{VERSION}"}} 1"#);
    assert!(text.contains(&line), "{text}");
}

#[test]
fn events_the_api_refused_are_counted_as_failed() {
    let metrics = Metrics::new();
    metrics.event("Failed", true);
    metrics.event("Failed", false);
    metrics.event("Failed", false);
    let text = metrics.render();
    assert!(
        text.contains(r#"fnf_operator_events_total{reason="Failed",result="published"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"fnf_operator_events_total{reason="Failed",result="failed"} 2"#),
        "{text}"
    );
}
