//! Real OCI images made from scratch with `umoci` (no base image, no
//! network), and `skopeo inspect` as the independent reference for their
//! digests.

use std::path::Path;
use std::process::Command;

/// Whether `umoci` and `skopeo` are installed. When one is missing, prints
/// `SKIP: <tool> not found; <untested> not tested` and returns `false`, so the
/// test returns early.
///
/// # Panics
///
/// Under `CI=true` when a tool is missing: CI must never silently skip.
pub fn tools_available(untested: &str) -> bool {
    crate::tools_available(
        &[("umoci", "--version"), ("skopeo", "--version")],
        "OCI tests",
        untested,
    )
}

/// Runs `cmd`, returning its standard output.
///
/// # Panics
///
/// When the command cannot start or exits unsuccessfully.
#[allow(clippy::panic, clippy::expect_used)]
pub fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("starting a tool");
    if !out.status.success() {
        panic!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    out.stdout
}

/// Makes (or extends) the layout `dir` with an image tagged `tag`: a blank
/// image plus one layer per `(path in image, contents)` file, in order.
///
/// # Panics
///
/// When umoci fails.
#[allow(clippy::expect_used)]
pub fn build_image(dir: &Path, tag: &str, files: &[(&str, &[u8])]) {
    if !dir.join("oci-layout").exists() {
        run(Command::new("umoci").arg("init").arg("--layout").arg(dir));
    }
    let image = format!("{}:{tag}", dir.display());
    run(Command::new("umoci").args(["new", "--image", &image]));
    let scratch = tempfile_dir(dir);
    for (i, (target, contents)) in files.iter().enumerate() {
        let source = scratch.join(format!("file{i}"));
        std::fs::write(&source, contents).expect("writing a layer file");
        run(Command::new("umoci")
            .args(["insert", "--image", &image])
            .arg(&source)
            .arg(target));
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

/// A scratch directory beside the layout (not inside it: umoci must not see it).
#[allow(clippy::expect_used)]
fn tempfile_dir(layout: &Path) -> std::path::PathBuf {
    let mut name = layout.file_name().unwrap_or_default().to_os_string();
    name.push(".scratch");
    let dir = layout.with_file_name(name);
    std::fs::create_dir_all(&dir).expect("creating a scratch directory");
    dir
}

/// `skopeo inspect oci:DIR:TAG`, parsed (`Digest`, `Layers`...).
///
/// # Panics
///
/// When skopeo fails or prints something other than JSON.
#[allow(clippy::expect_used)]
pub fn skopeo_inspect(dir: &Path, tag: &str) -> serde_json::Value {
    let out = run(Command::new("skopeo")
        .arg("inspect")
        .arg(format!("oci:{}:{tag}", dir.display())));
    serde_json::from_slice(&out).expect("skopeo inspect prints JSON")
}

/// The bytes of `skopeo inspect --raw [--config] oci:DIR:TAG`: the manifest,
/// or with `config` the config blob.
pub fn skopeo_raw(dir: &Path, tag: &str, config: bool) -> Vec<u8> {
    let mut cmd = Command::new("skopeo");
    cmd.args(["inspect", "--raw"]);
    if config {
        cmd.arg("--config");
    }
    run(cmd.arg(format!("oci:{}:{tag}", dir.display())))
}
