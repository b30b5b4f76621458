//! Tar and gzip-compressed tar archives, read from memory as a stream.
//!
//! The `tar` crate reads headers (ustar, GNU, old v7; checksums checked)
//! in its raw mode, so that GNU long names, pax extended headers and
//! global headers come here as members of their own: their size is
//! bounded before they are read, and the rules readers disagree on are
//! refused rather than resolved one way (see the crate documentation).

use std::cell::Cell;
use std::io::{self, Read};

use flate2::bufread::GzDecoder;
use tar::{EntryType, PaxExtensions};

use crate::collect::{self, Collector, Member, limit, lossy, normalize};
use crate::error::{Bound, PackageError};
use crate::{Limits, ReadOptions};

/// A reader that counts the bytes it hands out and fails once they pass
/// a budget; `exceeded` tells the caller why the error happened, since
/// the tar reader passes it on as a plain I/O error.
struct Budget<'a, R> {
    inner: R,
    left: u64,
    exceeded: &'a Cell<bool>,
}

impl<R: Read> Read for Budget<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // usize → u64 never truncates on the platforms Rust supports.
        let n64 = n as u64;
        if n64 > self.left {
            self.exceeded.set(true);
            return Err(io::Error::other("expanded size budget exceeded"));
        }
        self.left -= n64;
        Ok(n)
    }
}

/// The most the decompressed stream of an archive of `compressed` bytes
/// may be: the total bound, and the ratio bound once past its floor.
fn stream_budget(compressed: usize, limits: &Limits) -> (u64, Bound, u64) {
    let by_ratio = (compressed as u64)
        .saturating_mul(limits.max_ratio)
        .max(crate::RATIO_FLOOR);
    if by_ratio < limits.max_expanded_size {
        (by_ratio, Bound::Ratio, limits.max_ratio)
    } else {
        (
            limits.max_expanded_size,
            Bound::ExpandedSize,
            limits.max_expanded_size,
        )
    }
}

/// Reads a gzip-compressed tar: one gzip member, nothing after it.
pub(crate) fn read_tar_gz(
    bytes: &[u8],
    collector: &mut Collector<'_>,
    options: &ReadOptions,
) -> Result<(), PackageError> {
    let exceeded = Cell::new(false);
    let (budget, bound, shown) = stream_budget(bytes.len(), &options.limits);
    let mut decoder = GzDecoder::new(bytes);
    let mut counted = Budget {
        inner: &mut decoder,
        left: budget,
        exceeded: &exceeded,
    };
    let over = || PackageError::Limit {
        bound,
        limit: shown,
        entry: None,
    };
    match read_tar_stream(&mut counted, collector, options) {
        Err(_) if exceeded.get() => return Err(over()),
        other => other?,
    }
    // The rest of the tar stream (its padding) is read through the gzip
    // trailer, whose CRC and length the decoder then checks.
    match drain_zeros(&mut counted) {
        Err(_) if exceeded.get() => return Err(over()),
        other => other?,
    }
    // `GzDecoder` reads one member; another after it would be more tar
    // data to a reader that reads them all (as GNU tar and Python do).
    if !decoder.into_inner().is_empty() {
        return Err(PackageError::TrailingData {
            what: "another gzip member",
        });
    }
    Ok(())
}

/// Reads an uncompressed tar.
pub(crate) fn read_tar(
    bytes: &[u8],
    collector: &mut Collector<'_>,
    options: &ReadOptions,
) -> Result<(), PackageError> {
    let mut rest = bytes;
    read_tar_stream(&mut rest, collector, options)?;
    drain_zeros(&mut rest)
}

/// Reads what follows the end-of-archive marker: only zeros may (tar pads
/// its output to a record of 10 KiB).
fn drain_zeros(mut reader: impl Read) -> Result<(), PackageError> {
    let mut buf = [0u8; 8192];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(malformed("gzip", None, &e)),
        };
        if buf.get(..n).is_some_and(|b| b.iter().any(|&x| x != 0)) {
            return Err(PackageError::TrailingData {
                what: "non-zero bytes",
            });
        }
    }
}

fn malformed(container: &'static str, entry: Option<&[u8]>, e: &io::Error) -> PackageError {
    PackageError::Malformed {
        container,
        entry: entry.map(lossy),
        reason: e.to_string(),
    }
}

/// What the extension headers before a member said of it.
#[derive(Default)]
struct Pending {
    gnu_name: Option<Vec<u8>>,
    gnu_link: Option<Vec<u8>>,
    pax_path: Option<Vec<u8>>,
    pax_link: Option<Vec<u8>>,
    pax_size: Option<u64>,
    any: bool,
}

/// Reads members until the end-of-archive marker.
fn read_tar_stream<R: Read>(
    reader: &mut R,
    collector: &mut Collector<'_>,
    options: &ReadOptions,
) -> Result<(), PackageError> {
    let limits = &options.limits;
    let mut archive = tar::Archive::new(reader);
    let entries = archive
        .entries()
        .map_err(|e| malformed("tar", None, &e))?
        .raw(true);
    let mut pending = Pending::default();
    let mut expanded: u64 = 0;
    for entry in entries {
        let mut entry = entry.map_err(|e| malformed("tar", None, &e))?;
        let header_name = entry.header().path_bytes().into_owned();
        collector.count(&header_name)?;
        let size = entry
            .header()
            .entry_size()
            .map_err(|e| malformed("tar", Some(&header_name), &e))?;
        let kind = entry.header().entry_type();
        match kind {
            EntryType::GNULongName | EntryType::GNULongLink => {
                // A name: the path bound, plus its NUL terminator.
                let data = read_small(
                    &mut entry,
                    size,
                    limits.max_path_len as u64 + 1,
                    Bound::PathLength,
                    &header_name,
                )?;
                let slot = if kind == EntryType::GNULongName {
                    &mut pending.gnu_name
                } else {
                    &mut pending.gnu_link
                };
                if slot.is_some() {
                    return Err(PackageError::Malformed {
                        container: "tar",
                        entry: Some(lossy(&header_name)),
                        reason: "two GNU long names for one member".into(),
                    });
                }
                let name = data.strip_suffix(&[0]).unwrap_or(&data);
                *slot = Some(name.to_vec());
                pending.any = true;
                continue;
            }
            EntryType::XHeader | EntryType::XGlobalHeader => {
                let data = read_small(
                    &mut entry,
                    size,
                    limits.max_header_size,
                    Bound::HeaderSize,
                    &header_name,
                )?;
                let global = kind == EntryType::XGlobalHeader;
                apply_pax(&data, global, &mut pending)?;
                if !global {
                    pending.any = true;
                }
                continue;
            }
            _ => {}
        }
        let name = match (pending.gnu_name.take(), pending.pax_path.take()) {
            (Some(_), Some(_)) => {
                return Err(PackageError::AmbiguousName {
                    entry: lossy(&header_name),
                    why: "both a GNU long name and a pax path",
                });
            }
            (Some(n), None) | (None, Some(n)) => n,
            (None, None) => header_name,
        };
        let link = match (pending.gnu_link.take(), pending.pax_link.take()) {
            (Some(_), Some(_)) => {
                return Err(PackageError::AmbiguousName {
                    entry: lossy(&name),
                    why: "both a GNU long link name and a pax linkpath",
                });
            }
            (Some(l), None) | (None, Some(l)) => Some(l),
            (None, None) => entry.header().link_name_bytes().map(|l| l.into_owned()),
        };
        if let Some(pax_size) = pending.pax_size.take()
            && pax_size != size
        {
            // Readers that honour the pax size and readers that do not
            // would find the next header at different places.
            return Err(PackageError::Pax {
                entry: Some(lossy(&name)),
                why: "its size differs from the header's",
            });
        }
        pending.any = false;
        let parts = normalize(&name, limits)?;
        let member = match kind {
            EntryType::Regular => {
                if name.ends_with(b"/") {
                    return Err(PackageError::AmbiguousEntry {
                        entry: lossy(&name),
                        why: "a regular file whose name ends with `/` (some readers make it a directory)",
                    });
                }
                if size > limits.max_entry_size {
                    return Err(limit(Bound::EntrySize, limits.max_entry_size, &name));
                }
                let mode = entry
                    .header()
                    .mode()
                    .map_err(|e| malformed("tar", Some(&name), &e))?;
                let (read, digest) =
                    collect::hash_content(&mut entry, &name, limits, &mut expanded, |reason| {
                        PackageError::Malformed {
                            container: "tar",
                            entry: Some(lossy(&name)),
                            reason,
                        }
                    })?;
                if read != size {
                    return Err(PackageError::Malformed {
                        container: "tar",
                        entry: Some(lossy(&name)),
                        reason: "the archive ends inside the member".into(),
                    });
                }
                Member::File {
                    size,
                    digest,
                    executable: mode & 0o100 != 0,
                }
            }
            EntryType::Directory => {
                if size != 0 {
                    return Err(PackageError::AmbiguousEntry {
                        entry: lossy(&name),
                        why: "a directory with content",
                    });
                }
                Member::Dir
            }
            EntryType::Symlink => {
                if !options.symlinks {
                    return Err(PackageError::Link {
                        entry: lossy(&name),
                        kind: "symbolic link",
                    });
                }
                let target = link.unwrap_or_default();
                Member::Symlink(collect::link_target(&name, &target)?)
            }
            EntryType::Link => {
                return Err(PackageError::Link {
                    entry: lossy(&name),
                    kind: "hard link",
                });
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                return Err(PackageError::SpecialFile {
                    entry: lossy(&name),
                    kind: match kind {
                        EntryType::Char => "character device",
                        EntryType::Block => "block device",
                        _ => "fifo",
                    },
                });
            }
            other => {
                return Err(PackageError::UnknownEntryType {
                    entry: lossy(&name),
                    type_flag: char::from(other.as_byte()),
                });
            }
        };
        collector.add(&name, parts, member)?;
    }
    if pending.any {
        return Err(PackageError::Malformed {
            container: "tar",
            entry: None,
            reason: "extension headers at the end of the archive describe no member".into(),
        });
    }
    Ok(())
}

/// Reads an extension header's data, at most `max` bytes.
fn read_small(
    entry: &mut impl Read,
    size: u64,
    max: u64,
    bound: Bound,
    name: &[u8],
) -> Result<Vec<u8>, PackageError> {
    if size > max {
        return Err(limit(bound, max, name));
    }
    // `size` ≤ `max`, a bound chosen to fit memory.
    let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    entry
        .take(size)
        .read_to_end(&mut data)
        .map_err(|e| malformed("tar", Some(name), &e))?;
    if (data.len() as u64) != size {
        return Err(PackageError::Malformed {
            container: "tar",
            entry: Some(lossy(name)),
            reason: "the archive ends inside an extension header".into(),
        });
    }
    Ok(data)
}

/// Applies a pax header's records to the next member (local) or checks
/// that a global one changes nothing that names or sizes members.
fn apply_pax(data: &[u8], global: bool, pending: &mut Pending) -> Result<(), PackageError> {
    let refuse = |why| PackageError::Pax { entry: None, why };
    for record in PaxExtensions::new(data) {
        let record = record.map_err(|_| refuse("a malformed record"))?;
        let key = record.key_bytes();
        if key.starts_with(b"GNU.sparse.") {
            return Err(refuse("a GNU sparse file"));
        }
        let value = record.value_bytes();
        match key {
            b"path" | b"linkpath" | b"size" if global => {
                // GNU tar applies a global path or size to every member
                // after it, others ignore it.
                return Err(refuse("a global header sets a path, link or size"));
            }
            b"path" => pending.pax_path = Some(value.to_vec()),
            b"linkpath" => pending.pax_link = Some(value.to_vec()),
            b"size" => {
                let size = std::str::from_utf8(value)
                    .ok()
                    .and_then(|v| v.parse::<u64>().ok())
                    .ok_or_else(|| refuse("a size that is not a number"))?;
                pending.pax_size = Some(size);
            }
            // Times, owners, charsets, comments, vendor keys: nothing a
            // tree manifest records.
            _ => {}
        }
    }
    Ok(())
}

/// Whether `bytes` start like a tar: a ustar magic at offset 257 (POSIX
/// `ustar\0` or GNU `ustar  `).
pub(crate) fn looks_like_tar(bytes: &[u8]) -> bool {
    bytes.get(257..262).is_some_and(|magic| magic == b"ustar")
}
