//! Authenticator data with attested credential data (WebAuthn §6.1, §6.5.2)
//! and the credential public key it carries (a COSE_Key, §6.5.1.1).
//!
//! ```text
//! rpIdHash (32) | flags (1) | signCount (4, BE)
//! | aaguid (16) | credentialIdLength (2, BE) | credentialId | credentialPublicKey (COSE_Key)
//! | extensions (CBOR map, when ED is set)
//! ```

use ciborium::value::Value;

use super::{AttestationError, MAX_CREDENTIAL_ID_LEN, cbor_limits, int_entry};
use crate::cbor::{Strictness, item_len, validate};
use crate::key::PublicKey;
use crate::sig::AuthenticatorFlags;

/// AT: attested credential data follows the counter.
const FLAG_AT: u8 = 0x40;
/// ED: extension outputs follow.
const FLAG_ED: u8 = 0x80;

/// Parsed authenticator data of an enrollment, with its bytes as received
/// (they are what the attestation signature covers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AuthData {
    pub(crate) raw: Vec<u8>,
    pub(crate) rp_id_hash: [u8; 32],
    pub(crate) flags: AuthenticatorFlags,
    pub(crate) counter: u32,
    pub(crate) aaguid: [u8; 16],
    pub(crate) credential_id: Vec<u8>,
    pub(crate) credential: Credential,
}

/// The credential public key: a vouch key (not yet bound to an application)
/// and the COSE algorithm it declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Credential {
    pub(crate) key: PublicKey,
    pub(crate) cose_alg: i64,
}

fn malformed(what: &'static str) -> AttestationError {
    AttestationError::Malformed(what)
}

impl AuthData {
    /// Parses enrollment authenticator data: the AT flag must be set (an
    /// enrollment without a credential attests nothing) and nothing may
    /// follow the extensions.
    pub(crate) fn parse(raw: &[u8]) -> Result<Self, AttestationError> {
        let mut r = crate::wire::Reader::new(raw);
        let short = || malformed("authData: truncated");
        let rp_id_hash: [u8; 32] = r
            .take(32)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(short)?;
        let flags = r.byte().ok_or_else(short)?;
        let counter = r.u32().ok_or_else(short)?;
        if flags & FLAG_AT == 0 {
            return Err(malformed(
                "authData: the AT flag is clear, so there is no attested credential",
            ));
        }
        let aaguid: [u8; 16] = r
            .take(16)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(short)?;
        let id_len = r
            .take(2)
            .map(|b| b.iter().fold(0usize, |acc, &x| (acc << 8) | usize::from(x)))
            .ok_or_else(short)?;
        if id_len > MAX_CREDENTIAL_ID_LEN {
            return Err(AttestationError::TooLarge {
                what: "authData credentialId",
                len: id_len,
                max: MAX_CREDENTIAL_ID_LEN,
            });
        }
        let credential_id = r.take(id_len).ok_or_else(short)?.to_vec();
        let rest = r.take(r.remaining()).unwrap_or_default();
        let key_len = item_len(rest, cbor_limits(rest.len()))
            .map_err(|_| malformed("authData: credentialPublicKey is not CBOR"))?;
        let (cose, tail) = rest.split_at_checked(key_len).ok_or_else(short)?;
        let credential = Credential::from_cose(cose)?;
        if flags & FLAG_ED != 0 {
            validate(tail, Strictness::WellFormed, cbor_limits(tail.len()))
                .map_err(|_| malformed("authData: extensions are not one CBOR item"))?;
        } else if !tail.is_empty() {
            return Err(malformed(
                "authData: trailing bytes after the credential key",
            ));
        }
        Ok(AuthData {
            raw: raw.to_vec(),
            rp_id_hash,
            flags: AuthenticatorFlags(flags),
            counter,
            aaguid,
            credential_id,
            credential,
        })
    }
}

/// The name WebAuthn and IANA give a COSE algorithm, for messages.
pub(crate) fn cose_alg_name(alg: i64) -> String {
    match alg {
        -7 => "ES256".into(),
        -8 => "EdDSA".into(),
        -19 => "Ed25519".into(),
        -35 => "ES384".into(),
        -36 => "ES512".into(),
        -47 => "ES256K".into(),
        -53 => "Ed448".into(),
        -37 => "PS256".into(),
        -38 => "PS384".into(),
        -39 => "PS512".into(),
        -257 => "RS256".into(),
        -258 => "RS384".into(),
        -259 => "RS512".into(),
        -65535 => "RS1".into(),
        other => format!("COSE algorithm {other}"),
    }
}

impl Credential {
    /// Reads a COSE_Key: an EC2 P-256 key for ES256 or an OKP Ed25519 key
    /// for EdDSA. Every other algorithm is refused by name, so a roster
    /// never holds a key vouch could not check a signature of.
    pub(crate) fn from_cose(cose: &[u8]) -> Result<Self, AttestationError> {
        validate(cose, Strictness::WellFormed, cbor_limits(cose.len()))
            .map_err(|_| malformed("credentialPublicKey: not well-formed CBOR"))?;
        let value: Value = ciborium::from_reader(cose)
            .map_err(|_| malformed("credentialPublicKey: not well-formed CBOR"))?;
        let Value::Map(map) = value else {
            return Err(malformed("credentialPublicKey: not a CBOR map"));
        };
        let int = |label: i64| int_entry(&map, label).and_then(|v| v.as_integer());
        let bytes = |label: i64| int_entry(&map, label).and_then(|v| v.as_bytes());
        let alg = int(3)
            .and_then(|a| i64::try_from(a).ok())
            .ok_or(malformed("credentialPublicKey: no integer alg (3)"))?;
        let kty = int(1).and_then(|k| i64::try_from(k).ok());
        let crv = int(-1).and_then(|c| i64::try_from(c).ok());
        let unsupported = |name: String| AttestationError::UnsupportedAlgorithm {
            name,
            usage: "as a credential key",
        };
        let key = match (alg, kty, crv) {
            (-7, Some(2), Some(1)) => {
                let (Some(x), Some(y)) = (bytes(-2), bytes(-3)) else {
                    return Err(malformed("credentialPublicKey: EC2 key without x and y"));
                };
                if x.len() != 32 || y.len() != 32 {
                    return Err(malformed(
                        "credentialPublicKey: P-256 coordinates are not 32 bytes",
                    ));
                }
                let mut point = Vec::with_capacity(65);
                point.push(0x04);
                point.extend_from_slice(x);
                point.extend_from_slice(y);
                PublicKey::p256_sec1(&point)
                    .map_err(|_| malformed("credentialPublicKey: not a point on P-256"))?
            }
            (-7, _, _) => {
                return Err(malformed(
                    "credentialPublicKey: ES256 key is not EC2 on P-256",
                ));
            }
            (-8 | -19, Some(1), Some(6)) => {
                let x = bytes(-2).ok_or(malformed("credentialPublicKey: OKP key without x"))?;
                PublicKey::ed25519(x)
                    .map_err(|_| malformed("credentialPublicKey: not a valid Ed25519 key"))?
            }
            (-8, Some(1), Some(7)) => return Err(unsupported("Ed448".into())),
            (-8 | -19, _, _) => {
                return Err(malformed(
                    "credentialPublicKey: EdDSA key is not OKP on Ed25519",
                ));
            }
            (other, _, _) => return Err(unsupported(cose_alg_name(other))),
        };
        Ok(Credential { key, cose_alg: alg })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn es256_cose() -> Vec<u8> {
        // {1: 2, 3: -7, -1: 1, -2: x, -3: y}, the P-256 generator.
        let x = hex::decode("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296")
            .unwrap_or_default();
        let y = hex::decode("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
            .unwrap_or_default();
        let mut c = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        c.extend_from_slice(&x);
        c.extend_from_slice(&[0x22, 0x58, 0x20]);
        c.extend_from_slice(&y);
        c
    }

    fn auth_data(flags: u8, tail: &[u8]) -> Vec<u8> {
        let mut a = vec![7u8; 32];
        a.push(flags);
        a.extend_from_slice(&5u32.to_be_bytes());
        a.extend_from_slice(&[9u8; 16]);
        a.extend_from_slice(&[0, 2, 0xaa, 0xbb]);
        a.extend_from_slice(&es256_cose());
        a.extend_from_slice(tail);
        a
    }

    #[test]
    fn parses_attested_credential_data() {
        let a = AuthData::parse(&auth_data(0x45, &[])).unwrap();
        assert_eq!(a.counter, 5);
        assert_eq!(a.aaguid, [9; 16]);
        assert_eq!(a.credential_id, [0xaa, 0xbb]);
        assert_eq!(a.credential.cose_alg, -7);
        assert!(a.flags.user_present() && a.flags.user_verified());
        // Extensions only with ED, and nothing after them.
        assert!(AuthData::parse(&auth_data(0xc5, &[0xa0])).is_ok());
        assert!(AuthData::parse(&auth_data(0x45, &[0xa0])).is_err());
        assert!(AuthData::parse(&auth_data(0xc5, &[0xa0, 0])).is_err());
        // No AT, no credential.
        assert!(AuthData::parse(&auth_data(0x05, &[])).is_err());
    }

    #[test]
    fn unsupported_algorithms_are_named() {
        // {1: 2, 3: -35 (ES384)}
        let e = Credential::from_cose(&[0xa2, 0x01, 0x02, 0x03, 0x38, 0x22]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "algorithm ES384 is not supported as a credential key"
        );
        // {1: 1, 3: -8, -1: 7}: EdDSA on Ed448.
        let e = Credential::from_cose(&[0xa3, 0x01, 0x01, 0x03, 0x27, 0x20, 0x07]).unwrap_err();
        assert!(e.to_string().contains("Ed448"));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = AuthData::parse(&bytes);
            let _ = Credential::from_cose(&bytes);
        }

        #[test]
        fn truncations_are_refused(cut in 0usize..150) {
            let a = auth_data(0x41, &[]);
            let cut = cut.min(a.len() - 1);
            prop_assert!(AuthData::parse(&a[..cut]).is_err());
        }
    }
}
