//! Archive builders for this crate's tests: tar with raw headers (so that
//! hostile names reach the reader as written), gzip, and zip.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use zip::write::SimpleFileOptions;

/// One tar member: a name written verbatim into the header, a type flag,
/// a mode and content.
pub(crate) struct TarMember<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) kind: tar::EntryType,
    pub(crate) mode: u32,
    pub(crate) data: &'a [u8],
    pub(crate) link: Option<&'a [u8]>,
}

pub(crate) fn file<'a>(name: &'a str, data: &'a [u8]) -> TarMember<'a> {
    TarMember {
        name: name.as_bytes(),
        kind: tar::EntryType::Regular,
        mode: 0o644,
        data,
        link: None,
    }
}

/// A tar of `members`, headers filled byte by byte (`tar::Builder`'s
/// path setters refuse `..` and absolute names, which these tests need).
pub(crate) fn tar(members: &[TarMember<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for m in members {
        let mut h = tar::Header::new_gnu();
        {
            let old = h.as_old_mut();
            assert!(m.name.len() < old.name.len(), "use a long name member");
            old.name[..m.name.len()].copy_from_slice(m.name);
            if let Some(link) = m.link {
                old.linkname[..link.len()].copy_from_slice(link);
            }
        }
        h.set_entry_type(m.kind);
        h.set_mode(m.mode);
        h.set_size(m.data.len() as u64);
        h.set_cksum();
        b.append(&h, m.data).unwrap();
    }
    b.into_inner().unwrap()
}

/// A raw tar header block with `data` after it, padded (for extension
/// headers written by hand).
pub(crate) fn raw_member(name: &[u8], kind: tar::EntryType, data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_entry_type(kind);
    h.set_mode(0o644);
    h.set_size(data.len() as u64);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out
}

/// The end-of-archive marker.
pub(crate) fn tar_end() -> Vec<u8> {
    vec![0; 1024]
}

pub(crate) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// A zip of `(name, content, unix mode)`, deflated.
pub(crate) fn zip(members: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, data, mode) in members {
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(*mode);
        if name.ends_with('/') {
            w.add_directory(*name, options).unwrap();
        } else {
            w.start_file(*name, options).unwrap();
            w.write_all(data).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}
