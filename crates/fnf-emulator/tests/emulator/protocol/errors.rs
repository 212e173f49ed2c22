//! Every seed error code (and the ones the facts file adds) from a real request.

use fnf_emulator::{Account, EmulatorConfig, ExecutionMode, Fault};

use fnf_testkit::emulator_calls::*;

async fn with_flow(config: EmulatorConfig) -> (fnf_emulator::RunningEmulator, Caller) {
    let emulator = start(config).await;
    emulator
        .create_flow("demo", PASS_WAIT_SUCCEED, ExecutionMode::Standard)
        .expect("flow");
    let caller = Caller::new(&emulator);
    (emulator, caller)
}

#[tokio::test]
async fn parameter_errors_carry_the_documented_code_and_status() {
    let (emulator, caller) = with_flow(config()).await;
    let missing = caller
        .call("DescribeExecution", &[("FlowName", "demo")])
        .await;
    assert_error(&missing, 400, "MissingRequiredParams");
    assert!(
        missing.1["Message"]
            .as_str()
            .unwrap_or_default()
            .contains("ExecutionName")
    );

    let too_long_wait = caller
        .call(
            "DescribeExecution",
            &[
                ("FlowName", "demo"),
                ("ExecutionName", "e1"),
                ("WaitTimeSeconds", "61"),
            ],
        )
        .await;
    assert_error(&too_long_wait, 400, "InvalidArgument");
    let bad_name = caller
        .call(
            "StartExecution",
            &[("FlowName", "demo"), ("ExecutionName", "ns.run-1")],
        )
        .await;
    assert_error(&bad_name, 400, "InvalidArgument");
    let starts_with_digit = caller
        .call(
            "StartExecution",
            &[("FlowName", "demo"), ("ExecutionName", "1run")],
        )
        .await;
    assert_error(&starts_with_digit, 400, "InvalidArgument");

    assert_error(
        &caller.call("Frobnicate", &[]).await,
        400,
        "ActionNotSupported",
    );
    let old = Caller {
        version: "2017-01-01".into(),
        ..caller.clone()
    };
    assert_error(
        &old.call("ListFlows", &[]).await,
        400,
        "APIVersionNotSupported",
    );

    assert_error(
        &caller.call("DescribeFlow", &[("Name", "nothere")]).await,
        404,
        "FlowNotExists",
    );
    assert_error(
        &caller
            .call(
                "DescribeExecution",
                &[("FlowName", "demo"), ("ExecutionName", "nothere")],
            )
            .await,
        404,
        "ExecutionNotExists",
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn body_errors_carry_the_documented_code_and_status() {
    let (emulator, caller) = with_flow(config()).await;
    let huge = "x".repeat(1024 * 1024 + 1);
    let too_large = caller.request(
        "StartExecution",
        &[
            ("FlowName", "demo"),
            ("ExecutionName", "big"),
            ("Input", &huge),
        ],
    );
    assert_error(&send(too_large).await, 400, "EntityTooLarge");

    let json_body = caller
        .http
        .post(format!(
            "{}/?Action=StartExecution&Version=2019-03-15&Format=json",
            caller.endpoint
        ))
        .header("content-type", "application/json")
        .body(r#"{"FlowName":"demo"}"#);
    assert_error(&send(json_body).await, 415, "UnsupportedMediaType");
    emulator.shutdown().await;
}

#[tokio::test]
async fn credential_errors_carry_the_documented_code_and_status() {
    let mut cfg = config();
    cfg.accounts.push(Account {
        access_key_id: "LTAIrestricted".into(),
        access_key_secret: "restricted-secret".into(),
        allowed_flows: Some(vec!["other".into()]),
    });
    let (emulator, caller) = with_flow(cfg).await;
    let unknown = Caller {
        key_id: "LTAInobody".into(),
        ..caller.clone()
    };
    assert_error(
        &unknown.call("ListFlows", &[]).await,
        403,
        "InvalidAccessKeyID",
    );
    let wrong_secret = Caller {
        secret: "wrong".into(),
        ..caller.clone()
    };
    assert_error(
        &wrong_secret.call("ListFlows", &[]).await,
        403,
        "SignatureNotMatch",
    );
    assert_error(
        &wrong_secret.clone().v3().call("ListFlows", &[]).await,
        403,
        "SignatureNotMatch",
    );
    let stale = Caller {
        time_offset_secs: -3600,
        ..caller.clone()
    };
    assert_error(
        &stale.call("ListFlows", &[]).await,
        403,
        "RequestTimeTooSkewed",
    );
    assert_error(
        &stale.clone().v3().call("ListFlows", &[]).await,
        403,
        "RequestTimeTooSkewed",
    );
    let restricted = Caller {
        key_id: "LTAIrestricted".into(),
        secret: "restricted-secret".into(),
        ..caller.clone()
    };
    assert_error(
        &restricted.call("DescribeFlow", &[("Name", "demo")]).await,
        403,
        "AccessDenied",
    );

    let no_date = caller.v3_request("ListFlows", &[], &["x-acs-date"]);
    let answer = send(no_date).await;
    assert_error(&answer, 400, "MissingRequiredHeader");
    assert!(
        answer.1["Message"]
            .as_str()
            .unwrap_or_default()
            .contains("x-acs-date")
    );
    emulator.shutdown().await;
}

#[tokio::test]
async fn a_reused_nonce_is_refused_with_signature_nonce_used() {
    let (emulator, caller) = with_flow(config()).await;
    let request = caller
        .request("DescribeFlow", &[("Name", "demo")])
        .build()
        .expect("request");
    let replay = request.try_clone().expect("clonable");
    let first = caller.http.execute(request).await.expect("answer");
    assert_eq!(first.status(), 200);
    let second = send_built(&caller, replay).await;
    assert_error(&second, 400, "SignatureNonceUsed");
    emulator.shutdown().await;
}

async fn send_built(caller: &Caller, request: reqwest::Request) -> (u16, serde_json::Value) {
    let response = caller.http.execute(request).await.expect("answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn fault_only_codes_are_answered_with_their_status() {
    let (emulator, caller) = with_flow(config()).await;
    for (code, status) in [
        ("PreconditionFailed", 412),
        ("InternalServerError", 500),
        ("ResourceThrottled", 429),
    ] {
        emulator.inject(Fault::FailNext {
            action: "DescribeFlow".into(),
            code: code.into(),
            count: 1,
        });
        assert_error(
            &caller.call("DescribeFlow", &[("Name", "demo")]).await,
            status,
            code,
        );
    }
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_express_flow_cannot_be_started() {
    let (emulator, caller) = with_flow(config()).await;
    emulator
        .create_flow("fast", PASS_WAIT_SUCCEED, ExecutionMode::Express)
        .expect("flow");
    let answer = caller
        .call(
            "StartExecution",
            &[("FlowName", "fast"), ("ExecutionName", "e1")],
        )
        .await;
    assert_error(&answer, 400, "InvalidArgument");
    assert_eq!(emulator.counters().total_created(), 0);
    emulator.shutdown().await;
}

/// An unsigned `AssumeRoleWithOIDC` for role `fnf` of account 123.
fn assume_role(caller: &Caller, token: &str) -> reqwest::RequestBuilder {
    caller
        .http
        .post(format!(
            "{}/?Action=AssumeRoleWithOIDC&Version=2015-04-01&Format=JSON",
            caller.endpoint
        ))
        .form(&[
            ("RoleArn", "acs:ram::123:role/fnf"),
            ("OIDCProviderArn", "acs:ram::123:oidc-provider/ack"),
            ("OIDCToken", token),
            ("RoleSessionName", "operator"),
            ("DurationSeconds", "900"),
        ])
}

/// `caller` signing with the STS answer's `Credentials`.
fn caller_with(caller: &Caller, creds: &serde_json::Value) -> Caller {
    Caller {
        key_id: creds["AccessKeyId"].as_str().expect("id").into(),
        secret: creds["AccessKeySecret"].as_str().expect("secret").into(),
        token: Some(creds["SecurityToken"].as_str().expect("token").into()),
        ..caller.clone()
    }
}

#[tokio::test]
async fn credentials_issued_for_one_role_share_its_quota_however_often_they_rotate() {
    let mut cfg = config();
    cfg.oidc_tokens = vec!["header.payload.signature".into()];
    cfg.quotas = Some(fnf_emulator::QuotaSettings::default());
    let (emulator, caller) = with_flow(cfg).await;
    let mut keys = Vec::new();
    for _ in 0..2 {
        let (status, body) = send(assume_role(&caller, "header.payload.signature")).await;
        assert_eq!(status, 200, "{body}");
        keys.push(caller_with(&caller, &body["Credentials"]));
    }
    assert_ne!(keys[0].key_id, keys[1].key_id);
    let mut ok = 0;
    for i in 0..20 {
        if keys[i % 2]
            .call("DescribeFlow", &[("Name", "demo")])
            .await
            .0
            == 200
        {
            ok += 1;
        }
    }
    // One bucket (burst 10 at 2/s), not one per key (which would pass all 20).
    assert!((10..=13).contains(&ok), "{ok} calls passed");
    emulator.shutdown().await;
}

#[tokio::test]
async fn sts_credentials_from_assume_role_with_oidc_are_accepted_until_they_expire() {
    let mut cfg = config();
    cfg.oidc_tokens = vec!["header.payload.signature".into()];
    let (emulator, caller) = with_flow(cfg).await;
    let refused = send(assume_role(&caller, "forged")).await;
    assert_eq!(refused.0, 400, "{}", refused.1);
    let (status, body) = send(assume_role(&caller, "header.payload.signature\n")).await;
    assert_eq!(status, 200, "{body}");
    let creds = &body["Credentials"];
    let sts = caller_with(&caller, creds);
    assert_eq!(sts.call("DescribeFlow", &[("Name", "demo")]).await.0, 200);
    assert_eq!(
        sts.clone()
            .v3()
            .call("DescribeFlow", &[("Name", "demo")])
            .await
            .0,
        200
    );
    let tokenless = Caller {
        token: None,
        ..sts.clone()
    };
    assert_error(
        &tokenless.call("DescribeFlow", &[("Name", "demo")]).await,
        403,
        "InvalidSecurityToken.Mismatch",
    );
    let expiration: jiff::Timestamp = creds["Expiration"]
        .as_str()
        .expect("expiration")
        .parse()
        .expect("RFC 3339");
    let lifetime = expiration.as_second() - jiff::Timestamp::now().as_second();
    assert!((880..=905).contains(&lifetime), "lifetime {lifetime}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn an_expired_sts_credential_is_refused() {
    let mut cfg = config();
    cfg.sts_credentials.push(fnf_emulator::StsCredential {
        access_key_id: "STS.expired".into(),
        access_key_secret: "sts-secret".into(),
        security_token: "CAIS-expired".into(),
        expiration: Some("2020-01-01T00:00:00Z".into()),
        allowed_flows: None,
    });
    let (emulator, caller) = with_flow(cfg).await;
    let expired = Caller {
        key_id: "STS.expired".into(),
        secret: "sts-secret".into(),
        token: Some("CAIS-expired".into()),
        ..caller
    };
    assert_error(
        &expired.call("ListFlows", &[]).await,
        403,
        "InvalidSecurityToken.Expired",
    );
    emulator.shutdown().await;
}
