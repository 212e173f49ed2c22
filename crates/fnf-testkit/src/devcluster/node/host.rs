//! The node's hold on the machine: the lock that makes it the only node, its scratch dir,
//! the host state `tools/node/host.sh up` sets, and a janitor watchdog whose exit runs
//! `host.sh down` however the test process ends. Changes nothing it cannot undo.

use std::fs::{File, OpenOptions};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::super::DevClusterError;
use super::super::process::{WatchdogDuties, WatchedProcess};
use super::{NODE_ADDRESS, display, host_script, node_dir};

/// `host.sh down` kills containers, unmounts and removes iptables chains: seconds normally.
const TEARDOWN_GRACE_SECS: u64 = 180;
const TEARDOWN_DELAY_SECS: u64 = 2;

#[derive(Debug)]
pub(crate) struct NodeHost {
    dir: PathBuf,
    /// Exits (running `host.sh down`) when stopped or when this process dies.
    janitor: WatchedProcess,
    /// Held for the node's lifetime; released after the janitor is done.
    _lock: File,
}

impl NodeHost {
    /// Takes the machine-wide node lock (waiting for another node to go), cleans what a
    /// crashed run may have left, and sets up the host state. Blocks; needs root.
    pub fn prepare() -> Result<Self, DevClusterError> {
        let dir = node_dir();
        let lock_path = dir.with_extension("lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| DevClusterError::io(format!("opening {}", lock_path.display()), e))?;
        lock.lock()
            .map_err(|e| DevClusterError::io(format!("locking {}", lock_path.display()), e))?;
        run_host_script("down", &dir)?;
        run_host_script("up", &dir)?;
        // The pause lets the other watchdogs kill kubelet and kube-proxy first when the
        // whole process dies at once, so nothing re-adds rules behind the teardown.
        let on_exit = format!(
            "sleep {TEARDOWN_DELAY_SECS}; bash '{}' down '{}' '{}'",
            display(&host_script()),
            display(&dir),
            NODE_ADDRESS
        );
        let janitor = WatchedProcess::spawn_with(
            "node-janitor",
            Path::new("sleep"),
            &["infinity".to_owned()],
            &dir.with_extension("janitor.log"),
            WatchdogDuties {
                on_exit: Some(on_exit),
                stop_grace: Some(Duration::from_secs(TEARDOWN_GRACE_SECS)),
                ..WatchdogDuties::default()
            },
        )?;
        Ok(Self {
            dir,
            janitor,
            _lock: lock,
        })
    }

    pub fn address(&self) -> IpAddr {
        IpAddr::V4(NODE_ADDRESS)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Runs the teardown (after every node process is stopped) and waits for it.
    pub fn teardown(&mut self) {
        self.janitor.stop();
    }
}

impl Drop for NodeHost {
    fn drop(&mut self) {
        self.teardown();
    }
}

fn run_host_script(action: &str, dir: &Path) -> Result<(), DevClusterError> {
    let output = Command::new("bash")
        .arg(host_script())
        .arg(action)
        .arg(dir)
        .arg(NODE_ADDRESS.to_string())
        .output()
        .map_err(|e| DevClusterError::io(format!("running tools/node/host.sh {action}"), e))?;
    if output.status.success() {
        return Ok(());
    }
    Err(DevClusterError::NodeUnavailable {
        reason: format!(
            "tools/node/host.sh {action} failed ({}); it needs root: {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    })
}
