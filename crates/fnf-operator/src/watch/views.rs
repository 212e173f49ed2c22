//! What the watch's tasks (polls, sweeps, the history follower and the
//! planner) need of the tracker: read and change one execution's view, and
//! wake its reconcile. A trait, so those tasks never import the tracker that
//! starts them: the tracker implements it, a test may too.

use super::key::{ReadVia, TrackKey};
use crate::decide::view::{CloudView, ExecutionRead};
use fnf_client::Execution;

pub trait CloudViews: Clone + Send + Sync + 'static {
    /// What the cloud has said of `key` so far.
    fn view(&self, key: &TrackKey) -> CloudView;
    /// Changes the view of `key` in place (under the tracker's lock: `change`
    /// must not block or take another lock).
    fn update(&self, key: &TrackKey, change: impl FnOnce(&mut CloudView));
    /// The last read of the execution, if `key` is tracked.
    fn execution_read(&self, key: &TrackKey) -> Option<ExecutionRead>;
    /// Records what a read said of the execution; wakes the reconcile when
    /// that changed anything.
    fn record_read(&self, key: &TrackKey, execution: &Execution, via: ReadVia);
    /// The history of `key` was just read (for the staleness metric).
    fn steps_read(&self, key: &TrackKey);
    /// Asks the controller to reconcile `key`.
    fn wake(&self, key: &TrackKey);
    /// What one sweep listing read (for the metrics): pages, and ends found.
    fn sweep_listed(&self, listing: &'static str, pages: u64, endings: u64) {
        let _ = (listing, pages, endings);
    }
    /// Final-status reads a sweep made (for the metrics), and the ends found.
    fn sweep_described(&self, calls: u64, endings: u64) {
        let _ = (calls, endings);
    }
}
