//! Accepting connections within the limits: at most `connections_max` at
//! once (the rest wait in the kernel's accept queue), at most
//! `connections_per_ip_max` from one address (`slots`), a deadline for the
//! first byte and for idleness (`idle`), a deadline for the request headers
//! and for each whole request, and a graceful drain of open connections on
//! shutdown.
//!
//! HTTP/1.1 only. Cleartext HTTP/2 is not offered: no client of this
//! daemon speaks it (browsers use HTTP/2 only over TLS, which the reverse
//! proxy in front terminates and forwards as HTTP/1.1; the WHMCS module's
//! curl and the SMS forwarders use HTTP/1.1 on `http://`), while it would
//! let one connection carry hundreds of concurrent requests past every
//! per-connection limit, and detecting it meant waiting for the first bytes
//! with no deadline.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::client_ip::Peer;
use super::idle::{Activity, Deadlines, Watched, expired};
use super::reply::Body;
use super::router::handle;
use super::slots::{ConnectionSlots, Slot};
use super::{ApiError, App};
use crate::config::LimitSettings;
use crate::domain::Lang;

/// How long shutdown waits for open connections to finish.
const DRAIN_MS_MAX: u64 = 10_000;
/// Descriptors the daemon needs besides its connections (sled's files, the
/// listener, outgoing WHMCS and SMTP connections), for the start-up check.
const DESCRIPTORS_RESERVED: u64 = 256;

/// What every connection task shares.
struct Shared {
    app: Arc<App>,
    slots: Arc<ConnectionSlots>,
    http: http1::Builder,
    deadlines: Deadlines,
    request_timeout: Duration,
}

/// Serves until `shutdown` resolves, then drains open connections.
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    let limits = app.settings.limits.clone();
    warn_if_few_descriptors(limits.connections_max);
    let connections = Arc::new(Semaphore::new(limits.connections_max));
    let shared = Shared {
        slots: Arc::new(ConnectionSlots::new(
            limits.connections_per_ip_max,
            &app.settings.trusted_proxies,
        )),
        http: http1_builder(&limits),
        deadlines: Deadlines {
            first_byte: Duration::from_millis(limits.first_byte_timeout_ms),
            idle: Duration::from_millis(limits.idle_timeout_ms),
        },
        request_timeout: Duration::from_millis(limits.request_timeout_ms),
        app,
    };
    let graceful = GracefulShutdown::new();
    let refusal = ConnectionSlots::refusal_reply();
    tokio::pin!(shutdown);
    while let Some((permit, stream, addr)) =
        next_connection(&listener, &connections, shutdown.as_mut()).await
    {
        match shared.slots.hold_socket(addr.ip()) {
            Ok(slot) => {
                let conn = Accepted {
                    stream,
                    peer: Peer { addr },
                    slot,
                    permit,
                };
                serve_connection(&shared, &graceful, conn);
            }
            Err(_) => {
                // Told why without waiting for the peer (the write never
                // blocks), then closed; its permit returns at once.
                let _ = stream.try_write(&refusal);
            }
        }
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => tracing::info!("all connections drained"),
        () = tokio::time::sleep(Duration::from_millis(DRAIN_MS_MAX)) => {
            tracing::warn!("connections still open after {DRAIN_MS_MAX} ms; closing");
        }
    }
}

/// Waits for a free place in `connections_max`, then for a connection;
/// `None` once `shutdown` has resolved.
async fn next_connection<F: Future<Output = ()>>(
    listener: &TcpListener,
    connections: &Arc<Semaphore>,
    mut shutdown: Pin<&mut F>,
) -> Option<(OwnedSemaphorePermit, TcpStream, SocketAddr)> {
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit.ok()?,
            () = shutdown.as_mut() => return None,
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.as_mut() => return None,
        };
        match accepted {
            Ok((stream, addr)) => return Some((permit, stream, addr)),
            Err(e) => {
                // Out of file descriptors and similar: back off, keep serving.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

fn http1_builder(limits: &LimitSettings) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Duration::from_millis(limits.header_read_timeout_ms))
        .max_buf_size(limits.body_bytes_max.max(16 * 1024) * 2);
    builder
}

/// A connection let in, with the slots it holds until it ends.
struct Accepted {
    stream: TcpStream,
    peer: Peer,
    /// Its place in its address's count (`None` for a trusted proxy).
    slot: Option<Slot>,
    /// Its place in `connections_max`.
    permit: OwnedSemaphorePermit,
}

/// Serves one accepted connection on its own task until it ends, goes
/// idle past its deadline, or shutdown drains it.
fn serve_connection(shared: &Shared, graceful: &GracefulShutdown, accepted: Accepted) {
    let Accepted {
        stream,
        peer,
        slot,
        permit,
    } = accepted;
    let _ = stream.set_nodelay(true);
    let activity = Activity::new();
    let service = {
        let (app, slots, activity) = (shared.app.clone(), shared.slots.clone(), activity.clone());
        let request_timeout = shared.request_timeout;
        service_fn(move |mut req: Request<Incoming>| {
            let (app, busy) = (app.clone(), activity.busy());
            // The poll handler takes its waiting slot from here.
            req.extensions_mut().insert(slots.clone());
            async move {
                let response = timed(app, peer, req, request_timeout).await;
                drop(busy);
                Ok::<_, std::convert::Infallible>(response)
            }
        })
    };
    let io = TokioIo::new(Watched::new(stream, activity.clone()));
    let conn = graceful.watch(shared.http.serve_connection(io, service));
    let deadlines = shared.deadlines;
    tokio::spawn(async move {
        tokio::select! {
            ended = conn => if let Err(e) = ended {
                tracing::debug!(error = %e, "connection ended with an error");
            },
            () = expired(&activity, deadlines) => {
                tracing::debug!(peer = %peer.addr, "closed an idle connection");
            }
        }
        drop((slot, permit));
    });
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

/// Warns when the process may not open as many descriptors as it may hold
/// connections: past that limit accepting fails, and so may sled. Reads
/// Linux's `/proc/self/limits`; elsewhere it says nothing.
fn warn_if_few_descriptors(connections_max: usize) {
    let Ok(limits) = std::fs::read_to_string("/proc/self/limits") else {
        return;
    };
    let soft = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse::<u64>().ok());
    let needed = u64::try_from(connections_max)
        .unwrap_or(u64::MAX)
        .saturating_add(DESCRIPTORS_RESERVED);
    if let Some(soft) = soft.filter(|&soft| soft < needed) {
        tracing::warn!(
            open_files_max = soft,
            needed,
            "limits.connections_max needs more file descriptors than the process may open; \
             raise the limit (LimitNOFILE= in a systemd unit, ulimit -n) or lower connections_max"
        );
    }
}
