//! How the fnf client maps each cloud error (reason, retryability) and how
//! many times it sends a request before giving up, against a recording
//! server on 127.0.0.1.

use fnf_client::SignatureVersion;
use fnf_client::error::{FnfError, known_code_reason};
use fnf_testkit::cloud_stub::*;

#[tokio::test]
async fn each_cloud_error_maps_to_its_reason_and_only_retryable_ones_are_retried() {
    // (HTTP status, code, retryable); the flow name selects the error.
    let table: &[(u16, &str, bool)] = &[
        (400, "InvalidArgument", false),
        (400, "MissingRequiredHeader", false),
        (400, "MissingRequiredParams", false),
        (400, "ActionNotSupported", false),
        (400, "APIVersionNotSupported", false),
        (400, "EntityTooLarge", false),
        (403, "InvalidAccessKeyID", false),
        (403, "RequestTimeTooSkewed", true),
        (403, "SignatureNotMatch", false),
        (403, "AccessDenied", false),
        (404, "ExecutionNotExists", false),
        (404, "FlowNotExists", false),
        (412, "PreconditionFailed", true),
        (415, "UnsupportedMediaType", false),
        (429, "ResourceThrottled", true),
        (500, "InternalServerError", true),
        (400, "ExecutionAlreadyExists", false),
        (400, "ExecutionAlreadyCompleted", false),
        (409, "ConcurrentUpdateError", true),
        (400, "BrandNewCode", false),
        (503, "AnotherNewCode", true),
    ];
    let codes: Vec<(u16, String)> = table.iter().map(|(s, c, _)| (*s, c.to_string())).collect();
    let server = TestServer::start(move |request, _| {
        let flow = request.param("FlowName").unwrap_or_default();
        let (status, code) = codes.iter().find(|(_, c)| *c == flow).cloned().unwrap();
        Reply::error(status, &code)
    })
    .await;
    let client = client_for(&server, SignatureVersion::Rpc);
    for (status, code, retryable) in table {
        let before = server.count();
        let err = client
            .describe_execution(code, "my_exec", 0)
            .await
            .unwrap_err();
        let FnfError::Api {
            code: got,
            http_status,
            request_id,
            ..
        } = &err
        else {
            panic!("{code}: not an API error: {err:?}");
        };
        assert_eq!((got.as_str(), *http_status), (*code, *status));
        assert_eq!(request_id.as_deref(), Some("req-1"));
        let reason = known_code_reason(code).unwrap_or("UnknownCloudError");
        assert_eq!(err.reason(), reason, "{code}");
        assert_eq!(err.is_retryable(), *retryable, "{code}");
        let expected_attempts = match (*code, *retryable) {
            ("RequestTimeTooSkewed", _) => 2, // once, re-signed
            (_, true) => 3,
            (_, false) => 1,
        };
        assert_eq!(server.count() - before, expected_attempts, "{code}");
    }
    let skewed: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.param("FlowName").as_deref() == Some("RequestTimeTooSkewed"))
        .collect();
    assert_ne!(
        skewed[0].query_param("SignatureNonce"),
        skewed[1].query_param("SignatureNonce")
    );
}

#[tokio::test]
async fn a_proxy_error_page_is_retried_and_a_bad_success_body_is_not() {
    let server = TestServer::start(|request, _| match request.param("FlowName").as_deref() {
        Some("gateway") => Reply {
            status: 502,
            headers: vec![],
            body: b"<html>Bad Gateway</html>".to_vec(),
            delay: std::time::Duration::ZERO,
        },
        Some("huge") => Reply {
            status: 200,
            headers: vec![],
            body: vec![b' '; 5 * 1024 * 1024],
            delay: std::time::Duration::ZERO,
        },
        _ => Reply {
            status: 200,
            headers: vec![],
            body: b"{not json".to_vec(),
            delay: std::time::Duration::ZERO,
        },
    })
    .await;
    let client = client_for(&server, SignatureVersion::Rpc);
    let err = client
        .describe_execution("gateway", "e", 0)
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.http_status(), err.reason()),
        (Some(""), Some(502), "UnknownCloudError")
    );
    assert_eq!(server.count(), 3);
    let err = client
        .describe_execution("garbled", "e", 0)
        .await
        .unwrap_err();
    assert_eq!(err.reason(), "Decode");
    let err = client.describe_execution("huge", "e", 0).await.unwrap_err();
    assert!(matches!(err, FnfError::Decode(_)), "{err:?}");
    assert_eq!(server.count(), 5);
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_retryable_transport_error_without_secrets() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let server = TestServer::start(|_, _| Reply::json(200, execution_json("Running"))).await;
    let mut config = config_for(&server);
    config.endpoint = fnf_client::Endpoint::from_url(&format!("http://{addr}")).unwrap();
    let client = fnf_client::Client::new(config, static_credentials(Some("sts-token")));
    let err = client.describe_execution("f", "e", 0).await.unwrap_err();
    assert!(matches!(err, FnfError::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("Signature") && !shown.contains("sts-token") && !shown.contains(SECRET),
        "{shown}"
    );
}

/// The README's table of cloud codes, as (code, reason, retryable, throttling).
fn readme_code_table() -> Vec<(String, String, bool, bool)> {
    let readme = include_str!("../../README.md");
    let cell = |text: &str| text.trim().trim_matches('`').to_string();
    let yes = |text: &str| text.trim().starts_with("yes");
    readme
        .lines()
        .skip_while(|line| !line.starts_with("| code | `reason()` | retryable | throttling |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .map(|line| {
            let cells: Vec<&str> = line.trim_matches('|').split('|').collect();
            assert_eq!(cells.len(), 4, "{line}");
            (cell(cells[0]), cell(cells[1]), yes(cells[2]), yes(cells[3]))
        })
        .collect()
}

#[test]
fn the_readme_lists_every_known_code_with_its_reason_and_retry_behaviour() {
    let table = readme_code_table();
    let mut documented: Vec<&str> = table.iter().map(|(code, ..)| code.as_str()).collect();
    let mut known: Vec<&str> = fnf_client::error::known_codes().collect();
    documented.sort_unstable();
    known.sort_unstable();
    assert_eq!(
        documented, known,
        "the README's code table and known_codes() disagree"
    );
    for (code, reason, retryable, throttling) in &table {
        let err = FnfError::Api {
            code: code.clone(),
            message: String::new(),
            request_id: None,
            http_status: 400,
            retry_after: None,
        };
        assert_eq!(known_code_reason(code), Some(reason.as_str()), "{code}");
        assert_eq!(err.is_retryable(), *retryable, "{code}: retryable");
        assert_eq!(err.is_throttling(), *throttling, "{code}: throttling");
    }
}
