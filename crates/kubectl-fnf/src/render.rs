//! How `kubectl fnf` prints: the history table, event JSON and the Output.
//!
//! Pure: no I/O. Every function returns the text to print, ending in a newline.

use serde::Serialize;

use super::ordered_json::OrderedJson;
use fnf_client::HistoryEvent;

/// DETAIL cells longer than this are cut (with `…`) unless `--wide`.
pub const DETAIL_MAX_CHARS: usize = 80;
/// What an empty cell shows, as kubectl prints it.
pub const NONE_CELL: &str = "<none>";
const COLUMN_GAP: &str = "   ";
const ELLIPSIS: char = '…';

pub const HISTORY_COLUMNS: [&str; 5] = ["EVENT ID", "TIME", "TYPE", "STEP", "DETAIL"];

/// The history as a kubectl-style table, one event per line.
pub fn history_table(events: &[HistoryEvent], wide: bool) -> String {
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|event| {
            let detail = event
                .event_detail
                .as_deref()
                .map(one_line)
                .unwrap_or_default();
            let detail = if wide {
                detail
            } else {
                truncate_chars(&detail, DETAIL_MAX_CHARS)
            };
            vec![
                event.event_id.to_string(),
                cell(event.time.as_deref()),
                cell(Some(&event.event_type)),
                cell(event.step_name.as_deref()),
                cell(Some(&detail)),
            ]
        })
        .collect();
    table(&HISTORY_COLUMNS, &rows)
}

/// Columns padded to their widest cell, separated by three spaces; the last
/// column is not padded, so no line ends in blanks.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (width, value) in widths.iter_mut().zip(row) {
            *width = (*width).max(value.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(rows) {
        let last = row.len().saturating_sub(1);
        for (index, value) in row.iter().enumerate() {
            text.push_str(value);
            if index < last {
                let width = widths.get(index).copied().unwrap_or_default();
                let pad = width.saturating_sub(value.chars().count());
                text.extend(std::iter::repeat_n(' ', pad));
                text.push_str(COLUMN_GAP);
            }
        }
        text.push('\n');
    }
    text
}

/// At most `max_chars` characters; a cut text ends in `…`.
pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    cut.push(ELLIPSIS);
    cut
}

/// An event detail on one line: compact JSON when it is JSON, otherwise the
/// text with every run of whitespace (newlines too) made one space.
pub fn one_line(detail: &str) -> String {
    match OrderedJson::parse(detail) {
        Some(json) => json.to_compact(),
        None => detail.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

fn cell(value: Option<&str>) -> String {
    match value.map(str::trim) {
        Some(text) if !text.is_empty() => text.to_string(),
        _ => NONE_CELL.to_string(),
    }
}

/// One event as `-o json` prints it: the cloud's field names, in the cloud's
/// order; `EventDetail` stays the string the cloud sent.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EventJson<'a> {
    #[serde(rename = "Type")]
    event_type: &'a str,
    event_id: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule_event_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    time: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    step_name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event_detail: Option<&'a str>,
}

/// The events as a pretty JSON array.
pub fn history_json(events: &[HistoryEvent]) -> String {
    let events: Vec<EventJson<'_>> = events
        .iter()
        .map(|event| EventJson {
            event_type: &event.event_type,
            event_id: event.event_id,
            schedule_event_id: event.schedule_event_id,
            time: event.time.as_deref(),
            step_name: event.step_name.as_deref(),
            event_detail: event.event_detail.as_deref(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&events).unwrap_or_else(|_| "[]".to_string());
    text.push('\n');
    text
}

/// An execution's Output: pretty JSON (keys in their order) when it is JSON,
/// otherwise verbatim.
pub fn output_text(output: &str) -> String {
    let mut text = match OrderedJson::parse(output) {
        Some(json) => json.to_pretty(),
        None => output.to_string(),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, kind: &str, step: Option<&str>, detail: Option<&str>) -> HistoryEvent {
        HistoryEvent {
            event_type: kind.to_string(),
            event_id: id,
            schedule_event_id: None,
            time: Some("2026-01-02T03:04:05.678Z".to_string()),
            step_name: step.map(str::to_string),
            event_detail: detail.map(str::to_string),
        }
    }

    #[test]
    fn the_table_aligns_columns_under_their_headers() {
        let events = [
            event(1, "ExecutionStarted", None, Some(r#"{"input": {"n": 1}}"#)),
            event(12, "StepEntered", Some("Greet"), Some("{}")),
        ];
        let table = history_table(&events, false);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[0],
            "EVENT ID   TIME                       TYPE               STEP     DETAIL"
        );
        assert_eq!(
            lines[1],
            r#"1          2026-01-02T03:04:05.678Z   ExecutionStarted   <none>   {"input":{"n":1}}"#
        );
        assert_eq!(
            lines[2],
            "12         2026-01-02T03:04:05.678Z   StepEntered        Greet    {}"
        );
        for line in &lines {
            assert_eq!(line.trim_end(), *line, "no trailing blanks");
        }
    }

    #[test]
    fn long_details_are_cut_to_the_limit_unless_wide() {
        let long = format!(r#"{{"text": "{}"}}"#, "x".repeat(200));
        let events = [event(1, "StepSucceeded", Some("Greet"), Some(&long))];
        let narrow = history_table(&events, false);
        let detail = narrow.lines().nth(1).unwrap().rsplit("   ").next().unwrap();
        assert_eq!(detail.chars().count(), DETAIL_MAX_CHARS);
        assert!(detail.ends_with('…'));
        let wide = history_table(&events, true);
        let detail = wide.lines().nth(1).unwrap().rsplit("   ").next().unwrap();
        assert_eq!(detail, one_line(&long));
        assert!(detail.ends_with(r#"x"}"#));
    }

    #[test]
    fn truncation_counts_characters_not_bytes() {
        assert_eq!(truncate_chars("步骤一二三四", 4), "步骤一…");
        assert_eq!(truncate_chars("步骤", 2), "步骤");
        assert_eq!(truncate_chars("abc", 0), "…");
    }

    #[test]
    fn details_never_break_a_table_line() {
        assert_eq!(
            one_line("{\n  \"a\": 1,\n  \"b\": [1, 2]\n}"),
            r#"{"a":1,"b":[1,2]}"#
        );
        assert_eq!(one_line("not json\n\tat all  "), "not json at all");
    }

    #[test]
    fn empty_cells_show_none_as_kubectl_does() {
        let table = history_table(&[event(3, "ExecutionSucceeded", Some(" "), None)], false);
        let row = table.lines().nth(1).unwrap();
        assert!(row.ends_with("<none>   <none>"), "{row}");
    }

    #[test]
    fn json_keeps_the_cloud_field_names_and_leaves_the_detail_a_string() {
        let mut e = event(5, "TaskFailed", Some("Call"), Some(r#"{"error":"E"}"#));
        e.schedule_event_id = Some(4);
        let text = history_json(&[e]);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!([{
                "Type": "TaskFailed", "EventId": 5, "ScheduleEventId": 4,
                "Time": "2026-01-02T03:04:05.678Z", "StepName": "Call",
                "EventDetail": "{\"error\":\"E\"}"
            }])
        );
        assert!(text.find("\"Type\"") < text.find("\"EventId\""));
        assert_eq!(history_json(&[]), "[]\n");
    }

    #[test]
    fn json_output_is_pretty_printed_in_its_own_key_order() {
        assert_eq!(
            output_text(r#"{"z":1,"a":{"k":"v"}}"#),
            "{\n  \"z\": 1,\n  \"a\": {\n    \"k\": \"v\"\n  }\n}\n"
        );
    }

    #[test]
    fn output_that_is_not_json_is_printed_verbatim() {
        assert_eq!(output_text("plain words"), "plain words\n");
        assert_eq!(output_text("line\n"), "line\n");
    }
}
