//! Test 6: `helm test` runs the chart's test hook (one read-only cloud call from the
//! operator's image with its configuration and credentials, through the CA bundle), and
//! `helm uninstall` leaves nothing of the release behind but the CRDs. Events, which
//! expire on their own, are not counted.

use std::time::{Duration, Instant};

use crate::support::{NodeEnv, enabled, kubectl};

/// Every namespaced kind the chart renders or the operator creates, plus what pods leave.
const NAMESPACED_KINDS: &str = "deployments,replicasets,pods,services,endpointslices,configmaps,secrets,serviceaccounts,roles,rolebindings,leases,poddisruptionbudgets";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helm_test_passes_and_helm_uninstall_leaves_only_the_crds() {
    if !enabled("helm_lifecycle") {
        return;
    }
    let env = NodeEnv::new("node-helm").await;
    env.helm_install(&[]).await;
    let before_calls = env.tls.emulator.counters().calls("ListFlows");

    let tested = env
        .cluster
        .helm([
            "test",
            &env.release,
            "--namespace",
            &env.namespace,
            "--timeout",
            "180s",
        ])
        .await
        .unwrap();
    assert!(
        tested.status.success(),
        "helm test failed:\n{}\n{}",
        String::from_utf8_lossy(&tested.stdout),
        String::from_utf8_lossy(&tested.stderr)
    );
    assert!(
        env.tls.emulator.counters().calls("ListFlows") > before_calls,
        "the test hook never reached the cloud endpoint"
    );

    let uninstalled = env
        .cluster
        .helm([
            "uninstall",
            &env.release,
            "--namespace",
            &env.namespace,
            "--wait",
            "--timeout",
            "180s",
        ])
        .await
        .unwrap();
    assert!(
        uninstalled.status.success(),
        "{}",
        String::from_utf8_lossy(&uninstalled.stderr)
    );

    // What remains in the namespace besides what the namespace had without the release
    // (its default ServiceAccount and CA ConfigMap, and the test's own credentials Secret).
    let expected_left = [
        "serviceaccount/default",
        "configmap/kube-root-ca.crt",
        "secret/fnf-operator-credentials",
    ];
    let deadline = Instant::now() + Duration::from_secs(120);
    let left = loop {
        let listed = kubectl(
            env.cluster,
            &["get", NAMESPACED_KINDS, "-n", &env.namespace, "-o", "name"],
        )
        .await;
        let left: Vec<String> = listed
            .lines()
            // "lease.coordination.k8s.io/x" becomes "lease/x".
            .map(|line| {
                let (kind, name) = line.split_once('/').unwrap_or((line, ""));
                let kind = kind.split('.').next().unwrap_or(kind);
                format!("{kind}/{name}")
            })
            .filter(|object| !expected_left.contains(&object.as_str()))
            .collect();
        if left.is_empty() || Instant::now() >= deadline {
            break left;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    assert!(left.is_empty(), "left behind by the release: {left:?}");

    let cluster_wide = kubectl(
        env.cluster,
        &[
            "get",
            "clusterroles,clusterrolebindings,validatingadmissionpolicies,validatingadmissionpolicybindings",
            "-l",
            &format!("app.kubernetes.io/instance={}", env.release),
            "-o",
            "name",
        ],
    )
    .await;
    // Another test's release of the same name lives in another namespace; its cluster-wide
    // objects would carry its namespace in their names.
    let ours: Vec<&str> = cluster_wide
        .lines()
        .filter(|name| name.contains(&env.namespace))
        .collect();
    assert!(ours.is_empty(), "cluster-wide objects left: {ours:?}");
    kubectl(
        env.cluster,
        &["get", "crd", "flowexecutions.fnf-operator.dev"],
    )
    .await;
}
