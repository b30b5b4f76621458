//! What every container reader feeds: member names checked and
//! normalized, duplicates and file/directory conflicts refused, the
//! format's top-level directory stripped, and the tree manifest built.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use vouch_core::{Digest, DigestAlgorithm, Hasher};
use vouch_manifest::tree::{EntryKind, TreeEntry, TreeManifest, TreePath};

use crate::error::{Bound, PackageError, UnsafePath};
use crate::{Format, Limits, ReadOptions};

/// Read size when hashing a member's content.
const CHUNK: usize = 64 * 1024;

/// A member's name as the archive spells it, lossily, for errors.
pub(crate) fn lossy(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

/// Checks a member name and splits it into its normalized components:
/// empty and `.` components are dropped (`./a//b` is `a/b`), anything
/// unsafe is refused. An empty result is the archive's root itself.
pub(crate) fn normalize(name: &[u8], limits: &Limits) -> Result<Vec<String>, PackageError> {
    let entry = || lossy(name);
    if name.len() > limits.max_path_len {
        return Err(PackageError::Limit {
            bound: Bound::PathLength,
            limit: limits.max_path_len as u64,
            entry: Some(entry()),
        });
    }
    let text =
        std::str::from_utf8(name).map_err(|_| PackageError::NonUtf8Name { entry: entry() })?;
    let unsafe_path = |reason| PackageError::UnsafePath {
        entry: entry(),
        reason,
    };
    if text.contains('\0') {
        return Err(unsafe_path(UnsafePath::Nul));
    }
    if text.contains('\\') {
        return Err(unsafe_path(UnsafePath::Backslash));
    }
    if text.starts_with('/') {
        return Err(unsafe_path(UnsafePath::Absolute));
    }
    if let [letter, b':', ..] = text.as_bytes()
        && letter.is_ascii_alphabetic()
    {
        return Err(unsafe_path(UnsafePath::DriveLetter));
    }
    let mut parts = Vec::new();
    for component in text.split('/') {
        match component {
            "" | "." => {}
            ".." => return Err(unsafe_path(UnsafePath::ParentDir)),
            c => parts.push(c.to_owned()),
        }
    }
    Ok(parts)
}

/// What a member is, once read.
pub(crate) enum Member {
    /// A regular file, hashed.
    File {
        size: u64,
        digest: Digest,
        executable: bool,
    },
    /// A directory: recorded only to find conflicts.
    Dir,
    /// A symbolic link (only when the options allow them).
    Symlink(String),
}

/// Hashes a member's content, counting it against the per-entry and total
/// bounds. `declared` is the size the archive states; the content must
/// not be longer than the entry bound whatever it states.
pub(crate) fn hash_content(
    mut content: impl Read,
    entry: &[u8],
    limits: &Limits,
    expanded: &mut u64,
    malformed: impl Fn(String) -> PackageError,
) -> Result<(u64, Digest), PackageError> {
    let mut hasher = Hasher::new(DigestAlgorithm::Sha256);
    let mut buf = vec![0u8; CHUNK];
    let mut size: u64 = 0;
    loop {
        let n = match content.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(malformed(e.to_string())),
        };
        // usize → u64 never truncates on the platforms Rust supports.
        size = size.saturating_add(n as u64);
        *expanded = expanded.saturating_add(n as u64);
        if size > limits.max_entry_size {
            return Err(limit(Bound::EntrySize, limits.max_entry_size, entry));
        }
        if *expanded > limits.max_expanded_size {
            return Err(limit(Bound::ExpandedSize, limits.max_expanded_size, entry));
        }
        if let Some(chunk) = buf.get(..n) {
            hasher.update(chunk);
        }
    }
    Ok((size, hasher.finish()))
}

/// A bound exceeded while reading `entry`.
pub(crate) fn limit(bound: Bound, limit: u64, entry: &[u8]) -> PackageError {
    PackageError::Limit {
        bound,
        limit,
        entry: Some(lossy(entry)),
    }
}

/// The members read so far, keyed by normalized path (components joined
/// with `/`, so that the paths under a directory `d` are the contiguous
/// run of keys from `d/` in the sorted sets: conflicts are found by one
/// range lookup per path, whatever the depth).
pub(crate) struct Collector<'a> {
    options: &'a ReadOptions,
    /// Files and links: normalized path → (name as spelled, kind).
    leaves: BTreeMap<String, (String, Member)>,
    /// Directories named by a directory member.
    dirs: BTreeSet<String>,
    /// Members seen, of any kind (the entry bound).
    members: usize,
}

impl<'a> Collector<'a> {
    pub(crate) fn new(options: &'a ReadOptions) -> Self {
        Collector {
            options,
            leaves: BTreeMap::new(),
            dirs: BTreeSet::new(),
            members: 0,
        }
    }

    /// Counts one member of any kind (extension headers included) against
    /// the entry bound; called before the member is read.
    pub(crate) fn count(&mut self, name: &[u8]) -> Result<(), PackageError> {
        self.members += 1;
        if self.members > self.options.limits.max_entries {
            return Err(limit(
                Bound::Entries,
                self.options.limits.max_entries as u64,
                name,
            ));
        }
        Ok(())
    }

    /// Adds a member whose name is already normalized.
    pub(crate) fn add(
        &mut self,
        name: &[u8],
        parts: Vec<String>,
        member: Member,
    ) -> Result<(), PackageError> {
        let path = parts.join("/");
        match member {
            Member::Dir => {
                // A directory listed twice says nothing new (tar appends
                // do it); its root entry (`./`) is not a path.
                if !path.is_empty() {
                    self.dirs.insert(path);
                }
                Ok(())
            }
            leaf => {
                if path.is_empty() {
                    return Err(PackageError::UnsafePath {
                        entry: lossy(name),
                        reason: UnsafePath::Empty,
                    });
                }
                if self.leaves.contains_key(&path) {
                    return Err(PackageError::DuplicatePath {
                        entry: lossy(name),
                        path,
                    });
                }
                self.leaves.insert(path, (lossy(name), leaf));
                Ok(())
            }
        }
    }

    /// Whether any file, link or directory lies under `path`.
    fn has_under(&self, path: &str) -> bool {
        let prefix = format!("{path}/");
        let under = |key: Option<&String>| key.is_some_and(|k| k.starts_with(&prefix));
        under(self.leaves.range(prefix.clone()..).next().map(|(k, _)| k))
            || under(self.dirs.range(prefix.clone()..).next())
    }

    /// Refuses conflicts, strips the format's top-level directory and
    /// builds the manifest. Returns the manifest, the stripped directory
    /// and the number of members.
    pub(crate) fn finish(
        self,
        format: Format,
    ) -> Result<(TreeManifest, Option<String>, usize), PackageError> {
        // A file or link may not be a directory too: listed as one, or
        // with anything under it.
        for path in self.leaves.keys() {
            if self.dirs.contains(path) || self.has_under(path) {
                return Err(PackageError::FileDirectoryConflict { path: path.clone() });
            }
        }
        let first_component = |p: &str| p.split('/').next().unwrap_or_default().to_owned();
        let top = match format.top_directory() {
            TopDirectory::None => None,
            TopDirectory::Named(name) => Some(name.to_owned()),
            TopDirectory::Any => {
                // The one the first member (in path order) is in.
                let first = self.leaves.keys().chain(self.dirs.iter()).min();
                match first {
                    Some(f) => Some(first_component(f)),
                    None => {
                        return Err(PackageError::OutsideTopDirectory {
                            format,
                            entry: String::new(),
                            expected: "NAME-VERSION".into(),
                        });
                    }
                }
            }
        };
        if let Some(top) = &top {
            for dir in &self.dirs {
                if first_component(dir) != *top {
                    return Err(PackageError::OutsideTopDirectory {
                        format,
                        entry: dir.clone(),
                        expected: top.clone(),
                    });
                }
            }
        }
        let mut entries = Vec::with_capacity(self.leaves.len());
        for (path, (name, member)) in self.leaves {
            let path = match &top {
                None => path,
                Some(top) => match path
                    .strip_prefix(top.as_str())
                    .and_then(|r| r.strip_prefix('/'))
                {
                    Some(rest) => rest.to_owned(),
                    None => {
                        return Err(PackageError::OutsideTopDirectory {
                            format,
                            entry: name,
                            expected: top.clone(),
                        });
                    }
                },
            };
            let path = TreePath::new(path)?;
            let kind = match member {
                Member::File {
                    size,
                    digest,
                    executable,
                } => EntryKind::File {
                    size,
                    digest,
                    executable,
                },
                Member::Symlink(target) => EntryKind::Symlink { target },
                // Directories are in `dirs`, never in `leaves`.
                Member::Dir => continue,
            };
            entries.push(TreeEntry { path, kind });
        }
        // Already in bytewise order (the map's), which from_entries
        // checks again as it sorts.
        let manifest = TreeManifest::from_entries(entries)?;
        Ok((manifest, top, self.members))
    }
}

/// Which top-level directory a format strips.
pub(crate) enum TopDirectory {
    /// Nothing is stripped.
    None,
    /// Exactly this one.
    Named(&'static str),
    /// Whichever single one the archive has (`NAME-VERSION`).
    Any,
}

/// A symbolic link's target text, checked.
pub(crate) fn link_target(name: &[u8], target: &[u8]) -> Result<String, PackageError> {
    let invalid = || PackageError::InvalidLinkTarget { entry: lossy(name) };
    if target.is_empty() || target.contains(&0) {
        return Err(invalid());
    }
    String::from_utf8(target.to_vec()).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(name: &str) -> Result<Vec<String>, PackageError> {
        normalize(name.as_bytes(), &Limits::default())
    }

    #[test]
    fn normalization() {
        assert_eq!(parts("a/./b").unwrap(), ["a", "b"]);
        assert_eq!(parts("./a//b/").unwrap(), ["a", "b"]);
        assert!(parts("./").unwrap().is_empty());
        assert_eq!(parts("ab:c/d").unwrap(), ["ab:c", "d"]);
        assert_eq!(parts("...").unwrap(), ["..."]);
        for (bad, why) in [
            ("/etc/passwd", UnsafePath::Absolute),
            ("a/../../b", UnsafePath::ParentDir),
            ("..", UnsafePath::ParentDir),
            ("C:/x", UnsafePath::DriveLetter),
            ("c:x", UnsafePath::DriveLetter),
            ("a\\b", UnsafePath::Backslash),
            ("a\0b", UnsafePath::Nul),
        ] {
            match parts(bad) {
                Err(PackageError::UnsafePath { entry, reason }) => {
                    assert_eq!(entry, bad);
                    assert_eq!(reason, why, "{bad:?}");
                }
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        assert!(matches!(
            normalize(b"a\xffb", &Limits::default()),
            Err(PackageError::NonUtf8Name { .. })
        ));
        let limits = Limits {
            max_path_len: 4,
            ..Limits::default()
        };
        assert!(normalize(b"abcd", &limits).is_ok());
        assert!(matches!(
            normalize(b"abcde", &limits),
            Err(PackageError::Limit {
                bound: Bound::PathLength,
                ..
            })
        ));
    }

    fn file() -> Member {
        Member::File {
            size: 0,
            digest: Digest::sha256(b""),
            executable: false,
        }
    }

    #[test]
    fn duplicates_and_conflicts() {
        let options = ReadOptions::default();
        let mut c = Collector::new(&options);
        c.add(b"a/b", parts("a/b").unwrap(), file()).unwrap();
        assert!(matches!(
            c.add(b"a/./b", parts("a/./b").unwrap(), file()),
            Err(PackageError::DuplicatePath { entry, path }) if entry == "a/./b" && path == "a/b"
        ));
        // A directory listed twice is fine; a file at a directory's path is not.
        c.add(b"d/", parts("d/").unwrap(), Member::Dir).unwrap();
        c.add(b"./d", parts("./d").unwrap(), Member::Dir).unwrap();
        c.add(b"d", parts("d").unwrap(), file()).unwrap();
        assert!(matches!(
            c.finish(Format::Tar),
            Err(PackageError::FileDirectoryConflict { path }) if path == "d"
        ));
        let mut c = Collector::new(&options);
        c.add(b"a", parts("a").unwrap(), file()).unwrap();
        c.add(b"a/b", parts("a/b").unwrap(), file()).unwrap();
        assert!(matches!(
            c.finish(Format::Zip),
            Err(PackageError::FileDirectoryConflict { path }) if path == "a"
        ));
        let mut c = Collector::new(&options);
        assert!(matches!(
            c.add(b"./", parts("./").unwrap(), file()),
            Err(PackageError::UnsafePath {
                reason: UnsafePath::Empty,
                ..
            })
        ));
    }

    #[test]
    fn deep_paths_cost_one_lookup_each() {
        // 2000 files 1000 directories deep: a conflict check per prefix
        // would compare about 10^10 components; this takes milliseconds.
        let options = ReadOptions::default();
        let mut c = Collector::new(&options);
        let deep = vec!["d"; 1000].join("/");
        for i in 0..2000 {
            let name = format!("{deep}/f{i}");
            c.add(name.as_bytes(), parts(&name).unwrap(), file())
                .unwrap();
        }
        let started = std::time::Instant::now();
        let (m, _, _) = c.finish(Format::Tar).unwrap();
        assert_eq!(m.entries().len(), 2000);
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }

    #[test]
    fn stripping() {
        let options = ReadOptions::default();
        let mut c = Collector::new(&options);
        c.add(b"package/", parts("package/").unwrap(), Member::Dir)
            .unwrap();
        c.add(b"package/a-b", parts("package/a-b").unwrap(), file())
            .unwrap();
        c.add(b"package/a/b", parts("package/a/b").unwrap(), file())
            .unwrap();
        let (m, top, n) = c.finish(Format::Npm).unwrap();
        assert_eq!(top.as_deref(), Some("package"));
        assert_eq!(n, 0, "count() was not called");
        let paths: Vec<&str> = m.entries().iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["a-b", "a/b"]);

        let mut c = Collector::new(&options);
        c.add(b"pkg/a", parts("pkg/a").unwrap(), file()).unwrap();
        assert!(matches!(
            c.finish(Format::Npm),
            Err(PackageError::OutsideTopDirectory { expected, .. }) if expected == "package"
        ));
        let mut c = Collector::new(&options);
        c.add(b"foo-1.0/a", parts("foo-1.0/a").unwrap(), file())
            .unwrap();
        c.add(b"bar", parts("bar").unwrap(), file()).unwrap();
        assert!(matches!(
            c.finish(Format::Crate),
            Err(PackageError::OutsideTopDirectory { entry, .. }) if entry == "bar"
        ));
        let c = Collector::new(&options);
        assert!(matches!(
            c.finish(Format::Sdist),
            Err(PackageError::OutsideTopDirectory { .. })
        ));
        let c = Collector::new(&options);
        assert!(c.finish(Format::Wheel).unwrap().0.entries().is_empty());
    }
}
