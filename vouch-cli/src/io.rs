//! Reading and writing the files commands take, with errors that name the
//! file; parsing public keys, key references and passphrases.

use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use vouch_core::{PublicKey, Signer};
use vouch_keys::{KeyRef, Passphrase};

use crate::exit::CliError;

/// The environment variable a passphrase may come from.
pub(crate) const PASSPHRASE_ENV: &str = "VOUCH_PASSPHRASE";

/// What a file given to a command is, and the most bytes of it vouch reads.
///
/// Every input is bounded before it is read: by its size when it is a
/// regular file (nothing is read from one that is too large), and by
/// reading at most one byte more than the limit otherwise, so a pipe or a
/// file that grows while it is read cannot exceed it. The libraries apply
/// their own limits after this; these keep a parser from ever being handed
/// more than its kind of input can be (a 64 MB TOML draft of newlines
/// took 3.2 GB to parse).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Input {
    /// What the file is, for the error message.
    what: &'static str,
    /// The most bytes read.
    max: u64,
}

impl Input {
    /// Public keys, certificates, passphrases, FIDO attestations and
    /// client data, TPM public areas, challenges and answers: 64 KiB (a
    /// FIDO attestation with its certificate chain is at most 64 KiB,
    /// `vouch_core::fido::MAX_ATTESTATION_LEN`).
    pub(crate) const KEY: Input = Input {
        what: "key or credential file",
        max: 64 << 10,
    };
    /// TOML or JSON drafts (`attest ... --from`, `roster` drafts): 1 MiB,
    /// the policy limit (`vouch_chain::policy::MAX_POLICY`); a roster of
    /// thousands of identities fits.
    pub(crate) const DRAFT: Input = Input {
        what: "draft",
        max: vouch_chain::policy::MAX_POLICY as u64,
    };
    /// Policies: `vouch_chain::policy::MAX_POLICY` (1 MiB), what
    /// `vouch_chain::Policy` accepts.
    pub(crate) const POLICY: Input = Input {
        what: "policy",
        max: vouch_chain::policy::MAX_POLICY as u64,
    };
    /// Signed statements, COSE and DSSE envelopes, roster chains, and
    /// payloads to sign: 64 MiB, the CBOR decoder's default size limit
    /// (`vouch_core::cbor::Limits::DEFAULT`).
    pub(crate) const SIGNED: Input = Input {
        what: "signed file",
        max: vouch_core::cbor::Limits::DEFAULT.max_size as u64,
    };
    /// Raw git commit objects: `vouch_git::commit::MAX_COMMIT_LEN` (4 MiB).
    pub(crate) const COMMIT: Input = Input {
        what: "commit object",
        max: vouch_git::commit::MAX_COMMIT_LEN as u64,
    };
    /// SBOMs: `vouch_manifest::MAX_SBOM` (64 MiB), what the SBOM readers
    /// accept.
    pub(crate) const SBOM: Input = Input {
        what: "SBOM",
        max: vouch_manifest::MAX_SBOM as u64,
    };
    /// Bundles, artifacts whose digest is taken, content manifests:
    /// `vouch_chain::MAX_BUNDLE` (256 MiB).
    pub(crate) const BUNDLE: Input = Input {
        what: "bundle or artifact",
        max: vouch_chain::MAX_BUNDLE as u64,
    };

    /// An input of another limit (the Sigstore formats name their own).
    #[cfg_attr(not(feature = "sigstore"), allow(dead_code))]
    pub(crate) const fn new(what: &'static str, max: usize) -> Input {
        Input {
            what,
            max: max as u64,
        }
    }

    /// Whether `len` bytes are more than vouch reads of this kind of input.
    fn refuses(self, len: u64) -> bool {
        len > self.max
    }
}

/// Reads a whole file (`-` is standard input), refusing more than
/// `input`'s limit before reading any of a regular file that is larger.
pub(crate) fn read(path: &Path, input: Input) -> Result<Vec<u8>, CliError> {
    let cannot = |e: std::io::Error| CliError::usage(format!("cannot read {}", path.display()), e);
    let too_large = |size: Option<u64>| {
        let size = size.map(|s| format!(" ({s} bytes)")).unwrap_or_default();
        CliError::usage_msg(format!(
            "{}{size} is larger than the {} bytes vouch reads of a {}",
            path.display(),
            input.max,
            input.what
        ))
    };
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(input.max + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
    } else {
        let file = fs::File::open(path).map_err(cannot)?;
        // The size of the opened file; a FIFO or device has none that
        // counts, and `take` bounds it below.
        let meta = file.metadata().map_err(cannot)?;
        if meta.is_file() && input.refuses(meta.len()) {
            return Err(too_large(Some(meta.len())));
        }
        file.take(input.max + 1)
            .read_to_end(&mut bytes)
            .map_err(cannot)?;
    }
    if input.refuses(bytes.len() as u64) {
        return Err(too_large(None));
    }
    Ok(bytes)
}

/// Reads a whole file as UTF-8 text, bounded as [`read`] is.
pub(crate) fn read_text(path: &Path, input: Input) -> Result<String, CliError> {
    String::from_utf8(read(path, input)?)
        .map_err(|e| CliError::usage(format!("{} is not UTF-8 text", path.display()), e))
}

/// Writes `bytes` to `path` (`-` is standard output), replacing the file
/// atomically: the bytes go to a temporary file beside it, which is then
/// renamed over it, so a reader never sees half a file and a failed write
/// leaves the old one in place.
pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let cannot = |e: std::io::Error| CliError::usage(format!("cannot write {}", path.display()), e);
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(cannot);
    }
    let tmp = temporary_sibling(path);
    let result = fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.map_err(cannot)
}

/// Writes `bytes` to a file that must not exist yet.
pub(crate) fn write_new(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_new_with(path, bytes, 0o644)
}

/// [`write_new`] for a secret: readable by its owner only (on Unix).
pub(crate) fn write_new_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_new_with(path, bytes, 0o600)
}

fn write_new_with(path: &Path, bytes: &[u8], mode: u32) -> Result<(), CliError> {
    let cannot = |e: std::io::Error| {
        let message = if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "{} already exists; refusing to overwrite it",
                path.display()
            )
        } else {
            format!("cannot write {}", path.display())
        };
        CliError::usage(message, e)
    };
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options.open(path).map_err(cannot)?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(cannot)
}

/// `dir/.name.vouch-tmp-<pid>`: on the same file system as `path`, so the rename is atomic.
fn temporary_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.vouch-tmp-{}", std::process::id()))
}

/// Whether `arg` is an OpenSSH public key line given inline rather than a file.
fn is_inline_openssh(arg: &str) -> bool {
    let t = arg.trim_start();
    (t.starts_with("ssh-") || t.starts_with("ecdsa-") || t.starts_with("sk-")) && t.contains(' ')
}

/// Parses a PUB argument: an OpenSSH public key line given inline, or a file
/// holding an OpenSSH line, PEM or DER SubjectPublicKeyInfo, or a COSE_Key.
pub(crate) fn public_key(arg: &str) -> Result<PublicKey, CliError> {
    if is_inline_openssh(arg) {
        return PublicKey::from_openssh(arg.trim())
            .map_err(|e| CliError::usage("the public key line is not one vouch reads", e));
    }
    let path = Path::new(arg);
    PublicKey::parse_any(&read(path, Input::KEY)?).map_err(|e| {
        CliError::usage(
            format!(
                "{} is not a public key vouch reads \
                 (OpenSSH line, PEM SubjectPublicKeyInfo or COSE_Key)",
                path.display()
            ),
            e,
        )
    })
}

/// Parses a KEYREF: `file:PATH` (or another backend's scheme), or a bare
/// path, which means `file:PATH`. A bare path is one with no `:`, or one
/// that starts with `/` or `.`.
pub(crate) fn key_ref(arg: &str) -> Result<KeyRef, CliError> {
    if !arg.contains(':') || arg.starts_with('/') || arg.starts_with('.') {
        return Ok(KeyRef::file(arg));
    }
    arg.parse()
        .map_err(|e| CliError::usage(format!("invalid key reference {arg:?}"), e))
}

/// The passphrase from `--passphrase-file` (its first line), else from
/// `VOUCH_PASSPHRASE` when that is set; `None` when neither is given.
pub(crate) fn passphrase(file: Option<&Path>) -> Result<Option<Passphrase>, CliError> {
    if let Some(path) = file {
        // The text moves into the Passphrase, which wipes it when dropped.
        let mut text = read_text(path, Input::KEY)?;
        text.truncate(text.find(['\r', '\n']).unwrap_or(text.len()));
        return Ok(Some(Passphrase::new(text)));
    }
    match std::env::var(PASSPHRASE_ENV) {
        Ok(p) => Ok(Some(Passphrase::new(p))),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(e) => Err(CliError::usage(format!("{PASSPHRASE_ENV} is not valid"), e)),
    }
}

/// Opens the signer a KEYREF names, decrypting a file key with the
/// passphrase from `passphrase_file` or `VOUCH_PASSPHRASE`.
pub(crate) fn open_signer(
    key: &str,
    passphrase_file: Option<&Path>,
) -> Result<Box<dyn Signer + Send + Sync>, CliError> {
    let reference = key_ref(key)?;
    let pass = passphrase(passphrase_file)?;
    #[cfg(feature = "fido")]
    let opened = reference.open_with_fido(
        pass.as_ref(),
        crate::fido::options(),
        crate::fido::callbacks(),
    );
    #[cfg(not(feature = "fido"))]
    let opened = reference.open(pass.as_ref());
    opened.map_err(|e| {
        let hint = if matches!(e, vouch_keys::Error::PassphraseRequired { .. }) {
            format!(" (give --passphrase-file FILE or set {PASSPHRASE_ENV})")
        } else {
            String::new()
        };
        CliError::usage(format!("cannot open key {reference}{hint}"), e)
    })
}

/// Writes `text` to standard output. A closed pipe (`vouch ... | head`) or
/// another write error is ignored: the output is informational and the exit
/// code still tells the outcome.
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// `println!` that never panics on a closed standard output (see [`print`]).
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::io::print(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

#[cfg(test)]
mod tests {
    use super::*;

    /// Each kind of input, the limit it is read to, and where that limit
    /// comes from.
    fn inputs() -> [(Input, u64); 7] {
        [
            (Input::KEY, 64 << 10),
            (Input::DRAFT, vouch_chain::policy::MAX_POLICY as u64),
            (Input::POLICY, vouch_chain::policy::MAX_POLICY as u64),
            (
                Input::SIGNED,
                vouch_core::cbor::Limits::DEFAULT.max_size as u64,
            ),
            (Input::COMMIT, vouch_git::commit::MAX_COMMIT_LEN as u64),
            (Input::SBOM, vouch_manifest::MAX_SBOM as u64),
            (Input::BUNDLE, vouch_chain::MAX_BUNDLE as u64),
        ]
    }

    #[test]
    fn every_input_is_read_to_its_limit_and_no_further() {
        for (input, max) in inputs() {
            assert_eq!(input.max, max, "{}", input.what);
            assert!(!input.refuses(max), "{}", input.what);
            assert!(input.refuses(max + 1), "{}", input.what);
        }
    }

    #[test]
    fn files_past_their_limit_are_refused_unread() {
        let dir = std::env::temp_dir().join(format!("vouch-cli-io-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("input");
        for (input, max) in inputs() {
            // Sparse: refused on its size, or reading it would cost memory.
            let file = fs::File::create(&path).unwrap();
            file.set_len(max + 1).unwrap();
            let e = read(&path, input).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "{} ({} bytes) is larger than the {max} bytes vouch reads of a {}",
                    path.display(),
                    max + 1,
                    input.what
                )
            );
            // The small ones are read at their limit.
            if max <= 4 << 20 {
                file.set_len(max).unwrap();
                assert_eq!(read(&path, input).unwrap().len() as u64, max);
            }
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
