//! Locates the upstream control-plane binaries by running `tools/control-plane/build.sh`,
//! which builds them from the Go module proxy once and caches them under
//! `~/.cache/fnf-operator/` (a flock serialises concurrent first runs).
//! Never builds anything itself and never downloads binaries from anywhere else.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::DevClusterError;

/// How many trailing lines of the build script's stderr an error keeps.
const BUILD_STDERR_TAIL_LINES: usize = 40;

/// Paths of the binaries the tests and the demo run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlPlaneBinaries {
    /// The cache directory holding all of them.
    pub dir: PathBuf,
    pub kube_apiserver: PathBuf,
    pub kubectl: PathBuf,
    pub etcd: PathBuf,
    pub helm: PathBuf,
    /// Prints Flux's kstatus verdict for a JSON object on stdin (see `tools/control-plane/kstatus-check`).
    pub kstatus_check: PathBuf,
}

impl ControlPlaneBinaries {
    fn in_dir(dir: PathBuf) -> Self {
        Self {
            kube_apiserver: dir.join("kube-apiserver"),
            kubectl: dir.join("kubectl"),
            etcd: dir.join("etcd"),
            helm: dir.join("helm"),
            kstatus_check: dir.join("kstatus-check"),
            dir,
        }
    }

    fn all(&self) -> [&Path; 5] {
        [
            &self.kube_apiserver,
            &self.kubectl,
            &self.etcd,
            &self.helm,
            &self.kstatus_check,
        ]
    }
}

/// What a kubelet node adds (`build.sh --node`), in the same cache directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBinaries {
    pub kubelet: PathBuf,
    pub kube_controller_manager: PathBuf,
    pub kube_scheduler: PathBuf,
    pub kube_proxy: PathBuf,
    /// The pod sandbox binary (static), made into the pause image.
    pub pause: PathBuf,
}

impl NodeBinaries {
    fn in_dir(dir: &Path) -> Self {
        Self {
            kubelet: dir.join("kubelet"),
            kube_controller_manager: dir.join("kube-controller-manager"),
            kube_scheduler: dir.join("kube-scheduler"),
            kube_proxy: dir.join("kube-proxy"),
            pause: dir.join("pause"),
        }
    }

    fn all(&self) -> [&Path; 5] {
        [
            &self.kubelet,
            &self.kube_controller_manager,
            &self.kube_scheduler,
            &self.kube_proxy,
            &self.pause,
        ]
    }
}

/// The build script, found relative to this crate's sources.
pub fn build_script_path() -> PathBuf {
    crate::repo_path("tools/control-plane/build.sh")
}

/// Builds the binaries if they are not cached yet (the first run takes tens of minutes and
/// needs Go), then returns their paths. Blocks the calling thread.
pub fn ensure_binaries() -> Result<ControlPlaneBinaries, DevClusterError> {
    let mut build = Command::new("bash");
    build.arg(build_script_path());
    run_build(build)
}

/// [`ensure_binaries`] plus the node's binaries (a first build adds minutes).
pub fn ensure_node_binaries() -> Result<(ControlPlaneBinaries, NodeBinaries), DevClusterError> {
    let mut build = Command::new("bash");
    build.arg(build_script_path()).arg("--node");
    let binaries = run_build(build)?;
    let node = NodeBinaries::in_dir(&binaries.dir);
    if let Some(missing) = node.all().into_iter().find(|path| !path.is_file()) {
        return Err(DevClusterError::BinaryMissing {
            path: missing.to_path_buf(),
        });
    }
    Ok((binaries, node))
}

fn run_build(mut build: Command) -> Result<ControlPlaneBinaries, DevClusterError> {
    let output = build
        .output()
        .map_err(|e| DevClusterError::io("running tools/control-plane/build.sh", e))?;
    if !output.status.success() {
        return Err(DevClusterError::BuildFailed {
            status: output.status.to_string(),
            stderr: tail_lines(
                &String::from_utf8_lossy(&output.stderr),
                BUILD_STDERR_TAIL_LINES,
            ),
        });
    }
    // The script prints progress on stderr and only the bin directory on stdout.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let dir = stdout
        .lines()
        .rev()
        .find(|line| !line.trim().is_empty())
        .map(|line| PathBuf::from(line.trim()))
        .ok_or_else(|| DevClusterError::BuildFailed {
            status: output.status.to_string(),
            stderr: "the build script printed no bin directory".to_owned(),
        })?;
    let binaries = ControlPlaneBinaries::in_dir(dir);
    if let Some(missing) = binaries.all().into_iter().find(|path| !path.is_file()) {
        return Err(DevClusterError::BinaryMissing {
            path: missing.to_path_buf(),
        });
    }
    Ok(binaries)
}

/// The last `count` lines of `text`, for error messages that must stay readable.
pub(crate) fn tail_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(count)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_go_toolchain_is_reported_by_name_with_the_scripts_stderr() {
        let empty_cache = tempfile::tempdir().expect("temp dir");
        // A PATH holding only what the script needs before it looks for Go.
        let tools = tempfile::tempdir().expect("temp dir");
        for tool in ["bash", "dirname"] {
            let found = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
                .map(|dir| dir.join(tool))
                .find(|path| path.is_file())
                .expect("tool on PATH");
            std::os::unix::fs::symlink(found, tools.path().join(tool)).expect("symlink");
        }
        let mut build = Command::new(tools.path().join("bash"));
        build
            .arg(build_script_path())
            .env("FNF_CACHE_DIR", empty_cache.path())
            .env("PATH", tools.path());
        let error = run_build(build).expect_err("cannot build without Go");
        assert_eq!(error.reason(), "ControlPlaneBuildFailed");
        assert!(error.to_string().contains("Go is required"), "{error}");
    }

    #[test]
    fn tail_lines_keeps_only_the_last_lines() {
        assert_eq!(tail_lines("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail_lines("a", 5), "a");
    }
}
