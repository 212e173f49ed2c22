//! Readiness of the watches: `/readyz` fails while any FlowExecution watch has
//! not listed (an operator whose list keeps failing reconciles nothing, yet
//! answered ready).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// One watch's part in readiness: not ready from creation until its list
/// completes, and again while a new list fails. Dropping it (the watch ended)
/// takes it out of readiness.
pub struct WatchHealth {
    unlisted: Arc<AtomicUsize>,
    listed: bool,
}

impl WatchHealth {
    /// Counts itself as unlisted in `unlisted` until [`Self::listed`].
    pub fn new(unlisted: Arc<AtomicUsize>) -> Self {
        unlisted.fetch_add(1, Ordering::Relaxed);
        Self {
            unlisted,
            listed: false,
        }
    }

    pub fn listed(&mut self) {
        if !self.listed {
            self.listed = true;
            self.unlisted.fetch_sub(1, Ordering::Relaxed);
        }
    }

    pub fn list_failed(&mut self) {
        if self.listed {
            self.listed = false;
            self.unlisted.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for WatchHealth {
    fn drop(&mut self) {
        self.listed();
    }
}
