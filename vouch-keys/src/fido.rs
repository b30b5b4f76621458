//! FIDO2 security keys through OpenSSH (feature `fido`).
//!
//! The route: `ssh-keygen` makes the credential (`-t ecdsa-sk` or
//! `ed25519-sk`, with its attestation) and signs with it (`-Y sign`). OpenSSH
//! already talks to every security key it supports, through its built-in
//! USB HID middleware or the one `SSH_SK_PROVIDER` names, so vouch needs no
//! system library (libfido2's Rust bindings need libclang at build time) and
//! no device code of its own. The credential stays on the device; the stub
//! file ssh-keygen writes holds its key handle, application and public key,
//! never a usable secret.
//!
//! What the device signs through OpenSSH is the SSHSIG wrapper of the
//! message, so a statement signature carries that fact in its evidence
//! ([`vouch_core::SshSigWrap`], namespace
//! [`vouch_core::STATEMENT_NAMESPACE`]) and verifies with vouch-core alone.
//!
//! Touch and PIN: the device blinks and waits for a touch when asked to
//! sign; [`FidoCallbacks::touch`] is called first so the caller can say so.
//! A key made with user verification required needs its PIN for every
//! signature: [`FidoCallbacks::pin`] is asked for it, and ssh-keygen gets
//! it through its `SSH_ASKPASS` interface from the program
//! [`FidoOptions::askpass`] names (the vouch CLI binaries answer as one,
//! see [`ASKPASS_ENV`]). Without a PIN from the callbacks, ssh-keygen asks
//! on the terminal itself; the library never reads a terminal.
//!
//! Beside the stub, `STUB.state` keeps what ssh-keygen's stub does not:
//! whether the key requires user verification, and the last signature
//! counter the device reported (shown by `vouch key show`; a counter that
//! does not grow is what the verifier's `counter = "increasing"` rule
//! refuses).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use vouch_core::sshsig::{HashAlgorithm, SshSig};
use vouch_core::{
    Algorithm, Evidence, KeyId, PublicKey, STATEMENT_NAMESPACE, SignError, Signature, Signer,
    SshSigWrap,
};

use crate::error::Error;

/// What a security key needs from its person, asked by the library.
pub trait FidoCallbacks: Send + Sync {
    /// The device is about to be asked for a signature by `key`: tell the
    /// person to touch it.
    fn touch(&self, key: &PublicKey);

    /// The PIN of the device holding `key`, which requires user
    /// verification; `None` lets ssh-keygen ask on the terminal.
    fn pin(&self, _key: &PublicKey) -> Option<crate::Passphrase> {
        None
    }
}

/// The environment variable that makes a vouch binary answer as ssh-keygen's
/// `SSH_ASKPASS` program: set to `1`, the binary prints the value of
/// [`ASKPASS_PIN_ENV`] and exits, whatever its arguments.
pub const ASKPASS_ENV: &str = "VOUCH_ASKPASS";

/// The PIN handed to the askpass program (only in ssh-keygen's
/// environment, for one signature).
pub const ASKPASS_PIN_ENV: &str = "VOUCH_ASKPASS_PIN";

/// What `STUB.state` records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StubState {
    /// The key was made with user verification required (its PIN is
    /// needed for every signature).
    pub require_uv: bool,
    /// The signature counter the device reported last.
    pub last_counter: Option<u32>,
}

impl StubState {
    fn read(path: &Path) -> Result<Self, Error> {
        let text = match read_small(path) {
            Ok(t) => String::from_utf8_lossy(&t).into_owned(),
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                return Ok(StubState::default());
            }
            Err(e) => return Err(e),
        };
        let bad = |line: &str| Error::Fido {
            what: "read the credential",
            detail: format!(
                "{}: unreadable line {:?}",
                path.display(),
                crate::error::excerpt(line)
            ),
        };
        let mut state = StubState::default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match line.split_once('=') {
                Some(("require-uv", v)) => state.require_uv = v.trim() == "true",
                Some(("last-counter", v)) => {
                    state.last_counter = Some(v.trim().parse().map_err(|_| bad(line))?)
                }
                _ => return Err(bad(line)),
            }
        }
        Ok(state)
    }

    fn write(&self, path: &Path) -> Result<(), Error> {
        let mut text = format!("require-uv={}\n", self.require_uv);
        if let Some(c) = self.last_counter {
            text.push_str(&format!("last-counter={c}\n"));
        }
        std::fs::write(path, text).map_err(Error::io("write", path))
    }
}

/// Callbacks that say nothing (ssh-keygen still prints its own prompt).
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

impl FidoCallbacks for Silent {
    fn touch(&self, _key: &PublicKey) {}
}

/// How ssh-keygen is run.
#[derive(Debug, Clone)]
pub struct FidoOptions {
    /// The ssh-keygen program (default `ssh-keygen` on `PATH`).
    pub program: PathBuf,
    /// The security-key middleware (`SSH_SK_PROVIDER`); `None` uses
    /// OpenSSH's built-in USB HID support, or whatever `SSH_SK_PROVIDER`
    /// already says in the environment.
    pub provider: Option<PathBuf>,
    /// A program that answers ssh-keygen's PIN prompt when [`ASKPASS_ENV`]
    /// is `1` (the vouch CLI binaries do); without one, a PIN from the
    /// callbacks cannot be passed and ssh-keygen asks on the terminal.
    pub askpass: Option<PathBuf>,
}

impl Default for FidoOptions {
    fn default() -> Self {
        FidoOptions {
            program: PathBuf::from("ssh-keygen"),
            provider: None,
            askpass: None,
        }
    }
}

impl FidoOptions {
    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        if let Some(p) = &self.provider {
            c.env("SSH_SK_PROVIDER", p);
        }
        c
    }
}

/// A new credential: the key, and its enrollment attestation as
/// ssh-keygen wrote it, with the challenge it was made over (for
/// `vouch roster add-key --fido-attestation FILE --challenge FILE`).
#[derive(Debug)]
pub struct Enrollment {
    /// The key.
    pub key: FidoKey,
    /// The `ssh-sk-attest-v01` file's bytes (at `STUB.attestation`).
    pub attestation: Vec<u8>,
    /// The enrollment challenge (at `STUB.challenge`).
    pub challenge: Vec<u8>,
}

/// A credential on a FIDO2 security key, used through ssh-keygen.
pub struct FidoKey {
    stub: PathBuf,
    public: PublicKey,
    options: FidoOptions,
    callbacks: Arc<dyn FidoCallbacks>,
    state: std::sync::Mutex<StubState>,
}

impl std::fmt::Debug for FidoKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FidoKey")
            .field("stub", &self.stub)
            .field("key_id", &self.public.key_id())
            .finish_non_exhaustive()
    }
}

/// The most bytes read from a file beside the stub or written by
/// ssh-keygen (public key lines, attestations, signatures, the state: all
/// small).
pub const MAX_SIDE_FILE: u64 = 64 * 1024;

/// Reads a small file: a regular file (a FIFO is refused, not waited on)
/// of at most [`MAX_SIDE_FILE`] bytes.
fn read_small(path: &Path) -> Result<Vec<u8>, Error> {
    crate::file::fs::read_bounded(path, MAX_SIDE_FILE)
}

/// `PATH` with `suffix` appended to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Runs `c` with the terminal's standard input and error, so that
/// ssh-keygen's own prompts (touch the key, enter its PIN) reach the person.
fn run(mut c: Command, what: &'static str) -> Result<(), Error> {
    let status = c
        .stdin(Stdio::inherit())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .map_err(|source| Error::Fido {
            what,
            detail: format!("cannot run ssh-keygen: {source}"),
        })?;
    if status.success() {
        return Ok(());
    }
    Err(Error::Fido {
        what,
        detail: format!("ssh-keygen failed ({status}); its message is above"),
    })
}

impl FidoKey {
    /// Makes a credential on the security key with ssh-keygen: `algorithm`
    /// (Ed25519 or ES256), scoped to `application` (`ssh:` or
    /// `ssh:SOMETHING`, as OpenSSH requires), asking for user verification
    /// on every signature when `require_uv`. The stub goes to `stub` (and
    /// `stub.pub`), the attestation to `stub.attestation` and the random
    /// enrollment challenge to `stub.challenge`; none of them may exist.
    pub fn generate(
        stub: &Path,
        algorithm: Algorithm,
        application: &str,
        require_uv: bool,
        options: FidoOptions,
    ) -> Result<Enrollment, Error> {
        if !application.starts_with("ssh:") {
            return Err(Error::Fido {
                what: "make a credential",
                detail: format!(
                    "application {:?} must start with ssh: (OpenSSH's rule)",
                    crate::error::excerpt(application)
                ),
            });
        }
        let attestation = with_suffix(stub, ".attestation");
        let challenge = with_suffix(stub, ".challenge");
        let state = with_suffix(stub, ".state");
        for p in [
            stub.to_path_buf(),
            with_suffix(stub, ".pub"),
            attestation.clone(),
            challenge.clone(),
            state.clone(),
        ] {
            if p.exists() {
                return Err(Error::AlreadyExists { path: p });
            }
        }
        let mut nonce = [0u8; 32];
        getrandom::fill(&mut nonce).map_err(Error::random)?;
        std::fs::write(&challenge, nonce).map_err(Error::io("write", &challenge))?;
        let kind = match algorithm {
            Algorithm::Ed25519 => "ed25519-sk",
            _ => "ecdsa-sk",
        };
        let mut c = options.command();
        c.args(["-q", "-t", kind, "-N", "", "-C", "vouch security key", "-O"])
            .arg(format!("application={application}"))
            .arg("-O")
            .arg(format!("write-attestation={}", attestation.display()))
            .arg("-O")
            .arg(format!("challenge={}", challenge.display()));
        if require_uv {
            c.args(["-O", "verify-required"]);
        }
        c.arg("-f").arg(stub);
        if let Err(e) = run(c, "make a credential") {
            // Nothing was made: leave no challenge behind either.
            let _ = std::fs::remove_file(&challenge);
            return Err(e);
        }
        StubState {
            require_uv,
            last_counter: None,
        }
        .write(&state)?;
        let key = FidoKey::open(stub, options, Arc::new(Silent))?;
        let attestation = read_small(&attestation)?;
        Ok(Enrollment {
            key,
            attestation,
            challenge: nonce.to_vec(),
        })
    }

    /// The credential whose stub ssh-keygen wrote at `stub` (its public key
    /// read from `stub.pub`).
    pub fn open(
        stub: &Path,
        options: FidoOptions,
        callbacks: Arc<dyn FidoCallbacks>,
    ) -> Result<Self, Error> {
        let pub_path = with_suffix(stub, ".pub");
        let line = String::from_utf8_lossy(&read_small(&pub_path)?).into_owned();
        let public = PublicKey::from_openssh(line.trim()).map_err(|source| Error::Fido {
            what: "read the credential",
            detail: format!("{}: {source}", pub_path.display()),
        })?;
        if public.fido_application().is_none() {
            return Err(Error::Fido {
                what: "read the credential",
                detail: format!("{} is not a security-key (sk-) key", pub_path.display()),
            });
        }
        if !stub.is_file() {
            return Err(Error::Fido {
                what: "read the credential",
                detail: format!("the stub {} is missing", stub.display()),
            });
        }
        let state = StubState::read(&with_suffix(stub, ".state"))?;
        Ok(FidoKey {
            stub: stub.to_path_buf(),
            public,
            options,
            callbacks,
            state: std::sync::Mutex::new(state),
        })
    }

    /// What `STUB.state` says (user verification, last counter).
    pub fn state(&self) -> StubState {
        *self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The stub file.
    pub fn stub(&self) -> &Path {
        &self.stub
    }

    /// An SSHSIG by the device over `message` in `namespace`, made by
    /// `ssh-keygen -Y sign` and checked before it is returned.
    pub fn sign_sshsig(
        &self,
        namespace: &str,
        hash: HashAlgorithm,
        message: &[u8],
    ) -> Result<SshSig, Error> {
        self.callbacks.touch(&self.public);
        let mut nonce = [0u8; 16];
        getrandom::fill(&mut nonce).map_err(Error::random)?;
        let file = std::env::temp_dir().join(format!("vouch-fido-{}", hex_of(&nonce)));
        let sig_path = with_suffix(&file, ".sig");
        let result = (|| {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&file)
                .map_err(Error::io("create", &file))?;
            std::io::Write::write_all(&mut f, message).map_err(Error::io("write", &file))?;
            drop(f);
            let mut c = self.options.command();
            let state = self.state();
            if state.require_uv
                && let Some(askpass) = &self.options.askpass
                && let Some(pin) = self.callbacks.pin(&self.public)
            {
                let pin = std::str::from_utf8(pin.as_bytes()).map_err(|_| Error::Fido {
                    what: "sign",
                    detail: "the PIN is not UTF-8 text".into(),
                })?;
                c.env("SSH_ASKPASS", askpass)
                    .env("SSH_ASKPASS_REQUIRE", "force")
                    .env(ASKPASS_ENV, "1")
                    .env(ASKPASS_PIN_ENV, pin);
            }
            c.args(["-Y", "sign", "-q", "-n", namespace, "-O"])
                .arg(format!("hashalg={}", hash.name()))
                .arg("-f")
                .arg(&self.stub)
                .arg(&file);
            run(c, "sign")?;
            let armored = read_small(&sig_path)?;
            let sig = SshSig::from_armored(&armored).map_err(|e| Error::Fido {
                what: "sign",
                detail: format!("ssh-keygen wrote an unreadable signature: {e}"),
            })?;
            if sig.public_key() != &self.public {
                return Err(Error::Fido {
                    what: "sign",
                    detail: format!(
                        "ssh-keygen signed with key {}, not the stub's {}",
                        sig.public_key().key_id(),
                        self.public.key_id()
                    ),
                });
            }
            sig.verify(namespace, message).map_err(|e| Error::Fido {
                what: "sign",
                detail: format!("the device's signature does not verify: {e}"),
            })?;
            if let Some(Evidence::Fido(a)) = sig.signature().evidence() {
                let mut state = self
                    .state
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                state.last_counter = Some(a.counter);
                state.write(&with_suffix(&self.stub, ".state"))?;
            }
            Ok(sig)
        })();
        let _ = std::fs::remove_file(&file);
        let _ = std::fs::remove_file(&sig_path);
        result
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Signer for FidoKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn key_id(&self) -> KeyId {
        self.public.key_id()
    }

    /// Signs through `ssh-keygen -Y sign` in vouch's statement namespace;
    /// the evidence says so, so that the signature verifies over `message`.
    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        let backend = |e: Error| SignError::Backend {
            key_id: self.public.key_id(),
            source: Box::new(e),
        };
        let hash = HashAlgorithm::Sha256;
        let sig = self
            .sign_sshsig(STATEMENT_NAMESPACE, hash, message)
            .map_err(backend)?;
        let Some(Evidence::Fido(a)) = sig.signature().evidence() else {
            return Err(backend(Error::Fido {
                what: "sign",
                detail: "the device's signature has no authenticator data".into(),
            }));
        };
        let a = a.clone().with_sshsig(SshSigWrap {
            namespace: STATEMENT_NAMESPACE.to_owned(),
            hash,
        });
        let signature = sig.signature().clone().with_evidence(Evidence::Fido(a));
        self.public.verify(message, &signature).map_err(|e| {
            backend(Error::Fido {
                what: "sign",
                detail: format!("the statement signature does not verify: {e}"),
            })
        })?;
        Ok(signature)
    }
}
