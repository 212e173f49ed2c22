//! Alibaba Cloud request signatures: RPC (HMAC-SHA1, version 1.0) and V3
//! (ACS3-HMAC-SHA256). Pure functions, no I/O: the client signs with them and the
//! emulator verifies with them, so both sides share one canonicalisation.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

pub const RPC_SIGNATURE_METHOD: &str = "HMAC-SHA1";
pub const RPC_SIGNATURE_VERSION: &str = "1.0";
pub const V3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// Alibaba's percent-encoding: UTF-8 bytes, `A-Z a-z 0-9 - _ . ~` kept, every
/// other byte `%XX` in upper-case hex (so space is `%20`, `*` is `%2A`).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push_str(&format!("{byte:02X}"));
        }
    }
    out
}

/// The RPC canonical query: every parameter except `Signature`, sorted by key,
/// `enc(key)=enc(value)` joined by `&`. Callers merge query and form body first
/// (the body wins on a clash).
pub fn rpc_canonical_query(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "Signature")
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub fn rpc_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        percent_encode("/"),
        percent_encode(&rpc_canonical_query(params))
    )
}

/// base64(HMAC-SHA1(secret + "&", StringToSign)).
pub fn rpc_signature(secret: &str, method: &str, params: &[(String, String)]) -> String {
    let key = format!("{secret}&");
    let mut mac = hmac_sha1(key.as_bytes());
    mac.update(rpc_string_to_sign(method, params).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Hex SHA-256 of the exact body bytes (`x-acs-content-sha256`).
pub fn sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// The V3 canonical request. `headers` are the signed headers as received or
/// about to be sent; names are lower-cased, duplicates merged with `,`, values
/// trimmed. Returns the canonical request and the `SignedHeaders` list.
pub fn v3_canonical_request(
    method: &str,
    path: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body_sha256_hex: &str,
) -> (String, String) {
    let mut encoded_query: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (percent_encode(k), percent_encode(v)))
        .collect();
    encoded_query.sort();
    let canonical_query = encoded_query
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");

    let mut merged: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (name, value) in headers {
        merged
            .entry(name.to_ascii_lowercase())
            .or_default()
            .push(value.trim().to_string());
    }
    let canonical_headers: String = merged
        .iter()
        .map(|(name, values)| format!("{name}:{}\n", values.join(",")))
        .collect();
    let signed_headers = merged.keys().cloned().collect::<Vec<_>>().join(";");
    let canonical_path = if path.is_empty() { "/" } else { path };
    (
        format!(
            "{}\n{canonical_path}\n{canonical_query}\n{canonical_headers}\n{signed_headers}\n{body_sha256_hex}",
            method.to_ascii_uppercase()
        ),
        signed_headers,
    )
}

pub fn v3_string_to_sign(canonical_request: &str) -> String {
    format!(
        "{V3_ALGORITHM}\n{}",
        sha256_hex(canonical_request.as_bytes())
    )
}

/// hex(HMAC-SHA256(secret, StringToSign)).
pub fn v3_signature(secret: &str, canonical_request: &str) -> String {
    let mut mac = hmac_sha256(secret.as_bytes());
    mac.update(v3_string_to_sign(canonical_request).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub fn v3_authorization(access_key_id: &str, signed_headers: &str, signature: &str) -> String {
    format!(
        "{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={signed_headers},Signature={signature}"
    )
}

/// Constant-time comparison for signatures, so a verifier leaks no timing.
pub fn signatures_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn hmac_sha1(key: &[u8]) -> Hmac<Sha1> {
    // HMAC accepts keys of any length; this cannot fail.
    match Hmac::<Sha1>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(s: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(s.as_bytes()).into_owned().collect()
    }

    #[test]
    fn reproduces_the_published_rpc_example() {
        let params = pairs(
            "AccessKeyId=testid&Action=DescribeDedicatedHosts&Format=JSON&RegionId=cn-beijing&SignatureMethod=HMAC-SHA1&SignatureNonce=edb2b34af0af9a6d14deaf7c1a5315eb&SignatureVersion=1.0&Timestamp=2023-03-13T08:34:30Z&Version=2014-05-26",
        );
        assert_eq!(
            rpc_signature("testsecret", "GET", &params),
            "9NaGiOspFP5UPcwX8Iwt2YJXXuk="
        );
    }

    #[test]
    fn reproduces_the_published_v3_example() {
        let query = pairs(
            "ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai",
        );
        let empty = sha256_hex(b"");
        let headers = vec![
            (
                "host".to_string(),
                "ecs.cn-shanghai.aliyuncs.com".to_string(),
            ),
            ("x-acs-action".to_string(), "RunInstances".to_string()),
            ("x-acs-content-sha256".to_string(), empty.clone()),
            ("x-acs-date".to_string(), "2023-10-26T10:22:32Z".to_string()),
            (
                "x-acs-signature-nonce".to_string(),
                "3156853299f313e23d1673dc12e1703d".to_string(),
            ),
            ("x-acs-version".to_string(), "2014-05-26".to_string()),
        ];
        let (canonical, _) = v3_canonical_request("POST", "/", &query, &headers, &empty);
        assert_eq!(
            v3_signature("YourAccessKeySecret", &canonical),
            "06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
    }

    #[test]
    fn percent_encoding_follows_alibaba_rules() {
        assert_eq!(percent_encode("a b*c~d/é"), "a%20b%2Ac~d%2F%C3%A9");
    }
}
