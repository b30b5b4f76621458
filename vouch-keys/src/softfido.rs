//! A software FIDO authenticator: the exact signature format of a FIDO2
//! security key (authenticator data with flags and a counter, as OpenSSH
//! `sk-` keys use), made by an ordinary key in memory.
//!
//! It exists for tests and demos, so the whole chain, including policies
//! that demand user presence, runs on any machine. It proves nothing about
//! hardware: a roster should never mark its keys as
//! [`HardwareClaim::FidoAuthenticator`](https://docs.rs/vouch-manifest).

use std::io::{Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use vouch_core::{
    Algorithm, AuthenticatorFlags, Evidence, FidoAssertion, KeyId, PublicKey, SignError, Signature,
    Signer,
};

use crate::error::Error;
use crate::file::FileKey;

mod attestation;

pub use attestation::TestAttestationCa;

/// Whether the simulated person touches (and verifies on) the authenticator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Touched: the user-present flag is set.
    Touch,
    /// Touched and verified with a PIN: user-present and user-verified flags.
    TouchAndPin,
    /// Nobody touched it (as a key configured `no-touch-required` signs).
    Absent,
}

impl Presence {
    fn flags(self) -> AuthenticatorFlags {
        AuthenticatorFlags(match self {
            Presence::Touch => AuthenticatorFlags::USER_PRESENT,
            Presence::TouchAndPin => {
                AuthenticatorFlags::USER_PRESENT | AuthenticatorFlags::USER_VERIFIED
            }
            Presence::Absent => 0,
        })
    }
}

/// A software authenticator around a [`FileKey`], scoped to an application
/// (relying party id) such as `ssh:`.
///
/// ```
/// use vouch_core::{Algorithm, Evidence, Signer};
/// use vouch_keys::{FileKey, softfido::{Presence, SoftAuthenticator}};
/// let auth = SoftAuthenticator::new(FileKey::generate(Algorithm::Ed25519)?, "ssh:", Presence::Touch)?;
/// assert!(auth.public_key().to_openssh().starts_with("sk-ssh-ed25519@openssh.com "));
/// let sig = auth.try_sign(b"commit")?;
/// let Some(Evidence::Fido(a)) = sig.evidence() else { panic!("FIDO evidence expected") };
/// assert!(a.flags.user_present());
/// auth.public_key().verify(b"commit", &sig)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SoftAuthenticator {
    key: FileKey,
    public: PublicKey,
    application: String,
    presence: Presence,
    counter: Counter,
}

/// Where the signature counter lives.
#[derive(Debug)]
enum Counter {
    /// In memory, for one process.
    Memory(AtomicU32),
    /// In a file beside the key, so that separate processes (one per
    /// commit under `git rebase -S`) continue one sequence, as a device's
    /// counter does.
    File(PathBuf),
}

impl Counter {
    /// The next counter value.
    fn next(&self) -> Result<u32, Error> {
        match self {
            Counter::Memory(c) => Ok(c.fetch_add(1, Ordering::Relaxed).wrapping_add(1)),
            Counter::File(path) => {
                let mut options = std::fs::OpenOptions::new();
                options.read(true).write(true).create(true).truncate(false);
                // A regular file, checked on the opened file: a FIFO is
                // refused, not waited on.
                let (mut file, _) = crate::file::fs::open_regular_with(path, options)?;
                let io = |action| Error::io(action, path);
                // Exclusive while read, incremented and written: two
                // signers at once get two values.
                file.lock().map_err(io("lock"))?;
                let last = read_counter(&mut file, path)?;
                let next = last.checked_add(1).ok_or_else(|| {
                    io("advance")(std::io::Error::other(
                        "the counter reached its maximum (2^32 - 1)",
                    ))
                })?;
                file.set_len(0)
                    .and_then(|()| file.rewind())
                    .and_then(|()| writeln!(file, "{next}"))
                    .and_then(|()| file.sync_data())
                    .map_err(io("write"))?;
                Ok(next)
            }
        }
    }

    /// The value the last signature used, without advancing it: what an
    /// enrollment reports. A counter file not yet created reads as 0, the
    /// value before the first signature.
    fn current(&self) -> Result<u32, Error> {
        match self {
            Counter::Memory(c) => Ok(c.load(Ordering::Relaxed)),
            Counter::File(path) => {
                let mut file = match crate::file::fs::open_regular(path) {
                    Ok((f, _)) => f,
                    Err(Error::Io { source, .. })
                        if source.kind() == std::io::ErrorKind::NotFound =>
                    {
                        return Ok(0);
                    }
                    Err(e) => return Err(e),
                };
                // Shared, so a signer's write in progress is never read half done.
                file.lock_shared().map_err(Error::io("lock", path))?;
                read_counter(&mut file, path)
            }
        }
    }
}

/// The largest counter file read, in bytes: it holds a decimal u32 and a
/// newline.
pub const MAX_COUNTER_FILE: u64 = 64;

/// Reads the counter in the opened (and locked) counter `file`.
fn read_counter(file: &mut std::fs::File, path: &Path) -> Result<u32, Error> {
    let size = file.metadata().map_err(Error::io("inspect", path))?.len();
    let bytes = crate::file::fs::read_opened(&mut *file, path, size, MAX_COUNTER_FILE)?;
    std::str::from_utf8(&bytes)
        .map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "the counter is not text")
        })
        .and_then(parse_counter)
        .map_err(Error::io("read the counter file", path))
}

/// A counter file's text: a decimal u32, or nothing before the first signature.
fn parse_counter(text: &str) -> Result<u32, std::io::Error> {
    match text.trim() {
        "" => Ok(0),
        t => t.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not a counter: {:?}", crate::error::excerpt(t)),
            )
        }),
    }
}

/// The counter file of the software authenticator whose key is at `key`:
/// `KEY.counter` beside it.
pub fn counter_path(key: &Path) -> PathBuf {
    let mut name = key.as_os_str().to_owned();
    name.push(".counter");
    PathBuf::from(name)
}

impl SoftAuthenticator {
    /// Wraps `key` as an authenticator credential for `application`.
    ///
    /// The counter starts from the current Unix time (in seconds, which
    /// fits a u32 until 2106) so it keeps increasing across runs, as a real
    /// authenticator's does.
    pub fn new(key: FileKey, application: &str, presence: Presence) -> Result<Self, Error> {
        let public = key
            .public_key()
            .clone()
            .with_fido_application(application)
            .map_err(|source| Error::InvalidApplication {
                application: crate::error::excerpt(application),
                source,
            })?;
        let start = vouch_core::Timestamp::now().unix_seconds();
        let counter = Counter::Memory(AtomicU32::new(u32::try_from(start).unwrap_or(u32::MAX)));
        Ok(SoftAuthenticator {
            key,
            public,
            application: application.to_owned(),
            presence,
            counter,
        })
    }

    /// Opens the software authenticator whose key file is `path`, its
    /// counter persisted in [`counter_path`]`(path)` (created at the first
    /// signature, starting at 1) and increased by every signature, across
    /// processes, as a CTAP2 authenticator's is.
    pub fn open(
        path: &Path,
        passphrase: Option<&crate::Passphrase>,
        application: &str,
        presence: Presence,
    ) -> Result<Self, Error> {
        let mut a =
            SoftAuthenticator::new(FileKey::load(path, passphrase)?, application, presence)?;
        a.counter = Counter::File(counter_path(path));
        Ok(a)
    }

    /// A new authenticator with a fresh key.
    pub fn generate(
        algorithm: Algorithm,
        application: &str,
        presence: Presence,
    ) -> Result<Self, Error> {
        SoftAuthenticator::new(FileKey::generate(algorithm)?, application, presence)
    }

    /// Changes whether the next signatures are touched.
    pub fn set_presence(&mut self, presence: Presence) {
        self.presence = presence;
    }

    /// The application the credential is scoped to.
    pub fn application(&self) -> &str {
        &self.application
    }
}

impl Signer for SoftAuthenticator {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn key_id(&self) -> KeyId {
        self.public.key_id()
    }

    fn try_sign(&self, message: &[u8]) -> Result<Signature, SignError> {
        let counter = self.counter.next().map_err(|e| SignError::Backend {
            key_id: self.key_id(),
            source: Box::new(e),
        })?;
        let assertion = FidoAssertion::new(&self.application, self.presence.flags(), counter);
        // The authenticator signs its own data followed by the message hash,
        // exactly as a CTAP2 device (and OpenSSH's sk- keys) do.
        let sig = self.key.try_sign(&assertion.signed_data(message))?;
        Ok(sig.with_evidence(Evidence::Fido(assertion)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_counter_file_continues_across_openings() {
        let dir = std::env::temp_dir().join(format!("vouch-softfido-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key");
        FileKey::generate(Algorithm::Ed25519)
            .unwrap()
            .save(&path, None)
            .unwrap();
        let counters: Vec<u32> = (0..3)
            .map(|_| {
                let a = SoftAuthenticator::open(&path, None, "ssh:", Presence::Touch).unwrap();
                let sig = a.try_sign(b"m").unwrap();
                let Some(Evidence::Fido(f)) = sig.evidence() else {
                    panic!("evidence missing")
                };
                f.counter
            })
            .collect();
        assert_eq!(counters, [1, 2, 3]);
        std::fs::write(counter_path(&path), "garbage").unwrap();
        let a = SoftAuthenticator::open(&path, None, "ssh:", Presence::Touch).unwrap();
        let e = a.try_sign(b"m").unwrap_err();
        assert!(
            vouch_core::text::error_chain(&e).contains("not a counter"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn presence_flags_and_counter() {
        for alg in [Algorithm::Ed25519, Algorithm::Es256] {
            let mut a = SoftAuthenticator::generate(alg, "ssh:", Presence::Absent).unwrap();
            let s1 = a.try_sign(b"m").unwrap();
            a.set_presence(Presence::TouchAndPin);
            let s2 = a.try_sign(b"m").unwrap();
            let (Some(Evidence::Fido(f1)), Some(Evidence::Fido(f2))) =
                (s1.evidence(), s2.evidence())
            else {
                panic!("evidence missing")
            };
            assert!(!f1.flags.user_present());
            assert!(f2.flags.user_present() && f2.flags.user_verified());
            assert!(f2.counter > f1.counter);
            a.public_key().verify(b"m", &s1).unwrap();
            a.public_key().verify(b"m", &s2).unwrap();
            // The plain key does not accept the authenticator's signature as its own.
            assert!(
                a.key
                    .public_key()
                    .verify(b"m", &Signature::new(alg, s2.value()).unwrap())
                    .is_err()
            );
        }
    }
}
