//! The chart README's table of values is generated from values.yaml (each key, its
//! default, the comment above it); this test fails when the committed README is not
//! current. Regenerate with `FNF_WRITE_CHART_README=1 cargo test -p fnf-operator
//! --test offline chart::readme`.

use super::*;

const BEGIN: &str = "<!-- values:begin (generated from values.yaml; do not edit) -->";
const END: &str = "<!-- values:end -->";

struct Row {
    key: String,
    default: String,
    description: String,
}

/// Every key of values.yaml with its default and the comment block above it. Nested
/// maps are walked by indentation; block lists count as the value of their key.
fn rows(values: &str) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut comment: Vec<String> = Vec::new();
    for line in values.lines() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if trimmed.is_empty() {
            comment.clear();
            continue;
        }
        if let Some(text) = trimmed.strip_prefix('#') {
            // A section rule (# --- ...) is for readers of the file, not a description.
            if !text.trim_start().starts_with("---") {
                comment.push(text.strip_prefix(' ').unwrap_or(text).to_string());
            }
            continue;
        }
        if trimmed.starts_with("- ") {
            if let Some(last) = rows.last_mut() {
                let sep = if last.default.is_empty() { "" } else { ", " };
                last.default = format!("{}{sep}{}", last.default, trimmed);
            }
            continue;
        }
        let Some((key, value)) = trimmed.split_once(':') else {
            continue;
        };
        while path.last().is_some_and(|(i, _)| *i >= indent) {
            path.pop();
        }
        path.push((indent, key.to_string()));
        let full = path
            .iter()
            .map(|(_, k)| k.as_str())
            .collect::<Vec<_>>()
            .join(".");
        let value = value.trim();
        let description = comment.join(" ");
        comment.clear();
        rows.push(Row {
            key: full,
            default: value.to_string(),
            description,
        });
    }
    // Maps without a comment of their own are only headings of their keys.
    let keys: Vec<String> = rows.iter().map(|r| r.key.clone()).collect();
    rows.retain(|r| {
        !(r.default.is_empty()
            && r.description.is_empty()
            && keys.iter().any(|k| k.starts_with(&format!("{}.", r.key))))
    });
    rows
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn table(values: &str) -> String {
    let mut out = format!("{BEGIN}\n| Key | Default | Description |\n|---|---|---|\n");
    for row in rows(values) {
        let default = if row.default.is_empty() {
            String::new()
        } else {
            format!("`{}`", cell(&row.default))
        };
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            row.key,
            default,
            cell(&row.description)
        ));
    }
    out.push_str(END);
    out
}

#[test]
fn the_chart_readme_lists_every_value_as_values_yaml_has_it() {
    let values =
        std::fs::read_to_string(repo_path("charts/fnf-operator/values.yaml")).expect("values");
    let readme_path = repo_path("charts/fnf-operator/README.md");
    let readme = std::fs::read_to_string(&readme_path).expect("chart README.md");
    let (before, rest) = readme
        .split_once(BEGIN)
        .expect("README has the begin marker");
    let (_, after) = rest.split_once(END).expect("README has the end marker");
    let current = format!("{before}{}{after}", table(&values));
    if std::env::var_os("FNF_WRITE_CHART_README").is_some() {
        std::fs::write(&readme_path, &current).expect("write README");
        return;
    }
    assert!(
        readme == current,
        "charts/fnf-operator/README.md is not current: run \
         FNF_WRITE_CHART_README=1 cargo test -p fnf-operator --test offline chart::readme"
    );
    for key in [
        "extraArgs",
        "networkPolicy.cloud.cidrs",
        "crds.templated",
        "image.tag",
    ] {
        assert!(readme.contains(&format!("| `{key}` |")), "{key}");
    }
}
