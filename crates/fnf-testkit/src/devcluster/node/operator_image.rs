//! The operator's image as the `Dockerfile`'s final stage describes it, assembled from the
//! release binary without a registry or a container build: the same binary path, user,
//! entrypoint, arguments and exposed port, read from the `Dockerfile` itself so the two
//! cannot drift. The base's files are taken from this Debian 12 machine the way distroless
//! `cc-debian12:nonroot` lays them out: glibc and libgcc_s (what `ldd` lists), the CA
//! bundle, `/etc/passwd` with `nonroot` 65532, `/home/nonroot`, `/tmp`.
//!
//! What this does not prove of the `Dockerfile`: its build stage (the `rust:1.95-bookworm`
//! toolchain, `--locked`), and distroless's own files beyond those listed above.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::super::DevClusterError;
use super::image::{FileSource, ImageEntry, ImageSpec};

/// What the tests need of the `Dockerfile`'s final stage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FinalStage {
    pub base: String,
    /// Where `COPY --from=...` puts the binary.
    pub binary_path: String,
    pub user: String,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub expose: Vec<String>,
}

/// Reads the instructions after the last `FROM`. Only the forms the project's `Dockerfile`
/// uses: exec-form (JSON) `ENTRYPOINT`/`CMD`, one `COPY --from` of the binary.
pub fn dockerfile_final_stage(dockerfile: &str) -> Result<FinalStage, DevClusterError> {
    let bad = |message: String| DevClusterError::Manifest {
        context: "reading the Dockerfile's final stage".to_owned(),
        message,
    };
    let lines: Vec<&str> = dockerfile
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect();
    let start = lines
        .iter()
        .rposition(|line| line.starts_with("FROM "))
        .ok_or_else(|| bad("no FROM".to_owned()))?;
    let mut stage = FinalStage {
        base: lines[start]["FROM ".len()..].trim().to_owned(),
        binary_path: String::new(),
        user: String::new(),
        entrypoint: Vec::new(),
        cmd: Vec::new(),
        expose: Vec::new(),
    };
    let exec_form = |rest: &str| {
        serde_json::from_str::<Vec<String>>(rest).map_err(|e| bad(format!("{rest}: {e}")))
    };
    for line in &lines[start + 1..] {
        let (instruction, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        match instruction {
            "COPY" => {
                stage.binary_path = rest
                    .split_whitespace()
                    .last()
                    .ok_or_else(|| bad(format!("COPY without a destination: {line}")))?
                    .to_owned();
            }
            "USER" => stage.user = rest.to_owned(),
            "ENTRYPOINT" => stage.entrypoint = exec_form(rest)?,
            "CMD" => stage.cmd = exec_form(rest)?,
            "EXPOSE" => {
                stage.expose.extend(
                    rest.split_whitespace()
                        .map(|port| match port.contains('/') {
                            true => port.to_owned(),
                            false => format!("{port}/tcp"),
                        }),
                )
            }
            _ => {
                return Err(bad(format!(
                    "an instruction the assembly does not know: {line}"
                )));
            }
        }
    }
    if stage.binary_path.is_empty() || stage.user.is_empty() || stage.entrypoint.is_empty() {
        return Err(bad(
            "the final stage needs COPY, USER and ENTRYPOINT".to_owned()
        ));
    }
    Ok(stage)
}

/// The operator's image: the binary at the final stage's path, its shared libraries, and
/// distroless nonroot's base files, run as the final stage says.
pub fn operator_image_spec(
    name: &str,
    binary: &Path,
    stage: &FinalStage,
) -> Result<ImageSpec, DevClusterError> {
    let mut entries = vec![
        ImageEntry::file(
            &stage.binary_path,
            FileSource::Host(binary.to_path_buf()),
            0o755,
        ),
        ImageEntry::file(
            "/etc/ssl/certs/ca-certificates.crt",
            FileSource::Host(PathBuf::from("/etc/ssl/certs/ca-certificates.crt")),
            0o644,
        ),
        ImageEntry::file(
            "/etc/passwd",
            FileSource::Text(
                "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
                    .to_owned(),
            ),
            0o644,
        ),
        ImageEntry::file(
            "/etc/group",
            FileSource::Text("root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n".to_owned()),
            0o644,
        ),
        ImageEntry::dir("/home/nonroot", 0o700, 65532, 65532),
        ImageEntry::dir("/tmp", 0o1777, 0, 0),
    ];
    for library in shared_libraries(binary)? {
        let path = library.display().to_string();
        entries.push(ImageEntry::file(&path, FileSource::Host(library), 0o755));
    }
    Ok(ImageSpec {
        name: name.to_owned(),
        entries,
        user: stage.user.clone(),
        entrypoint: stage.entrypoint.clone(),
        cmd: stage.cmd.clone(),
        // distroless's environment.
        env: vec![
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
            "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt".to_owned(),
        ],
        working_dir: "/home/nonroot".to_owned(),
        exposed_ports: stage.expose.clone(),
    })
}

/// The pod sandbox image: the static pause binary, as upstream's image runs it.
pub fn pause_image_spec(name: &str, pause: &Path) -> ImageSpec {
    ImageSpec {
        name: name.to_owned(),
        entries: vec![ImageEntry::file(
            "/pause",
            FileSource::Host(pause.to_path_buf()),
            0o755,
        )],
        user: "65535:65535".to_owned(),
        entrypoint: vec!["/pause".to_owned()],
        ..ImageSpec::default()
    }
}

/// Builds `fnf-operator` as the `Dockerfile` does (`--release --locked -p fnf-operator`)
/// into the workspace's target dir and returns the binary. Blocks; minutes when cold.
pub fn build_release_binary() -> Result<PathBuf, DevClusterError> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_path("target"));
    // One spelling of the path (repo_path holds "crates/fnf-testkit/../.."), as a user's
    // `cargo build` would see it.
    let target = std::fs::canonicalize(&target).unwrap_or(target);
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    // The variables `cargo test` sets for the test would change fingerprints and rebuild
    // every dependency; build as a user's command line does.
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("CARGO_") && name != "CARGO_HOME" && name != "CARGO_TARGET_DIR" {
            command.env_remove(name.as_ref());
        }
    }
    let output = command
        .current_dir(crate::repo_path(""))
        .args(["build", "--release", "--locked", "-p", "fnf-operator"])
        .args(["--bin", "fnf-operator", "--target-dir"])
        .arg(&target)
        .output()
        .map_err(|e| DevClusterError::io("running cargo build --release", e))?;
    if !output.status.success() {
        return Err(DevClusterError::BuildFailed {
            status: output.status.to_string(),
            stderr: super::super::binaries::tail_lines(
                &String::from_utf8_lossy(&output.stderr),
                40,
            ),
        });
    }
    Ok(target.join("release/fnf-operator"))
}

/// The shared libraries `ldd` lists for `binary`, the dynamic loader included.
fn shared_libraries(binary: &Path) -> Result<Vec<PathBuf>, DevClusterError> {
    let output = Command::new("ldd")
        .arg(binary)
        .output()
        .map_err(|e| DevClusterError::io("running ldd", e))?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .lines()
        .filter_map(|line| {
            let path = match line.split_once("=>") {
                Some((_, right)) => right.split_whitespace().next(),
                None => line.split_whitespace().next(),
            }?;
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}
