//! What the tracker holds for one FlowExecution, and the bookkeeping on it
//! that needs no lock, task spawn or wake-up: which run the view is of, how a
//! read of the cloud is merged into it, and ending the entry's tasks. The
//! tracker (`super::tracker`) owns the map of these and does the rest.

use tokio::task::AbortHandle;

use crate::crd::phase;
use crate::decide::classify;
use crate::decide::view::{CloudView, ExecutionRead};
use fnf_client::{Client, Execution};

#[derive(Default)]
pub(super) struct Tracked {
    pub(super) view: CloudView,
    pub(super) poll: Option<AbortHandle>,
    pub(super) steps: Option<AbortHandle>,
    /// The client calls for this object use: a new one (changed credentials)
    /// restarts the poll and the history follower.
    pub(super) client: Option<Client>,
    /// When the history was last read (for the staleness metric).
    pub(super) steps_read_at: Option<std::time::Instant>,
    /// The execution the view is of: reads of any other are dropped.
    pub(super) run: Option<String>,
}

/// What merging a read changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct ReadTaken {
    /// The view changed (or a problem was cleared): its reconcile should run.
    pub(super) changed: bool,
    /// This read is the first to show the execution ended.
    pub(super) ended: bool,
}

impl Tracked {
    /// Ends the long-poll and the history follower, if running.
    pub(super) fn abort_tasks(&mut self) {
        for task in [self.poll.take(), self.steps.take()].into_iter().flatten() {
            task.abort();
        }
    }

    /// Whether a long-poll is running.
    pub(super) fn polling(&self) -> bool {
        self.poll.as_ref().is_some_and(|h| !h.is_finished())
    }

    /// Ties the view to the execution `name`; see `Tracker::follow_run`.
    pub(super) fn follow_run(&mut self, name: &str) {
        match self.run.as_deref() {
            Some(run) if run == name => return,
            Some(_) => {
                self.abort_tasks();
                // A problem found before any call (no usable credentials)
                // is the object's, not the execution's: it stays.
                let local = self.view.problem.take().filter(|p| !p.from_call);
                self.view = CloudView {
                    problem: local,
                    ..CloudView::default()
                };
                self.steps_read_at = None;
            }
            None => {}
        }
        self.run = Some(name.to_string());
    }

    /// Merges what the cloud said of the execution into the view. Reads race
    /// (a list page sent before a long-poll answered may arrive after it), so
    /// a read never moves the status backwards; a read of another execution
    /// than the current run's is dropped.
    pub(super) fn take_read(&mut self, execution: &Execution) -> ReadTaken {
        let another_run = self
            .run
            .as_deref()
            .is_some_and(|run| !execution.name.is_empty() && execution.name != run);
        if another_run {
            return ReadTaken::default();
        }
        let view = &mut self.view;
        let adopted = view.execution.as_ref().is_some_and(|r| r.adopted);
        let read = classify::read(execution, adopted);
        let known = view.execution.as_ref();
        let same = known.is_some_and(|old| {
            old.status == read.status
                && old.output == read.output
                && old.started_time == read.started_time
                && old.stopped_time == read.stopped_time
        });
        let behind = known.is_some_and(|old| progress(&read) < progress(old));
        let mut taken = ReadTaken {
            changed: (!same && !behind) || view.problem.is_some(),
            ended: false,
        };
        if !same && !behind {
            taken.ended = progress(&read) == ENDED && known.is_none_or(|old| progress(old) < ENDED);
            view.execution = Some(read);
        }
        view.problem = None;
        taken
    }
}

/// How far along a status is: reads are only taken in this order.
fn progress(read: &ExecutionRead) -> u8 {
    match read.status.as_deref() {
        Some(phase::STARTING) | None => 0,
        Some(status) if phase::is_terminal(status) => ENDED,
        Some(_) => 1,
    }
}

const ENDED: u8 = 2;
