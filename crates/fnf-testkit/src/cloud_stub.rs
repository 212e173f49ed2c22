//! Shared by the fnf client tests: a scripted HTTP server on 127.0.0.1 that
//! records every request, and a signature verifier built on `sign.rs`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use fnf_client::{
    Client, ClientConfig, CredentialProvider, Credentials, Endpoint, QuotaRegistry, RetryPolicy,
    SignatureVersion, client::default_http_client, sign,
};

pub const KEY_ID: &str = "LTAI5tTESTKEYID0001";
pub const SECRET: &str = "TestSecretKey0001/+=";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn form(&self) -> Vec<(String, String)> {
        form_urlencoded::parse(&self.body).into_owned().collect()
    }

    /// The action, from the query (RPC) or the header (V3).
    pub fn action(&self) -> String {
        self.query_param("Action")
            .or_else(|| self.header("x-acs-action"))
            .unwrap_or_default()
            .to_string()
    }

    /// The action's parameters wherever they travelled (query or form body).
    pub fn param(&self, name: &str) -> Option<String> {
        self.form()
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .or_else(|| self.query_param(name).map(str::to_string))
    }
}

/// What the server answers to one request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub delay: Duration,
}

impl Reply {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
            delay: Duration::ZERO,
        }
    }

    pub fn error(status: u16, code: &str) -> Self {
        Self::json(
            status,
            serde_json::json!({"RequestId": "req-1", "HostId": "h", "Code": code, "Message": "m"}),
        )
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// Chooses the reply from the request and its index (0-based) in the log.
pub type Responder = Arc<dyn Fn(&Recorded, usize) -> Reply + Send + Sync>;

struct Shared {
    log: Mutex<Vec<Recorded>>,
    responder: Responder,
}

pub struct TestServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
}

impl TestServer {
    pub async fn start(
        responder: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let shared = Arc::new(Shared {
            log: Mutex::new(Vec::new()),
            responder: Arc::new(responder),
        });
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, shared }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().expect("log").clone()
    }

    pub fn count(&self) -> usize {
        self.shared.log.lock().expect("log").len()
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let recorded = Recorded {
        method: method.to_string(),
        query: form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect(),
        headers: headers
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect(),
        body: body.to_vec(),
        at: Instant::now(),
    };
    let index = {
        let mut log = shared.log.lock().expect("log");
        log.push(recorded.clone());
        log.len() - 1
    };
    let reply = (shared.responder)(&recorded, index);
    if !reply.delay.is_zero() {
        tokio::time::sleep(reply.delay).await;
    }
    let mut response = (
        StatusCode::from_u16(reply.status).expect("status"),
        reply.body,
    )
        .into_response();
    for (name, value) in reply.headers {
        response.headers_mut().insert(
            axum::http::HeaderName::from_bytes(name.as_bytes()).expect("name"),
            axum::http::HeaderValue::from_str(&value).expect("value"),
        );
    }
    response
}

/// Checks the request's signature (RPC or V3) with `secret`.
pub fn verify_signature(request: &Recorded, secret: &str) -> Result<(), String> {
    if let Some(sent) = request.query_param("Signature") {
        let body = request.form();
        let mut params: Vec<(String, String)> = request
            .query
            .iter()
            .filter(|(k, _)| k != "Signature" && !body.iter().any(|(bk, _)| bk == k))
            .cloned()
            .collect();
        params.extend(body);
        let expected = sign::rpc_signature(secret, &request.method, &params);
        return if sign::signatures_equal(&expected, sent) {
            Ok(())
        } else {
            Err(format!("RPC signature {sent} != {expected}"))
        };
    }
    let authorization = request.header("authorization").ok_or("no signature")?;
    let fields = authorization
        .strip_prefix("ACS3-HMAC-SHA256 ")
        .ok_or("not ACS3-HMAC-SHA256")?;
    let field = |key: &str| {
        fields
            .split(',')
            .find_map(|f| f.trim().strip_prefix(key)?.strip_prefix('='))
            .map(str::to_string)
            .ok_or(format!("authorization lacks {key}"))
    };
    let names = field("SignedHeaders")?;
    let sent = field("Signature")?;
    let body_hash = sign::sha256_hex(&request.body);
    if request.header("x-acs-content-sha256") != Some(body_hash.as_str()) {
        return Err("x-acs-content-sha256 does not match the body".into());
    }
    let headers: Vec<(String, String)> = names
        .split(';')
        .map(|name| {
            let value = request
                .header(name)
                .ok_or(format!("signed header {name} missing"))?;
            Ok((name.to_string(), value.to_string()))
        })
        .collect::<Result<_, String>>()?;
    let (canonical, _) =
        sign::v3_canonical_request(&request.method, "/", &request.query, &headers, &body_hash);
    let expected = sign::v3_signature(secret, &canonical);
    if sign::signatures_equal(&expected, &sent) {
        Ok(())
    } else {
        Err(format!("V3 signature {sent} != {expected}"))
    }
}

pub fn static_credentials(token: Option<&str>) -> CredentialProvider {
    CredentialProvider::static_credentials(Credentials {
        access_key_id: KEY_ID.into(),
        access_key_secret: SECRET.into(),
        security_token: token.map(str::to_string),
    })
}

pub fn fast_retries(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
    }
}

/// A client of `server` with static keys, no quotas and fast retries.
pub fn client_for(server: &TestServer, signature: SignatureVersion) -> Client {
    let mut config = config_for(server);
    config.signature = signature;
    Client::new(config, static_credentials(None))
}

pub fn config_for(server: &TestServer) -> ClientConfig {
    fnf_client::install_crypto_provider();
    let endpoint = Endpoint::from_url(&server.url()).expect("loopback endpoint");
    let mut config = ClientConfig::with_http(endpoint, default_http_client().expect("http client"));
    config.retry = fast_retries(3);
    config.quotas = QuotaRegistry::unlimited();
    config
}

/// The execution JSON the fake cloud returns for every execution call.
pub fn execution_json(status: &str) -> serde_json::Value {
    serde_json::json!({
        "RequestId": "req-ok",
        "Name": "my_exec",
        "FlowName": "my_flow",
        "Status": status,
        "Input": "{\"key\":\"value\"}",
        "Output": "",
        "StartedTime": "2019-01-01T01:01:01.001Z",
        "StoppedTime": "",
        "FlowDefinition": "Type: StateMachine"
    })
}
