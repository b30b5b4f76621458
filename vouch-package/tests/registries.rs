//! Archives made by the registries' stock tools: `cargo package`, `npm
//! pack`, `python -m build` (sdist and wheel). Each reads as its format,
//! strips its documented directory, and gives the manifest of the
//! directory that stock `tar` (or Python's zipfile) unpacks it into.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use vouch_manifest::tree::{EntryKind, TreeManifest, TreeOptions};
use vouch_package::{Format, Package, ReadOptions};
use vouch_test_support::packages;

fn dir_manifest(root: &Path) -> TreeManifest {
    let options = TreeOptions {
        include_git: true,
        ..TreeOptions::default()
    };
    TreeManifest::build(root, &options).unwrap()
}

fn read(path: &Path) -> Package {
    let bytes = std::fs::read(path).unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    let p = Package::read(&bytes, Some(name), &ReadOptions::default()).unwrap();
    assert_eq!(p.sha256(), vouch_core::Digest::sha256(&bytes));
    assert_eq!(p.sha512(), vouch_core::Digest::sha512(&bytes));
    p
}

fn paths(m: &TreeManifest) -> Vec<&str> {
    m.entries().iter().map(|e| e.path.as_str()).collect()
}

#[test]
fn cargo_package_crate() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("demo");
    let krate = packages::cargo_package(&src, work.path());
    let p = read(&krate);
    assert_eq!(p.format(), Format::Crate);
    assert_eq!(p.top_directory(), Some("demo-0.1.0"));
    let m = p.manifest();
    assert!(matches!(
        m.get("scripts/run.sh").unwrap().kind,
        EntryKind::File {
            executable: true,
            ..
        }
    ));

    // Unpacked by stock tar, the crate's directory gives the same manifest.
    let unpacked = work.path().join("unpacked");
    packages::untar(&krate, &unpacked);
    assert_eq!(&dir_manifest(&unpacked.join("demo-0.1.0")), m);

    // Against the source directory: every file the author wrote is there
    // with the same digest, but cargo rewrites Cargo.toml (normalized,
    // the author's kept as Cargo.toml.orig) and adds its own files
    // (Cargo.lock, .cargo_vcs_info.json in a git checkout). A release
    // made from the source directory cannot match the .crate; one made
    // from the .crate (`--archive`) or its unpacked directory does.
    let source = dir_manifest(&src);
    let diff = source.diff(m);
    assert_eq!(
        diff.changed.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
        ["Cargo.toml"]
    );
    assert!(diff.removed.is_empty(), "{diff}");
    let added: Vec<&str> = diff.added.iter().map(|p| p.as_str()).collect();
    assert!(added.contains(&"Cargo.toml.orig"), "{added:?}");
    assert!(
        added
            .iter()
            .all(|p| ["Cargo.toml.orig", "Cargo.lock", ".cargo_vcs_info.json"].contains(p)),
        "{added:?}"
    );
    assert_eq!(
        m.get("Cargo.toml.orig").unwrap().kind,
        source.get("Cargo.toml").unwrap().kind
    );
    assert_eq!(
        m.get("src/lib.rs").unwrap().kind,
        source.get("src/lib.rs").unwrap().kind
    );
}

#[test]
fn npm_pack_tarball() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("demo");
    let Some((tgz, integrity)) = packages::npm_pack(&src, work.path()) else {
        return;
    };
    let p = read(&tgz);
    assert_eq!(p.format(), Format::Npm);
    assert_eq!(p.top_directory(), Some("package"));
    // The integrity package-lock.json would hold for it.
    assert_eq!(p.npm_integrity(), integrity);
    // npm packs the files as they are: the source directory's manifest.
    assert_eq!(
        p.manifest(),
        &dir_manifest(&src),
        "{}",
        dir_manifest(&src).diff(p.manifest())
    );
    let unpacked = work.path().join("unpacked");
    packages::untar(&tgz, &unpacked);
    assert_eq!(&dir_manifest(&unpacked.join("package")), p.manifest());
}

#[test]
fn python_sdist_and_wheel() {
    let work = tempfile::tempdir().unwrap();
    let src = work.path().join("demo");
    let Some((sdist, wheel)) = packages::python_build(&src, work.path()) else {
        return;
    };
    let s = read(&sdist);
    assert_eq!(s.format(), Format::Sdist);
    assert_eq!(s.top_directory(), Some("demo-0.1.0"));
    let unpacked = work.path().join("unpacked");
    packages::untar(&sdist, &unpacked);
    assert_eq!(&dir_manifest(&unpacked.join("demo-0.1.0")), s.manifest());
    // The sdist holds the sources as written, plus what setuptools adds.
    let source = dir_manifest(&src);
    for path in ["pyproject.toml", "demo/__init__.py", "demo/tool.py"] {
        assert_eq!(
            s.manifest().get(path).unwrap().kind,
            source.get(path).unwrap().kind,
            "{path}"
        );
    }
    assert!(
        s.manifest().get("PKG-INFO").is_some(),
        "{:?}",
        paths(s.manifest())
    );

    let w = read(&wheel);
    assert_eq!(w.format(), Format::Wheel);
    assert_eq!(w.top_directory(), None);
    assert_eq!(
        w.manifest().get("demo/__init__.py").unwrap().kind,
        source.get("demo/__init__.py").unwrap().kind
    );
    assert!(w.manifest().get("demo-0.1.0.dist-info/RECORD").is_some());
}
