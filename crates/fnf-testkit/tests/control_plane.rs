//! The local control plane (`fnf_testkit::devcluster`) against the real kube-apiserver,
//! etcd, kubectl and helm it builds: what the operator's own integration tests rely on.
// Test code: a failed unwrap is a failed test. (clippy.toml allows it in #[test]
// functions only, not in the helpers beside them.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fnf_testkit::devcluster::{DevCluster, shared};
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{ApiResource, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::{Api, Client};
use serde_json::json;

const GADGET_CRD_YAML: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.devcluster.fnf.test
spec:
  group: devcluster.fnf.test
  scope: Namespaced
  names: { plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList }
  versions:
    - name: v1
      served: true
      storage: true
      subresources: { status: {} }
      additionalPrinterColumns:
        - { name: Size, type: integer, jsonPath: .spec.size }
        - { name: Phase, type: string, jsonPath: .status.phase }
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties: { size: { type: integer } }
            status:
              type: object
              properties: { phase: { type: string } }
"#;

/// RBAC bindings reach the authorizer's cache after a short lag; allow plenty on a busy box.
const RBAC_PROPAGATION_TIMEOUT_SECS: u64 = 30;
const HELPER_ENV: &str = "FNF_DEVCLUSTER_TEST_HELPER";
const PROCESS_GONE_TIMEOUT_SECS: u64 = 30;

fn gadget_resource() -> ApiResource {
    ApiResource {
        group: "devcluster.fnf.test".to_owned(),
        version: "v1".to_owned(),
        api_version: "devcluster.fnf.test/v1".to_owned(),
        kind: "Gadget".to_owned(),
        plural: "gadgets".to_owned(),
    }
}

#[tokio::test]
async fn a_crd_with_status_and_printer_columns_is_established_and_kubectl_prints_the_columns() {
    let cluster = shared().await.expect("control plane starts");
    let crd: CustomResourceDefinition =
        serde_saphyr::from_str(GADGET_CRD_YAML).expect("CRD parses");
    cluster
        .install_crds(&[crd])
        .await
        .expect("CRD becomes Established");
    let ns = cluster.create_namespace("crd").await.expect("namespace");
    let gadgets: Api<DynamicObject> = Api::namespaced_with(
        cluster.admin_client().await.expect("client"),
        &ns,
        &gadget_resource(),
    );

    let gadget: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "devcluster.fnf.test/v1",
        "kind": "Gadget",
        "metadata": { "name": "sprocket" },
        "spec": { "size": 3 },
    }))
    .expect("object");
    gadgets
        .create(&PostParams::default(), &gadget)
        .await
        .expect("create");
    gadgets
        .patch_status(
            "sprocket",
            &PatchParams::default(),
            &Patch::Merge(json!({ "status": { "phase": "Ready" } })),
        )
        .await
        .expect("status patch");
    // With a status subresource, writes to the main resource must not change status.
    let after_main_write = gadgets
        .patch(
            "sprocket",
            &PatchParams::default(),
            &Patch::Merge(json!({ "status": { "phase": "Ignored" } })),
        )
        .await
        .expect("main patch");
    assert_eq!(after_main_write.data["status"]["phase"], "Ready");

    let output = cluster
        .kubectl(["get", "gadgets", "-n", &ns])
        .await
        .expect("kubectl runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "kubectl failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut lines = stdout
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>());
    assert_eq!(
        lines.next().unwrap_or_default(),
        ["NAME", "SIZE", "PHASE"],
        "{stdout}"
    );
    assert_eq!(
        lines.next().unwrap_or_default(),
        ["sprocket", "3", "Ready"],
        "{stdout}"
    );
}

#[tokio::test]
async fn a_service_account_is_forbidden_until_a_role_binding_grants_it() {
    let cluster = shared().await.expect("control plane starts");
    let ns = cluster.create_namespace("rbac").await.expect("namespace");
    let reader = cluster
        .service_account_client(&ns, "reader")
        .await
        .expect("service account client");
    let config_maps: Api<ConfigMap> = Api::namespaced(reader, &ns);

    match config_maps.list(&ListParams::default()).await {
        Err(kube::Error::Api(status)) => {
            assert_eq!(status.code, 403, "{status:?}");
            assert!(
                status
                    .message
                    .contains(&format!("system:serviceaccount:{ns}:reader")),
                "the token authenticates as the ServiceAccount: {}",
                status.message
            );
        }
        other => panic!("expected 403 before any RBAC, got {other:?}"),
    }

    grant_config_map_reading(cluster.admin_client().await.expect("admin"), &ns, "reader").await;
    let deadline = Instant::now() + Duration::from_secs(RBAC_PROPAGATION_TIMEOUT_SECS);
    loop {
        match config_maps.list(&ListParams::default()).await {
            Ok(_) => break,
            Err(kube::Error::Api(status)) if status.code == 403 && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(other) => panic!("still refused after RBAC was granted: {other:?}"),
        }
    }
}

async fn grant_config_map_reading(admin: Client, ns: &str, account: &str) {
    let role: Role = serde_json::from_value(json!({
        "metadata": { "name": "config-map-reader" },
        "rules": [{ "apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"] }],
    }))
    .expect("role");
    let binding: RoleBinding = serde_json::from_value(json!({
        "metadata": { "name": "config-map-reader" },
        "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "config-map-reader" },
        "subjects": [{ "kind": "ServiceAccount", "name": account, "namespace": ns }],
    }))
    .expect("binding");
    Api::<Role>::namespaced(admin.clone(), ns)
        .create(&PostParams::default(), &role)
        .await
        .expect("create role");
    Api::<RoleBinding>::namespaced(admin, ns)
        .create(&PostParams::default(), &binding)
        .await
        .expect("create role binding");
}

#[tokio::test]
async fn helm_lints_and_renders_a_chart_requiring_kubernetes_1_37() {
    let cluster = shared().await.expect("control plane starts");
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trivial-chart");

    let lint = cluster
        .helm(["lint".as_ref(), chart.as_os_str()])
        .await
        .expect("helm runs");
    let lint_stdout = String::from_utf8_lossy(&lint.stdout);
    assert!(
        lint.status.success(),
        "{lint_stdout}{}",
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(
        lint_stdout.contains("1 chart(s) linted, 0 chart(s) failed"),
        "{lint_stdout}"
    );

    let template = cluster
        .helm([
            "template".as_ref(),
            "demo".as_ref(),
            chart.as_os_str(),
            "--set".as_ref(),
            "greeting=hi".as_ref(),
        ])
        .await
        .expect("helm runs");
    let rendered = String::from_utf8_lossy(&template.stdout);
    assert!(
        template.status.success(),
        "{}",
        String::from_utf8_lossy(&template.stderr)
    );
    let config_map: ConfigMap = serde_saphyr::from_str(&rendered).expect("one ConfigMap");
    assert_eq!(config_map.metadata.name.as_deref(), Some("demo-greeting"));
    let data = config_map.data.unwrap_or_default();
    assert_eq!(data.get("greeting").map(String::as_str), Some("hi"));
    assert_eq!(data.get("kubeVersion").map(String::as_str), Some("v1.37.0"));
}

#[tokio::test]
async fn the_apiserver_reports_version_v1_37_2() {
    let cluster = shared().await.expect("control plane starts");
    let version = cluster
        .admin_client()
        .await
        .expect("client")
        .apiserver_version()
        .await
        .expect("/version");
    assert_eq!(version.git_version, "v1.37.2");
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "37")
    );
}

#[tokio::test]
async fn objects_survive_an_apiserver_restart_and_dropping_the_cluster_leaves_nothing_behind() {
    let cluster = DevCluster::start().await.expect("control plane starts");
    let dir = cluster.dir().to_path_buf();
    let config_map: ConfigMap = serde_json::from_value(json!({
        "metadata": { "name": "kept" },
        "data": { "key": "value" },
    }))
    .expect("config map");
    Api::<ConfigMap>::namespaced(cluster.admin_client().await.expect("client"), "default")
        .create(&PostParams::default(), &config_map)
        .await
        .expect("create");

    cluster.restart_apiserver().await.expect("restart");
    let read_back =
        Api::<ConfigMap>::namespaced(cluster.admin_client().await.expect("client"), "default")
            .get("kept")
            .await
            .expect("the object is still there");
    assert_eq!(
        read_back
            .data
            .unwrap_or_default()
            .get("key")
            .map(String::as_str),
        Some("value")
    );

    assert!(
        !processes_mentioning(&dir).is_empty(),
        "sanity: the scan finds the running processes"
    );
    drop(cluster);
    assert_eq!(
        processes_mentioning(&dir),
        Vec::<u32>::new(),
        "no process survives the drop"
    );
    assert!(!dir.exists(), "the temp dir is removed");
}

/// Runs only inside the child process of the test below: starts the shared control plane,
/// prints its dir and waits to be killed.
#[tokio::test]
#[ignore = "helper process for a_killed_test_process_takes_its_control_plane_with_it"]
async fn helper_start_shared_cluster_and_wait_to_be_killed() {
    if std::env::var_os(HELPER_ENV).is_none() {
        return;
    }
    let cluster = shared().await.expect("control plane starts");
    println!("DEVCLUSTER_DIR={}", cluster.dir().display());
    tokio::time::sleep(Duration::from_secs(600)).await;
}

#[tokio::test]
async fn a_killed_test_process_takes_its_control_plane_with_it() {
    use std::io::{BufRead, BufReader};
    let mut helper = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "helper_start_shared_cluster_and_wait_to_be_killed",
            "--ignored",
            "--nocapture",
        ])
        .env(HELPER_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("helper starts");
    let stdout = helper.stdout.take().expect("piped stdout");
    let dir = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| line.strip_prefix("DEVCLUSTER_DIR=").map(PathBuf::from))
    })
    .await
    .expect("reader")
    .expect("the helper reports its control plane");
    assert!(
        !processes_mentioning(&dir).is_empty(),
        "sanity: the control plane runs"
    );

    helper.kill().expect("SIGKILL the helper");
    helper.wait().expect("reap the helper");

    // The watchdogs poll once a second; give them time on a loaded machine.
    let deadline = Instant::now() + Duration::from_secs(PROCESS_GONE_TIMEOUT_SECS);
    while (!processes_mentioning(&dir).is_empty() || dir.exists()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        processes_mentioning(&dir),
        Vec::<u32>::new(),
        "no orphan survives"
    );
    assert!(!dir.exists(), "the temp dir is removed");
}

/// Pids whose command line mentions `dir` (etcd and kube-apiserver take paths inside it).
fn processes_mentioning(dir: &Path) -> Vec<u32> {
    let needle = dir.to_string_lossy().into_owned();
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<u32>().ok())
        else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmdline).contains(&needle)
        {
            pids.push(pid);
        }
    }
    pids
}
