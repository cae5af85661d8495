//! Closing connections that do nothing. A connection must send its first
//! byte within `first_byte_timeout_ms`; after that it is closed when no
//! byte has moved either way for `idle_timeout_ms` while no request of it
//! is being answered (a long poll is being answered, so it is never cut).
//! Bytes moving either way count: a client that stops reading its answer
//! stalls our writes and is closed like one that stops sending.
//!
//! The socket is wrapped in [`Watched`], which stamps every read and write
//! that moved bytes; [`expired`] resolves once the connection's deadline
//! has passed, and the server then drops the connection. Nothing here
//! depends on the HTTP version.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// The two deadlines, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct Deadlines {
    pub first_byte: Duration,
    pub idle: Duration,
}

/// What one connection has done lately.
pub struct Activity {
    started: Instant,
    /// Milliseconds after `started` of the last byte read or written.
    last_ms: AtomicU64,
    /// Whether the client has sent anything yet.
    read_any: AtomicBool,
    /// Requests of this connection being answered now.
    busy: AtomicUsize,
}

/// Marks a request as being answered while it lives.
pub struct Busy(Arc<Activity>);

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            started: Instant::now(),
            last_ms: AtomicU64::new(0),
            read_any: AtomicBool::new(false),
            busy: AtomicUsize::new(0),
        })
    }

    pub fn busy(self: &Arc<Self>) -> Busy {
        self.busy.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }

    fn stamp(&self) {
        // Rounded up, so that a deadline is never earlier than promised.
        let ms = self.started.elapsed().as_micros().div_ceil(1000);
        let ms = u64::try_from(ms).unwrap_or(u64::MAX);
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// When the connection is due to be closed if nothing happens first.
    /// While a request is being answered that is always a full idle period
    /// away, so the watchdog only looks again later.
    fn due(&self, deadlines: Deadlines) -> Instant {
        if self.busy.load(Ordering::SeqCst) > 0 {
            return Instant::now() + deadlines.idle;
        }
        if !self.read_any.load(Ordering::Relaxed) {
            return self.started + deadlines.first_byte;
        }
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.started + last + deadlines.idle
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        // The end of a request starts the idle period, as a byte would.
        self.0.stamp();
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Resolves once the connection of `activity` is past its deadline.
pub async fn expired(activity: &Activity, deadlines: Deadlines) {
    loop {
        let due = activity.due(deadlines);
        if due <= Instant::now() {
            return;
        }
        tokio::time::sleep_until(due).await;
    }
}

/// A socket that stamps its [`Activity`] whenever bytes move.
pub struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Watched<S> {
    pub fn new(inner: S, activity: Arc<Activity>) -> Watched<S> {
        Watched { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.read_any.store(true, Ordering::Relaxed);
            self.activity.stamp();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.stamp_written(&polled);
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.stamp_written(&polled);
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S> Watched<S> {
    fn stamp_written(&self, polled: &Poll<io::Result<usize>>) {
        if matches!(polled, Poll::Ready(Ok(n)) if *n > 0) {
            self.activity.stamp();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEADLINES: Deadlines = Deadlines {
        first_byte: Duration::from_millis(100),
        idle: Duration::from_millis(150),
    };

    #[tokio::test]
    async fn silence_is_closed_at_the_first_byte_deadline_not_before() {
        let started = Instant::now();
        let activity = Activity::new();
        expired(&activity, DEADLINES).await;
        let took = started.elapsed();
        assert!(took >= DEADLINES.first_byte, "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");
    }

    #[tokio::test]
    async fn a_request_being_answered_is_never_idle_and_its_end_starts_the_idle_period() {
        let activity = Activity::new();
        activity.read_any.store(true, Ordering::Relaxed);
        let busy = activity.busy();
        let watchdog = tokio::spawn({
            let activity = activity.clone();
            async move { expired(&activity, DEADLINES).await }
        });
        tokio::time::sleep(DEADLINES.idle * 4).await;
        assert!(!watchdog.is_finished(), "a long answer is not idleness");
        let ended = Instant::now();
        drop(busy);
        watchdog.await.unwrap();
        assert!(ended.elapsed() >= DEADLINES.idle, "{:?}", ended.elapsed());
    }
}
