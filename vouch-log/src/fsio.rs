//! The log's file operations: bounded reads, atomic replacement, the
//! writers' lock.

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::LogError;
use crate::layout::LOCK_PATH;

/// Reads a whole file of at most `max` bytes.
pub(crate) fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, LogError> {
    let file = File::open(path).map_err(|e| LogError::io(path, e))?;
    let mut bytes = Vec::new();
    // One byte more than allowed tells a file that is too large.
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| LogError::io(path, e))?;
    if bytes.len() as u64 > max {
        return Err(LogError::FileTooLarge {
            path: path.to_owned(),
            max,
        });
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` so that a reader (another writer, a static
/// file server) sees the old file or the new one, never half of one: to a
/// temporary file beside it, flushed to disk, then renamed over it.
/// Missing parent directories are made.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), LogError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| LogError::io(parent, e))?;
    }
    let tmp = temporary_sibling(path);
    let result = File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(|e| LogError::io(path, e))
}

/// Flushes a directory's entries (the renames into it) to disk, where the
/// platform can.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), LogError> {
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| LogError::io(dir, e))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Removes a directory of superseded partial tiles; one already gone is fine.
pub(crate) fn remove_dir(dir: &Path) -> Result<(), LogError> {
    match fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(LogError::io(dir, e)),
        _ => Ok(()),
    }
}

/// `dir/.name.tmp-<pid>-<n>`: on the same file system as `path`, so the
/// rename is atomic, and unique among the threads of this process.
fn temporary_sibling(path: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A held lock on the log directory, released when dropped (and by the
/// operating system if the process dies, so no stale lock is left behind).
#[derive(Debug)]
pub(crate) struct Lock {
    _file: Option<File>,
}

/// How a lock is held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LockKind {
    /// Readers: any number at once, never beside a writer.
    Shared,
    /// One writer alone.
    Exclusive,
}

/// Waits for and takes the lock of the log in `dir`.
///
/// A reader of a directory where it cannot create the lock file (a
/// read-only copy that no writer ever locked) reads without a lock: no
/// writer of this crate can be appending there.
pub(crate) fn lock(dir: &Path, kind: LockKind) -> Result<Lock, LogError> {
    let path = dir.join(LOCK_PATH);
    let opened = match kind {
        LockKind::Exclusive => OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path),
        LockKind::Shared => File::open(&path).or_else(|e| {
            if e.kind() != std::io::ErrorKind::NotFound {
                return Err(e);
            }
            OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
        }),
    };
    let file = match opened {
        Ok(f) => f,
        Err(e)
            if kind == LockKind::Shared
                && matches!(
                    e.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                ) =>
        {
            return Ok(Lock { _file: None });
        }
        Err(e) => return Err(LogError::io(&path, e)),
    };
    match kind {
        LockKind::Shared => file.lock_shared(),
        LockKind::Exclusive => file.lock(),
    }
    .map_err(|e| LogError::io(&path, e))?;
    Ok(Lock { _file: Some(file) })
}
