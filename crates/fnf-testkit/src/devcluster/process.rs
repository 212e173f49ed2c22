//! One control-plane process (etcd or kube-apiserver) run under a small bash watchdog, so
//! that it can never outlive the Rust process that started it, however that process ends.
//!
//! Why a watchdog: the shared control plane lives in a `static`, and statics are not dropped
//! when a test binary exits; `PR_SET_PDEATHSIG` would need `unsafe`. Instead the watchdog's
//! stdin is a pipe whose only writer is this process: when we drop the write end (`stop`) or
//! the kernel closes it because we died (exit, panic, SIGKILL), the watchdog reads EOF,
//! SIGKILLs its child, waits for it and optionally removes the cluster's temp dir. The
//! watchdog also exits when its child dies, which is how we notice a crash.
//! Never signal anything here except our own watchdog's process group.

use std::fs::{File, OpenOptions};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::DevClusterError;

/// Runs `"$@"` and kills it as soon as stdin reaches EOF (see the module doc).
/// `read -t 1` times out with a status above 128; EOF gives 1.
const WATCHDOG_SCRIPT: &str = r#"
"$@" </dev/null &
child=$!
while kill -0 "$child" 2>/dev/null; do
  read -r -t 1 _
  rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -le 128 ]; then break; fi
done
kill -KILL "$child" 2>/dev/null
wait "$child"
status=$?
if [ -n "${FNF_DEVCLUSTER_REMOVE_ON_EXIT:-}" ]; then rm -rf -- "$FNF_DEVCLUSTER_REMOVE_ON_EXIT"; fi
if [ -n "${FNF_DEVCLUSTER_ON_EXIT:-}" ]; then bash -c "$FNF_DEVCLUSTER_ON_EXIT"; fi
exit "$status"
"#;

/// How long `stop` waits for the watchdog before killing its whole process group itself
/// (unless the process was spawned with another `stop_grace`).
const STOP_GRACE_MILLIS: u64 = 10_000;
const STOP_POLL_MILLIS: u64 = 10;

/// A running etcd or kube-apiserver, with its output going to `log_path`.
#[derive(Debug)]
pub(crate) struct WatchedProcess {
    component: &'static str,
    log_path: PathBuf,
    watchdog: Child,
    /// Dropping this is what tells the watchdog to kill the child.
    lifeline: Option<ChildStdin>,
    stop_grace: Duration,
}

/// What the watchdog does besides killing its child (see [`WatchedProcess::spawn_with`]).
#[derive(Debug, Default)]
pub(crate) struct WatchdogDuties<'a> {
    /// Deleted by the watchdog after the child is dead.
    pub remove_on_exit: Option<&'a Path>,
    /// A shell command the watchdog runs after the child is dead (the node's teardown),
    /// however the owner ended.
    pub on_exit: Option<String>,
    /// How long `stop` waits for the watchdog (and so for `on_exit`); default 10 s.
    pub stop_grace: Option<Duration>,
}

impl WatchedProcess {
    /// Starts `program args` under the watchdog, in its own process group, appending its
    /// stdout and stderr to `log_path`. `remove_on_exit` is deleted by the watchdog after
    /// the child is dead (used for the cluster's temp dir, which a `static` never drops).
    pub fn spawn(
        component: &'static str,
        program: &Path,
        args: &[String],
        log_path: &Path,
        remove_on_exit: Option<&Path>,
    ) -> Result<Self, DevClusterError> {
        Self::spawn_with(
            component,
            program,
            args,
            log_path,
            WatchdogDuties {
                remove_on_exit,
                ..WatchdogDuties::default()
            },
        )
    }

    /// [`Self::spawn`] with more duties for the watchdog.
    pub fn spawn_with(
        component: &'static str,
        program: &Path,
        args: &[String],
        log_path: &Path,
        duties: WatchdogDuties<'_>,
    ) -> Result<Self, DevClusterError> {
        let log = open_log(log_path)?;
        let log_for_stderr = log
            .try_clone()
            .map_err(|e| DevClusterError::io(format!("opening {}", log_path.display()), e))?;
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(WATCHDOG_SCRIPT)
            .arg(format!("fnf-devcluster-{component}"))
            .arg(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(log_for_stderr)
            .process_group(0);
        match duties.remove_on_exit {
            Some(path) => command.env("FNF_DEVCLUSTER_REMOVE_ON_EXIT", path),
            None => command.env_remove("FNF_DEVCLUSTER_REMOVE_ON_EXIT"),
        };
        match &duties.on_exit {
            Some(script) => command.env("FNF_DEVCLUSTER_ON_EXIT", script),
            None => command.env_remove("FNF_DEVCLUSTER_ON_EXIT"),
        };
        let mut watchdog = command
            .spawn()
            .map_err(|e| DevClusterError::io(format!("starting {component}"), e))?;
        let lifeline = watchdog.stdin.take();
        tracing::debug!(component, pid = watchdog.id(), log = %log_path.display(), "started");
        Ok(Self {
            component,
            log_path: log_path.to_path_buf(),
            watchdog,
            lifeline,
            stop_grace: duties
                .stop_grace
                .unwrap_or(Duration::from_millis(STOP_GRACE_MILLIS)),
        })
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// `Err` when the process has exited; the error carries the tail of its log.
    pub fn check_running(&mut self) -> Result<(), DevClusterError> {
        match self.watchdog.try_wait() {
            Ok(None) => Ok(()),
            Ok(Some(status)) => Err(self.exited_error(status.to_string())),
            Err(e) => Err(DevClusterError::io(
                format!("checking on {}", self.component),
                e,
            )),
        }
    }

    pub fn exited_error(&self, status: String) -> DevClusterError {
        DevClusterError::ProcessExited {
            component: self.component,
            status,
            log_path: self.log_path.clone(),
            log_tail: log_tail(&self.log_path),
        }
    }

    /// Kills the process and waits until it and its watchdog are gone. Idempotent; blocks
    /// for milliseconds normally (plus any `on_exit` duty), at most the stop grace plus a
    /// group kill otherwise.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        drop(self.lifeline.take());
        let deadline = Instant::now() + self.stop_grace;
        loop {
            match self.watchdog.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(STOP_POLL_MILLIS));
                }
                _ => break,
            }
        }
        // The watchdog is stuck: SIGKILL its whole group (watchdog and child alike); killing
        // only the watchdog would orphan the child.
        let group = format!("-{}", self.watchdog.id());
        tracing::warn!(
            component = self.component,
            "watchdog did not stop; killing its process group"
        );
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        self.watchdog.wait().ok()
    }
}

impl Drop for WatchedProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

fn open_log(path: &Path) -> Result<File, DevClusterError> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| DevClusterError::io(format!("opening {}", path.display()), e))
}

/// The last lines of a log file, for error messages; empty if it cannot be read.
pub(crate) fn log_tail(path: &Path) -> String {
    const LOG_TAIL_LINES: usize = 30;
    std::fs::read(path)
        .map(|bytes| super::binaries::tail_lines(&String::from_utf8_lossy(&bytes), LOG_TAIL_LINES))
        .unwrap_or_default()
}
