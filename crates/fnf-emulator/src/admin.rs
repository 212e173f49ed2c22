//! The emulator's own HTTP endpoint under `/_emulator/` (not part of the fnf
//! API, unsigned, answered even while paused): counters, faults, flows and
//! execution snapshots for tests and demos.
//!
//! - `GET  /_emulator/health`
//! - `GET  /_emulator/counters`
//! - `POST /_emulator/faults` with one fault or a list (`{"kind":"FailNext",...}`)
//! - `DELETE /_emulator/faults` (clears faults and resumes)
//! - `POST /_emulator/pause`, `POST /_emulator/resume`
//! - `POST /_emulator/flows` with `{"name","definition","mode"}`
//! - `GET  /_emulator/executions/{flow}/{execution}`

use axum::body::Body;
use http::{Method, Request, Response};
use serde_json::{Value, json};

use super::config::PreloadedFlow;
use super::faults::Fault;
use super::pipeline::json_response;
use super::service::{Service, new_request_id};
use super::store::NewFlow;

/// The largest admin request body read.
const ADMIN_BODY_MAX_BYTES: usize = 4 * 1024 * 1024;

#[derive(serde::Deserialize)]
#[serde(untagged)]
enum FaultsBody {
    One(Fault),
    Many(Vec<Fault>),
}

pub async fn handle(service: &Service, req: Request<Body>) -> Response<Body> {
    let request_id = new_request_id();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().trim_end_matches('/').to_string();
    let body = axum::body::to_bytes(body, ADMIN_BODY_MAX_BYTES)
        .await
        .unwrap_or_default();
    let (status, answer) = route(service, &parts.method, &path, &body);
    tracing::info!(request_id, method = %parts.method, path, status, "emulator admin request");
    json_response(status, &request_id, &answer)
}

fn bad_request(detail: impl std::fmt::Display) -> (u16, Value) {
    (400, json!({ "error": detail.to_string() }))
}

fn route(service: &Service, method: &Method, path: &str, body: &[u8]) -> (u16, Value) {
    let segments: Vec<&str> = path.trim_start_matches("/_emulator/").split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["health"]) => (200, json!({ "paused": service.faults.is_paused() })),
        ("GET", ["counters"]) => match serde_json::to_value(service.counters.snapshot()) {
            Ok(v) => (200, v),
            Err(e) => (500, json!({ "error": e.to_string() })),
        },
        ("POST", ["faults"]) => match serde_json::from_slice::<FaultsBody>(body) {
            Ok(FaultsBody::One(fault)) => {
                service.faults.inject(fault);
                (200, json!({}))
            }
            Ok(FaultsBody::Many(faults)) => {
                faults.into_iter().for_each(|f| service.faults.inject(f));
                (200, json!({}))
            }
            Err(e) => bad_request(e),
        },
        ("DELETE", ["faults"]) => {
            service.faults.clear();
            (200, json!({}))
        }
        ("POST", ["pause"]) => {
            service.faults.inject(Fault::Pause);
            (200, json!({}))
        }
        ("POST", ["resume"]) => {
            service.faults.inject(Fault::Resume);
            (200, json!({}))
        }
        ("POST", ["flows"]) => match serde_json::from_slice::<PreloadedFlow>(body) {
            Ok(flow) => match service.store.create_flow(NewFlow {
                name: &flow.name,
                definition: &flow.definition,
                mode: flow.mode,
                description: "",
                role_arn: "",
            }) {
                Ok(described) => (200, described),
                Err(e) => (e.status(), json!({ "Code": e.code, "Message": e.message })),
            },
            Err(e) => bad_request(e),
        },
        ("GET", ["executions", flow, name]) => match service.store.execution(flow, name) {
            Ok(execution) => (200, execution.describe()),
            Err(e) => (e.status(), json!({ "Code": e.code, "Message": e.message })),
        },
        _ => (
            404,
            json!({ "error": format!("no admin route {method} {path}") }),
        ),
    }
}
