//! The package archive targets' shared pieces: the read under small
//! limits, with the invariants checked, and seed archives.

use std::io::Write;

use vouch_package::{Format, Limits, Package, ReadOptions};

/// Reads `data` as `format` with small limits and symlinks recorded;
/// a manifest that comes back must re-encode and decode to itself.
pub fn read(data: &[u8], format: Format) {
    let options = ReadOptions {
        format: Some(format),
        limits: Limits {
            max_entries: 256,
            max_expanded_size: 4 << 20,
            max_entry_size: 1 << 20,
            ..Limits::default()
        },
        symlinks: true,
    };
    if let Ok(p) = Package::read(data, None, &options) {
        assert!(p.manifest().entries().len() <= 256);
        let bytes = p.manifest().to_canonical_bytes().expect("encodes");
        let back =
            vouch_manifest::tree::TreeManifest::from_canonical_bytes(&bytes).expect("decodes");
        assert_eq!(&back, p.manifest());
        p.verify_contents(p.manifest()).expect("matches itself");
    }
}

fn tar() -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8], mode: u32| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(mode);
        b.append_data(&mut h, name, data).expect("appends");
    };
    add("package/package.json", b"{\"name\":\"x\"}\n", 0o644);
    add("package/bin/run", b"#!/bin/sh\n", 0o755);
    add(
        &format!("package/{}/long", "d".repeat(120)),
        b"long name",
        0o644,
    );
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::Symlink);
    h.set_size(0);
    b.append_link(&mut h, "package/link", "bin/run")
        .expect("appends");
    b.into_inner().expect("finishes")
}

/// Seeds of the tar target: a small tar with a long name and a link.
pub fn tar_seeds() -> Vec<Vec<u8>> {
    vec![tar()]
}

/// Seeds of the tar.gz target.
pub fn tar_gz_seeds() -> Vec<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar()).expect("compresses");
    vec![gz.finish().expect("finishes")]
}

/// Seeds of the zip target: stored and deflated members, a directory.
pub fn zip_seeds() -> Vec<Vec<u8>> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .unix_permissions(0o755);
    w.add_directory("pkg/", deflated).expect("adds");
    w.start_file("pkg/__init__.py", deflated).expect("starts");
    w.write_all(b"print('hi')\n").expect("writes");
    w.start_file("pkg/run.sh", stored).expect("starts");
    w.write_all(b"#!/bin/sh\n").expect("writes");
    vec![w.finish().expect("finishes").into_inner()]
}
