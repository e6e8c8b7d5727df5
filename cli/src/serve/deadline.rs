//! The request deadline: how long a client may take over one request, from the moment the
//! server waits for it (connection accepted, or the previous answer written) to the last byte
//! of its answer written — TLS handshake, headers, body and the answer's write included.
//!
//! A slow client (one body byte, then silence; or an answer it never reads) thus holds a
//! connection slot for at most the deadline. The time the request waits for the façade lane is
//! the server's, not the client's: the deadline is paused meanwhile (and moved on by as much).
//!
//! [`DeadlineIo`] enforces it on the connection's byte stream: once the deadline has passed,
//! every read, write and flush fails with `TimedOut`, and a timer wakes the connection's task
//! at the deadline so that a stalled read or write sees it.

use core::pin::Pin;
use core::task::{Context, Poll};
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The deadline of a connection's current request, shared by its byte stream and its service.
#[derive(Debug)]
pub(crate) struct Deadline {
    limit: Duration,
    state: Mutex<State>,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// The current request must be answered (its answer written) by then.
    At(Instant),
    /// Waiting for the façade lane, with this much of the limit left.
    Paused { left: Duration },
}

impl Deadline {
    /// A deadline `limit` from now (a connection was just accepted).
    pub(crate) fn start(limit: Duration) -> Arc<Self> {
        Arc::new(Self { limit, state: Mutex::new(State::At(Instant::now() + limit)) })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // No code panics while holding the lock; a poisoned lock still holds a valid state.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// When the current request must be done, or None while it waits for the lane.
    fn current(&self) -> Option<Instant> {
        match *self.state() {
            State::At(at) => Some(at),
            State::Paused { .. } => None,
        }
    }

    /// The next request starts now (the previous answer is written).
    pub(crate) fn restart(&self) {
        *self.state() = State::At(Instant::now() + self.limit);
    }

    /// Pauses the deadline until the guard is dropped (the request waits for the lane).
    pub(crate) fn pause(self: &Arc<Self>) -> Paused {
        let mut state = self.state();
        if let State::At(at) = *state {
            let now = Instant::now();
            *state = State::Paused { left: at.saturating_duration_since(now) };
        }
        Paused(Arc::clone(self))
    }
}

/// Resumes the deadline when dropped, moved on by the pause.
#[derive(Debug)]
pub(crate) struct Paused(Arc<Deadline>);

impl Drop for Paused {
    fn drop(&mut self) {
        let mut state = self.0.state();
        if let State::Paused { left } = *state {
            *state = State::At(Instant::now() + left);
        }
    }
}

/// Restarts the deadline when dropped: held by an answer's body, which the HTTP layer drops
/// once it has taken the body to write.
#[derive(Debug)]
pub(crate) struct RestartOnDrop(pub(crate) Arc<Deadline>);

impl Drop for RestartOnDrop {
    fn drop(&mut self) {
        self.0.restart();
    }
}

/// A byte stream whose reads, writes and flushes fail once its [`Deadline`] has passed.
#[derive(Debug)]
pub(crate) struct DeadlineIo<S> {
    io: S,
    deadline: Arc<Deadline>,
    timer: Pin<Box<Sleep>>,
    /// The instant `timer` is set for.
    armed: Instant,
}

impl<S> DeadlineIo<S> {
    pub(crate) fn new(io: S, deadline: Arc<Deadline>) -> Self {
        let armed = deadline.current().unwrap_or_else(Instant::now);
        Self { io, deadline, timer: Box::pin(tokio::time::sleep_until(armed)), armed }
    }

    /// The error to return once the deadline has passed; otherwise None, with the task to be
    /// woken at the deadline (unless the deadline is paused).
    fn expired(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        let at = self.deadline.current()?;
        if at != self.armed {
            self.timer.as_mut().reset(at);
            self.armed = at;
        }
        match self.timer.as_mut().poll(cx) {
            Poll::Ready(()) => Some(io::Error::new(io::ErrorKind::TimedOut, "the request deadline has passed")),
            Poll::Pending => None,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for DeadlineIo<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.expired(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for DeadlineIo<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if let Some(e) = self.expired(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if let Some(e) = self.expired(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Some(e) = self.expired(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Closing is allowed past the deadline, but not forever: a TLS close_notify the
        // client does not read must not hold the connection.
        if let Some(e) = self.expired(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    use super::*;

    /// `elapsed` is `secs` on the paused clock (to its millisecond resolution).
    fn about(elapsed: Duration, secs: u64) {
        let want = Duration::from_secs(secs);
        assert!(elapsed >= want && elapsed <= want + Duration::from_millis(2), "{elapsed:?}, not {want:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_read_fails_at_the_deadline() {
        let (ours, mut theirs) = tokio::io::duplex(64);
        let deadline = Deadline::start(Duration::from_secs(10));
        let mut io = DeadlineIo::new(ours, Arc::clone(&deadline));
        theirs.write_all(b"x").await.unwrap();
        let mut byte = [0u8; 1];
        io.read_exact(&mut byte).await.unwrap();
        let start = Instant::now();
        let e = io.read(&mut byte).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        about(start.elapsed(), 10);
        // Past the deadline, writes fail too.
        assert_eq!(io.write_all(b"y").await.unwrap_err().kind(), io::ErrorKind::TimedOut);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_moves_the_deadline_and_a_restart_renews_it() {
        let (ours, _theirs) = tokio::io::duplex(64);
        let deadline = Deadline::start(Duration::from_secs(10));
        let mut io = DeadlineIo::new(ours, Arc::clone(&deadline));
        let start = Instant::now();
        tokio::time::sleep(Duration::from_secs(4)).await;
        let paused = deadline.pause();
        tokio::time::sleep(Duration::from_secs(100)).await;
        drop(paused);
        let mut byte = [0u8; 1];
        let e = io.read(&mut byte).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        about(start.elapsed(), 110);

        deadline.restart();
        let restarted = Instant::now();
        assert_eq!(io.read(&mut byte).await.unwrap_err().kind(), io::ErrorKind::TimedOut);
        about(restarted.elapsed(), 10);
    }

    #[tokio::test(start_paused = true)]
    async fn a_write_the_client_never_reads_fails_at_the_deadline() {
        let (ours, _theirs) = tokio::io::duplex(8);
        let deadline = Deadline::start(Duration::from_secs(3));
        let mut io = DeadlineIo::new(ours, deadline);
        let start = Instant::now();
        let e = io.write_all(&[0u8; 1024]).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        about(start.elapsed(), 3);
    }
}
