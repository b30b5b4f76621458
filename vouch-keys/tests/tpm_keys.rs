//! TPM-resident keys against swtpm: each test starts its own simulator
//! (skipped with a `SKIP:` line when swtpm is not installed, a failure
//! under `CI=true`).
#![cfg(feature = "tpm")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use vouch_core::cose::Sign1;
use vouch_core::{Algorithm, Digest, PublicKey, Signature, Signer};
use vouch_keys::tpm::{TpmKey, binding};
use vouch_keys::{Error, KeyRef};
use vouch_test_support::tpm::{Swtpm, tpm2_tools_available};

/// The order of P-256, big-endian, halved (rounded down): low-S means s <= this.
const HALF_N: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
];

fn is_low_s(sig: &Signature) -> bool {
    sig.value()[32..] <= HALF_N[..]
}

/// A big-endian reader of TPM marshaled structures.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        assert!(self.0.len() >= n, "truncated TPM structure");
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.take(2).try_into().unwrap())
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take(4).try_into().unwrap())
    }
    fn tpm2b(&mut self) -> &'a [u8] {
        let n = self.u16().into();
        self.take(n)
    }
}

/// A TPMT_PUBLIC of an ECC key: its attributes and P-256 point.
fn ecc_public(tpmt: &[u8]) -> (u32, PublicKey) {
    let mut r = Reader(tpmt);
    assert_eq!(r.u16(), 0x0023, "type TPM_ALG_ECC");
    assert_eq!(r.u16(), 0x000b, "nameAlg SHA-256");
    let attributes = r.u32();
    r.tpm2b(); // authPolicy
    if r.u16() != 0x0010 {
        r.take(4); // symmetric keyBits and mode
    }
    let scheme = r.u16();
    if scheme != 0x0010 {
        assert_eq!(scheme, 0x0018, "ECDSA");
        assert_eq!(r.u16(), 0x000b, "with SHA-256");
    }
    assert_eq!(r.u16(), 0x0003, "NIST P-256");
    assert_eq!(r.u16(), 0x0010, "no KDF");
    let mut point = vec![0x04];
    for _ in 0..2 {
        let c = r.tpm2b();
        point.extend(std::iter::repeat_n(0, 32 - c.len()));
        point.extend_from_slice(c);
    }
    assert!(r.0.is_empty());
    (attributes, PublicKey::p256_sec1(&point).unwrap())
}

const FIXED_TPM: u32 = 1 << 1;
const FIXED_PARENT: u32 = 1 << 4;
const SENSITIVE_DATA_ORIGIN: u32 = 1 << 5;
const USER_WITH_AUTH: u32 = 1 << 6;
const RESTRICTED: u32 = 1 << 16;
const DECRYPT: u32 = 1 << 17;
const SIGN: u32 = 1 << 18;
const BASE: u32 = FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | USER_WITH_AUTH | SIGN;

fn swtpm() -> Option<Swtpm> {
    Swtpm::start("TPM-resident keys")
}

#[test]
fn generate_sign_verify_and_reopen() {
    let Some(tpm) = swtpm() else { return };
    let stub = tpm.dir().join("release.tpm");
    let key = TpmKey::generate(&stub, tpm.tcti()).unwrap();
    assert_eq!(key.algorithm(), Algorithm::Es256);

    let line = std::fs::read_to_string(tpm.dir().join("release.tpm.pub")).unwrap();
    assert_eq!(
        PublicKey::from_openssh(line.trim()).unwrap(),
        *key.public_key()
    );

    let sig = key.try_sign(b"v1.0.0").unwrap();
    assert_eq!(sig.algorithm(), Algorithm::Es256);
    assert_eq!(sig.value().len(), 64);
    assert!(is_low_s(&sig));
    key.public_key().verify(b"v1.0.0", &sig).unwrap();
    assert!(key.public_key().verify(b"v1.0.1", &sig).is_err());

    let envelope = Sign1::sign(&key, "text/plain", b"release v1.0.0").unwrap();
    let verified = envelope.verify(key.public_key()).unwrap();
    assert_eq!(verified.value(), b"release v1.0.0");

    // A second context, from the stub alone: the primary is recreated
    // from its template and the same key loads.
    let again = TpmKey::open(&stub, tpm.tcti()).unwrap();
    assert_eq!(again.public_key(), key.public_key());
    assert_eq!(again.attestation(), key.attestation());
    let sig2 = again.try_sign(b"second").unwrap();
    assert!(is_low_s(&sig2));
    key.public_key().verify(b"second", &sig2).unwrap();

    // generate refuses to overwrite.
    assert!(matches!(
        TpmKey::generate(&stub, tpm.tcti()),
        Err(Error::AlreadyExists { .. })
    ));
}

#[test]
fn certify_attestation_binds_the_key() {
    let Some(tpm) = swtpm() else { return };
    let stub = tpm.dir().join("k.tpm");
    let key = TpmKey::generate(&stub, tpm.tcti()).unwrap();
    let (attest, signature, ak_public, key_public) = key.attestation();

    // Our own definition, as vouch_core::tpm::binding will have it.
    let mut data = b"vouch tpm key v1".to_vec();
    data.extend_from_slice(key.public_key().key_id().as_bytes());
    let expected_binding = Digest::sha256(&data);
    assert_eq!(&binding(key.public_key())[..], expected_binding.as_bytes());

    let mut r = Reader(&attest);
    assert_eq!(r.u32(), 0xff54_4347, "TPM_GENERATED_VALUE");
    assert_eq!(r.u16(), 0x8017, "TPM_ST_ATTEST_CERTIFY");
    r.tpm2b(); // qualifiedSigner
    assert_eq!(r.tpm2b(), expected_binding.as_bytes(), "extraData");
    r.take(8 + 4 + 4 + 1); // clockInfo
    r.take(8); // firmwareVersion
    let name = r.tpm2b();
    r.tpm2b(); // qualifiedName
    assert!(r.0.is_empty());
    let mut expected_name = vec![0x00, 0x0b];
    expected_name.extend_from_slice(Digest::sha256(&key_public).as_bytes());
    assert_eq!(name, &expected_name[..], "certified name");

    // The certified public area is the signing key's, with its attributes.
    let (attributes, certified) = ecc_public(&key_public);
    assert_eq!(certified, *key.public_key());
    assert_eq!(attributes & (BASE | RESTRICTED | DECRYPT), BASE);

    // The AK is a restricted signing key, and its signature covers the
    // attest bytes exactly.
    let (ak_attributes, ak) = ecc_public(&ak_public);
    assert_eq!(
        ak_attributes & (BASE | RESTRICTED | DECRYPT),
        BASE | RESTRICTED
    );
    let mut s = Reader(&signature);
    assert_eq!(s.u16(), 0x0018, "TPM_ALG_ECDSA");
    assert_eq!(s.u16(), 0x000b, "SHA-256");
    let mut raw = Vec::new();
    for _ in 0..2 {
        let part = s.tpm2b();
        raw.extend(std::iter::repeat_n(0, 32 - part.len()));
        raw.extend_from_slice(part);
    }
    assert!(s.0.is_empty());
    let sig = p256::ecdsa::Signature::from_slice(&raw)
        .unwrap()
        .normalize_s();
    let sig = Signature::new(Algorithm::Es256, &sig.to_bytes()).unwrap();
    ak.verify(&attest, &sig).unwrap();
    let mut tampered = attest.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(ak.verify(&tampered, &sig).is_err());
}

/// Ten keys made and used on one simulator: with three object slots and
/// no resource manager, a single leaked handle fails this by the third
/// round.
#[test]
fn every_object_is_flushed() {
    let Some(tpm) = swtpm() else { return };
    for i in 0..10 {
        let stub = tpm.dir().join(format!("k{i}.tpm"));
        let key = TpmKey::generate(&stub, tpm.tcti()).unwrap();
        let sig = key.try_sign(format!("round {i}").as_bytes()).unwrap();
        key.public_key()
            .verify(format!("round {i}").as_bytes(), &sig)
            .unwrap();
    }
    // A failed operation flushes too: a stub whose private blob the TPM
    // refuses to load, tried more times than there are slots.
    let good = std::fs::read(tpm.dir().join("k0.tpm")).unwrap();
    let key0 = TpmKey::open(&tpm.dir().join("k0.tpm"), tpm.tcti()).unwrap();
    let other = TpmKey::open(&tpm.dir().join("k1.tpm"), tpm.tcti()).unwrap();
    // Swapping the two keys' private blobs keeps the stub well formed, but
    // each private part now fails the integrity check against its public.
    let swapped = swap_private(&good, &std::fs::read(other.stub()).unwrap());
    let bad_path = tpm.dir().join("swapped.tpm");
    std::fs::write(&bad_path, swapped).unwrap();
    let bad = TpmKey::open(&bad_path, tpm.tcti()).unwrap();
    for _ in 0..5 {
        let e = bad.try_sign(b"x").unwrap_err();
        let text = format!("{:?}", e);
        assert!(text.contains("load the signing key"), "{text}");
    }
    let sig = key0.try_sign(b"still works").unwrap();
    key0.public_key().verify(b"still works", &sig).unwrap();
    if tpm2_tools_available("the transient-handle count") {
        let out = Command::new("tpm2_getcap")
            .args(["-T", tpm.tcti(), "handles-transient"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).trim().is_empty(),
            "transient objects left: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

/// The stub `a` with its `key_private` replaced by `b`'s.
fn swap_private(a: &[u8], b: &[u8]) -> Vec<u8> {
    use ciborium::Value;
    let mut va: Value = ciborium::de::from_reader(a).unwrap();
    let vb: Value = ciborium::de::from_reader(b).unwrap();
    let field = |v: &Value| -> Value {
        v.as_map()
            .unwrap()
            .iter()
            .find(|(k, _)| k.as_text() == Some("key_private"))
            .unwrap()
            .1
            .clone()
    };
    let replacement = field(&vb);
    for (k, v) in va.as_map_mut().unwrap() {
        if k.as_text() == Some("key_private") {
            *v = replacement.clone();
        }
    }
    vouch_core::cbor::value_to_canonical(va).unwrap()
}

#[test]
fn malformed_stubs_are_refused() {
    let dir = std::env::temp_dir().join(format!("vouch-tpm-stub-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("junk.tpm");
    std::fs::write(&path, b"not cbor").unwrap();
    let e = TpmKey::open(&path, "swtpm:host=127.0.0.1,port=1").unwrap_err();
    assert!(matches!(e, Error::InvalidTpmStub { .. }), "{e}");
    assert!(e.to_string().contains("not a usable TPM key stub"), "{e}");
    let e = TpmKey::open(&dir.join("missing.tpm"), "swtpm:port=1").unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn unreachable_tpm_is_a_clear_error() {
    let Some(tpm) = swtpm() else { return };
    let stub = tpm.dir().join("k.tpm");
    let key = TpmKey::generate(&stub, tpm.tcti()).unwrap();
    let port = tpm.port();
    drop(key);
    let saved = std::fs::read(&stub).unwrap();
    drop(tpm);
    let dir = std::env::temp_dir().join(format!("vouch-tpm-gone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let stub = dir.join("k.tpm");
    std::fs::write(&stub, saved).unwrap();
    let key = TpmKey::open(&stub, &format!("swtpm:host=127.0.0.1,port={port}")).unwrap();
    let e = key.sign_es256(b"x").unwrap_err();
    assert!(e.to_string().contains("connect to the TPM"), "{e}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `tpm:STUB` opens with the TCTI from the environment; the environment
/// of this process cannot be changed safely, so the test runs itself as a
/// child with `VOUCH_TPM_TCTI` set.
#[test]
fn key_reference_uses_the_environment() {
    if let Ok(stub) = std::env::var("VOUCH_TEST_TPM_STUB") {
        let r: KeyRef = format!("tpm:{stub}").parse().unwrap();
        let signer = r.open(None).unwrap_or_else(|e| panic!("{e}"));
        let sig = signer.try_sign(b"via keyref").unwrap();
        signer.public_key().verify(b"via keyref", &sig).unwrap();
        return;
    }
    let Some(tpm) = swtpm() else { return };
    let stub = tpm.dir().join("ref.tpm");
    TpmKey::generate(&stub, tpm.tcti()).unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "key_reference_uses_the_environment",
            "--nocapture",
        ])
        .env("VOUCH_TEST_TPM_STUB", &stub)
        .env("VOUCH_TPM_TCTI", tpm.tcti())
        .env_remove("TPM2TOOLS_TCTI")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "{out:?}"
    );

    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "key_reference_uses_the_environment",
            "--nocapture",
        ])
        .env("VOUCH_TEST_TPM_STUB", &stub)
        .env_remove("VOUCH_TPM_TCTI")
        .env_remove("TPM2TOOLS_TCTI")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("set VOUCH_TPM_TCTI"), "{text}");
}

/// tpm2-tools accepts a vouch signature: the public key loaded with
/// tpm2_loadexternal, the signature given as DER.
#[test]
fn tpm2_verifysignature_accepts_vouch_signatures() {
    let Some(tpm) = swtpm() else { return };
    if !tpm2_tools_available("tpm2_verifysignature interop") {
        return;
    }
    let dir = tpm.dir();
    let key = TpmKey::generate(&dir.join("k.tpm"), tpm.tcti()).unwrap();
    let message = b"interop message";
    // Both signatures before tpm2-tools runs: without a resource manager,
    // the tools leave the external key (and its reloaded context) in the
    // simulator's slots.
    let sig = key.try_sign(message).unwrap();
    let other = key.try_sign(b"something else").unwrap();
    std::fs::write(dir.join("msg"), message).unwrap();
    std::fs::write(dir.join("sig.der"), sig.to_es256_der().unwrap()).unwrap();
    std::fs::write(dir.join("key.pem"), key.public_key().to_spki_pem().unwrap()).unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(args[0])
            .args(&args[1..])
            .env("TPM2TOOLS_TCTI", tpm.tcti())
            .current_dir(dir)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, err) = run(&[
        "tpm2_loadexternal",
        "-C",
        "n",
        "-G",
        "ecc",
        "-u",
        "key.pem",
        "-c",
        "key.ctx",
    ]);
    assert!(ok, "tpm2_loadexternal: {err}");
    let verify = |sig_file: &str| {
        run(&[
            "tpm2_verifysignature",
            "-c",
            "key.ctx",
            "-g",
            "sha256",
            "-m",
            "msg",
            "-f",
            "ecdsa",
            "-s",
            sig_file,
        ])
    };
    let (ok, err) = verify("sig.der");
    assert!(ok, "tpm2_verifysignature: {err}");
    // And refuses a signature over something else.
    std::fs::write(dir.join("other.der"), other.to_es256_der().unwrap()).unwrap();
    let (ok, _) = verify("other.der");
    assert!(
        !ok,
        "tpm2_verifysignature accepted a signature over another message"
    );
    let _ = run(&["tpm2_flushcontext", "-t"]);
}
