//! The listener: accepts TCP connections and serves each with HTTP/1.1, or
//! HTTP/2 when the client opens with the h2 preface (prior knowledge; hyper's
//! auto builder reads it), so thousands of held long-polls can share a few
//! connections. Knows nothing of fnf; a service error closes the connection
//! without an answer. With a TLS acceptor every connection is a TLS one first.

use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::pipeline;
use super::service::Service;

/// How many requests one HTTP/2 connection may hold at once (long-polls).
const H2_MAX_CONCURRENT_STREAMS: u32 = 20_000;
/// Pause after a failed accept (e.g. out of file descriptors) before retrying.
const ACCEPT_RETRY_MS: u64 = 20;

pub async fn serve(
    listener: TcpListener,
    service: Arc<Service>,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http2()
        .max_concurrent_streams(H2_MAX_CONCURRENT_STREAMS);
    let builder = Arc::new(builder);
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
                    connections.spawn(accept_connection(stream, tls.clone(), builder.clone(), service.clone()));
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

async fn accept_connection(
    stream: TcpStream,
    tls: Option<TlsAcceptor>,
    builder: Arc<auto::Builder<TokioExecutor>>,
    service: Arc<Service>,
) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => serve_connection(stream, builder, service).await,
        Some(acceptor) => match acceptor.accept(stream).await {
            Ok(stream) => serve_connection(stream, builder, service).await,
            Err(e) => tracing::debug!(error = %e, "TLS handshake failed"),
        },
    }
}

async fn serve_connection<S>(
    stream: S,
    builder: Arc<auto::Builder<TokioExecutor>>,
    service: Arc<Service>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let handler = service_fn(move |req| pipeline::handle(service.clone(), req));
    if let Err(e) = builder
        .serve_connection(TokioIo::new(stream), handler)
        .await
    {
        tracing::debug!(error = %e, "connection ended");
    }
}
