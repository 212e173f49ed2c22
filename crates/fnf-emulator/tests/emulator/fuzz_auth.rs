//! Property tests of the signature verifier on generated requests: whatever
//! the client signs (any parameters, secret, token, method, scheme) is
//! accepted; any one-byte change to what the signature covers is refused;
//! and no input at all makes it panic.

use fnf_client::Credentials;
use fnf_client::request::{HttpMethod, RequestInputs, SignedRequest, sign_rpc, sign_v3};
use fnf_emulator::auth::{
    FreshnessPolicy, KnownKey, ReceivedRequest, SignatureScheme, request_params, v3_credential,
    verify_request,
};
use proptest::prelude::*;

const KEY_ID: &str = "LTAIfuzzkey";
const HOST: &str = "fnf.cn-hangzhou.aliyuncs.com";
const TIMESTAMP: &str = "2026-05-01T10:00:00Z";

/// A request as the emulator receives it: method, path with query, headers, body.
#[derive(Clone, Debug)]
struct Wire {
    method: String,
    path_and_query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Wire {
    fn from_signed(signed: &SignedRequest) -> Self {
        let query = signed.query_string();
        let path_and_query = if query.is_empty() {
            "/".to_string()
        } else {
            format!("/?{query}")
        };
        let mut headers = vec![("host".to_string(), HOST.to_string())];
        headers.extend(signed.headers.iter().cloned());
        Wire {
            method: signed.method.as_str().to_string(),
            path_and_query,
            headers,
            body: signed.body.clone(),
        }
    }

    fn received(&self) -> ReceivedRequest<'_> {
        ReceivedRequest {
            method: &self.method,
            path_and_query: &self.path_and_query,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

#[derive(Clone, Debug)]
struct Signing {
    v3: bool,
    method: HttpMethod,
    action: &'static str,
    params: Vec<(String, String)>,
    secret: String,
    token: Option<String>,
    nonce: String,
}

fn signing() -> impl Strategy<Value = Signing> {
    (
        any::<bool>(),
        any::<bool>(),
        prop::sample::select(vec![
            "StartExecution",
            "DescribeExecution",
            "StopExecution",
            "ListExecutions",
        ]),
        // Keys that cannot clash with the common parameters; values anything.
        prop::collection::vec(("P[a-zA-Z0-9]{0,6}", any::<String>()), 0..5),
        "\\PC{1,24}",
        prop::option::of("[A-Za-z0-9+/=]{8,40}"),
        "[0-9a-f]{32}",
    )
        .prop_map(|(v3, post, action, params, secret, token, nonce)| Signing {
            v3,
            method: if post {
                HttpMethod::Post
            } else {
                HttpMethod::Get
            },
            action,
            params,
            secret,
            token,
            nonce,
        })
}

impl Signing {
    fn credentials(&self) -> Credentials {
        Credentials {
            access_key_id: KEY_ID.to_string(),
            access_key_secret: self.secret.clone(),
            security_token: self.token.clone(),
        }
    }

    fn wire(&self) -> Wire {
        let credentials = self.credentials();
        let inputs = RequestInputs {
            action: self.action,
            method: self.method,
            params: &self.params,
            credentials: &credentials,
            host: HOST,
            region_id: Some("cn-hangzhou"),
            timestamp: TIMESTAMP,
            nonce: &self.nonce,
        };
        let signed = if self.v3 {
            sign_v3(inputs)
        } else {
            sign_rpc(inputs)
        };
        Wire::from_signed(&signed)
    }

    fn key(&self) -> KnownKey {
        KnownKey {
            secret: self.secret.clone(),
            security_token: self.token.clone(),
            expiration: None,
        }
    }
}

fn policy() -> FreshnessPolicy {
    FreshnessPolicy {
        now: TIMESTAMP.parse().expect("fixed time"),
        max_skew_secs: Some(900),
    }
}

fn verify(wire: &Wire, key: &KnownKey) -> Result<SignatureScheme, String> {
    verify_request(
        &wire.received(),
        |id| (id == KEY_ID).then(|| key.clone()),
        &policy(),
    )
    .map(|v| v.scheme)
    .map_err(|e| e.reason().to_string())
}

/// The parts of a request its signature covers, by where they are.
#[derive(Clone, Copy, Debug)]
enum Part {
    Method,
    PathAndQuery,
    Body,
    /// The value of the n-th signed header (V3), or content-type (RPC POST).
    SignedHeader,
}

fn signed_header_positions(wire: &Wire, v3: bool) -> Vec<usize> {
    let signed_names: Vec<String> = if v3 {
        let auth = wire
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let list = auth
            .split("SignedHeaders=")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .unwrap_or_default()
            .to_string();
        let mut names: Vec<String> = list.split(';').map(str::to_string).collect();
        names.push("authorization".to_string());
        names
    } else if wire.body.is_empty() {
        // RPC signs no header; the content type only decides whether the
        // body's parameters count, so it matters only with a body.
        Vec::new()
    } else {
        vec!["content-type".to_string()]
    };
    wire.headers
        .iter()
        .enumerate()
        .filter(|(_, (k, _))| signed_names.contains(k))
        .map(|(i, _)| i)
        .collect()
}

/// Replaces one byte; `None` when the change is no change to what is meant:
/// the same byte, or an ASCII case flip (methods and `%XX` escapes are
/// case-insensitive, and a case flip elsewhere is caught anyway).
fn replace_byte(bytes: &[u8], at: usize, with: u8) -> Option<Vec<u8>> {
    let old = bytes[at];
    if old.eq_ignore_ascii_case(&with) || !old.is_ascii() {
        return None;
    }
    let mut out = bytes.to_vec();
    out[at] = with;
    Some(out)
}

/// Whether two paths with queries name the same path and parameters. A
/// one-byte change can keep the meaning: `P=` and `P&` both say P is empty,
/// and the canonical request of each is `P=`, so the signature still holds.
fn same_query_meaning(a: &str, b: &str) -> bool {
    let split = |s: &str| {
        let (path, query) = s.split_once('?').unwrap_or((s, ""));
        let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        (path.to_string(), pairs)
    };
    split(a) == split(b)
}

proptest! {
    #[test]
    fn whatever_the_client_signs_is_accepted(s in signing()) {
        let wire = s.wire();
        let expected = if s.v3 { SignatureScheme::V3 } else { SignatureScheme::Rpc };
        prop_assert_eq!(verify(&wire, &s.key()), Ok(expected));
        // The parameters the service acts on are the ones signed.
        let params = request_params(&wire.received());
        for (k, v) in &s.params {
            prop_assert!(params.iter().any(|(pk, pv)| pk == k && pv == v), "{k}={v:?} lost");
        }
    }

    #[test]
    fn any_one_byte_change_to_a_signed_part_is_refused(
        s in signing(),
        part in prop::sample::select(vec![Part::Method, Part::PathAndQuery, Part::Body, Part::SignedHeader]),
        pick in any::<prop::sample::Index>(),
        byte_pick in any::<prop::sample::Index>(),
        with in 0x20u8..0x7f,
    ) {
        let wire = s.wire();
        let positions = signed_header_positions(&wire, s.v3);
        // A part this request lacks (a GET's body, an RPC GET's headers):
        // change the query instead, so every case changes something.
        let part = match part {
            Part::Body if wire.body.is_empty() => Part::PathAndQuery,
            Part::SignedHeader if positions.is_empty() => Part::PathAndQuery,
            other => other,
        };
        let mut changed = wire.clone();
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).ok();
        let done = match part {
            Part::Method => replace_byte(wire.method.as_bytes(), byte_pick.index(wire.method.len()), with)
                .and_then(text)
                .map(|m| changed.method = m),
            Part::PathAndQuery => replace_byte(
                wire.path_and_query.as_bytes(),
                byte_pick.index(wire.path_and_query.len()),
                with,
            )
            .and_then(text)
            .filter(|p| !same_query_meaning(p, &wire.path_and_query))
            .map(|p| changed.path_and_query = p),
            Part::Body => {
                replace_byte(&wire.body, byte_pick.index(wire.body.len()), with).map(|b| changed.body = b)
            }
            Part::SignedHeader => {
                // Every signed header the client sends has a value.
                let at = *pick.get(&positions);
                let value = wire.headers[at].1.as_bytes();
                replace_byte(value, byte_pick.index(value.len()), with)
                    .and_then(text)
                    .map(|v| changed.headers[at].1 = v)
            }
        };
        prop_assume!(done.is_some());
        let outcome = verify(&changed, &s.key());
        prop_assert!(outcome.is_err(), "accepted after a change to {part:?}: {changed:?}");
    }

    #[test]
    fn a_wrong_secret_or_token_is_refused(s in signing(), other_secret in "\\PC{1,24}") {
        prop_assume!(other_secret != s.secret);
        let wire = s.wire();
        let mut key = s.key();
        key.secret = other_secret;
        prop_assert_eq!(verify(&wire, &key), Err("SignatureNotMatch".to_string()));
        if s.token.is_some() {
            let mut key = s.key();
            key.security_token = Some("another-token".to_string());
            prop_assert_eq!(verify(&wire, &key), Err("InvalidSecurityToken.Mismatch".to_string()));
        }
    }

    #[test]
    fn arbitrary_requests_never_panic_the_verifier(
        method in "[A-Za-z]{0,8}",
        path in "(/|/\\?)?\\PC{0,60}",
        headers in prop::collection::vec(("[A-Za-z-]{1,24}", "\\PC{0,80}"), 0..8),
        authorization in prop::option::of("ACS3-HMAC-SHA256 ?[A-Za-z=,;\\- ]{0,80}"),
        body in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let mut headers = headers;
        if let Some(auth) = authorization {
            headers.push(("Authorization".to_string(), auth));
        }
        let received = ReceivedRequest { method: &method, path_and_query: &path, headers: &headers, body: &body };
        let key = KnownKey { secret: "s".into(), security_token: None, expiration: None };
        let _ = verify_request(&received, |_| Some(key.clone()), &policy());
        let _ = request_params(&received);
        let _ = v3_credential(&headers);
    }
}
