//! The Helm chart, rendered by the real `helm` (built by tools/control-plane): it
//! lints, grants exactly the RBAC the operator needs in each mode, passes the
//! operator's flags as env, refuses bad values through values.schema.json, and
//! renders a pod that meets the restricted Pod Security Standard.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

const CHART: &str = "charts/fnf-operator";
const RELEASE: &str = "fnf";
const RELEASE_NAMESPACE: &str = "fnf-system";
const FULLNAME: &str = "fnf-fnf-operator";

fn repo_path(relative: &str) -> PathBuf {
    fnf_testkit::repo_path(relative)
}

fn helm() -> Command {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo_path("tools/control-plane/build.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run tools/control-plane/build.sh");
        assert!(out.status.success(), "tools/control-plane/build.sh failed");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    });
    let mut cmd = Command::new(bin.join("helm"));
    cmd.current_dir(fnf_testkit::REPO_ROOT);
    cmd
}

/// `helm template` with `--set` values: the rendered text, or helm's error.
fn render(sets: &[&str]) -> Result<String, String> {
    let mut cmd = helm();
    cmd.args(["template", RELEASE, CHART, "--namespace", RELEASE_NAMESPACE]);
    for set in sets {
        cmd.args(["--set", set]);
    }
    let out = cmd.output().expect("run helm template");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn manifests(sets: &[&str]) -> Vec<Value> {
    let text = render(sets).unwrap_or_else(|e| panic!("helm template {sets:?}: {e}"));
    serde_saphyr::from_multiple::<Value>(&text).expect("rendered YAML")
}

fn find<'a>(
    docs: &'a [Value],
    kind: &str,
    name: &str,
    namespace: Option<&str>,
) -> Option<&'a Value> {
    docs.iter().find(|d| {
        d["kind"] == kind
            && d["metadata"]["name"] == name
            && d["metadata"]["namespace"].as_str() == namespace
    })
}

fn all_of<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    api_groups: Vec<String>,
    resources: Vec<String>,
    verbs: Vec<String>,
    #[serde(default)]
    resource_names: Vec<String>,
}

fn rule(group: &str, resource: &str, verbs: &[&str], names: &[&str]) -> Rule {
    let strings = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect();
    Rule {
        api_groups: vec![group.to_string()],
        resources: vec![resource.to_string()],
        verbs: strings(verbs),
        resource_names: strings(names),
    }
}

fn rules_of(role: &Value) -> Vec<Rule> {
    serde_json::from_value(role["rules"].clone()).expect("rules")
}

fn watch_rules(secrets: bool) -> Vec<Rule> {
    let mut rules = vec![
        rule(
            "fnf-operator.dev",
            "flowexecutions",
            &["list", "watch", "patch", "delete", "create"],
            &[],
        ),
        rule("fnf-operator.dev", "flowexecutions/status", &["patch"], &[]),
        rule(
            "fnf-operator.dev",
            "cronflowexecutions",
            &["list", "watch"],
            &[],
        ),
        rule(
            "fnf-operator.dev",
            "cronflowexecutions/status",
            &["patch"],
            &[],
        ),
        rule(
            "fnf-operator.dev",
            "flows",
            &["list", "watch", "patch"],
            &[],
        ),
        rule("fnf-operator.dev", "flows/status", &["patch"], &[]),
        rule("events.k8s.io", "events", &["create"], &[]),
        rule("", "configmaps", &["get", "create", "patch", "delete"], &[]),
    ];
    if secrets {
        // Secret metadata is watched so a fixed Secret takes effect at once.
        rules.push(rule("", "secrets", &["get", "list", "watch"], &[]));
    }
    rules
}

fn lease_rules() -> Vec<Rule> {
    vec![
        rule("coordination.k8s.io", "leases", &["create"], &[]),
        rule(
            "coordination.k8s.io",
            "leases",
            &["get", "patch"],
            &[FULLNAME],
        ),
    ]
}

fn assert_bound_to_operator(binding: &Value, role_kind: &str, role_name: &str) {
    assert_eq!(binding["roleRef"]["kind"], role_kind);
    assert_eq!(binding["roleRef"]["name"], role_name);
    let subjects = binding["subjects"].as_array().expect("subjects");
    assert_eq!(subjects.len(), 1);
    assert_eq!(subjects[0]["kind"], "ServiceAccount");
    assert_eq!(subjects[0]["name"], FULLNAME);
    assert_eq!(subjects[0]["namespace"], RELEASE_NAMESPACE);
}

fn container(docs: &[Value]) -> &Value {
    let deployment =
        find(docs, "Deployment", FULLNAME, Some(RELEASE_NAMESPACE)).expect("Deployment");
    &deployment["spec"]["template"]["spec"]["containers"][0]
}

/// The container's env: name → literal value, or "<from NAME>" for a valueFrom.
fn env(docs: &[Value]) -> Vec<(String, String)> {
    let vars = container(docs)["env"].as_array().expect("env").clone();
    vars.iter()
        .map(|v| {
            let name = v["name"].as_str().expect("env name").to_string();
            let value = match v["value"].as_str() {
                Some(value) => value.to_string(),
                None => format!(
                    "<from {}>",
                    serde_saphyr::to_string(&v["valueFrom"])
                        .expect("yaml")
                        .trim()
                ),
            };
            (name, value)
        })
        .collect()
}

fn env_value(docs: &[Value], name: &str) -> Option<String> {
    env(docs)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

#[test]
fn helm_lint_passes_with_default_and_alternative_values() {
    let alternatives: [&[&str]; 4] = [
        &[],
        &["watchNamespaces={team-a,team-b}", "secretCredentials=true"],
        &[
            "credentials.mode=rrsa",
            "credentials.rrsa.roleName=fnf-operator",
        ],
        &[
            "leaderElection.enabled=false",
            "metrics.serviceMonitor.enabled=true",
            "podDisruptionBudget.enabled=true",
        ],
    ];
    for sets in alternatives {
        let mut cmd = helm();
        cmd.args(["lint", "--strict", CHART]);
        for set in sets {
            cmd.args(["--set", set]);
        }
        let out = cmd.output().expect("run helm lint");
        assert!(
            out.status.success(),
            "helm lint {sets:?}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn default_install_grants_flowexecution_access_cluster_wide_and_one_lease() {
    let docs = manifests(&[]);
    let cluster_role = find(&docs, "ClusterRole", FULLNAME, None).expect("ClusterRole");
    assert_eq!(rules_of(cluster_role), watch_rules(false));
    let binding = find(&docs, "ClusterRoleBinding", FULLNAME, None).expect("ClusterRoleBinding");
    assert_bound_to_operator(binding, "ClusterRole", FULLNAME);

    let lease_role_name = format!("{FULLNAME}-leader-election");
    let roles = all_of(&docs, "Role");
    assert_eq!(roles.len(), 1, "only the leader-election Role");
    assert_eq!(
        roles[0]["metadata"]["name"].as_str(),
        Some(lease_role_name.as_str())
    );
    assert_eq!(roles[0]["metadata"]["namespace"], RELEASE_NAMESPACE);
    assert_eq!(rules_of(roles[0]), lease_rules());
    let lease_binding = find(
        &docs,
        "RoleBinding",
        &lease_role_name,
        Some(RELEASE_NAMESPACE),
    )
    .expect("RoleBinding");
    assert_bound_to_operator(lease_binding, "Role", &lease_role_name);
    assert_eq!(
        env_value(&docs, "FNF_LEASE_NAME").as_deref(),
        Some(FULLNAME)
    );
    assert_eq!(env_value(&docs, "FNF_NAMESPACES").as_deref(), Some(""));
}

#[test]
fn watch_namespaces_grant_roles_only_in_the_listed_namespaces() {
    for secrets in [false, true] {
        let secret_set = format!("secretCredentials={secrets}");
        let docs = manifests(&["watchNamespaces={team-a,team-b}", &secret_set]);
        assert!(all_of(&docs, "ClusterRole").is_empty());
        assert!(all_of(&docs, "ClusterRoleBinding").is_empty());
        for namespace in ["team-a", "team-b"] {
            let role = find(&docs, "Role", FULLNAME, Some(namespace)).expect("Role");
            assert_eq!(rules_of(role), watch_rules(secrets), "{namespace}");
            let binding =
                find(&docs, "RoleBinding", FULLNAME, Some(namespace)).expect("RoleBinding");
            assert_bound_to_operator(binding, "Role", FULLNAME);
        }
        assert_eq!(
            all_of(&docs, "Role").len(),
            3,
            "two watched namespaces + the lease"
        );
        assert_eq!(
            env_value(&docs, "FNF_NAMESPACES").as_deref(),
            Some("team-a,team-b")
        );
        assert_eq!(
            env_value(&docs, "FNF_SECRET_CREDENTIALS"),
            Some(secrets.to_string())
        );
    }
}

#[test]
fn secret_credentials_add_only_secret_reads_cluster_wide() {
    let docs = manifests(&["secretCredentials=true"]);
    let cluster_role = find(&docs, "ClusterRole", FULLNAME, None).expect("ClusterRole");
    assert_eq!(rules_of(cluster_role), watch_rules(true));
    assert_eq!(
        env_value(&docs, "FNF_SECRET_CREDENTIALS").as_deref(),
        Some("true")
    );
}

#[test]
fn input_from_adds_only_reads_and_metadata_watches_of_the_kinds_it_names() {
    let verbs_of = |docs: &[Value], resource: &str| {
        let role = find(docs, "ClusterRole", FULLNAME, None).expect("ClusterRole");
        rules_of(role)
            .into_iter()
            .filter(|r| r.resources == [resource.to_string()])
            .map(|r| r.verbs)
            .collect::<Vec<_>>()
    };
    let read_and_watch = || vec![vec!["get".to_string(), "list".into(), "watch".into()]];
    let plain = manifests(&["outputExport.configMaps=false"]);
    assert!(verbs_of(&plain, "configmaps").is_empty());
    assert!(verbs_of(&plain, "secrets").is_empty());
    assert_eq!(
        env_value(&plain, "FNF_INPUT_FROM_CONFIGMAPS").as_deref(),
        Some("false")
    );
    assert_eq!(
        env_value(&plain, "FNF_INPUT_FROM_SECRETS").as_deref(),
        Some("false")
    );
    let config_maps = manifests(&["outputExport.configMaps=false", "inputFrom.configMaps=true"]);
    assert_eq!(verbs_of(&config_maps, "configmaps"), read_and_watch());
    assert!(verbs_of(&config_maps, "secrets").is_empty());
    // The operator watches exactly what the chart lets it watch.
    assert_eq!(
        env_value(&config_maps, "FNF_INPUT_FROM_CONFIGMAPS").as_deref(),
        Some("true")
    );
    assert_eq!(
        env_value(&config_maps, "FNF_INPUT_FROM_SECRETS").as_deref(),
        Some("false")
    );
    let secrets = manifests(&["outputExport.configMaps=false", "inputFrom.secrets=true"]);
    assert_eq!(verbs_of(&secrets, "secrets"), read_and_watch());
    assert!(verbs_of(&secrets, "configmaps").is_empty());
    assert_eq!(
        env_value(&secrets, "FNF_INPUT_FROM_SECRETS").as_deref(),
        Some("true")
    );
}

#[test]
fn leader_election_off_renders_no_lease_access_and_recreates_the_pod() {
    let docs = manifests(&["leaderElection.enabled=false"]);
    assert!(all_of(&docs, "Role").is_empty());
    assert!(all_of(&docs, "RoleBinding").is_empty());
    let text = render(&["leaderElection.enabled=false"]).expect("render");
    assert!(!text.contains("coordination.k8s.io"));
    assert_eq!(
        env_value(&docs, "FNF_LEADER_ELECTION").as_deref(),
        Some("false")
    );
    assert_eq!(env_value(&docs, "FNF_LEASE_NAME"), None);
    let deployment =
        find(&docs, "Deployment", FULLNAME, Some(RELEASE_NAMESPACE)).expect("Deployment");
    assert_eq!(deployment["spec"]["strategy"]["type"], "Recreate");
}

#[test]
fn every_rbac_rule_has_a_comment_saying_why() {
    let text = render(&["secretCredentials=true", "outputExport.secrets=true"]).expect("render");
    let lines: Vec<&str> = text.lines().collect();
    let rule_starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim_start().starts_with("- apiGroups:"))
        .collect();
    assert_eq!(rule_starts.len(), 12, "10 watch rules + 2 lease rules");
    for i in rule_starts {
        assert!(
            lines[i - 1].trim_start().starts_with('#'),
            "rule without a why: {}",
            lines[i]
        );
    }
}

#[test]
fn secret_mode_maps_the_existing_secret_keys_to_alibaba_env_vars() {
    let docs = manifests(&["credentials.existingSecret=my-keys"]);
    let vars = container(&docs)["env"].as_array().expect("env").clone();
    for (var, key, optional) in [
        ("ALIBABA_CLOUD_ACCESS_KEY_ID", "accessKeyId", false),
        ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "accessKeySecret", false),
        ("ALIBABA_CLOUD_SECURITY_TOKEN", "securityToken", true),
    ] {
        let entry = vars.iter().find(|v| v["name"] == var).expect(var);
        let secret_ref = &entry["valueFrom"]["secretKeyRef"];
        assert_eq!(secret_ref["name"], "my-keys", "{var}");
        assert_eq!(secret_ref["key"], key, "{var}");
        assert_eq!(
            secret_ref["optional"].as_bool().unwrap_or(false),
            optional,
            "{var}"
        );
    }
}

#[test]
fn rrsa_mode_annotates_the_service_account_and_passes_no_static_keys() {
    let docs = manifests(&[
        "credentials.mode=rrsa",
        "credentials.rrsa.roleName=fnf-runner",
    ]);
    let account = find(&docs, "ServiceAccount", FULLNAME, Some(RELEASE_NAMESPACE)).expect("SA");
    assert_eq!(
        account["metadata"]["annotations"]["pod-identity.alibabacloud.com/role-name"],
        "fnf-runner"
    );
    let names: Vec<String> = env(&docs).into_iter().map(|(n, _)| n).collect();
    assert!(
        !names.iter().any(|n| n.starts_with("ALIBABA_CLOUD_")),
        "{names:?}"
    );
    let deployment =
        find(&docs, "Deployment", FULLNAME, Some(RELEASE_NAMESPACE)).expect("Deployment");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["serviceAccountName"],
        FULLNAME
    );
}

#[test]
fn operator_settings_reach_the_pod_as_its_env_vars() {
    let docs = manifests(&[
        "region=cn-shanghai",
        "endpoint=https://cn-shanghai-vpc.fnf.aliyuncs.com",
        "signature=rpc",
        "waitTimeSeconds=20",
        "concurrency=8",
        "flowResyncSeconds=120",
        "logFormat=text",
        "metrics.port=9090",
        "quotas.StartExecution=10/20",
        "quotas.DescribeExecution=2.5/50",
    ]);
    for (name, want) in [
        (
            "POD_NAMESPACE",
            "<from fieldRef:\n  fieldPath: metadata.namespace>",
        ),
        ("FNF_REGION", "cn-shanghai"),
        ("FNF_ENDPOINT", "https://cn-shanghai-vpc.fnf.aliyuncs.com"),
        ("FNF_SIGNATURE", "rpc"),
        ("FNF_WAIT_TIME_SECONDS", "20"),
        ("FNF_CONCURRENCY", "8"),
        ("FNF_FLOW_RESYNC_SECONDS", "120"),
        ("FNF_LOG_FORMAT", "text"),
        ("FNF_METRICS_ADDR", "0.0.0.0:9090"),
        (
            "FNF_QUOTAS",
            "DescribeExecution=2.5/50,StartExecution=10/20",
        ),
        ("FNF_LEADER_ELECTION", "true"),
    ] {
        assert_eq!(env_value(&docs, name).as_deref(), Some(want), "{name}");
    }
    let defaults = manifests(&[]);
    for unset in [
        "FNF_ENDPOINT",
        "FNF_SIGNATURE",
        "FNF_CONCURRENCY",
        "FNF_FLOW_RESYNC_SECONDS",
        "FNF_QUOTAS",
    ] {
        assert_eq!(
            env_value(&defaults, unset),
            None,
            "{unset} is the operator's default unless set"
        );
    }
    let port = &container(&docs)["ports"][0];
    assert_eq!(
        (port["name"].as_str(), port["containerPort"].as_u64()),
        (Some("metrics"), Some(9090))
    );
}

#[test]
fn foreign_execution_names_are_allowed_only_for_the_listed_namespaces() {
    let name = "FNF_ALLOW_FOREIGN_EXECUTION_NAMES";
    assert_eq!(
        env_value(&manifests(&[]), name),
        None,
        "by default no namespace may use another's execution names"
    );
    let listed = manifests(&["allowForeignExecutionNames={team-a,9lives}"]);
    assert_eq!(env_value(&listed, name).as_deref(), Some("team-a,9lives"));
    let all = manifests(&["allowForeignExecutionNames={*}"]);
    assert_eq!(env_value(&all, name).as_deref(), Some("*"));
    for bad in [
        "allowForeignExecutionNames={Team_A}",
        "allowForeignExecutionNames={a*}",
    ] {
        let err = render(&[bad]).expect_err(bad);
        assert!(
            err.contains("values don't meet the specifications of the schema"),
            "{bad}: {err}"
        );
    }
}

#[test]
fn probes_use_healthz_and_readyz_on_the_metrics_port() {
    let docs = manifests(&[]);
    let c = container(&docs);
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["livenessProbe"]["httpGet"]["port"], "metrics");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["readinessProbe"]["httpGet"]["port"], "metrics");
    assert_eq!(c["args"][0], "run");
}

#[test]
fn values_outside_the_schema_are_refused_at_install() {
    for bad in [
        &["waitTimeSeconds=61"][..],
        &["waitTimeSeconds=-1"],
        &["signature=md5"],
        &["logFormat=xml"],
        &["replicas=0"],
        &["credentials.mode=vault"],
        &["credentials.existingSecret="],
        &["credentials.mode=rrsa"],
        &["credentials.mode=none"],
        &["leaderElection.enabled=false", "replicas=2"],
        &["watchNamespaces={Team_A}"],
        &["quotas.DescribeExecution=fast"],
        &["concurrency=0"],
        &["region=Hangzhou"],
        &["endpoint=ftp://fnf.example"],
        &["extraEnv[0].name=FNF_REGION", "extraEnv[0].value=x"],
        &["unknownSetting=1"],
    ] {
        let err = render(bad).expect_err(&format!("{bad:?} was accepted"));
        assert!(
            err.contains("values don't meet the specifications of the schema"),
            "{bad:?}: {err}"
        );
    }
}

#[test]
fn the_chart_refuses_kubernetes_older_than_1_30() {
    let out = helm()
        .args(["template", RELEASE, CHART, "--kube-version", "1.29.9"])
        .output()
        .expect("run helm");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("kubeVersion"));
}

#[test]
fn optional_objects_render_only_when_enabled() {
    let defaults = manifests(&[]);
    assert!(all_of(&defaults, "ServiceMonitor").is_empty());
    assert!(all_of(&defaults, "PodDisruptionBudget").is_empty());
    assert_eq!(all_of(&defaults, "Service").len(), 1);
    let docs = manifests(&[
        "metrics.serviceMonitor.enabled=true",
        "podDisruptionBudget.enabled=true",
        "replicas=2",
    ]);
    let monitor =
        find(&docs, "ServiceMonitor", FULLNAME, Some(RELEASE_NAMESPACE)).expect("ServiceMonitor");
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], "metrics");
    let pdb = find(
        &docs,
        "PodDisruptionBudget",
        FULLNAME,
        Some(RELEASE_NAMESPACE),
    )
    .expect("PDB");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    let no_service = manifests(&["metrics.service.enabled=false"]);
    assert!(all_of(&no_service, "Service").is_empty());
}

/// The fields the restricted Pod Security Standard checks, for the pod and its containers.
#[test]
fn rendered_pod_meets_the_restricted_pod_security_standard() {
    for sets in [
        &[][..],
        &[
            "credentials.mode=rrsa",
            "credentials.rrsa.roleName=r",
            "leaderElection.enabled=false",
        ],
    ] {
        let docs = manifests(sets);
        let deployment =
            find(&docs, "Deployment", FULLNAME, Some(RELEASE_NAMESPACE)).expect("Deployment");
        let pod = &deployment["spec"]["template"]["spec"];
        for host in ["hostNetwork", "hostPID", "hostIPC"] {
            assert!(pod[host].is_null() || pod[host] == false, "{host}");
        }
        assert!(
            pod["volumes"]
                .as_array()
                .is_none_or(|v| v.iter().all(|v| v["hostPath"].is_null()))
        );
        assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
        assert_ne!(pod["securityContext"]["runAsUser"], 0);
        assert_eq!(
            pod["securityContext"]["seccompProfile"]["type"],
            "RuntimeDefault"
        );
        assert!(pod["securityContext"]["sysctls"].is_null());
        let containers = pod["containers"].as_array().expect("containers");
        assert!(pod["initContainers"].is_null() && pod["ephemeralContainers"].is_null());
        for c in containers {
            let sc = &c["securityContext"];
            assert_eq!(sc["allowPrivilegeEscalation"], false);
            assert_eq!(sc["runAsNonRoot"], true);
            assert_eq!(sc["readOnlyRootFilesystem"], true);
            assert_ne!(sc["privileged"], true);
            assert_eq!(sc["capabilities"]["drop"], Value::Array(vec!["ALL".into()]));
            assert!(sc["capabilities"]["add"].is_null());
            assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault");
            assert!(
                c["ports"]
                    .as_array()
                    .expect("ports")
                    .iter()
                    .all(|p| p["hostPort"].is_null())
            );
        }
    }
}

// The platform knobs and the generated README, in files of their own.
mod knobs;
mod readme;
