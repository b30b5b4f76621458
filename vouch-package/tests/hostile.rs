//! Hand-built hostile archives: every refusal names the member and the
//! rule, and no bound is crossed by more than a read buffer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;

use common::{TarMember, file, gzip, raw_member, tar, tar_end, zip};
use tar::EntryType;
use vouch_package::{Bound, Format, Limits, Package, PackageError, ReadOptions, UnsafePath};

fn read(bytes: &[u8], name: &str) -> Result<Package, PackageError> {
    Package::read(bytes, Some(name), &ReadOptions::default())
}

fn read_with(bytes: &[u8], name: &str, limits: Limits) -> Result<Package, PackageError> {
    let options = ReadOptions {
        limits,
        ..ReadOptions::default()
    };
    Package::read(bytes, Some(name), &options)
}

#[test]
fn traversal_and_absolute_names_are_refused_in_tar_and_zip() {
    let cases: [(&str, UnsafePath); 6] = [
        ("../evil", UnsafePath::ParentDir),
        ("a/../../evil", UnsafePath::ParentDir),
        ("/etc/passwd", UnsafePath::Absolute),
        ("C:/Windows/evil", UnsafePath::DriveLetter),
        ("a\\..\\evil", UnsafePath::Backslash),
        (".", UnsafePath::Empty),
    ];
    for (name, why) in cases {
        let t = tar(&[file(name, b"x")]);
        let z = zip(&[(name, b"x", 0o644)]);
        for (bytes, file_name) in [(&t, "x.tar"), (&z, "x.zip")] {
            match read(bytes, file_name) {
                Err(PackageError::UnsafePath { entry, reason }) => {
                    assert_eq!(entry, name, "{file_name}");
                    assert_eq!(reason, why, "{name} in {file_name}");
                }
                // The zip writer may itself refuse some names; a tar always
                // carries them.
                Err(PackageError::Malformed { .. }) if file_name == "x.zip" => {}
                other => panic!("{name} in {file_name}: {other:?}"),
            }
        }
    }
    let nul = tar(&[TarMember {
        name: b"a\\b",
        ..file("", b"")
    }]);
    assert!(matches!(
        read(&nul, "x.tar"),
        Err(PackageError::UnsafePath {
            reason: UnsafePath::Backslash,
            ..
        })
    ));
}

#[test]
fn duplicates_are_refused_also_after_normalization() {
    for (a, b) in [
        ("a/b", "a/b"),
        ("a/./b", "a/b"),
        ("./x", "x"),
        ("d//e", "d/e"),
    ] {
        let t = tar(&[file(a, b"1"), file(b, b"2")]);
        match read(&t, "x.tar") {
            Err(PackageError::DuplicatePath { entry, path }) => {
                assert_eq!(entry, b);
                assert_eq!(path, b.replace("//", "/").trim_start_matches("./"));
            }
            other => panic!("{a} + {b}: {other:?}"),
        }
    }
    // A file and a directory of the same name, in both orders and kinds.
    let dir_then_file = tar(&[
        TarMember {
            kind: EntryType::Directory,
            ..file("a/", b"")
        },
        file("a", b"1"),
    ]);
    let file_then_child = tar(&[file("a", b"1"), file("a/b", b"2")]);
    for bytes in [dir_then_file, file_then_child] {
        assert!(matches!(
            read(&bytes, "x.tar"),
            Err(PackageError::FileDirectoryConflict { path }) if path == "a"
        ));
    }
    let z = zip(&[("a/b", b"1", 0o644), ("a", b"2", 0o644)]);
    assert!(matches!(
        read(&z, "x.zip"),
        Err(PackageError::FileDirectoryConflict { path }) if path == "a"
    ));
    // The zip writer refuses a repeated name; a central directory that
    // repeats one (written by other tools) is refused by the reader.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("same", zip::write::SimpleFileOptions::default())
        .unwrap();
    assert!(
        w.start_file("same", zip::write::SimpleFileOptions::default())
            .is_err()
    );
}

#[test]
fn links_and_special_files() {
    let link = TarMember {
        kind: EntryType::Symlink,
        link: Some(b"../../etc/passwd"),
        ..file("l", b"")
    };
    assert!(matches!(
        read(&tar(&[link]), "x.tar"),
        Err(PackageError::Link { entry, kind: "symbolic link" }) if entry == "l"
    ));
    // Recorded when asked, verbatim.
    let options = ReadOptions {
        symlinks: true,
        ..ReadOptions::default()
    };
    let link = TarMember {
        kind: EntryType::Symlink,
        link: Some(b"../../etc/passwd"),
        ..file("l", b"")
    };
    let p = Package::read(&tar(&[link]), Some("x.tar"), &options).unwrap();
    assert_eq!(
        p.manifest().get("l").unwrap().kind,
        vouch_manifest::tree::EntryKind::Symlink {
            target: "../../etc/passwd".into()
        }
    );
    // A file under a link is refused even then.
    let link = TarMember {
        kind: EntryType::Symlink,
        link: Some(b"/etc"),
        ..file("l", b"")
    };
    assert!(matches!(
        Package::read(&tar(&[link, file("l/passwd", b"x")]), Some("x.tar"), &options),
        Err(PackageError::FileDirectoryConflict { path }) if path == "l"
    ));
    let hard = TarMember {
        kind: EntryType::Link,
        link: Some(b"a"),
        ..file("h", b"")
    };
    assert!(matches!(
        Package::read(&tar(&[file("a", b"1"), hard]), Some("x.tar"), &options),
        Err(PackageError::Link {
            kind: "hard link",
            ..
        })
    ));
    for (kind, what) in [
        (EntryType::Char, "character device"),
        (EntryType::Block, "block device"),
        (EntryType::Fifo, "fifo"),
    ] {
        let m = TarMember {
            kind,
            ..file("dev", b"")
        };
        assert!(matches!(
            read(&tar(&[m]), "x.tar"),
            Err(PackageError::SpecialFile { entry, kind }) if entry == "dev" && kind == what
        ));
    }
    for flag in [b'7', b'S', b'V', b'Z'] {
        let m = TarMember {
            kind: EntryType::new(flag),
            ..file("odd", b"")
        };
        assert!(matches!(
            read(&tar(&[m]), "x.tar"),
            Err(PackageError::UnknownEntryType { type_flag, .. }) if type_flag == char::from(flag)
        ));
    }
    // A zip symlink (Unix mode S_IFLNK) is refused by default too.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.add_symlink("l", "/etc", zip::write::SimpleFileOptions::default())
        .unwrap();
    let z = w.finish().unwrap().into_inner();
    assert!(matches!(
        read(&z, "x.zip"),
        Err(PackageError::Link {
            kind: "symbolic link",
            ..
        })
    ));
    let p = Package::read(&z, Some("x.zip"), &options).unwrap();
    assert_eq!(
        p.manifest().get("l").unwrap().kind,
        vouch_manifest::tree::EntryKind::Symlink {
            target: "/etc".into()
        }
    );
}

#[test]
fn gzip_bomb_is_stopped_while_decompressing() {
    // 64 MiB of zeros in one member compress to about 64 KiB: a ratio of
    // 1000, ten times the bound.
    let zeros = vec![0u8; 64 << 20];
    let bomb = gzip(&tar(&[file("package/zeros", &zeros)]));
    assert!(bomb.len() < 200 << 10, "{}", bomb.len());
    match read(&bomb, "x.tgz") {
        Err(PackageError::Limit {
            bound: Bound::Ratio,
            limit: 100,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // The total bound, when it is the smaller one.
    let limits = Limits {
        max_expanded_size: 2 << 20,
        max_ratio: u64::MAX,
        ..Limits::default()
    };
    assert!(matches!(
        read_with(&bomb, "x.tgz", limits),
        Err(PackageError::Limit {
            bound: Bound::ExpandedSize,
            ..
        })
    ));
}

#[test]
fn zip_bombs_are_refused() {
    let zeros = vec![0u8; 64 << 20];
    let bomb = zip(&[("zeros", &zeros, 0o644)]);
    assert!(matches!(
        read(&bomb, "x.zip"),
        Err(PackageError::Limit { bound: Bound::Ratio, entry: Some(e), .. }) if e == "zeros"
    ));
    // Overlapping members (one compressed block named many times, the
    // "better zip bomb"): refused before anything is expanded, by the
    // header consistency check (here the copies' central names differ
    // from the one local header they share; members overlapping under
    // one name are refused by the same check's overlap rule).
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("a", options).unwrap();
    w.write_all(&[0u8; 1 << 16]).unwrap();
    for i in 0..10 {
        w.shallow_copy_file("a", &format!("copy{i}")).unwrap();
    }
    let overlapping = w.finish().unwrap().into_inner();
    assert!(matches!(
        read(&overlapping, "x.zip"),
        Err(PackageError::Malformed { container: "zip", reason, .. }) if reason.contains("header inconsistency")
    ));
}

#[test]
fn too_many_entries_and_oversize() {
    let names: Vec<String> = (0..11).map(|i| format!("f{i}")).collect();
    let members: Vec<TarMember<'_>> = names.iter().map(|n| file(n, b"")).collect();
    let limits = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    let t = tar(&members);
    assert!(matches!(
        read_with(&t, "x.tar", limits),
        Err(PackageError::Limit { bound: Bound::Entries, entry: Some(e), .. }) if e == "f10"
    ));
    let zipped: Vec<(&str, &[u8], u32)> = names
        .iter()
        .map(|n| (n.as_str(), &b""[..], 0o644))
        .collect();
    assert!(matches!(
        read_with(&zip(&zipped), "x.zip", limits),
        Err(PackageError::Limit {
            bound: Bound::Entries,
            ..
        })
    ));
    assert!(read_with(&tar(&members[..10]), "x.tar", limits).is_ok());

    let big = vec![7u8; 4096];
    let limits = Limits {
        max_entry_size: 4095,
        ..Limits::default()
    };
    for (bytes, name) in [
        (tar(&[file("big", &big)]), "x.tar"),
        (zip(&[("big", &big, 0o644)]), "x.zip"),
    ] {
        assert!(matches!(
            read_with(&bytes, name, limits),
            Err(PackageError::Limit { bound: Bound::EntrySize, entry: Some(e), .. }) if e == "big"
        ));
    }
    let limits = Limits {
        max_archive_size: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        read_with(&tar(&[file("a", b"")]), "x.tar", limits),
        Err(PackageError::Limit {
            bound: Bound::ArchiveSize,
            entry: None,
            ..
        })
    ));
    let limits = Limits {
        max_path_len: 8,
        ..Limits::default()
    };
    assert!(matches!(
        read_with(&tar(&[file("123456789", b"")]), "x.tar", limits),
        Err(PackageError::Limit {
            bound: Bound::PathLength,
            ..
        })
    ));
}

#[test]
fn long_names_work_and_extension_headers_are_bounded() {
    // The tar crate's builder writes a GNU long name for paths over 100 bytes.
    let long = format!("{}/file.txt", "d".repeat(150));
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(2);
    h.set_mode(0o755);
    b.append_data(&mut h, &long, &b"hi"[..]).unwrap();
    let t = b.into_inner().unwrap();
    let p = read(&t, "x.tar").unwrap();
    let e = p.manifest().get(&long).unwrap();
    assert!(matches!(
        e.kind,
        vouch_manifest::tree::EntryKind::File {
            executable: true,
            size: 2,
            ..
        }
    ));

    // A pax path, by hand.
    let record = |k: &str, v: &str| {
        let body = format!(" {k}={v}\n");
        let mut len = body.len() + 1;
        while format!("{len}{body}").len() != len {
            len += 1;
        }
        format!("{len}{body}")
    };
    let pax_name = format!("{}/pax.txt", "p".repeat(200));
    let mut t = raw_member(
        b"PaxHeader",
        EntryType::XHeader,
        record("path", &pax_name).as_bytes(),
    );
    t.extend(raw_member(b"short", EntryType::Regular, b"x"));
    t.extend(tar_end());
    let p = read(&t, "x.tar").unwrap();
    assert!(p.manifest().get(&pax_name).is_some());

    // Both a GNU long name and a pax path: readers pick differently.
    let mut t = raw_member(b"././@LongLink", EntryType::GNULongName, b"gnu-name\0");
    t.extend(raw_member(
        b"PaxHeader",
        EntryType::XHeader,
        record("path", "pax-name").as_bytes(),
    ));
    t.extend(raw_member(b"short", EntryType::Regular, b"x"));
    t.extend(tar_end());
    assert!(matches!(
        read(&t, "x.tar"),
        Err(PackageError::AmbiguousName { .. })
    ));

    // A pax size that differs from the header's.
    let mut t = raw_member(
        b"PaxHeader",
        EntryType::XHeader,
        record("size", "0").as_bytes(),
    );
    t.extend(raw_member(b"f", EntryType::Regular, b"x"));
    t.extend(tar_end());
    assert!(matches!(read(&t, "x.tar"), Err(PackageError::Pax { .. })));

    // A global header may carry a comment (git archive's commit id), not a path.
    let mut t = raw_member(
        b"pax_global_header",
        EntryType::XGlobalHeader,
        record("comment", "abc").as_bytes(),
    );
    t.extend(raw_member(b"f", EntryType::Regular, b"x"));
    t.extend(tar_end());
    assert_eq!(read(&t, "x.tar").unwrap().manifest().entries().len(), 1);
    let mut t = raw_member(
        b"pax_global_header",
        EntryType::XGlobalHeader,
        record("path", "g").as_bytes(),
    );
    t.extend(raw_member(b"f", EntryType::Regular, b"x"));
    t.extend(tar_end());
    assert!(matches!(read(&t, "x.tar"), Err(PackageError::Pax { .. })));

    // An oversize long name or pax header is refused before it is read.
    let mut t = raw_member(b"././@LongLink", EntryType::GNULongName, &vec![b'a'; 5000]);
    t.extend(raw_member(b"short", EntryType::Regular, b"x"));
    t.extend(tar_end());
    assert!(matches!(
        read(&t, "x.tar"),
        Err(PackageError::Limit {
            bound: Bound::PathLength,
            ..
        })
    ));
    let huge = record("comment", &"c".repeat(70 << 10));
    let mut t = raw_member(b"PaxHeader", EntryType::XHeader, huge.as_bytes());
    t.extend(raw_member(b"short", EntryType::Regular, b"x"));
    t.extend(tar_end());
    assert!(matches!(
        read(&t, "x.tar"),
        Err(PackageError::Limit {
            bound: Bound::HeaderSize,
            ..
        })
    ));
    // An extension header that describes no member.
    let mut t = raw_member(
        b"PaxHeader",
        EntryType::XHeader,
        record("path", "x").as_bytes(),
    );
    t.extend(tar_end());
    assert!(matches!(
        read(&t, "x.tar"),
        Err(PackageError::Malformed { .. })
    ));
}

#[test]
fn trailing_data_and_truncation() {
    let mut t = tar(&[file("a", b"1")]);
    t.extend(b"junk");
    assert!(matches!(
        read(&t, "x.tar"),
        Err(PackageError::TrailingData {
            what: "non-zero bytes"
        })
    ));
    // A second gzip member holding more members.
    let mut gz = gzip(&tar(&[file("package/a", b"1")]));
    gz.extend(gzip(&tar(&[file("package/evil", b"2")])));
    assert!(matches!(
        read(&gz, "x.tgz"),
        Err(PackageError::TrailingData {
            what: "another gzip member"
        })
    ));
    // Truncated inside a member's data, and a corrupt gzip stream.
    let t = tar(&[file("a", &[1u8; 4096])]);
    assert!(matches!(
        read(&t[..1024], "x.tar"),
        Err(PackageError::Malformed { .. })
    ));
    let mut gz = gzip(&t);
    let mid = gz.len() / 2;
    gz[mid] ^= 0xff;
    assert!(read(&gz, "x.tar.gz").is_err());
    // A checksum mismatch in a header.
    let mut t = tar(&[file("a", b"1")]);
    t[0] = b'b';
    assert!(matches!(
        read(&t, "x.tar"),
        Err(PackageError::Malformed {
            container: "tar",
            ..
        })
    ));
}

#[test]
fn zip_specifics() {
    // Non-ASCII without the UTF-8 flag: a raw name patched in both headers.
    let z = zip(&[("caf_", b"x", 0o644)]);
    let mut patched = z.clone();
    let mut count = 0;
    for i in 0..patched.len() - 4 {
        if &patched[i..i + 4] == b"caf_" {
            patched[i + 3] = 0xe9; // é in Latin-1 / CP437 0x82 territory
            count += 1;
        }
    }
    assert_eq!(count, 2);
    assert!(matches!(
        read(&patched, "x.zip"),
        Err(PackageError::NonUtf8Name { .. } | PackageError::AmbiguousName { .. })
    ));
    // Stored members and the executable bit.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o755);
    w.start_file("bin/run", stored).unwrap();
    w.write_all(b"#!/bin/sh\n").unwrap();
    let p = read(&w.finish().unwrap().into_inner(), "x.whl").unwrap();
    assert_eq!(p.format(), Format::Wheel);
    assert!(matches!(
        p.manifest().get("bin/run").unwrap().kind,
        vouch_manifest::tree::EntryKind::File {
            executable: true,
            ..
        }
    ));
    // The encryption flag set in both headers: refused, named.
    let mut z = zip(&[("secret", b"x", 0o644)]);
    let local = z.windows(4).position(|w| w == b"PK\x03\x04").unwrap();
    let central = z.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    z[local + 6] |= 1;
    z[central + 8] |= 1;
    assert!(matches!(
        read(&z, "x.zip"),
        Err(PackageError::Encrypted { entry }) if entry == "secret"
    ));
    // Data before the first member.
    let mut prefixed = b"MZ-not-a-zip".to_vec();
    prefixed.extend(zip(&[("a", b"1", 0o644)]));
    assert!(read(&prefixed, "x.zip").is_err());
    // A CRC mismatch (content flipped in a stored member).
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("a", stored).unwrap();
    w.write_all(b"hello world").unwrap();
    let mut z = w.finish().unwrap().into_inner();
    let at = z.windows(11).position(|w| w == b"hello world").unwrap();
    z[at] = b'j';
    assert!(matches!(
        read(&z, "x.zip"),
        Err(PackageError::Malformed { .. })
    ));
}

#[test]
fn format_detection() {
    let t = tar(&[file("package/a", b"1")]);
    let gz = gzip(&t);
    let z = zip(&[("a", b"1", 0o644)]);
    assert_eq!(
        Format::detect(&gz, Some("x-1.0.crate"), None).unwrap(),
        Format::Crate
    );
    assert_eq!(
        Format::detect(&gz, Some("x-1.0.tar.gz"), None).unwrap(),
        Format::Sdist
    );
    assert_eq!(
        Format::detect(&gz, Some("x-1.0.TGZ"), None).unwrap(),
        Format::Npm
    );
    assert_eq!(Format::detect(&gz, None, None).unwrap(), Format::TarGz);
    assert_eq!(
        Format::detect(&z, Some("ext.vsix"), None).unwrap(),
        Format::Zip
    );
    assert_eq!(
        Format::detect(&z, Some("x.whl"), None).unwrap(),
        Format::Wheel
    );
    assert_eq!(Format::detect(&t, None, None).unwrap(), Format::Tar);
    assert_eq!(
        Format::detect(&gz, Some("x.tgz"), Some(Format::TarGz)).unwrap(),
        Format::TarGz
    );
    assert!(matches!(
        Format::detect(&gz, Some("x.whl"), None),
        Err(PackageError::FormatMismatch {
            format: Format::Wheel,
            found: "gzip",
            ..
        })
    ));
    assert!(matches!(
        Format::detect(&z, Some("x"), Some(Format::Npm)),
        Err(PackageError::FormatMismatch { found: "zip", .. })
    ));
    assert!(matches!(
        Format::detect(b"hello", Some("x"), None),
        Err(PackageError::UnknownFormat { .. })
    ));
    for f in Format::ALL {
        assert_eq!(f.name().parse::<Format>().unwrap(), f);
    }
    assert!("rpm".parse::<Format>().is_err());
    // The npm format wants `package/`, the crate format any one directory.
    let p = Package::read(&gz, Some("x.tgz"), &ReadOptions::default()).unwrap();
    assert_eq!(p.top_directory(), Some("package"));
    assert_eq!(p.manifest().entries()[0].path.as_str(), "a");
    let other = gzip(&tar(&[file("foo-1.0/a", b"1")]));
    assert!(matches!(
        read(&other, "foo-1.0.tgz"),
        Err(PackageError::OutsideTopDirectory {
            format: Format::Npm,
            ..
        })
    ));
    assert_eq!(
        read(&other, "foo-1.0.crate").unwrap().top_directory(),
        Some("foo-1.0")
    );
    assert_eq!(
        read(&other, "backup.tar.gz").unwrap().manifest().entries()[0]
            .path
            .as_str(),
        "a"
    );
    let options = ReadOptions {
        format: Some(Format::TarGz),
        ..ReadOptions::default()
    };
    let p = Package::read(&other, Some("backup.tar.gz"), &options).unwrap();
    assert_eq!(p.manifest().entries()[0].path.as_str(), "foo-1.0/a");
}

#[test]
fn contents_mismatch_names_the_first_path() {
    let a = read(
        &tar(&[file("a", b"1"), file("b", b"2"), file("c", b"3")]),
        "x.tar",
    )
    .unwrap();
    let b = read(
        &tar(&[file("a", b"1"), file("b", b"changed"), file("d", b"4")]),
        "x.tar",
    )
    .unwrap();
    a.verify_contents(a.manifest()).unwrap();
    match b.verify_contents(a.manifest()) {
        Err(PackageError::ContentsMismatch { first, diff }) => {
            assert_eq!(first.as_str(), "b");
            assert_eq!(diff.changed.len(), 1);
            assert_eq!(diff.added.len(), 1);
            assert_eq!(diff.removed.len(), 1);
        }
        other => panic!("{other:?}"),
    }
}
