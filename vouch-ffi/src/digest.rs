//! SHA-256 digests of memory and files.

use std::ffi::{CStr, c_char};
use std::path::PathBuf;

use vouch_core::Digest;

use crate::boundary::boundary;
use crate::error::{Failure, vouch_result};
use crate::ffi;

/// Computes the SHA-256 of `len` bytes at `data` into the 32 bytes at
/// `out32`.
///
/// `data` may be NULL only when `len` is 0. `out32` may overlap `data`.
/// Returns `VOUCH_RESULT_NULL_PARAMETER` for a NULL `data` (with `len > 0`)
/// or `out32`, `VOUCH_RESULT_INVALID_LENGTH` for an impossible `len`.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_digest_sha256(data: *const u8, len: usize, out32: *mut u8) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out(out32.cast::<[u8; 32]>(), "out32")?;
        let digest = Digest::sha256(ffi::try_slice(data, len, "data")?);
        out.set(raw(&digest));
        Ok(())
    }
}

/// Computes the SHA-256 of the file at `path` (a NUL-terminated path, bytes
/// as the operating system takes them) into the 32 bytes at `out32`. The
/// file is streamed, never held in memory whole.
///
/// Returns `VOUCH_RESULT_IO` when the file cannot be opened or read,
/// `VOUCH_RESULT_NULL_PARAMETER` for a NULL argument.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_digest_file(path: *const c_char, out32: *mut u8) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out(out32.cast::<[u8; 32]>(), "out32")?;
        let path = path_from(ffi::try_cstr(path, "path")?)?;
        let digest = Digest::sha256_file(&path).map_err(|e| {
            Failure::from_error(vouch_result::Io, &format!("cannot hash {}", path.display()), &e)
        })?;
        out.set(raw(&digest));
        Ok(())
    }
}

/// The 32 raw bytes of a SHA-256 digest.
pub(crate) fn raw(digest: &Digest) -> [u8; 32] {
    // Every digest vouch makes here is SHA-256.
    digest.as_sha256().copied().unwrap_or_default()
}

/// A path from a C string: any bytes on Unix, UTF-8 elsewhere.
pub(crate) fn path_from(s: &CStr) -> Result<PathBuf, Failure> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt as _;
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(s.to_bytes())))
    }
    #[cfg(not(unix))]
    {
        s.to_str()
            .map(PathBuf::from)
            .map_err(|_| Failure::new(vouch_result::BadArgument, "path is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELLO: &str = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn memory() {
        let mut out = [0u8; 32];
        assert_eq!(
            vouch_digest_sha256(b"hello world".as_ptr(), 11, out.as_mut_ptr()),
            vouch_result::Ok
        );
        assert_eq!(hex(&out), HELLO);
        assert_eq!(
            vouch_digest_sha256(std::ptr::null(), 0, out.as_mut_ptr()),
            vouch_result::Ok
        );
        assert_eq!(hex(&out), EMPTY);
    }

    #[test]
    fn in_place() {
        let mut buf = *b"hello world\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
        let p = buf.as_mut_ptr();
        assert_eq!(vouch_digest_sha256(p, 11, p), vouch_result::Ok);
        assert_eq!(hex(&buf), HELLO);
    }

    #[test]
    fn memory_refusals() {
        let mut out = [0u8; 32];
        assert_eq!(
            vouch_digest_sha256(std::ptr::null(), 1, out.as_mut_ptr()),
            vouch_result::NullParameter
        );
        assert_eq!(
            vouch_digest_sha256(b"x".as_ptr(), 1, std::ptr::null_mut()),
            vouch_result::NullParameter
        );
        assert_eq!(
            vouch_digest_sha256(b"x".as_ptr(), usize::MAX, out.as_mut_ptr()),
            vouch_result::InvalidLength
        );
    }

    #[test]
    fn files() {
        let dir = std::env::temp_dir().join(format!("vouch-ffi-digest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hello.txt");
        std::fs::write(&file, b"hello world").unwrap();
        let c = std::ffi::CString::new(file.to_str().unwrap()).unwrap();
        let mut out = [0u8; 32];
        assert_eq!(
            vouch_digest_file(c.as_ptr(), out.as_mut_ptr()),
            vouch_result::Ok
        );
        assert_eq!(hex(&out), HELLO);

        let missing = std::ffi::CString::new(dir.join("missing").to_str().unwrap()).unwrap();
        assert_eq!(
            vouch_digest_file(missing.as_ptr(), out.as_mut_ptr()),
            vouch_result::Io
        );
        assert_eq!(
            vouch_digest_file(std::ptr::null(), out.as_mut_ptr()),
            vouch_result::NullParameter
        );
        assert_eq!(
            vouch_digest_file(c.as_ptr(), std::ptr::null_mut()),
            vouch_result::NullParameter
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_paths_are_taken_as_bytes() {
        let dir = std::env::temp_dir().join(format!("vouch-ffi-digest8-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut name = dir.to_str().unwrap().as_bytes().to_vec();
        name.extend_from_slice(b"/caf\xe9");
        {
            use std::os::unix::ffi::OsStrExt as _;
            std::fs::write(std::ffi::OsStr::from_bytes(&name), b"").unwrap();
        }
        let c = std::ffi::CString::new(name).unwrap();
        let mut out = [0u8; 32];
        assert_eq!(
            vouch_digest_file(c.as_ptr(), out.as_mut_ptr()),
            vouch_result::Ok
        );
        assert_eq!(hex(&out), EMPTY);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
