//! Cargo.lock, formats v2, v3 and v4.
//!
//! Each `[[package]]` has a `name`, a `version`, a `source` when it does
//! not come from the workspace and a `checksum` when it comes from a
//! registry: the SHA-256 of the `.crate` file, which is what crates.io
//! serves and what `vouch package verify` reports for a `.crate`.
//!
//! - `source = "registry+URL"` or `"sparse+URL"`: [`Source::Registry`]
//!   with the URL as written; its checksum is the evidence.
//! - `source = "git+URL?rev#commit"`: [`Source::Git`]; Cargo writes no
//!   checksum for git packages, so they have no digest.
//! - no `source`: a workspace member or path dependency,
//!   [`Source::Local`], no digest.
//!
//! Format v1 (checksums in a `[metadata]` table, Cargo before 1.41) is
//! refused: regenerate it with a current Cargo. v2 has no `version` field
//! and the same shape as v3. Anything after v4 is refused rather than
//! guessed at. The same (name, version, source) twice is refused, as
//! Cargo refuses it.

use std::collections::HashMap;

use serde::Deserialize;

use crate::error::shown;
use crate::{
    DepsError, Ecosystem, Format, Location, Lock, LockedDependency, MAX_ENTRIES, Problem, Source,
    bounded,
};
use vouch_core::{Digest, DigestAlgorithm};

#[derive(Deserialize)]
struct RawLock {
    version: Option<u64>,
    #[serde(default)]
    package: Vec<RawPackage>,
    metadata: Option<toml::Table>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
}

/// Reads a Cargo.lock (see the module docs).
pub fn parse(bytes: &[u8]) -> Result<Lock, DepsError> {
    let text = std::str::from_utf8(bytes).map_err(|e| DepsError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    // A cheap upper bound before the TOML parser builds anything: each
    // package is one `[[package]]` header.
    if text.matches("[[package]]").count() > MAX_ENTRIES {
        return Err(DepsError::TooManyEntries { max: MAX_ENTRIES });
    }
    let raw: RawLock = toml::from_str(text).map_err(|e| DepsError::Toml(Box::new(e)))?;
    let format_version = match raw.version {
        None if raw.metadata.is_some() => {
            return Err(DepsError::UnsupportedVersion {
                format: "Cargo.lock",
                version: 1,
                hint: "regenerate it with a current Cargo (cargo generate-lockfile)",
            });
        }
        None => None,
        Some(v @ 3..=4) => u32::try_from(v).ok(),
        Some(v) => {
            return Err(DepsError::UnsupportedVersion {
                format: "Cargo.lock",
                version: v,
                hint: "this reader knows versions 2 to 4",
            });
        }
    };
    if raw.package.len() > MAX_ENTRIES {
        return Err(DepsError::TooManyEntries { max: MAX_ENTRIES });
    }
    let mut seen: HashMap<(String, String, Option<String>), usize> = HashMap::new();
    let mut dependencies = Vec::with_capacity(raw.package.len());
    for (i, p) in raw.package.into_iter().enumerate() {
        let index = i + 1;
        let err = |problem| DepsError::Cargo {
            index,
            name: shown(&p.name),
            problem,
        };
        let dep = package(&p, index).map_err(err)?;
        let key = (p.name.clone(), p.version.clone(), p.source.clone());
        if let Some(first) = seen.insert(key, index) {
            return Err(err(Problem::Duplicate {
                first: Location::Package(first).to_string(),
            }));
        }
        dependencies.push(dep);
    }
    Ok(Lock {
        format: Format::Cargo,
        format_version,
        dependencies,
        includes: Vec::new(),
    })
}

fn package(p: &RawPackage, index: usize) -> Result<LockedDependency, Problem> {
    bounded("name", &p.name)?;
    bounded("version", &p.version)?;
    if !valid_name(&p.name) {
        return Err(Problem::BadName(shown(&p.name)));
    }
    if p.version.is_empty()
        || !p
            .version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+'))
    {
        return Err(Problem::Missing("valid version"));
    }
    let source = match &p.source {
        None => Source::Local(None),
        Some(s) => {
            bounded("source", s)?;
            if s.bytes().any(|b| b.is_ascii_control()) {
                return Err(Problem::UnknownSource(shown(s)));
            }
            if s.starts_with("registry+") || s.starts_with("sparse+") {
                Source::Registry(Some(s.clone()))
            } else if let Some(url) = s.strip_prefix("git+") {
                Source::Git(url.to_owned())
            } else {
                return Err(Problem::UnknownSource(shown(
                    s.split('+').next().unwrap_or(s),
                )));
            }
        }
    };
    let digests = match &p.checksum {
        Some(c) => {
            vec![Digest::from_hex(DigestAlgorithm::Sha256, c).map_err(|_| Problem::BadChecksum)?]
        }
        None => Vec::new(),
    };
    Ok(LockedDependency {
        ecosystem: Ecosystem::Cargo,
        name: p.name.clone(),
        version: Some(p.version.clone()),
        digests,
        weak_digests: Vec::new(),
        source,
        location: Location::Package(index),
        markers: None,
        dev: false,
    })
}

/// A crate name as crates.io allows it: ASCII letters, digits, `-`, `_`.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECKSUM: &str = "7f24254aa9a54b5c858eaee2f5bccdb46aaf0e486a595ed5fd8f86ba55232a70";

    #[test]
    fn kinds_of_source() {
        let text = format!(
            r#"version = 4
[[package]]
name = "app"
version = "0.1.0"
dependencies = ["hex", "gitdep"]

[[package]]
name = "hex"
version = "0.4.3"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{CHECKSUM}"

[[package]]
name = "gitdep"
version = "1.0.0"
source = "git+https://example.com/g.git?rev=abc#0123456789abcdef0123456789abcdef01234567"
"#
        );
        let lock = parse(text.as_bytes()).unwrap();
        assert_eq!(lock.format_version, Some(4));
        let [app, hex, git] = lock.dependencies.as_slice() else {
            panic!("three packages")
        };
        assert_eq!(app.source, Source::Local(None));
        assert!(app.digests.is_empty());
        assert_eq!(hex.digests[0].hex(), CHECKSUM);
        assert!(
            matches!(git.source, Source::Git(ref u) if u.starts_with("https://example.com/g.git"))
        );
        assert!(git.digests.is_empty());
        assert_eq!(git.location, Location::Package(3));
    }

    #[test]
    fn refusals() {
        let v1 = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n[metadata]\n\"checksum a 1.0.0\" = \"x\"\n";
        assert!(matches!(
            parse(v1.as_bytes()),
            Err(DepsError::UnsupportedVersion { version: 1, .. })
        ));
        assert!(matches!(
            parse(b"version = 5\n"),
            Err(DepsError::UnsupportedVersion { version: 5, .. })
        ));
        let bad = "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+x\"\nchecksum = \"ABC\"\n";
        assert!(matches!(
            parse(bad.as_bytes()),
            Err(DepsError::Cargo {
                index: 1,
                problem: Problem::BadChecksum,
                ..
            })
        ));
        let dup = "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
        assert!(matches!(
            parse(dup.as_bytes()),
            Err(DepsError::Cargo {
                index: 2,
                problem: Problem::Duplicate { .. },
                ..
            })
        ));
        let name = "version = 3\n[[package]]\nname = \"a\\u001b[31m\"\nversion = \"1.0.0\"\n";
        let err = parse(name.as_bytes()).unwrap_err();
        assert!(!err.to_string().contains('\u{1b}'), "{err}");
        let src =
            "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"path+/x\"\n";
        assert!(matches!(
            parse(src.as_bytes()),
            Err(DepsError::Cargo {
                problem: Problem::UnknownSource(_),
                ..
            })
        ));
        assert!(matches!(
            parse(b"\xff"),
            Err(DepsError::NotUtf8 { offset: 0 })
        ));
    }
}
