//! Test 4: RRSA as ACK does it, inside the pod. The chart runs with
//! `credentials.mode=rrsa`; what ACK's pod-identity webhook adds at admission (the
//! environment and a projected ServiceAccount token for audience `sts.aliyuncs.com` at
//! ACK's path) is added here by patching the Deployment, since no webhook runs here. The
//! pod exchanges the token the kubelet projected with the emulator's STS stand-in and
//! completes a FlowExecution with the credentials it got.

use std::time::{Duration, Instant};

use fnf_emulator::CODE_OK;
use fnf_testkit::e2e::completed;

use crate::support::{NodeEnv, enabled, kubectl, phase};

/// Where ACK's webhook mounts the token, and the variables it sets.
const ACK_TOKEN_DIR: &str = "/var/run/secrets/ack.alibabacloud.com/rrsa-tokens";
const ROLE_ARN: &str = "acs:ram::1234567890:role/fnf-operator";
const OIDC_PROVIDER_ARN: &str = "acs:ram::1234567890:oidc-provider/ack-rrsa-c0ffee";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pod_exchanges_its_projected_token_for_sts_credentials_and_runs_an_execution() {
    if !enabled("rrsa") {
        return;
    }
    let env = NodeEnv::new("node-rrsa").await;
    let sts = format!("extraEnv[0].value={}", env.tls.emulator.endpoint());
    env.helm_install(&[
        "credentials.mode=rrsa",
        "credentials.rrsa.roleName=fnf-operator",
        "extraEnv[0].name=ALIBABA_CLOUD_STS_ENDPOINT",
        &sts,
    ])
    .await;

    // What the webhook injects into the pod template.
    let patch = serde_json::json!([
        {"op": "add", "path": "/spec/template/spec/volumes/-", "value": {
            "name": "rrsa-oidc-token",
            "projected": {"defaultMode": 420, "sources": [{"serviceAccountToken": {
                "audience": "sts.aliyuncs.com", "expirationSeconds": 3600, "path": "token"}}]}}},
        {"op": "add", "path": "/spec/template/spec/containers/0/volumeMounts/-", "value": {
            "name": "rrsa-oidc-token", "mountPath": ACK_TOKEN_DIR, "readOnly": true}},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {
            "name": "ALIBABA_CLOUD_ROLE_ARN", "value": ROLE_ARN}},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {
            "name": "ALIBABA_CLOUD_OIDC_PROVIDER_ARN", "value": OIDC_PROVIDER_ARN}},
        {"op": "add", "path": "/spec/template/spec/containers/0/env/-", "value": {
            "name": "ALIBABA_CLOUD_OIDC_TOKEN_FILE", "value": format!("{ACK_TOKEN_DIR}/token")}},
    ]);
    let deployment = format!("deployment/{}", env.fullname());
    kubectl(
        env.cluster,
        &[
            "patch",
            &deployment,
            "-n",
            &env.namespace,
            "--type=json",
            "-p",
            &patch.to_string(),
        ],
    )
    .await;
    kubectl(
        env.cluster,
        &[
            "rollout",
            "status",
            &deployment,
            "-n",
            &env.namespace,
            "--timeout=300s",
        ],
    )
    .await;

    // The token the kubelet projected into the pod is the one STS must accept.
    let deadline = Instant::now() + Duration::from_secs(120);
    let token = loop {
        let pods = env.operator_pods().await;
        let running = pods.iter().find(|pod| {
            pod.metadata.deletion_timestamp.is_none()
                && pod.spec.as_ref().is_some_and(|s| {
                    s.volumes
                        .iter()
                        .flatten()
                        .any(|v| v.name == "rrsa-oidc-token")
                })
        });
        let token = running
            .and_then(|pod| {
                pod.status
                    .as_ref()?
                    .container_statuses
                    .as_ref()?
                    .first()?
                    .container_id
                    .clone()
            })
            .and_then(|id| env.cluster.node()?.container_pid(&id))
            .and_then(|pid| {
                std::fs::read_to_string(format!("/proc/{pid}/root{ACK_TOKEN_DIR}/token")).ok()
            });
        if let Some(token) = token.filter(|t| !t.trim().is_empty()) {
            break token.trim().to_owned();
        }
        assert!(Instant::now() < deadline, "no projected token in the pod");
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    env.tls.emulator.set_oidc_tokens(vec![token]);

    env.create("via-rrsa", "short").await;
    let fe = env
        .wait_for("via-rrsa", Duration::from_secs(240), completed)
        .await;
    assert_eq!(phase(&fe), Some("Succeeded"), "{:?}", fe.status);
    let counters = env.tls.emulator.counters();
    assert!(
        counters.calls_with_code("AssumeRoleWithOIDC", CODE_OK) >= 1,
        "the pod never exchanged its token"
    );
    assert_eq!(counters.total_created(), 1);
}
