//! Result codes, their messages, the per-thread detailed message, and how
//! the errors of the vouch crates map onto codes.

use std::ffi::c_char;

use crate::boundary::{boundary, boundary_keeping_last_error, last_error};
use crate::ffi;

/// What a vouch function reports. `VOUCH_RESULT_OK` (0) is success; every
/// other value names a class of failure, and
/// `vouch_last_error_message` gives the detail of the latest one on the
/// calling thread.
///
/// The numbers are fixed: a code is never renumbered or reused, and new codes
/// are only ever added at the end. Render any code (including ones newer than
/// your header) with `vouch_result_message`.
///
/// The C type `vouch_result` is a `uint32_t`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum vouch_result {
    /// Success.
    Ok = 0,
    /// A required pointer argument was NULL.
    NullParameter = 1,
    /// A length argument is impossible: larger than any object can be, or
    /// not a length the argument can have (a pin of other than 32 or 71
    /// bytes).
    InvalidLength = 2,
    /// An argument has the right type but an unacceptable value: a string
    /// that is not UTF-8, an index out of range, a malformed key reference or
    /// content type, a time out of range.
    BadArgument = 3,
    /// vouch panicked (a bug in vouch); the call had no effect that can be
    /// relied on. Please report it with the detailed message.
    Panic = 4,
    /// A file could not be read.
    Io = 5,
    /// Input bytes are not in an accepted format: a COSE envelope that does
    /// not decode, a public key in no format vouch reads.
    Parse = 6,
    /// A signature was refused: it does not verify with the key given, was
    /// made by another key, or uses an algorithm vouch refuses.
    VerifyFailed = 7,
    /// A private key could not be used (malformed or unsupported key file,
    /// unsafe file permissions, a key backend not built in).
    KeyError = 8,
    /// The policy (TOML or JSON) could not be read.
    Policy = 9,
    /// The roster file could not be read, or its signatures, rotation chain
    /// or pin did not verify.
    Roster = 10,
    /// The bundle could not be read.
    Bundle = 11,
    /// The target is not `deployment:<digest>`, `image:<digest>` or a digest.
    Target = 12,
    /// The caller's buffer is too small; the output was truncated (and
    /// NUL-terminated when the buffer has room for at least the NUL).
    BufferTooShort = 13,
    /// The private key is encrypted and no passphrase, or a wrong one, was
    /// given.
    Passphrase = 14,
    /// The signer could not sign (declined, device or backend failure).
    SignFailed = 15,
}

impl vouch_result {
    /// Every code, in numeric order.
    pub(crate) const ALL: [vouch_result; 16] = [
        vouch_result::Ok,
        vouch_result::NullParameter,
        vouch_result::InvalidLength,
        vouch_result::BadArgument,
        vouch_result::Panic,
        vouch_result::Io,
        vouch_result::Parse,
        vouch_result::VerifyFailed,
        vouch_result::KeyError,
        vouch_result::Policy,
        vouch_result::Roster,
        vouch_result::Bundle,
        vouch_result::Target,
        vouch_result::BufferTooShort,
        vouch_result::Passphrase,
        vouch_result::SignFailed,
    ];

    /// The code with this number, if there is one.
    pub fn from_u32(code: u32) -> Option<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i))
            .copied()
    }

    /// The fixed English message for this code.
    pub fn message(self) -> &'static str {
        match self {
            vouch_result::Ok => "success",
            vouch_result::NullParameter => "a required pointer argument was NULL",
            vouch_result::InvalidLength => {
                "a length argument is impossible or wrong for its argument"
            }
            vouch_result::BadArgument => "an argument has an unacceptable value",
            vouch_result::Panic => "vouch panicked (a bug in vouch; please report it)",
            vouch_result::Io => "a file could not be read",
            vouch_result::Parse => "input is not in an accepted format",
            vouch_result::VerifyFailed => "a signature was refused",
            vouch_result::KeyError => "a private key could not be used",
            vouch_result::Policy => "the policy could not be read",
            vouch_result::Roster => "the roster could not be read or did not verify",
            vouch_result::Bundle => "the bundle could not be read",
            vouch_result::Target => {
                "the target is not deployment:<digest>, image:<digest> or a digest"
            }
            vouch_result::BufferTooShort => "the buffer is too short; the output was truncated",
            vouch_result::Passphrase => {
                "the private key is encrypted: no passphrase or a wrong one was given"
            }
            vouch_result::SignFailed => "the signer could not sign",
        }
    }
}

/// A failed call: its code and the detailed message for
/// `vouch_last_error_message`.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) code: vouch_result,
    pub(crate) detail: String,
}

impl Failure {
    pub(crate) fn new(code: vouch_result, detail: impl Into<String>) -> Self {
        Failure {
            code,
            detail: detail.into(),
        }
    }

    /// A NULL argument, named.
    pub(crate) fn null(what: &'static str) -> Self {
        Failure::new(vouch_result::NullParameter, format!("{what} is NULL"))
    }

    /// A failure whose detail is `context: error: cause: cause...`.
    pub(crate) fn from_error(
        code: vouch_result,
        context: &str,
        error: &(dyn std::error::Error + 'static),
    ) -> Self {
        let detail = format!("{context}: {}", vouch_core::text::error_chain(error));
        Failure::new(code, detail)
    }

    /// An envelope that could not be verified (or made).
    pub(crate) fn envelope(context: &str, e: &vouch_core::EnvelopeError) -> Self {
        use vouch_core::EnvelopeError as E;
        let code = match e {
            E::Cbor(_)
            | E::Malformed(_)
            | E::WrongTag { .. }
            | E::DetachedPayload
            | E::MalformedEvidence => vouch_result::Parse,
            E::InvalidContentType(_) => vouch_result::BadArgument,
            E::Sign(_) | E::Encode(_) => vouch_result::SignFailed,
            // A missing or unknown algorithm, a key or algorithm mismatch, a
            // bad signature: the signature is refused.
            _ => vouch_result::VerifyFailed,
        };
        Failure::from_error(code, context, e)
    }

    /// An error of vouch-keys (opening a private key).
    pub(crate) fn keys(context: &str, e: &vouch_keys::Error) -> Self {
        use vouch_keys::Error as E;
        let code = match e {
            E::Io { .. } => vouch_result::Io,
            E::PassphraseRequired { .. } | E::WrongPassphrase { .. } => vouch_result::Passphrase,
            E::UnknownScheme { .. } | E::MissingKeyPath { .. } => vouch_result::BadArgument,
            _ => vouch_result::KeyError,
        };
        Failure::from_error(code, context, e)
    }
}

/// Writes `text` into a caller buffer as a NUL-terminated string, truncated
/// at a UTF-8 character boundary when it does not fit, and reports its full
/// length (without the NUL) through `written` when that is not NULL.
///
/// A NULL `buf` with `len == 0` is a size query: only `written` is set, and
/// the result is `BufferTooShort`.
pub(crate) fn write_string(
    text: &str,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> Result<(), Failure> {
    if let Some(mut w) = ffi::optional_out(written) {
        w.set(text.len());
    }
    let dst = ffi::try_buffer(buf, len, "buf")?;
    let Some(room) = dst.len().checked_sub(1) else {
        return Err(Failure::new(
            vouch_result::BufferTooShort,
            format!("buffer of 0 bytes; {} needed", text.len() + 1),
        ));
    };
    let mut n = text.len().min(room);
    while !text.is_char_boundary(n) {
        n -= 1;
    }
    dst[..n].copy_from_slice(&text.as_bytes()[..n]);
    dst[n] = 0;
    if n < text.len() {
        return Err(Failure::new(
            vouch_result::BufferTooShort,
            format!("buffer of {len} bytes; {} needed", text.len() + 1),
        ));
    }
    Ok(())
}

/// Renders any result code as an English message into `buf`.
///
/// The message is written NUL-terminated. `*written` (when `written` is not
/// NULL) is set to the length of the whole message in bytes, not counting the
/// NUL, whether or not it fit: a buffer of `*written + 1` bytes holds it.
///
/// Returns `VOUCH_RESULT_OK` when the whole message fit. Returns
/// `VOUCH_RESULT_BUFFER_TOO_SHORT` when it did not: the first `len - 1` bytes
/// (cut back to a whole UTF-8 character) and a NUL were written, or nothing
/// when `len` is 0. `buf` may be NULL only when `len` is 0 (a size query);
/// otherwise a NULL `buf` gives `VOUCH_RESULT_NULL_PARAMETER`.
///
/// Codes this library does not know give "unknown vouch_result code N".
/// This function does not change the thread's last error message.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_result_message(
    code: u32,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vouch_result {
    boundary_keeping_last_error! {
        let text = match vouch_result::from_u32(code) {
            Some(r) => std::borrow::Cow::Borrowed(r.message()),
            None => std::borrow::Cow::Owned(format!("unknown vouch_result code {code}")),
        };
        write_string(&text, buf, len, written)
    }
}

/// Renders the detailed message of the latest failure on the calling thread
/// into `buf`, with the same conventions as `vouch_result_message`.
///
/// Every function that returns a `vouch_result` (except the two message
/// functions) replaces the calling thread's message: it is cleared (the empty
/// string) when the function returns `VOUCH_RESULT_OK` and describes the
/// failure otherwise, e.g. which argument was NULL, or the whole chain of
/// causes of a refused roster. Messages are for people and logs; act on the
/// code.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_last_error_message(
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vouch_result {
    boundary_keeping_last_error! {
        last_error::with(|text| write_string(text, buf, len, written))
    }
}

/// The library's name and version, e.g. "vouch-ffi/0.1.0": a static
/// NUL-terminated string, never freed. Never NULL.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_version() -> *const c_char {
    boundary! {
        Ok(VERSION.as_ptr())
    }
}

const VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!("vouch-ffi/", env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(s) => s,
    Err(_) => c"vouch-ffi",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::read;

    fn message(code: u32, len: usize) -> (vouch_result, String, usize) {
        let mut buf = vec![0x55 as c_char; len];
        let mut written = usize::MAX;
        let r = vouch_result_message(code, buf.as_mut_ptr(), len, &mut written);
        let text = if len > 0 {
            read::string(buf.as_ptr())
        } else {
            String::new()
        };
        (r, text, written)
    }

    #[test]
    fn numbers_are_fixed() {
        // Never renumber: C callers compiled against older headers rely on these.
        let expected = [
            (vouch_result::Ok, 0),
            (vouch_result::NullParameter, 1),
            (vouch_result::InvalidLength, 2),
            (vouch_result::BadArgument, 3),
            (vouch_result::Panic, 4),
            (vouch_result::Io, 5),
            (vouch_result::Parse, 6),
            (vouch_result::VerifyFailed, 7),
            (vouch_result::KeyError, 8),
            (vouch_result::Policy, 9),
            (vouch_result::Roster, 10),
            (vouch_result::Bundle, 11),
            (vouch_result::Target, 12),
            (vouch_result::BufferTooShort, 13),
            (vouch_result::Passphrase, 14),
            (vouch_result::SignFailed, 15),
        ];
        assert_eq!(expected.len(), vouch_result::ALL.len());
        for (i, (code, n)) in expected.into_iter().enumerate() {
            assert_eq!(code as u32, n);
            assert_eq!(vouch_result::ALL[i], code);
            assert_eq!(vouch_result::from_u32(n), Some(code));
        }
        assert_eq!(vouch_result::from_u32(16), None);
        assert_eq!(vouch_result::from_u32(u32::MAX), None);
    }

    #[test]
    fn every_code_renders() {
        for code in vouch_result::ALL {
            let (r, text, written) = message(code as u32, 256);
            assert_eq!(r, vouch_result::Ok);
            assert_eq!(text, code.message());
            assert_eq!(written, text.len());
        }
        let (r, text, _) = message(9999, 256);
        assert_eq!(r, vouch_result::Ok);
        assert_eq!(text, "unknown vouch_result code 9999");
    }

    #[test]
    fn short_buffers_truncate_and_report_the_length() {
        let full = vouch_result::Ok.message(); // "success"
        // Exactly enough: the text and its NUL.
        let (r, text, written) = message(0, full.len() + 1);
        assert_eq!(
            (r, text.as_str(), written),
            (vouch_result::Ok, full, full.len())
        );
        // One short: truncated, still NUL-terminated.
        let (r, text, written) = message(0, full.len());
        assert_eq!(r, vouch_result::BufferTooShort);
        assert_eq!(text, &full[..full.len() - 1]);
        assert_eq!(written, full.len());
        // Room for the NUL only.
        let (r, text, _) = message(0, 1);
        assert_eq!((r, text.as_str()), (vouch_result::BufferTooShort, ""));
        // Nothing at all: a size query.
        let mut written = 0;
        let r = vouch_result_message(0, std::ptr::null_mut(), 0, &mut written);
        assert_eq!((r, written), (vouch_result::BufferTooShort, full.len()));
        // `written` is optional.
        let mut buf = [0 as c_char; 32];
        let r = vouch_result_message(0, buf.as_mut_ptr(), buf.len(), std::ptr::null_mut());
        assert_eq!(r, vouch_result::Ok);
        assert_eq!(read::string(buf.as_ptr()), full);
    }

    #[test]
    fn null_buffer_with_a_length_is_refused() {
        let r = vouch_result_message(0, std::ptr::null_mut(), 8, std::ptr::null_mut());
        assert_eq!(r, vouch_result::NullParameter);
    }

    #[test]
    fn truncation_keeps_whole_characters() {
        let mut buf = [0x55 as c_char; 3];
        // "é" is two bytes: with room for 2 bytes of text, "aé" is cut to "a".
        let r = write_string("aé", buf.as_mut_ptr(), buf.len(), std::ptr::null_mut());
        assert_eq!(r.unwrap_err().code, vouch_result::BufferTooShort);
        assert_eq!(read::string(buf.as_ptr()), "a");
    }

    #[test]
    fn version() {
        let v = read::string(vouch_version());
        assert_eq!(v, concat!("vouch-ffi/", env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn last_error_follows_the_latest_call_on_this_thread() {
        let mut out = [0u8; 32];
        assert_eq!(
            crate::vouch_digest_sha256(std::ptr::null(), 3, out.as_mut_ptr()),
            vouch_result::NullParameter
        );
        let mut buf = [0 as c_char; 128];
        let mut written = 0;
        let r = vouch_last_error_message(buf.as_mut_ptr(), buf.len(), &mut written);
        assert_eq!(r, vouch_result::Ok);
        let text = read::string(buf.as_ptr());
        assert_eq!(text, "data is NULL");
        assert_eq!(written, text.len());
        // Reading it (and rendering codes) does not clear it.
        let _ = vouch_result_message(3, buf.as_mut_ptr(), buf.len(), &mut written);
        let _ = vouch_last_error_message(buf.as_mut_ptr(), 2, &mut written);
        let _ = vouch_last_error_message(buf.as_mut_ptr(), buf.len(), &mut written);
        assert_eq!(read::string(buf.as_ptr()), "data is NULL");
        // Another thread has its own.
        std::thread::spawn(|| {
            let mut buf = [0x55 as c_char; 8];
            let r = vouch_last_error_message(buf.as_mut_ptr(), buf.len(), std::ptr::null_mut());
            assert_eq!(r, vouch_result::Ok);
            assert_eq!(read::string(buf.as_ptr()), "");
        })
        .join()
        .unwrap();
        // A successful call clears it.
        assert_eq!(
            crate::vouch_digest_sha256(b"x".as_ptr(), 1, out.as_mut_ptr()),
            vouch_result::Ok
        );
        let _ = vouch_last_error_message(buf.as_mut_ptr(), buf.len(), &mut written);
        assert_eq!((read::string(buf.as_ptr()).as_str(), written), ("", 0));
    }
}
