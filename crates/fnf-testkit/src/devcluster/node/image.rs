//! Container images without a registry: assembles an OCI image layout (one gzip layer, a
//! config, a manifest, an index naming the image) from files on this machine and writes it
//! as a tar that `ctr images import` loads. Uses the system's `tar` and `gzip` (reproducible
//! flags: sorted names, time 0, numeric owners). Never pulls or pushes anything.

use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::super::DevClusterError;

/// Where a file of the image comes from.
#[derive(Debug, Clone)]
pub enum FileSource {
    /// Copied from this machine (symlinks followed).
    Host(PathBuf),
    /// Written with this content.
    Text(String),
}

/// One entry of the image's only layer.
#[derive(Debug, Clone)]
pub struct ImageEntry {
    /// Absolute path inside the image.
    pub path: String,
    /// `None`: a directory.
    pub source: Option<FileSource>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

impl ImageEntry {
    pub fn file(path: &str, source: FileSource, mode: u32) -> Self {
        Self {
            path: path.to_owned(),
            source: Some(source),
            mode,
            uid: 0,
            gid: 0,
        }
    }

    pub fn dir(path: &str, mode: u32, uid: u32, gid: u32) -> Self {
        Self {
            path: path.to_owned(),
            source: None,
            mode,
            uid,
            gid,
        }
    }
}

/// An image to assemble: its name, its files, and the config's runtime fields.
#[derive(Debug, Clone, Default)]
pub struct ImageSpec {
    /// The full reference, e.g. `localhost/fnf-operator:node-test`.
    pub name: String,
    pub entries: Vec<ImageEntry>,
    pub user: String,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    /// e.g. `8080/tcp`.
    pub exposed_ports: Vec<String>,
}

/// Writes `spec` as an OCI image layout tar at `archive`, using `work` as scratch space.
/// Returns the manifest's digest. Needs root when an entry is owned by another user.
pub fn write_oci_archive(
    spec: &ImageSpec,
    work: &Path,
    archive: &Path,
) -> Result<String, DevClusterError> {
    let rootfs = work.join("rootfs");
    let layout = work.join("layout");
    let blobs = layout.join("blobs/sha256");
    for dir in [&rootfs, &blobs] {
        std::fs::create_dir_all(dir)
            .map_err(|e| DevClusterError::io(format!("creating {}", dir.display()), e))?;
    }
    for entry in &spec.entries {
        stage(entry, &rootfs)?;
    }
    let layer_tar = work.join("layer.tar");
    run(Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .args(["--sort=name", "--mtime=@0", "--numeric-owner", "-cf"])
        .arg(&layer_tar)
        .arg("."))?;
    let diff_id = sha256_file(&layer_tar)?;
    run(Command::new("gzip").args(["-n", "-f"]).arg(&layer_tar))?;
    let layer_gz = work.join("layer.tar.gz");
    let layer_digest = sha256_file(&layer_gz)?;
    let layer_size = file_size(&layer_gz)?;
    rename(&layer_gz, &blobs.join(&layer_digest))?;

    let exposed: serde_json::Map<String, serde_json::Value> = spec
        .exposed_ports
        .iter()
        .map(|port| (port.clone(), json!({})))
        .collect();
    let config = json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "User": spec.user,
            "Entrypoint": spec.entrypoint,
            "Cmd": spec.cmd,
            "Env": spec.env,
            "WorkingDir": spec.working_dir,
            "ExposedPorts": exposed,
        },
        "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{diff_id}")] },
    });
    let (config_digest, config_size) = write_blob(&blobs, &config)?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": format!("sha256:{config_digest}"),
            "size": config_size,
        },
        "layers": [{
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": format!("sha256:{layer_digest}"),
            "size": layer_size,
        }],
    });
    let (manifest_digest, manifest_size) = write_blob(&blobs, &manifest)?;
    let tag = spec.name.rsplit_once(':').map_or("latest", |(_, tag)| tag);
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": format!("sha256:{manifest_digest}"),
            "size": manifest_size,
            "platform": { "architecture": "amd64", "os": "linux" },
            "annotations": {
                "io.containerd.image.name": spec.name,
                "org.opencontainers.image.ref.name": tag,
            },
        }],
    });
    write(&layout.join("index.json"), &index.to_string())?;
    write(
        &layout.join("oci-layout"),
        r#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    run(Command::new("tar")
        .arg("-C")
        .arg(&layout)
        .args(["--sort=name", "--mtime=@0", "--numeric-owner", "-cf"])
        .arg(archive)
        .arg("."))?;
    Ok(format!("sha256:{manifest_digest}"))
}

fn stage(entry: &ImageEntry, rootfs: &Path) -> Result<(), DevClusterError> {
    let target = rootfs.join(entry.path.trim_start_matches('/'));
    let context = || format!("staging {}", target.display());
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| DevClusterError::io(context(), e))?;
    }
    match &entry.source {
        None => std::fs::create_dir_all(&target),
        Some(FileSource::Host(source)) => std::fs::copy(source, &target).map(|_| ()),
        Some(FileSource::Text(text)) => std::fs::write(&target, text),
    }
    .map_err(|e| DevClusterError::io(context(), e))?;
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(entry.mode))
        .map_err(|e| DevClusterError::io(context(), e))?;
    chown(&target, Some(entry.uid), Some(entry.gid)).map_err(|e| DevClusterError::io(context(), e))
}

fn write_blob(blobs: &Path, value: &serde_json::Value) -> Result<(String, u64), DevClusterError> {
    let bytes = value.to_string();
    let digest = hex::encode(Sha256::digest(bytes.as_bytes()));
    write(&blobs.join(&digest), &bytes)?;
    Ok((digest, bytes.len() as u64))
}

fn sha256_file(path: &Path) -> Result<String, DevClusterError> {
    let bytes = std::fs::read(path)
        .map_err(|e| DevClusterError::io(format!("reading {}", path.display()), e))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

fn file_size(path: &Path) -> Result<u64, DevClusterError> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| DevClusterError::io(format!("reading {}", path.display()), e))
}

fn write(path: &Path, contents: &str) -> Result<(), DevClusterError> {
    std::fs::write(path, contents)
        .map_err(|e| DevClusterError::io(format!("writing {}", path.display()), e))
}

fn rename(from: &Path, to: &Path) -> Result<(), DevClusterError> {
    std::fs::rename(from, to)
        .map_err(|e| DevClusterError::io(format!("moving {}", from.display()), e))
}

fn run(command: &mut Command) -> Result<(), DevClusterError> {
    let output = command
        .output()
        .map_err(|e| DevClusterError::io(format!("running {command:?}"), e))?;
    if output.status.success() {
        return Ok(());
    }
    Err(DevClusterError::NodeUnavailable {
        reason: format!(
            "{command:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    })
}
