//! A layout made by the real `umoci` reads, and the manifest digest vouch
//! computes equals the sha256 of `skopeo inspect --raw`. A missing tool prints
//! a SKIP notice and passes, except under CI=true where it fails.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use vouch_core::Digest;
use vouch_oci::MAX_MANIFEST;
use vouch_oci::layout::{Layout, descriptor_digest};

fn have(tool: &str) -> bool {
    let ok = Command::new(tool).arg("--version").output().is_ok();
    if !ok {
        // Under CI a missing tool is a failure, never a pass that checked nothing.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "`{tool}` is not installed; CI=true forbids skipping this test"
        );
        eprintln!("SKIP: `{tool}` is not installed; install it to run this test");
    }
    ok
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn umoci_layout_digest_matches_skopeo() {
    if !have("umoci") || !have("skopeo") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("L");
    run(Command::new("umoci").arg("init").arg("--layout").arg(&dir));
    run(Command::new("umoci")
        .arg("new")
        .arg("--image")
        .arg(format!("{}:t", dir.display())));
    let raw = run(Command::new("skopeo")
        .arg("inspect")
        .arg("--raw")
        .arg(format!("oci:{}:t", dir.display())));

    let layout = Layout::open(&dir).unwrap();
    let descriptor = layout.resolve(Some("t")).unwrap();
    assert_eq!(descriptor_digest(descriptor).unwrap(), Digest::sha256(&raw));
    assert_eq!(layout.read_blob(descriptor, MAX_MANIFEST).unwrap(), raw);
}
