//! Shared by the emulator tests: an in-process emulator and a raw fnf caller
//! that signs with `fnf_client::sign` (RPC or V3), so the tests see
//! exactly what the wire carries.

use std::time::Duration;

use fnf_client::sign;
use fnf_emulator::{self as emulator, Account, EmulatorConfig, RunningEmulator};
use serde_json::Value;

pub const KEY_ID: &str = "LTAItestkey0001";
pub const KEY_SECRET: &str = "test/secret+0001=";
pub const API_VERSION: &str = "2019-03-15";

pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub fn config() -> EmulatorConfig {
    EmulatorConfig {
        accounts: vec![Account::new(KEY_ID, KEY_SECRET)],
        quotas: None,
        ..EmulatorConfig::default()
    }
}

pub async fn start(config: EmulatorConfig) -> RunningEmulator {
    install_crypto();
    emulator::start(config).await.expect("emulator starts")
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scheme {
    Rpc,
    V3,
}

/// Actions the service reads with GET; the rest are POSTed as forms.
pub fn is_read(action: &str) -> bool {
    matches!(
        action,
        "DescribeExecution"
            | "GetExecutionHistory"
            | "ListExecutions"
            | "DescribeFlow"
            | "ListFlows"
    )
}

#[derive(Clone)]
pub struct Caller {
    pub http: reqwest::Client,
    pub endpoint: String,
    pub key_id: String,
    pub secret: String,
    pub token: Option<String>,
    pub scheme: Scheme,
    /// Shifts the signed timestamp (stale requests).
    pub time_offset_secs: i64,
    pub version: String,
}

pub fn nonce() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn now_secs(offset: i64) -> String {
    let now = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(offset))
        .expect("time in range");
    now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn owned(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", sign::percent_encode(k), sign::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Caller {
    pub fn new(emulator: &RunningEmulator) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(90))
                .build()
                .expect("client"),
            endpoint: emulator.endpoint(),
            key_id: KEY_ID.to_string(),
            secret: KEY_SECRET.to_string(),
            token: None,
            scheme: Scheme::Rpc,
            time_offset_secs: 0,
            version: API_VERSION.to_string(),
        }
    }

    pub fn v3(mut self) -> Self {
        self.scheme = Scheme::V3;
        self
    }

    /// Builds the signed request for `action` with `params`.
    pub fn request(&self, action: &str, params: &[(&str, &str)]) -> reqwest::RequestBuilder {
        match self.scheme {
            Scheme::Rpc => self.rpc_request(action, &owned(params)),
            Scheme::V3 => self.v3_request(action, &owned(params), &[]),
        }
    }

    pub fn rpc_request(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> reqwest::RequestBuilder {
        let read = is_read(action);
        let method = if read { "GET" } else { "POST" };
        let mut common = owned(&[
            ("Action", action),
            ("Format", "json"),
            ("Version", &self.version),
            ("Timestamp", &now_secs(self.time_offset_secs)),
            ("SignatureNonce", &nonce()),
            ("SignatureMethod", sign::RPC_SIGNATURE_METHOD),
            ("SignatureVersion", sign::RPC_SIGNATURE_VERSION),
            ("AccessKeyId", &self.key_id),
        ]);
        if let Some(token) = &self.token {
            common.push(("SecurityToken".into(), token.clone()));
        }
        let mut all = common.clone();
        all.extend(params.iter().cloned());
        let signature = sign::rpc_signature(&self.secret, method, &all);
        if read {
            all.push(("Signature".into(), signature));
            self.http
                .get(format!("{}/?{}", self.endpoint, encode_pairs(&all)))
        } else {
            common.push(("Signature".into(), signature));
            let body = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(params.iter())
                .finish();
            self.http
                .post(format!("{}/?{}", self.endpoint, encode_pairs(&common)))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
        }
    }

    /// A V3 request; `skip_headers` leaves signed headers out (to provoke errors).
    pub fn v3_request(
        &self,
        action: &str,
        params: &[(String, String)],
        skip_headers: &[&str],
    ) -> reqwest::RequestBuilder {
        let read = is_read(action);
        let method = if read { "GET" } else { "POST" };
        let (query, body) = if read {
            (params.to_vec(), String::new())
        } else {
            (
                Vec::new(),
                form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(params.iter())
                    .finish(),
            )
        };
        let host = self.endpoint.trim_start_matches("http://").to_string();
        let body_hash = sign::sha256_hex(body.as_bytes());
        let mut headers = owned(&[
            ("host", &host),
            ("x-acs-action", action),
            ("x-acs-version", &self.version),
            ("x-acs-date", &now_secs(self.time_offset_secs)),
            ("x-acs-signature-nonce", &nonce()),
            ("x-acs-content-sha256", &body_hash),
        ]);
        if !read {
            headers.push((
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ));
        }
        if let Some(token) = &self.token {
            headers.push(("x-acs-accesskey-id".into(), self.key_id.clone()));
            headers.push(("x-acs-security-token".into(), token.clone()));
        }
        headers.retain(|(k, _)| !skip_headers.contains(&k.as_str()));
        let (canonical, signed) =
            sign::v3_canonical_request(method, "/", &query, &headers, &body_hash);
        let signature = sign::v3_signature(&self.secret, &canonical);
        let url = if query.is_empty() {
            format!("{}/", self.endpoint)
        } else {
            format!("{}/?{}", self.endpoint, encode_pairs(&query))
        };
        let mut builder = if read {
            self.http.get(url)
        } else {
            self.http.post(url).body(body)
        };
        for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
            builder = builder.header(k, v);
        }
        builder.header(
            "authorization",
            sign::v3_authorization(&self.key_id, &signed, &signature),
        )
    }

    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> (u16, Value) {
        send(self.request(action, params)).await
    }
}

pub async fn send(builder: reqwest::RequestBuilder) -> (u16, Value) {
    let response = builder.send().await.expect("request answered");
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("JSON body, got {text:?}"));
    (status, body)
}

/// Asserts an error answer's status, code and shape.
pub fn assert_error(answer: &(u16, Value), status: u16, code: &str) {
    let (got_status, body) = answer;
    assert_eq!(body["Code"], code, "body: {body}");
    assert_eq!(*got_status, status, "body: {body}");
    for field in ["RequestId", "HostId", "Message"] {
        assert!(
            body[field].as_str().is_some_and(|s| !s.is_empty()),
            "{field} missing in {body}"
        );
    }
}

pub const PASS_WAIT_SUCCEED: &str = "Type: StateMachine
SpecVersion: v1
Name: demo
StartAt: greet
States:
  - Type: Pass
    Name: greet
    Result:
      greeting: hello
    Next: pause
  - Type: Wait
    Name: pause
    Seconds: 2
    Next: done
  - Type: Succeed
    Name: done
";

/// Waits `SecondsPath: $.wait` seconds, then succeeds with its input.
pub const WAIT_FROM_INPUT: &str = "Type: StateMachine
SpecVersion: v1
StartAt: hold
States:
  - Type: Wait
    Name: hold
    SecondsPath: $.wait
    End: true
";
