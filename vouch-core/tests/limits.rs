//! Every limit of vouch-core in `docs/limits.md`, at the limit (accepted,
//! or refused only by a later check) and one past it (refused with the
//! error that names the limit). One test per row, named after its
//! constant. The large limits are tested without touching their memory: a
//! buffer from `vec![0; n]` is mapped zero pages until written, and the
//! size checks come before anything reads past its first bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr as _;
use std::time::{Duration, UNIX_EPOCH};

use der::{Decode as _, Encode as _};
use p256::ecdsa::{DerSignature, SigningKey};
use spki::EncodePublicKey as _;
use vouch_core::cbor::{self, CborError, Limits, Strictness};
use vouch_core::cose::{self, MAX_HEADER_LEN, MAX_SIGNATURES, Sign};
use vouch_core::dsse::{self, DsseError, Envelope, MAX_ECHO_CHARS};
use vouch_core::fido::{
    AttestationError, EnrollmentAttestation, MAX_ATTESTATION_LEN, MAX_CHALLENGE_LEN,
    MAX_CREDENTIAL_ID_LEN, MAX_X5C_LEN,
};
use vouch_core::sshsig::{
    HashAlgorithm, MAX_ARMORED_LEN, MAX_BLOB_LEN, MAX_NAMESPACE_LEN, SshSig, SshSigError,
};
use vouch_core::timestamp::{self, Imprint, TokenError, Verifier};
use vouch_core::tlog::{Note, Receipt, TlogError, merkle, note, receipt};
use vouch_core::tpm::{self, Attest, MAX_PCR_BANKS, MAX_STRUCTURE_LEN, TpmError};
use vouch_core::x509::{self, CertificateError, TrustAnchor};
use vouch_core::{
    Algorithm, EnvelopeError, KeyError, PublicKey, SignError, Signature, Signer, Timestamp,
};

/// A zeroed buffer of `len` bytes that costs no memory until written.
fn zeros(len: usize) -> Vec<u8> {
    vec![0; len]
}

/// An Ed25519 signer for the envelopes and signatures below.
struct Ed(ed25519_dalek::SigningKey, PublicKey);

impl Ed {
    fn new(seed: u8) -> Self {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        let pk = PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap();
        Ed(sk, pk)
    }
}

impl Signer for Ed {
    fn public_key(&self) -> &PublicKey {
        &self.1
    }
    fn try_sign(&self, m: &[u8]) -> Result<Signature, SignError> {
        use ed25519_dalek::Signer as _;
        Ok(Signature::new(Algorithm::Ed25519, &self.0.sign(m).to_bytes()).unwrap())
    }
}

// ---------------------------------------------------------------------------
// Canonical CBOR

#[test]
fn cbor_limits_default_max_size() {
    let max = Limits::DEFAULT.max_size;
    assert_eq!(max, 64 << 20);
    // One byte string filling the whole limit: accepted (its content,
    // zero pages, is never read).
    let mut at = zeros(max);
    at[0] = 0x5a;
    at[1..5].copy_from_slice(&u32::try_from(max - 5).unwrap().to_be_bytes());
    cbor::validate(&at, Strictness::Canonical, Limits::DEFAULT).unwrap();
    let past = zeros(max + 1);
    assert_eq!(
        cbor::validate(&past, Strictness::Canonical, Limits::DEFAULT),
        Err(CborError::TooLarge {
            size: max + 1,
            limit: max
        })
    );
}

#[test]
fn cbor_limits_default_max_depth() {
    let max = Limits::DEFAULT.max_depth;
    assert_eq!(max, 64);
    let nested = |levels: usize| {
        let mut b = vec![0x81; levels];
        b.push(0x00);
        b
    };
    cbor::validate(&nested(max), Strictness::Canonical, Limits::DEFAULT).unwrap();
    assert_eq!(
        cbor::validate(&nested(max + 1), Strictness::Canonical, Limits::DEFAULT),
        Err(CborError::TooDeep {
            offset: max,
            limit: max
        })
    );
    // The typed decoder stops at the same depth.
    let decoded: Result<ciborium::Value, _> = cbor::from_canonical(&nested(max));
    decoded.unwrap();
}

// ---------------------------------------------------------------------------
// COSE

/// A `COSE_Sign` (tag 98) with these headers and signatures, payload "x".
fn raw_sign(protected: &[u8], unprotected: &[u8], signatures: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0xd8, 0x62, 0x84];
    cbor::write_head(&mut out, 2, protected.len() as u64);
    out.extend_from_slice(protected);
    out.extend_from_slice(unprotected);
    out.extend_from_slice(&[0x41, b'x']);
    cbor::write_head(&mut out, 4, signatures.len() as u64);
    for s in signatures {
        out.extend_from_slice(s);
    }
    out
}

/// The smallest `COSE_Signature`: `[h'', {}, h'']`.
const TINY_SIGNATURE: [u8; 4] = [0x83, 0x40, 0xa0, 0x40];

#[test]
fn cose_max_signatures() {
    let at = raw_sign(&[], &[0xa0], &vec![TINY_SIGNATURE.to_vec(); MAX_SIGNATURES]);
    assert_eq!(Sign::from_bytes(&at).unwrap().signature_count(), 64);
    let past = raw_sign(
        &[],
        &[0xa0],
        &vec![TINY_SIGNATURE.to_vec(); MAX_SIGNATURES + 1],
    );
    match Sign::from_bytes(&past) {
        Err(EnvelopeError::TooManySignatures { count, max }) => {
            assert_eq!((count, max), (MAX_SIGNATURES + 1, MAX_SIGNATURES));
        }
        other => panic!("{other:?}"),
    }
    // The count is read from the array head: a head claiming more
    // signatures than the bytes hold is refused the same way.
    let mut claimed = raw_sign(&[], &[0xa0], &[]);
    claimed.pop();
    cbor::write_head(&mut claimed, 4, 1_000_000);
    assert!(matches!(
        Sign::peek(&claimed, Limits::DEFAULT),
        Err(EnvelopeError::TooManySignatures {
            count: 1_000_000,
            ..
        }) | Err(EnvelopeError::Cbor(CborError::Truncated { .. }))
    ));
    // Writing: the 65th is refused.
    let mut env = Sign::new("text/plain", b"x".to_vec()).unwrap();
    let key = Ed::new(1);
    for _ in 0..MAX_SIGNATURES {
        env.add_signature(&key).unwrap();
    }
    assert!(matches!(
        env.add_signature(&key),
        Err(EnvelopeError::TooManySignatures { max: 64, .. })
    ));
}

/// `{1000: h'00…'}` encoded in exactly `len` bytes.
fn header_of_len(len: usize) -> Vec<u8> {
    let mut out = vec![0xa1, 0x19, 0x03, 0xe8];
    cbor::write_head(&mut out, 2, (len - 7) as u64);
    out.resize(len, 0);
    out
}

#[test]
fn cose_max_header_len() {
    Sign::from_bytes(&raw_sign(&[], &header_of_len(MAX_HEADER_LEN), &[])).unwrap();
    Sign::from_bytes(&raw_sign(&header_of_len(MAX_HEADER_LEN), &[0xa0], &[])).unwrap();
    for (bytes, which) in [
        (
            raw_sign(&[], &header_of_len(MAX_HEADER_LEN + 1), &[]),
            "unprotected",
        ),
        (
            raw_sign(&header_of_len(MAX_HEADER_LEN + 1), &[0xa0], &[]),
            "protected",
        ),
    ] {
        match Sign::from_bytes(&bytes) {
            Err(EnvelopeError::HeaderTooLarge { which: w, len, max }) => {
                assert_eq!((w, len, max), (which, MAX_HEADER_LEN + 1, MAX_HEADER_LEN));
            }
            other => panic!("{which}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// DSSE

#[test]
fn dsse_limits_default_max_size() {
    let max = dsse::Limits::DEFAULT.max_size;
    assert_eq!(max, cbor::Limits::DEFAULT.max_size);
    // At the limit the JSON parser gets the bytes (and refuses zeros).
    assert!(matches!(
        Envelope::from_json(&zeros(max)),
        Err(DsseError::Json(_))
    ));
    match Envelope::from_json(&zeros(max + 1)) {
        Err(DsseError::TooLarge { size, limit }) => assert_eq!((size, limit), (max + 1, max)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn dsse_limits_default_max_signatures() {
    let max = dsse::Limits::DEFAULT.max_signatures;
    assert_eq!(max, cose::DEFAULT_MAX_SIGNATURES);
    let json = |n: usize| {
        let sigs = vec![r#"{"sig":"AAAA"}"#; n].join(",");
        format!(r#"{{"payload":"","payloadType":"t","signatures":[{sigs}]}}"#)
    };
    assert_eq!(
        Envelope::from_json(json(max).as_bytes())
            .unwrap()
            .signatures()
            .len(),
        max
    );
    match Envelope::from_json(json(max + 1).as_bytes()) {
        Err(DsseError::TooManySignatures { limit }) => assert_eq!(limit, max),
        other => panic!("{other:?}"),
    }
}

#[test]
fn dsse_max_echo_chars() {
    // The echo is cut, not refused: the type is still compared whole.
    let key = Ed::new(2);
    for (len, echoed) in [(MAX_ECHO_CHARS, MAX_ECHO_CHARS), (MAX_ECHO_CHARS + 1, 128)] {
        let payload_type = "é".repeat(len);
        let env = Envelope::sign(&key, payload_type.as_str(), b"x".to_vec()).unwrap();
        match env.verify_typed(key.public_key(), "t") {
            Err(DsseError::PayloadTypeMismatch { found, .. }) => {
                assert_eq!(found.chars().count(), echoed);
                assert!(payload_type.starts_with(&found));
            }
            other => panic!("{other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Transparency logs

#[test]
fn receipt_max_receipt_len() {
    let max = receipt::MAX_RECEIPT_LEN;
    // At the limit the CBOR is read (and refused: zeros are one integer
    // followed by trailing bytes).
    assert!(matches!(
        Receipt::from_bytes(&zeros(max)),
        Err(TlogError::Envelope(EnvelopeError::Cbor(
            CborError::TrailingBytes { .. }
        )))
    ));
    match Receipt::from_bytes(&zeros(max + 1)) {
        Err(TlogError::ReceiptTooLarge { len, max: m }) => assert_eq!((len, m), (max + 1, max)),
        other => panic!("{other:?}"),
    }
}

/// A `COSE_Sign1` whose unprotected header holds `n` empty receipts.
fn sign1_with_receipts(n: usize) -> Vec<u8> {
    let mut out = vec![0xd2, 0x84, 0x40, 0xa1, 0x19, 0x01, 0x8a];
    cbor::write_head(&mut out, 4, n as u64);
    out.extend(std::iter::repeat_n(0x40, n));
    out.extend_from_slice(&[0x41, b'x', 0x40]);
    out
}

#[test]
fn receipt_max_receipts() {
    let max = receipt::MAX_RECEIPTS;
    assert_eq!(
        receipt::receipts(&sign1_with_receipts(max)).unwrap().len(),
        max
    );
    match receipt::receipts(&sign1_with_receipts(max + 1)) {
        Err(TlogError::TooManyReceipts { count, max: m }) => assert_eq!((count, m), (max + 1, max)),
        other => panic!("{other:?}"),
    }
    // Attaching: 64 are written, 65 refused before the envelope is read.
    let plain = sign1_with_receipts(0);
    let attached = receipt::attach_receipts(&plain, &vec![vec![]; max]).unwrap();
    assert_eq!(receipt::receipts(&attached).unwrap().len(), max);
    match receipt::attach_receipts(&plain, &vec![vec![]; max + 1]) {
        Err(TlogError::TooManyReceipts { count, max: m }) => assert_eq!((count, m), (max + 1, max)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn merkle_max_proof_hashes() {
    let max = merkle::MAX_PROOF_HASHES;
    let leaf = merkle::leaf_hash(b"x");
    // A tree of 2^64 - 1 leaves needs 64 hashes for leaf 0: the proof is
    // read, and leads elsewhere.
    let at = vec![[0u8; 32]; max];
    assert!(matches!(
        merkle::verify_inclusion(&leaf, 0, u64::MAX, &at, &[0; 32]),
        Err(TlogError::RootMismatch)
    ));
    let past = vec![[0u8; 32]; max + 1];
    for r in [
        merkle::verify_inclusion(&leaf, 0, u64::MAX, &past, &[0; 32]),
        merkle::verify_consistency(1, u64::MAX, &[0; 32], &[0; 32], &past),
    ] {
        match r {
            Err(TlogError::ProofTooLong { len, max: m }) => assert_eq!((len, m), (max + 1, max)),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn note_max_note_len() {
    let max = note::MAX_NOTE_LEN;
    // At the limit the note is parsed (and has no signature block).
    assert!(matches!(
        Note::from_bytes(&vec![b'a'; max]),
        Err(TlogError::MalformedNote(_))
    ));
    match Note::from_bytes(&vec![b'a'; max + 1]) {
        Err(TlogError::NoteTooLarge { len, max: m }) => assert_eq!((len, m), (max + 1, max)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn note_max_signatures() {
    let max = note::MAX_SIGNATURES;
    let note = |n: usize| format!("x\n\n{}", "\u{2014} a AAAAAAA=\n".repeat(n));
    assert_eq!(
        Note::from_bytes(note(max).as_bytes())
            .unwrap()
            .signatures()
            .len(),
        max
    );
    match Note::from_bytes(note(max + 1).as_bytes()) {
        Err(TlogError::TooManySignatures { count, max: m }) => {
            assert_eq!((count, m), (max + 1, max));
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------
// SSHSIG

#[test]
fn sshsig_max_armored_len() {
    let at = [
        b"-----BEGIN SSH SIGNATURE-----\n".as_slice(),
        &[b'A'; MAX_ARMORED_LEN - 30],
    ]
    .concat();
    assert_eq!(at.len(), MAX_ARMORED_LEN);
    assert!(matches!(
        SshSig::from_armored(&at),
        Err(SshSigError::Armor(_))
    ));
    let past = [at.as_slice(), b"A"].concat();
    match SshSig::from_armored(&past) {
        Err(SshSigError::TooLarge { limit, actual }) => {
            assert_eq!((limit, actual), (MAX_ARMORED_LEN, MAX_ARMORED_LEN + 1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sshsig_max_blob_len() {
    let at = [b"SSHSIG".as_slice(), &zeros(MAX_BLOB_LEN - 6)].concat();
    assert!(matches!(
        SshSig::from_bytes(&at),
        Err(SshSigError::Version(0))
    ));
    let past = [at.as_slice(), &[0]].concat();
    match SshSig::from_bytes(&past) {
        Err(SshSigError::TooLarge { limit, actual }) => {
            assert_eq!((limit, actual), (MAX_BLOB_LEN, MAX_BLOB_LEN + 1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sshsig_max_namespace_len() {
    let key = Ed::new(3);
    let at = "n".repeat(MAX_NAMESPACE_LEN);
    let sig = SshSig::sign(&key, &at, b"m", HashAlgorithm::Sha512).unwrap();
    // It reads back, and verifies in its namespace.
    let sig = SshSig::from_armored(sig.to_armored().as_bytes()).unwrap();
    sig.verify(&at, b"m").unwrap();
    let past = "n".repeat(MAX_NAMESPACE_LEN + 1);
    for r in [
        SshSig::sign(&key, &past, b"m", HashAlgorithm::Sha512).map(drop),
        sig.verify(&past, b"m").map(drop),
    ] {
        match r {
            Err(SshSigError::NamespaceTooLong { len, max }) => {
                assert_eq!((len, max), (MAX_NAMESPACE_LEN + 1, MAX_NAMESPACE_LEN));
            }
            other => panic!("{other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// TPM

#[test]
fn tpm_max_structure_len() {
    // At the limit the structure is parsed (zeros are a TPMS_ATTEST of
    // type 0 whose attested part is the rest).
    assert!(!matches!(
        Attest::parse(&zeros(MAX_STRUCTURE_LEN)),
        Err(TpmError::TooLarge { .. })
    ));
    for r in [
        Attest::parse(&zeros(MAX_STRUCTURE_LEN + 1)).map(drop),
        tpm::Public::parse(&zeros(MAX_STRUCTURE_LEN + 1)).map(drop),
    ] {
        match r {
            Err(TpmError::TooLarge { len, max, .. }) => {
                assert_eq!((len, max), (MAX_STRUCTURE_LEN + 1, MAX_STRUCTURE_LEN));
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A TPMS_ATTEST of a quote whose TPML_PCR_SELECTION declares `banks`
/// entries and holds none.
fn quote_declaring(banks: u32) -> Vec<u8> {
    let mut b = tpm::TPM_GENERATED_VALUE.to_be_bytes().to_vec();
    b.extend_from_slice(&tpm::st::ATTEST_QUOTE.to_be_bytes());
    b.extend_from_slice(&[0, 0, 0, 0]); // qualifiedSigner, extraData: empty
    b.extend_from_slice(&[0; 8 + 4 + 4 + 1 + 8]); // clockInfo, firmwareVersion
    b.extend_from_slice(&banks.to_be_bytes());
    b
}

#[test]
fn tpm_max_pcr_banks() {
    // At the limit the entries are read (and are missing).
    assert!(matches!(
        Attest::parse(&quote_declaring(MAX_PCR_BANKS)),
        Err(TpmError::Malformed { .. })
    ));
    match Attest::parse(&quote_declaring(MAX_PCR_BANKS + 1)) {
        Err(TpmError::TooMany { count, max, .. }) => {
            assert_eq!((count, max), (17, u64::from(MAX_PCR_BANKS)));
        }
        other => panic!("{other:?}"),
    }
}

// `tpm::MAX_CREDENTIAL_LEN` needs an RSA EK: tested beside
// `make_credential` (`tpm::credential::tests::bad_inputs_are_refused`).

// ---------------------------------------------------------------------------
// X.509 and RFC 3161

/// A certificate named `subject`, issued by `issuer` (signed with a fixed
/// key, whatever the issuer's is), serial `serial`.
fn certificate(subject: &str, issuer: &str, serial: u8) -> Vec<u8> {
    use x509_cert::builder::profile::BuilderProfile;
    use x509_cert::builder::{Builder as _, CertificateBuilder};
    use x509_cert::ext::Extension;
    use x509_cert::name::Name;
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::spki::{SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
    use x509_cert::time::{Time, Validity};

    struct Profile(Name, Name);
    impl BuilderProfile for Profile {
        fn get_issuer(&self, _: &Name) -> Name {
            self.1.clone()
        }
        fn get_subject(&self) -> Name {
            self.0.clone()
        }
        fn build_extensions(
            &self,
            _: SubjectPublicKeyInfoRef<'_>,
            _: SubjectPublicKeyInfoRef<'_>,
            _: &x509_cert::TbsCertificate,
        ) -> x509_cert::builder::Result<Vec<Extension>> {
            Ok(Vec::new())
        }
    }
    let key = SigningKey::from_slice(&[7; 32]).unwrap();
    let spki = SubjectPublicKeyInfoOwned::try_from(
        key.verifying_key().to_public_key_der().unwrap().as_bytes(),
    )
    .unwrap();
    let time = |secs| Time::try_from(UNIX_EPOCH + Duration::from_secs(secs)).unwrap();
    let profile = Profile(
        Name::from_str(subject).unwrap(),
        Name::from_str(issuer).unwrap(),
    );
    CertificateBuilder::new(
        profile,
        SerialNumber::new(&[serial]).unwrap(),
        Validity::new(time(1_700_000_000), time(2_500_000_000)),
        spki,
    )
    .unwrap()
    .build::<_, DerSignature>(&key)
    .unwrap()
    .to_der()
    .unwrap()
}

#[test]
fn x509_max_chain_len() {
    let garbage = vec![0u8; 4];
    let at: Vec<&[u8]> = vec![&garbage; x509::MAX_CHAIN_LEN];
    let now = Timestamp::now();
    assert_eq!(
        x509::verify_chain(&at, &[], now),
        Err(CertificateError::Malformed { index: 0 })
    );
    let past: Vec<&[u8]> = vec![&garbage; x509::MAX_CHAIN_LEN + 1];
    assert_eq!(
        x509::verify_chain(&past, &[], now),
        Err(CertificateError::ChainLength(x509::MAX_CHAIN_LEN + 1))
    );
}

#[test]
fn x509_max_certificate_len() {
    let max = x509::MAX_CERTIFICATE_LEN;
    let now = Timestamp::now();
    assert_eq!(
        x509::verify_chain(&[&zeros(max)], &[], now),
        Err(CertificateError::Malformed { index: 0 })
    );
    assert_eq!(
        x509::verify_chain(&[&zeros(max + 1)], &[], now),
        Err(CertificateError::TooLarge {
            index: 0,
            len: max + 1
        })
    );
    assert_eq!(
        TrustAnchor::from_der(&zeros(max + 1)).unwrap_err(),
        CertificateError::TooLarge {
            index: 0,
            len: max + 1
        }
    );
}

#[test]
fn timestamp_max_token_len() {
    let max = timestamp::MAX_TOKEN_LEN;
    let v = Verifier::new(&[]);
    let imprint = Imprint::Data(b"x");
    for r in [
        v.verify_token(&zeros(max), imprint),
        v.verify_response(&zeros(max), imprint),
    ] {
        assert!(matches!(r, Err(TokenError::Malformed { .. })), "{r:?}");
    }
    for r in [
        v.verify_token(&zeros(max + 1), imprint),
        v.verify_response(&zeros(max + 1), imprint),
    ] {
        assert_eq!(r, Err(TokenError::TooLarge { len: max + 1 }));
    }
}

/// A token of the openssl test TSA over `b"x"`, with its certificates
/// replaced by `certificates` (the signature covers none of them).
fn token_with_certificates(token: &[u8], certificates: &[Vec<u8>]) -> Vec<u8> {
    use cms::cert::CertificateChoices;
    use cms::content_info::ContentInfo;
    use cms::signed_data::{CertificateSet, SignedData};
    let mut info = ContentInfo::from_der(token).unwrap();
    let mut sd: SignedData = info.content.decode_as().unwrap();
    let set: Vec<CertificateChoices> = certificates
        .iter()
        .map(|c| CertificateChoices::Certificate(x509_cert::Certificate::from_der(c).unwrap()))
        .collect();
    sd.certificates = Some(CertificateSet::try_from(set).unwrap());
    info.content = der::Any::encode_from(&sd).unwrap();
    info.to_der().unwrap()
}

/// The TSA's own certificate, from a token it made.
fn tsa_certificate(token: &[u8]) -> Vec<u8> {
    use cms::cert::CertificateChoices;
    use cms::content_info::ContentInfo;
    use cms::signed_data::SignedData;
    let info = ContentInfo::from_der(token).unwrap();
    let sd: SignedData = info.content.decode_as().unwrap();
    sd.certificates
        .unwrap()
        .0
        .iter()
        .find_map(|c| match c {
            CertificateChoices::Certificate(c)
                if c.tbs_certificate().subject().to_string() == "CN=vouch test TSA" =>
            {
                Some(c.to_der().unwrap())
            }
            _ => None,
        })
        .unwrap()
}

fn openssl_token() -> Option<(vouch_test_support::tsa::OpensslTsa, Vec<u8>)> {
    use sha2::Digest as _;
    let tsa = vouch_test_support::tsa::OpensslTsa::new("timestamp token limits")?;
    let token = tsa.stamp_sha256(&sha2::Sha256::digest(b"x"));
    Some((tsa, token))
}

#[test]
fn timestamp_max_certificates() {
    let Some((tsa, token)) = openssl_token() else {
        return;
    };
    let anchors = [TrustAnchor::from_der(&tsa.root_der()).unwrap()];
    let v = Verifier::new(&anchors);
    let mut certs = vec![tsa_certificate(&token), tsa.root_der()];
    let mut serial = 0;
    while certs.len() < timestamp::MAX_CERTIFICATES {
        serial += 1;
        certs.push(certificate("CN=unrelated", "CN=unrelated", serial));
    }
    let at = token_with_certificates(&token, &certs);
    v.verify_token(&at, Imprint::Data(b"x")).unwrap();
    certs.push(certificate("CN=unrelated", "CN=unrelated", serial + 1));
    let past = token_with_certificates(&token, &certs);
    assert_eq!(
        v.verify_token(&past, Imprint::Data(b"x")),
        Err(TokenError::TooManyCertificates(
            timestamp::MAX_CERTIFICATES + 1
        ))
    );
}

#[test]
fn timestamp_max_chain_len() {
    let Some((_tsa, token)) = openssl_token() else {
        return;
    };
    // The token carries only the TSA's certificate; the caller offers a
    // chain of intermediates above it by name (`CN=vouch test TSA root`
    // issued by `CN=ca 1`, ...), none leading to the anchor.
    let token = token_with_certificates(&token, &[tsa_certificate(&token)]);
    let other = certificate("CN=other root", "CN=other root", 1);
    let anchors = [TrustAnchor::from_der(&other).unwrap()];
    let chain = |intermediates: usize| -> Vec<Vec<u8>> {
        (0..intermediates)
            .map(|i| {
                let subject = match i {
                    0 => "CN=vouch test TSA root".to_owned(),
                    i => format!("CN=ca {i}"),
                };
                certificate(&subject, &format!("CN=ca {}", i + 1), 2)
            })
            .collect()
    };
    // The TSA's certificate and four above it: the path is built, then
    // refused by the chain check (the names match, nothing else does).
    let four = chain(timestamp::MAX_CHAIN_LEN - 1);
    let refs: Vec<&[u8]> = four.iter().map(Vec::as_slice).collect();
    let r = Verifier::new(&anchors)
        .with_certificates(&refs)
        .verify_token(&token, Imprint::Data(b"x"));
    assert!(
        matches!(
            r,
            Err(TokenError::Certificate(CertificateError::NotAnIssuer {
                index: 0,
                ..
            }))
        ),
        "{r:?}"
    );
    let five = chain(timestamp::MAX_CHAIN_LEN);
    let refs: Vec<&[u8]> = five.iter().map(Vec::as_slice).collect();
    assert_eq!(
        Verifier::new(&anchors)
            .with_certificates(&refs)
            .verify_token(&token, Imprint::Data(b"x")),
        Err(TokenError::ChainTooLong {
            subject: "CN=vouch test TSA".into()
        })
    );
}

// ---------------------------------------------------------------------------
// FIDO

fn attestation_object(
    fmt: &str,
    stmt: Vec<(ciborium::Value, ciborium::Value)>,
    auth: &[u8],
) -> Vec<u8> {
    use ciborium::Value;
    let map = Value::Map(vec![
        (Value::Text("fmt".into()), Value::Text(fmt.into())),
        (Value::Text("attStmt".into()), Value::Map(stmt)),
        (Value::Text("authData".into()), Value::Bytes(auth.to_vec())),
    ]);
    let mut out = Vec::new();
    ciborium::into_writer(&map, &mut out).unwrap();
    out
}

/// Authenticator data with attested credential data whose credential id
/// is `id_len` bytes and no credential key after it.
fn auth_data_with_credential_id(id_len: usize) -> Vec<u8> {
    let mut a = vec![0; 32];
    a.push(0x41); // UP | AT
    a.extend_from_slice(&1u32.to_be_bytes());
    a.extend_from_slice(&[0; 16]);
    a.extend_from_slice(&u16::try_from(id_len).unwrap().to_be_bytes());
    a.resize(a.len() + id_len, 0xc0);
    a
}

#[test]
fn fido_max_attestation_len() {
    let max = MAX_ATTESTATION_LEN;
    assert!(matches!(
        EnrollmentAttestation::webauthn(&zeros(max), [0; 32]),
        Err(AttestationError::Malformed(_))
    ));
    let r = EnrollmentAttestation::openssh(&zeros(max), b"c");
    assert!(
        !matches!(r, Err(AttestationError::TooLarge { .. })),
        "{r:?}"
    );
    for r in [
        EnrollmentAttestation::webauthn(&zeros(max + 1), [0; 32]),
        EnrollmentAttestation::openssh(&zeros(max + 1), b"c"),
    ] {
        match r {
            Err(AttestationError::TooLarge { len, max: m, .. }) => {
                assert_eq!((len, m), (max + 1, max));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn fido_max_challenge_len() {
    let max = MAX_CHALLENGE_LEN;
    assert!(matches!(
        EnrollmentAttestation::openssh(b"x", &zeros(max)),
        Err(AttestationError::Malformed(_))
    ));
    match EnrollmentAttestation::openssh(b"x", &zeros(max + 1)) {
        Err(AttestationError::TooLarge { what, len, max: m }) => {
            assert_eq!(
                (what, len, m),
                ("OpenSSH enrollment challenge", max + 1, max)
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn fido_max_x5c_len() {
    use ciborium::Value;
    let stmt = |n: usize| {
        vec![
            (Value::Text("alg".into()), Value::Integer((-7).into())),
            (Value::Text("sig".into()), Value::Bytes(vec![0; 8])),
            (
                Value::Text("x5c".into()),
                Value::Array(vec![Value::Bytes(vec![0; 4]); n]),
            ),
        ]
    };
    let key = PublicKey::p256_sec1(
        SigningKey::from_slice(&[5; 32])
            .unwrap()
            .verifying_key()
            .to_sec1_point(false)
            .as_bytes(),
    )
    .unwrap();
    let mut auth = auth_data_with_credential_id(4);
    auth.extend_from_slice(&key.to_cose_key());
    // At the limit the attestation is read; its certificates are only
    // parsed when it is verified.
    EnrollmentAttestation::webauthn(
        &attestation_object("packed", stmt(MAX_X5C_LEN), &auth),
        [0; 32],
    )
    .unwrap();
    assert_eq!(
        EnrollmentAttestation::webauthn(
            &attestation_object("packed", stmt(MAX_X5C_LEN + 1), &auth),
            [0; 32]
        )
        .unwrap_err(),
        AttestationError::Certificate(CertificateError::ChainLength(MAX_X5C_LEN + 1))
    );
}

#[test]
fn fido_max_credential_id_len() {
    let max = MAX_CREDENTIAL_ID_LEN;
    let object = |id_len| attestation_object("none", vec![], &auth_data_with_credential_id(id_len));
    // At the limit the credential id is read; the key after it is missing.
    assert!(matches!(
        EnrollmentAttestation::webauthn(&object(max), [0; 32]),
        Err(AttestationError::Malformed(_))
    ));
    assert_eq!(
        EnrollmentAttestation::webauthn(&object(max + 1), [0; 32]).unwrap_err(),
        AttestationError::TooLarge {
            what: "authData credentialId",
            len: max + 1,
            max
        }
    );
}

#[test]
fn public_key_max_fido_application_len() {
    let max = PublicKey::MAX_FIDO_APPLICATION_LEN;
    let key = Ed::new(4).public_key().clone();
    let bound = key.clone().with_fido_application(&"a".repeat(max)).unwrap();
    assert_eq!(bound.fido_application().map(str::len), Some(max));
    assert_eq!(
        key.with_fido_application(&"a".repeat(max + 1)),
        Err(KeyError::ApplicationTooLong { len: max + 1, max })
    );
}
