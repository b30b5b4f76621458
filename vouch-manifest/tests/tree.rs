//! Tree manifests built from real directories: determinism, what is
//! recorded and skipped, errors, verification and the encoding.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use vouch_core::Digest;
use vouch_manifest::tree::{
    EntryKind, InvalidPathReason, TreeEntry, TreeError, TreeManifest, TreeOptions, TreePath,
};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("vouch-tree-test-{}-{n}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn write(&self, rel: &str, content: &[u8]) -> PathBuf {
        let p = self.0.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, content).unwrap();
        // Fixed permissions, whatever the umask, so only the owner-execute
        // bit set on purpose below is ever seen.
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        p
    }

    fn write_executable(&self, rel: &str, content: &[u8]) {
        let p = self.write(rel, content);
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn link(&self, rel: &str, target: &str) {
        let p = self.0.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        symlink(target, p).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn build(dir: &TempDir) -> TreeManifest {
    TreeManifest::build(dir.path(), &TreeOptions::default()).unwrap()
}

fn paths(m: &TreeManifest) -> Vec<&str> {
    m.entries().iter().map(|e| e.path.as_str()).collect()
}

fn threads(n: usize) -> TreeOptions {
    TreeOptions {
        threads: Some(n),
        ..TreeOptions::default()
    }
}

/// A tree with enough files that every thread gets work, sizes on both
/// sides of the read buffer, links and nesting.
fn varied_tree() -> TempDir {
    let dir = TempDir::new("varied");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for i in 0..300 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let size = match i {
            0 => 0,
            1 => 1,
            2 => 600 * 1024,
            3 => 256 * 1024,
            _ => (state % 20_000) as usize,
        };
        let content: Vec<u8> = (0..size).map(|j| (j as u64 ^ state) as u8).collect();
        dir.write(&format!("d{}/s{}/f{i}.bin", i % 7, i % 3), &content);
    }
    dir.write_executable("bin/tool", b"#!/bin/sh\n");
    dir.link("d0/up", "../bin/tool");
    dir.link("abs", "/etc/hostname");
    dir
}

#[test]
fn deterministic_across_thread_counts_and_runs() {
    let dir = varied_tree();
    let reference = build(&dir);
    assert_eq!(reference.entries().len(), 303);
    let bytes = reference.to_canonical_bytes().unwrap();
    for n in [1, 2, 4, 1, 2, 4] {
        let m = TreeManifest::build(dir.path(), &threads(n)).unwrap();
        assert_eq!(m.root(), reference.root(), "threads = {n}");
        assert_eq!(m, reference);
        assert_eq!(m.to_canonical_bytes().unwrap(), bytes);
    }
    assert_eq!(build(&dir), reference);
}

#[test]
fn files_are_hashed_whole_and_sized() {
    let dir = varied_tree();
    let m = build(&dir);
    for name in ["d2/s2/f2.bin", "d3/s0/f3.bin", "d0/s0/f0.bin"] {
        let content = fs::read(dir.path().join(name)).unwrap();
        let entry = m.get(name).unwrap();
        assert_eq!(
            entry.kind,
            EntryKind::File {
                size: content.len() as u64,
                digest: Digest::sha256(&content),
                executable: false,
            }
        );
        assert_eq!(entry.size(), content.len() as u64);
    }
}

#[test]
fn entries_are_sorted_bytewise() {
    let dir = TempDir::new("sorted");
    for p in ["a0", "a/b", "a-b", "B", "a.txt", "é", "z/a"] {
        dir.write(p, p.as_bytes());
    }
    assert_eq!(
        paths(&build(&dir)),
        ["B", "a-b", "a.txt", "a/b", "a0", "z/a", "é"]
    );
}

#[test]
fn symlinks_are_recorded_not_followed() {
    let dir = TempDir::new("links");
    dir.write("sub/f", b"inside");
    dir.link("to_dir", "sub");
    dir.link("to_file", "sub/f");
    dir.link("dangling", "does/not/exist");
    let m = build(&dir);
    assert_eq!(paths(&m), ["dangling", "sub/f", "to_dir", "to_file"]);
    let target = |p: &str| match &m.get(p).unwrap().kind {
        EntryKind::Symlink { target } => target.clone(),
        other => panic!("{p} is {other:?}"),
    };
    assert_eq!(target("to_dir"), "sub");
    assert_eq!(target("to_file"), "sub/f");
    assert_eq!(target("dangling"), "does/not/exist");
    assert_eq!(
        m.get("dangling").unwrap().size(),
        "does/not/exist".len() as u64
    );

    // Changing what a link points to changes nothing: its target's content
    // is not part of the entry.
    fs::write(dir.path().join("sub/f"), b"other").unwrap();
    let after = build(&dir);
    assert_eq!(after.get("to_file"), m.get("to_file"));
}

#[test]
fn a_linked_root_is_followed() {
    let dir = TempDir::new("linked-root");
    dir.write("real/f", b"x");
    dir.link("alias", "real");
    let via_link = TreeManifest::build(&dir.path().join("alias"), &TreeOptions::default()).unwrap();
    let direct = TreeManifest::build(&dir.path().join("real"), &TreeOptions::default()).unwrap();
    assert_eq!(via_link, direct);
    assert_eq!(paths(&direct), ["f"]);
}

#[test]
fn git_is_excluded_by_default_and_included_on_request() {
    let dir = TempDir::new("git");
    dir.write("src/main.rs", b"fn main() {}");
    dir.write(".git/HEAD", b"ref: refs/heads/main\n");
    dir.write(".git/objects/ab/cdef", b"blob");
    dir.write("vendor/lib/.git", b"gitdir: ../../.git/modules/lib\n");
    dir.write("vendor/lib/lib.rs", b"");
    dir.write(".gitignore", b"target\n");
    assert_eq!(
        paths(&build(&dir)),
        [".gitignore", "src/main.rs", "vendor/lib/lib.rs"]
    );
    let with_git = TreeManifest::build(
        dir.path(),
        &TreeOptions {
            include_git: true,
            ..TreeOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        paths(&with_git),
        [
            ".git/HEAD",
            ".git/objects/ab/cdef",
            ".gitignore",
            "src/main.rs",
            "vendor/lib/.git",
            "vendor/lib/lib.rs"
        ]
    );
}

#[test]
fn ignore_patterns() {
    let dir = TempDir::new("ignore");
    for p in [
        "keep.rs",
        "target/debug/app",
        "crate/target/x",
        "obj/a.o",
        "a.o.txt",
        "build-1/out",
        "rebuild-1",
        "docs/gen/index.html",
        "docs/guide.md",
        "other/docs/gen/kept",
    ] {
        dir.write(p, b"x");
    }
    let options = TreeOptions {
        ignore: vec![
            "target".into(),
            "*.o".into(),
            "build-*".into(),
            "docs/gen".into(),
        ],
        ..TreeOptions::default()
    };
    let m = TreeManifest::build(dir.path(), &options).unwrap();
    assert_eq!(
        paths(&m),
        [
            "a.o.txt",
            "docs/guide.md",
            "keep.rs",
            "other/docs/gen/kept",
            "rebuild-1"
        ]
    );
    // Verifying with the same options passes.
    m.verify_dir(dir.path(), &options).unwrap();

    for bad in ["a*b", "*x*", "dir/*.o", "../up", "/abs", ""] {
        let options = TreeOptions {
            ignore: vec![bad.into()],
            ..TreeOptions::default()
        };
        match TreeManifest::build(dir.path(), &options) {
            Err(TreeError::InvalidIgnorePattern { pattern }) => assert_eq!(pattern, bad),
            other => panic!("{bad:?} gave {other:?}"),
        }
    }
}

#[test]
fn executable_bit() {
    let dir = TempDir::new("exec");
    dir.write_executable("run.sh", b"#!/bin/sh\n");
    dir.write("data.txt", b"#!/bin/sh\n");
    let p = dir.write("group-only", b"x");
    // Only the owner bit counts, as in git.
    fs::set_permissions(&p, fs::Permissions::from_mode(0o654)).unwrap();
    let m = build(&dir);
    let exec = |p: &str| match m.get(p).unwrap().kind {
        EntryKind::File { executable, .. } => executable,
        EntryKind::Symlink { .. } => panic!("{p} is a link"),
    };
    assert!(exec("run.sh"));
    assert!(!exec("data.txt"));
    assert!(!exec("group-only"));
    // Same content, different bit: different entries and roots.
    assert_ne!(
        m.get("run.sh").unwrap().kind,
        m.get("data.txt").unwrap().kind
    );
}

#[test]
fn empty_directories_are_not_recorded() {
    let dir = TempDir::new("empty-dirs");
    fs::create_dir_all(dir.path().join("a/b/c")).unwrap();
    let empty = build(&dir);
    assert!(empty.entries().is_empty());
    assert_eq!(empty, TreeManifest::from_entries(Vec::new()).unwrap());
}

#[test]
fn non_utf8_file_name_is_a_typed_error() {
    let dir = TempDir::new("non-utf8");
    dir.write("ok", b"");
    let name = std::ffi::OsStr::from_bytes(b"bad\xffname");
    fs::create_dir_all(dir.path().join("sub")).unwrap();
    fs::write(dir.path().join("sub").join(name), b"").unwrap();
    let err = TreeManifest::build(dir.path(), &TreeOptions::default()).unwrap_err();
    match &err {
        TreeError::NonUtf8Path { path } => assert_eq!(path, &dir.path().join("sub").join(name)),
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("sub/bad\u{fffd}name"), "{err}");

    // A pattern can skip it (names are compared as bytes).
    let options = TreeOptions {
        ignore: vec!["bad*".into()],
        ..TreeOptions::default()
    };
    assert_eq!(
        paths(&TreeManifest::build(dir.path(), &options).unwrap()),
        ["ok"]
    );
}

#[test]
fn non_utf8_link_target_is_a_typed_error() {
    let dir = TempDir::new("non-utf8-target");
    symlink(std::ffi::OsStr::from_bytes(b"t\xfe"), dir.path().join("l")).unwrap();
    match TreeManifest::build(dir.path(), &TreeOptions::default()) {
        Err(TreeError::NonUtf8LinkTarget { path }) => assert_eq!(path, dir.path().join("l")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_error_reported_does_not_depend_on_the_thread_count() {
    let dir = varied_tree();
    // Two files that fail while being read, far apart in the walk.
    for name in ["d6/zz-bad", "d0/aa-bad"] {
        symlink(std::ffi::OsStr::from_bytes(b"\xff"), dir.path().join(name)).unwrap();
    }
    for n in [1, 2, 4, 0] {
        match TreeManifest::build(dir.path(), &threads(n)) {
            Err(TreeError::NonUtf8LinkTarget { path }) => {
                assert_eq!(path, dir.path().join("d0/aa-bad"), "threads = {n}");
            }
            other => panic!("threads = {n}: {other:?}"),
        }
    }
}

#[test]
fn backslash_in_a_name_is_refused() {
    let dir = TempDir::new("backslash");
    dir.write("a\\b", b"");
    match TreeManifest::build(dir.path(), &TreeOptions::default()) {
        Err(TreeError::InvalidPath { path, reason }) => {
            assert_eq!(path, "a\\b");
            assert_eq!(reason, InvalidPathReason::Backslash);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn special_files_are_an_error_unless_ignored() {
    let dir = TempDir::new("special");
    dir.write("f", b"");
    let _listener = std::os::unix::net::UnixListener::bind(dir.path().join("sock")).unwrap();
    match TreeManifest::build(dir.path(), &TreeOptions::default()) {
        Err(TreeError::SpecialFile { path, file_type }) => {
            assert_eq!(path, dir.path().join("sock"));
            assert_eq!(file_type, "socket");
        }
        other => panic!("{other:?}"),
    }
    let options = TreeOptions {
        ignore: vec!["sock".into()],
        ..TreeOptions::default()
    };
    assert_eq!(
        paths(&TreeManifest::build(dir.path(), &options).unwrap()),
        ["f"]
    );
}

#[test]
fn root_must_be_an_existing_directory() {
    let dir = TempDir::new("root");
    let file = dir.write("file", b"");
    assert!(matches!(
        TreeManifest::build(&file, &TreeOptions::default()),
        Err(TreeError::NotADirectory { path }) if path == file
    ));
    let missing = dir.path().join("missing");
    match TreeManifest::build(&missing, &TreeOptions::default()) {
        Err(TreeError::ReadDir { path, source }) => {
            assert_eq!(path, missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unreadable_file_names_its_path() {
    let dir = TempDir::new("unreadable");
    let p = dir.write("secret", b"x");
    fs::set_permissions(&p, fs::Permissions::from_mode(0o000)).unwrap();
    // Root reads everything; the check only means something for other users.
    if fs::read(&p).is_ok() {
        return;
    }
    match TreeManifest::build(dir.path(), &TreeOptions::default()) {
        Err(TreeError::ReadFile { path, .. }) => assert_eq!(path, p),
        other => panic!("{other:?}"),
    }
}

/// A tiny fixed tree whose root digest is pinned: any change to what is
/// recorded or how it is encoded changes this value and must be deliberate.
/// The value was reproduced independently from the module documentation
/// alone (a separate CBOR encoder and SHA-256) before it was pinned.
#[test]
fn known_answer_root() {
    let dir = TempDir::new("kat");
    dir.write("README.md", b"hello\n");
    dir.write_executable("bin/run.sh", b"#!/bin/sh\necho hi\n");
    dir.write("src/lib.rs", b"");
    dir.write("docs/\u{fc}.txt", b"unicode\n");
    dir.write("a-b", b"x");
    dir.link("link", "README.md");
    fs::create_dir_all(dir.path().join("empty")).unwrap();
    dir.write(".git/HEAD", b"ref: refs/heads/main\n");
    let m = build(&dir);
    assert_eq!(
        paths(&m),
        [
            "README.md",
            "a-b",
            "bin/run.sh",
            "docs/\u{fc}.txt",
            "link",
            "src/lib.rs"
        ]
    );
    assert_eq!(
        m.root().to_string(),
        "sha256:13ab8a7975b80c1492422189670590b8bfbc5310c65033367e252bd77769a261"
    );
}

#[test]
fn verify_dir_accepts_the_same_tree_and_lists_every_difference() {
    let dir = varied_tree();
    let m = build(&dir);
    m.verify_dir(dir.path(), &TreeOptions::default()).unwrap();
    m.verify_dir(dir.path(), &threads(1)).unwrap();

    fs::write(dir.path().join("d1/s1/f1.bin"), b"changed").unwrap();
    fs::remove_file(dir.path().join("d4/s1/f4.bin")).unwrap();
    dir.write("new", b"");
    fs::set_permissions(
        dir.path().join("bin/tool"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    match m.verify_dir(dir.path(), &TreeOptions::default()) {
        Err(TreeError::Mismatch { root, diff }) => {
            assert_eq!(root, dir.path());
            let s = |v: &[TreePath]| v.iter().map(|p| p.to_string()).collect::<Vec<_>>();
            assert_eq!(s(&diff.added), ["new"]);
            assert_eq!(s(&diff.removed), ["d4/s1/f4.bin"]);
            assert_eq!(s(&diff.changed), ["bin/tool", "d1/s1/f1.bin"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn encoding_round_trips_and_tampering_is_refused() {
    let dir = varied_tree();
    let m = build(&dir);
    let bytes = m.to_canonical_bytes().unwrap();
    assert_eq!(TreeManifest::from_canonical_bytes(&bytes).unwrap(), m);
    // The generic decoder checks the invariants too.
    assert_eq!(
        vouch_core::cbor::from_canonical::<TreeManifest>(&bytes).unwrap(),
        m
    );

    // A different root with the same entries.
    let root_text = m.root().to_string();
    let at = find(&bytes, root_text.as_bytes());
    let mut tampered = bytes.clone();
    tampered[at + root_text.len() - 1] ^= 1;
    assert!(matches!(
        TreeManifest::from_canonical_bytes(&tampered),
        Err(TreeError::RootMismatch { .. }) | Err(TreeError::Cbor(_))
    ));
    // Also through the generic decoder.
    assert!(vouch_core::cbor::from_canonical::<TreeManifest>(&tampered).is_err());

    // A file's digest changed, root kept.
    let file_digest = match &m.get("bin/tool").unwrap().kind {
        EntryKind::File { digest, .. } => digest.to_string(),
        EntryKind::Symlink { .. } => unreachable!(),
    };
    let at = find(&bytes, file_digest.as_bytes());
    let mut tampered = bytes.clone();
    tampered[at + 7] = if tampered[at + 7] == b'0' { b'1' } else { b'0' };
    assert!(matches!(
        TreeManifest::from_canonical_bytes(&tampered),
        Err(TreeError::RootMismatch { stored }) if stored == m.root()
    ));

    // Trailing bytes.
    let mut long = bytes.clone();
    long.push(0);
    assert!(TreeManifest::from_canonical_bytes(&long).is_err());
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap()
}

#[test]
fn decode_refuses_unsorted_duplicate_and_invalid_paths() {
    #[derive(serde::Serialize)]
    struct Raw {
        entries: Vec<RawEntry>,
        root: Digest,
    }
    #[derive(serde::Serialize, Clone)]
    struct RawEntry {
        path: String,
        kind: EntryKind,
    }
    // Encodes entries as given, with the root they would have if valid, so
    // only the rule under test is broken.
    let encode = |paths: &[&str]| {
        let entries: Vec<RawEntry> = paths
            .iter()
            .map(|p| RawEntry {
                path: (*p).to_owned(),
                kind: EntryKind::Symlink { target: "t".into() },
            })
            .collect();
        let root = Digest::sha256(&vouch_core::cbor::to_canonical(&entries).unwrap());
        vouch_core::cbor::to_canonical(&Raw { entries, root }).unwrap()
    };
    TreeManifest::from_canonical_bytes(&encode(&["a", "b"])).unwrap();
    assert!(matches!(
        TreeManifest::from_canonical_bytes(&encode(&["b", "a"])),
        Err(TreeError::Unsorted { path, previous }) if path.as_str() == "a" && previous.as_str() == "b"
    ));
    assert!(matches!(
        TreeManifest::from_canonical_bytes(&encode(&["a", "a"])),
        Err(TreeError::DuplicatePath { path }) if path.as_str() == "a"
    ));
    for bad in ["", "/etc/passwd", "a/../../b", "..", "a\\b", "a//b", "./a"] {
        assert!(
            matches!(
                TreeManifest::from_canonical_bytes(&encode(&[bad])),
                Err(TreeError::Cbor(vouch_core::cbor::CborError::Schema { .. }))
            ),
            "{bad:?}"
        );
    }
}

#[test]
fn decode_refuses_unknown_fields_inside_entries() {
    #[derive(serde::Serialize)]
    struct Raw {
        entries: Vec<ciborium::Value>,
        root: Digest,
    }
    let entry = |extra: Option<&str>| {
        let mut kind = vec![
            ("type".into(), "symlink".into()),
            ("target".into(), "t".into()),
        ];
        let mut fields = vec![("path".into(), "a".into())];
        match extra {
            Some("kind") => kind.push(("mode".into(), 0o644.into())),
            Some(_) => fields.push(("mtime".into(), 0.into())),
            None => {}
        }
        fields.push(("kind".into(), ciborium::Value::Map(kind)));
        ciborium::Value::Map(fields)
    };
    let encode = |e: ciborium::Value| {
        let entries = vec![e];
        let root = Digest::sha256(&vouch_core::cbor::to_canonical(&entries).unwrap());
        vouch_core::cbor::to_canonical(&Raw { entries, root }).unwrap()
    };
    TreeManifest::from_canonical_bytes(&encode(entry(None))).unwrap();
    assert!(TreeManifest::from_canonical_bytes(&encode(entry(Some("kind")))).is_err());
    assert!(TreeManifest::from_canonical_bytes(&encode(entry(Some("entry")))).is_err());
}

fn arb_component() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._~ü€-]{1,6}".prop_filter("not . or ..", |c| c != "." && c != "..")
}

fn arb_path() -> impl Strategy<Value = TreePath> {
    // Mostly short names, sometimes long ones, so text lengths cross the
    // one- and two-byte CBOR length forms.
    let component = prop_oneof![4 => arb_component(), 1 => "[a-z]{20,300}"];
    proptest::collection::vec(component, 1..4)
        .prop_map(|parts| TreePath::new(parts.join("/")).unwrap())
}

fn arb_kind() -> impl Strategy<Value = EntryKind> {
    prop_oneof![
        (
            prop_oneof![
                0u64..30,
                200u64..70_000,
                any::<u32>().prop_map(u64::from),
                any::<u64>()
            ],
            proptest::array::uniform32(any::<u8>()),
            any::<bool>()
        )
            .prop_map(|(size, d, executable)| EntryKind::File {
                size,
                digest: Digest::from_sha256(d),
                executable,
            }),
        "[^\u{0}]{1,300}".prop_map(|target| EntryKind::Symlink { target }),
    ]
}

fn arb_manifest() -> impl Strategy<Value = TreeManifest> {
    proptest::collection::btree_map(arb_path(), arb_kind(), 0..12).prop_map(|m| {
        // Reversed so that `from_entries` has to sort.
        let entries = m
            .into_iter()
            .rev()
            .map(|(path, kind)| TreeEntry { path, kind })
            .collect();
        TreeManifest::from_entries(entries).unwrap()
    })
}

proptest! {
    #[test]
    fn round_trip(m in arb_manifest()) {
        // The root is the digest of the generic canonical encoder's output
        // (the library streams its own encoding; they must agree).
        prop_assert_eq!(
            m.root(),
            Digest::sha256(&vouch_core::cbor::to_canonical(m.entries()).unwrap())
        );
        let bytes = m.to_canonical_bytes().unwrap();
        let back = TreeManifest::from_canonical_bytes(&bytes).unwrap();
        prop_assert_eq!(back.to_canonical_bytes().unwrap(), bytes);
        prop_assert_eq!(back, m);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = TreeManifest::from_canonical_bytes(&bytes);
    }

    #[test]
    fn mutated_bytes_never_panic(
        m in arb_manifest(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..4),
    ) {
        let mut bytes = m.to_canonical_bytes().unwrap();
        for (idx, byte, op) in edits {
            let i = idx % (bytes.len() + 1);
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => bytes.truncate(i),
            }
        }
        if let Ok(decoded) = TreeManifest::from_canonical_bytes(&bytes) {
            // Whatever is accepted is a valid manifest in its one encoding.
            prop_assert_eq!(decoded.to_canonical_bytes().unwrap(), bytes);
            prop_assert_eq!(
                TreeManifest::from_entries(decoded.entries().to_vec()).unwrap().root(),
                decoded.root()
            );
        }
    }
}
