//! The queue between the network side and the façade lanes: bounded, many producers (the
//! connections' tasks), many consumers (the lanes, each taking the next call when it is free).
//!
//! The network side never waits for room (a semaphore counts the free places): a call that
//! finds the queue full is refused at once, and its client told to slow down
//! (`ThrottlingException`, as AWS KMS answers over its request quota). A lane blocks on a
//! condition variable until a call comes or the queue is closed.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use tokio::sync::Semaphore;

use super::engine::Call;

/// The calls waiting for a lane.
#[derive(Debug)]
pub(crate) struct CallQueue {
    state: Mutex<State>,
    /// Signalled when a call is queued or the queue is closed.
    arrived: Condvar,
    /// One permit per free place.
    room: Semaphore,
}

/// Why a call was not queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// As many calls wait as the queue holds.
    Full,
    /// The server is shutting down.
    Closed,
}

#[derive(Debug, Default)]
struct State {
    calls: VecDeque<Call>,
    closed: bool,
}

impl CallQueue {
    /// A queue of at most `depth` waiting calls (at least one).
    pub(crate) fn new(depth: usize) -> Self {
        let depth = depth.max(1);
        Self {
            state: Mutex::new(State { calls: VecDeque::with_capacity(depth), closed: false }),
            arrived: Condvar::new(),
            room: Semaphore::new(depth),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A lane that panicked while holding the lock left the queue consistent (push and pop
        // are single operations on the deque).
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `call` if there is room now: a full queue is not waited on, so that latency
    /// cannot grow without bound; the caller answers ThrottlingException instead.
    ///
    /// # Errors
    /// [`Refused::Full`] or [`Refused::Closed`] (the server is shutting down).
    pub(crate) fn try_push(&self, call: Call) -> Result<(), Refused> {
        match self.room.try_acquire() {
            Ok(permit) => permit.forget(),
            Err(tokio::sync::TryAcquireError::NoPermits) => return Err(Refused::Full),
            Err(tokio::sync::TryAcquireError::Closed) => return Err(Refused::Closed),
        }
        self.enqueue(call)
    }

    /// Queues `call` in the place just taken; a call refused (closed) is dropped, and with it
    /// its reply channel and any plaintext it holds (zeroizing).
    fn enqueue(&self, call: Call) -> Result<(), Refused> {
        let mut state = self.state();
        if state.closed {
            drop(state);
            self.room.add_permits(1);
            return Err(Refused::Closed);
        }
        state.calls.push_back(call);
        drop(state);
        self.arrived.notify_one();
        Ok(())
    }

    /// The next call, waiting for one; `None` once the queue is closed and empty.
    pub(crate) fn pop(&self) -> Option<Call> {
        let mut state = self.state();
        loop {
            if let Some(call) = state.calls.pop_front() {
                drop(state);
                self.room.add_permits(1);
                return Some(call);
            }
            if state.closed {
                return None;
            }
            state = self.arrived.wait(state).unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Refuses new calls; the lanes finish those queued, then [`pop`](Self::pop) gives `None`.
    pub(crate) fn close(&self) {
        self.state().closed = true;
        self.room.close();
        self.arrived.notify_all();
    }
}
