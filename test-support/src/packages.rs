//! Package archives made by the registries' own stock tools, for the tests
//! of vouch-package and `vouch package verify`: `cargo package`, `npm
//! pack`, and `python -m build` (sdist and wheel) in a venv under
//! `target/package-venv` with pinned versions.
//!
//! Each writes a tiny project into a directory the caller owns and packs
//! it. `npm` and the Python packages may be missing outside CI: the
//! functions then print a `SKIP:` line and return `None`; under `CI=true`
//! they panic instead, since CI must never skip.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The Python build front end and backend, pinned (and their
/// dependencies), installed into `target/package-venv`.
pub const PYTHON_REQUIREMENTS: &[(&str, &str)] = &[
    ("build", "1.2.2.post1"),
    ("packaging", "25.0"),
    ("pyproject_hooks", "1.2.0"),
    ("setuptools", "80.9.0"),
];

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// Prints a skip notice, or panics under CI.
#[allow(clippy::panic)]
fn unavailable(what: &str, why: &str) -> Option<PathBuf> {
    if ci() {
        panic!("{what}: {why}; CI=true forbids skipping");
    }
    eprintln!("SKIP: {what}: {why}");
    None
}

/// Runs `command`, panicking with its output when it fails.
#[allow(clippy::panic)]
fn run(command: &mut Command) -> String {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{command:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[allow(clippy::expect_used)]
fn write(path: &Path, content: &[u8], executable: bool) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("creates directories");
    std::fs::write(path, content).expect("writes a project file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = if executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .expect("sets the mode");
    }
    #[cfg(not(unix))]
    let _ = executable;
}

/// Writes the crate `demo` 0.1.0 into `src` (a library and an executable
/// script) and packs it with `cargo package --allow-dirty --no-verify
/// --offline`, its target directory under `work`. Returns the `.crate`.
#[allow(clippy::expect_used)]
pub fn cargo_package(src: &Path, work: &Path) -> PathBuf {
    write(
        &src.join("Cargo.toml"),
        b"[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\ndescription = \"a demo\"\n",
        false,
    );
    write(
        &src.join("src/lib.rs"),
        b"pub fn demo() -> u32 { 7 }\n",
        false,
    );
    write(&src.join("scripts/run.sh"), b"#!/bin/sh\necho demo\n", true);
    let target = work.join("cargo-target");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    run(Command::new(cargo)
        .args([
            "package",
            "--allow-dirty",
            "--no-verify",
            "--offline",
            "--quiet",
        ])
        .current_dir(src)
        .env("CARGO_TARGET_DIR", &target)
        // The test's own workspace must not claim the temporary crate.
        .env_remove("CARGO_MANIFEST_DIR"));
    let out = target.join("package/demo-0.1.0.crate");
    assert!(out.is_file(), "cargo package wrote no {}", out.display());
    out
}

/// Writes the npm package `demo` 1.0.0 into `src` and packs it with `npm
/// pack` into `work`. Returns the `.tgz` and the `integrity` npm printed,
/// or `None` (after a skip notice) when npm is missing outside CI.
pub fn npm_pack(src: &Path, work: &Path) -> Option<(PathBuf, String)> {
    if Command::new("npm").arg("--version").output().is_err() {
        unavailable("npm pack", "npm not found")?;
    }
    write(
        &src.join("package.json"),
        br#"{"name": "demo", "version": "1.0.0", "main": "index.js", "bin": {"demo": "bin/demo.js"}}
"#,
        false,
    );
    write(&src.join("index.js"), b"module.exports = 7;\n", false);
    write(
        &src.join("bin/demo.js"),
        b"#!/usr/bin/env node\nconsole.log(require('..'));\n",
        true,
    );
    let json = run(Command::new("npm")
        .args(["pack", "--json", "--pack-destination"])
        .arg(work)
        .current_dir(src)
        // No network, no cache outside the test's directory.
        .env("npm_config_cache", work.join("npm-cache"))
        .env("npm_config_offline", "true")
        .env("npm_config_update_notifier", "false"));
    let parsed: serde_json::Value = serde_json::from_str(&json).ok()?;
    let first = parsed.get(0)?;
    let integrity = first.get("integrity")?.as_str()?.to_owned();
    let name = first.get("filename")?.as_str()?;
    Some((work.join(name), integrity))
}

/// The venv's Python, made and filled with [`PYTHON_REQUIREMENTS`] on
/// first use; `None` (after a skip notice) when that fails outside CI.
pub fn python_venv() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/package-venv");
    let python = venv.join("bin/python");
    if !python.is_file() {
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success());
        if !made {
            unavailable("python -m build", "python3 -m venv failed")?;
        }
    }
    let check = PYTHON_REQUIREMENTS
        .iter()
        .map(|(n, v)| format!("version({n:?}) == {v:?}"))
        .collect::<Vec<_>>()
        .join(" and ");
    let have = Command::new(&python)
        .args([
            "-c",
            &format!(
                "from importlib.metadata import version; import sys; sys.exit(0 if {check} else 1)"
            ),
        ])
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        let installed = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(PYTHON_REQUIREMENTS.iter().map(|(n, v)| format!("{n}=={v}")))
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            unavailable(
                "python -m build",
                "pip install of build and setuptools failed",
            )?;
        }
    }
    Some(python)
}

/// Writes the Python project `demo` 0.1.0 into `src` and builds its sdist
/// and wheel with `python -m build --no-isolation` into `work`. Returns
/// `(sdist, wheel)`, or `None` when the venv cannot be had outside CI.
pub fn python_build(src: &Path, work: &Path) -> Option<(PathBuf, PathBuf)> {
    let python = python_venv()?;
    write(
        &src.join("pyproject.toml"),
        b"[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"demo\"\nversion = \"0.1.0\"\n",
        false,
    );
    write(&src.join("demo/__init__.py"), b"VALUE = 7\n", false);
    write(&src.join("demo/tool.py"), b"print('tool')\n", false);
    let out = work.join("dist");
    run(Command::new(&python)
        .args([
            "-m",
            "build",
            "--no-isolation",
            "--sdist",
            "--wheel",
            "--outdir",
        ])
        .arg(&out)
        .arg(src)
        .env("SOURCE_DATE_EPOCH", "1700000000"));
    Some((
        out.join("demo-0.1.0.tar.gz"),
        out.join("demo-0.1.0-py3-none-any.whl"),
    ))
}

/// Unpacks `archive` with the stock `tar` into `into` (for the tests
/// that compare an archive with its unpacked directory).
pub fn untar(archive: &Path, into: &Path) {
    let _ = std::fs::create_dir_all(into);
    run(Command::new("tar")
        .arg("-xzf")
        .arg(archive)
        .arg("-C")
        .arg(into));
}
