//! Property tests: lock files written from generated dependencies read
//! back to them, in every format, and no input makes a reader panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use vouch_core::{Digest, DigestAlgorithm};
use vouch_deps::{Format, Lock, Source};

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_-]{0,20}[a-z0-9]"
}

fn version() -> impl Strategy<Value = String> {
    "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}(-rc\\.[0-9])?"
}

fn sha256() -> impl Strategy<Value = Digest> {
    any::<[u8; 32]>().prop_map(Digest::from_sha256)
}

proptest! {
    #[test]
    fn cargo_lock_reads_back(pkgs in proptest::collection::vec((name(), version(), sha256(), any::<bool>()), 0..20)) {
        let mut text = String::from("version = 4\n");
        let mut seen = std::collections::HashSet::new();
        let pkgs: Vec<_> = pkgs.into_iter().filter(|(n, v, _, _)| seen.insert((n.clone(), v.clone()))).collect();
        for (n, v, d, registry) in &pkgs {
            text.push_str(&format!("\n[[package]]\nname = \"{n}\"\nversion = \"{v}\"\n"));
            if *registry {
                text.push_str(&format!(
                    "source = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
                    d.hex()
                ));
            }
        }
        let lock = Lock::parse(Format::Cargo, text.as_bytes()).unwrap();
        prop_assert_eq!(lock.dependencies.len(), pkgs.len());
        for (dep, (n, v, d, registry)) in lock.dependencies.iter().zip(&pkgs) {
            prop_assert_eq!(&dep.name, n);
            prop_assert_eq!(dep.version.as_ref(), Some(v));
            if *registry {
                prop_assert_eq!(&dep.digests, &vec![*d]);
            } else {
                prop_assert_eq!(&dep.source, &Source::Local(None));
                prop_assert!(dep.digests.is_empty());
            }
        }
    }

    #[test]
    fn requirements_read_back(
        reqs in proptest::collection::vec((name(), version(), proptest::collection::vec(sha256(), 0..4), any::<bool>(), any::<bool>()), 0..12)
    ) {
        let mut text = String::from("# generated\n");
        for (n, v, hashes, split, marker) in &reqs {
            text.push_str(&format!("{n}=={v}"));
            if *marker {
                text.push_str(" ; python_version >= \"3.9\"");
            }
            for h in hashes {
                // Each hash on its own continued line, or all on one.
                text.push_str(if *split { " \\\n    " } else { " " });
                text.push_str(&format!("--hash=sha256:{}", h.hex()));
            }
            text.push_str("\n    # via something\n");
        }
        let lock = Lock::parse(Format::Pip, text.as_bytes()).unwrap();
        prop_assert_eq!(lock.dependencies.len(), reqs.len());
        for (dep, (n, v, hashes, _, marker)) in lock.dependencies.iter().zip(&reqs) {
            prop_assert_eq!(&dep.name, n);
            prop_assert_eq!(dep.version.as_ref(), Some(v));
            prop_assert_eq!(&dep.digests, hashes);
            prop_assert_eq!(dep.markers.is_some(), *marker);
        }
    }

    #[test]
    fn package_lock_reads_back(
        pkgs in proptest::collection::btree_map((proptest::option::of(name()), name()), (version(), any::<[u8; 64]>()), 0..12)
    ) {
        use base64::Engine as _;
        let mut packages = serde_json::Map::new();
        packages.insert(String::new(), serde_json::json!({"name": "root", "version": "1.0.0"}));
        for ((scope, n), (v, raw)) in &pkgs {
            let full = match scope { Some(s) => format!("@{s}/{n}"), None => n.clone() };
            packages.insert(format!("node_modules/{full}"), serde_json::json!({
                "version": v,
                "resolved": format!("https://registry.npmjs.org/{full}/-/{n}-{v}.tgz"),
                "integrity": format!("sha512-{}", base64::engine::general_purpose::STANDARD.encode(raw)),
            }));
        }
        let doc = serde_json::json!({"lockfileVersion": 3, "packages": packages});
        let lock = Lock::parse(Format::Npm, doc.to_string().as_bytes()).unwrap();
        prop_assert_eq!(lock.dependencies.len(), pkgs.len() + 1);
        let sha512 = DigestAlgorithm::from_name("sha512").unwrap();
        for dep in &lock.dependencies[1..] {
            let (scope, n) = match dep.name.strip_prefix('@') {
                Some(s) => { let (a, b) = s.split_once('/').unwrap(); (Some(a.to_owned()), b.to_owned()) }
                None => (None, dep.name.clone()),
            };
            let (v, raw) = &pkgs[&(scope, n)];
            prop_assert_eq!(dep.version.as_ref(), Some(v));
            prop_assert_eq!(&dep.digests, &vec![Digest::from_parts(sha512, raw).unwrap()]);
        }
    }

    #[test]
    fn no_input_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for f in [Format::Cargo, Format::Npm, Format::Pip] {
            let _ = Lock::parse(f, &bytes);
        }
    }

    #[test]
    fn no_text_panics(text in "[ -~\\n\\\\#=;@\\[\\]-]{0,300}") {
        for f in [Format::Cargo, Format::Npm, Format::Pip] {
            let _ = Lock::parse(f, text.as_bytes());
        }
    }
}
