//! What a release ships agrees with itself: one version everywhere, alerts that
//! promtool accepts and tests, workflows actionlint accepts, and a dashboard and
//! alerts that name only metrics the operator exports. promtool and actionlint run
//! here only when tools/release/build-tools.sh has cached them (tools/release/check.sh
//! builds and runs them otherwise).

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

use crate::metric_names;

fn read(relative: &str) -> String {
    std::fs::read_to_string(fnf_testkit::repo_path(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// `[workspace.package] version` of the root Cargo.toml: the one version.
fn workspace_version() -> String {
    let cargo = read("Cargo.toml");
    let section = cargo
        .split_once("[workspace.package]")
        .expect("[workspace.package]")
        .1;
    let line = section
        .lines()
        .find(|l| l.trim_start().starts_with("version"))
        .expect("workspace.package.version");
    line.split('"').nth(1).expect("quoted version").to_string()
}

#[test]
fn cargo_chart_image_binary_and_changelog_versions_agree() {
    let version = workspace_version();
    // Every crate inherits it, so the binaries' --version and build_info carry it.
    for krate in [
        "fnf-operator",
        "kubectl-fnf",
        "fnf-client",
        "fnf-emulator",
        "fnf-testkit",
        "fnf-bench",
    ] {
        let manifest = read(&format!("crates/{krate}/Cargo.toml"));
        assert!(
            manifest.contains("version.workspace = true"),
            "crates/{krate} has a version of its own"
        );
    }
    let build_info = format!(r#"fnf_operator_build_info{{version="{version}"}} 1"#);
    let metrics = fnf_operator::Metrics::new().render();
    assert!(metrics.contains(&build_info), "{metrics}");

    let chart: Value = serde_saphyr::from_str(&read("charts/fnf-operator/Chart.yaml")).unwrap();
    assert_eq!(chart["version"], version.as_str(), "Chart.yaml version");
    assert_eq!(
        chart["appVersion"],
        version.as_str(),
        "Chart.yaml appVersion"
    );
    // The image tag: empty means appVersion; anything else must still be this version.
    let values: Value = serde_saphyr::from_str(&read("charts/fnf-operator/values.yaml")).unwrap();
    let tag = values["image"]["tag"].as_str().unwrap();
    assert!(tag.is_empty() || tag == version, "image.tag {tag}");

    let changelog = read("CHANGELOG.md");
    assert!(
        changelog.contains(&format!("## [{version}]")),
        "CHANGELOG.md has no section for {version}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_fnf-operator"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("fnf-operator {version}")
    );
}

#[test]
fn the_release_script_checks_the_same_versions() {
    let out = Command::new("bash")
        .arg(fnf_testkit::repo_path("tools/release/versions.sh"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        workspace_version()
    );
}

/// A fresh registry with one series in every family: a family without series is
/// not in the text at all (prometheus-client writes no `# TYPE` for it).
fn metrics_with_every_family() -> String {
    let metrics = fnf_operator::Metrics::new();
    metrics.reconciled();
    metrics.reconcile_failed("KubernetesApi");
    metrics.status_written();
    metrics.controller_error();
    metrics.start_sent(false);
    (metrics.call_observer().0)(
        "DescribeExecution",
        "Success",
        std::time::Duration::from_millis(5),
    );
    metrics.ending_seen("long-poll", std::time::Duration::from_millis(50));
    metrics.event("Succeeded", true);
    metrics.set_executions(&[("Running".to_string(), 1)].into());
    metrics.set_step_data_age(std::time::Duration::from_secs(1));
    metrics.set_leader(true);
    metrics.render()
}

#[test]
fn dashboard_and_alerts_name_only_metrics_the_operator_exports() {
    let used = metric_names::used_by_dashboard_and_alerts();
    assert!(used.len() >= 10, "{used:?}");
    let missing = metric_names::missing_from(&metrics_with_every_family());
    assert!(missing.is_empty(), "not exported: {missing:?}");
}

/// The cached release tool's path, or None (the test then has nothing to run).
fn cached_tool(name: &str) -> Option<PathBuf> {
    let out = Command::new("bash")
        .arg(fnf_testkit::repo_path("tools/release/build-tools.sh"))
        .arg(name)
        .env("FNF_RELEASE_TOOLS_CACHED_ONLY", "1")
        .output()
        .unwrap();
    if !out.status.success() {
        eprintln!("{name} is not built (tools/release/build-tools.sh {name}): skipped");
        return None;
    }
    Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join(name))
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.current_dir(fnf_testkit::REPO_ROOT).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn alerts_pass_promtool_check_and_unit_tests() {
    let Some(promtool) = cached_tool("promtool") else {
        return;
    };
    run_ok(Command::new(&promtool).args([
        "check",
        "rules",
        "charts/fnf-operator/files/alerts.yaml",
    ]));
    run_ok(Command::new(&promtool).args(["test", "rules", "deploy/prometheus/alerts_test.yaml"]));
}

#[test]
fn workflows_pass_actionlint() {
    let Some(actionlint) = cached_tool("actionlint") else {
        return;
    };
    // shellcheck and pyflakes are used when on PATH; actionlint's own checks always run.
    run_ok(&mut Command::new(actionlint));
}
