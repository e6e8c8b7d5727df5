//! The queue between the network side and the façade lanes: bounded, many producers (the
//! connections' tasks), many consumers (the lanes, each taking the next call when it is free).
//!
//! The network side waits for room without blocking its runtime (a semaphore counts the free
//! places); a lane blocks on a condition variable until a call comes or the queue is closed.

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

    /// Queues `call` once there is room; gives it back if the queue is closed.
    ///
    /// # Errors
    /// The call, when the server is shutting down.
    pub(crate) async fn push(&self, call: Call) -> Result<(), Call> {
        match self.room.acquire().await {
            Ok(permit) => permit.forget(),
            Err(_) => return Err(call),
        }
        self.enqueue(call)
    }

    fn enqueue(&self, call: Call) -> Result<(), Call> {
        let mut state = self.state();
        if state.closed {
            drop(state);
            self.room.add_permits(1);
            return Err(call);
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
