//! The readers on real lock files of real projects (this workspace's own
//! Cargo.lock, actions/checkout's package-lock.json, sigstore-python's
//! hashed requirements) and on lock files made in the test by stock
//! `cargo` and `npm`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use vouch_core::DigestAlgorithm;
use vouch_deps::{Ecosystem, Format, Lock, Source};
use vouch_test_support::deps;

#[test]
fn this_workspace_cargo_lock() {
    let text = std::fs::read_to_string(deps::workspace_cargo_lock()).unwrap();
    let lock = Lock::parse(Format::Cargo, text.as_bytes()).unwrap();
    assert_eq!(lock.format_version, Some(4));
    assert_eq!(lock.dependencies.len(), text.matches("[[package]]").count());
    let mut registry = 0;
    for d in &lock.dependencies {
        assert_eq!(d.ecosystem, Ecosystem::Cargo);
        match &d.source {
            Source::Registry(Some(url)) => {
                registry += 1;
                assert!(url.contains("crates.io-index"), "{url}");
                assert_eq!(d.digests.len(), 1, "{}", d.name);
                assert_eq!(d.digests[0].algorithm(), DigestAlgorithm::Sha256);
            }
            Source::Local(None) => assert!(d.digests.is_empty()),
            other => panic!("{}: unexpected source {other}", d.name),
        }
    }
    // Every checksum line is one registry package's digest.
    assert_eq!(registry, text.matches("\nchecksum = ").count());
    let core = lock
        .dependencies
        .iter()
        .find(|d| d.name == "vouch-core")
        .unwrap();
    assert_eq!(core.source, Source::Local(None));
    assert_eq!(
        core.purl(),
        format!("pkg:cargo/vouch-core@{}", core.version.as_deref().unwrap())
    );
    let serde = lock
        .dependencies
        .iter()
        .find(|d| d.name == "serde")
        .unwrap();
    assert!(serde.purl().starts_with("pkg:cargo/serde@1."));
}

#[test]
fn actions_checkout_package_lock_v3() {
    let lock = Lock::parse(Format::Npm, deps::NPM_LOCK_V3.as_bytes()).unwrap();
    assert_eq!(lock.format_version, Some(3));
    assert_eq!(lock.dependencies.len(), 587);
    let root = &lock.dependencies[0];
    assert_eq!(root.name, "checkout");
    assert_eq!(root.source, Source::Local(None));
    for d in &lock.dependencies[1..] {
        assert!(
            matches!(&d.source, Source::Registry(Some(u)) if u.starts_with("https://registry.npmjs.org/")),
            "{}: {}",
            d.name,
            d.source
        );
        assert_eq!(d.digests.len(), 1, "{}", d.name);
        assert_eq!(d.digests[0].algorithm().name(), "sha512");
        assert!(d.weak_digests.is_empty());
        assert!(d.version.is_some());
    }
    // A scoped package, keyed by its install location.
    let core = lock
        .dependencies
        .iter()
        .find(|d| d.name == "@actions/core")
        .unwrap();
    assert!(core.purl().starts_with("pkg:npm/%40actions/core@"));
    // Nested installs keep the package name, not the path.
    assert!(
        lock.dependencies
            .iter()
            .all(|d| !d.name.contains("node_modules"))
    );
}

#[test]
fn sigstore_python_hashed_requirements() {
    let lock = Lock::parse(Format::Pip, deps::PIP_HASHED.as_bytes()).unwrap();
    assert!(lock.includes.is_empty());
    assert_eq!(lock.dependencies.len(), 32);
    for d in &lock.dependencies {
        assert_eq!(d.ecosystem, Ecosystem::Pypi);
        assert!(d.version.is_some(), "{} is pinned", d.name);
        assert!(!d.digests.is_empty(), "{} is hashed", d.name);
        assert!(
            d.digests
                .iter()
                .all(|x| x.algorithm() == DigestAlgorithm::Sha256)
        );
    }
    let cffi = lock.dependencies.iter().find(|d| d.name == "cffi").unwrap();
    assert_eq!(cffi.version.as_deref(), Some("2.1.0"));
    assert!(
        cffi.digests.len() > 60,
        "one hash per wheel: {}",
        cffi.digests.len()
    );
    // Every --hash of the file is some requirement's digest.
    let hashes: usize = lock.dependencies.iter().map(|d| d.digests.len()).sum();
    assert_eq!(hashes, deps::PIP_HASHED.matches("--hash=sha256:").count());
    let first = &lock.dependencies[0];
    assert_eq!(
        (first.name.as_str(), first.version.as_deref()),
        ("annotated-types", Some("0.8.0"))
    );
    assert_eq!(first.location, vouch_deps::Location::Line(7));
    assert_eq!(
        first.digests[0].hex(),
        "13b2beaad985e05e2d6407ee4c4f35590b11f8d693a258a561055cac8f64cab7"
    );
}

/// `cargo generate-lockfile --offline` on a tiny crate with a registry
/// dependency (from the local registry cache) and a path dependency.
#[test]
fn stock_cargo_generate_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("app/src")).unwrap();
    std::fs::create_dir_all(root.join("local/src")).unwrap();
    std::fs::write(
        root.join("local/Cargo.toml"),
        "[package]\nname = \"local-dep\"\nversion = \"0.2.0\"\nedition = \"2021\"\n",
    )
    .unwrap();
    std::fs::write(root.join("local/src/lib.rs"), "").unwrap();
    std::fs::write(
        root.join("app/Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
         [dependencies]\nhex = \"=0.4.3\"\nlocal-dep = { path = \"../local\" }\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(root.join("app/src/lib.rs"), "").unwrap();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["generate-lockfile", "--offline"])
        .current_dir(root.join("app"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lock = Lock::parse(
        Format::Cargo,
        &std::fs::read(root.join("app/Cargo.lock")).unwrap(),
    )
    .unwrap();
    let by = |n: &str| lock.dependencies.iter().find(|d| d.name == n).unwrap();
    assert_eq!(by("app").source, Source::Local(None));
    assert_eq!(by("local-dep").source, Source::Local(None));
    assert!(by("local-dep").digests.is_empty());
    // The same checksum as this workspace's lock holds for hex 0.4.3.
    let ours = Lock::parse(
        Format::Cargo,
        &std::fs::read(deps::workspace_cargo_lock()).unwrap(),
    )
    .unwrap();
    let ours_hex = ours
        .dependencies
        .iter()
        .find(|d| d.name == "hex" && d.version.as_deref() == Some("0.4.3"))
        .unwrap();
    assert_eq!(by("hex").digests, ours_hex.digests);
}

/// `npm pack` of a local package and `npm install --package-lock-only
/// --offline` of its tarball: the lock's integrity is the SHA-512 of the
/// tarball npm packed.
#[test]
fn stock_npm_pack_and_lock() {
    if !vouch_test_support::tools_available(&[("npm", "--version")], "npm lock tests", "npm locks")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("lib");
    let app = dir.path().join("app");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        lib.join("package.json"),
        r#"{"name":"@demo/lib","version":"1.2.3"}"#,
    )
    .unwrap();
    std::fs::write(lib.join("index.js"), "module.exports = 1;\n").unwrap();
    std::fs::write(
        app.join("package.json"),
        r#"{"name":"app","version":"0.1.0"}"#,
    )
    .unwrap();
    let npm = |args: &[&str], dir: &std::path::Path| {
        let out = Command::new("npm")
            .args(args)
            .args(["--offline", "--no-audit", "--no-fund", "--silent"])
            .env("npm_config_cache", dir.join(".npm-cache"))
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "npm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    npm(&["pack"], &lib);
    let tarball = lib.join("demo-lib-1.2.3.tgz");
    npm(
        &["install", "--package-lock-only", tarball.to_str().unwrap()],
        &app,
    );
    let lock = Lock::parse(
        Format::Npm,
        &std::fs::read(app.join("package-lock.json")).unwrap(),
    )
    .unwrap();
    let dep = lock
        .dependencies
        .iter()
        .find(|d| d.name == "@demo/lib")
        .unwrap();
    assert!(matches!(dep.source, Source::Url(ref u) if u.ends_with("demo-lib-1.2.3.tgz")));
    assert_eq!(dep.version.as_deref(), Some("1.2.3"));
    assert_eq!(
        dep.digests,
        vec![vouch_core::Digest::sha512(
            &std::fs::read(&tarball).unwrap()
        )]
    );
}
