//! Zip archives (wheels, `.vsix`, any zip), read from memory.
//!
//! The `zip` crate reads the central directory; before any member is
//! read, [`zip::ZipArchive::validate_header_consistency`] checks that
//! every local header matches its central directory entry, that no two
//! members overlap (the overlapping-entries zip bomb) and that no local
//! header hides between them (a member that a streaming reader would see
//! and a central-directory reader would not). The archive must start at
//! byte 0: no prepended data.

use std::io::{Cursor, Read};

use zip::read::ArchiveOffset;
use zip::read::Config;
use zip::{CompressionMethod, ExtraField, System, ZipArchive};

use crate::ReadOptions;
use crate::collect::{self, Collector, Member, limit, lossy, normalize};
use crate::error::{Bound, PackageError};

/// The general-purpose flag bit that says a name is UTF-8 (APPNOTE 4.4.4).
const UTF8_FLAG: u16 = 0x0800;

const S_IFMT: u32 = 0o170_000;

fn malformed(entry: Option<&[u8]>, e: impl std::fmt::Display) -> PackageError {
    PackageError::Malformed {
        container: "zip",
        entry: entry.map(lossy),
        reason: e.to_string(),
    }
}

/// What a member's metadata says it is, before its content is read.
enum Kind {
    File { executable: bool },
    Dir,
    Symlink,
}

/// Reads a zip archive.
pub(crate) fn read_zip(
    bytes: &[u8],
    collector: &mut Collector<'_>,
    options: &ReadOptions,
) -> Result<(), PackageError> {
    let limits = &options.limits;
    let config = Config {
        archive_offset: ArchiveOffset::Known(0),
    };
    let mut archive =
        ZipArchive::with_config(config, Cursor::new(bytes)).map_err(|e| malformed(None, e))?;
    if archive.has_duplicate_names() {
        return Err(PackageError::DuplicateZipName);
    }
    if archive.len() > limits.max_entries {
        return Err(PackageError::Limit {
            bound: Bound::Entries,
            limit: limits.max_entries as u64,
            entry: None,
        });
    }
    archive
        .validate_header_consistency()
        .map_err(|e| malformed(None, e))?;
    // Every member's bytes are its own (no overlaps, checked above), so
    // the ratio bound applies to the sum of what they expand to.
    let by_ratio = (bytes.len() as u64)
        .saturating_mul(limits.max_ratio)
        .max(crate::RATIO_FLOOR);
    let mut expanded: u64 = 0;
    for index in 0..archive.len() {
        let (name, kind, declared) = {
            let file = archive
                .by_index_raw(index)
                .map_err(|e| malformed(None, e))?;
            let name = file.name_raw().to_vec();
            collector.count(&name)?;
            if file.encrypted() {
                return Err(PackageError::Encrypted {
                    entry: lossy(&name),
                });
            }
            if !matches!(
                file.compression(),
                CompressionMethod::Stored | CompressionMethod::Deflated
            ) {
                return Err(PackageError::UnsupportedCompression {
                    entry: lossy(&name),
                    method: file.compression().to_string(),
                });
            }
            check_name(&name, file.flags().as_u16(), file.extra_data_fields())?;
            (name.clone(), kind_of(&name, &file)?, file.size())
        };
        let parts = normalize(&name, limits)?;
        if declared > limits.max_entry_size {
            return Err(limit(Bound::EntrySize, limits.max_entry_size, &name));
        }
        let mut file = archive
            .by_index(index)
            .map_err(|e| malformed(Some(&name), e))?;
        let member = match kind {
            Kind::Dir => {
                if declared != 0 {
                    return Err(PackageError::AmbiguousEntry {
                        entry: lossy(&name),
                        why: "a directory with content",
                    });
                }
                Member::Dir
            }
            Kind::Symlink => {
                if !options.symlinks {
                    return Err(PackageError::Link {
                        entry: lossy(&name),
                        kind: "symbolic link",
                    });
                }
                // A link's content is its target text: a path, bounded.
                let max = limits.max_path_len as u64;
                if declared > max {
                    return Err(limit(Bound::PathLength, max, &name));
                }
                let mut target = Vec::new();
                (&mut file)
                    .take(max + 1)
                    .read_to_end(&mut target)
                    .map_err(|e| malformed(Some(&name), e))?;
                expanded = expanded.saturating_add(target.len() as u64);
                Member::Symlink(collect::link_target(&name, &target)?)
            }
            Kind::File { executable } => {
                // Read one byte past the declared size, so that a stream
                // longer than its header says is caught.
                let (size, digest) = collect::hash_content(
                    (&mut file).take(declared.saturating_add(1)),
                    &name,
                    limits,
                    &mut expanded,
                    |reason| PackageError::Malformed {
                        container: "zip",
                        entry: Some(lossy(&name)),
                        reason,
                    },
                )?;
                if size != declared {
                    return Err(PackageError::SizeMismatch {
                        entry: lossy(&name),
                        declared,
                        actual: size,
                    });
                }
                Member::File {
                    size,
                    digest,
                    executable,
                }
            }
        };
        if expanded > by_ratio {
            return Err(limit(Bound::Ratio, limits.max_ratio, &name));
        }
        drop(file);
        collector.add(&name, parts, member)?;
    }
    Ok(())
}

/// Refuses names that zip readers decode differently.
fn check_name<'a>(
    name: &[u8],
    flags: u16,
    mut extra: impl Iterator<Item = &'a ExtraField>,
) -> Result<(), PackageError> {
    if extra.any(|f| matches!(f, ExtraField::UnicodePath(_))) {
        // The zip crate (like Info-ZIP) replaces the name with the
        // field's when its CRC matches; Python's zipfile ignores it.
        return Err(PackageError::AmbiguousName {
            entry: lossy(name),
            why: "an Info-ZIP Unicode Path extra field",
        });
    }
    if !name.is_ascii() && flags & UTF8_FLAG == 0 {
        // Without the flag the name is CP437 to the specification (and
        // to Python's zipfile, which pip uses), UTF-8 to others.
        return Err(PackageError::AmbiguousName {
            entry: lossy(name),
            why: "non-ASCII bytes without the UTF-8 flag",
        });
    }
    Ok(())
}

/// The member's kind from its name and, when made on Unix, its mode.
fn kind_of<R: Read + ?Sized>(
    name: &[u8],
    file: &zip::read::ZipFile<'_, R>,
) -> Result<Kind, PackageError> {
    let named_dir = name.ends_with(b"/");
    let mode = if file.system() == System::Unix {
        file.unix_mode().unwrap_or(0)
    } else {
        // DOS and others: no file type or executable bit to read; the
        // name says directory or file.
        0
    };
    let ambiguous = |why| PackageError::AmbiguousEntry {
        entry: lossy(name),
        why,
    };
    let kind = match mode & S_IFMT {
        0 | 0o100_000 if named_dir => Kind::Dir,
        0 | 0o100_000 => Kind::File {
            executable: mode & 0o100 != 0,
        },
        0o040_000 if named_dir => Kind::Dir,
        0o040_000 => return Err(ambiguous("a directory mode on a name without `/`")),
        0o120_000 if named_dir => return Err(ambiguous("a link mode on a name ending with `/`")),
        0o120_000 => Kind::Symlink,
        other => {
            return Err(PackageError::SpecialFile {
                entry: lossy(name),
                kind: match other {
                    0o020_000 => "character device",
                    0o060_000 => "block device",
                    0o010_000 => "fifo",
                    0o140_000 => "socket",
                    _ => "special file",
                },
            });
        }
    };
    Ok(kind)
}

/// Whether `bytes` start like a zip: a local file header, or the end of
/// central directory record of an empty archive.
pub(crate) fn looks_like_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}
