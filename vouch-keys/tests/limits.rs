//! Every limit of vouch-keys in `docs/limits.md`, at the limit (accepted,
//! or refused only by a later check) and one past it (refused with the
//! error that names the limit), one test per row, named after its
//! constant; and every file kept beside a key refused promptly when it is
//! a FIFO (opened without blocking, checked on the opened file): each such
//! read runs on a thread with a deadline, so a regression fails instead
//! of hanging.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use vouch_core::{Algorithm, SignError, Signer as _};
use vouch_keys::softfido::TestAttestationCa;
use vouch_keys::softfido::{MAX_COUNTER_FILE, Presence, SoftAuthenticator, counter_path};
use vouch_keys::{Error, FileKey, MAX_KEY_FILE_LEN, Origin};

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "vouch-keys-limits-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes `len` bytes of `fill` at `path` with `mode`.
fn file_of(path: &Path, len: u64, fill: u8, mode: u32) {
    std::fs::write(path, vec![fill; usize::try_from(len).unwrap()]).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        path,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
}

/// Runs `f` on a thread and returns what it returns within a few seconds;
/// fails (after unblocking the thread) when it blocked on the FIFO `fifo`.
fn promptly<T: Send + 'static>(fifo: &Path, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(5)) {
        Ok(v) => v,
        Err(_) => {
            // A reader stuck in open(2) is released by a writer.
            let _ = std::fs::OpenOptions::new().write(true).open(fifo);
            panic!("reading {} blocked on a FIFO", fifo.display());
        }
    }
}

fn too_large(e: Error, path: &Path, limit: u64) {
    match e {
        Error::TooLarge {
            origin,
            size,
            limit: l,
        } => assert_eq!(
            (origin, size, l),
            (Origin::File(path.into()), limit + 1, limit)
        ),
        other => panic!("{other:?}"),
    }
}

fn not_a_file(e: Error, path: &Path) {
    match e {
        Error::NotAFile { path: p } => assert_eq!(p, path),
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Key files

#[test]
fn max_key_file_len() {
    let s = Scratch::new("key-len");
    let p = s.path("key");
    // At the limit the bytes are decoded (and are no key).
    file_of(&p, MAX_KEY_FILE_LEN, b'x', 0o600);
    assert!(matches!(
        FileKey::load(&p, None),
        Err(Error::UnrecognizedFormat { .. })
    ));
    file_of(&p, MAX_KEY_FILE_LEN + 1, b'x', 0o600);
    too_large(FileKey::load(&p, None).unwrap_err(), &p, MAX_KEY_FILE_LEN);
    // In memory, the same limit.
    let at = vec![b'x'; MAX_KEY_FILE_LEN as usize];
    assert!(matches!(
        FileKey::decode(&at, None),
        Err(Error::UnrecognizedFormat { .. })
    ));
    match FileKey::decode(&[at.as_slice(), b"x"].concat(), None) {
        Err(Error::TooLarge {
            origin: Origin::Memory,
            size,
            limit,
        }) => assert_eq!((size, limit), (MAX_KEY_FILE_LEN + 1, MAX_KEY_FILE_LEN)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn private_key_file_mode() {
    let s = Scratch::new("key-mode");
    let p = s.path("key");
    FileKey::generate(Algorithm::Ed25519)
        .unwrap()
        .save(&p, None)
        .unwrap();
    // Every bit outside 0o077 is the owner's business.
    for mode in [0o700, 0o400, 0o600, 0o4700] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        FileKey::load(&p, None).unwrap();
    }
    // Any one bit of 0o077 is refused.
    for bit in [0o001, 0o002, 0o004, 0o010, 0o020, 0o040] {
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600 | bit)).unwrap();
        match FileKey::load(&p, None) {
            Err(Error::InsecurePermissions { path, mode }) => {
                assert_eq!((path, mode), (p.clone(), 0o600 | bit));
            }
            other => panic!("{bit:o}: {other:?}"),
        }
    }
}

// The owner check (`Error::ForeignOwner`) needs a file of another user:
// tested beside it (`file::fs::tests::a_file_of_another_owner_is_refused`).

#[test]
fn private_key_file_type() {
    let s = Scratch::new("key-fifo");
    let p = s.path("key");
    mkfifo(&p);
    let q = p.clone();
    not_a_file(
        promptly(&p, move || FileKey::load(&q, None)).unwrap_err(),
        &p,
    );
    let d = s.path("dir");
    std::fs::create_dir(&d).unwrap();
    not_a_file(FileKey::load(&d, None).unwrap_err(), &d);
}

// The KDF limits as written: `KdfParams::new` checks the maximums that
// reading a file does (below, `kdf_params_max_read_from_a_file`).

#[test]
fn kdf_params_max() {
    use vouch_keys::{KdfParam, KdfParams};
    let max = (
        KdfParams::MAX_MEMORY_KIB,
        KdfParams::MAX_ITERATIONS,
        KdfParams::MAX_PARALLELISM,
    );
    KdfParams::new(max.0, max.1, max.2).unwrap();
    for (params, param, value, limit) in [
        ((max.0 + 1, 1, 1), KdfParam::MemoryKib, max.0 + 1, max.0),
        ((64, max.1 + 1, 1), KdfParam::Iterations, max.1 + 1, max.1),
        (
            (1024, 1, max.2 + 1),
            KdfParam::Parallelism,
            max.2 + 1,
            max.2,
        ),
    ] {
        match KdfParams::new(params.0, params.1, params.2) {
            Err(Error::InvalidKdfParams {
                param: p,
                value: v,
                max: m,
                ..
            }) => assert_eq!((p, v, m), (param, value.into(), limit.into())),
            other => panic!("{param}: {other:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// The software authenticator: its counter file and its test CA's certificate

fn soft_authenticator(s: &Scratch) -> (PathBuf, SoftAuthenticator) {
    let key = s.path("soft");
    FileKey::generate(Algorithm::Ed25519)
        .unwrap()
        .save(&key, None)
        .unwrap();
    let auth = SoftAuthenticator::open(&key, None, "ssh:", Presence::Touch).unwrap();
    (key, auth)
}

fn backend_error(e: SignError) -> Error {
    match e {
        SignError::Backend { source, .. } => *source.downcast::<Error>().unwrap(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn max_counter_file() {
    let s = Scratch::new("counter-len");
    let (key, auth) = soft_authenticator(&s);
    let counter = counter_path(&key);
    // At the limit: a counter, padded with spaces, read and advanced.
    let mut text = vec![b' '; MAX_COUNTER_FILE as usize - 2];
    text.extend_from_slice(b"7\n");
    std::fs::write(&counter, &text).unwrap();
    auth.try_sign(b"m").unwrap();
    assert_eq!(std::fs::read_to_string(&counter).unwrap(), "8\n");
    text.insert(0, b' ');
    std::fs::write(&counter, &text).unwrap();
    too_large(
        backend_error(auth.try_sign(b"m").unwrap_err()),
        &counter,
        MAX_COUNTER_FILE,
    );
}

#[test]
fn counter_file_type() {
    let s = Scratch::new("counter-fifo");
    let (key, auth) = soft_authenticator(&s);
    let counter = counter_path(&key);
    mkfifo(&counter);
    // Signing advances the counter (opened for reading and writing).
    let e = promptly(&counter, move || auth.try_sign(b"m").map(drop));
    not_a_file(backend_error(e.unwrap_err()), &counter);
    // Enrolling reads it (for reading only).
    let auth = SoftAuthenticator::open(&key, None, "ssh:", Presence::Touch).unwrap();
    let ca = TestAttestationCa::generate("vouch test", "2026-01-01T00:00:00Z".parse().unwrap(), 1)
        .unwrap();
    let e = promptly(&counter, move || {
        auth.attest(&ca, *b"vouch-test-model", [0; 32]).map(drop)
    });
    not_a_file(e.unwrap_err(), &counter);
}

/// A test CA saved in `s`: its key file and certificate file.
fn saved_ca(s: &Scratch) -> (PathBuf, PathBuf) {
    let (key, cert) = (s.path("ca.key"), s.path("ca.pem"));
    TestAttestationCa::generate("vouch test", "2026-01-01T00:00:00Z".parse().unwrap(), 1)
        .unwrap()
        .save(&key, &cert)
        .unwrap();
    (key, cert)
}

#[test]
fn test_attestation_ca_max_certificate_file_len() {
    let s = Scratch::new("ca-len");
    let (key, cert) = saved_ca(&s);
    TestAttestationCa::load(&key, &cert).unwrap();
    let max = TestAttestationCa::MAX_CERTIFICATE_FILE_LEN;
    // At the limit the PEM is decoded (and is none).
    file_of(&cert, max, b'x', 0o644);
    assert!(matches!(
        TestAttestationCa::load(&key, &cert),
        Err(Error::InvalidTestCa { .. })
    ));
    file_of(&cert, max + 1, b'x', 0o644);
    too_large(
        TestAttestationCa::load(&key, &cert).unwrap_err(),
        &cert,
        max,
    );
}

#[test]
fn test_attestation_ca_certificate_file_type() {
    let s = Scratch::new("ca-fifo");
    let (key, cert) = saved_ca(&s);
    mkfifo(&cert);
    let c = cert.clone();
    let e = promptly(&cert, move || TestAttestationCa::load(&key, &c).map(drop));
    not_a_file(e.unwrap_err(), &cert);
}

// ---------------------------------------------------------------------------
// Security keys through ssh-keygen: the files beside the stub

#[cfg(feature = "fido")]
mod fido {
    use std::sync::Arc;

    use vouch_keys::fido::{FidoKey, FidoOptions, MAX_SIDE_FILE, Silent};

    use super::*;

    /// A stub with its `.pub` (a security-key line) and `.state`.
    fn stub(s: &Scratch) -> PathBuf {
        let stub = s.path("id_sk");
        let public = FileKey::generate(Algorithm::Ed25519)
            .unwrap()
            .public_key()
            .clone()
            .with_fido_application("ssh:")
            .unwrap();
        std::fs::write(&stub, "stub").unwrap();
        std::fs::write(s.path("id_sk.pub"), format!("{}\n", public.to_openssh())).unwrap();
        std::fs::write(s.path("id_sk.state"), "require-uv=false\n").unwrap();
        stub
    }

    fn open(stub: &Path) -> Result<FidoKey, Error> {
        FidoKey::open(stub, FidoOptions::default(), Arc::new(Silent))
    }

    #[test]
    fn max_side_file() {
        let s = Scratch::new("fido-len");
        let stub = stub(&s);
        open(&stub).unwrap();
        for (name, refused_at_limit) in [
            ("id_sk.pub", "a public key line"),
            ("id_sk.state", "a state line"),
        ] {
            let side = s.path(name);
            let keep = std::fs::read(&side).unwrap();
            // At the limit the file is read (and its text refused).
            file_of(&side, MAX_SIDE_FILE, b'x', 0o644);
            assert!(
                matches!(open(&stub), Err(Error::Fido { .. })),
                "{name}: {refused_at_limit}"
            );
            file_of(&side, MAX_SIDE_FILE + 1, b'x', 0o644);
            too_large(open(&stub).unwrap_err(), &side, MAX_SIDE_FILE);
            std::fs::write(&side, keep).unwrap();
        }
    }

    #[test]
    fn side_file_type() {
        let s = Scratch::new("fido-fifo");
        let stub = stub(&s);
        for name in ["id_sk.pub", "id_sk.state"] {
            let side = s.path(name);
            let keep = std::fs::read(&side).unwrap();
            mkfifo(&side);
            let st = stub.clone();
            not_a_file(
                promptly(&side, move || open(&st).map(drop)).unwrap_err(),
                &side,
            );
            std::fs::remove_file(&side).unwrap();
            std::fs::write(&side, keep).unwrap();
        }
    }
}

// ---------------------------------------------------------------------------
// TPM key stubs (read without a TPM: the TPM is first asked at a signature)

#[cfg(feature = "tpm")]
mod tpm {
    use vouch_keys::tpm::{MAX_STUB_LEN, TpmKey};

    use super::*;

    const TCTI: &str = "swtpm:host=127.0.0.1,port=1";

    #[test]
    fn max_stub_len() {
        let s = Scratch::new("tpm-len");
        let stub = s.path("key.tpm");
        // At the limit the stub is decoded (and is not CBOR).
        file_of(&stub, MAX_STUB_LEN, 0xff, 0o644);
        assert!(matches!(
            TpmKey::open(&stub, TCTI),
            Err(Error::InvalidTpmStub { .. })
        ));
        file_of(&stub, MAX_STUB_LEN + 1, 0xff, 0o644);
        too_large(TpmKey::open(&stub, TCTI).unwrap_err(), &stub, MAX_STUB_LEN);
    }

    #[test]
    fn stub_file_type() {
        let s = Scratch::new("tpm-fifo");
        let stub = s.path("key.tpm");
        mkfifo(&stub);
        let st = stub.clone();
        not_a_file(
            promptly(&stub, move || TpmKey::open(&st, TCTI).map(drop)).unwrap_err(),
            &stub,
        );
    }

    // `tpm::MAX_EK_CERTIFICATE_LEN` is read from the TPM's NV index:
    // tested beside it (`tpm::endorsement::tests::max_ek_certificate_len`).
}

// ---------------------------------------------------------------------------
// Passphrase KDF costs read from a key file

/// The lines between the armor of `text`, decoded.
fn dearmor(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// `bytes` armored as `label`, `width` base64 characters a line.
fn armor(label: &str, bytes: &[u8], width: usize) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(width) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// A vouch key file encrypted with cheap costs, with its `encryption`
/// fields set to `fields`.
fn vouch_key_with_costs(fields: &[(&str, u64)]) -> String {
    use ciborium::Value;
    use vouch_keys::{KdfParams, Passphrase, SaveOptions};
    let key = FileKey::generate(Algorithm::Ed25519).unwrap();
    let pass = Passphrase::new("pw");
    let options = SaveOptions::new()
        .passphrase(&pass)
        .kdf(KdfParams::new(64, 1, 1).unwrap());
    let text = key.encode(&options).unwrap();
    let mut doc: Value = ciborium::from_reader(dearmor(&text).as_slice()).unwrap();
    let Value::Map(top) = &mut doc else { panic!() };
    let (_, Value::Map(enc)) = top
        .iter_mut()
        .find(|(k, _)| k.as_text() == Some("encryption"))
        .unwrap()
    else {
        panic!()
    };
    for (field, value) in fields {
        let (_, v) = enc
            .iter_mut()
            .find(|(k, _)| k.as_text() == Some(field))
            .unwrap();
        *v = Value::from(*value);
    }
    armor(
        "VOUCH PRIVATE KEY",
        &vouch_core::cbor::value_to_canonical(doc).unwrap(),
        64,
    )
}

#[test]
fn kdf_params_max_read_from_a_file() {
    use vouch_keys::{KdfParam, KdfParams};
    let (m, i, p) = (
        u64::from(KdfParams::MAX_MEMORY_KIB),
        u64::from(KdfParams::MAX_ITERATIONS),
        u64::from(KdfParams::MAX_PARALLELISM),
    );
    // At the limits the costs are accepted: the next step asks for the
    // passphrase (nothing is derived without one).
    for at in [
        vec![("memory_kib", m)],
        vec![("iterations", i)],
        vec![("parallelism", p), ("memory_kib", 8 * p)],
    ] {
        match FileKey::decode(vouch_key_with_costs(&at).as_bytes(), None) {
            Err(Error::PassphraseRequired { .. }) => {}
            other => panic!("{at:?}: {other:?}"),
        }
    }
    for (field, value, param, limit) in [
        ("memory_kib", m + 1, KdfParam::MemoryKib, m),
        ("iterations", i + 1, KdfParam::Iterations, i),
        ("parallelism", p + 1, KdfParam::Parallelism, p),
    ] {
        match FileKey::decode(vouch_key_with_costs(&[(field, value)]).as_bytes(), None) {
            Err(Error::KdfLimit {
                param: pm,
                value: v,
                limit: l,
                ..
            }) => assert_eq!((pm, v, l), (param, value, limit)),
            other => panic!("{field}: {other:?}"),
        }
    }
}

/// An OpenSSH private key file encrypted (aes256-ctr, bcrypt) with
/// `rounds`: its encrypted part is zeros, never decrypted here.
fn openssh_key_with_rounds(rounds: u32) -> String {
    fn put(out: &mut Vec<u8>, s: &[u8]) {
        out.extend_from_slice(&u32::try_from(s.len()).unwrap().to_be_bytes());
        out.extend_from_slice(s);
    }
    let public = FileKey::generate(Algorithm::Ed25519)
        .unwrap()
        .public_key()
        .to_openssh();
    let blob = {
        use base64::Engine as _;
        let b64 = public.split(' ').nth(1).unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    };
    let mut raw = b"openssh-key-v1\0".to_vec();
    put(&mut raw, b"aes256-ctr");
    put(&mut raw, b"bcrypt");
    let mut options = Vec::new();
    put(&mut options, &[7; 16]);
    options.extend_from_slice(&rounds.to_be_bytes());
    put(&mut raw, &options);
    raw.extend_from_slice(&1u32.to_be_bytes());
    put(&mut raw, &blob);
    put(&mut raw, &[0; 144]);
    armor("OPENSSH PRIVATE KEY", &raw, 70)
}

#[test]
fn max_bcrypt_rounds() {
    use vouch_keys::file::MAX_BCRYPT_ROUNDS;
    use vouch_keys::{KdfParam, KeyFormat};
    match FileKey::decode(openssh_key_with_rounds(MAX_BCRYPT_ROUNDS).as_bytes(), None) {
        Err(Error::PassphraseRequired {
            format: KeyFormat::OpenSsh,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    match FileKey::decode(
        openssh_key_with_rounds(MAX_BCRYPT_ROUNDS + 1).as_bytes(),
        None,
    ) {
        Err(Error::KdfLimit {
            param: KdfParam::BcryptRounds,
            value,
            limit,
            ..
        }) => assert_eq!(
            (value, limit),
            (
                u64::from(MAX_BCRYPT_ROUNDS) + 1,
                u64::from(MAX_BCRYPT_ROUNDS)
            )
        ),
        other => panic!("{other:?}"),
    }
}
