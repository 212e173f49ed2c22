//! Verifying a received request's signature (RPC HMAC-SHA1 and V3
//! ACS3-HMAC-SHA256) with the client's own canonicalisation from
//! `fnf_client::sign`. Pure: no I/O, no clock (the caller passes `now`), no
//! state (nonce reuse is the caller's). Never puts a secret in an error.

use jiff::Timestamp;

use fnf_client::sign;

/// A request as it arrived: method, raw path with query, headers (names in any
/// case), exact body bytes.
#[derive(Clone, Copy, Debug)]
pub struct ReceivedRequest<'a> {
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// What the verifier needs to know about an AccessKey ID.
#[derive(Clone)]
pub struct KnownKey {
    pub secret: String,
    /// STS: the token the request must carry.
    pub security_token: Option<String>,
    pub expiration: Option<Timestamp>,
}

#[derive(Clone, Copy, Debug)]
pub struct FreshnessPolicy {
    pub now: Timestamp,
    /// `None` accepts any timestamp.
    pub max_skew_secs: Option<u64>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureScheme {
    Rpc,
    V3,
}

/// A request whose signature matched.
#[derive(Clone, Debug)]
pub struct VerifiedRequest {
    pub access_key_id: String,
    pub nonce: String,
    pub scheme: SignatureScheme,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the HTTP query '{0}' must be specified")]
    MissingParam(&'static str),
    #[error("the HTTP header '{0}' must be specified")]
    MissingHeader(&'static str),
    #[error("the AccessKey ID {0} is invalid")]
    UnknownKey(String),
    #[error("the signature does not match")]
    SignatureMismatch,
    #[error("the request time {request} differs from the current time {now} by too much")]
    TimeTooSkewed { request: String, now: String },
    #[error("the security token is missing or does not match the AccessKey ID")]
    TokenMismatch,
    #[error("the security token has expired")]
    TokenExpired,
}

impl AuthError {
    pub fn reason(&self) -> &'static str {
        match self {
            Self::MissingParam(_) => "MissingRequiredParams",
            Self::MissingHeader(_) => "MissingRequiredHeader",
            Self::UnknownKey(_) => "InvalidAccessKeyID",
            Self::SignatureMismatch => "SignatureNotMatch",
            Self::TimeTooSkewed { .. } => "RequestTimeTooSkewed",
            Self::TokenMismatch => "InvalidSecurityToken.Mismatch",
            Self::TokenExpired => "InvalidSecurityToken.Expired",
        }
    }
}

/// Every parameter the request carries: query, then a form body's, the body
/// winning on a clash (the RPC canonicalisation rule).
pub fn request_params(req: &ReceivedRequest<'_>) -> Vec<(String, String)> {
    let mut params = query_pairs(req.path_and_query);
    if is_form(req.headers) {
        let body: Vec<(String, String)> = form_urlencoded::parse(req.body).into_owned().collect();
        params.retain(|(k, _)| !body.iter().any(|(bk, _)| bk == k));
        params.extend(body);
    }
    params
}

pub fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The AccessKey ID a V3 `Authorization` header claims, verified or not.
pub fn v3_credential(headers: &[(String, String)]) -> Option<String> {
    parse_v3_authorization(header(headers, "authorization")?).map(|a| a.credential.to_string())
}

fn is_form(headers: &[(String, String)]) -> bool {
    header(headers, "content-type").is_some_and(|ct| {
        ct.trim()
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    })
}

fn split_path(path_and_query: &str) -> (&str, &str) {
    path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""))
}

fn query_pairs(path_and_query: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(split_path(path_and_query).1.as_bytes())
        .into_owned()
        .collect()
}

/// Verifies the request's signature with the key `lookup` returns for its
/// AccessKey ID, then its freshness and STS token. RPC when no V3
/// `Authorization` header is present.
pub fn verify_request(
    req: &ReceivedRequest<'_>,
    lookup: impl Fn(&str) -> Option<KnownKey>,
    policy: &FreshnessPolicy,
) -> Result<VerifiedRequest, AuthError> {
    // Both schemes sign path "/" (RPC implicitly), so any other path is not the signed request.
    if split_path(req.path_and_query).0 != "/" {
        return Err(AuthError::SignatureMismatch);
    }
    match header(req.headers, "authorization") {
        Some(auth) if auth.trim_start().starts_with(sign::V3_ALGORITHM) => {
            verify_v3(req, auth, lookup, policy)
        }
        _ => verify_rpc(req, lookup, policy),
    }
}

fn verify_rpc(
    req: &ReceivedRequest<'_>,
    lookup: impl Fn(&str) -> Option<KnownKey>,
    policy: &FreshnessPolicy,
) -> Result<VerifiedRequest, AuthError> {
    let params = request_params(req);
    let signature = param(&params, "Signature").ok_or_else(|| {
        if header(req.headers, "x-acs-signature-nonce").is_some() {
            AuthError::MissingHeader("Authorization")
        } else {
            AuthError::MissingParam("Signature")
        }
    })?;
    let access_key_id =
        param(&params, "AccessKeyId").ok_or(AuthError::MissingParam("AccessKeyId"))?;
    let timestamp = param(&params, "Timestamp").ok_or(AuthError::MissingParam("Timestamp"))?;
    let nonce =
        param(&params, "SignatureNonce").ok_or(AuthError::MissingParam("SignatureNonce"))?;
    let key =
        lookup(access_key_id).ok_or_else(|| AuthError::UnknownKey(access_key_id.to_string()))?;
    if param(&params, "SignatureMethod") != Some(sign::RPC_SIGNATURE_METHOD) {
        return Err(AuthError::SignatureMismatch);
    }
    let expected = sign::rpc_signature(&key.secret, req.method, &params);
    if !sign::signatures_equal(&expected, signature) {
        return Err(AuthError::SignatureMismatch);
    }
    check_fresh(timestamp, policy)?;
    check_token(&key, param(&params, "SecurityToken"), policy.now)?;
    Ok(VerifiedRequest {
        access_key_id: access_key_id.to_string(),
        nonce: nonce.to_string(),
        scheme: SignatureScheme::Rpc,
    })
}

struct V3Authorization<'a> {
    credential: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_v3_authorization(value: &str) -> Option<V3Authorization<'_>> {
    let rest = value.trim().strip_prefix(sign::V3_ALGORITHM)?.trim_start();
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => return None,
        }
    }
    Some(V3Authorization {
        credential: credential?,
        signed_headers: signed?.split(';').collect(),
        signature: signature?,
    })
}

fn verify_v3(
    req: &ReceivedRequest<'_>,
    authorization: &str,
    lookup: impl Fn(&str) -> Option<KnownKey>,
    policy: &FreshnessPolicy,
) -> Result<VerifiedRequest, AuthError> {
    let date = header(req.headers, "x-acs-date").ok_or(AuthError::MissingHeader("x-acs-date"))?;
    let nonce = header(req.headers, "x-acs-signature-nonce")
        .ok_or(AuthError::MissingHeader("x-acs-signature-nonce"))?;
    let body_hash = header(req.headers, "x-acs-content-sha256")
        .ok_or(AuthError::MissingHeader("x-acs-content-sha256"))?;
    let auth = parse_v3_authorization(authorization).ok_or(AuthError::SignatureMismatch)?;
    let key = lookup(auth.credential)
        .ok_or_else(|| AuthError::UnknownKey(auth.credential.to_string()))?;
    if let Some(id_header) = header(req.headers, "x-acs-accesskey-id")
        && id_header != auth.credential
    {
        return Err(AuthError::SignatureMismatch);
    }
    // Everything the service acts on must be covered by the signature.
    let must_sign = req
        .headers
        .iter()
        .map(|(k, _)| k.to_ascii_lowercase())
        .filter(|k| k == "host" || k == "content-type" || k.starts_with("x-acs-"));
    for name in must_sign {
        if !auth.signed_headers.iter().any(|s| *s == name) {
            return Err(AuthError::SignatureMismatch);
        }
    }
    let mut signed: Vec<(String, String)> = Vec::new();
    for name in &auth.signed_headers {
        let mut found = false;
        for (k, v) in req
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            signed.push((k.to_ascii_lowercase(), v.clone()));
            found = true;
        }
        if !found || name.is_empty() || *name != name.to_ascii_lowercase() {
            return Err(AuthError::SignatureMismatch);
        }
    }
    let actual_hash = sign::sha256_hex(req.body);
    if !sign::signatures_equal(&actual_hash, body_hash) {
        return Err(AuthError::SignatureMismatch);
    }
    let (path, _) = split_path(req.path_and_query);
    let (canonical, signed_list) = sign::v3_canonical_request(
        req.method,
        path,
        &query_pairs(req.path_and_query),
        &signed,
        body_hash,
    );
    if signed_list != auth.signed_headers.join(";") {
        return Err(AuthError::SignatureMismatch);
    }
    let expected = sign::v3_signature(&key.secret, &canonical);
    if !sign::signatures_equal(&expected, auth.signature) {
        return Err(AuthError::SignatureMismatch);
    }
    check_fresh(date, policy)?;
    check_token(
        &key,
        header(req.headers, "x-acs-security-token"),
        policy.now,
    )?;
    Ok(VerifiedRequest {
        access_key_id: auth.credential.to_string(),
        nonce: nonce.to_string(),
        scheme: SignatureScheme::V3,
    })
}

fn check_fresh(timestamp: &str, policy: &FreshnessPolicy) -> Result<(), AuthError> {
    let Some(max_skew_secs) = policy.max_skew_secs else {
        return Ok(());
    };
    let too_skewed = || AuthError::TimeTooSkewed {
        request: timestamp.to_string(),
        now: policy.now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    };
    let sent: Timestamp = timestamp.parse().map_err(|_| too_skewed())?;
    let skew_secs = (policy.now.as_second() - sent.as_second()).unsigned_abs();
    if skew_secs > max_skew_secs {
        return Err(too_skewed());
    }
    Ok(())
}

fn check_token(key: &KnownKey, sent: Option<&str>, now: Timestamp) -> Result<(), AuthError> {
    let Some(expected) = &key.security_token else {
        return Ok(());
    };
    match sent {
        Some(token) if sign::signatures_equal(token, expected) => {}
        _ => return Err(AuthError::TokenMismatch),
    }
    if key.expiration.is_some_and(|expiry| now >= expiry) {
        return Err(AuthError::TokenExpired);
    }
    Ok(())
}
