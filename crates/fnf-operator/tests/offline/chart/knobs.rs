//! The knobs platform teams look for: each renders where it should, the defaults
//! stay as before, and the schema refuses a wrong type for every one.

use super::*;

fn deployment(docs: &[Value]) -> &Value {
    find(docs, "Deployment", FULLNAME, Some(RELEASE_NAMESPACE)).expect("Deployment")
}

#[test]
fn extra_args_env_and_volumes_reach_the_operator_container() {
    let docs = manifests(&[
        "extraArgs={--poll-interval,10s}",
        "extraEnv[0].name=RUST_LOG",
        "extraEnv[0].value=debug",
        "extraVolumes[0].name=ca",
        "extraVolumes[0].configMap.name=corporate-ca",
        "extraVolumeMounts[0].name=ca",
        "extraVolumeMounts[0].mountPath=/etc/ssl/corporate",
    ]);
    let c = container(&docs);
    assert_eq!(
        c["args"],
        serde_json::json!(["run", "--poll-interval", "10s"])
    );
    assert_eq!(env_value(&docs, "RUST_LOG").as_deref(), Some("debug"));
    assert_eq!(c["volumeMounts"][0]["mountPath"], "/etc/ssl/corporate");
    let pod = &deployment(&docs)["spec"]["template"]["spec"];
    assert_eq!(pod["volumes"][0]["configMap"]["name"], "corporate-ca");

    let defaults = manifests(&[]);
    assert_eq!(container(&defaults)["args"], serde_json::json!(["run"]));
    assert!(container(&defaults)["volumeMounts"].is_null());
    assert!(deployment(&defaults)["spec"]["template"]["spec"]["volumes"].is_null());
}

#[test]
fn security_context_overrides_merge_over_the_restricted_defaults() {
    let docs = manifests(&[
        "podSecurityContext.fsGroup=65532",
        "podSecurityContext.runAsUser=1001",
        "containerSecurityContext.readOnlyRootFilesystem=false",
    ]);
    let pod_sc = &deployment(&docs)["spec"]["template"]["spec"]["securityContext"];
    assert_eq!(pod_sc["fsGroup"], 65532);
    assert_eq!(pod_sc["runAsUser"], 1001);
    assert_eq!(
        pod_sc["runAsNonRoot"], true,
        "unset keys keep their default"
    );
    assert_eq!(pod_sc["seccompProfile"]["type"], "RuntimeDefault");
    let sc = &container(&docs)["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], false);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
}

#[test]
fn probe_overrides_change_timings_but_not_the_handlers() {
    let docs = manifests(&[
        "livenessProbe.periodSeconds=60",
        "livenessProbe.initialDelaySeconds=15",
        "readinessProbe.failureThreshold=6",
    ]);
    let c = container(&docs);
    assert_eq!(c["livenessProbe"]["periodSeconds"], 60);
    assert_eq!(c["livenessProbe"]["initialDelaySeconds"], 15);
    assert_eq!(c["livenessProbe"]["timeoutSeconds"], 5);
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["failureThreshold"], 6);
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
}

#[test]
fn network_policy_allows_dns_apiserver_cloud_egress_and_metrics_ingress_only() {
    assert!(all_of(&manifests(&[]), "NetworkPolicy").is_empty());
    let docs = manifests(&[
        "networkPolicy.enabled=true",
        "networkPolicy.apiServer.cidrs={10.0.0.10/32}",
        "networkPolicy.apiServer.ports={6443}",
        "networkPolicy.cloud.cidrs={192.168.0.0/16}",
        "networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.name=monitoring",
    ]);
    let policy =
        find(&docs, "NetworkPolicy", FULLNAME, Some(RELEASE_NAMESPACE)).expect("NetworkPolicy");
    let spec = &policy["spec"];
    assert_eq!(
        spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"],
        "fnf-operator"
    );
    assert_eq!(
        spec["policyTypes"],
        serde_json::json!(["Ingress", "Egress"])
    );
    let ingress = spec["ingress"].as_array().expect("ingress");
    assert_eq!(ingress.len(), 1);
    assert_eq!(ingress[0]["ports"][0]["port"], "metrics");
    assert_eq!(
        ingress[0]["from"][0]["namespaceSelector"]["matchLabels"]["name"],
        "monitoring"
    );
    let egress = spec["egress"].as_array().expect("egress");
    assert_eq!(egress.len(), 3, "DNS, apiserver, cloud");
    assert_eq!(egress[0]["ports"][0]["port"], 53);
    assert_eq!(egress[1]["to"][0]["ipBlock"]["cidr"], "10.0.0.10/32");
    assert_eq!(
        egress[1]["ports"],
        serde_json::json!([{"port": 6443, "protocol": "TCP"}])
    );
    assert_eq!(egress[2]["to"][0]["ipBlock"]["cidr"], "192.168.0.0/16");
    assert_eq!(egress[2]["ports"][0]["port"], 443);
}

#[test]
fn service_monitor_carries_relabelings() {
    let docs = manifests(&[
        "metrics.serviceMonitor.enabled=true",
        "metrics.serviceMonitor.relabelings[0].targetLabel=cluster",
        "metrics.serviceMonitor.relabelings[0].replacement=prod",
        "metrics.serviceMonitor.metricRelabelings[0].action=drop",
        "metrics.serviceMonitor.metricRelabelings[0].regex=fnf_operator_events_total",
        "metrics.serviceMonitor.metricRelabelings[0].sourceLabels={__name__}",
    ]);
    let monitor =
        find(&docs, "ServiceMonitor", FULLNAME, Some(RELEASE_NAMESPACE)).expect("ServiceMonitor");
    let endpoint = &monitor["spec"]["endpoints"][0];
    assert_eq!(endpoint["relabelings"][0]["targetLabel"], "cluster");
    assert_eq!(endpoint["metricRelabelings"][0]["action"], "drop");
    let plain = manifests(&["metrics.serviceMonitor.enabled=true"]);
    let monitor =
        find(&plain, "ServiceMonitor", FULLNAME, Some(RELEASE_NAMESPACE)).expect("ServiceMonitor");
    assert!(monitor["spec"]["endpoints"][0]["relabelings"].is_null());
}

#[test]
fn prometheus_rule_embeds_every_alert_of_the_rule_file() {
    assert!(all_of(&manifests(&[]), "PrometheusRule").is_empty());
    let docs = manifests(&[
        "prometheusRule.enabled=true",
        "prometheusRule.labels.release=kps",
    ]);
    let rule =
        find(&docs, "PrometheusRule", FULLNAME, Some(RELEASE_NAMESPACE)).expect("PrometheusRule");
    assert_eq!(rule["metadata"]["labels"]["release"], "kps");
    let file = std::fs::read_to_string(repo_path("charts/fnf-operator/files/alerts.yaml"))
        .expect("alerts.yaml");
    let file: Value = serde_saphyr::from_str(&file).expect("alerts.yaml is YAML");
    assert_eq!(rule["spec"]["groups"], file["groups"]);
    // Prometheus's own templates pass through Helm untouched.
    let text = serde_json::to_string(&rule["spec"]).expect("json");
    assert!(text.contains("{{ $labels.action }}"), "{text}");
}

#[test]
fn templated_crds_are_kept_on_uninstall_and_off_by_default() {
    assert!(all_of(&manifests(&[]), "CustomResourceDefinition").is_empty());
    let docs = manifests(&["crds.templated=true"]);
    let crds = all_of(&docs, "CustomResourceDefinition");
    let committed = std::fs::read_dir(repo_path("charts/fnf-operator/crds"))
        .expect("crds/")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .map(|text| text.matches("kind: CustomResourceDefinition").count())
        .sum::<usize>();
    assert!(!crds.is_empty());
    assert_eq!(crds.len(), committed, "every CRD of crds/ is templated");
    for crd in crds {
        assert_eq!(
            crd["metadata"]["annotations"]["helm.sh/resource-policy"], "keep",
            "{}",
            crd["metadata"]["name"]
        );
        assert_eq!(
            crd["metadata"]["annotations"]["argocd.argoproj.io/sync-options"],
            "Delete=false"
        );
    }
}

#[test]
fn the_schema_refuses_a_wrong_type_for_every_new_knob() {
    for bad in [
        &["extraArgs=--verbose"][..],
        &["extraArgs[0]="],
        &["extraEnv=RUST_LOG"],
        &["extraVolumes=ca"],
        &["extraVolumes[0].configMap.name=ca"],
        &["extraVolumeMounts[0].name=ca"],
        &["podSecurityContext=restricted"],
        &["containerSecurityContext=restricted"],
        &["livenessProbe.periodSeconds=often"],
        &["readinessProbe.timeoutSeconds=0"],
        &["livenessProbe.exec=true"],
        &["networkPolicy.enabled=yes"],
        &["networkPolicy.cloud.cidrs={10.0.0.1}"],
        &["networkPolicy.apiServer.ports={70000}"],
        &["networkPolicy.metricsFrom=monitoring"],
        &["metrics.serviceMonitor.relabelings=cluster"],
        &["metrics.serviceMonitor.metricRelabelings=drop"],
        &["prometheusRule.enabled=1"],
        &["prometheusRule.labels.release=1"],
        &["crds.templated=maybe"],
    ] {
        let err = render(bad).expect_err(&format!("{bad:?} was accepted"));
        assert!(
            err.contains("values don't meet the specifications of the schema"),
            "{bad:?}: {err}"
        );
    }
}

#[test]
fn helm_lint_passes_with_every_platform_knob_on() {
    let mut cmd = helm();
    cmd.args(["lint", "--strict", CHART]);
    for set in [
        "networkPolicy.enabled=true",
        "prometheusRule.enabled=true",
        "crds.templated=true",
        "metrics.serviceMonitor.enabled=true",
        "metrics.serviceMonitor.relabelings[0].targetLabel=cluster",
        "extraArgs={--poll-interval,10s}",
        "extraVolumes[0].name=ca",
        "extraVolumes[0].emptyDir.medium=Memory",
        "extraVolumeMounts[0].name=ca",
        "extraVolumeMounts[0].mountPath=/ca",
    ] {
        cmd.args(["--set", set]);
    }
    let out = cmd.output().expect("run helm lint");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}
