//! Reading and writing key files with the permissions a private key needs.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::{MAX_KEY_FILE_LEN, Overwrite};
use crate::error::{Error, Origin};

/// Permission bits that must be clear on a private key file: any access by
/// group or others (OpenSSH refuses the same).
#[cfg(unix)]
const FORBIDDEN_MODE_BITS: u32 = 0o077;

/// Opens `path` for reading without blocking and checks, on the opened
/// file (`fstat`, so nothing can be swapped in between), that it is a
/// regular file.
///
/// `O_NONBLOCK`: opening a FIFO for reading blocks until a writer comes,
/// so without it a FIFO planted at a key path would hang the process
/// before any check could refuse it. On a regular file the flag changes
/// nothing.
pub(crate) fn open_regular(path: &Path) -> Result<(File, std::fs::Metadata), Error> {
    let mut options = OpenOptions::new();
    options.read(true);
    open_regular_with(path, options)
}

/// [`open_regular`] with other `options` (a file also written, or
/// created), to which it adds `O_NONBLOCK` and `O_NOCTTY`.
pub(crate) fn open_regular_with(
    path: &Path,
    mut options: OpenOptions,
) -> Result<(File, std::fs::Metadata), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOCTTY;
        // OFlags are the C int flags; the bits always fit an i32.
        options.custom_flags(i32::try_from(flags.bits()).unwrap_or(0));
    }
    let file = options.open(path).map_err(Error::io("open", path))?;
    let meta = file.metadata().map_err(Error::io("inspect", path))?;
    if !meta.is_file() {
        return Err(Error::NotAFile {
            path: path.to_path_buf(),
        });
    }
    Ok((file, meta))
}

/// Reads a file kept beside a key (a TPM stub, a FIDO side file, a test
/// CA's certificate) as [`open_regular`] opens it, refusing one larger
/// than `limit` with [`Error::TooLarge`]: on its size before anything is
/// read, and on what it holds when it grew since.
pub(crate) fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, Error> {
    let (file, meta) = open_regular(path)?;
    read_opened(file, path, meta.len(), limit)
}

/// Reads the opened `file` at `path`, whose size was `size` when it was
/// inspected, to at most `limit` bytes, refusing more with
/// [`Error::TooLarge`].
pub(crate) fn read_opened(
    file: impl std::io::Read,
    path: &Path,
    size: u64,
    limit: u64,
) -> Result<Vec<u8>, Error> {
    let too_large = |size: u64| Error::TooLarge {
        origin: Origin::File(path.to_path_buf()),
        size,
        limit,
    };
    if size > limit {
        return Err(too_large(size));
    }
    let mut buf = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(Error::io("read", path))?;
    if buf.len() as u64 > limit {
        return Err(too_large(buf.len() as u64));
    }
    Ok(buf)
}

/// Reads a private key file after checking, on the opened file, that it is
/// a regular file, owned by the effective user, private to it and not too
/// large.
pub(super) fn read_private(path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    let (file, meta) = open_regular(path)?;
    check_owner(path, &meta)?;
    check_private_mode(path, &meta)?;
    let too_large = |size: u64| Error::TooLarge {
        origin: Origin::File(path.to_path_buf()),
        size,
        limit: MAX_KEY_FILE_LEN,
    };
    if meta.len() > MAX_KEY_FILE_LEN {
        return Err(too_large(meta.len()));
    }
    // Room for the limit plus one byte up front, so reading never grows the
    // buffer and leaves a stray copy of the secret behind in freed memory.
    let cap = usize::try_from(MAX_KEY_FILE_LEN + 1).unwrap_or(usize::MAX);
    let mut buf = Zeroizing::new(Vec::with_capacity(cap));
    file.take(MAX_KEY_FILE_LEN + 1)
        .read_to_end(&mut buf)
        .map_err(Error::io("read", path))?;
    // The file may have grown since it was inspected.
    if buf.len() as u64 > MAX_KEY_FILE_LEN {
        return Err(too_large(buf.len() as u64));
    }
    Ok(buf)
}

#[cfg(unix)]
fn check_private_mode(path: &Path, meta: &std::fs::Metadata) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & FORBIDDEN_MODE_BITS != 0 {
        return Err(Error::InsecurePermissions {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

/// A private key file must belong to the user the process runs as (its
/// effective uid): a file someone else owns can be rewritten by them, so it
/// is not this user's secret, whatever its mode says.
#[cfg(unix)]
fn check_owner(path: &Path, meta: &std::fs::Metadata) -> Result<(), Error> {
    use std::os::unix::fs::MetadataExt as _;
    let euid = rustix::process::geteuid().as_raw();
    if meta.uid() != euid {
        return Err(Error::ForeignOwner {
            path: path.to_path_buf(),
            owner: meta.uid(),
            euid,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), Error> {
    // Windows ACLs are outside what this check can judge.
    Ok(())
}

#[cfg(not(unix))]
fn check_private_mode(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), Error> {
    // Windows ACLs are outside what this check can judge.
    Ok(())
}

/// Options that create a file with `mode` from its first byte on (the
/// process umask can only remove bits from it).
fn create_new_with_mode(#[allow(unused_variables)] mode: u32) -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    options
}

/// Writes a private key file with mode 0600.
///
/// [`Overwrite::Refuse`] creates the file exclusively. [`Overwrite::Replace`]
/// writes a fresh 0600 file beside the target and renames it over the
/// target, so an existing file's looser mode never applies to the new
/// secret and a crash leaves either the old key or the new one.
pub(super) fn write_private(
    path: &Path,
    contents: &[u8],
    overwrite: Overwrite,
) -> Result<(), Error> {
    match overwrite {
        Overwrite::Refuse => write_new(path, contents, 0o600),
        Overwrite::Replace => {
            let tmp = temp_path_beside(path)?;
            write_new(&tmp, contents, 0o600)?;
            std::fs::rename(&tmp, path).map_err(|e| {
                let _ = std::fs::remove_file(&tmp);
                Error::io("replace", path)(e)
            })
        }
    }
}

/// Writes a public file (mode 0644), never replacing an existing one.
pub(crate) fn write_public(path: &Path, contents: &[u8]) -> Result<(), Error> {
    write_new(path, contents, 0o644)
}

fn write_new(path: &Path, contents: &[u8], mode: u32) -> Result<(), Error> {
    let mut file = create_new_with_mode(mode).open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::AlreadyExists {
                path: path.to_path_buf(),
            }
        } else {
            Error::io("create", path)(e)
        }
    })?;
    let written = file
        .write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(Error::io("write", path));
    if written.is_err() {
        // A half-written key file is worse than none.
        drop(file);
        let _ = std::fs::remove_file(path);
    }
    written
}

/// `.NAME.RANDOM.tmp` in the same directory, so the final rename stays on
/// one file system and is atomic.
fn temp_path_beside(path: &Path) -> Result<PathBuf, Error> {
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(Error::random)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "key".to_owned());
    let tmp = format!(".{name}.{:016x}.tmp", u64::from_le_bytes(nonce));
    Ok(path.with_file_name(tmp))
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vouch-keys-fs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn private_files_are_0600_and_exclusive() {
        let dir = scratch("exclusive");
        let p = dir.join("k");
        write_private(&p, b"one", Overwrite::Refuse).unwrap();
        assert_eq!(mode(&p), 0o600);
        assert!(matches!(
            write_private(&p, b"two", Overwrite::Refuse),
            Err(Error::AlreadyExists { .. })
        ));
        assert_eq!(&*read_private(&p).unwrap(), b"one");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn replacing_never_inherits_a_loose_mode() {
        let dir = scratch("replace");
        let p = dir.join("k");
        std::fs::write(&p, b"old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&p, b"new", Overwrite::Replace).unwrap();
        assert_eq!(mode(&p), 0o600);
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn loose_modes_and_odd_files_are_refused() {
        let dir = scratch("modes");
        let p = dir.join("k");
        std::fs::write(&p, b"x").unwrap();
        for bad in [0o644, 0o640, 0o604, 0o620, 0o602, 0o610] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(bad)).unwrap();
            match read_private(&p) {
                Err(Error::InsecurePermissions { path, mode }) => {
                    assert_eq!(path, p);
                    assert_eq!(mode, bad);
                }
                other => panic!("mode {bad:o}: {other:?}"),
            }
        }
        for good in [0o600, 0o400] {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(good)).unwrap();
            read_private(&p).unwrap();
        }
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        assert!(matches!(read_private(&dir), Err(Error::NotAFile { .. })));
        let big = dir.join("big");
        std::fs::write(&big, vec![b'a'; MAX_KEY_FILE_LEN as usize + 1]).unwrap();
        std::fs::set_permissions(&big, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(read_private(&big), Err(Error::TooLarge { .. })));
        assert!(matches!(
            read_private(&dir.join("missing")),
            Err(Error::Io { action: "open", .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = scratch("fifo");
        let p = dir.join("k");
        rustix::fs::mkfifoat(rustix::fs::CWD, &p, rustix::fs::Mode::from_raw_mode(0o600)).unwrap();
        // Without O_NONBLOCK the open waits for a writer that never comes:
        // run it on a thread and give it a few seconds.
        let (tx, rx) = std::sync::mpsc::channel();
        let q = p.clone();
        std::thread::spawn(move || {
            let _ = tx.send(read_private(&q).map(|_| ()));
        });
        match rx.recv_timeout(std::time::Duration::from_secs(5)) {
            Ok(Err(Error::NotAFile { path })) => assert_eq!(path, p),
            Ok(other) => panic!("{other:?}"),
            Err(_) => {
                // Unblock the stuck thread before failing.
                let _ = std::fs::OpenOptions::new().write(true).open(&p);
                panic!("opening a FIFO as a key file blocked");
            }
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_of_another_owner_is_refused() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = scratch("owner");
        let p = dir.join("k");
        write_private(&p, b"x", Overwrite::Refuse).unwrap();
        let ours = std::fs::metadata(&p).unwrap();
        check_owner(&p, &ours).unwrap();
        // A file this process does not own: / belongs to root. When the
        // tests run as root, there is no other owner to compare with
        // without changing ownership, which needs root anyway: chown the
        // file to nobody.
        let euid = rustix::process::geteuid().as_raw();
        let foreign = if euid == 0 {
            rustix::fs::chown(&p, Some(rustix::process::Uid::from_raw(65534)), None).unwrap();
            std::fs::metadata(&p).unwrap()
        } else {
            std::fs::metadata("/").unwrap()
        };
        assert_ne!(foreign.uid(), euid);
        match check_owner(&p, &foreign) {
            Err(Error::ForeignOwner {
                path,
                owner,
                euid: e,
            }) => {
                assert_eq!((path, owner, e), (p.clone(), foreign.uid(), euid));
            }
            other => panic!("{other:?}"),
        }
        if euid == 0 {
            // The whole read refuses it too.
            assert!(matches!(read_private(&p), Err(Error::ForeignOwner { .. })));
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn public_files_are_0644() {
        let dir = scratch("public");
        let p = dir.join("k.pub");
        write_public(&p, b"ssh-ed25519 AAAA\n").unwrap();
        // The umask may clear bits but never adds any.
        assert_eq!(mode(&p) & !0o644, 0);
        assert!(matches!(
            write_public(&p, b"x"),
            Err(Error::AlreadyExists { .. })
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
