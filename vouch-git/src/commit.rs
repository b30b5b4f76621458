//! Git commit objects, their SSH signatures, and who in the roster made them.
//!
//! A commit object is the text git hashes to name a commit (without the
//! `commit <length>\0` prefix that the hash also covers):
//!
//! ```text
//! tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904
//! parent 0e4f5d1c...            (zero or more)
//! author Alice <alice@example.com> 1764000000 +0100
//! committer Alice <alice@example.com> 1764000000 +0100
//! gpgsig -----BEGIN SSH SIGNATURE-----
//!  U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg...
//!  -----END SSH SIGNATURE-----
//!
//! The message.
//! ```
//!
//! With `gpg.format=ssh`, git signs the object *without* its signature
//! header through `ssh-keygen -Y sign -n git` and stores the armored SSHSIG
//! in the header (`gpgsig` in SHA-1 repositories, `gpgsig-sha256` in
//! SHA-256 ones), one line per armor line, continuation lines starting with
//! a space. [`CommitObject::parse`] recovers the signed payload exactly as
//! git's `parse_buffer_signed_by_header` (commit.c) does: the signature
//! header of the repository's hash and its continuation lines are taken
//! out, as is any signature header for the other hash, and everything from
//! the first empty line on is kept as it is.
//!
//! [`verify_commit`] then checks everything a verifier needs, in this order:
//! the object hashes to the id it was asked for (SHA-1 with collision
//! detection, as git's sha1dc, or SHA-256), it carries an SSH signature in
//! namespace `git` that verifies over the payload, and the signing key
//! belonged to a roster identity at the committer time.
//!
//! ```no_run
//! # fn roster() -> vouch_manifest::TrustedRoster { unimplemented!() }
//! use vouch_git::commit::verify_commit;
//! // raw = the output of `git cat-file commit <id>`
//! let raw = std::fs::read("commit.bin")?;
//! let id = "1f6d4a7e0c1b2a3d4e5f60718293a4b5c6d7e8f9".parse()?;
//! let verified = verify_commit(&raw, &id, &roster())?;
//! println!("{} signed by {} with key {}", verified.id(), verified.signer(), verified.key_id());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;

use vouch_core::sshsig::{SshSig, SshSigError, VerifiedSshSig};
use vouch_core::{DigestAlgorithm, FidoAssertion, Hasher, KeyId, PublicKey, Signature, Timestamp};

use vouch_manifest::{
    ClaimedTimeTrust, Commit, GitObjectId, GitPerson, IdentityId, RosterError, SignedThing,
    TrustedRoster,
};

/// Largest commit object accepted (4 MiB). Real commits are a few KiB; the
/// bound keeps a hostile object from costing memory or time.
pub const MAX_COMMIT_LEN: usize = 4 * 1024 * 1024;

/// The SSHSIG namespace git signs commits (and tags) in.
pub const SIGNATURE_NAMESPACE: &str = "git";

/// Largest number of parents accepted (octopus merges have dozens at most).
pub const MAX_PARENTS: usize = 1024;

/// The hash a repository names its objects with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectFormat {
    /// SHA-1 (40 hex digits), the default.
    Sha1,
    /// SHA-256 (64 hex digits), `git init --object-format=sha256`.
    Sha256,
}

impl ObjectFormat {
    /// The format an object id belongs to, by its length.
    pub fn of_id(id: &GitObjectId) -> Self {
        if id.is_sha256() {
            ObjectFormat::Sha256
        } else {
            ObjectFormat::Sha1
        }
    }

    /// The name git uses (`sha1`, `sha256`).
    pub fn name(self) -> &'static str {
        match self {
            ObjectFormat::Sha1 => "sha1",
            ObjectFormat::Sha256 => "sha256",
        }
    }

    /// Hex digits of an object id.
    pub fn hex_len(self) -> usize {
        match self {
            ObjectFormat::Sha1 => 40,
            ObjectFormat::Sha256 => 64,
        }
    }

    /// The commit header holding the signature made over this format's
    /// object (`gpgsig`, `gpgsig-sha256`).
    pub fn signature_header(self) -> &'static str {
        match self {
            ObjectFormat::Sha1 => "gpgsig",
            ObjectFormat::Sha256 => "gpgsig-sha256",
        }
    }
}

impl fmt::Display for ObjectFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An author or committer line: `Name <email> seconds ±hhmm`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    /// The name (may be empty).
    pub name: String,
    /// The email address (between `<` and `>`; may be empty).
    pub email: String,
    /// The instant.
    pub time: Timestamp,
    /// The zone the person was in, in minutes east of UTC.
    pub utc_offset_minutes: i32,
}

impl Ident {
    /// The statement form (name, email, instant).
    pub fn to_person(&self) -> GitPerson {
        GitPerson {
            name: self.name.clone(),
            email: self.email.clone(),
            time: self.time,
        }
    }

    /// Parses the value of an `author` / `committer` header.
    pub(crate) fn parse(header: &'static str, value: &[u8]) -> Result<Self, GitError> {
        let bad = |problem| GitError::MalformedIdent { header, problem };
        let text = std::str::from_utf8(value).map_err(|_| bad("not UTF-8"))?;
        let open = text.find('<').ok_or(bad("no <email>"))?;
        let close = open + text[open..].find('>').ok_or(bad("no closing >"))?;
        let name = text[..open].trim_end_matches(' ');
        let email = &text[open + 1..close];
        let date = text[close + 1..]
            .strip_prefix(' ')
            .ok_or(bad("no date after the email"))?;
        let (secs, zone) = date
            .split_once(' ')
            .ok_or(bad("date is not `seconds ±hhmm`"))?;
        if secs.is_empty() || secs.len() > 18 || !secs.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("timestamp is not decimal seconds"));
        }
        let secs: i64 = secs.parse().map_err(|_| bad("timestamp out of range"))?;
        let time = Timestamp::from_unix_seconds(secs).ok_or(bad("timestamp out of range"))?;
        let zb = zone.as_bytes();
        if zb.len() != 5 || !matches!(zb[0], b'+' | b'-') || !zb[1..].iter().all(u8::is_ascii_digit)
        {
            return Err(bad("zone is not ±hhmm"));
        }
        let digit = |i: usize| i32::from(zb[i] - b'0');
        let minutes = (digit(1) * 10 + digit(2)) * 60 + digit(3) * 10 + digit(4);
        Ok(Ident {
            name: name.to_owned(),
            email: email.to_owned(),
            time,
            utc_offset_minutes: if zb[0] == b'-' { -minutes } else { minutes },
        })
    }
}

impl fmt::Display for Ident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}> {}", self.name, self.email, self.time)
    }
}

/// A parsed commit object: its id (recomputed from the bytes), the
/// structural headers, and the signature split from the signed payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitObject {
    format: ObjectFormat,
    id: GitObjectId,
    tree: GitObjectId,
    parents: Vec<GitObjectId>,
    author: Ident,
    committer: Ident,
    signature: Option<Vec<u8>>,
    payload: Vec<u8>,
    message: Vec<u8>,
}

/// One header line and its continuation lines, as byte ranges of the object.
pub(crate) struct Header<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) value: &'a [u8],
}

/// The object id git gives `raw` (a commit object's bytes) in `format`.
pub fn object_id(raw: &[u8], format: ObjectFormat) -> Result<GitObjectId, GitError> {
    hash_object("commit", raw, format)
}

/// The object id git gives `raw`, an object of type `kind` (`commit`,
/// `tag`), in `format`: the hash of `<kind> <length>\0` and the bytes,
/// SHA-1 with collision detection or SHA-256.
pub fn hash_object(kind: &str, raw: &[u8], format: ObjectFormat) -> Result<GitObjectId, GitError> {
    let prefix = format!("{kind} {}\0", raw.len());
    let hex = match format {
        ObjectFormat::Sha1 => {
            use sha1_checked::Digest as _;
            let mut h = sha1_checked::Sha1::new();
            h.update(prefix.as_bytes());
            h.update(raw);
            match h.try_finalize() {
                sha1_checked::CollisionResult::Ok(out) => hex::encode(out),
                sha1_checked::CollisionResult::Mitigated(out)
                | sha1_checked::CollisionResult::Collision(out) => {
                    return Err(GitError::Sha1Collision {
                        hash: hex::encode(out),
                    });
                }
            }
        }
        ObjectFormat::Sha256 => {
            let mut h = Hasher::new(DigestAlgorithm::Sha256);
            h.update(prefix.as_bytes());
            h.update(raw);
            h.finish().hex()
        }
    };
    hex.parse().map_err(|_| GitError::Malformed {
        problem: "object id could not be formed",
        line: 0,
    })
}

pub(crate) fn object_id_field(
    value: &[u8],
    format: ObjectFormat,
    line: usize,
    problem: &'static str,
) -> Result<GitObjectId, GitError> {
    let bad = GitError::Malformed { problem, line };
    if value.len() != format.hex_len() {
        return Err(bad);
    }
    std::str::from_utf8(value)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or(bad)
}

impl CommitObject {
    /// Parses a commit object (the bytes `git cat-file commit` prints) of a
    /// repository in `format`.
    ///
    /// The headers must start with `tree`, the `parent`s, `author` and
    /// `committer`, in that order, as git writes them; other headers
    /// (`encoding`, `mergetag`, signatures, unknown ones) may follow. At
    /// most one signature header of the repository's format is accepted:
    /// git would silently join two.
    pub fn parse(raw: &[u8], format: ObjectFormat) -> Result<Self, GitError> {
        if raw.len() > MAX_COMMIT_LEN {
            return Err(GitError::TooLarge {
                limit: MAX_COMMIT_LEN,
                actual: raw.len(),
            });
        }
        let id = object_id(raw, format)?;
        let (headers, message) = split_headers(raw)?;

        let mut iter = headers.iter().enumerate().map(|(i, h)| (i + 1, h));
        let mut next = iter.next();
        let tree = match next {
            Some((line, h)) if h.name == b"tree" => object_id_field(
                h.value,
                format,
                line,
                "tree is not an object id of this format",
            )?,
            _ => {
                return Err(GitError::Malformed {
                    problem: "the first header is not tree",
                    line: 1,
                });
            }
        };
        next = iter.next();
        let mut parents = Vec::new();
        while let Some((line, h)) = next {
            if h.name != b"parent" {
                break;
            }
            if parents.len() == MAX_PARENTS {
                return Err(GitError::TooManyParents {
                    line,
                    max: MAX_PARENTS,
                });
            }
            parents.push(object_id_field(
                h.value,
                format,
                line,
                "parent is not an object id of this format",
            )?);
            next = iter.next();
        }
        let author = match next {
            Some((_, h)) if h.name == b"author" => Ident::parse("author", h.value)?,
            other => {
                return Err(GitError::Malformed {
                    problem: "author does not follow tree and parents",
                    line: other.map_or(headers.len() + 1, |(l, _)| l),
                });
            }
        };
        let committer = match iter.next() {
            Some((_, h)) if h.name == b"committer" => Ident::parse("committer", h.value)?,
            other => {
                return Err(GitError::Malformed {
                    problem: "committer does not follow author",
                    line: other.map_or(headers.len() + 1, |(l, _)| l),
                });
            }
        };
        let sig_header = format.signature_header().as_bytes();
        let mut signatures = 0;
        for (line, h) in iter {
            if matches!(h.name, b"tree" | b"parent" | b"author" | b"committer") {
                return Err(GitError::Malformed {
                    problem: "tree, parent, author or committer header out of place",
                    line,
                });
            }
            if h.name == sig_header {
                signatures += 1;
                if signatures > 1 {
                    return Err(GitError::MultipleSignatures {
                        id,
                        header: format.signature_header(),
                    });
                }
            }
        }
        let (payload, signature) = split_signature(raw, format);
        Ok(CommitObject {
            format,
            id,
            tree,
            parents,
            author,
            committer,
            signature,
            payload,
            message: message.to_vec(),
        })
    }

    /// The object format the commit was parsed as.
    pub fn format(&self) -> ObjectFormat {
        self.format
    }

    /// The commit id, computed from the object's bytes.
    pub fn id(&self) -> &GitObjectId {
        &self.id
    }

    /// The tree.
    pub fn tree(&self) -> &GitObjectId {
        &self.tree
    }

    /// The parents, in order.
    pub fn parents(&self) -> &[GitObjectId] {
        &self.parents
    }

    /// The author line.
    pub fn author(&self) -> &Ident {
        &self.author
    }

    /// The committer line.
    pub fn committer(&self) -> &Ident {
        &self.committer
    }

    /// The message (everything after the first empty line).
    pub fn message(&self) -> &[u8] {
        &self.message
    }

    /// The signature text from the repository format's signature header,
    /// as git hands it to the signature program; `None` when unsigned.
    pub fn signature(&self) -> Option<&[u8]> {
        self.signature.as_deref()
    }

    /// The bytes the signature covers: the object without its signature
    /// headers, exactly as git computes them.
    pub fn payload(&self) -> &[u8] {
        &self.payload
    }

    /// The signature's format, when signed.
    pub fn signature_format(&self) -> Option<crate::signature::SignatureFormat> {
        self.signature
            .as_deref()
            .and_then(crate::signature::SignatureFormat::of)
    }

    /// Verifies the commit's OpenPGP signature over the payload with the
    /// certificate in `keyring` that issued it, without judging the key's
    /// validity (the roster does, at the committer time).
    #[cfg(feature = "openpgp")]
    pub fn verify_openpgp_signature<'k, T>(
        &self,
        keyring: &'k crate::openpgp::Keyring<T>,
    ) -> Result<(crate::openpgp::VerifiedOpenPgp, &'k T), GitError> {
        let signature = self
            .signature
            .as_deref()
            .ok_or_else(|| GitError::Unsigned(self.id.clone()))?;
        if self.signature_format() != Some(crate::signature::SignatureFormat::OpenPgp) {
            return Err(GitError::NotOpenPgp {
                id: self.id.clone(),
            });
        }
        let bad = |source| GitError::BadOpenPgp {
            id: self.id.clone(),
            source,
        };
        let sig = crate::openpgp::OpenPgpSignature::from_armored(signature).map_err(bad)?;
        let (cert, value) = keyring
            .find(&sig)
            .ok_or_else(|| GitError::UnknownOpenPgpKey {
                id: self.id.clone(),
                issuer: sig.issuer(),
            })?;
        let verified = cert.verify(&sig, &self.payload).map_err(bad)?;
        Ok((verified, value))
    }

    /// Verifies the commit's SSH signature over the payload in namespace
    /// `git`, without consulting a roster.
    pub fn verify_signature(&self) -> Result<VerifiedSshSig, GitError> {
        let signature = self
            .signature
            .as_deref()
            .ok_or_else(|| GitError::Unsigned(self.id.clone()))?;
        if !signature.starts_with(vouch_core::sshsig::BEGIN_LINE.as_bytes()) {
            let format = if signature.starts_with(b"-----BEGIN PGP ") {
                "OpenPGP"
            } else if signature.starts_with(b"-----BEGIN SIGNED MESSAGE-----") {
                "X.509"
            } else {
                "an unknown format"
            };
            return Err(GitError::NotSsh {
                id: self.id.clone(),
                format,
            });
        }
        SshSig::from_armored(signature)
            .and_then(|s| s.verify(SIGNATURE_NAMESPACE, &self.payload))
            .map_err(|source| GitError::BadSignature {
                id: self.id.clone(),
                source,
            })
    }

    /// Verifies the signature and finds who in `roster` held the signing
    /// key at the committer time, judged now ([`CommitObject::verify_at`]).
    pub fn verify(&self, roster: &TrustedRoster) -> Result<VerifiedCommit, GitError> {
        self.verify_at(roster, Timestamp::now())
    }

    /// Verifies the signature and finds who in `roster` held the signing
    /// key at the committer time, as judged at `now`.
    ///
    /// The committer time is what the committer wrote (`GIT_COMMITTER_DATE`
    /// sets it at will): a key that was revoked or whose window ended by
    /// `now` counts only when the roster grandfathers this commit id,
    /// never on the date alone.
    pub fn verify_at(
        &self,
        roster: &TrustedRoster,
        now: Timestamp,
    ) -> Result<VerifiedCommit, GitError> {
        let sshsig = self.verify_signature()?;
        let key_id = sshsig.key_id();
        let at = self.committer.time;
        let signed = SignedThing {
            statement: None,
            commit: Some(&self.id),
        };
        let standing = roster.key_standing(&key_id, at, now, signed, ClaimedTimeTrust::Refuse);
        let (identity, _, _) = standing.map_err(|e| match e {
            RosterError::UnknownKey(_) => GitError::UnknownKey {
                id: self.id.clone(),
                key_id,
            },
            source => GitError::KeyNotValid {
                id: self.id.clone(),
                at,
                source: Box::new(source),
            },
        })?;
        Ok(VerifiedCommit {
            signer: identity.id.clone(),
            roster_version: roster.version(),
            commit: self.clone(),
            sshsig,
        })
    }
}

/// Splits the headers (with continuation lines joined as git joins them:
/// without the leading space, newline-separated) from the message.
pub(crate) fn split_headers(raw: &[u8]) -> Result<(Vec<Header<'_>>, &[u8]), GitError> {
    let mut headers: Vec<Header<'_>> = Vec::new();
    let mut values: Vec<(usize, usize)> = Vec::new();
    let mut pos = 0;
    let mut line_no = 0;
    let message = loop {
        line_no += 1;
        let rest = &raw[pos..];
        if rest.is_empty() {
            break &raw[raw.len()..];
        }
        let Some(nl) = rest.iter().position(|&b| b == b'\n') else {
            return Err(GitError::Malformed {
                problem: "the headers do not end with a newline",
                line: line_no,
            });
        };
        let line = &rest[..nl];
        let start = pos;
        pos += nl + 1;
        if line.is_empty() {
            break &raw[pos..];
        }
        if line.contains(&0) {
            return Err(GitError::Malformed {
                problem: "NUL byte in a header",
                line: line_no,
            });
        }
        if line[0] == b' ' {
            // Continuation: extends the previous header's value.
            match values.last_mut() {
                Some((_, end)) => *end = start + nl,
                None => {
                    return Err(GitError::Malformed {
                        problem: "continuation line before any header",
                        line: line_no,
                    });
                }
            }
            continue;
        }
        let (name_len, value_start) = match line.iter().position(|&b| b == b' ') {
            Some(sp) => (sp, start + sp + 1),
            None => (nl, start + nl),
        };
        headers.push(Header {
            name: &line[..name_len],
            value: &[],
        });
        values.push((value_start, start + nl));
    };
    // Values are kept as raw ranges (continuation lines still start with a
    // space); the fields read from them (tree, parents, idents) are single
    // lines, and the signature is re-read by `split_signature` as git does.
    for (h, &(s, e)) in headers.iter_mut().zip(&values) {
        h.value = &raw[s..e];
    }
    Ok((headers, message))
}

/// Git's `parse_buffer_signed_by_header`: the payload (the object without
/// any signature header) and the signature of `format`, if any.
fn split_signature(raw: &[u8], format: ObjectFormat) -> (Vec<u8>, Option<Vec<u8>>) {
    let header = format.signature_header().as_bytes();
    let mut payload = Vec::with_capacity(raw.len());
    let mut signature: Option<Vec<u8>> = None;
    let (mut in_signature, mut other_signature) = (false, false);
    let mut pos = 0;
    while pos < raw.len() {
        let rest = &raw[pos..];
        let mut next = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(raw.len(), |nl| pos + nl + 1);
        let line = &raw[pos..next];
        let mut sig_part = None;
        if in_signature && line.first() == Some(&b' ') {
            sig_part = Some(&line[1..]);
        } else if line.starts_with(header) && line.get(header.len()) == Some(&b' ') {
            sig_part = Some(&line[header.len() + 1..]);
            other_signature = false;
        } else if line.starts_with(b"gpgsig") {
            other_signature = true;
        } else if other_signature && line.first() != Some(&b' ') {
            other_signature = false;
        }
        if let Some(part) = sig_part {
            signature
                .get_or_insert_with(Vec::new)
                .extend_from_slice(part);
            in_signature = true;
        } else {
            if line.first() == Some(&b'\n') {
                // Everything from the empty line on is the message.
                next = raw.len();
            }
            if !other_signature {
                payload.extend_from_slice(&raw[pos..next]);
            }
            in_signature = false;
        }
        pos = next;
    }
    (payload, signature)
}

/// A commit whose SSH signature verified and whose signing key a roster
/// identity held at the committer time. Only [`CommitObject::verify`] and
/// [`verify_commit`] make one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCommit {
    commit: CommitObject,
    sshsig: VerifiedSshSig,
    signer: IdentityId,
    roster_version: u64,
}

impl VerifiedCommit {
    /// The commit id.
    pub fn id(&self) -> &GitObjectId {
        self.commit.id()
    }

    /// The commit object.
    pub fn commit(&self) -> &CommitObject {
        &self.commit
    }

    /// The tree.
    pub fn tree(&self) -> &GitObjectId {
        self.commit.tree()
    }

    /// The parents.
    pub fn parents(&self) -> &[GitObjectId] {
        self.commit.parents()
    }

    /// The author line.
    pub fn author(&self) -> &Ident {
        self.commit.author()
    }

    /// The committer line (its time chose the key's validity window).
    pub fn committer(&self) -> &Ident {
        self.commit.committer()
    }

    /// The roster identity that held the key.
    pub fn signer(&self) -> &IdentityId {
        &self.signer
    }

    /// The signing key's id (its OpenSSH `SHA256:` fingerprint is
    /// `key_id().ssh_fingerprint()`).
    pub fn key_id(&self) -> KeyId {
        self.sshsig.key_id()
    }

    /// The signing key.
    pub fn public_key(&self) -> &PublicKey {
        self.sshsig.public_key()
    }

    /// The signature, with [`vouch_core::Evidence::Fido`] when a security key made it.
    pub fn signature(&self) -> &Signature {
        self.sshsig.signature()
    }

    /// The authenticator data (user presence, verification, counter) when
    /// a security key signed.
    pub fn fido(&self) -> Option<&FidoAssertion> {
        self.sshsig.fido()
    }

    /// The verified SSH signature.
    pub fn sshsig(&self) -> &VerifiedSshSig {
        &self.sshsig
    }

    /// The version of the roster the signer was found in.
    pub fn roster_version(&self) -> u64 {
        self.roster_version
    }

    /// The commit attestation predicate for this commit in `repository`.
    pub fn to_predicate(&self, repository: &str) -> Commit {
        Commit {
            repository: repository.to_owned(),
            commit_id: self.id().clone(),
            tree_id: self.tree().clone(),
            parents: self.parents().to_vec(),
            author: self.author().to_person(),
            committer: self.committer().to_person(),
            signer: self.signer.clone(),
        }
    }
}

/// Verifies the commit object `raw` that a repository names `id`: the
/// bytes must hash to `id` (whose length gives the object format), carry an
/// SSH signature in namespace `git` over the payload, by a key that
/// `roster` gives to an identity at the committer time.
pub fn verify_commit(
    raw: &[u8],
    id: &GitObjectId,
    roster: &TrustedRoster,
) -> Result<VerifiedCommit, GitError> {
    let commit = CommitObject::parse(raw, ObjectFormat::of_id(id))?;
    if commit.id() != id {
        return Err(GitError::IdMismatch {
            expected: id.clone(),
            computed: commit.id().clone(),
        });
    }
    commit.verify(roster)
}

/// Why a commit was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitError {
    /// The object is larger than [`MAX_COMMIT_LEN`].
    #[error("commit object is {actual} bytes; the limit is {limit}")]
    TooLarge {
        /// The limit.
        limit: usize,
        /// The size found.
        actual: usize,
    },
    /// The commit has more `parent` headers than [`MAX_PARENTS`].
    #[error("commit has more than {max} parents (header line {line} is one too many)")]
    TooManyParents {
        /// The 1-based header line of the first parent past the limit.
        line: usize,
        /// The limit.
        max: usize,
    },
    /// The object's structure is not a commit's.
    #[error("malformed commit object (header line {line}): {problem}")]
    Malformed {
        /// What is wrong.
        problem: &'static str,
        /// The 1-based header line (0 when not about one line).
        line: usize,
    },
    /// An `author` or `committer` line is malformed.
    #[error("malformed {header} line: {problem}")]
    MalformedIdent {
        /// `author` or `committer`.
        header: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// SHA-1 collision detection fired: the object is part of a collision attack.
    #[error("commit object is part of a SHA-1 collision attack (hash {hash})")]
    Sha1Collision {
        /// The (attacked) SHA-1 of the object.
        hash: String,
    },
    /// The object does not hash to the id it was asked for.
    #[error("commit object hashes to {computed}, not {expected}: the object was altered")]
    IdMismatch {
        /// The id asked for.
        expected: GitObjectId,
        /// The id of the bytes received.
        computed: GitObjectId,
    },
    /// No signature header for the repository's object format.
    #[error("commit {0} is not signed")]
    Unsigned(GitObjectId),
    /// More than one signature header of the repository's format.
    #[error("commit {id} has more than one {header} header")]
    MultipleSignatures {
        /// The commit.
        id: GitObjectId,
        /// The header.
        header: &'static str,
    },
    /// The signature is not an SSH signature.
    #[error("commit {id} is signed with {format}, not with an SSH key")]
    NotSsh {
        /// The commit.
        id: GitObjectId,
        /// The format found.
        format: &'static str,
    },
    /// An OpenPGP signature was asked for and the commit has another kind.
    #[error("commit {id} is not signed with OpenPGP")]
    NotOpenPgp {
        /// The commit.
        id: GitObjectId,
    },
    /// The OpenPGP signature is malformed or does not verify.
    #[cfg(feature = "openpgp")]
    #[error("commit {id}: bad OpenPGP signature")]
    BadOpenPgp {
        /// The commit.
        id: GitObjectId,
        /// Why.
        #[source]
        source: crate::openpgp::OpenPgpError,
    },
    /// No enrolled OpenPGP certificate issued the signature.
    #[error("commit {id} is signed by OpenPGP key {issuer}, which is not enrolled")]
    UnknownOpenPgpKey {
        /// The commit.
        id: GitObjectId,
        /// The issuer fingerprint (or key id) the signature names.
        issuer: String,
    },
    /// The SSH signature is malformed or does not verify.
    #[error("commit {id}: bad SSH signature")]
    BadSignature {
        /// The commit.
        id: GitObjectId,
        /// Why.
        #[source]
        source: SshSigError,
    },
    /// The signing key is not in the roster.
    #[error("commit {id} is signed by key {fingerprint} ({key_id}), which is not in the roster", fingerprint = key_id.ssh_fingerprint())]
    UnknownKey {
        /// The commit.
        id: GitObjectId,
        /// The signing key.
        key_id: KeyId,
    },
    /// The signing key is in the roster but was not valid at the committer time.
    #[error("commit {id}: signing key not valid at the committer time {at}")]
    KeyNotValid {
        /// The commit.
        id: GitObjectId,
        /// The committer time.
        at: Timestamp,
        /// The roster's reason.
        #[source]
        source: Box<RosterError>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = CommitObject::parse(&bytes, ObjectFormat::Sha1);
            let _ = CommitObject::parse(&bytes, ObjectFormat::Sha256);
            let (payload, sig) = split_signature(&bytes, ObjectFormat::Sha1);
            prop_assert!(payload.len() + sig.map_or(0, |s| s.len()) <= bytes.len());
        }

        #[test]
        fn parser_never_panics_on_mutated_commits(
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..6),
            cut in any::<usize>(),
        ) {
            let signed = [
                &UNSIGNED[..UNSIGNED.len() - 5],
                b"gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n\nmsg\n",
            ]
            .concat();
            let mut b = signed.clone();
            for (pos, val) in edits {
                let n = b.len();
                b[pos % n] = val;
            }
            let b = &b[..=cut % b.len()];
            if let Ok(c) = CommitObject::parse(b, ObjectFormat::Sha1) {
                prop_assert!(c.verify_signature().is_err());
            }
        }

        #[test]
        fn unsigned_payload_is_the_object(msg in "[ -~\n]{0,80}") {
            let raw = [UNSIGNED, msg.as_bytes()].concat();
            if let Ok(c) = CommitObject::parse(&raw, ObjectFormat::Sha1) {
                prop_assert_eq!(c.payload(), &raw[..]);
                prop_assert!(c.signature().is_none());
            }
        }
    }

    const UNSIGNED: &[u8] = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
author A U Thor <author@example.com> 1112911993 -0700\n\
committer C O Mitter <committer@example.com> 1112911993 +0130\n\
\n\
msg\n";

    #[test]
    fn parses_an_unsigned_commit() {
        let c = CommitObject::parse(UNSIGNED, ObjectFormat::Sha1).unwrap();
        assert_eq!(
            c.tree().as_str(),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
        assert!(c.parents().is_empty());
        assert_eq!(c.author().name, "A U Thor");
        assert_eq!(c.author().email, "author@example.com");
        assert_eq!(c.author().time.unix_seconds(), 1_112_911_993);
        assert_eq!(c.author().utc_offset_minutes, -420);
        assert_eq!(c.committer().utc_offset_minutes, 90);
        assert_eq!(c.message(), b"msg\n");
        assert_eq!(c.payload(), UNSIGNED);
        assert!(c.signature().is_none());
        assert!(matches!(c.verify_signature(), Err(GitError::Unsigned(_))));
        // `git hash-object -t commit` of these bytes.
        assert_eq!(c.id().as_str().len(), 40);
        let sha256 = CommitObject::parse(
            &String::from_utf8_lossy(UNSIGNED)
                .replace(
                    "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
                    "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
                )
                .into_bytes(),
            ObjectFormat::Sha256,
        )
        .unwrap();
        assert_eq!(sha256.id().as_str().len(), 64);
    }

    #[test]
    fn signature_split_follows_git() {
        let signed = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
author A <a@x> 1 +0000\n\
committer A <a@x> 1 +0000\n\
gpgsig-sha256 other\n other2\n\
gpgsig line1\n line2\n \n line4\n\
unknown value\n\
\n\
gpgsig not a header\n";
        let (payload, sig) = split_signature(signed, ObjectFormat::Sha1);
        assert_eq!(sig.unwrap(), b"line1\nline2\n\nline4\n");
        assert_eq!(
            payload,
            b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
author A <a@x> 1 +0000\n\
committer A <a@x> 1 +0000\n\
unknown value\n\
\n\
gpgsig not a header\n"
        );
        let (payload, sig) = split_signature(signed, ObjectFormat::Sha256);
        assert_eq!(sig.unwrap(), b"other\nother2\n");
        assert!(!payload.windows(6).any(|w| w == b"line1\n"));
    }

    #[test]
    fn structural_refusals() {
        let text = String::from_utf8(UNSIGNED.to_vec()).unwrap();
        for (bad, what) in [
            (text.replacen("tree", "tre", 1), "tree"),
            (
                text.replace(
                    "author A U Thor <author@example.com>",
                    "author A U Thor author@example.com",
                ),
                "email",
            ),
            (text.replace("+0130", "+13"), "zone"),
            (text.replace("1112911993 -0700", "-1 -0700"), "time"),
            (
                text.replace(
                    "\n\nmsg\n",
                    "\ntree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmsg\n",
                ),
                "second tree",
            ),
            (
                text.replace(
                    "committer",
                    "parent 4b825dc642cb6eb9a060e54bf8d69288fbee4904\ncommitter",
                ),
                "late parent",
            ),
            (
                text.replace("\n\nmsg\n", "\nencoding x"),
                "no final newline",
            ),
        ] {
            assert!(
                CommitObject::parse(bad.as_bytes(), ObjectFormat::Sha1).is_err(),
                "{what}"
            );
        }
        // A SHA-256 id in a SHA-1 repository.
        assert!(CommitObject::parse(UNSIGNED, ObjectFormat::Sha256).is_err());
        let big = vec![b'a'; MAX_COMMIT_LEN + 1];
        assert!(matches!(
            CommitObject::parse(&big, ObjectFormat::Sha1),
            Err(GitError::TooLarge { .. })
        ));
    }
}
