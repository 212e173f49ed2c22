//! What GitOps tools conclude about a FlowExecution: Argo CD through our Lua
//! health check in a real Lua 5.1, Flux through the real kstatus code. Shared by
//! the fixture tests and the end-to-end tests on objects the operator wrote.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use mlua::{Lua, LuaOptions, StdLib};
use serde_json::Value;

pub const HEALTH_LUA: &str = "deploy/argocd/health.lua";
pub const FLOW_HEALTH_LUA: &str = "deploy/argocd/flow-health.lua";
pub const ARGOCD_FLOW_HEALTH_KEY: &str = "resource.customizations.health.fnf-operator.dev_Flow";
pub const ARGOCD_CM_SNIPPET: &str = "deploy/argocd/argocd-cm-snippet.yaml";
pub const ARGOCD_HEALTH_KEY: &str = "resource.customizations.health.fnf-operator.dev_FlowExecution";
pub const CRON_HEALTH_LUA: &str = "deploy/argocd/cron-health.lua";
pub const ARGOCD_CRON_HEALTH_KEY: &str =
    "resource.customizations.health.fnf-operator.dev_CronFlowExecution";

pub use crate::repo_path;

/// Argo CD's verdict on `obj`: (health status, message), computed by
/// `deploy/argocd/health.lua` in Lua 5.1 with only the libraries Argo CD opens for
/// health checks (base and table; no string, os or io), so the script cannot come
/// to depend on more than Argo CD gives it.
pub fn argo_health(obj: &Value) -> (String, String) {
    argo_health_by(HEALTH_LUA, obj)
}

/// Argo CD's verdict on a `Flow` through `deploy/argocd/flow-health.lua`.
pub fn argo_flow_health(obj: &Value) -> (String, String) {
    argo_health_by(FLOW_HEALTH_LUA, obj)
}

/// Argo CD's verdict on `obj` by the health check at `script` (a repository
/// path), in the same Lua 5.1 as [`argo_health`].
pub fn argo_health_by(script: &str, obj: &Value) -> (String, String) {
    let script = std::fs::read_to_string(repo_path(script)).expect("read the health check");
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
