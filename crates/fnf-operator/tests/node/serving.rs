//! Test 1: the chart as a user installs it runs as a Ready pod, completes a FlowExecution
//! against the HTTPS emulator (trusting the chart's CA bundle), and answers `/metrics`,
//! `/healthz` and `/readyz` through its Service.

use std::time::Duration;

use fnf_testkit::e2e::completed;
use k8s_openapi::api::core::v1::Service;
use kube::Api;

use crate::support::{IMAGE_REPOSITORY, IMAGE_TAG, NodeEnv, enabled, phase};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installed_chart_runs_a_ready_pod_that_completes_an_execution_and_serves_through_its_service()
 {
    if !enabled("serving") {
        return;
    }
    let env = NodeEnv::new("node-serve").await;
    env.helm_install(&[]).await;

    let pods = env.operator_pods().await;
    assert_eq!(pods.len(), 1, "one replica by default");
    let pod = &pods[0];
    let spec = pod.spec.as_ref().unwrap();
    assert_eq!(
        spec.containers[0].image.as_deref(),
        Some(format!("{IMAGE_REPOSITORY}:{IMAGE_TAG}").as_str())
    );
    let ready = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    assert!(ready, "helm --wait returned before the pod was Ready");

    env.create("hello", "short").await;
    let fe = env
        .wait_for("hello", Duration::from_secs(180), completed)
        .await;
    assert_eq!(phase(&fe), Some("Succeeded"), "{:?}", fe.status);
    let counters = env.tls.emulator.counters();
    assert_eq!(counters.total_created(), 1, "one execution started");

    // Through the Service's ClusterIP: kube-proxy's rules, the selector, the named port.
    let services: Api<Service> = Api::namespaced(env.admin.clone(), &env.namespace);
    let service = services
        .get(&format!("{}-metrics", env.fullname()))
        .await
        .unwrap();
    let ip = service
        .spec
        .and_then(|s| s.cluster_ip)
        .expect("a ClusterIP");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    for path in ["/healthz", "/readyz", "/metrics"] {
        let response = http
            .get(format!("http://{ip}:8080{path}"))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path} through the Service: {e}"));
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        if path == "/metrics" {
            let body = response.text().await.unwrap();
            assert!(
                body.contains("fnf_operator_cloud_call_duration_seconds_bucket"),
                "the pod's metrics show its cloud calls:\n{body}"
            );
        }
    }
}
