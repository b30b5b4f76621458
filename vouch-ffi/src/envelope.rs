//! COSE_Sign1 envelopes: verifying with a public key, signing with a key
//! reference.

use std::ffi::c_char;

use vouch_core::cose::Sign1;
use vouch_core::{PublicKey, Verified};
use vouch_keys::{KeyRef, Passphrase};

use crate::boundary::boundary;
use crate::bytes::{hand_out, vouch_bytes};
use crate::error::{Failure, vouch_result, write_string};
use crate::ffi::{self, Handle};

/// A verified envelope: its payload, content type and signer key ids, made
/// by `vouch_envelope_verify` and freed with `vouch_verified_free`.
///
/// Holding one is proof that the signature verified. Immutable: any number of
/// threads may read one at the same time.
pub struct vouch_verified {
    _private: [u8; 0],
}

/// The value behind a `vouch_verified`.
pub(crate) struct VerifiedEnvelope {
    verified: Verified<Vec<u8>>,
    content_type: Option<String>,
}

impl Handle for vouch_verified {
    type Rust = VerifiedEnvelope;
}

/// A key that signs, opened from a key reference by `vouch_signer_open` and
/// freed with `vouch_signer_free`.
///
/// Signing only reads the key: one signer may be used by several threads at
/// the same time. The secret is wiped from memory when the signer is freed.
pub struct vouch_signer {
    _private: [u8; 0],
}

/// The value behind a `vouch_signer`.
pub(crate) struct OpenSigner(Box<dyn vouch_core::Signer + Send + Sync>);

impl Handle for vouch_signer {
    type Rust = OpenSigner;
}

/// Verifies a COSE_Sign1 envelope (tagged or untagged) with a public key.
///
/// `pubkey` holds the key in any format the vouch CLI reads: an OpenSSH
/// public key line, PEM or DER SubjectPublicKeyInfo, or a COSE_Key. On
/// success `*verified` receives a handle to free with `vouch_verified_free`;
/// on any failure it is set to NULL (when `verified` itself is not NULL).
///
/// Returns `VOUCH_RESULT_PARSE` when the envelope does not decode or the key
/// is in no known format, `VOUCH_RESULT_VERIFY_FAILED` when the signature is
/// refused (wrong key, bad signature, refused algorithm),
/// `VOUCH_RESULT_NULL_PARAMETER` for a NULL pointer (a buffer may be NULL
/// only with length 0).
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_envelope_verify(
    envelope: *const u8,
    envelope_len: usize,
    pubkey: *const u8,
    pubkey_len: usize,
    verified: *mut *mut vouch_verified,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(verified, "verified")?;
        let envelope = ffi::try_slice(envelope, envelope_len, "envelope")?;
        let pubkey = ffi::try_slice(pubkey, pubkey_len, "pubkey")?;
        let key = PublicKey::parse_any(pubkey)
            .map_err(|e| Failure::from_error(vouch_result::Parse, "public key", &e))?;
        let sign1 = Sign1::from_bytes(envelope).map_err(|e| Failure::envelope("envelope", &e))?;
        let ok = sign1
            .verify(&key)
            .map_err(|e| Failure::envelope("envelope", &e))?;
        out.set(ffi::into_handle(VerifiedEnvelope {
            content_type: sign1.content_type().map(str::to_owned),
            verified: ok,
        }));
        Ok(())
    }
}

/// Borrows the verified payload: `*data` and `*len` receive its address and
/// length, valid until `vouch_verified_free(verified)`. For an empty payload
/// `*len` is 0 and `*data` is not NULL but must not be read.
///
/// Returns `VOUCH_RESULT_NULL_PARAMETER` when any argument is NULL (then
/// `*data` is NULL and `*len` 0 where those pointers are not NULL).
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verified_payload(
    verified: *const vouch_verified,
    data: *mut *const u8,
    len: *mut usize,
) -> vouch_result {
    boundary! {
        let mut data = ffi::try_out(data, "data")?;
        let mut len = ffi::try_out(len, "len")?;
        data.set(std::ptr::null());
        len.set(0);
        let payload = ffi::try_ref(verified, "verified")?.verified.value();
        data.set(payload.as_ptr());
        len.set(payload.len());
        Ok(())
    }
}

/// Renders the envelope's protected content type (e.g. "text/plain") into
/// `buf`, with the conventions of `vouch_result_message` (NUL-terminated,
/// `*written` = full length without the NUL, `VOUCH_RESULT_BUFFER_TOO_SHORT`
/// when truncated). An envelope without a text content type gives the empty
/// string.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verified_content_type(
    verified: *const vouch_verified,
    buf: *mut c_char,
    len: usize,
    written: *mut usize,
) -> vouch_result {
    boundary! {
        let v = ffi::try_ref(verified, "verified")?;
        write_string(v.content_type.as_deref().unwrap_or_default(), buf, len, written)
    }
}

/// The number of keys whose signatures verified (1 for a COSE_Sign1
/// envelope); 0 when `verified` is NULL.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verified_key_id_count(verified: *const vouch_verified) -> usize {
    boundary! {
        Ok(ffi::try_ref(verified, "verified")?.verified.signers().len())
    }
}

/// Copies the id of the `index`-th signer key (SHA-256 of the key's
/// canonical encoding, the hash `ssh-keygen -l` shows as `SHA256:...`) into
/// the 32 bytes at `out32`.
///
/// Returns `VOUCH_RESULT_BAD_ARGUMENT` when `index` is not below
/// `vouch_verified_key_id_count`, `VOUCH_RESULT_NULL_PARAMETER` for a NULL
/// argument.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verified_key_id(
    verified: *const vouch_verified,
    index: usize,
    out32: *mut u8,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out(out32.cast::<[u8; 32]>(), "out32")?;
        let signers = ffi::try_ref(verified, "verified")?.verified.signers();
        let signer = signers.get(index).ok_or_else(|| {
            Failure::new(
                vouch_result::BadArgument,
                format!(
                    "index {index} is out of range: the envelope has {} signer(s)",
                    signers.len()
                ),
            )
        })?;
        out.set(*signer.key_id().as_bytes());
        Ok(())
    }
}

/// Frees a verified envelope. NULL is ignored.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_verified_free(verified: *mut vouch_verified) {
    boundary! {
        ffi::free_handle(verified);
        Ok(())
    }
}

/// Opens the private key named by a key reference (a NUL-terminated string
/// such as "file:/etc/vouch/ci.key"; the path is taken as UTF-8) for
/// signing. The key must not be encrypted: see
/// `vouch_signer_open_with_passphrase`. A key file must be a regular file
/// that group and others cannot access (mode 0600).
///
/// On success `*signer` receives a handle to free with `vouch_signer_free`;
/// on any failure it is set to NULL (when `signer` itself is not NULL).
///
/// Returns `VOUCH_RESULT_BAD_ARGUMENT` for a malformed reference or one that
/// is not UTF-8, `VOUCH_RESULT_IO` when the file cannot be read,
/// `VOUCH_RESULT_PASSPHRASE` when the key is encrypted,
/// `VOUCH_RESULT_KEY_ERROR` when the key cannot be used (format, type,
/// permissions, a backend not built in).
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_signer_open(
    keyref: *const c_char,
    signer: *mut *mut vouch_signer,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(signer, "signer")?;
        out.set(ffi::into_handle(open(keyref, None)?));
        Ok(())
    }
}

/// Like `vouch_signer_open`, decrypting the key with the `passphrase_len`
/// bytes at `passphrase` (UTF-8, not NUL-terminated; vouch keeps no copy once
/// the call returns). A passphrase given for an unencrypted key is ignored.
///
/// Returns `VOUCH_RESULT_PASSPHRASE` when the passphrase is wrong,
/// `VOUCH_RESULT_BAD_ARGUMENT` when it is not UTF-8.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_signer_open_with_passphrase(
    keyref: *const c_char,
    passphrase: *const u8,
    passphrase_len: usize,
    signer: *mut *mut vouch_signer,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(signer, "signer")?;
        let text = std::str::from_utf8(ffi::try_slice(passphrase, passphrase_len, "passphrase")?)
            .map_err(|_| Failure::new(vouch_result::BadArgument, "passphrase is not UTF-8"))?;
        let passphrase = Passphrase::new(text);
        out.set(ffi::into_handle(open(keyref, Some(&passphrase))?));
        Ok(())
    }
}

fn open(keyref: *const c_char, passphrase: Option<&Passphrase>) -> Result<OpenSigner, Failure> {
    let text = ffi::try_cstr(keyref, "keyref")?
        .to_str()
        .map_err(|_| Failure::new(vouch_result::BadArgument, "keyref is not UTF-8"))?;
    let reference: KeyRef = text
        .parse()
        .map_err(|e| Failure::keys("key reference", &e))?;
    let signer = reference
        .open(passphrase)
        .map_err(|e| Failure::keys(&format!("cannot open {reference}"), &e))?;
    Ok(OpenSigner(signer))
}

/// Copies the signer's key id (see `vouch_verified_key_id`) into the 32
/// bytes at `out32`.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_signer_key_id(signer: *const vouch_signer, out32: *mut u8) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out(out32.cast::<[u8; 32]>(), "out32")?;
        out.set(*ffi::try_ref(signer, "signer")?.0.key_id().as_bytes());
        Ok(())
    }
}

/// The signer's public key as an OpenSSH public key line (text, e.g.
/// "ssh-ed25519 AAAA..."), which `vouch_envelope_verify` accepts. On success
/// `*out` receives bytes to free with `vouch_bytes_free`; on failure NULL.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_signer_public_key(
    signer: *const vouch_signer,
    out: *mut *mut vouch_bytes,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(out, "out")?;
        let line = ffi::try_ref(signer, "signer")?.0.public_key().to_openssh();
        out.set(hand_out(line.into_bytes()));
        Ok(())
    }
}

/// Signs `payload_len` bytes at `payload` in a tagged COSE_Sign1 envelope
/// whose protected header holds the algorithm, the key id and
/// `content_type` (a NUL-terminated "type/subtype", e.g. "text/plain").
/// On success `*envelope` receives the envelope bytes to free with
/// `vouch_bytes_free`; on any failure it is set to NULL.
///
/// Returns `VOUCH_RESULT_BAD_ARGUMENT` for a content type that is not
/// `type/subtype` UTF-8, `VOUCH_RESULT_SIGN_FAILED` when the key cannot sign,
/// `VOUCH_RESULT_NULL_PARAMETER` for a NULL argument (`payload` may be NULL
/// only with `payload_len` 0).
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_envelope_sign(
    signer: *const vouch_signer,
    payload: *const u8,
    payload_len: usize,
    content_type: *const c_char,
    envelope: *mut *mut vouch_bytes,
) -> vouch_result {
    boundary! {
        let mut out = ffi::try_out_handle(envelope, "envelope")?;
        let signer = ffi::try_ref(signer, "signer")?;
        let payload = ffi::try_slice(payload, payload_len, "payload")?;
        let content_type = ffi::try_cstr(content_type, "content_type")?
            .to_str()
            .map_err(|_| Failure::new(vouch_result::BadArgument, "content_type is not UTF-8"))?;
        let bytes = Sign1::sign(&*signer.0, content_type, payload)
            .and_then(|e| e.to_bytes())
            .map_err(|e| Failure::envelope("cannot sign", &e))?;
        out.set(hand_out(bytes));
        Ok(())
    }
}

/// Frees a signer, wiping its secret. NULL is ignored.
#[allow(unsafe_code, reason = "no_mangle: see the ffi module docs")]
#[unsafe(no_mangle)]
pub extern "C" fn vouch_signer_free(signer: *mut vouch_signer) {
    boundary! {
        ffi::free_handle(signer);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::ffi::CString;
    use std::path::PathBuf;
    use std::ptr::{null, null_mut};

    use vouch_core::Algorithm;
    use vouch_keys::{FileKey, KdfParams, SaveOptions};

    use super::*;
    use crate::ffi::read;
    use crate::{vouch_bytes_data, vouch_bytes_free, vouch_bytes_len, vouch_last_error_message};

    struct Dir(PathBuf);

    impl Dir {
        fn new(tag: &str) -> Dir {
            let d = std::env::temp_dir().join(format!("vouch-ffi-{tag}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            std::fs::create_dir_all(&d).unwrap();
            Dir(d)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn cstring(s: impl Into<Vec<u8>>) -> CString {
        CString::new(s).unwrap()
    }

    fn take(b: *mut vouch_bytes) -> Vec<u8> {
        assert!(!b.is_null());
        let v = read::bytes(vouch_bytes_data(b), vouch_bytes_len(b));
        vouch_bytes_free(b);
        v
    }

    fn last_error() -> String {
        let mut buf = [0 as c_char; 1024];
        assert_eq!(
            vouch_last_error_message(buf.as_mut_ptr(), buf.len(), null_mut()),
            vouch_result::Ok
        );
        read::string(buf.as_ptr())
    }

    /// A key saved as `name.key` (unencrypted) and its reference.
    fn key_file(dir: &Dir, name: &str, alg: Algorithm) -> (FileKey, CString) {
        let key = FileKey::generate(alg).unwrap();
        let path = dir.0.join(format!("{name}.key"));
        key.save(&path, None).unwrap();
        (key, cstring(format!("file:{}", path.display())))
    }

    fn open_signer(keyref: &CString) -> *mut vouch_signer {
        let mut s = null_mut();
        assert_eq!(
            vouch_signer_open(keyref.as_ptr(), &mut s),
            vouch_result::Ok,
            "{}",
            last_error()
        );
        s
    }

    fn sign(signer: *const vouch_signer, payload: &[u8], ct: &str) -> Vec<u8> {
        let ct = cstring(ct);
        let mut env = null_mut();
        let r = vouch_envelope_sign(
            signer,
            payload.as_ptr(),
            payload.len(),
            ct.as_ptr(),
            &mut env,
        );
        assert_eq!(r, vouch_result::Ok, "{}", last_error());
        take(env)
    }

    fn verify(envelope: &[u8], pubkey: &[u8]) -> (vouch_result, *mut vouch_verified) {
        let mut v = std::ptr::NonNull::dangling().as_ptr();
        let r = vouch_envelope_verify(
            envelope.as_ptr(),
            envelope.len(),
            pubkey.as_ptr(),
            pubkey.len(),
            &mut v,
        );
        if r != vouch_result::Ok {
            assert!(v.is_null(), "the output handle is NULL on failure");
        }
        (r, v)
    }

    #[test]
    fn sign_then_verify_with_every_key_format() {
        let dir = Dir::new("sign");
        for alg in [Algorithm::Ed25519, Algorithm::Es256] {
            let (key, keyref) = key_file(&dir, alg.name(), alg);
            let signer = open_signer(&keyref);

            let mut kid = [0u8; 32];
            assert_eq!(
                vouch_signer_key_id(signer, kid.as_mut_ptr()),
                vouch_result::Ok
            );
            assert_eq!(&kid, key.key_id().as_bytes());

            let env = sign(signer, b"v1.0.0", "text/plain");
            let mut line = null_mut();
            assert_eq!(vouch_signer_public_key(signer, &mut line), vouch_result::Ok);
            let line = take(line);
            assert_eq!(line, key.public_key().to_openssh().into_bytes());

            let pem = key.public_key().to_spki_pem().unwrap().into_bytes();
            let cose = key.public_key().to_cose_key();
            for pubkey in [line.clone(), pem, cose] {
                let (r, v) = verify(&env, &pubkey);
                assert_eq!(r, vouch_result::Ok, "{}", last_error());

                let (mut data, mut len) = (null(), usize::MAX);
                assert_eq!(
                    vouch_verified_payload(v, &mut data, &mut len),
                    vouch_result::Ok
                );
                assert_eq!(read::bytes(data, len), b"v1.0.0");

                assert_eq!(vouch_verified_key_id_count(v), 1);
                let mut id = [0u8; 32];
                assert_eq!(
                    vouch_verified_key_id(v, 0, id.as_mut_ptr()),
                    vouch_result::Ok
                );
                assert_eq!(&id, key.key_id().as_bytes());
                assert_eq!(
                    vouch_verified_key_id(v, 1, id.as_mut_ptr()),
                    vouch_result::BadArgument
                );
                assert!(last_error().contains("out of range"), "{}", last_error());

                let mut ct = [0 as c_char; 16];
                let mut written = 0;
                assert_eq!(
                    vouch_verified_content_type(v, ct.as_mut_ptr(), ct.len(), &mut written),
                    vouch_result::Ok
                );
                assert_eq!(
                    (read::string(ct.as_ptr()).as_str(), written),
                    ("text/plain", 10)
                );
                assert_eq!(
                    vouch_verified_content_type(v, ct.as_mut_ptr(), 4, &mut written),
                    vouch_result::BufferTooShort
                );
                assert_eq!((read::string(ct.as_ptr()).as_str(), written), ("tex", 10));
                vouch_verified_free(v);
            }
            vouch_signer_free(signer);
        }
    }

    #[test]
    fn empty_payload() {
        let dir = Dir::new("empty");
        let (key, keyref) = key_file(&dir, "k", Algorithm::Ed25519);
        let signer = open_signer(&keyref);
        let ct = cstring("application/octet-stream");
        let mut env = null_mut();
        assert_eq!(
            vouch_envelope_sign(signer, null(), 0, ct.as_ptr(), &mut env),
            vouch_result::Ok
        );
        let env = take(env);
        let (r, v) = verify(&env, key.public_key().to_openssh().as_bytes());
        assert_eq!(r, vouch_result::Ok);
        let (mut data, mut len) = (null(), 1);
        assert_eq!(
            vouch_verified_payload(v, &mut data, &mut len),
            vouch_result::Ok
        );
        assert_eq!(len, 0);
        assert!(!data.is_null());
        vouch_verified_free(v);
        vouch_signer_free(signer);
    }

    #[test]
    fn refusals_name_their_class() {
        let dir = Dir::new("refuse");
        let (key, keyref) = key_file(&dir, "a", Algorithm::Ed25519);
        let (other, _) = key_file(&dir, "b", Algorithm::Ed25519);
        let signer = open_signer(&keyref);
        let env = sign(signer, b"payload!", "text/plain");
        let good = key.public_key().to_openssh().into_bytes();

        // Another key: the envelope names a different key id.
        let (r, _) = verify(&env, other.public_key().to_openssh().as_bytes());
        assert_eq!(r, vouch_result::VerifyFailed);
        // A flipped payload byte: the signature does not verify.
        let mut tampered = env.clone();
        let at = tampered.windows(8).position(|w| w == b"payload!").unwrap();
        tampered[at] ^= 1;
        let (r, _) = verify(&tampered, &good);
        assert_eq!(r, vouch_result::VerifyFailed);
        assert!(last_error().contains("does not verify"), "{}", last_error());
        // Not an envelope; not a key.
        assert_eq!(verify(b"\x01\x02", &good).0, vouch_result::Parse);
        assert_eq!(verify(&[], &good).0, vouch_result::Parse);
        assert_eq!(verify(&env, b"not a key").0, vouch_result::Parse);
        assert_eq!(verify(&env, &[]).0, vouch_result::Parse);
        // A content type that is not type/subtype.
        let bad_ct = cstring("nonsense");
        let mut out = null_mut();
        assert_eq!(
            vouch_envelope_sign(signer, b"x".as_ptr(), 1, bad_ct.as_ptr(), &mut out),
            vouch_result::BadArgument
        );
        assert!(out.is_null());
        let not_utf8 = cstring(b"text/\xff".to_vec());
        assert_eq!(
            vouch_envelope_sign(signer, b"x".as_ptr(), 1, not_utf8.as_ptr(), &mut out),
            vouch_result::BadArgument
        );
        vouch_signer_free(signer);
    }

    #[test]
    fn null_arguments() {
        let dir = Dir::new("null");
        let (key, keyref) = key_file(&dir, "k", Algorithm::Ed25519);
        let signer = open_signer(&keyref);
        let env = sign(signer, b"p", "text/plain");
        let pk = key.public_key().to_openssh().into_bytes();
        let ct = cstring("text/plain");
        let mut v = null_mut();

        let n = vouch_result::NullParameter;
        assert_eq!(
            vouch_envelope_verify(null(), 3, pk.as_ptr(), pk.len(), &mut v),
            n
        );
        assert_eq!(
            vouch_envelope_verify(env.as_ptr(), env.len(), null(), 3, &mut v),
            n
        );
        assert_eq!(
            vouch_envelope_verify(env.as_ptr(), env.len(), pk.as_ptr(), pk.len(), null_mut()),
            n
        );
        assert_eq!(
            vouch_envelope_verify(env.as_ptr(), usize::MAX, pk.as_ptr(), pk.len(), &mut v),
            vouch_result::InvalidLength
        );

        let (mut data, mut len) = (b"x".as_ptr(), 1);
        assert_eq!(vouch_verified_payload(null(), &mut data, &mut len), n);
        assert!(data.is_null());
        assert_eq!(len, 0);
        assert_eq!(vouch_verified_key_id_count(null()), 0);
        assert_eq!(vouch_verified_key_id(null(), 0, [0u8; 32].as_mut_ptr()), n);
        assert_eq!(
            vouch_verified_content_type(null(), null_mut(), 0, null_mut()),
            n
        );
        vouch_verified_free(null_mut());

        let (r, v) = verify(&env, &pk);
        assert_eq!(r, vouch_result::Ok);
        assert_eq!(vouch_verified_payload(v, null_mut(), &mut len), n);
        assert_eq!(vouch_verified_payload(v, &mut data, null_mut()), n);
        assert_eq!(vouch_verified_key_id(v, 0, null_mut()), n);
        vouch_verified_free(v);

        let mut s = null_mut();
        assert_eq!(vouch_signer_open(null(), &mut s), n);
        assert_eq!(vouch_signer_open(keyref.as_ptr(), null_mut()), n);
        assert_eq!(
            vouch_signer_open_with_passphrase(keyref.as_ptr(), null(), 2, &mut s),
            n
        );
        assert_eq!(vouch_signer_key_id(null(), [0u8; 32].as_mut_ptr()), n);
        assert_eq!(vouch_signer_key_id(signer, null_mut()), n);
        assert_eq!(vouch_signer_public_key(null(), &mut null_mut()), n);
        assert_eq!(vouch_signer_public_key(signer, null_mut()), n);
        let mut out = null_mut();
        assert_eq!(
            vouch_envelope_sign(null(), b"x".as_ptr(), 1, ct.as_ptr(), &mut out),
            n
        );
        assert_eq!(
            vouch_envelope_sign(signer, null(), 1, ct.as_ptr(), &mut out),
            n
        );
        assert_eq!(
            vouch_envelope_sign(signer, b"x".as_ptr(), 1, null(), &mut out),
            n
        );
        assert_eq!(
            vouch_envelope_sign(signer, b"x".as_ptr(), 1, ct.as_ptr(), null_mut()),
            n
        );
        vouch_signer_free(null_mut());
        vouch_signer_free(signer);
    }

    #[test]
    fn opening_keys() {
        let dir = Dir::new("open");
        let mut s = std::ptr::NonNull::dangling().as_ptr();
        let missing = cstring(format!("file:{}", dir.0.join("missing.key").display()));
        assert_eq!(
            vouch_signer_open(missing.as_ptr(), &mut s),
            vouch_result::Io
        );
        assert!(s.is_null());
        for bad in ["s3://bucket/key", "file:", "no scheme"] {
            let r = cstring(bad);
            assert_eq!(
                vouch_signer_open(r.as_ptr(), &mut s),
                vouch_result::BadArgument,
                "{bad}"
            );
        }
        let tpm = cstring("tpm:0x81000001");
        assert_eq!(
            vouch_signer_open(tpm.as_ptr(), &mut s),
            vouch_result::KeyError
        );
        let not_utf8 = cstring(b"file:\xff".to_vec());
        assert_eq!(
            vouch_signer_open(not_utf8.as_ptr(), &mut s),
            vouch_result::BadArgument
        );

        let junk = dir.0.join("junk.key");
        FileKey::generate(Algorithm::Ed25519)
            .unwrap()
            .save(&junk, None)
            .unwrap();
        std::fs::write(&junk, b"not a key").unwrap();
        let junk = cstring(format!("file:{}", junk.display()));
        assert_eq!(
            vouch_signer_open(junk.as_ptr(), &mut s),
            vouch_result::KeyError
        );
    }

    #[test]
    fn encrypted_keys() {
        let dir = Dir::new("pass");
        let key = FileKey::generate(Algorithm::Es256).unwrap();
        let path = dir.0.join("enc.key");
        let pass = Passphrase::new("correct horse");
        // Cheap KDF parameters: tests only.
        let options = SaveOptions::new()
            .passphrase(&pass)
            .kdf(KdfParams::new(64, 1, 1).unwrap());
        key.save_with(&path, &options).unwrap();
        let keyref = cstring(format!("file:{}", path.display()));

        let mut s = null_mut();
        assert_eq!(
            vouch_signer_open(keyref.as_ptr(), &mut s),
            vouch_result::Passphrase
        );
        let wrong = b"wrong";
        assert_eq!(
            vouch_signer_open_with_passphrase(keyref.as_ptr(), wrong.as_ptr(), wrong.len(), &mut s),
            vouch_result::Passphrase
        );
        assert_eq!(
            vouch_signer_open_with_passphrase(keyref.as_ptr(), b"\xff".as_ptr(), 1, &mut s),
            vouch_result::BadArgument
        );
        let right = b"correct horse";
        assert_eq!(
            vouch_signer_open_with_passphrase(keyref.as_ptr(), right.as_ptr(), right.len(), &mut s),
            vouch_result::Ok
        );
        let mut kid = [0u8; 32];
        assert_eq!(vouch_signer_key_id(s, kid.as_mut_ptr()), vouch_result::Ok);
        assert_eq!(&kid, key.key_id().as_bytes());
        vouch_signer_free(s);
    }
}
