//! The chart's rendered manifests are accepted by the real kube-apiserver
//! (server-side dry-run), for the default values and the other shapes a user
//! picks: namespaced RBAC, RRSA, no leader election, Secrets on, a PDB. The
//! dry-run leaves nothing behind on the shared control plane.

use fnf_testkit::e2e::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_values_shape_renders_manifests_the_apiserver_accepts() {
    let env = Env::new("e2e-chart").await;
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/../../charts/fnf-operator");
    let watched = env.namespace.clone();
    let shapes: Vec<Vec<String>> = vec![
        vec![],
        vec![
            format!("watchNamespaces={{{watched}}}"),
            "secretCredentials=true".into(),
            "outputExport.secrets=true".into(),
        ],
        vec![
            "credentials.mode=rrsa".into(),
            "credentials.rrsa.roleName=fnf-operator".into(),
            "leaderElection.enabled=false".into(),
        ],
        vec![
            "replicas=2".into(),
            "podDisruptionBudget.enabled=true".into(),
            "logFormat=text".into(),
        ],
    ];
    for (i, values) in shapes.iter().enumerate() {
        let release_ns = env.cluster.create_namespace("fnf-system").await.unwrap();
        let mut args = vec![
            "template".to_string(),
            format!("fnf-{i}"),
            chart.to_string(),
            "--namespace".into(),
            release_ns,
        ];
        for v in values {
            args.push("--set".into());
            args.push(v.clone());
        }
        let out = env.cluster.helm(&args).await.unwrap();
        assert!(
            out.status.success(),
            "{values:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let file = env.cluster.dir().join(format!("chart-{i}.yaml"));
        std::fs::write(&file, &out.stdout).unwrap();
        let applied = env
            .kubectl(&[
                "apply",
                "--server-side",
                "--dry-run=server",
                "-f",
                &file.to_string_lossy(),
            ])
            .await;
        for kind in ["serviceaccount", "deployment.apps", "service"] {
            assert!(applied.contains(kind), "{values:?}: {applied}");
        }
        assert!(applied.contains("role"), "{values:?}: {applied}");
        // A dry-run persists nothing: the tests sharing this control plane never
        // meet this chart's cluster-wide RBAC.
        let left = env
            .kubectl(&[
                "get",
                "--ignore-not-found",
                "-o",
                "name",
                "-f",
                &file.to_string_lossy(),
            ])
            .await;
        assert!(
            left.trim().is_empty(),
            "{values:?}: the dry-run left {left}"
        );
    }
}
