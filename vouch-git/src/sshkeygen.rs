//! The verification half of `ssh-keygen -Y` as git calls it through
//! `gpg.ssh.program`: `verify`, `check-novalidate` and `find-principals`.
//!
//! The steps, in the order `ssh-keygen` (and `vouch-git-ssh`) takes them:
//!
//! 1. read the armored signature ([`parse_signature`]);
//! 2. hash the message and check the signature over it in the namespace
//!    ([`verify_message`]);
//! 3. with `-r`, refuse a key listed in the revoked keys file
//!    ([`RevokedKeys`]);
//! 4. with `-f ALLOWED -I PRINCIPAL` (`verify`, not `check-novalidate`), the
//!    allowed signers file must let the key sign for the principal in the
//!    namespace at the verify time ([`AllowedSigners::check`]);
//! 5. answer: the line git reads on standard output ([`GoodSignature`]).
//!
//! `find-principals` is [`AllowedSigners::find_principals`] on the
//! signature's key, answered one principal per line ([`principals_answer`]).
//!
//! [`verify`] runs steps 1 to 4 on inputs already in memory. A caller that
//! reads files (the CLI) runs the same steps one by one, so that a file it
//! does not need is never read. Reading files, parsing the command line and
//! printing stay with the caller.

use std::fmt;
use std::io::Read;

use vouch_core::sshsig::{SshSig, SshSigError, VerifiedSshSig};
use vouch_core::{AuthenticatorFlags, FidoAssertion, KeyId, PublicKey, Timestamp};

use crate::allowed_signers::{AllowedSigner, AllowedSigners, CivilTime, SignerRefusal};

/// The first bytes of a binary OpenSSH key revocation list.
const KRL_MAGIC: &[u8] = b"SSHKRL\n\0";

/// Step 1: the armored SSHSIG of a signature file (`-s`).
pub fn parse_signature(bytes: &[u8]) -> Result<SshSig, SshSigError> {
    SshSig::parse(bytes)
}

/// Step 2: hashes `message` with the signature's hash and checks the
/// signature over it in `namespace`.
pub fn verify_message(
    sig: &SshSig,
    namespace: &str,
    message: &mut dyn Read,
) -> Result<VerifiedSshSig, MessageError> {
    let mut hasher = sig.message_hasher();
    std::io::copy(message, &mut hasher).map_err(MessageError::Read)?;
    sig.verify_hashed(namespace, hasher)
        .map_err(MessageError::Signature)
}

/// Why [`verify_message`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// The message could not be read.
    #[error("cannot read the message")]
    Read(#[source] std::io::Error),
    /// The signature does not verify over the message.
    #[error("signature verification failed")]
    Signature(#[source] SshSigError),
}

/// Step 3: an `ssh-keygen -r` revoked keys file, as plain public key lines
/// (optionally with an options field before the key). Blank lines, `#`
/// comments and lines that are not a key vouch reads are skipped; a binary
/// KRL is refused rather than ignored.
#[derive(Clone, Debug, Default)]
pub struct RevokedKeys {
    keys: Vec<PublicKey>,
}

impl RevokedKeys {
    /// Reads a revoked keys file.
    pub fn parse(bytes: &[u8]) -> Result<Self, RevokedKeysError> {
        if bytes.starts_with(KRL_MAGIC) {
            return Err(RevokedKeysError::BinaryKrl);
        }
        let text = String::from_utf8_lossy(bytes);
        let keys = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(|line| {
                PublicKey::from_openssh(line).ok().or_else(|| {
                    // An options field before the key.
                    let (_, rest) = line.split_once([' ', '\t'])?;
                    PublicKey::from_openssh(rest.trim_start()).ok()
                })
            })
            .collect();
        Ok(RevokedKeys { keys })
    }

    /// Whether `key` is listed.
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.keys.contains(key)
    }

    /// Refuses `key` when it is listed.
    pub fn check(&self, key: &PublicKey) -> Result<(), Revoked> {
        if self.contains(key) {
            return Err(Revoked {
                key_id: key.key_id(),
            });
        }
        Ok(())
    }
}

/// Why a revoked keys file was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevokedKeysError {
    /// The file is a binary KRL, which vouch does not read.
    #[error("a binary KRL, which vouch cannot read; list revoked public keys one per line instead")]
    BinaryKrl,
}

/// A key listed in the revoked keys file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("key {} is revoked", key_id.ssh_fingerprint())]
pub struct Revoked {
    /// The id of the revoked signing key.
    pub key_id: KeyId,
}

/// What `-Y verify` checks the signer against (absent for
/// `-Y check-novalidate`).
#[derive(Clone, Copy, Debug)]
pub struct SignerCheck<'a> {
    /// The allowed signers file.
    pub allowed: &'a AllowedSigners,
    /// The principal git asks about (`-I`).
    pub principal: &'a str,
}

/// The inputs of one `-Y verify` or `-Y check-novalidate`, in memory.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The namespace (`-n`), `git` for commits.
    pub namespace: &'a str,
    /// The armored signature (`-s`).
    pub signature: &'a [u8],
    /// The revoked keys (`-r`), if any.
    pub revoked: Option<&'a RevokedKeys>,
    /// The allowed signers and principal; `None` for `check-novalidate`.
    pub signer: Option<SignerCheck<'a>>,
    /// The time the allowed signers' validity is judged at (`-Overify-time`,
    /// else now).
    pub verify_time: Timestamp,
}

/// Steps 1 to 4 on inputs in memory: the verified signature, or the first
/// step that refused it. `local` maps the allowed signers file's local
/// times to instants.
pub fn verify(
    request: &Request<'_>,
    message: &mut dyn Read,
    local: &dyn Fn(CivilTime) -> Option<Timestamp>,
) -> Result<VerifiedSshSig, VerifyError> {
    let sig = parse_signature(request.signature).map_err(VerifyError::Parse)?;
    let verified = verify_message(&sig, request.namespace, message)?;
    if let Some(revoked) = request.revoked {
        revoked.check(verified.public_key())?;
    }
    if let Some(s) = request.signer {
        s.allowed.check(
            verified.public_key(),
            s.principal,
            request.namespace,
            request.verify_time,
            local,
        )?;
    }
    Ok(verified)
}

/// Why [`verify`] refused a signature.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The signature file is not an armored SSHSIG.
    #[error("cannot parse the signature")]
    Parse(#[source] SshSigError),
    /// The message could not be read, or the signature does not verify.
    #[error(transparent)]
    Message(#[from] MessageError),
    /// The signing key is revoked.
    #[error(transparent)]
    Revoked(#[from] Revoked),
    /// The allowed signers file does not let the key sign.
    #[error(transparent)]
    Signer(#[from] SignerRefusal),
}

/// The `sshkey_type` name `ssh-keygen` prints (`ED25519`, `ECDSA-SK`, ...).
pub fn key_type_name(key: &PublicKey) -> &'static str {
    match key.ssh_key_type() {
        "ssh-ed25519" => "ED25519",
        "ecdsa-sha2-nistp256" => "ECDSA",
        "sk-ssh-ed25519@openssh.com" => "ED25519-SK",
        "sk-ecdsa-sha2-nistp256@openssh.com" => "ECDSA-SK",
        _ => "UNKNOWN",
    }
}

/// Step 5: the line git reads on standard output after a good signature,
/// `Good "git" signature for PRINCIPAL with TYPE key SHA256:...` (without
/// a principal for `check-novalidate`). Displayed with its newline.
#[derive(Clone, Copy, Debug)]
pub struct GoodSignature<'a> {
    /// The namespace.
    pub namespace: &'a str,
    /// The principal verified for, if any.
    pub principal: Option<&'a str>,
    /// The signing key.
    pub key: &'a PublicKey,
}

impl fmt::Display for GoodSignature<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let namespace = self.namespace;
        let key_type = key_type_name(self.key);
        let fingerprint = self.key.key_id().ssh_fingerprint();
        match self.principal {
            Some(p) => writeln!(
                f,
                "Good \"{namespace}\" signature for {p} with {key_type} key {fingerprint}"
            ),
            None => writeln!(
                f,
                "Good \"{namespace}\" signature with {key_type} key {fingerprint}"
            ),
        }
    }
}

/// What a security key signature's authenticator data says, as one line:
/// `security key signature: user present, verified, counter N`.
pub fn security_key_note(a: &FidoAssertion) -> String {
    format!(
        "security key signature: {}, counter {}",
        user_presence(a.flags),
        a.counter
    )
}

/// The user-presence and user-verification flags in words:
/// `user present, verified`, `user NOT present, not verified`, ...
pub fn user_presence(flags: AuthenticatorFlags) -> String {
    format!(
        "user {}, {}",
        if flags.user_present() {
            "present"
        } else {
            "NOT present"
        },
        if flags.user_verified() {
            "verified"
        } else {
            "not verified"
        }
    )
}

/// The `find-principals` answer: the principals of the matching line, one
/// per line.
pub fn principals_answer(entry: &AllowedSigner) -> String {
    let mut out = String::new();
    for p in entry.principal_names() {
        out.push_str(p);
        out.push('\n');
    }
    out
}
