//! The part of `ssh-keygen -Y` that git calls through `gpg.ssh.program`,
//! run as `vouch git ssh ARGS...` or as the `vouch-git-ssh` binary.
//!
//! What git runs (gpg-interface.c), and what it reads back:
//!
//! | git runs | vouch does | git reads |
//! |---|---|---|
//! | `-Y sign -n git -f KEY [-U] FILE` | signs FILE with KEY, writes `FILE.sig` | the file |
//! | `-Y find-principals -f ALLOWED -s SIG [-Overify-time=T]` | prints the principals of the first allowed signers line with the signature's key | stdout, one principal per line |
//! | `-Y verify -n git -f ALLOWED -I PRINCIPAL -s SIG [-r REVOKED] [-Overify-time=T]`, message on stdin | verifies | exit 0 and stdout starting `Good "git" signature for PRINCIPAL with TYPE key SHA256:...` |
//! | `-Y check-novalidate -n git -s SIG [-Overify-time=T]`, message on stdin | verifies without a signer list | `Good "git" signature with TYPE key SHA256:...` |
//!
//! `-Overify-time=YYYYMMDDHHMMSS` is the committer time in the local zone
//! (git passes an empty argument instead when it has no time); times in an
//! allowed signers file are local too unless they end in `Z`.
//! `-Oprint-pubkey` and `-Ohashalg=sha256|sha512` are accepted as
//! `ssh-keygen` accepts them.
//!
//! `KEY` is a private key file in any format vouch reads (a vouch key file,
//! an unencrypted or `VOUCH_PASSPHRASE`-encrypted OpenSSH private key,
//! PKCS#8 or SEC1), or its `.pub` file next to it (the private key is the
//! same path without `.pub`, as `ssh-keygen` finds it), or a vouch key
//! reference (`file:PATH`). There is no ssh-agent support: `-U` (git's
//! `key::` literal keys) is refused with a message saying what to configure
//! instead.
//!
//! Exit codes: 0 done or verified, 1 verification refused (or no principal
//! found), 2 bad usage or unreadable input. Git only looks at zero versus
//! non-zero.

use std::ffi::{OsStr, OsString};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use vouch_core::sshsig::{HashAlgorithm, MessageHasher, SshSig, VerifiedSshSig};
use vouch_core::text::error_chain;
use vouch_core::{PublicKey, Timestamp};
use vouch_git::allowed_signers::{AllowedSigners, CivilTime, SignerTime};
use vouch_git::sshkeygen::{self, GoodSignature, MessageError, RevokedKeys, RevokedKeysError};
use vouch_keys::{KeyRef, Passphrase};

/// How the command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Exit {
    /// Signed, verified or found.
    Done,
    /// Verification refused, or no principal matched.
    Refused,
    /// Bad usage or unreadable input.
    Usage,
}

impl Exit {
    /// The process exit code.
    pub(crate) fn code(self) -> u8 {
        match self {
            Exit::Done => 0,
            Exit::Refused => 1,
            Exit::Usage => 2,
        }
    }
}

/// The environment variable holding the passphrase of an encrypted key
/// (the same as the rest of the vouch command line uses).
const PASSPHRASE_ENV: &str = "VOUCH_PASSPHRASE";
/// Largest signature, allowed signers or revocation file read.
const MAX_SMALL_FILE: u64 = 1024 * 1024;

/// The usage text. Capitalized on purpose: git takes "usage:" on stderr
/// to mean an OpenSSH older than 8.2.
const USAGE: &str = "Usage: vouch-git-ssh -Y sign -n NAMESPACE -f KEY [-O hashalg=sha256|sha512] [FILE ...]
       vouch-git-ssh -Y verify -n NAMESPACE -f ALLOWED_SIGNERS -I PRINCIPAL -s SIGNATURE [-r REVOKED_KEYS] [-O verify-time=TIME] [-O print-pubkey] < MESSAGE
       vouch-git-ssh -Y find-principals -f ALLOWED_SIGNERS -s SIGNATURE [-O verify-time=TIME]
       vouch-git-ssh -Y check-novalidate -n NAMESPACE -s SIGNATURE [-O print-pubkey] < MESSAGE
The ssh-keygen -Y operations git runs for gpg.format=ssh; set
  git config gpg.ssh.program vouch-git-ssh";

/// The parsed command line (getopt-style, as ssh-keygen reads it).
#[derive(Debug, Default)]
struct Opts {
    op: Option<String>,
    namespace: Option<String>,
    file: Option<OsString>,
    principal: Option<String>,
    signature: Option<OsString>,
    revoked: Option<OsString>,
    options: Vec<String>,
    help: bool,
    agent: bool,
    quiet: bool,
    operands: Vec<OsString>,
}

fn utf8(flag: char, value: OsString) -> Result<String, String> {
    value
        .into_string()
        .map_err(|_| format!("the value of -{flag} is not UTF-8"))
}

fn parse_args(args: &[OsString]) -> Result<Opts, String> {
    let mut o = Opts::default();
    let mut i = 0;
    let mut only_operands = false;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        let text = match arg.to_str() {
            Some(t) if !only_operands && t.len() > 1 && t.starts_with('-') => t,
            _ => {
                // Operands (git passes an empty one when it has no verify time).
                o.operands.push(arg.clone());
                continue;
            }
        };
        if text == "--" {
            only_operands = true;
            continue;
        }
        if text == "--help" {
            o.help = true;
            continue;
        }
        for (pos, flag) in text.char_indices().skip(1) {
            match flag {
                'h' => o.help = true,
                'U' => o.agent = true,
                'q' => o.quiet = true,
                'v' => {}
                'Y' | 'n' | 'f' | 'I' | 's' | 'O' | 'r' => {
                    let rest = &text[pos + flag.len_utf8()..];
                    let value = if rest.is_empty() {
                        let v = args
                            .get(i)
                            .cloned()
                            .ok_or_else(|| format!("option -{flag} needs a value"))?;
                        i += 1;
                        v
                    } else {
                        OsString::from(rest)
                    };
                    match flag {
                        'Y' => o.op = Some(utf8(flag, value)?),
                        'n' => o.namespace = Some(utf8(flag, value)?),
                        'f' => o.file = Some(value),
                        'I' => o.principal = Some(utf8(flag, value)?),
                        's' => o.signature = Some(value),
                        'r' => o.revoked = Some(value),
                        _ => o.options.push(utf8(flag, value)?),
                    }
                    break;
                }
                other => return Err(format!("unsupported option -{other}")),
            }
        }
    }
    Ok(o)
}

/// What the `-O` options said.
#[derive(Debug, Default)]
struct SigOptions {
    hash: Option<HashAlgorithm>,
    verify_time: Option<Timestamp>,
    print_pubkey: bool,
}

/// `sig_process_opts`: each operation accepts its own subset.
fn sig_options(
    options: &[String],
    hashalg: bool,
    verify_time: bool,
    print_pubkey: bool,
) -> Result<SigOptions, String> {
    let mut out = SigOptions::default();
    for opt in options {
        let lower = opt.to_ascii_lowercase();
        if hashalg && lower.starts_with("hashalg=") {
            let name = &opt["hashalg=".len()..];
            out.hash = Some(
                HashAlgorithm::from_name(name.as_bytes())
                    .ok_or_else(|| format!("unsupported hash algorithm \"{name}\""))?,
            );
        } else if verify_time && lower.starts_with("verify-time=") {
            let text = &opt["verify-time=".len()..];
            let t = SignerTime::parse(text)
                .ok()
                .and_then(|t| t.resolve(&local_time))
                .ok_or_else(|| "Invalid \"verify-time\" option".to_owned())?;
            out.verify_time = Some(t);
        } else if print_pubkey && lower == "print-pubkey" {
            out.print_pubkey = true;
        } else {
            return Err(format!("Invalid option \"{opt}\""));
        }
    }
    Ok(out)
}

/// Maps a civil time in the local zone (the `TZ` variable, else
/// `/etc/localtime`, else UTC) to an instant, as `mktime` does.
pub(crate) fn local_time(c: CivilTime) -> Option<Timestamp> {
    let dt = jiff::civil::DateTime::new(
        i16::try_from(c.year).ok()?,
        i8::try_from(c.month).ok()?,
        i8::try_from(c.day).ok()?,
        i8::try_from(c.hour).ok()?,
        i8::try_from(c.minute).ok()?,
        i8::try_from(c.second).ok()?,
        0,
    )
    .ok()?;
    let tz = jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC);
    // The "compatible" disambiguation: the earlier instant in a fold, the
    // later one in a gap.
    let instant = tz.to_timestamp(dt).ok()?;
    Timestamp::from_unix_seconds(instant.as_second())
}

/// Runs one `ssh-keygen -Y` style command line (without the program name).
/// `program` names the command in messages.
pub(crate) fn main(program: &str, args: &[OsString]) -> Exit {
    let opts = match parse_args(args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("{program}: {e}\n{USAGE}");
            return Exit::Usage;
        }
    };
    if opts.help {
        println!("{USAGE}");
        return Exit::Done;
    }
    let result = match opts.op.as_deref() {
        Some("sign") => sign(&opts),
        Some("verify") => verify(&opts, true),
        Some("check-novalidate") => verify(&opts, false),
        Some("find-principals") => find_principals(&opts),
        Some(other) => Err(Failure::usage(format!(
            "unsupported operation for -Y: \"{other}\" (vouch implements sign, verify, find-principals and check-novalidate)"
        ))),
        None => Err(Failure::usage(
            "missing -Y operation (only the ssh-keygen -Y operations git uses are implemented)"
                .to_owned(),
        )),
    };
    match result {
        Ok(exit) => exit,
        Err(f) => {
            eprintln!("{program}: {}", f.message);
            if f.exit == Exit::Usage && f.show_usage {
                eprintln!("{USAGE}");
            }
            f.exit
        }
    }
}

/// A failure: its message and exit code.
struct Failure {
    message: String,
    exit: Exit,
    show_usage: bool,
}

impl Failure {
    fn usage(message: String) -> Self {
        Failure {
            message,
            exit: Exit::Usage,
            show_usage: true,
        }
    }

    fn unreadable(message: String) -> Self {
        Failure {
            message,
            exit: Exit::Usage,
            show_usage: false,
        }
    }

    fn refused(message: String) -> Self {
        Failure {
            message,
            exit: Exit::Refused,
            show_usage: false,
        }
    }
}

fn require<'a, T: ?Sized>(value: Option<&'a T>, what: &str) -> Result<&'a T, Failure> {
    value.ok_or_else(|| Failure::usage(format!("missing {what}")))
}

fn read_small(path: &Path, what: &str) -> Result<Vec<u8>, Failure> {
    let cannot = |e: std::io::Error| {
        Failure::unreadable(format!("cannot read {what} {}: {e}", path.display()))
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(cannot)?
        .take(MAX_SMALL_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_SMALL_FILE {
        return Err(Failure::unreadable(format!(
            "{what} {} is larger than {MAX_SMALL_FILE} bytes",
            path.display()
        )));
    }
    Ok(bytes)
}

// ---------------------------------------------------------------------------
// -Y sign
// ---------------------------------------------------------------------------

/// Opens the signing key `-f` names: a private key file, the `.pub` file
/// beside one, or a vouch key reference.
fn open_signer(arg: &OsStr) -> Result<Box<dyn vouch_core::Signer + Send + Sync>, Failure> {
    let path = Path::new(arg);
    let text = arg.to_string_lossy();
    let mut expected: Option<(PathBuf, PublicKey)> = None;
    let private = if let Some(stem) = text.strip_suffix(".pub") {
        if text.ends_with("-cert.pub") {
            return Err(Failure::unreadable(format!(
                "{text}: OpenSSH certificates are not supported; give the key file"
            )));
        }
        let line = String::from_utf8(read_small(path, "public key")?)
            .map_err(|_| Failure::unreadable(format!("public key {text} is not text")))?;
        let public = PublicKey::from_openssh(line.trim()).map_err(|e| {
            Failure::unreadable(format!(
                "cannot read public key {text}: {}",
                error_chain(&e)
            ))
        })?;
        let private = PathBuf::from(stem);
        if !private.exists() {
            return Err(Failure::unreadable(format!(
                "No private key found for public key \"{text}\""
            )));
        }
        expected = Some((path.to_owned(), public));
        KeyRef::file(private)
    } else if path.exists() {
        KeyRef::file(path)
    } else {
        match text.parse::<KeyRef>() {
            Ok(r) => r,
            Err(_) => {
                return Err(Failure::unreadable(format!(
                    "No private key found for \"{text}\""
                )));
            }
        }
    };
    let passphrase = std::env::var(PASSPHRASE_ENV).ok().map(Passphrase::new);
    #[cfg(feature = "fido")]
    let opened = private.open_with_fido(
        passphrase.as_ref(),
        crate::fido::options(),
        crate::fido::callbacks(),
    );
    #[cfg(not(feature = "fido"))]
    let opened = private.open(passphrase.as_ref());
    let signer = opened.map_err(|e| {
        let hint = if matches!(e, vouch_keys::Error::PassphraseRequired { .. }) {
            format!(" (set {PASSPHRASE_ENV}; git gives the signing program no terminal to ask on)")
        } else {
            String::new()
        };
        Failure::unreadable(format!(
            "cannot load signing key {private}: {}{hint}",
            error_chain(&e)
        ))
    })?;
    if let Some((pub_path, public)) = expected
        && signer.public_key() != &public
    {
        return Err(Failure::unreadable(format!(
            "Public key {} doesn't match private {private}",
            pub_path.display()
        )));
    }
    Ok(signer)
}

fn sign(o: &Opts) -> Result<Exit, Failure> {
    let namespace = require(o.namespace.as_deref(), "namespace (-n)")?;
    if namespace.is_empty() {
        return Err(Failure::usage("missing namespace (-n)".to_owned()));
    }
    let key = require(o.file.as_deref(), "key (-f)")?;
    if o.agent {
        return Err(Failure::unreadable(
            "vouch does not use ssh-agent (-U): set user.signingKey to the path of a key file \
             (a vouch key, an OpenSSH private key or PKCS#8, or its .pub file), not a key:: literal"
                .to_owned(),
        ));
    }
    let sig_opts = sig_options(&o.options, true, false, false).map_err(Failure::usage)?;
    let hash = sig_opts.hash.unwrap_or_default();
    if o.operands.iter().any(|f| f == "-") && o.operands.len() > 1 {
        return Err(Failure::usage(
            "Cannot sign mix of paths and standard input".to_owned(),
        ));
    }
    #[cfg(feature = "fido")]
    if let Some(stub) = key.to_str().and_then(|k| k.strip_prefix("fido:")) {
        // The device signs through ssh-keygen, which hashes the message
        // itself: the whole message goes to it.
        let device = vouch_keys::fido::FidoKey::open(
            Path::new(stub),
            crate::fido::options(),
            crate::fido::callbacks(),
        )
        .map_err(|e| {
            Failure::unreadable(format!(
                "cannot load signing key fido:{stub}: {}",
                error_chain(&e)
            ))
        })?;
        return sign_operands(o, &mut |input, name, size| {
            // git signs commit and tag payloads: small; the bound only
            // keeps a runaway input out of memory. A file is refused on its
            // size before it is read; any input past the bound, once read.
            if let Some(size) = size {
                check_fido_message(size, name)?;
            }
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut input.take(MAX_FIDO_MESSAGE + 1), &mut bytes)
                .map_err(|e| Failure::unreadable(format!("cannot read {name}: {e}")))?;
            check_fido_message(bytes.len() as u64, name)?;
            device
                .sign_sshsig(namespace, hash, &bytes)
                .map(|s| s.to_armored())
                .map_err(|e| {
                    Failure::unreadable(format!("Signing {name} failed: {}", error_chain(&e)))
                })
        });
    }
    let signer = open_signer(key)?;
    sign_operands(o, &mut |input, name, _| {
        let mut hasher = MessageHasher::new(hash);
        std::io::copy(input, &mut hasher)
            .map_err(|e| Failure::unreadable(format!("cannot read {name}: {e}")))?;
        SshSig::sign_hashed(&*signer, namespace, hasher)
            .map(|s| s.to_armored())
            .map_err(|e| Failure::unreadable(format!("Signing {name} failed: {}", error_chain(&e))))
    })
}

/// Largest message signed with a security key (read whole, for ssh-keygen).
#[cfg(feature = "fido")]
const MAX_FIDO_MESSAGE: u64 = 64 << 20;

/// Refuses a message of `len` bytes larger than [`MAX_FIDO_MESSAGE`]: it
/// is never signed cut short.
#[cfg(feature = "fido")]
fn check_fido_message(len: u64, name: &str) -> Result<(), Failure> {
    if len > MAX_FIDO_MESSAGE {
        return Err(Failure::unreadable(format!(
            "{name} is larger than the {MAX_FIDO_MESSAGE} bytes vouch-git-ssh signs with a \
             security key"
        )));
    }
    Ok(())
}

/// Signs one input: given the input, its name and, for a regular file, its
/// size; returns the armored signature.
type SignOne<'a> =
    dyn FnMut(&mut dyn std::io::Read, &str, Option<u64>) -> Result<String, Failure> + 'a;

/// Signs standard input or each file operand (writing `FILE.sig`) with
/// `sign_one`, as `ssh-keygen -Y sign` does.
fn sign_operands(o: &Opts, sign_one: &mut SignOne<'_>) -> Result<Exit, Failure> {
    if o.operands.is_empty() || o.operands.iter().all(|f| f == "-") {
        if !o.quiet {
            eprintln!("Signing data on standard input");
        }
        let armored = sign_one(&mut std::io::stdin().lock(), "(stdin)", None)?;
        let mut out = std::io::stdout().lock();
        out.write_all(armored.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| Failure::unreadable(format!("cannot write the signature: {e}")))?;
        return Ok(Exit::Done);
    }
    for file in &o.operands {
        let path = Path::new(file);
        let name = path.display().to_string();
        if !o.quiet {
            eprintln!("Signing file {name}");
        }
        let mut input = std::fs::File::open(path)
            .map_err(|e| Failure::unreadable(format!("Cannot open {name} for signing: {e}")))?;
        let size = input
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .map(|m| m.len());
        let armored = sign_one(&mut input, &name, size)?;
        let mut sig_path = file.clone();
        sig_path.push(".sig");
        let sig_path = PathBuf::from(sig_path);
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&sig_path)
            .and_then(|mut f| f.write_all(armored.as_bytes()))
            .map_err(|e| {
                Failure::unreadable(format!("Cannot write {}: {e}", sig_path.display()))
            })?;
        if !o.quiet {
            eprintln!("Write signature to {}", sig_path.display());
        }
    }
    Ok(Exit::Done)
}

// ---------------------------------------------------------------------------
// -Y verify, -Y check-novalidate
// ---------------------------------------------------------------------------

fn read_signature(o: &Opts) -> Result<SshSig, Failure> {
    let path = Path::new(require(o.signature.as_deref(), "signature file (-s)")?);
    let bytes = read_small(path, "signature file")?;
    sshkeygen::parse_signature(&bytes).map_err(|e| {
        Failure::refused(format!(
            "Couldn't parse signature {}: {}",
            path.display(),
            error_chain(&e)
        ))
    })
}

/// The message on standard input, checked against the signature.
fn verify_stdin(sig: &SshSig, namespace: &str) -> Result<VerifiedSshSig, Failure> {
    sshkeygen::verify_message(sig, namespace, &mut std::io::stdin().lock()).map_err(|e| match e {
        MessageError::Read(e) => Failure::unreadable(format!("cannot read the message: {e}")),
        MessageError::Signature(e) => Failure::refused(format!(
            "Signature verification failed: {}",
            error_chain(&e)
        )),
        other => Failure::refused(error_chain(&other)),
    })
}

/// `ssh-keygen -r`: a key revocation list (see [`RevokedKeys`]).
fn check_revoked(path: &Path, key: &PublicKey) -> Result<(), Failure> {
    let bytes = read_small(path, "revoked keys file")?;
    let revoked = RevokedKeys::parse(&bytes).map_err(|e| match e {
        RevokedKeysError::BinaryKrl => Failure::refused(format!(
            "{} is a binary KRL, which vouch cannot read; list revoked public keys one per line instead",
            path.display()
        )),
        other => Failure::refused(format!("{}: {}", path.display(), error_chain(&other))),
    })?;
    revoked.check(key).map_err(|r| {
        Failure::refused(format!(
            "key {} is revoked in {}",
            r.key_id.ssh_fingerprint(),
            path.display()
        ))
    })
}

/// Reads an allowed signers file; with `report`, says which lines were skipped.
fn load_allowed_signers(path: &Path, report: bool) -> Result<AllowedSigners, Failure> {
    let bytes = read_small(path, "allowed signers file")?;
    let allowed = AllowedSigners::parse(&bytes).map_err(|e| {
        Failure::unreadable(format!(
            "cannot read allowed signers file {}: {e}",
            path.display()
        ))
    })?;
    if report {
        for p in allowed.problems() {
            eprintln!(
                "{}:{}: skipped: {}",
                path.display(),
                p.line,
                error_chain(&p.error)
            );
        }
        if let Some(ca) = allowed.entries().iter().find(|e| e.cert_authority) {
            eprintln!(
                "{}:{}: note: cert-authority lines never match: vouch does not accept OpenSSH certificate signatures",
                path.display(),
                ca.line
            );
        }
    }
    Ok(allowed)
}

fn verify(o: &Opts, with_signers: bool) -> Result<Exit, Failure> {
    let namespace = require(o.namespace.as_deref(), "namespace (-n)")?;
    if namespace.is_empty() {
        return Err(Failure::usage("missing namespace (-n)".to_owned()));
    }
    let sig_opts = sig_options(&o.options, false, true, true).map_err(Failure::usage)?;
    let verify_time = sig_opts.verify_time.unwrap_or_else(Timestamp::now);
    let (principal, allowed) = if with_signers {
        let principal = require(o.principal.as_deref(), "principal (-I)")?;
        let allowed = require(o.file.as_deref(), "allowed signers file (-f)")?;
        (Some(principal), Some(Path::new(allowed)))
    } else {
        (None, None)
    };
    require(o.signature.as_deref(), "signature file (-s)")?;
    let outcome = (|| {
        let sig = read_signature(o)?;
        let verified = verify_stdin(&sig, namespace)?;
        if let Some(revoked) = o.revoked.as_deref() {
            check_revoked(Path::new(revoked), verified.public_key())?;
        }
        if let (Some(principal), Some(path)) = (principal, allowed) {
            let signers = load_allowed_signers(path, !o.quiet)?;
            signers
                .check(
                    verified.public_key(),
                    principal,
                    namespace,
                    verify_time,
                    &local_time,
                )
                .map_err(|e| Failure::refused(format!("{}: {e}", path.display())))?;
        }
        Ok(verified)
    })();
    let verified = match outcome {
        Ok(v) => v,
        Err(f) => {
            if !o.quiet {
                println!("Could not verify signature.");
            }
            return Err(f);
        }
    };
    let mut out = String::new();
    if !o.quiet {
        out.push_str(
            &GoodSignature {
                namespace,
                principal,
                key: verified.public_key(),
            }
            .to_string(),
        );
    }
    if sig_opts.print_pubkey {
        out.push_str(&verified.public_key().to_openssh());
        out.push('\n');
    }
    print!("{out}");
    if !o.quiet
        && let Some(a) = verified.fido()
    {
        eprintln!("{}", sshkeygen::security_key_note(a));
    }
    Ok(Exit::Done)
}

// ---------------------------------------------------------------------------
// -Y find-principals
// ---------------------------------------------------------------------------

fn find_principals(o: &Opts) -> Result<Exit, Failure> {
    let sig_opts = sig_options(&o.options, false, true, false).map_err(Failure::usage)?;
    let verify_time = sig_opts.verify_time.unwrap_or_else(Timestamp::now);
    let path = Path::new(require(o.file.as_deref(), "allowed signers file (-f)")?);
    require(o.signature.as_deref(), "signature file (-s)")?;
    let no_match = || Failure::refused("No principal matched.".to_owned());
    let sig = read_signature(o).map_err(|f| {
        eprintln!("{}", f.message);
        no_match()
    })?;
    let signers = load_allowed_signers(path, !o.quiet)?;
    let entry = signers
        .find_principals(sig.public_key(), verify_time, &local_time)
        .ok_or_else(no_match)?;
    print!("{}", sshkeygen::principals_answer(entry));
    Ok(Exit::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn parses_what_git_passes() {
        let o = parse_args(&args(&[
            "-Y",
            "verify",
            "-n",
            "git",
            "-f",
            "/a s",
            "-I",
            "alice@example.com",
            "-s",
            "/tmp/x",
            "-Overify-time=20260301120000",
            "-r",
            "/rev",
        ]))
        .unwrap();
        assert_eq!(o.op.as_deref(), Some("verify"));
        assert_eq!(o.namespace.as_deref(), Some("git"));
        assert_eq!(o.file.as_deref(), Some(OsStr::new("/a s")));
        assert_eq!(o.principal.as_deref(), Some("alice@example.com"));
        assert_eq!(o.options, ["verify-time=20260301120000"]);
        assert_eq!(o.revoked.as_deref(), Some(OsStr::new("/rev")));
        // An empty verify-time argument is an operand, ignored.
        let o = parse_args(&args(&["-Y", "find-principals", "-f", "a", "-s", "b", ""])).unwrap();
        assert_eq!(o.operands, [OsString::new()]);
        let o = parse_args(&args(&["-Y", "sign", "-n", "git", "-f", "k", "-U", "buf"])).unwrap();
        assert!(o.agent);
        assert_eq!(o.operands, ["buf"]);
        let o = parse_args(&args(&["-qYsign", "-ngit", "--", "-f"])).unwrap();
        assert!(o.quiet);
        assert_eq!(o.op.as_deref(), Some("sign"));
        assert_eq!(o.operands, ["-f"]);
        assert!(parse_args(&args(&["-t", "ed25519"])).is_err());
        assert!(parse_args(&args(&["-Y"])).is_err());
    }

    #[test]
    fn options_per_operation() {
        let o = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            sig_options(&o(&["hashalg=sha256"]), true, false, false)
                .unwrap()
                .hash,
            Some(HashAlgorithm::Sha256)
        );
        assert!(sig_options(&o(&["hashalg=md5"]), true, false, false).is_err());
        assert!(sig_options(&o(&["verify-time=20260101"]), true, false, false).is_err());
        assert!(sig_options(&o(&["print-pubkey"]), false, true, false).is_err());
        let v = sig_options(
            &o(&["verify-time=20260301120000Z", "print-pubkey"]),
            false,
            true,
            true,
        )
        .unwrap();
        assert_eq!(v.verify_time, Some("2026-03-01T12:00:00Z".parse().unwrap()));
        assert!(v.print_pubkey);
        assert!(sig_options(&o(&["verify-time=yesterday"]), false, true, true).is_err());
    }

    #[test]
    fn max_small_file() {
        let dir = std::env::temp_dir().join(format!("vouch-git-ssh-small-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("allowed_signers");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_SMALL_FILE).unwrap();
        assert_eq!(
            read_small(&path, "allowed signers file")
                .ok()
                .map(|b| b.len() as u64),
            Some(MAX_SMALL_FILE)
        );
        file.set_len(MAX_SMALL_FILE + 1).unwrap();
        let e = read_small(&path, "allowed signers file").unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "allowed signers file {} is larger than {MAX_SMALL_FILE} bytes",
                path.display()
            )
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(feature = "fido")]
    #[test]
    fn max_fido_message() {
        assert!(check_fido_message(MAX_FIDO_MESSAGE, "m").is_ok());
        let e = check_fido_message(MAX_FIDO_MESSAGE + 1, "m").unwrap_err();
        assert_eq!(
            e.message,
            format!(
                "m is larger than the {MAX_FIDO_MESSAGE} bytes vouch-git-ssh signs with a \
                 security key"
            )
        );
    }
}
