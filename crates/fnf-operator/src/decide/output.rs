//! What the status holds of an execution's Output, and where the whole
//! Output goes (`spec.outputTo`). Pure.

use super::view::CloudView;
use crate::crd::{FlowExecutionStatus, OutputTarget};

/// The object `spec.outputTo` names, as `status.outputWrittenTo` records it.
pub fn output_target(target: &OutputTarget) -> Option<String> {
    match (&target.config_map, &target.secret) {
        (Some(cm), None) => Some(format!("ConfigMap/{}", cm.name)),
        (None, Some(secret)) => Some(format!("Secret/{}", secret.name)),
        _ => None,
    }
}

/// The whole Output, when the last read of the execution carried one.
pub fn full_output(cloud: &CloudView) -> Option<&str> {
    cloud
        .execution
        .as_ref()
        .and_then(|r| r.output.as_deref())
        .filter(|o| !o.is_empty())
}

/// Bounds what the status holds of the Output: whole up to `max_bytes`, else
/// its first bytes (cut at a character boundary) with `outputTruncated`. An
/// Output too large for the object would fail every status write and leave
/// the object showing a run that has long ended.
pub fn hold_output(status: &mut FlowExecutionStatus, cloud: &CloudView, max_bytes: usize) {
    let source = full_output(cloud).or(status.output.as_deref());
    let Some(output) = source else {
        status.output_truncated = None;
        return;
    };
    let held = cut_at_char_boundary(output, max_bytes);
    let truncated = held.len() < output.len();
    if full_output(cloud).is_some() || truncated {
        status.output_truncated = truncated.then_some(true);
    }
    status.output = Some(held.to_string());
}

/// The longest prefix of `text` of at most `max_bytes` that is whole characters.
pub fn cut_at_char_boundary(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
