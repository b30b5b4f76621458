//! package-lock.json (and npm-shrinkwrap.json), `lockfileVersion` 2 and 3.
//!
//! The `packages` map is read; its keys are install locations:
//!
//! - `""` is the root project: [`Source::Local`].
//! - `node_modules/NAME`, `node_modules/@scope/NAME` and nested
//!   `node_modules/a/node_modules/b`: the package name is what follows the
//!   last `node_modules/` (or the entry's `name` field, which npm writes
//!   for aliased packages: the real name, not the alias).
//! - any other key (`packages/app`): a workspace member, local.
//!
//! An entry's `integrity` is a Subresource Integrity string, usually
//! `sha512-<base64>` of the tarball; `sha256-` counts too, `sha1-` (old
//! registries) and `sha384-` are kept as weak digests, never evidence.
//! `"link": true` entries point at another entry (`resolved` is its
//! location) and `"inBundle": true` ones are covered by their parent's
//! tarball. `resolved` says where the tarball is: an `http(s)` URL is the
//! registry's, `git+...` a git dependency (no integrity), `file:` a local
//! directory, or a tarball on disk ([`Source::Url`]: an archive with its
//! integrity, checked like a registry's).
//!
//! A v1 lock (npm 6 and older) has no `packages` map, only the nested
//! `dependencies` tree; it is refused with how to upgrade it. The same key
//! twice in `packages` is refused (a JSON parser would keep one silently).

use std::fmt;

use base64::Engine as _;
use serde::Deserialize;
use serde::de::{MapAccess, Visitor};

use crate::error::shown;
use crate::{
    DepsError, Ecosystem, Format, Location, Lock, LockedDependency, MAX_DIGESTS, MAX_ENTRIES,
    Problem, Source, WeakDigest, bounded, evidence_digest,
};

#[derive(Deserialize)]
struct RawLock {
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<u64>,
    name: Option<String>,
    version: Option<String>,
    packages: Option<Entries>,
}

#[derive(Deserialize, Default)]
struct RawEntry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dev: bool,
    #[serde(default, rename = "inBundle")]
    in_bundle: bool,
}

/// The `packages` map in file order, refusing duplicate keys and more
/// than [`MAX_ENTRIES`] entries while it is read.
struct Entries(Vec<(String, RawEntry)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of install locations to packages")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                let mut keys = std::collections::HashSet::new();
                while let Some(key) = map.next_key::<String>()? {
                    if out.len() >= MAX_ENTRIES {
                        return Err(serde::de::Error::custom(format!(
                            "more than {MAX_ENTRIES} packages"
                        )));
                    }
                    if !keys.insert(key.clone()) {
                        return Err(serde::de::Error::custom(format!(
                            "packages[{}] is listed twice",
                            shown(&key)
                        )));
                    }
                    out.push((key, map.next_value()?));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads a package-lock.json (see the module docs).
pub fn parse(bytes: &[u8]) -> Result<Lock, DepsError> {
    let raw: RawLock = serde_json::from_slice(bytes).map_err(|e| DepsError::Json {
        line: e.line(),
        column: e.column(),
        source: e,
    })?;
    let version = raw.lockfile_version.ok_or(DepsError::NoVersion)?;
    match version {
        2 | 3 => {}
        1 => {
            return Err(DepsError::UnsupportedVersion {
                format: "package-lock.json",
                version,
                hint: "a v1 lock (npm 6) has no packages map; upgrade it with npm 7 or later \
                       (npm install --package-lock-only)",
            });
        }
        _ => {
            return Err(DepsError::UnsupportedVersion {
                format: "package-lock.json",
                version,
                hint: "this reader knows lockfileVersion 2 and 3",
            });
        }
    }
    let entries = raw.packages.ok_or(DepsError::UnsupportedVersion {
        format: "package-lock.json",
        version,
        hint: "a lock without a packages map is v1-shaped; regenerate it with npm 7 or later",
    })?;
    let mut dependencies = Vec::with_capacity(entries.0.len());
    for (key, entry) in &entries.0 {
        let dep = package(key, entry, raw.name.as_deref(), raw.version.as_deref()).map_err(
            |problem| DepsError::Npm {
                key: shown(key),
                problem,
            },
        )?;
        dependencies.push(dep);
    }
    Ok(Lock {
        format: Format::Npm,
        format_version: u32::try_from(version).ok(),
        dependencies,
        includes: Vec::new(),
    })
}

fn package(
    key: &str,
    e: &RawEntry,
    root_name: Option<&str>,
    root_version: Option<&str>,
) -> Result<LockedDependency, Problem> {
    bounded("key", key)?;
    for (field, v) in [
        ("name", &e.name),
        ("version", &e.version),
        ("resolved", &e.resolved),
        ("integrity", &e.integrity),
    ] {
        if let Some(v) = v {
            bounded(field, v)?;
        }
    }
    let (name, local) = if key.is_empty() {
        let name = e.name.as_deref().or(root_name).unwrap_or("");
        (name.to_owned(), Some(Source::Local(None)))
    } else if let Some(pos) = key.rfind("node_modules/") {
        let installed = &key[pos + "node_modules/".len()..];
        (e.name.clone().unwrap_or_else(|| installed.to_owned()), None)
    } else {
        // A workspace member: its folder is the key, its name the entry's.
        let name = e
            .name
            .clone()
            .unwrap_or_else(|| key.rsplit('/').next().unwrap_or(key).to_owned());
        (name, Some(Source::Local(Some(key.to_owned()))))
    };
    // The root's name may be absent (a lock of an unnamed project).
    let unnamed_root = key.is_empty() && name.is_empty();
    if !unnamed_root && !valid_name(&name) {
        return Err(Problem::BadName(shown(&name)));
    }
    let source = if let Some(local) = local {
        local
    } else if e.link {
        Source::Link(e.resolved.clone().ok_or(Problem::Missing("resolved"))?)
    } else if e.in_bundle {
        Source::Bundled
    } else {
        match e.resolved.as_deref() {
            None => Source::Registry(None),
            Some(r) => resolved(r)?,
        }
    };
    let mut version = e.version.clone();
    if key.is_empty() && version.is_none() {
        version = root_version.map(str::to_owned);
    }
    if let Some(v) = &version
        && v.chars().any(char::is_control)
    {
        return Err(Problem::Missing("valid version"));
    }
    let (digests, weak_digests) = match &e.integrity {
        Some(i) => integrity(i)?,
        None => (Vec::new(), Vec::new()),
    };
    Ok(LockedDependency {
        ecosystem: Ecosystem::Npm,
        name,
        version,
        digests,
        weak_digests,
        source,
        location: Location::Key(key.to_owned()),
        markers: None,
        dev: e.dev,
    })
}

fn resolved(r: &str) -> Result<Source, Problem> {
    if r.chars().any(char::is_control) {
        return Err(Problem::Missing("valid resolved"));
    }
    Ok(
        if r.starts_with("git+") || r.starts_with("git://") || r.starts_with("github:") {
            Source::Git(r.to_owned())
        } else if let Some(path) = r.strip_prefix("file:") {
            // A tarball on disk (`npm install ./x.tgz`, a vendored
            // archive) is an archive like any other, with its integrity;
            // a directory is the project's own code.
            if [".tgz", ".tar.gz", ".tar"]
                .iter()
                .any(|e| path.ends_with(e))
            {
                Source::Url(r.to_owned())
            } else {
                Source::Local(Some(path.to_owned()))
            }
        } else if r.starts_with("https://") || r.starts_with("http://") {
            Source::Registry(Some(r.to_owned()))
        } else {
            Source::Url(r.to_owned())
        },
    )
}

/// A Subresource Integrity string: whitespace-separated `alg-base64`
/// tokens, each optionally followed by `?options` (ignored, as SRI says).
fn integrity(text: &str) -> Result<(Vec<vouch_core::Digest>, Vec<WeakDigest>), Problem> {
    let mut digests = Vec::new();
    let mut weak = Vec::new();
    for token in text.split_ascii_whitespace() {
        if digests.len() + weak.len() >= MAX_DIGESTS {
            return Err(Problem::TooManyDigests { max: MAX_DIGESTS });
        }
        let token = token.split('?').next().unwrap_or(token);
        let (alg, b64) = token.split_once('-').ok_or(Problem::BadIntegrity)?;
        if b64.is_empty() || !alg.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Problem::BadIntegrity);
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map_err(|_| Problem::BadIntegrity)?;
        match evidence_digest(alg, &raw) {
            Some(Ok(d)) => digests.push(d),
            Some(Err(())) => return Err(Problem::BadIntegrity),
            None => weak.push(WeakDigest {
                algorithm: alg.to_owned(),
                value: b64.to_owned(),
            }),
        }
    }
    if digests.is_empty() && weak.is_empty() {
        return Err(Problem::BadIntegrity);
    }
    Ok((digests, weak))
}

/// An npm package name: `name` or `@scope/name`, each part non-empty and
/// without `/`, whitespace or control characters (npm's own rules are
/// stricter for new packages; old ones may have capitals).
fn valid_name(name: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p != "."
            && p != ".."
            && !p
                .chars()
                .any(|c| c == '/' || c.is_whitespace() || c.is_control())
    };
    match name.strip_prefix('@') {
        Some(scoped) => match scoped.split_once('/') {
            Some((scope, rest)) => part(scope) && part(rest),
            None => false,
        },
        None => part(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(packages: &str) -> String {
        format!(
            r#"{{"name": "app", "version": "1.0.0", "lockfileVersion": 3, "packages": {packages}}}"#
        )
    }

    #[test]
    fn keys_and_sources() {
        let text = lock(
            r#"{
            "": {"name": "app", "version": "1.0.0"},
            "node_modules/a": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz",
                "integrity": "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
            "node_modules/@s/b": {"version": "2.0.0", "dev": true},
            "node_modules/a/node_modules/@s/b": {"version": "3.0.0", "resolved": "git+ssh://git@github.com/s/b.git#abc"},
            "node_modules/alias": {"name": "real", "version": "1.0.0"},
            "node_modules/w": {"resolved": "packages/w", "link": true},
            "node_modules/a/node_modules/inner": {"version": "1.0.0", "inBundle": true},
            "packages/w": {"name": "w", "version": "0.1.0"}
        }"#,
        );
        let lock = parse(text.as_bytes()).unwrap();
        let d = &lock.dependencies;
        assert_eq!(d.len(), 8);
        assert_eq!(
            (d[0].name.as_str(), &d[0].source),
            ("app", &Source::Local(None))
        );
        assert!(d[1].digests.is_empty());
        assert_eq!(d[1].weak_digests[0].algorithm, "sha1");
        assert_eq!(d[2].name, "@s/b");
        assert!(d[2].dev);
        assert_eq!(d[2].purl(), "pkg:npm/%40s/b@2.0.0");
        assert_eq!(
            (d[3].name.as_str(), d[3].version.as_deref()),
            ("@s/b", Some("3.0.0"))
        );
        assert!(matches!(d[3].source, Source::Git(_)));
        assert_eq!(d[4].name, "real");
        assert_eq!(d[5].source, Source::Link("packages/w".into()));
        assert_eq!(d[6].source, Source::Bundled);
        assert_eq!(d[7].source, Source::Local(Some("packages/w".into())));
    }

    #[test]
    fn refusals() {
        let v1 = r#"{"name": "x", "lockfileVersion": 1, "dependencies": {}}"#;
        let err = parse(v1.as_bytes()).unwrap_err();
        assert!(matches!(
            err,
            DepsError::UnsupportedVersion { version: 1, .. }
        ));
        assert!(err.to_string().contains("npm 7"), "{err}");
        assert!(matches!(parse(b"{}"), Err(DepsError::NoVersion)));
        let dup = lock(r#"{"node_modules/a": {}, "node_modules/a": {}}"#);
        let err = parse(dup.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
        for bad in ["sha512-!!", "sha512", "", "sha256-AAAA"] {
            let text = lock(&format!(
                r#"{{"node_modules/a": {{"integrity": "{bad}"}}}}"#
            ));
            assert!(
                matches!(
                    parse(text.as_bytes()),
                    Err(DepsError::Npm {
                        problem: Problem::BadIntegrity,
                        ..
                    })
                ),
                "{bad}"
            );
        }
        for bad in ["node_modules/@s", "node_modules/a b", "node_modules/"] {
            let text = lock(&format!(r#"{{"{bad}": {{}}}}"#));
            assert!(
                matches!(
                    parse(text.as_bytes()),
                    Err(DepsError::Npm {
                        problem: Problem::BadName(_),
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }
}
