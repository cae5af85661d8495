//! Accepting connections within the limits: at most `connections_max` at
//! once (the rest wait in the kernel's accept queue), a deadline for the
//! request headers and for each whole request, and a graceful drain of
//! open connections on shutdown.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::client_ip::Peer;
use super::reply::Body;
use super::router::handle;
use super::{ApiError, App};
use crate::domain::Lang;

/// How long shutdown waits for open connections to finish.
const DRAIN_MS_MAX: u64 = 10_000;

/// Serves until `shutdown` resolves, then drains open connections.
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let limits = app.settings.limits.clone();
    let connections = Arc::new(Semaphore::new(limits.connections_max));
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.header_read_timeout_ms))
        .max_buf_size(limits.body_bytes_max.max(16 * 1024) * 2);
    let request_timeout = Duration::from_millis(limits.request_timeout_ms);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and similar: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let peer = Peer { addr };
        let service = service_fn(move |req: Request<Incoming>| {
            let app = app.clone();
            async move {
                Ok::<_, std::convert::Infallible>(timed(app, peer, req, request_timeout).await)
            }
        });
        let conn = builder
            .serve_connection(TokioIo::new(stream), service)
            .into_owned();
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections drained"),
        () = tokio::time::sleep(Duration::from_millis(DRAIN_MS_MAX)) => {
            tracing::warn!("connections still open after {DRAIN_MS_MAX} ms; closing");
        }
    }
}

async fn timed(
    app: Arc<App>,
    peer: Peer,
    req: Request<Incoming>,
    limit: Duration,
) -> Response<Body> {
    match tokio::time::timeout(limit, handle(app, peer, req)).await {
        Ok(response) => response,
        Err(_) => ApiError::InvalidRequest("the request took too long".into()).response(Lang::En),
    }
}
