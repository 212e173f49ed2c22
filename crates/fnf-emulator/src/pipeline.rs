//! One API request from bytes to answer, in the service's order: pause, size and
//! media type, action and version, injected faults, signature, nonce, quota,
//! then the action. Counts and logs every answer (never a secret).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde_json::Value;

use super::actions;
use super::admin;
use super::api_error::ApiError;
use super::auth::{self, AuthError, FreshnessPolicy, ReceivedRequest};
use super::call_log::CallTarget;
use super::counters::{CODE_DROPPED, CODE_OK};
use super::faults::FaultOutcome;
use super::service::{Service, new_request_id};
use super::sts;

pub const API_VERSION: &str = "2019-03-15";
const ADMIN_PREFIX: &str = "/_emulator/";

/// A fault chose to close the connection without an answer; hyper drops it.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by an injected fault")]
pub struct Dropped;

struct Served {
    action: String,
    account: String,
    result: Result<Value, ApiError>,
    target: CallTarget,
    injected: bool,
}

pub async fn handle(
    service: Arc<Service>,
    req: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, Dropped> {
    if req.uri().path().starts_with(ADMIN_PREFIX) {
        return Ok(admin::handle(&service, req.map(Body::new)).await);
    }
    let began = Instant::now();
    service.faults.wait_while_paused().await;
    let request_id = new_request_id();
    let host_id = req
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("fnf.emulator")
        .to_string();
    let served = serve(&service, req.map(Body::new)).await;
    // A pause holds answers already on their way too.
    service.faults.wait_while_paused().await;
    let latency_ms = began.elapsed().as_millis();
    let served = match served {
        Ok(served) => served,
        Err(DroppedCall { action, target }) => {
            service.counters.record_call(&action, CODE_DROPPED);
            service
                .call_log
                .record_call(&action, "", &target, CODE_DROPPED, true);
            tracing::info!(
                request_id,
                action,
                code = CODE_DROPPED,
                latency_ms,
                "fnf request"
            );
            return Err(Dropped);
        }
    };
    if service.faults.drop_answer(&served.action) {
        service.counters.record_call(&served.action, CODE_DROPPED);
        service.call_log.record_call(
            &served.action,
            &served.account,
            &served.target,
            CODE_DROPPED,
            true,
        );
        tracing::info!(
            request_id,
            action = served.action,
            code = CODE_DROPPED,
            latency_ms,
            "fnf request answer dropped"
        );
        return Err(Dropped);
    }
    let (status, code, body) = match served.result {
        Ok(Value::Object(mut fields)) => {
            fields.insert("RequestId".to_string(), Value::String(request_id.clone()));
            (200, CODE_OK.to_string(), Value::Object(fields))
        }
        Ok(other) => (200, CODE_OK.to_string(), other),
        Err(e) => (e.status(), e.code.clone(), e.body(&request_id, &host_id)),
    };
    service.counters.record_call(&served.action, &code);
    service.call_log.record_call(
        &served.action,
        &served.account,
        &served.target,
        &code,
        served.injected,
    );
    tracing::info!(
        request_id,
        action = served.action,
        code,
        status,
        latency_ms,
        account = served.account,
        "fnf request"
    );
    Ok(json_response(status, &request_id, &body))
}

pub fn json_response(status: u16, request_id: &str, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=utf-8"),
    );
    if let Ok(id) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-acs-request-id", id);
    }
    response
}

/// A call a fault chose to drop, remembered for the counters.
struct DroppedCall {
    action: String,
    target: CallTarget,
}

/// `Err` when a fault drops the connection.
async fn serve(service: &Service, req: Request<Body>) -> Result<Served, DroppedCall> {
    let (parts, body) = req.into_parts();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let header_action = auth::header(&headers, "x-acs-action")
        .unwrap_or_default()
        .to_string();
    let fail = |action: &str, e: ApiError| {
        Ok(Served {
            action: action.to_string(),
            account: String::new(),
            result: Err(e),
            target: CallTarget::default(),
            injected: false,
        })
    };
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    if parts.uri.path() != "/" {
        return fail(
            &header_action,
            ApiError::action_not_supported(parts.uri.path()),
        );
    }
    let declared_len =
        auth::header(&headers, "content-length").and_then(|l| l.trim().parse::<usize>().ok());
    if declared_len.is_some_and(|len| len > service.max_body_bytes) {
        return fail(
            &header_action,
            ApiError::entity_too_large(service.max_body_bytes),
        );
    }
    let Ok(body) = axum::body::to_bytes(body, service.max_body_bytes).await else {
        return fail(
            &header_action,
            ApiError::entity_too_large(service.max_body_bytes),
        );
    };
    let content_type = auth::header(&headers, "content-type").unwrap_or_default();
    if parts.method == Method::POST
        && !body.is_empty()
        && !content_type
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    {
        return fail(
            &header_action,
            ApiError::with_default_message("UnsupportedMediaType"),
        );
    }
    let received = ReceivedRequest {
        method: parts.method.as_str(),
        path_and_query: &path_and_query,
        headers: &headers,
        body: &body,
    };
    let params = auth::request_params(&received);
    let action = auth::param(&params, "Action")
        .map(str::to_string)
        .unwrap_or(header_action);
    if action.is_empty() {
        return fail("", ApiError::missing_param("Action"));
    }
    // Logged for refused requests too: the key a caller claims is not a secret.
    let claimed_key = auth::param(&params, "AccessKeyId")
        .map(str::to_string)
        .or_else(|| auth::v3_credential(&headers))
        .unwrap_or_default();
    let target = CallTarget {
        flow: auth::param(&params, "FlowName")
            .unwrap_or_default()
            .to_string(),
        execution: auth::param(&params, "ExecutionName")
            .unwrap_or_default()
            .to_string(),
    };
    let refuse = |e: ApiError| {
        Ok(Served {
            action: action.clone(),
            account: claimed_key.clone(),
            result: Err(e),
            target: target.clone(),
            injected: false,
        })
    };
    match service.faults.before_serving(&action).await {
        FaultOutcome::Drop => return Err(DroppedCall { action, target }),
        FaultOutcome::Fail(e) => {
            return Ok(Served {
                action: action.clone(),
                account: claimed_key.clone(),
                result: Err(e),
                target,
                injected: true,
            });
        }
        FaultOutcome::Serve => {}
    }
    if action == sts::ACTION {
        return Ok(Served {
            result: sts::assume_role_with_oidc(service, &params),
            action,
            account: String::new(),
            target,
            injected: false,
        });
    }
    let version = auth::param(&params, "Version")
        .or_else(|| auth::header(&headers, "x-acs-version"))
        .unwrap_or_default();
    if version.is_empty() {
        return refuse(ApiError::missing_param("Version"));
    }
    if version != API_VERSION {
        return refuse(ApiError::version_not_supported(version));
    }
    if !actions::is_supported(&action) {
        return refuse(ApiError::action_not_supported(&action));
    }
    let policy = FreshnessPolicy {
        now: service.faults.skewed(service.clock.now()),
        max_skew_secs: service.max_skew_secs,
    };
    let verified = match auth::verify_request(&received, |id| service.credentials.key(id), &policy)
    {
        Ok(v) => v,
        Err(e) => return refuse(auth_answer(&e)),
    };
    let principal = service.credentials.principal(&verified.access_key_id);
    let answer = |result| {
        Ok(Served {
            action: action.clone(),
            account: principal.account.clone(),
            result,
            target: target.clone(),
            injected: false,
        })
    };
    if service.check_nonce
        && !service
            .credentials
            .first_use_of_nonce(&verified.access_key_id, &verified.nonce)
    {
        return answer(Err(ApiError::with_default_message("SignatureNonceUsed")));
    }
    if !service.quotas.try_take(&principal.account, &action) {
        return answer(Err(ApiError::throttled()));
    }
    answer(actions::dispatch(service, &action, &params, &principal).await)
}

fn auth_answer(e: &AuthError) -> ApiError {
    match e {
        AuthError::MissingParam(name) => ApiError::missing_param(name),
        AuthError::MissingHeader(name) => ApiError::missing_header(name),
        AuthError::UnknownKey(id) => ApiError::new(
            "InvalidAccessKeyID",
            format!("The AccessKey ID {id} is invalid."),
        ),
        AuthError::SignatureMismatch => ApiError::with_default_message("SignatureNotMatch"),
        AuthError::TimeTooSkewed { request, now } => ApiError::new(
            "RequestTimeTooSkewed",
            format!(
                "The difference between the request time {request} and the current time {now} is too large."
            ),
        ),
        AuthError::TokenMismatch => ApiError::new(
            "InvalidSecurityToken.Mismatch",
            "The security token does not match the AccessKey ID.",
        ),
        AuthError::TokenExpired => ApiError::new(
            "InvalidSecurityToken.Expired",
            "The security token has expired.",
        ),
    }
}
