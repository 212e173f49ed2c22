//! What GitOps tools conclude about a FlowExecution: Argo CD through our Lua health
//! check (`deploy/argocd/health.lua`, run in a real Lua 5.1), Flux through kstatus
//! (the built `kstatus-check`, the same `status.Compute` Flux's health checks call).
//!
//! The fixtures in `tests/fixtures/flowexecutions/` are shaped by the conditions
//! table in the README; `argo_health` and `kstatus` are pure helpers other tests can
//! feed objects the operator produced.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use fnf_operator::crd::FlowExecution;
use mlua::{Lua, LuaOptions, StdLib};
use serde::Deserialize as _;
use serde_json::{Value, json};

const HEALTH_LUA: &str = "deploy/argocd/health.lua";
const ARGOCD_CM_SNIPPET: &str = "deploy/argocd/argocd-cm-snippet.yaml";
const ARGOCD_HEALTH_KEY: &str = "resource.customizations.health.fnf-operator.dev_FlowExecution";

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn fixture(name: &str) -> Value {
    let path = repo_path(&format!("tests/fixtures/flowexecutions/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// Argo CD's verdict on `obj`: (health status, message), computed by
/// `deploy/argocd/health.lua` in Lua 5.1 with only the libraries Argo CD opens for
/// health checks (base and table; no string, os or io), so the script cannot come
/// to depend on more than Argo CD gives it.
pub fn argo_health(obj: &Value) -> (String, String) {
    let script = std::fs::read_to_string(repo_path(HEALTH_LUA)).expect("read health.lua");
    let lua = Lua::new_with(StdLib::TABLE, LuaOptions::new()).expect("start Lua 5.1");
    let lua_obj = to_lua(&lua, obj);
    lua.globals().set("obj", lua_obj).expect("set obj");
    let hs: mlua::Table = lua
        .load(script.as_str())
        .set_name("health.lua")
        .eval()
        .unwrap_or_else(|e| panic!("health.lua failed on {obj}: {e}"));
    let status: String = hs.get("status").expect("hs.status is a string");
    let message: Option<String> = hs.get("message").expect("hs.message is a string or nil");
    (status, message.unwrap_or_default())
}

/// JSON as Argo CD hands it to Lua: objects and arrays become tables (arrays
/// 1-based), numbers become Lua numbers, null becomes nil (the key is absent).
fn to_lua(lua: &Lua, value: &Value) -> mlua::Value {
    match value {
        Value::Null => mlua::Value::Nil,
        Value::Bool(b) => mlua::Value::Boolean(*b),
        Value::Number(n) => mlua::Value::Number(n.as_f64().expect("finite number")),
        Value::String(s) => mlua::Value::String(lua.create_string(s).expect("Lua string")),
        Value::Array(items) => {
            let table = lua.create_table().expect("Lua table");
            for (i, item) in items.iter().enumerate() {
                table.set(i + 1, to_lua(lua, item)).expect("set array item");
            }
            mlua::Value::Table(table)
        }
        Value::Object(map) => {
            let table = lua.create_table().expect("Lua table");
            for (key, item) in map {
                table
                    .set(key.as_str(), to_lua(lua, item))
                    .expect("set field");
            }
            mlua::Value::Table(table)
        }
    }
}

fn control_plane_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let out = Command::new("bash")
            .arg(repo_path("tools/control-plane/build.sh"))
            .stderr(Stdio::inherit())
            .output()
            .expect("run tools/control-plane/build.sh");
        assert!(out.status.success(), "tools/control-plane/build.sh failed");
        PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
    })
}

/// kstatus's verdict on `obj` (what Flux's `wait: true` and `healthChecks` use):
/// (InProgress | Current | Failed | Terminating | ..., message).
pub fn kstatus(obj: &Value) -> (String, String) {
    let mut child = Command::new(control_plane_bin().join("kstatus-check"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kstatus-check");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(obj.to_string().as_bytes())
        .expect("write object");
    let out = child.wait_with_output().expect("kstatus-check output");
    assert!(
        out.status.success(),
        "kstatus-check failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let (status, message) = line.split_once(' ').unwrap_or((line.as_str(), ""));
    (status.to_string(), message.to_string())
}

fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

fn condition_status(obj: &Value, type_: &str) -> Option<String> {
    condition(obj, type_).map(|c| c["status"].as_str().unwrap_or_default().to_string())
}

/// fixture, Argo CD health, kstatus status
const EXPECTED: [(&str, &str, &str); 6] = [
    ("running", "Progressing", "InProgress"),
    ("succeeded", "Healthy", "Current"),
    ("failed", "Degraded", "Failed"),
    ("stopped", "Degraded", "Failed"),
    ("refused", "Degraded", "Failed"),
    // kstatus says Current here, not InProgress: see the test below.
    ("no-status", "Progressing", "Current"),
];

#[test]
fn fixtures_are_flowexecutions_shaped_by_the_conditions_table() {
    // (fixture, Succeeded, Completed, Ready, Reconciling, Stalled); None = absent.
    let table: [(&str, [Option<&str>; 5]); 5] = [
        (
            "running",
            [
                Some("Unknown"),
                Some("False"),
                Some("False"),
                Some("True"),
                None,
            ],
        ),
        (
            "succeeded",
            [Some("True"), Some("True"), Some("True"), None, None],
        ),
        (
            "failed",
            [
                Some("False"),
                Some("True"),
                Some("False"),
                None,
                Some("True"),
            ],
        ),
        (
            "stopped",
            [
                Some("False"),
                Some("True"),
                Some("False"),
                None,
                Some("True"),
            ],
        ),
        (
            "refused",
            [
                Some("False"),
                Some("True"),
                Some("False"),
                None,
                Some("True"),
            ],
        ),
    ];
    for (name, expected) in table {
        let obj = fixture(name);
        let typed: FlowExecution = serde_json::from_value(obj.clone())
            .unwrap_or_else(|e| panic!("{name} does not match the CRD types: {e}"));
        let status = typed.status.expect("status");
        assert_eq!(
            status.observed_generation, typed.metadata.generation,
            "{name}"
        );
        let types = ["Succeeded", "Completed", "Ready", "Reconciling", "Stalled"];
        for (type_, want) in types.iter().zip(expected) {
            assert_eq!(
                condition_status(&obj, type_).as_deref(),
                want,
                "{name} {type_}"
            );
        }
        assert_eq!(
            condition_status(&obj, "CloudReachable").as_deref(),
            Some("True")
        );
    }
    for (name, reason) in [
        ("failed", "Failed"),
        ("stopped", "Stopped"),
        ("refused", "FlowNotExists"),
    ] {
        let obj = fixture(name);
        assert_eq!(
            condition(&obj, "Succeeded").expect("Succeeded")["reason"],
            reason,
            "{name}"
        );
    }
    let bare: FlowExecution = serde_json::from_value(fixture("no-status")).expect("no-status");
    assert!(bare.status.is_none());
}

#[test]
fn argo_cd_health_follows_the_conditions_table() {
    for (name, argo, _) in EXPECTED {
        let (status, message) = argo_health(&fixture(name));
        assert_eq!(status, argo, "{name}: {message}");
        assert!(
            !message.is_empty(),
            "{name}: Argo CD shows an empty message"
        );
    }
}

#[test]
fn argo_cd_degraded_message_carries_the_stalled_reason_and_message() {
    for name in ["failed", "stopped", "refused"] {
        let obj = fixture(name);
        let stalled = condition(&obj, "Stalled").expect("Stalled");
        let (_, message) = argo_health(&obj);
        let want = format!(
            "{}: {}",
            stalled["reason"].as_str().expect("reason"),
            stalled["message"].as_str().expect("message")
        );
        assert_eq!(message, want, "{name}");
    }
}

#[test]
fn kstatus_follows_the_conditions_table_once_the_operator_has_written_status() {
    for (name, _, flux) in EXPECTED.iter().filter(|(name, ..)| *name != "no-status") {
        let (status, message) = kstatus(&fixture(name));
        assert_eq!(&status, flux, "{name}: {message}");
    }
    let failed = fixture("failed");
    let stalled_message = condition(&failed, "Stalled").expect("Stalled")["message"].clone();
    assert_eq!(json!(kstatus(&failed).1), stalled_message);
}

/// kstatus has no rule for an object without status or observedGeneration and calls
/// it Current, so Flux's `wait: true` can pass before the operator has looked at a
/// new FlowExecution. This pins that gap (docs/gitops.md gives the workaround): if
/// the CRD starts defaulting status.observedGeneration, this turns InProgress.
#[test]
fn kstatus_calls_a_flowexecution_without_status_current() {
    assert_eq!(kstatus(&fixture("no-status")).0, "Current");
}

/// The fix for the gap above, measured on a real kube-apiserver 1.37: a CRD whose
/// `status` schema has `default: {observedGeneration: 0}` returns a new object with
/// that status before any controller has written one. Both tools then wait.
#[test]
fn a_defaulted_observed_generation_of_zero_keeps_an_untouched_flowexecution_in_progress() {
    let mut obj = fixture("no-status");
    obj["status"] = json!({ "observedGeneration": 0 });
    assert_eq!(kstatus(&obj).0, "InProgress");
    assert_eq!(argo_health(&obj).0, "Progressing");
}

#[test]
fn a_spec_change_not_yet_observed_is_progressing_for_argo_cd_and_flux() {
    let mut obj = fixture("succeeded");
    obj["metadata"]["generation"] = json!(2);
    let (status, message) = argo_health(&obj);
    assert_eq!(status, "Progressing");
    assert!(message.contains("generation 2"), "{message}");
    assert_eq!(kstatus(&obj).0, "InProgress");
}

#[test]
fn an_unreachable_cloud_keeps_a_running_execution_progressing_and_says_so() {
    let mut obj = fixture("running");
    let conditions = obj["status"]["conditions"]
        .as_array_mut()
        .expect("conditions");
    let reachable = conditions
        .iter_mut()
        .find(|c| c["type"] == "CloudReachable")
        .expect("CloudReachable");
    reachable["status"] = json!("False");
    reachable["reason"] = json!("ResourceThrottled");
    let (status, message) = argo_health(&obj);
    assert_eq!(status, "Progressing");
    assert!(
        message.contains("cloud unreachable: ResourceThrottled"),
        "{message}"
    );
    assert_eq!(kstatus(&obj).0, "InProgress");
}

#[test]
fn argo_cd_falls_back_to_the_phase_when_there_are_no_conditions() {
    for (phase, want) in [
        ("Pending", "Progressing"),
        ("Starting", "Progressing"),
        ("Running", "Progressing"),
        ("Succeeded", "Healthy"),
        ("Failed", "Degraded"),
        ("TimedOut", "Degraded"),
        ("Stopped", "Degraded"),
        ("SomethingNew", "Progressing"),
    ] {
        let mut obj = fixture("no-status");
        obj["status"] = json!({ "phase": phase, "observedGeneration": 1 });
        assert_eq!(argo_health(&obj).0, want, "phase {phase}");
    }
}

#[test]
fn argo_cd_snippet_installs_exactly_health_lua() {
    let snippet = std::fs::read_to_string(repo_path(ARGOCD_CM_SNIPPET)).expect("snippet");
    let cm: serde_yaml::Value = serde_yaml::from_str(&snippet).expect("snippet is YAML");
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(cm["metadata"]["name"], "argocd-cm");
    let embedded = cm["data"][ARGOCD_HEALTH_KEY].as_str().expect("health key");
    let lua = std::fs::read_to_string(repo_path(HEALTH_LUA)).expect("health.lua");
    assert_eq!(
        embedded, lua,
        "argocd-cm-snippet.yaml drifted from health.lua"
    );
}

/// The examples are what users commit to Git: every FlowExecution in them must be
/// one the CRD types accept, and the flow they run must be a chain that ends.
#[test]
fn examples_are_flowexecutions_and_their_flow_is_a_chain_that_ends() {
    let mut seen = 0;
    for example in ["start", "observe", "stop", "credentials-secret"] {
        let text = std::fs::read_to_string(repo_path(&format!("examples/{example}.yaml")))
            .expect("example");
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value = serde_yaml::Value::deserialize(doc).expect("YAML");
            if value["kind"] == "FlowExecution" {
                let fe: FlowExecution = serde_yaml::from_value(value)
                    .unwrap_or_else(|e| panic!("examples/{example}.yaml: {e}"));
                assert_eq!(fe.spec.flow_name, "hello", "{example}");
                seen += 1;
            }
        }
    }
    assert_eq!(seen, 4);

    let flow_text = std::fs::read_to_string(repo_path("examples/flow-hello.yaml")).expect("flow");
    let flow: serde_yaml::Value = serde_yaml::from_str(&flow_text).expect("flow YAML");
    assert_eq!(
        (flow["Type"].as_str(), flow["Name"].as_str()),
        (Some("StateMachine"), Some("hello"))
    );
    let states = flow["States"].as_sequence().expect("States");
    let mut at = flow["StartAt"].as_str().expect("StartAt").to_string();
    let mut path = Vec::new();
    loop {
        let state = states
            .iter()
            .find(|s| s["Name"] == at.as_str())
            .expect("state exists");
        path.push(state["Type"].as_str().expect("Type").to_string());
        match state["Next"].as_str() {
            Some(next) if path.len() <= states.len() => at = next.to_string(),
            _ => break,
        }
    }
    assert_eq!(path, ["Pass", "Wait", "Succeed"]);
}
