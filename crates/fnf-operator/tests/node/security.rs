//! Test 5: the pod's security as the kernel sees it. Pod Security admits it under
//! `restricted` (and refuses a privileged pod in the same namespace, so enforcement is on);
//! its process runs as 65532 with no capabilities, no new privileges and seccomp; a write
//! to its root filesystem fails.

use std::io::ErrorKind;

use crate::support::{NodeEnv, enabled, kubectl};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_pod_is_admitted_as_restricted_and_runs_unprivileged_on_a_read_only_root() {
    if !enabled("security") {
        return;
    }
    let env = NodeEnv::new("node-sec").await;
    env.helm_install(&[]).await;

    // Enforcement is on: a privileged pod is refused in the same namespace.
    let privileged = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "privileged-probe"},
        "spec": {"containers": [{"name": "c", "image": "localhost/fnf-operator:node-test",
            "securityContext": {"privileged": true}}]},
    });
    let manifest = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(manifest.path(), privileged.to_string()).unwrap();
    let refused = env
        .cluster
        .kubectl([
            "apply",
            "--dry-run=server",
            "-n",
            &env.namespace,
            "-f",
            &manifest.path().display().to_string(),
        ])
        .await
        .unwrap();
    assert!(!refused.status.success(), "a privileged pod was admitted");
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("violates PodSecurity"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let labels = kubectl(
        env.cluster,
        &[
            "get",
            "namespace",
            &env.namespace,
            "-o",
            "jsonpath={.metadata.labels}",
        ],
    )
    .await;
    assert!(
        labels.contains("\"pod-security.kubernetes.io/enforce\":\"restricted\""),
        "{labels}"
    );

    let pod = env.operator_pods().await.remove(0);
    let container_id = pod
        .status
        .and_then(|s| s.container_statuses)
        .and_then(|c| c.into_iter().next())
        .and_then(|c| c.container_id)
        .expect("a running container");
    let pid = env
        .cluster
        .node()
        .unwrap()
        .container_pid(&container_id)
        .expect("the container's PID");

    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_default()
    };
    assert_eq!(field("Uid"), "65532 65532 65532 65532");
    assert_eq!(field("Gid"), "65532 65532 65532 65532");
    for caps in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(field(caps), "0000000000000000", "{caps}");
    }
    assert_eq!(field("NoNewPrivs"), "1");
    assert_eq!(field("Seccomp"), "2", "RuntimeDefault seccomp filter");

    // A write through the container's own root mount fails even for root on the host.
    let probe = format!("/proc/{pid}/root/write-probe");
    let error = std::fs::write(&probe, b"x").expect_err("the root filesystem took a write");
    assert!(
        error.kind() == ErrorKind::ReadOnlyFilesystem || error.raw_os_error() == Some(30),
        "{error}"
    );
}
