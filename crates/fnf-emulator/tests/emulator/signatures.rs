//! The emulator's verifier against requests the official SDKs really sent
//! (shared/test-vectors/fnf-signatures.json): each is accepted, and each is
//! rejected after any one-byte change to what its signature covers.

use fnf_emulator::auth::{AuthError, FreshnessPolicy, KnownKey, ReceivedRequest, verify_request};
use serde_json::Value;

const VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/test-vectors/fnf-signatures.json"
);

struct Case {
    sdk: String,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn load() -> (String, String, Vec<Case>) {
    let text = std::fs::read_to_string(VECTORS).expect("test vectors readable");
    let doc: Value = serde_json::from_str(&text).expect("vectors are JSON");
    let cases = doc["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| {
            let r = &c["request"];
            Case {
                sdk: format!(
                    "{} {}",
                    c["sdk"].as_str().unwrap_or_default(),
                    c["action"].as_str().unwrap_or_default()
                ),
                method: r["method"].as_str().expect("method").to_string(),
                path: r["path"].as_str().expect("path").to_string(),
                headers: r["headers"]
                    .as_object()
                    .expect("headers")
                    .iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect(),
                body: r["body"].as_str().unwrap_or_default().as_bytes().to_vec(),
            }
        })
        .collect();
    (
        doc["access_key_id"].as_str().expect("id").to_string(),
        doc["access_key_secret"]
            .as_str()
            .expect("secret")
            .to_string(),
        cases,
    )
}

fn verify(
    key_id: &str,
    secret: &str,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    policy: FreshnessPolicy,
) -> Result<(), AuthError> {
    let request = ReceivedRequest {
        method,
        path_and_query: path,
        headers,
        body,
    };
    let lookup = |id: &str| {
        (id == key_id).then(|| KnownKey {
            secret: secret.to_string(),
            security_token: None,
            expiration: None,
        })
    };
    verify_request(&request, lookup, &policy).map(|_| ())
}

fn replay_policy() -> FreshnessPolicy {
    FreshnessPolicy {
        now: jiff::Timestamp::now(),
        max_skew_secs: None,
    }
}

/// Replaces one byte with another printable byte.
fn mutate(text: &[u8], index: usize) -> Vec<u8> {
    let mut out = text.to_vec();
    out[index] = if out[index] == b'x' { b'y' } else { b'x' };
    out
}

fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).expect("ASCII mutation keeps UTF-8")
}

#[test]
fn every_captured_sdk_request_is_accepted_with_the_skew_check_relaxed() {
    let (id, secret, cases) = load();
    assert_eq!(cases.len(), 10);
    for c in &cases {
        let outcome = verify(
            &id,
            &secret,
            &c.method,
            &c.path,
            &c.headers,
            &c.body,
            replay_policy(),
        );
        assert_eq!(outcome, Ok(()), "{}", c.sdk);
    }
}

#[test]
fn captured_requests_are_too_old_when_the_skew_check_is_on() {
    let (id, secret, cases) = load();
    let c = &cases[0];
    let captured: jiff::Timestamp = "2026-11-24T12:45:04Z".parse().expect("time");
    let at = |secs: i64| FreshnessPolicy {
        now: captured
            .checked_add(jiff::SignedDuration::from_secs(secs))
            .expect("time"),
        max_skew_secs: Some(900),
    };
    assert_eq!(
        verify(
            &id,
            &secret,
            &c.method,
            &c.path,
            &c.headers,
            &c.body,
            at(14 * 60)
        ),
        Ok(())
    );
    assert!(matches!(
        verify(
            &id,
            &secret,
            &c.method,
            &c.path,
            &c.headers,
            &c.body,
            at(16 * 60)
        ),
        Err(AuthError::TimeTooSkewed { .. })
    ));
    assert!(matches!(
        verify(
            &id,
            &secret,
            &c.method,
            &c.path,
            &c.headers,
            &c.body,
            at(-16 * 60)
        ),
        Err(AuthError::TimeTooSkewed { .. })
    ));
}

fn signed_header_names(c: &Case) -> Vec<String> {
    let auth = c
        .headers
        .iter()
        .find(|(k, _)| k == "authorization")
        .map(|(_, v)| v.clone());
    match auth {
        // V3 signs the headers it lists, and the Authorization header carries the signature.
        Some(auth) => {
            let list = auth
                .split("SignedHeaders=")
                .nth(1)
                .and_then(|s| s.split(',').next())
                .unwrap_or_default();
            let mut names: Vec<String> = list.split(';').map(str::to_string).collect();
            names.push("authorization".into());
            names
        }
        // RPC signs no header, but the content type decides whether the body's parameters count.
        None => c
            .headers
            .iter()
            .filter(|(k, _)| k == "content-type")
            .map(|(k, _)| k.clone())
            .collect(),
    }
}

#[test]
fn any_one_byte_change_to_a_signed_part_is_rejected() {
    let (id, secret, cases) = load();
    let policy = replay_policy();
    let mut tried = 0;
    for c in &cases {
        let check =
            |method: &str, path: &str, headers: &[(String, String)], body: &[u8], what: String| {
                let outcome = verify(&id, &secret, method, path, headers, body, policy);
                assert!(
                    outcome.is_err(),
                    "{}: accepted after changing {what}",
                    c.sdk
                );
            };
        for i in 0..c.method.len() {
            check(
                &utf8(mutate(c.method.as_bytes(), i)),
                &c.path,
                &c.headers,
                &c.body,
                format!("method byte {i}"),
            );
            tried += 1;
        }
        for i in 0..c.path.len() {
            check(
                &c.method,
                &utf8(mutate(c.path.as_bytes(), i)),
                &c.headers,
                &c.body,
                format!("path byte {i}"),
            );
            tried += 1;
        }
        for i in 0..c.body.len() {
            check(
                &c.method,
                &c.path,
                &c.headers,
                &mutate(&c.body, i),
                format!("body byte {i}"),
            );
            tried += 1;
        }
        for name in signed_header_names(c) {
            let position = c
                .headers
                .iter()
                .position(|(k, _)| *k == name)
                .expect("signed header present");
            let (key, value) = &c.headers[position];
            for i in 0..value.len() {
                let mut headers = c.headers.clone();
                headers[position].1 = utf8(mutate(value.as_bytes(), i));
                check(
                    &c.method,
                    &c.path,
                    &headers,
                    &c.body,
                    format!("{key} value byte {i}"),
                );
                tried += 1;
            }
            for i in 0..key.len() {
                let mut headers = c.headers.clone();
                headers[position].0 = utf8(mutate(key.as_bytes(), i));
                check(
                    &c.method,
                    &c.path,
                    &headers,
                    &c.body,
                    format!("{key} name byte {i}"),
                );
                tried += 1;
            }
        }
    }
    println!("{tried} one-byte changes, all rejected");
    assert!(tried > 3000, "only {tried} mutations tried");
}

#[test]
fn a_change_to_an_unsigned_header_is_still_accepted() {
    let (id, secret, cases) = load();
    for c in &cases {
        let mut headers = c.headers.clone();
        if let Some(h) = headers.iter_mut().find(|(k, _)| k == "accept-encoding") {
            h.1 = "gzip".into();
        }
        assert_eq!(
            verify(
                &id,
                &secret,
                &c.method,
                &c.path,
                &headers,
                &c.body,
                replay_policy()
            ),
            Ok(()),
            "{}",
            c.sdk
        );
    }
}

#[test]
fn an_unknown_key_and_a_wrong_secret_are_told_apart() {
    let (id, _, cases) = load();
    let c = &cases[4];
    assert_eq!(
        verify(
            "someone-else",
            "s",
            &c.method,
            &c.path,
            &c.headers,
            &c.body,
            replay_policy()
        ),
        Err(AuthError::UnknownKey(id.clone()))
    );
    assert_eq!(
        verify(
            &id,
            "wrong",
            &c.method,
            &c.path,
            &c.headers,
            &c.body,
            replay_policy()
        ),
        Err(AuthError::SignatureMismatch)
    );
}
