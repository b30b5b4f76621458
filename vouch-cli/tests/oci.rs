//! `vouch attest image --oci DIR[:TAG]`: the digests come from a real layout
//! made by umoci and equal what `skopeo inspect` reports. Without umoci or
//! skopeo the test prints SKIP (and fails under CI=true).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::{Command, Output};

use vouch_manifest::{Image, Signed};
use vouch_test_support::oci::{build_image, skopeo_inspect, skopeo_raw, tools_available};

fn vouch(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .current_dir(dir)
        .args(args)
        .env_remove("VOUCH_PASSPHRASE")
        .env("HOME", dir.join("home"))
        .env("XDG_STATE_HOME", dir.join("xdg-state"))
        .output()
        .unwrap()
}

fn ok(dir: &std::path::Path, args: &[&str]) {
    let out = vouch(dir, args);
    assert!(
        out.status.success(),
        "vouch {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs the image `oci` (DIR:TAG) as ci/build with `builder.key` in
/// `dir`, invocation `id`, into `image<id>.signed`; returns that name.
fn attest_image(dir: &std::path::Path, oci: &str, id: &str) -> String {
    let out = format!("image{id}.signed");
    ok(
        dir,
        &[
            "attest",
            "image",
            "--oci",
            oci,
            "--name",
            "registry.example.com/shop",
            "--builder",
            "workload:ci/build",
            "--invocation-id",
            id,
            "--key",
            "builder.key",
            "-o",
            &out,
        ],
    );
    out
}

#[test]
fn attest_image_from_layout_matches_skopeo() {
    if !tools_available("vouch attest image --oci") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let layout = dir.join("L");
    build_image(&layout, "a", &[("/f", b"one"), ("/g", b"two")]);
    build_image(&layout, "b", &[]);
    ok(dir, &["key", "generate", "--out", "builder.key"]);
    let oci = format!("{}:a", layout.display());
    let common = [
        "--name",
        "registry.example.com/shop",
        "--builder",
        "workload:ci/build",
        "--invocation-id",
        "1",
        "--key",
        "builder.key",
    ];
    let mut args = vec!["attest", "image", "--oci", &oci];
    args.extend(common);
    args.extend(["-o", "image.signed"]);
    ok(dir, &args);

    let signed: Signed<Image> =
        Signed::from_bytes(&std::fs::read(dir.join("image.signed")).unwrap()).unwrap();
    let image = &signed.unverified().predicate();
    let inspect = skopeo_inspect(&layout, "a");
    assert_eq!(image.image.to_string(), inspect["Digest"].as_str().unwrap());
    let layers: Vec<String> = image.layers.iter().map(ToString::to_string).collect();
    let expected: Vec<String> = inspect["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(layers, expected);
    assert_eq!(layers.len(), 2);
    assert_eq!(
        image.config,
        vouch_core::Digest::sha256(&skopeo_raw(&layout, "a", true))
    );

    // --oci and a hand-typed digest are mutually exclusive (clap: exit 2).
    let digest = image.image.to_string();
    let mut args = vec!["attest", "image", "--oci", &oci, "--image", &digest];
    args.extend(common);
    let out = vouch(dir, &args);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    // Two images and no tag: ambiguous, refused as bad usage.
    let bare = layout.display().to_string();
    let mut args = vec!["attest", "image", "--oci", &bare];
    args.extend(common);
    args.extend(["-o", "bare.signed"]);
    let out = vouch(dir, &args);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("DIR:TAG"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn oci_attach_then_fetch_merges_bundles_in_a_layout() {
    if !tools_available("vouch oci attach/fetch") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let layout = dir.join("L");
    build_image(&layout, "a", &[("/f", b"one")]);
    build_image(&layout, "b", &[]);
    ok(dir, &["key", "generate", "--out", "builder.key"]);
    let oci = format!("{}:a", layout.display());
    for id in ["1", "2"] {
        attest_image(dir, &oci, id);
    }
    ok(
        dir,
        &["bundle", "create", "-o", "one.bundle", "image1.signed"],
    );
    ok(
        dir,
        &[
            "bundle",
            "create",
            "-o",
            "both.bundle",
            "image1.signed",
            "image2.signed",
        ],
    );
    ok(
        dir,
        &["oci", "attach", "--bundle", "one.bundle", "--layout", &oci],
    );
    ok(
        dir,
        &["oci", "attach", "--bundle", "both.bundle", "--layout", &oci],
    );
    // Again: idempotent.
    ok(
        dir,
        &["oci", "attach", "--bundle", "one.bundle", "--layout", &oci],
    );
    ok(
        dir,
        &["oci", "fetch", "--layout", &oci, "-o", "merged.bundle"],
    );
    let merged =
        vouch_chain::Bundle::from_bytes(&std::fs::read(dir.join("merged.bundle")).unwrap())
            .unwrap();
    // image1.signed is in both bundles and kept once.
    assert_eq!(
        merged.envelopes(),
        &[
            std::fs::read(dir.join("image1.signed")).unwrap(),
            std::fs::read(dir.join("image2.signed")).unwrap()
        ]
    );
    // skopeo still reads the image, and the other image has no bundle.
    assert_eq!(
        skopeo_inspect(&layout, "a")["Layers"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let other = format!("{}:b", layout.display());
    let out = vouch(
        dir,
        &["oci", "fetch", "--layout", &other, "-o", "none.bundle"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no vouch bundle"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dir.join("none.bundle").exists());
    // A file that is not a bundle is refused before anything is written.
    std::fs::write(dir.join("junk"), b"not cbor").unwrap();
    let out = vouch(
        dir,
        &["oci", "attach", "--bundle", "junk", "--layout", &other],
    );
    assert!(!out.status.success());
}

/// An image index (written by hand: umoci makes none): the statement names
/// the index digest, and lists each platform manifest with its config and
/// layers; an index has no config or layers of its own.
#[test]
fn attest_image_of_an_index_lists_its_platform_manifests() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let layout = dir.join("L");
    let written = vouch_test_support::oci::write_index_layout(&layout);
    ok(dir, &["key", "generate", "--out", "builder.key"]);
    let oci = format!("{}:multi", layout.display());
    ok(
        dir,
        &[
            "attest",
            "image",
            "--oci",
            &oci,
            "--name",
            "registry.example.com/shop",
            "--builder",
            "workload:ci/build",
            "--invocation-id",
            "1",
            "--key",
            "builder.key",
            "-o",
            "index.signed",
        ],
    );
    let signed: Signed<Image> =
        Signed::from_bytes(&std::fs::read(dir.join("index.signed")).unwrap()).unwrap();
    let image = signed.unverified().predicate();
    assert_eq!(image.image, written.index);
    assert_eq!(image.config, written.index);
    assert!(image.layers.is_empty());
    let listed: Vec<_> = image
        .platforms
        .iter()
        .map(|p| {
            (
                p.platform.clone().unwrap(),
                p.manifest,
                p.config,
                p.layers.clone(),
            )
        })
        .collect();
    let expected: Vec<_> = written
        .platforms
        .iter()
        .map(|(platform, manifest, config, layer)| {
            (platform.clone(), *manifest, *config, vec![*layer])
        })
        .collect();
    assert_eq!(listed, expected);
    assert!(image.names(&written.platforms[1].1));
}

/// `vouch oci attach/fetch --image` against test-support's docker-registry
/// (no referrers API: the sha256-<hex> tag index), over plain HTTP on
/// loopback; `--layout` and `--image` together are refused; a password is
/// taken from the environment only.
#[test]
fn oci_attach_then_fetch_through_a_registry() {
    if !tools_available("vouch oci attach/fetch --image")
        || !vouch_test_support::registry::tools_available("vouch oci attach/fetch --image")
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let layout = dir.join("L");
    build_image(&layout, "a", &[("/f", b"one")]);
    let registry = vouch_test_support::registry::Registry::start(dir);
    registry.push(&layout, "a", "shop/api");
    ok(dir, &["key", "generate", "--out", "builder.key"]);
    let oci = format!("{}:a", layout.display());
    for id in ["1", "2"] {
        let out = attest_image(dir, &oci, id);
        ok(
            dir,
            &["bundle", "create", "-o", &format!("{id}.bundle"), &out],
        );
    }
    let image = format!("{}/shop/api:a", registry.host());
    for id in ["1", "2", "1"] {
        ok(
            dir,
            &[
                "oci",
                "attach",
                "--plain-http",
                "--bundle",
                &format!("{id}.bundle"),
                "--image",
                &image,
            ],
        );
    }
    ok(
        dir,
        &[
            "oci",
            "fetch",
            "--plain-http",
            "--registry-timeout-ms",
            "5000",
            "--image",
            &image,
            "-o",
            "merged.bundle",
        ],
    );
    let merged =
        vouch_chain::Bundle::from_bytes(&std::fs::read(dir.join("merged.bundle")).unwrap())
            .unwrap();
    assert_eq!(
        merged.envelopes(),
        &[
            std::fs::read(dir.join("image1.signed")).unwrap(),
            std::fs::read(dir.join("image2.signed")).unwrap()
        ]
    );
    // Both places at once: a usage error, nothing written.
    let out = vouch(
        dir,
        &[
            "oci",
            "fetch",
            "--plain-http",
            "--image",
            &image,
            "--layout",
            &oci,
            "-o",
            "x.bundle",
        ],
    );
    assert!(!out.status.success());
    assert!(!dir.join("x.bundle").exists());
    // Plain HTTP to a registry that is not on loopback: refused.
    let out = vouch(
        dir,
        &[
            "oci",
            "fetch",
            "--plain-http",
            "--image",
            "192.0.2.1:5000/shop/api:a",
            "-o",
            "y.bundle",
        ],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("only loopback"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A user without a password is a usage error, not a silent anonymous try.
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .current_dir(dir)
        .args([
            "oci",
            "fetch",
            "--plain-http",
            "--image",
            &image,
            "-o",
            "z.bundle",
        ])
        .env("VOUCH_REGISTRY_USER", "u")
        .env_remove("VOUCH_REGISTRY_PASSWORD")
        .env("HOME", dir.join("home"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("VOUCH_REGISTRY_PASSWORD"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
