//! One fuzz input for the emulator's signature verifier and request parser.
//! The bytes are a raw HTTP/1.1 request (request line, headers, blank line,
//! body), read leniently so that any bytes make some request. Used by the
//! `emulator_request` fuzz target and replayed over the committed corpus by
//! the emulator's tests.

use fnf_emulator::auth::{
    FreshnessPolicy, KnownKey, ReceivedRequest, request_params, v3_credential, verify_request,
};

pub const KEY_ID: &str = "LTAIfuzzkey";
pub const KEY_SECRET: &str = "fuzz-secret";

pub struct RawRequest {
    pub method: String,
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Splits the bytes at the first blank line into head and body; the head's
/// first line is `METHOD PATH ...`, every other line `name: value`.
pub fn read_raw(data: &[u8]) -> RawRequest {
    let split = data.windows(4).position(|w| w == b"\r\n\r\n");
    let (head, body) = match split {
        Some(at) => (&data[..at], data[at + 4..].to_vec()),
        None => (data, Vec::new()),
    };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_string();
    let path_and_query = request_line.next().unwrap_or_default().to_string();
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    RawRequest {
        method,
        path_and_query,
        headers,
        body,
    }
}

pub fn check(data: &[u8]) {
    let raw = read_raw(data);
    let received = ReceivedRequest {
        method: &raw.method,
        path_and_query: &raw.path_and_query,
        headers: &raw.headers,
        body: &raw.body,
    };
    let lookup = |id: &str| {
        (id == KEY_ID).then(|| KnownKey {
            secret: KEY_SECRET.to_string(),
            security_token: None,
            expiration: None,
        })
    };
    let policy = FreshnessPolicy {
        now: jiff::Timestamp::from_second(1_777_629_600).unwrap_or(jiff::Timestamp::UNIX_EPOCH),
        max_skew_secs: Some(900),
    };
    let verified = verify_request(&received, lookup, &policy);
    let params = request_params(&received);
    let claimed = v3_credential(&raw.headers);
    if let Ok(verified) = verified {
        // Only a request signed with the one known key can pass, for that key.
        assert_eq!(verified.access_key_id, KEY_ID);
        let rpc_key = params
            .iter()
            .find(|(k, _)| k == "AccessKeyId")
            .map(|(_, v)| v.as_str());
        assert!(claimed.as_deref() == Some(KEY_ID) || rpc_key == Some(KEY_ID));
    }
}
