//! From a FlowExecution (and flags) to what to ask the cloud, with which key,
//! and what to print for `output`.
//!
//! Pure: no I/O. Must never put a Secret's value into an error.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;

use super::error::PluginError;
use fnf_client::{Credentials, Endpoint};
use fnf_operator::crd::{FlowExecution, phase};

pub const SECRET_KEY_ID: &str = "accessKeyId";
pub const SECRET_KEY_SECRET: &str = "accessKeySecret";
pub const SECRET_KEY_TOKEN: &str = "securityToken";

/// The execution a FlowExecution stands for, and where to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryTarget {
    pub flow_name: String,
    pub execution_name: String,
    /// Sent as RegionId; `None` only with an explicit endpoint.
    pub region: Option<String>,
    pub endpoint: Endpoint,
}

/// Flow and execution names as the operator recorded them (falling back to the
/// spec and the deterministic default); region from `spec.region`, else
/// `region_fallback`; endpoint from `endpoint_override`, else the region's host.
pub fn history_target(
    fe: &FlowExecution,
    region_fallback: Option<&str>,
    endpoint_override: Option<&str>,
) -> Result<HistoryTarget, PluginError> {
    let status = fe.status.as_ref();
    let recorded = |field: Option<&String>| field.filter(|v| !v.trim().is_empty()).cloned();
    let flow_name = recorded(status.and_then(|s| s.flow_name.as_ref()))
        .unwrap_or_else(|| fe.spec.flow_name.clone());
    let execution_name = recorded(status.and_then(|s| s.execution_name.as_ref()))
        .unwrap_or_else(|| fe.resolved_execution_name());
    let region = recorded(fe.spec.region.as_ref()).or_else(|| {
        region_fallback
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
    });
    let endpoint = match endpoint_override.map(str::trim).filter(|e| !e.is_empty()) {
        Some(url) => Endpoint::from_url_for_field("--endpoint (FNF_ENDPOINT)", url),
        None => match &region {
            Some(region) => Endpoint::from_region(region),
            None => {
                let (namespace, name) = object_key(fe);
                return Err(PluginError::NoRegion { namespace, name });
            }
        },
    }
    .map_err(|err| PluginError::InvalidSetting(err.to_string()))?;
    Ok(HistoryTarget {
        flow_name,
        execution_name,
        region,
        endpoint,
    })
}

/// The key from a credentials Secret's data (values trimmed, as the operator
/// reads them).
pub fn secret_credentials(
    namespace: &str,
    name: &str,
    data: &BTreeMap<String, ByteString>,
) -> Result<Credentials, PluginError> {
    let text = |key: &str| {
        data.get(key)
            .and_then(|value| std::str::from_utf8(&value.0).ok())
            .map(str::trim)
            .filter(|value| !value.is_empty())
            .map(str::to_string)
    };
    let missing = |key: &'static str| PluginError::SecretKeyMissing {
        namespace: namespace.to_string(),
        name: name.to_string(),
        key,
    };
    Ok(Credentials {
        access_key_id: text(SECRET_KEY_ID).ok_or_else(|| missing(SECRET_KEY_ID))?,
        access_key_secret: text(SECRET_KEY_SECRET).ok_or_else(|| missing(SECRET_KEY_SECRET))?,
        security_token: text(SECRET_KEY_TOKEN),
    })
}

/// `status.output`, verbatim; an error naming the phase when there is none.
pub fn recorded_output(fe: &FlowExecution) -> Result<&str, PluginError> {
    let status = fe.status.as_ref();
    match status.and_then(|s| s.output.as_deref()) {
        Some(output) => Ok(output),
        None => {
            let (namespace, name) = object_key(fe);
            Err(PluginError::NoOutput {
                namespace,
                name,
                phase: status
                    .and_then(|s| s.phase.clone())
                    .unwrap_or_else(|| phase::PENDING.to_string()),
            })
        }
    }
}

/// Whether `status.output` holds only the first bytes of the Output.
pub fn output_truncated(fe: &FlowExecution) -> bool {
    fe.status.as_ref().and_then(|s| s.output_truncated) == Some(true)
}

pub fn object_key(fe: &FlowExecution) -> (String, String) {
    (
        fe.metadata.namespace.clone().unwrap_or_default(),
        fe.metadata.name.clone().unwrap_or_default(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use fnf_operator::crd::FlowExecutionStatus;

    fn flow_execution(spec: serde_json::Value) -> FlowExecution {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "fnf-operator.dev/v1alpha1",
            "kind": "FlowExecution",
            "metadata": {"name": "nightly.run", "namespace": "team-a"},
            "spec": spec,
        }))
        .unwrap()
    }

    #[test]
    fn the_recorded_execution_name_wins_over_the_default() {
        let mut fe =
            flow_execution(serde_json::json!({"flowName": "etl", "region": "cn-shanghai"}));
        let target = history_target(&fe, None, None).unwrap();
        assert_eq!(target.flow_name, "etl");
        assert_eq!(target.execution_name, "team-a_nightly_run");
        assert_eq!(target.region.as_deref(), Some("cn-shanghai"));
        assert_eq!(
            target.endpoint.url().as_str(),
            "https://cn-shanghai.fnf.aliyuncs.com/"
        );

        fe.status = Some(FlowExecutionStatus {
            execution_name: Some("adopted-7".into()),
            ..FlowExecutionStatus::default()
        });
        assert_eq!(
            history_target(&fe, None, None).unwrap().execution_name,
            "adopted-7"
        );
    }

    #[test]
    fn spec_region_wins_over_the_flag_which_only_fills_a_gap() {
        let with = flow_execution(serde_json::json!({"flowName": "etl", "region": "cn-beijing"}));
        let target = history_target(&with, Some("us-west-1"), None).unwrap();
        assert_eq!(target.region.as_deref(), Some("cn-beijing"));
        let without = flow_execution(serde_json::json!({"flowName": "etl"}));
        let target = history_target(&without, Some("us-west-1"), None).unwrap();
        assert_eq!(
            target.endpoint.url().as_str(),
            "https://us-west-1.fnf.aliyuncs.com/"
        );
    }

    #[test]
    fn no_region_anywhere_names_the_flag_and_the_variable() {
        let fe = flow_execution(serde_json::json!({"flowName": "etl"}));
        let err = history_target(&fe, Some("  "), None).unwrap_err();
        assert_eq!(err.reason(), "NoRegion");
        let message = err.to_string();
        assert!(
            message.contains("--region") && message.contains("FNF_REGION"),
            "{message}"
        );
        assert!(message.contains("team-a/nightly.run"), "{message}");
    }

    #[test]
    fn an_endpoint_needs_no_region_and_must_be_safe() {
        let fe = flow_execution(serde_json::json!({"flowName": "etl"}));
        let target = history_target(&fe, None, Some("http://127.0.0.1:9000")).unwrap();
        assert_eq!(target.region, None);
        assert_eq!(target.endpoint.url().as_str(), "http://127.0.0.1:9000/");
        let err = history_target(&fe, None, Some("http://example.com")).unwrap_err();
        assert_eq!(err.reason(), "InvalidSetting");
        assert!(err.to_string().contains("FNF_ENDPOINT"), "{err}");
    }

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, ByteString> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
            .collect()
    }

    #[test]
    fn a_secret_gives_its_trimmed_key() {
        let credentials = secret_credentials(
            "ns",
            "keys",
            &data(&[
                ("accessKeyId", "LTAIid\n"),
                ("accessKeySecret", "s3cr3t"),
                ("securityToken", ""),
            ]),
        )
        .unwrap();
        assert_eq!(credentials.access_key_id, "LTAIid");
        assert_eq!(credentials.access_key_secret, "s3cr3t");
        assert_eq!(credentials.security_token, None);
    }

    #[test]
    fn a_secret_missing_a_key_names_the_key_and_never_a_value() {
        let err = secret_credentials("ns", "keys", &data(&[("accessKeyId", "LTAIvisible-id")]))
            .unwrap_err();
        assert_eq!(err.reason(), "SecretKeyMissing");
        let message = err.to_string();
        assert!(
            message.contains("ns/keys") && message.contains("has no accessKeySecret"),
            "{message}"
        );
        let err = secret_credentials("ns", "keys", &data(&[("accessKeySecret", "TOPSECRET")]))
            .unwrap_err();
        assert!(!err.to_string().contains("TOPSECRET"));
        assert!(!format!("{err:?}").contains("TOPSECRET"));
    }

    #[test]
    fn output_is_read_from_the_status_verbatim() {
        let mut fe = flow_execution(serde_json::json!({"flowName": "etl"}));
        fe.status = Some(FlowExecutionStatus {
            phase: Some("Succeeded".into()),
            output: Some(r#"{"b":1}"#.into()),
            ..FlowExecutionStatus::default()
        });
        assert_eq!(recorded_output(&fe).unwrap(), r#"{"b":1}"#);
    }

    #[test]
    fn no_output_says_the_execution_has_not_succeeded_and_its_phase() {
        let mut fe = flow_execution(serde_json::json!({"flowName": "etl"}));
        let err = recorded_output(&fe).unwrap_err();
        assert!(err.to_string().contains("phase: Pending"), "{err}");
        fe.status = Some(FlowExecutionStatus {
            phase: Some("Running".into()),
            ..FlowExecutionStatus::default()
        });
        let err = recorded_output(&fe).unwrap_err();
        assert_eq!(err.reason(), "OutputNotAvailable");
        let message = err.to_string();
        assert!(
            message.contains("has not succeeded yet") && message.contains("phase: Running"),
            "{message}"
        );
    }
}
