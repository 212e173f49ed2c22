//! RRSA credentials against a local STS stand-in: the token file is read and
//! exchanged with an unsigned AssumeRoleWithOIDC, the answer is cached, it is
//! refreshed when 180 s or less remain, and each refresh sends the token
//! file's current contents.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use fnf_client::client::default_http_client;
use fnf_client::credentials::*;
use fnf_client::request::format_timestamp;
use fnf_client::{Client, CredentialProvider, Endpoint, FnfError, RrsaConfig};
use fnf_testkit::cloud_stub::*;
use serde_json::json;

const ROLE_ARN: &str = "acs:ram::1234567890:role/fnf-operator";
const PROVIDER_ARN: &str = "acs:ram::1234567890:oidc-provider/ack-rrsa-c1";

/// An STS answer whose keys are numbered by the exchange and which expires
/// `valid_secs` from now.
fn sts_reply(valid_secs: i64, index: usize) -> Reply {
    let expiration = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(valid_secs);
    Reply::json(
        200,
        json!({"RequestId": "sts-req", "Credentials": {
            "AccessKeyId": format!("STS.key{index}"),
            "AccessKeySecret": format!("sts-secret-{index}"),
            "SecurityToken": format!("sts-token-{index}"),
            "Expiration": format_timestamp(expiration),
        }}),
    )
}

fn write_token(path: &Path, token: &str) {
    std::fs::write(path, format!("{token}\n")).unwrap();
}

fn provider(sts: &TestServer, token_file: &Path) -> CredentialProvider {
    fnf_client::install_crypto_provider();
    CredentialProvider::rrsa(RrsaConfig {
        role_arn: ROLE_ARN.into(),
        oidc_provider_arn: PROVIDER_ARN.into(),
        oidc_token_file: token_file.to_path_buf(),
        role_session_name: "fnf-operator-test".into(),
        sts_endpoint: Endpoint::from_url(&sts.url()).unwrap(),
        duration_secs: 3600,
        http: default_http_client().unwrap(),
    })
}

#[tokio::test]
async fn the_token_is_exchanged_unsigned_and_the_answer_cached() {
    let sts = TestServer::start(|_, index| sts_reply(3600, index)).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    write_token(&token_file, "oidc-token-v1");
    let provider = provider(&sts, &token_file);
    assert_eq!(provider.account_id(), ROLE_ARN);

    let first = provider.credentials().await.unwrap();
    let second = provider.clone().credentials().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(first.access_key_id, "STS.key0");
    assert_eq!(first.access_key_secret, "sts-secret-0");
    assert_eq!(first.security_token.as_deref(), Some("sts-token-0"));
    assert_eq!(sts.count(), 1, "the second call is served from the cache");

    let exchange = &sts.requests()[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.query_param("Action"), Some("AssumeRoleWithOIDC"));
    assert_eq!(exchange.query_param("Version"), Some("2015-04-01"));
    assert_eq!(exchange.query_param("Format"), Some("JSON"));
    assert!(exchange.query_param("Timestamp").is_some());
    assert!(
        exchange.query_param("Signature").is_none() && exchange.header("authorization").is_none()
    );
    let form: HashMap<String, String> = exchange.form().into_iter().collect();
    assert_eq!(form["RoleArn"], ROLE_ARN);
    assert_eq!(form["OIDCProviderArn"], PROVIDER_ARN);
    assert_eq!(form["OIDCToken"], "oidc-token-v1");
    assert_eq!(form["RoleSessionName"], "fnf-operator-test");
    assert_eq!(form["DurationSeconds"], "3600");
}

#[tokio::test]
async fn credentials_near_expiry_are_refreshed_with_the_rotated_token() {
    // 185 s of validity: 5 s above the 180 s refresh threshold.
    let sts = TestServer::start(|_, index| sts_reply(185, index)).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    write_token(&token_file, "oidc-token-v1");
    let provider = provider(&sts, &token_file);

    let first = provider.credentials().await.unwrap();
    assert_eq!(provider.credentials().await.unwrap(), first);
    assert_eq!(sts.count(), 1, "still more than 180 s left: cached");

    write_token(&token_file, "oidc-token-v2");
    tokio::time::sleep(Duration::from_secs(6)).await;
    let refreshed = provider.credentials().await.unwrap();
    assert_eq!(sts.count(), 2, "180 s or less left: refreshed");
    assert_eq!(refreshed.access_key_id, "STS.key1");
    let form: HashMap<String, String> = sts.requests()[1].form().into_iter().collect();
    assert_eq!(form["OIDCToken"], "oidc-token-v2");
}

#[tokio::test]
async fn concurrent_callers_share_one_exchange() {
    let sts =
        TestServer::start(|_, index| sts_reply(3600, index).after(Duration::from_millis(200)))
            .await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    write_token(&token_file, "oidc-token");
    let provider = provider(&sts, &token_file);
    let calls = (0..20).map(|_| {
        let provider = provider.clone();
        async move { provider.credentials().await }
    });
    for result in futures::future::join_all(calls).await {
        assert_eq!(result.unwrap().access_key_id, "STS.key0");
    }
    assert_eq!(sts.count(), 1);
}

#[tokio::test]
async fn an_sts_refusal_is_a_credentials_error_without_the_token() {
    let sts = TestServer::start(|_, _| {
        Reply::json(
            400,
            json!({"RequestId": "r", "Code": "AuthenticationFail.OIDCToken.Invalid", "Message": "the token is invalid"}),
        )
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    write_token(&token_file, "secret-oidc-token");
    let err = provider(&sts, &token_file).credentials().await.unwrap_err();
    assert_eq!(err.reason(), "Credentials");
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("AuthenticationFail.OIDCToken.Invalid"),
        "{shown}"
    );
    assert!(!shown.contains("secret-oidc-token"), "{shown}");
}

#[tokio::test]
async fn a_missing_token_file_is_named_in_the_error() {
    let sts = TestServer::start(|_, index| sts_reply(3600, index)).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("absent-token");
    let err = provider(&sts, &token_file).credentials().await.unwrap_err();
    let shown = err.to_string();
    assert!(
        shown.contains("absent-token") && shown.contains(ENV_OIDC_TOKEN_FILE),
        "{shown}"
    );
    assert_eq!(sts.count(), 0);
}

#[tokio::test]
async fn the_environment_chain_reaches_sts_and_the_client_signs_with_its_answer() {
    let sts = TestServer::start(|_, index| sts_reply(3600, index)).await;
    let fnf = TestServer::start(|_, _| Reply::json(200, execution_json("Running"))).await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    write_token(&token_file, "oidc-token");
    let vars: HashMap<&str, String> = HashMap::from([
        (ENV_ROLE_ARN, ROLE_ARN.to_string()),
        (ENV_OIDC_PROVIDER_ARN, PROVIDER_ARN.to_string()),
        (ENV_OIDC_TOKEN_FILE, token_file.display().to_string()),
        (ENV_STS_ENDPOINT, sts.url()),
    ]);
    let provider = CredentialProvider::from_lookup(|name| vars.get(name).cloned()).unwrap();
    let client = Client::new(config_for(&fnf), provider);
    client
        .describe_execution("my_flow", "my_exec", 0)
        .await
        .unwrap();

    let request = &fnf.requests()[0];
    assert_eq!(request.query_param("AccessKeyId"), Some("STS.key0"));
    assert_eq!(request.query_param("SecurityToken"), Some("sts-token-0"));
    verify_signature(request, "sts-secret-0").unwrap();
    let form: HashMap<String, String> = sts.requests()[0].form().into_iter().collect();
    assert!(form["RoleSessionName"].starts_with("fnf-operator-"));
}

#[test]
fn an_sts_endpoint_in_clear_text_off_loopback_is_refused() {
    let vars: HashMap<&str, &str> = HashMap::from([
        (ENV_ROLE_ARN, ROLE_ARN),
        (ENV_OIDC_PROVIDER_ARN, PROVIDER_ARN),
        (ENV_OIDC_TOKEN_FILE, "/var/run/secrets/token"),
        (ENV_STS_ENDPOINT, "http://sts.example.com"),
    ]);
    let err =
        CredentialProvider::from_lookup(|name| vars.get(name).map(|v| v.to_string())).unwrap_err();
    assert!(
        matches!(&err, FnfError::InvalidConfig(m) if m.contains(ENV_STS_ENDPOINT)),
        "{err}"
    );
}

#[tokio::test]
async fn credentials_refused_as_expired_are_exchanged_again_and_the_call_re_signed_once() {
    // Valid for an hour by STS's word, but the service says the first key expired
    // (revoked, or the clocks disagree): waiting for the refresh margin would fail
    // every call for most of an hour.
    let sts = TestServer::start(|_, index| sts_reply(3600, index)).await;
    let fnf = TestServer::start(|request, _| {
        if request.query_param("AccessKeyId") == Some("STS.key0") {
            Reply::json(
                400,
                json!({"RequestId": "r", "Code": "InvalidSecurityToken.Expired", "Message": "The security token has expired."}),
            )
        } else {
            Reply::json(200, execution_json("Running"))
        }
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    write_token(&token_file, "oidc-token");
    let client = Client::new(config_for(&fnf), provider(&sts, &token_file));
    client
        .describe_execution("my_flow", "my_exec", 0)
        .await
        .unwrap();
    assert_eq!(sts.count(), 2, "the refused key was exchanged again");
    let keys: Vec<_> = fnf
        .requests()
        .iter()
        .map(|r| r.query_param("AccessKeyId").unwrap_or_default().to_string())
        .collect();
    assert_eq!(keys, ["STS.key0", "STS.key1"]);

    // A service that keeps refusing: one renewal per call, then the error.
    let refusing = TestServer::start(|_, _| {
        Reply::json(
            400,
            json!({"RequestId": "r", "Code": "InvalidSecurityToken.Expired", "Message": "The security token has expired."}),
        )
    })
    .await;
    let client = Client::new(config_for(&refusing), provider(&sts, &token_file));
    let err = client
        .describe_execution("my_flow", "my_exec", 0)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("InvalidSecurityToken.Expired"));
    assert_eq!(refusing.count(), 2, "signed once, renewed, re-signed once");
}
