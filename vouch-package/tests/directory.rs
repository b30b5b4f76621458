//! An archive gives the tree manifest of the directory it was made from,
//! and the other way round: tar, tar.gz and zip built from a directory in
//! the test, and from random file sets (proptest).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use proptest::prelude::*;
use vouch_manifest::tree::{TreeManifest, TreeOptions};
use vouch_package::{Package, ReadOptions};

/// Files of a test tree: path → (content, executable).
type Files = BTreeMap<String, (Vec<u8>, bool)>;

fn write_dir(root: &Path, files: &Files) {
    for (path, (data, exec)) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = if *exec { 0o755 } else { 0o644 };
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}

/// A tar of the directory as `tar::Builder` walks it (modes from disk),
/// under `prefix` when given.
fn tar_of(root: &Path, prefix: &str) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    b.follow_symlinks(false);
    b.append_dir_all(if prefix.is_empty() { "." } else { prefix }, root)
        .unwrap();
    b.into_inner().unwrap()
}

fn zip_of(files: &Files) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (path, (data, exec)) in files {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(if *exec { 0o755 } else { 0o644 });
        w.start_file(path.as_str(), options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn dir_manifest(root: &Path) -> TreeManifest {
    let options = TreeOptions {
        include_git: true,
        ..TreeOptions::default()
    };
    TreeManifest::build(root, &options).unwrap()
}

fn check(files: &Files) {
    let dir = tempfile::tempdir().unwrap();
    write_dir(dir.path(), files);
    let expected = dir_manifest(dir.path());
    let options = ReadOptions::default();
    let plain = tar_of(dir.path(), "");
    let p = Package::read(&plain, Some("x.tar"), &options).unwrap();
    assert_eq!(p.manifest(), &expected, "tar");
    let wrapped = common::gzip(&tar_of(dir.path(), "package"));
    let p = Package::read(&wrapped, Some("x-1.0.0.tgz"), &options).unwrap();
    assert_eq!(p.manifest(), &expected, "npm tgz");
    let crate_like = common::gzip(&tar_of(dir.path(), "x-1.0.0"));
    let p = Package::read(&crate_like, Some("x-1.0.0.crate"), &options).unwrap();
    assert_eq!(p.manifest(), &expected, ".crate");
    assert_eq!(p.top_directory(), Some("x-1.0.0"));
    let p = Package::read(&zip_of(files), Some("x.whl"), &options).unwrap();
    assert_eq!(p.manifest(), &expected, "zip");
    p.verify_contents(&expected).unwrap();
}

#[test]
fn a_directory_and_its_archives_give_one_manifest() {
    let mut files = Files::new();
    files.insert("Cargo.toml".into(), (b"[package]\n".to_vec(), false));
    files.insert("src/lib.rs".into(), (b"pub fn f() {}\n".to_vec(), false));
    files.insert(
        "bin/run.sh".into(),
        (b"#!/bin/sh\necho hi\n".to_vec(), true),
    );
    files.insert("a-b".into(), (Vec::new(), false));
    files.insert("a/b".into(), (vec![0; 100_000], false));
    files.insert(".git/config".into(), (b"x".to_vec(), false));
    files.insert("ü/ß.txt".into(), (b"unicode".to_vec(), false));
    files.insert(
        format!("{}/long.txt", "d".repeat(120)),
        (b"long".to_vec(), false),
    );
    check(&files);
}

#[cfg(unix)]
#[test]
fn symlinks_match_the_directory_when_recorded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("target.txt"), b"t").unwrap();
    std::os::unix::fs::symlink("target.txt", dir.path().join("link")).unwrap();
    let expected = dir_manifest(dir.path());
    let options = ReadOptions {
        symlinks: true,
        ..ReadOptions::default()
    };
    let p = Package::read(&tar_of(dir.path(), ""), Some("x.tar"), &options).unwrap();
    assert_eq!(p.manifest(), &expected);
}

fn name() -> impl Strategy<Value = String> {
    // Names a file system holds and the path rules allow, including dots,
    // dashes and non-ASCII (which sort differently from `/`).
    "[a-zA-Z0-9._é-]{1,12}".prop_filter("not . or ..", |s| s != "." && s != "..")
}

fn files() -> impl Strategy<Value = Files> {
    proptest::collection::btree_map(
        proptest::collection::vec(name(), 1..4).prop_map(|v| v.join("/")),
        (
            proptest::collection::vec(any::<u8>(), 0..300),
            any::<bool>(),
        ),
        0..12,
    )
    .prop_filter("no path is a prefix directory of another", |m| {
        m.keys()
            .all(|a| !m.keys().any(|b| b.starts_with(&format!("{a}/"))))
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_trees_give_the_directory_manifest(files in files()) {
        check(&files);
    }
}
