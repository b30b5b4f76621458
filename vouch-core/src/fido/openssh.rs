//! OpenSSH's enrollment attestation file, `ssh-sk-attest-v01`
//! (`PROTOCOL.u2f`; written by `fill_attestation_blob` in `ssh-sk.c`).
//!
//! ```text
//! string  "ssh-sk-attest-v01"
//! string  attestation certificate   fido_cred_x5c_ptr: x5c[0], DER (empty when none)
//! string  enrollment signature      fido_cred_sig_ptr: attStmt.sig (empty when none)
//! string  authenticator data        fido_cred_authdata_ptr: authData as a CBOR byte string
//! uint32  reserved flags            0
//! string  reserved                  empty
//! ```
//!
//! The challenge (`-O challenge=FILE`, or 32 random bytes) becomes the
//! clientDataHash as SHA-256(challenge): `sk-usbhid.c` hands it to
//! libfido2's `fido_cred_set_clientdata`, which hashes it (and OpenSSH's
//! fallback for libfido2 without that call does `sha256_mem` and
//! `fido_cred_set_clientdata_hash` itself). The older `ssh-sk-attest-v00`
//! (before OpenSSH 8.4) has no authenticator data, so nothing in it can be
//! checked against the key; it is refused.

use ciborium::value::Value;

use super::auth_data::AuthData;
use super::fido_u2f::FidoU2f;
use super::packed::Packed;
use super::{AttestationError, AttestationFormat, Statement, cbor_limits};
use crate::cbor::{Strictness, validate};
use crate::wire::Reader;
use crate::x509::SubjectKey;

const MAGIC_V01: &[u8] = b"ssh-sk-attest-v01";
const MAGIC_V00: &[u8] = b"ssh-sk-attest-v00";

/// The fields of the file, as written.
pub(crate) struct AttestFile {
    pub(crate) certificate: Vec<u8>,
    pub(crate) signature: Vec<u8>,
    /// The raw authenticator data (unwrapped from its CBOR byte string).
    pub(crate) auth_data: Vec<u8>,
}

impl AttestFile {
    pub(crate) fn parse(file: &[u8]) -> Result<Self, AttestationError> {
        let bad = |what| AttestationError::Malformed(what);
        let mut r = Reader::new(file);
        let magic = r
            .string()
            .ok_or(bad("OpenSSH attestation: no format string"))?;
        if magic == MAGIC_V00 {
            return Err(AttestationError::UnsupportedFormat(
                "ssh-sk-attest-v00 (no authenticator data)".into(),
            ));
        }
        if magic != MAGIC_V01 {
            return Err(AttestationError::UnsupportedFormat(
                String::from_utf8_lossy(magic).chars().take(64).collect(),
            ));
        }
        let certificate = r
            .string()
            .ok_or(bad("OpenSSH attestation: truncated certificate"))?;
        let signature = r
            .string()
            .ok_or(bad("OpenSSH attestation: truncated signature"))?;
        let wrapped = r
            .string()
            .ok_or(bad("OpenSSH attestation: truncated authenticator data"))?;
        let _flags = r
            .u32()
            .ok_or(bad("OpenSSH attestation: truncated reserved flags"))?;
        let _reserved = r
            .string()
            .ok_or(bad("OpenSSH attestation: truncated reserved string"))?;
        if !r.is_empty() {
            return Err(bad("OpenSSH attestation: trailing bytes"));
        }
        let auth_data = if wrapped.is_empty() {
            Vec::new()
        } else {
            validate(wrapped, Strictness::WellFormed, cbor_limits(wrapped.len()))
                .map_err(|_| bad("OpenSSH attestation: authenticator data is not one CBOR item"))?;
            match ciborium::from_reader::<Value, _>(wrapped) {
                Ok(Value::Bytes(b)) => b,
                _ => {
                    return Err(bad(
                        "OpenSSH attestation: authenticator data is not a CBOR byte string",
                    ));
                }
            }
        };
        Ok(AttestFile {
            certificate: certificate.to_vec(),
            signature: signature.to_vec(),
            auth_data,
        })
    }

    /// The statement the file stands for (its format is implied, see
    /// [`EnrollmentAttestation::openssh`](super::EnrollmentAttestation::openssh)).
    pub(crate) fn statement(
        self,
        auth: Option<&AuthData>,
    ) -> Result<(AttestationFormat, Statement), AttestationError> {
        let (has_cert, has_sig) = (!self.certificate.is_empty(), !self.signature.is_empty());
        let Some(auth) = auth else {
            if has_cert || has_sig {
                return Err(AttestationError::Malformed(
                    "OpenSSH attestation: a signature without authenticator data",
                ));
            }
            return Ok((AttestationFormat::None, Statement::Empty));
        };
        match (has_cert, has_sig) {
            (false, false) => Ok((AttestationFormat::None, Statement::Empty)),
            (true, false) => Err(AttestationError::Malformed(
                "OpenSSH attestation: a certificate without a signature",
            )),
            (false, true) => Ok((
                AttestationFormat::Packed,
                Statement::Packed(Packed {
                    alg: auth.credential.cose_alg,
                    sig: self.signature,
                    x5c: None,
                }),
            )),
            (true, true) if auth.aaguid == [0; 16] => Ok((
                AttestationFormat::FidoU2f,
                Statement::FidoU2f(FidoU2f {
                    sig: self.signature,
                    x5c: vec![self.certificate],
                }),
            )),
            (true, true) => {
                // packed names its algorithm; the file does not, so the
                // certificate's key decides (one algorithm per key type).
                let cert = crate::x509::parse(&self.certificate, 0)?;
                let alg = match SubjectKey::from_certificate(&cert) {
                    Some(SubjectKey::P256(_)) => -7,
                    Some(SubjectKey::Ed25519(_)) => -8,
                    Some(SubjectKey::Rsa(_)) => -257,
                    _ => {
                        return Err(AttestationError::CertificateRule {
                            format: AttestationFormat::Packed,
                            rule: "the attestation certificate's key is of an unsupported type",
                        });
                    }
                };
                Ok((
                    AttestationFormat::Packed,
                    Statement::Packed(Packed {
                        alg,
                        sig: self.signature,
                        x5c: Some(vec![self.certificate]),
                    }),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{put_string, put_u32};
    use proptest::prelude::*;

    fn file(magic: &[u8], cert: &[u8], sig: &[u8], auth: &[u8]) -> Vec<u8> {
        let mut f = Vec::new();
        put_string(&mut f, magic);
        put_string(&mut f, cert);
        put_string(&mut f, sig);
        put_string(&mut f, auth);
        put_u32(&mut f, 0);
        put_string(&mut f, b"");
        f
    }

    #[test]
    fn empty_attestation_is_empty() {
        let a = AttestFile::parse(&file(MAGIC_V01, b"", b"", b"")).unwrap();
        assert!(a.auth_data.is_empty());
        assert!(matches!(
            a.statement(None),
            Ok((AttestationFormat::None, Statement::Empty))
        ));
    }

    #[test]
    fn versions_and_framing() {
        assert!(matches!(
            AttestFile::parse(&file(MAGIC_V00, b"", b"", b"")),
            Err(AttestationError::UnsupportedFormat(_))
        ));
        let mut f = file(MAGIC_V01, b"", b"", b"");
        f.push(0);
        assert!(AttestFile::parse(&f).is_err());
        // Authenticator data must be a CBOR byte string.
        assert!(AttestFile::parse(&file(MAGIC_V01, b"", b"", &[0x01])).is_err());
        let a = AttestFile::parse(&file(MAGIC_V01, b"", b"", &[0x42, 7, 8])).unwrap();
        assert_eq!(a.auth_data, [7, 8]);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = AttestFile::parse(&bytes);
        }
    }
}
