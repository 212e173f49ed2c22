//! Builds one signed fnf request (RPC or V3) from an action, its parameters,
//! credentials, a timestamp and a nonce.
//!
//! Pure: no I/O, no clock, no randomness (the caller passes timestamp and
//! nonce, so tests can replay captured requests). Canonicalisation lives in
//! `sign`; this module only decides what goes where.

use super::credentials::Credentials;
use super::sign;

pub const API_VERSION: &str = "2019-03-15";
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
}

impl HttpMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }

    /// Reads are GET with a query; everything else is a POST with a form body.
    pub fn for_action(action: &str) -> Self {
        if ["Describe", "Get", "List"]
            .iter()
            .any(|prefix| action.starts_with(prefix))
        {
            HttpMethod::Get
        } else {
            HttpMethod::Post
        }
    }
}

/// What a request is made of, before signing.
#[derive(Clone, Copy)]
pub struct RequestInputs<'a> {
    pub action: &'a str,
    pub method: HttpMethod,
    pub params: &'a [(String, String)],
    pub credentials: &'a Credentials,
    /// The `host` header value (host, and port when not the default).
    pub host: &'a str,
    pub region_id: Option<&'a str>,
    /// UTC, `YYYY-MM-DDThh:mm:ssZ`.
    pub timestamp: &'a str,
    pub nonce: &'a str,
}

/// A signed request, ready to send to path `/`.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    pub method: HttpMethod,
    pub query: Vec<(String, String)>,
    /// Every header to send except `host`, which the HTTP client derives from
    /// the URL (and which was signed with the same value).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for SignedRequest {
    /// Only the shape: the query and headers carry the token and signature.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("query_len", &self.query.len())
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl SignedRequest {
    /// The query string, Alibaba-percent-encoded.
    pub fn query_string(&self) -> String {
        encode_pairs(&self.query)
    }

    /// The value of one query parameter.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// `k=v&...` with Alibaba's percent-encoding (space is `%20`, never `+`).
pub fn encode_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", sign::percent_encode(k), sign::percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// RPC (HMAC-SHA1, 1.0): common parameters in the query; action parameters
/// in the query for GET or in the form body for POST; the signature covers
/// both (the body wins on a clash, as the server merges them).
pub fn sign_rpc(inputs: RequestInputs<'_>) -> SignedRequest {
    let credentials = inputs.credentials;
    let mut common: Vec<(String, String)> = vec![
        pair("Action", inputs.action),
        pair("Format", "json"),
        pair("Version", API_VERSION),
        pair("Timestamp", inputs.timestamp),
        pair("SignatureNonce", inputs.nonce),
        pair("SignatureMethod", sign::RPC_SIGNATURE_METHOD),
        pair("SignatureVersion", sign::RPC_SIGNATURE_VERSION),
        pair("AccessKeyId", &credentials.access_key_id),
    ];
    if let Some(token) = &credentials.security_token {
        common.push(pair("SecurityToken", token));
    }
    if let Some(region) = inputs.region_id {
        common.push(pair("RegionId", region));
    }
    let mut headers = vec![
        pair("x-acs-action", inputs.action),
        pair("x-acs-version", API_VERSION),
        pair("accept", "application/json"),
    ];
    let (mut query, body, signed_params) = match inputs.method {
        HttpMethod::Get => {
            let mut query = common;
            query.extend(inputs.params.iter().cloned());
            let signed = query.clone();
            (query, Vec::new(), signed)
        }
        HttpMethod::Post => {
            headers.push(pair("content-type", FORM_CONTENT_TYPE));
            let mut signed: Vec<(String, String)> = common
                .iter()
                .filter(|(k, _)| !inputs.params.iter().any(|(pk, _)| pk == k))
                .cloned()
                .collect();
            signed.extend(inputs.params.iter().cloned());
            let body = encode_pairs(inputs.params).into_bytes();
            (common, body, signed)
        }
    };
    let signature = sign::rpc_signature(
        &credentials.access_key_secret,
        inputs.method.as_str(),
        &signed_params,
    );
    query.push(pair("Signature", &signature));
    SignedRequest {
        method: inputs.method,
        query,
        headers,
        body,
    }
}

/// V3 (ACS3-HMAC-SHA256): action parameters in the query for GET or in the
/// form body for POST; the `x-acs-*` headers, `host` and `content-type` are
/// signed.
pub fn sign_v3(inputs: RequestInputs<'_>) -> SignedRequest {
    let credentials = inputs.credentials;
    let (query, body) = match inputs.method {
        HttpMethod::Get => (inputs.params.to_vec(), Vec::new()),
        HttpMethod::Post => (Vec::new(), encode_pairs(inputs.params).into_bytes()),
    };
    let body_hash = sign::sha256_hex(&body);
    let mut signed_headers = vec![
        pair("host", inputs.host),
        pair("x-acs-action", inputs.action),
        pair("x-acs-version", API_VERSION),
        pair("x-acs-date", inputs.timestamp),
        pair("x-acs-signature-nonce", inputs.nonce),
        pair("x-acs-content-sha256", &body_hash),
    ];
    if inputs.method == HttpMethod::Post {
        signed_headers.push(pair("content-type", FORM_CONTENT_TYPE));
    }
    if let Some(token) = &credentials.security_token {
        signed_headers.push(pair("x-acs-accesskey-id", &credentials.access_key_id));
        signed_headers.push(pair("x-acs-security-token", token));
    }
    let (canonical, signed_names) = sign::v3_canonical_request(
        inputs.method.as_str(),
        "/",
        &query,
        &signed_headers,
        &body_hash,
    );
    let signature = sign::v3_signature(&credentials.access_key_secret, &canonical);
    let mut headers: Vec<(String, String)> = signed_headers
        .into_iter()
        .filter(|(name, _)| name != "host")
        .collect();
    headers.push(pair("accept", "application/json"));
    headers.push(pair(
        "authorization",
        &sign::v3_authorization(&credentials.access_key_id, &signed_names, &signature),
    ));
    SignedRequest {
        method: inputs.method,
        query,
        headers,
        body,
    }
}

/// The RPC `Timestamp` / V3 `x-acs-date` format.
pub fn format_timestamp(time: jiff::Timestamp) -> String {
    time.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// 128 random bits in hex: unique per request, as the cloud rejects reuse.
pub fn new_nonce() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn pair(key: &str, value: &str) -> (String, String) {
    (key.to_string(), value.to_string())
}
