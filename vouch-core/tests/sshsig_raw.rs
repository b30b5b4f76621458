//! Real SSHSIG signatures (`ssh-keygen -Y sign`) verified with nothing but
//! vouch-core's vocabulary: the SSHSIG container is parsed by hand here, the
//! signed blob built per PROTOCOL.sshsig, and the signature checked with
//! [`PublicKey::verify`]. For security keys the signature carries
//! [`Evidence::Fido`], whose signed data (`SHA256(app) || flags || counter ||
//! SHA256(T)`) is exactly what OpenSSH's `sk-` keys sign. This shows core
//! covers SSHSIG; full SSHSIG support is a later issue.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::Digest as _;
use vouch_core::{
    Algorithm, AuthenticatorFlags, Evidence, FidoAssertion, KeyError, PublicKey, Signature,
    VerifyError,
};

/// A minimal SSH wire reader (RFC 4251 §5) for the test.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        assert!(n <= self.0.len(), "truncated");
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        head
    }
    fn byte(&mut self) -> u8 {
        self.take(1)[0]
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take(4).try_into().unwrap())
    }
    fn string(&mut self) -> &'a [u8] {
        let n = usize::try_from(self.u32()).unwrap();
        self.take(n)
    }
    fn done(&self) {
        assert!(self.0.is_empty(), "{} trailing bytes", self.0.len());
    }
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    out.extend_from_slice(&u32::try_from(s.len()).unwrap().to_be_bytes());
    out.extend_from_slice(s);
}

/// An mpint (positive, minimal, maybe with a 0x00 sign byte) as a 32-byte
/// big-endian scalar.
fn mpint_to_32(m: &[u8]) -> [u8; 32] {
    let m = match m {
        [0, rest @ ..] => {
            assert!(
                rest.first().is_some_and(|b| b & 0x80 != 0),
                "non-minimal mpint"
            );
            rest
        }
        _ => {
            assert!(m.first().is_none_or(|b| b & 0x80 == 0), "negative mpint");
            m
        }
    };
    assert!(m.len() <= 32, "scalar longer than 32 bytes");
    let mut out = [0u8; 32];
    out[32 - m.len()..].copy_from_slice(m);
    out
}

/// The fields of an SSHSIG blob (PROTOCOL.sshsig).
struct SshSig {
    public_key: Vec<u8>,
    namespace: Vec<u8>,
    reserved: Vec<u8>,
    hash_alg: String,
    signature: Vec<u8>,
}

fn dearmor(text: &str) -> Vec<u8> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    assert_eq!(lines.next(), Some("-----BEGIN SSH SIGNATURE-----"));
    let mut b64 = String::new();
    for line in lines.by_ref() {
        if line == "-----END SSH SIGNATURE-----" {
            break;
        }
        b64.push_str(line);
    }
    assert_eq!(lines.next(), None, "text after the END line");
    STANDARD.decode(b64).unwrap()
}

fn parse_sshsig(blob: &[u8]) -> SshSig {
    let mut r = Reader(blob);
    assert_eq!(r.take(6), b"SSHSIG", "magic");
    assert_eq!(r.u32(), 1, "version");
    let sig = SshSig {
        public_key: r.string().to_vec(),
        namespace: r.string().to_vec(),
        reserved: r.string().to_vec(),
        hash_alg: String::from_utf8(r.string().to_vec()).unwrap(),
        signature: r.string().to_vec(),
    };
    r.done();
    sig
}

/// The blob SSHSIG signs: the magic (not length-prefixed), then
/// string(namespace), string(reserved), string(hash_alg), string(H(message)).
fn signed_blob(namespace: &[u8], reserved: &[u8], hash_alg: &str, message: &[u8]) -> Vec<u8> {
    let hash = match hash_alg {
        "sha512" => sha2::Sha512::digest(message).to_vec(),
        "sha256" => sha2::Sha256::digest(message).to_vec(),
        other => panic!("unexpected SSHSIG hash {other}"),
    };
    let mut t = b"SSHSIG".to_vec();
    put_string(&mut t, namespace);
    put_string(&mut t, reserved);
    put_string(&mut t, hash_alg.as_bytes());
    put_string(&mut t, &hash);
    t
}

/// The signature in vouch's terms, from the SSHSIG signature field.
fn vouch_signature(key: &PublicKey, field: &[u8]) -> Signature {
    let mut r = Reader(field);
    let sig_type = std::str::from_utf8(r.string()).unwrap();
    assert_eq!(sig_type, key.ssh_key_type(), "signature type");
    let raw = r.string();
    let value = match key.algorithm() {
        Algorithm::Ed25519 => raw.to_vec(),
        _ => {
            // ECDSA: string(mpint r || mpint s) -> fixed-width r || s.
            let mut m = Reader(raw);
            let mut rs = mpint_to_32(m.string()).to_vec();
            rs.extend_from_slice(&mpint_to_32(m.string()));
            m.done();
            rs
        }
    };
    let sig = Signature::new(key.algorithm(), &value).unwrap();
    let sig = match key.fido_application() {
        None => sig,
        Some(app) => {
            let flags = r.byte();
            let counter = r.u32();
            sig.with_evidence(Evidence::Fido(FidoAssertion::new(
                app,
                AuthenticatorFlags(flags),
                counter,
            )))
        }
    };
    r.done();
    sig
}

fn fido(sig: &Signature) -> &FidoAssertion {
    match sig.evidence() {
        Some(Evidence::Fido(a)) => a,
        other => panic!("expected FIDO evidence, got {other:?}"),
    }
}

fn read(set: &str, file: &str) -> Option<Vec<u8>> {
    Some(std::fs::read(vouch_test_support::vector(set, file)?).unwrap())
}

struct Checked {
    key: PublicKey,
    signature: Signature,
    t: Vec<u8>,
}

/// Parses `sig_file`, checks its fixed fields and embedded key against
/// `pub_file`, verifies it over `message`, and checks the usual tamperings fail.
fn check(
    set: &str,
    sig_file: &str,
    pub_file: &str,
    message: &[u8],
    namespace: &[u8],
) -> Option<Checked> {
    let armored = String::from_utf8(read(set, sig_file)?).unwrap();
    let sshsig = parse_sshsig(&dearmor(&armored));
    assert_eq!(sshsig.namespace, namespace, "{sig_file}");
    assert!(sshsig.reserved.is_empty(), "{sig_file}");
    assert_eq!(sshsig.hash_alg, "sha512", "{sig_file}");

    let key = PublicKey::from_canonical_bytes(&sshsig.public_key).unwrap();
    let line = String::from_utf8(read(set, pub_file)?).unwrap();
    assert_eq!(key, PublicKey::from_openssh(&line).unwrap(), "{sig_file}");

    let signature = vouch_signature(&key, &sshsig.signature);
    let t = signed_blob(namespace, &sshsig.reserved, &sshsig.hash_alg, message);
    assert_eq!(key.verify(&t, &signature), Ok(()), "{sig_file}");

    let bad = Err(VerifyError::BadSignature(key.key_id()));
    // A modified message.
    let mut longer = message.to_vec();
    longer.push(b'\n');
    let t2 = signed_blob(namespace, &sshsig.reserved, &sshsig.hash_alg, &longer);
    assert_eq!(
        key.verify(&t2, &signature),
        bad,
        "{sig_file}: tampered message"
    );
    // Another namespace.
    let t3 = signed_blob(b"git", &sshsig.reserved, &sshsig.hash_alg, message);
    assert_eq!(key.verify(&t3, &signature), bad, "{sig_file}: namespace");
    Some(Checked { key, signature, t })
}

const OPENSSH: &str = "openssh-sshsig";

fn openssh_inputs() -> Option<(Vec<u8>, Vec<u8>)> {
    let message = read(OPENSSH, "sshsig/signed-data")?;
    let namespace = read(OPENSSH, "sshsig/namespace")?;
    assert_eq!(message, b"This is a test, this is only a test");
    assert_eq!(namespace, b"unittest");
    Some((message, namespace))
}

#[test]
fn openssh_plain_keys() {
    let Some((message, namespace)) = openssh_inputs() else {
        return;
    };
    for (name, alg) in [("ed25519", Algorithm::Ed25519), ("ecdsa", Algorithm::Es256)] {
        let c = check(
            OPENSSH,
            &format!("sshsig/{name}.sig"),
            &format!("sshsig/{name}.pub"),
            &message,
            &namespace,
        )
        .unwrap();
        assert_eq!(c.key.algorithm(), alg);
        assert_eq!(c.key.fido_application(), None);
        assert!(c.signature.evidence().is_none());
        // The signature is not valid over the unsigned message itself.
        assert!(c.key.verify(&message, &c.signature).is_err());
    }
}

#[test]
fn openssh_security_keys() {
    let Some((message, namespace)) = openssh_inputs() else {
        return;
    };
    for (name, alg) in [
        ("ed25519_sk", Algorithm::Ed25519),
        ("ecdsa_sk", Algorithm::Es256),
    ] {
        let c = check(
            OPENSSH,
            &format!("sshsig/{name}.sig"),
            &format!("sshsig/{name}.pub"),
            &message,
            &namespace,
        )
        .unwrap();
        assert_eq!(c.key.algorithm(), alg);
        assert_eq!(c.key.fido_application(), Some("ssh:"));
        // As documented for sk-dummy: UP set, UV clear, counter 0x12345678.
        let a = fido(&c.signature);
        assert_eq!(a.application, "ssh:");
        assert_eq!(a.flags, AuthenticatorFlags(0x01));
        assert!(a.flags.user_present() && !a.flags.user_verified());
        assert_eq!(a.counter, 0x1234_5678);
        assert!(a.extensions.is_empty());

        // The signed flags cannot be changed: claiming UV (0x05) fails,
        // and so does clearing UP.
        for flags in [0x05, 0x00] {
            let mut forged = a.clone();
            forged.flags = AuthenticatorFlags(flags);
            let sig = Signature::new(alg, c.signature.value())
                .unwrap()
                .with_evidence(Evidence::Fido(forged));
            assert_eq!(
                c.key.verify(&c.t, &sig),
                Err(VerifyError::BadSignature(c.key.key_id())),
                "{name}: flags {flags:#04x}"
            );
        }
        let mut forged = a.clone();
        forged.counter += 1;
        let sig = Signature::new(alg, c.signature.value())
            .unwrap()
            .with_evidence(Evidence::Fido(forged));
        assert!(c.key.verify(&c.t, &sig).is_err(), "{name}: counter");
        // An sk key never accepts a bare signature.
        let bare = Signature::new(alg, c.signature.value()).unwrap();
        assert_eq!(
            c.key.verify(&c.t, &bare),
            Err(VerifyError::MissingFidoEvidence(c.key.key_id()))
        );
        // The raw primitive over the 69 bytes the authenticator signed.
        let mut signed = sha2::Sha256::digest(b"ssh:").to_vec();
        signed.push(0x01);
        signed.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        signed.extend_from_slice(&sha2::Sha256::digest(&c.t));
        assert_eq!(signed.len(), 69);
        assert_eq!(a.signed_data(&c.t), signed);
    }
}

/// The webauthn-sk-ecdsa signature (made by a real browser for
/// mindrot.org): the authenticator signed `SHA256(app) || flags || counter
/// || SHA256(clientDataJSON)`, and clientDataJSON's challenge is the
/// SSHSIG blob T. Core's FIDO evidence describes it with clientDataJSON as
/// the message.
#[test]
fn openssh_webauthn_security_key() {
    let Some((message, namespace)) = openssh_inputs() else {
        return;
    };
    let Some(armored) = read(OPENSSH, "sshsig/ecdsa_sk_webauthn.sig") else {
        return;
    };
    let sshsig = parse_sshsig(&dearmor(&String::from_utf8(armored).unwrap()));
    assert_eq!(sshsig.namespace, namespace);
    let key = PublicKey::from_canonical_bytes(&sshsig.public_key).unwrap();
    assert_eq!(key.fido_application(), Some("mindrot.org"));
    let line = String::from_utf8(read(OPENSSH, "sshsig/ecdsa_sk_webauthn.pub").unwrap()).unwrap();
    assert_eq!(key, PublicKey::from_openssh(&line).unwrap());

    let mut r = Reader(&sshsig.signature);
    assert_eq!(r.string(), b"webauthn-sk-ecdsa-sha2-nistp256@openssh.com");
    let mut m = Reader(r.string());
    let mut rs = mpint_to_32(m.string()).to_vec();
    rs.extend_from_slice(&mpint_to_32(m.string()));
    m.done();
    let flags = r.byte();
    let counter = r.u32();
    let origin = r.string();
    let client_data_json = r.string();
    let extensions = r.string();
    r.done();
    assert_eq!((flags, counter), (0x01, 799));
    assert_eq!(origin, b"https://www.mindrot.org");
    assert!(extensions.is_empty());

    let t = signed_blob(&namespace, &sshsig.reserved, &sshsig.hash_alg, &message);
    let client: serde_json::Value = serde_json::from_slice(client_data_json).unwrap();
    assert_eq!(client["type"], "webauthn.get");
    assert_eq!(client["challenge"], URL_SAFE_NO_PAD.encode(&t));

    let assertion = FidoAssertion::new("mindrot.org", AuthenticatorFlags(flags), counter);
    let sig = Signature::new(Algorithm::Es256, &rs)
        .unwrap()
        .with_evidence(Evidence::Fido(assertion.clone()));
    assert_eq!(key.verify(client_data_json, &sig), Ok(()));
    let mut forged = assertion;
    forged.flags = AuthenticatorFlags(0x05);
    let bad = Signature::new(Algorithm::Es256, &rs)
        .unwrap()
        .with_evidence(Evidence::Fido(forged));
    assert!(key.verify(client_data_json, &bad).is_err());
}

/// The same construction on RustCrypto `ssh-key`'s examples (message
/// `testing`, namespace `example`), including an sk-ed25519 signature with
/// counter 9; the P-384 one's key is refused.
#[test]
fn rustcrypto_ssh_key_signatures() {
    const SET: &str = "rustcrypto-ssh-key";
    let Some(message) = read(SET, "signed-data") else {
        return;
    };
    let namespace = read(SET, "namespace").unwrap();
    assert_eq!(
        (&message[..], &namespace[..]),
        (&b"testing"[..], &b"example"[..])
    );
    for (sig, key) in [
        ("sshsig_ed25519", "id_ed25519.pub"),
        ("sshsig_ecdsa_p256", "id_ecdsa_p256.pub"),
    ] {
        let c = check(SET, sig, key, &message, &namespace).unwrap();
        assert!(c.signature.evidence().is_none());
    }
    let c = check(
        SET,
        "sshsig_sk_ed25519",
        "id_sk_ed25519_2.pub",
        &message,
        &namespace,
    )
    .unwrap();
    let a = fido(&c.signature);
    assert_eq!((a.flags, a.counter), (AuthenticatorFlags(0x01), 9));

    let armored = String::from_utf8(read(SET, "sshsig_ecdsa_p384").unwrap()).unwrap();
    let p384 = parse_sshsig(&dearmor(&armored));
    assert_eq!(
        PublicKey::from_canonical_bytes(&p384.public_key),
        Err(KeyError::UnsupportedSshKeyType(
            "ecdsa-sha2-nistp384".to_owned()
        ))
    );
}
