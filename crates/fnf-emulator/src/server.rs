//! The listener: accepts TCP connections and serves each with HTTP/1.1, or
//! HTTP/2 when the client opens with the h2 preface (prior knowledge), so
//! thousands of held long-polls can share a few connections. Knows nothing of
//! fnf; a service error closes the connection without an answer.

use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::pipeline;
use super::service::Service;

/// How many requests one HTTP/2 connection may hold at once (long-polls).
const H2_MAX_CONCURRENT_STREAMS: u32 = 20_000;
/// The HTTP/2 preface's first bytes; no HTTP/1 method starts with them.
const H2_PREFACE_START: &[u8] = b"PRI";
/// Pause after a failed accept (e.g. out of file descriptors) before retrying.
const ACCEPT_RETRY_MS: u64 = 20;

pub async fn serve(
    listener: TcpListener,
    service: Arc<Service>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let stop_requested = async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    };
    tokio::pin!(stop_requested);
    loop {
        tokio::select! {
            _ = &mut stop_requested => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(serve_connection(stream, service.clone()));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(ACCEPT_RETRY_MS)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

async fn opens_with_h2_preface(stream: &TcpStream) -> bool {
    let mut buf = [0u8; 3];
    loop {
        match stream.peek(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) if n >= H2_PREFACE_START.len() => return buf == H2_PREFACE_START,
            Ok(n) if buf[..n] != H2_PREFACE_START[..n] => return false,
            // A partial preface: wait for the rest to arrive.
            Ok(_) => tokio::time::sleep(Duration::from_millis(1)).await,
        }
    }
}

async fn serve_connection(stream: TcpStream, service: Arc<Service>) {
    let _ = stream.set_nodelay(true);
    let h2 = opens_with_h2_preface(&stream).await;
    let io = TokioIo::new(stream);
    let handler = service_fn(move |req| pipeline::handle(service.clone(), req));
    let result = if h2 {
        hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .max_concurrent_streams(H2_MAX_CONCURRENT_STREAMS)
            .serve_connection(io, handler)
            .await
    } else {
        hyper::server::conn::http1::Builder::new()
            .serve_connection(io, handler)
            .await
    };
    if let Err(e) = result {
        tracing::debug!(error = %e, "connection ended");
    }
}
