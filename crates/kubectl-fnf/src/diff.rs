//! `kubectl fnf diff FLOW`: the definition the cloud holds against the one
//! the `Flow` object declares, as a unified line diff. `line_diff` is pure;
//! `cloud_definition` reads the flow (DescribeFlow only: never writes).

use fnf_client::{Client, ClientConfig, CredentialProvider, ErrorCode};
use fnf_operator::crd::Flow;

use crate::error::PluginError;

/// The definitions are at most 128 KiB; a table of lines squared stays small
/// for the few hundred lines a flow has, and beyond this a diff says only
/// that they differ.
const DIFF_MAX_LINES: usize = 4_000;

/// A unified-style diff of `cloud` (`-`) against `spec` (`+`), every line
/// shown; empty when they are equal.
pub fn line_diff(cloud: &str, spec: &str) -> String {
    if cloud == spec {
        return String::new();
    }
    let a: Vec<&str> = cloud.lines().collect();
    let b: Vec<&str> = spec.lines().collect();
    let mut out = String::from("--- cloud\n+++ spec\n");
    if a.len() > DIFF_MAX_LINES || b.len() > DIFF_MAX_LINES {
        out.push_str("(the definitions differ; too long to diff line by line)\n");
        return out;
    }
    // Longest common subsequence, from the end.
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push_str(&format!(" {}\n", a[i]));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push_str(&format!("+{}\n", b[j]));
            j += 1;
        } else {
            out.push_str(&format!("-{}\n", a[i]));
            i += 1;
        }
    }
    if cloud.ends_with('\n') != spec.ends_with('\n') {
        out.push_str("\\ the definitions differ in their final newline\n");
    }
    out
}

/// What `diff` prints for `flow` given what the cloud holds (`None`: no such flow).
pub fn report(flow_name: &str, cloud: Option<&str>, spec: &str) -> String {
    match cloud {
        None => format!("flow {flow_name} does not exist in the cloud\n"),
        Some(cloud) => {
            let diff = line_diff(cloud, spec);
            if diff.is_empty() {
                format!("flow {flow_name}: the cloud holds the declared definition\n")
            } else {
                diff
            }
        }
    }
}

/// The cloud flow's name for `flow`: spec.flowName, else metadata.name.
pub fn flow_name(flow: &Flow) -> Result<String, PluginError> {
    flow.cloud_name().ok_or_else(|| {
        PluginError::InvalidSetting(format!(
            "Flow {} names no valid fnf flow: set spec.flowName",
            flow.metadata.name.as_deref().unwrap_or_default()
        ))
    })
}

/// The definition the cloud holds (`None` when the flow does not exist).
pub async fn cloud_definition(
    endpoint: fnf_client::Endpoint,
    region: Option<String>,
    credentials: CredentialProvider,
    name: &str,
) -> Result<Option<String>, PluginError> {
    let mut config =
        ClientConfig::new(endpoint).map_err(|err| PluginError::InvalidSetting(err.to_string()))?;
    config.region_id = region;
    let client = Client::new(config, credentials);
    match client.describe_flow(name).await {
        Ok(flow) => Ok(Some(flow.definition.unwrap_or_default())),
        Err(err) if err.error_code() == Some(ErrorCode::FlowNotExists) => Ok(None),
        Err(source) => Err(PluginError::Cloud {
            action: "DescribeFlow",
            flow_name: name.to_string(),
            execution_name: String::new(),
            source: Box::new(source),
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn equal_definitions_have_no_diff_and_a_changed_line_shows_both_ways() {
        assert_eq!(line_diff("a\nb\n", "a\nb\n"), "");
        assert_eq!(
            line_diff("a\nold\nc\n", "a\nnew\nc\n"),
            "--- cloud\n+++ spec\n a\n+new\n-old\n c\n"
        );
        assert!(report("f", None, "x").contains("does not exist"));
        assert!(report("f", Some("x"), "x").contains("holds the declared definition"));
    }
}
