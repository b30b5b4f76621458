//! `vouch sigstore verify`: a Sigstore bundle (cosign, gh attestation,
//! sigstore-python), verified offline against a trusted root the user
//! supplies (cargo feature `sigstore`).
//!
//! The command line parses the same with or without the feature, so that
//! a build without it says what is missing rather than "unrecognized
//! subcommand".

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand};

use crate::exit::CliResult;

/// Why `--trusted-root` has no default, for the refusal.
#[cfg(feature = "sigstore")]
const NO_DEFAULT_ROOT: &str = "vouch fetches nothing and embeds no Sigstore \
    trusted root: a copy built into the binary would go stale without anyone \
    noticing when Sigstore rotates its keys. Pass the root you trust, e.g. \
    the public-good one from `gh attestation trusted-root` or the \
    trusted_root.json target of Sigstore's TUF repository \
    (https://tuf-repo-cdn.sigstore.dev)";

/// `vouch sigstore ...`
#[derive(Subcommand, Debug)]
pub(crate) enum SigstoreCommand {
    /// Verify a Sigstore bundle over an artifact, offline, against a
    /// trusted root; print who signed it (identity, OIDC issuer, the
    /// certificate's workflow claims), its transparency log entries and the
    /// time it is proven to have existed by.
    ///
    /// A keyless bundle must name exactly --identity (the certificate's
    /// SAN: an email address, or a URI such as
    /// https://github.com/OWNER/REPO/.github/workflows/release.yml@refs/heads/main)
    /// and exactly --issuer (e.g. https://token.actions.githubusercontent.com);
    /// a key-signed bundle must verify with --key.
    Verify(VerifyArgs),
}

/// Arguments of `vouch sigstore verify`.
#[derive(Args, Debug)]
// Without the feature they are parsed, then only the missing feature is reported.
#[cfg_attr(not(feature = "sigstore"), allow(dead_code))]
#[command(group(ArgGroup::new("signer").required(true).args(["identity", "key"])))]
pub(crate) struct VerifyArgs {
    /// The bundle (*.sigstore.json, bundle format 0.1, 0.2 or 0.3).
    #[arg(value_name = "BUNDLE")]
    bundle: PathBuf,
    /// The signed artifact (for a DSSE bundle: a subject of its in-toto
    /// statement).
    #[arg(long, value_name = "FILE")]
    artifact: PathBuf,
    /// The Sigstore trusted root (trusted_root.json). Required: vouch
    /// embeds none and fetches none.
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    /// The signer's identity: the certificate's subject alternative name,
    /// compared exactly.
    #[arg(long, value_name = "SAN", requires = "issuer")]
    identity: Option<String>,
    /// The OIDC issuer that vouched for --identity, compared exactly.
    #[arg(long, value_name = "URL", requires = "identity")]
    issuer: Option<String>,
    /// A PEM public key the bundle is signed with, instead of a certificate.
    #[arg(long, value_name = "KEY.pem", conflicts_with_all = ["identity", "issuer"])]
    key: Option<PathBuf>,
}

/// Runs `vouch sigstore ...`.
pub(crate) fn run(command: SigstoreCommand) -> CliResult {
    match command {
        SigstoreCommand::Verify(a) => verify(a),
    }
}

/// Without the feature: a usage error that names it.
#[cfg(not(feature = "sigstore"))]
fn verify(_: VerifyArgs) -> CliResult {
    Err(crate::exit::CliError::usage_msg(
        "this vouch was built without Sigstore support (cargo feature `sigstore` of vouch-cli)",
    ))
}

/// `vouch sigstore verify`: a refusal exits 1; unusable inputs exit 2.
#[cfg(feature = "sigstore")]
fn verify(args: VerifyArgs) -> CliResult {
    use vouch_core::text::Escaped;
    use vouch_sigstore::{ArtifactRef, Bundle, Expectation, PublicKey, Signer, TrustedRoot};

    use crate::exit::{CliError, Outcome};
    use crate::io::outln;

    let Some(root_path) = &args.trusted_root else {
        return Err(CliError::usage_msg(format!(
            "--trusted-root FILE is required: {NO_DEFAULT_ROOT}"
        )));
    };
    let root = TrustedRoot::from_json(&crate::io::read(
        root_path,
        crate::io::Input::new("Sigstore trusted root", vouch_sigstore::MAX_TRUSTED_ROOT),
    )?)
    .map_err(|e| {
        CliError::usage(
            format!("trusted root {} cannot be used", root_path.display()),
            e,
        )
    })?;
    let expected = match (&args.identity, &args.issuer, &args.key) {
        (Some(san), Some(issuer), None) => Expectation::Identity {
            san: san.clone(),
            issuer: issuer.clone(),
        },
        (None, None, Some(path)) => {
            let key = PublicKey::from_pem(&crate::io::read_text(path, crate::io::Input::KEY)?)
                .map_err(|e| {
                    CliError::usage(format!("key {} cannot be used", path.display()), e)
                })?;
            Expectation::Key(key)
        }
        // clap's argument groups make every other combination a usage error
        // before this runs; kept as one here too.
        _ => {
            return Err(CliError::usage_msg(
                "give either --identity and --issuer, or --key",
            ));
        }
    };
    let artifact = crate::io::read(&args.artifact, crate::io::Input::BUNDLE)?;
    let bundle_bytes = crate::io::read(
        &args.bundle,
        crate::io::Input::new("Sigstore bundle", vouch_sigstore::MAX_BUNDLE),
    )?;
    let refused = |e: vouch_sigstore::Error| {
        let message = format!("Sigstore bundle {} refused", args.bundle.display());
        if e.is_input() {
            CliError::usage(message, e)
        } else {
            CliError::refused(message, e)
        }
    };
    let bundle = Bundle::from_json(&bundle_bytes).map_err(refused)?;
    let verified = vouch_sigstore::verify(&bundle, ArtifactRef::Bytes(&artifact), &root, &expected)
        .map_err(refused)?;

    // Every string below came from the bundle (or the trusted root):
    // escaped before it reaches the terminal.
    outln!(
        "verified: Sigstore bundle {} (format {}) over {} ({})",
        args.bundle.display(),
        verified.version(),
        args.artifact.display(),
        verified.artifact_digest()
    );
    match verified.signer() {
        Signer::Certificate(cert) => {
            outln!("signer: {} ({})", Escaped(cert.san()), cert.san_kind());
            outln!("issuer: {}", Escaped(cert.issuer()));
            outln!(
                "certificate: Fulcio, valid {} to {}",
                cert.not_before(),
                cert.not_after()
            );
            for (claim, value) in cert.claims().iter() {
                outln!("  {claim}: {}", Escaped(value));
            }
        }
        Signer::Key { spki_sha256 } => {
            outln!("signer: the key {} ({spki_sha256})", args_key(&args));
        }
        _ => outln!("signer: (unknown kind)"),
    }
    for entry in verified.log_entries() {
        let log = entry.log_url().map_or_else(
            || format!("log id {}", hex(entry.log_id())),
            |u| Escaped(u).to_string(),
        );
        let time = entry
            .integrated_time()
            .map(|t| format!(", integrated {t}"))
            .unwrap_or_default();
        outln!(
            "log: {} {log}, entry {} ({} {}){time}",
            entry.rekor(),
            entry.index(),
            entry.kind(),
            entry.kind_version()
        );
    }
    match verified.proven_time() {
        Some(t) => outln!("proven time: {}, by {}", t.time(), t.source()),
        None => outln!("proven time: none (no Rekor v1 entry, no RFC 3161 timestamp)"),
    }
    if let Some(dsse) = verified.dsse() {
        outln!(
            "DSSE payload: type {}, {} bytes",
            Escaped(dsse.payload_type()),
            dsse.payload().len()
        );
    }
    Ok(Outcome::Done)
}

/// The --key path, for the signer line.
#[cfg(feature = "sigstore")]
fn args_key(args: &VerifyArgs) -> String {
    args.key
        .as_deref()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// Lower-case hex.
#[cfg(feature = "sigstore")]
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
