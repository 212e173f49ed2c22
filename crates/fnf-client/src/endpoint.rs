//! Where requests go: the documented regional host, or an explicit override
//! (the emulator, a VPC host, an STS stand-in in tests).
//!
//! Must never let credentials travel in clear text to another machine: plain
//! `http` is accepted only for loopback hosts.

use std::net::IpAddr;

use url::{Host, Url};

use super::error::FnfError;

/// Regions where fnf is documented. Other ids of the right shape are accepted
/// with a warning, since the service opens regions faster than docs change.
pub const DOCUMENTED_REGIONS: &[&str] = &[
    "cn-hangzhou",
    "cn-shanghai",
    "cn-beijing",
    "cn-qingdao",
    "cn-shenzhen",
    "ap-southeast-1",
    "us-west-1",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: Url,
    region: Option<String>,
}

impl Endpoint {
    /// `https://{region}.fnf.aliyuncs.com`.
    pub fn from_region(region: &str) -> Result<Self, FnfError> {
        if !is_region_shaped(region) {
            return Err(FnfError::InvalidConfig(format!(
                "region {region:?} is not an Alibaba Cloud region id (set --region / the region field to one of: {})",
                DOCUMENTED_REGIONS.join(", ")
            )));
        }
        if !DOCUMENTED_REGIONS.contains(&region) {
            tracing::warn!(
                region,
                "region is not in the documented fnf regions; using it anyway"
            );
        }
        let url = Url::parse(&format!("https://{region}.fnf.aliyuncs.com/")).map_err(|err| {
            FnfError::InvalidConfig(format!("region {region:?} gives no valid host: {err}"))
        })?;
        Ok(Self {
            url,
            region: Some(region.to_string()),
        })
    }

    /// An explicit base URL such as `https://cn-hangzhou-internal.fnf.aliyuncs.com`
    /// or `http://127.0.0.1:8080`. A bare host gets `https://`.
    pub fn from_url(endpoint: &str) -> Result<Self, FnfError> {
        Self::from_url_for_field("endpoint (--endpoint)", endpoint)
    }

    /// Like [`Endpoint::from_url`], naming `field` in errors.
    pub fn from_url_for_field(field: &str, endpoint: &str) -> Result<Self, FnfError> {
        let text = endpoint.trim();
        let with_scheme = if text.contains("://") {
            text.to_string()
        } else {
            format!("https://{text}")
        };
        let invalid =
            |why: &str| FnfError::InvalidConfig(format!("{field} {endpoint:?} is invalid: {why}"));
        let url = Url::parse(&with_scheme).map_err(|err| invalid(&err.to_string()))?;
        let host = url.host().ok_or_else(|| invalid("it has no host"))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&host) => {}
            "http" => {
                return Err(invalid(
                    "plain http is allowed only for loopback hosts (127.0.0.0/8, ::1, localhost); use https",
                ));
            }
            _ => return Err(invalid("the scheme must be https")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid("it must not carry user information"));
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(
                "it must be a bare scheme://host[:port] (the API path is always /)",
            ));
        }
        let region = url
            .host_str()
            .and_then(|h| h.strip_suffix(".fnf.aliyuncs.com"))
            .map(|r| r.trim_end_matches("-internal").to_string())
            .filter(|r| is_region_shaped(r));
        Ok(Self { url, region })
    }

    /// The base URL (path `/`).
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The region id, when known from the region or from a regional host.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The `host` header value as the HTTP client sends it: the host, plus
    /// the port when it is not the scheme's default.
    pub fn host_header(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        }
    }
}

/// `^[a-z]{2}-[a-z0-9-]+$`.
fn is_region_shaped(region: &str) -> bool {
    let bytes = region.as_bytes();
    bytes.len() > 3
        && bytes[..2].iter().all(u8::is_ascii_lowercase)
        && bytes[2] == b'-'
        && bytes[3..]
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_gives_the_documented_host() {
        let endpoint = Endpoint::from_region("cn-hangzhou").unwrap();
        assert_eq!(
            endpoint.url().as_str(),
            "https://cn-hangzhou.fnf.aliyuncs.com/"
        );
        assert_eq!(endpoint.host_header(), "cn-hangzhou.fnf.aliyuncs.com");
    }

    #[test]
    fn malformed_regions_are_refused_naming_the_field() {
        for region in ["", "hangzhou", "CN-hangzhou", "cn-hangzhou.evil.com", "cn-"] {
            let err = Endpoint::from_region(region).unwrap_err();
            assert!(err.to_string().contains("region"), "{err}");
        }
    }

    #[test]
    fn plain_http_only_reaches_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.9.9.9",
            "http://[::1]:1",
            "http://localhost:80/",
        ] {
            assert!(Endpoint::from_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://10.0.0.1",
            "http://example.com",
            "http://localhost.example.com",
            "ftp://127.0.0.1",
            "https://h/path",
        ] {
            let err = Endpoint::from_url(bad).unwrap_err();
            assert!(err.to_string().contains("endpoint"), "{err}");
        }
    }

    #[test]
    fn a_regional_override_keeps_its_region() {
        let endpoint = Endpoint::from_url("cn-shanghai-internal.fnf.aliyuncs.com").unwrap();
        assert_eq!(endpoint.region(), Some("cn-shanghai"));
        assert_eq!(
            Endpoint::from_url("http://127.0.0.1:9000")
                .unwrap()
                .host_header(),
            "127.0.0.1:9000"
        );
    }
}
