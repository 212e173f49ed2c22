//! Readiness of the watches: `/readyz` fails while any FlowExecution watch has
//! not listed (an operator whose list keeps failing reconciles nothing, yet
//! answered ready).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::metrics::Metrics;

/// One watch's part in readiness: not ready from creation until its list
/// completes, and again while a new list fails. Dropping it (the watch ended)
/// takes it out of readiness.
pub struct WatchHealth {
    unlisted: Arc<AtomicUsize>,
    listed: bool,
}

impl WatchHealth {
    /// A new watch, not listed yet: `metrics`' readiness waits for it until
    /// [`Self::listed`].
    pub fn new(metrics: &Metrics) -> Self {
        let unlisted = metrics.unlisted_watches();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_ready_until_every_watch_has_listed_and_again_while_a_list_fails() {
        let metrics = Metrics::new();
        metrics.set_ready(true);
        let mut a = WatchHealth::new(&metrics);
        let mut b = WatchHealth::new(&metrics);
        assert!(!metrics.is_ready());
        a.listed();
        assert!(!metrics.is_ready());
        b.listed();
        b.listed();
        assert!(metrics.is_ready());
        a.list_failed();
        assert!(!metrics.is_ready());
        drop(a);
        assert!(metrics.is_ready());
        drop(b);
        assert!(metrics.is_ready());
    }
}
