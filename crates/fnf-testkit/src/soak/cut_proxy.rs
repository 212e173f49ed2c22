//! A TCP proxy between the operator replicas and the apiserver that can cut
//! every connection open through it at once, while the apiserver keeps
//! running: the soak's watch drop. TLS passes through untouched (the
//! apiserver's certificate names 127.0.0.1, whatever the port).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub struct CutProxy {
    addr: SocketAddr,
    /// Each connection waits for a change of this generation, then closes.
    cuts: watch::Sender<u64>,
    accept: JoinHandle<()>,
}

impl CutProxy {
    /// Listens on a free loopback port and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let (cuts, _) = watch::channel(0u64);
        let accept = tokio::spawn(accept_loop(listener, upstream, cuts.clone()));
        Ok(Self { addr, cuts, accept })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Closes every connection open now (both sides); returns how many.
    /// New connections are accepted as before.
    pub fn cut_all(&self) -> usize {
        // The sender clone in the accept loop holds no receiver.
        let open = self.cuts.receiver_count();
        self.cuts.send_modify(|generation| *generation += 1);
        open
    }

    /// A copy of `kubeconfig` (written to `dir`) whose clients dial this
    /// proxy instead of `apiserver_url`.
    pub fn kubeconfig(
        &self,
        kubeconfig: &Path,
        apiserver_url: &str,
        dir: &Path,
    ) -> std::io::Result<PathBuf> {
        let text = std::fs::read_to_string(kubeconfig)?;
        if !text.contains(apiserver_url) {
            return Err(std::io::Error::other(format!(
                "{} does not name {apiserver_url}",
                kubeconfig.display()
            )));
        }
        let path = dir.join("through-proxy.kubeconfig");
        std::fs::write(
            &path,
            text.replace(apiserver_url, &format!("https://{}", self.addr)),
        )?;
        Ok(path)
    }
}

impl Drop for CutProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cuts.send_modify(|generation| *generation += 1);
    }
}

async fn accept_loop(listener: TcpListener, upstream: SocketAddr, cuts: watch::Sender<u64>) {
    loop {
        let Ok((downstream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(forward(downstream, upstream, cuts.subscribe()));
    }
}

async fn forward(mut downstream: TcpStream, upstream: SocketAddr, mut cut: watch::Receiver<u64>) {
    // A failed dial (the apiserver restarting) closes the client's connection,
    // as a refused dial would.
    let Ok(mut upstream) = TcpStream::connect(upstream).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut downstream, &mut upstream) => {}
        _ = cut.changed() => {}
    }
}

/// The `host:port` of an `https://host:port` URL.
pub fn socket_addr_of(url: &str) -> Option<SocketAddr> {
    url.strip_prefix("https://")?
        .trim_end_matches('/')
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn a_cut_closes_open_connections_and_new_ones_still_pass() {
        let echo = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let echo_addr = echo.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = echo.accept().await.unwrap();
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let proxy = CutProxy::start(echo_addr).await.unwrap();
        let mut open = TcpStream::connect(proxy.addr()).await.unwrap();
        open.write_all(b"ping").await.unwrap();
        let mut buf = [0u8; 4];
        open.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"ping");
        assert_eq!(proxy.cut_all(), 1);
        let mut rest = Vec::new();
        let read = open.read_to_end(&mut rest).await;
        assert!(read.is_err() || rest.is_empty(), "the cut closed it");
        let mut again = TcpStream::connect(proxy.addr()).await.unwrap();
        again.write_all(b"pong").await.unwrap();
        again.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"pong");
    }

    #[test]
    fn the_apiserver_address_is_read_from_its_url() {
        assert_eq!(
            socket_addr_of("https://127.0.0.1:6443"),
            Some("127.0.0.1:6443".parse().unwrap())
        );
        assert_eq!(socket_addr_of("http://127.0.0.1:6443"), None);
    }
}
