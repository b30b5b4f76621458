//! `vouch_bytes`: bytes that vouch made and the caller owns.

use crate::boundary::boundary;
use crate::ffi::{self, Handle};

/// Bytes made by vouch (an envelope, a JSON trace, a public key line), owned
/// by the caller until `vouch_bytes_free`.
///
/// Read them with `vouch_bytes_data` and `vouch_bytes_len`. The data is
/// always followed by one NUL byte that `vouch_bytes_len` does not count, so
/// text results (JSON, public key lines) can be used as C strings directly;
/// binary results may contain NUL bytes of their own. Immutable: any number
/// of threads may read one at the same time.
pub struct vouch_bytes {
    _private: [u8; 0],
}

/// The value behind a `vouch_bytes`: the data and a trailing NUL.
pub(crate) struct OwnedBytes(Vec<u8>);

impl OwnedBytes {
    pub(crate) fn new(mut data: Vec<u8>) -> Self {
        data.push(0);
        OwnedBytes(data)
    }

    /// The data, without the trailing NUL.
    pub(crate) fn data(&self) -> &[u8] {
        self.0
            .split_last()
            .map(|(_, data)| data)
            .unwrap_or_default()
    }
}

impl Handle for vouch_bytes {
    type Rust = OwnedBytes;
}

/// Makes a `vouch_bytes` for the caller.
pub(crate) fn hand_out(data: Vec<u8>) -> *mut vouch_bytes {
    ffi::into_handle(OwnedBytes::new(data))
}

/// The data of `bytes`: valid until `vouch_bytes_free(bytes)`, followed by a
/// NUL byte not counted in `vouch_bytes_len`. NULL when `bytes` is NULL.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_bytes_data(bytes: *const vouch_bytes) -> *const u8 {
    boundary! {
        Ok(ffi::try_ref(bytes, "bytes")?.data().as_ptr())
    }
}

/// The length of `bytes` in bytes (without the trailing NUL); 0 when
/// `bytes` is NULL.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_bytes_len(bytes: *const vouch_bytes) -> usize {
    boundary! {
        Ok(ffi::try_ref(bytes, "bytes")?.data().len())
    }
}

/// Frees bytes returned by vouch. NULL is ignored.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_bytes_free(bytes: *mut vouch_bytes) {
    boundary! {
        ffi::free_handle(bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::read;

    #[test]
    fn data_len_and_trailing_nul() {
        let b = hand_out(b"{\"a\":1}".to_vec());
        let data = vouch_bytes_data(b);
        let len = vouch_bytes_len(b);
        assert_eq!(read::bytes(data, len), b"{\"a\":1}");
        // Usable as a C string.
        assert_eq!(read::string(data.cast()), "{\"a\":1}");
        vouch_bytes_free(b);

        let empty = hand_out(Vec::new());
        assert_eq!(vouch_bytes_len(empty), 0);
        assert_eq!(read::string(vouch_bytes_data(empty).cast()), "");
        vouch_bytes_free(empty);
    }

    #[test]
    fn null_is_harmless() {
        assert!(vouch_bytes_data(std::ptr::null()).is_null());
        assert_eq!(vouch_bytes_len(std::ptr::null()), 0);
        vouch_bytes_free(std::ptr::null_mut());
    }
}
