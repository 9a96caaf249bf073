//! The TCP listener and its connections.
//!
//! The accept loop owns every connection task, so stopping it closes the listening
//! socket and drops open connections at once, including requests that hang. A client
//! then sees the server go away instead of a keep-alive connection that still works.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// Pause after a failed `accept`, such as when the process is out of file
/// descriptors, so that the loop does not spin.
const ACCEPT_RETRY_DELAY: Duration = Duration::from_millis(50);

/// A running accept loop.
#[derive(Debug)]
pub(crate) struct Listener {
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Listener {
    pub(crate) fn spawn(runtime: &Handle, listener: TcpListener, router: Router) -> Self {
        let (stop, stopped) = oneshot::channel();
        let task = runtime.spawn(accept_loop(listener, router, stopped));
        Listener { stop, task }
    }

    /// Stops accepting, closes every connection and waits until the socket is closed.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        if let Err(error) = self.task.await {
            if error.is_panic() {
                tracing::error!(%error, "the simulator's accept loop panicked");
            }
        }
    }

    /// Stops the accept loop without waiting. Dropping its task drops every
    /// connection task with it.
    pub(crate) fn abort(self) {
        self.task.abort();
    }
}

async fn accept_loop(listener: TcpListener, router: Router, mut stopped: oneshot::Receiver<()>) {
    let address = listener.local_addr().ok();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(serve_connection(stream, peer, router.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "failed to accept a connection; retrying");
                    tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }

    drop(listener);
    connections.shutdown().await;
    tracing::info!(?address, "simulator stopped listening");
}

async fn serve_connection(stream: TcpStream, peer: SocketAddr, router: Router) {
    // Pages are small writes that a client waits for, so Nagle's algorithm would
    // only add latency.
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, %peer, "failed to set TCP_NODELAY");
    }
    let service = TowerToHyperService::new(router);
    let result = http1::Builder::new()
        .timer(TokioTimer::new())
        .serve_connection(TokioIo::new(stream), service)
        .await;
    if let Err(error) = result {
        tracing::debug!(%error, %peer, "connection closed with an error");
    }
}
