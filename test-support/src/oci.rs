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

/// A layout written by hand (umoci makes no indexes) whose `index.json`
/// tags `multi` an image index of two platform manifests.
#[derive(Debug, Clone)]
pub struct IndexLayout {
    /// The index's digest.
    pub index: vouch_core::Digest,
    /// Each platform manifest: its platform, digest, config and layer.
    pub platforms: Vec<(
        String,
        vouch_core::Digest,
        vouch_core::Digest,
        vouch_core::Digest,
    )>,
}

#[allow(clippy::expect_used)]
fn write_blob(dir: &Path, bytes: &[u8]) -> vouch_core::Digest {
    let digest = vouch_core::Digest::sha256(bytes);
    let blobs = dir.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs).expect("creating blobs/sha256");
    std::fs::write(blobs.join(digest.hex()), bytes).expect("writing a blob");
    digest
}

/// Writes an [`IndexLayout`] in `dir` (created).
///
/// # Panics
///
/// When a file cannot be written.
#[allow(clippy::expect_used)]
pub fn write_index_layout(dir: &Path) -> IndexLayout {
    std::fs::create_dir_all(dir).expect("creating the layout");
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
        .expect("writing oci-layout");
    let mut platforms = Vec::new();
    let mut descriptors = Vec::new();
    for arch in ["amd64", "arm64"] {
        let config = write_blob(dir, format!(r#"{{"architecture":"{arch}"}}"#).as_bytes());
        let layer = write_blob(dir, format!("layer of {arch}").as_bytes());
        let manifest = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer}","size":{}}}]}}"#,
            format!(r#"{{"architecture":"{arch}"}}"#).len(),
            format!("layer of {arch}").len()
        );
        let digest = write_blob(dir, manifest.as_bytes());
        descriptors.push(format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{digest}","size":{},"platform":{{"os":"linux","architecture":"{arch}"}}}}"#,
            manifest.len()
        ));
        platforms.push((format!("linux/{arch}"), digest, config, layer));
    }
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
        descriptors.join(",")
    );
    let index_digest = write_blob(dir, index.as_bytes());
    let top = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"{index_digest}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"multi"}}}}]}}"#,
        index.len()
    );
    std::fs::write(dir.join("index.json"), top).expect("writing index.json");
    IndexLayout {
        index: index_digest,
        platforms,
    }
}
