//! `vouch key generate` and `vouch key show`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use vouch_core::{Algorithm, PublicKey};
use vouch_keys::FileKey;

mod tpm;

use crate::cmd::PassphraseArgs;
use crate::exit::{CliError, CliResult, Outcome};

/// `vouch key ...`
#[derive(Subcommand, Debug)]
pub(crate) enum KeyCommand {
    /// Generate a key: a file key (default), a software authenticator's key
    /// (--backend soft-fido), or a credential on a security key (--backend
    /// fido); PATH.pub gets the OpenSSH public key line.
    ///
    /// A file key is written in vouch's format, encrypted (argon2id and
    /// XChaCha20-Poly1305) when a passphrase is given with --passphrase-file
    /// or VOUCH_PASSPHRASE. Neither file may exist yet.
    Generate(GenerateArgs),
    /// Make a test attestation CA for software authenticators (tests and
    /// demos only: a production roster never trusts it): its private key
    /// (a vouch key file) and its root certificate (PEM), for
    /// `key generate --backend soft-fido --test-ca` and `roster
    /// trust-authenticator --root`.
    TestCa(TestCaArgs),
    /// Show a key's id, algorithm, OpenSSH public key line and hardware evidence.
    ///
    /// The key id is SHA-256 of the SSH public key blob: the same hash
    /// `ssh-keygen -l` prints as SHA256:<base64>, shown here in hex as
    /// rosters and traces use it.
    Show(ShowArgs),
    /// Write the TPM's endorsement key certificate (RSA 2048, NV index
    /// 0x01c00002; DER) for an EK-certified enrollment (`roster
    /// tpm-challenge`). The TPM from VOUCH_TPM_TCTI (feature `tpm`).
    TpmEkCert(tpm::EkCertArgs),
    /// Answer an EK-certified enrollment's challenge with the TPM
    /// (TPM2_ActivateCredential with the key's attestation key): the
    /// answer comes out only in the TPM the challenge was made for
    /// (feature `tpm`).
    TpmActivate(tpm::ActivateArgs),
}

/// The algorithms file keys are made for.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum KeyAlgorithm {
    /// Ed25519.
    Ed25519,
    /// ECDSA on NIST P-256 (COSE ES256).
    #[value(alias = "es256")]
    P256,
}

/// Where a new key lives.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Backend {
    /// A key file (vouch's format, optionally passphrase-encrypted).
    #[default]
    File,
    /// A file key used as a software FIDO authenticator (`soft-fido:OUT`),
    /// for tests and demos; with --test-ca, OUT.attestation and
    /// OUT.client-data hold its enrollment attestation by that CA.
    SoftFido,
    /// A FIDO2 security key, through ssh-keygen: OUT is the stub ssh-keygen
    /// writes (no secret), used as `fido:OUT`; its attestation goes to
    /// OUT.attestation and the enrollment challenge to OUT.challenge
    /// (feature `fido`). `SSH_SK_PROVIDER` selects a middleware.
    Fido,
    /// A non-exportable P-256 key in the TPM (feature `tpm`; the TPM from
    /// VOUCH_TPM_TCTI or TPM2TOOLS_TCTI): OUT is the stub (the key's
    /// wrapped blobs, no secret), used as `tpm:OUT`; OUT.attestation holds
    /// the key's TPM2_Certify by the TPM's attestation key, OUT.ak that
    /// key's public area (for `roster trust-tpm`).
    Tpm,
}

/// Arguments of `vouch key generate`.
#[derive(Args, Debug)]
pub(crate) struct GenerateArgs {
    /// The signature algorithm.
    #[arg(long, value_enum, default_value = "ed25519")]
    algorithm: KeyAlgorithm,
    /// Where to write the private key; the public key goes to PATH.pub.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// A comment for the public key line (default: vouch- and the start of the key id).
    #[arg(long)]
    comment: Option<String>,
    /// The passphrase to encrypt the key with.
    #[command(flatten)]
    passphrase: PassphraseArgs,
    /// Where the key lives.
    #[arg(long, value_enum, default_value = "file")]
    backend: Backend,
    /// For a security key: ask for user verification (PIN or biometric)
    /// on every signature. The PIN comes from VOUCH_FIDO_PIN when set
    /// (vouch hands it to ssh-keygen), else ssh-keygen asks on the terminal.
    #[arg(long)]
    require_uv: bool,
    /// For a security key: the application the credential is scoped to
    /// (`ssh:` or `ssh:NAME`).
    #[arg(long, default_value = "ssh:")]
    application: String,
    /// For a software authenticator: the test attestation CA (the key file
    /// `key test-ca` wrote; its certificate is KEY.pem) that attests it.
    #[arg(long, value_name = "KEY")]
    test_ca: Option<PathBuf>,
}

/// Arguments of `vouch key test-ca`.
#[derive(Args, Debug)]
pub(crate) struct TestCaArgs {
    /// Where to write the CA's private key; its certificate goes to PATH.pem.
    #[arg(long, value_name = "PATH")]
    out: PathBuf,
    /// The CA's name (its certificate's CN and O).
    #[arg(long, default_value = "vouch test authenticators")]
    name: String,
    /// Years the CA is valid, from now.
    #[arg(long, default_value_t = 5)]
    years: u32,
}

/// The AAGUID of vouch's software authenticator ("vouch soft-fido").
const SOFT_FIDO_AAGUID: [u8; 16] = *b"vouch soft-fido\0";

/// Arguments of `vouch key show`.
#[derive(Args, Debug)]
pub(crate) struct ShowArgs {
    /// The key: file:PATH, soft-fido:PATH (a file key acting as a software
    /// FIDO authenticator, for tests and demos), or a bare PATH.
    #[arg(value_name = "KEYREF")]
    key: String,
    /// Print JSON instead of text.
    #[arg(long, conflicts_with = "openssh")]
    json: bool,
    /// Print only the OpenSSH public key line (e.g. for `roster add-key --pubkey`).
    #[arg(long)]
    openssh: bool,
    /// How to unlock the key.
    #[command(flatten)]
    passphrase: PassphraseArgs,
}

/// Runs `vouch key ...`.
pub(crate) fn run(command: KeyCommand) -> CliResult {
    match command {
        KeyCommand::Generate(a) => generate(a),
        KeyCommand::TestCa(a) => test_ca(a),
        KeyCommand::Show(a) => show(a),
        KeyCommand::TpmEkCert(a) => tpm::ek_cert(&a),
        KeyCommand::TpmActivate(a) => tpm::activate(&a),
    }
}

/// `vouch key generate`: refuses to replace either file.
fn generate(args: GenerateArgs) -> CliResult {
    if args.backend == Backend::Fido {
        return generate_fido(&args);
    }
    if args.backend == Backend::Tpm {
        return generate_tpm(&args);
    }
    if args.require_uv || args.application != "ssh:" {
        return Err(CliError::usage_msg(
            "--require-uv and --application are for --backend fido",
        ));
    }
    if args.test_ca.is_some() && args.backend != Backend::SoftFido {
        return Err(CliError::usage_msg("--test-ca is for --backend soft-fido"));
    }
    let mut public = args.out.clone().into_os_string();
    public.push(".pub");
    let public = PathBuf::from(public);
    for path in [&args.out, &public] {
        if path.exists() {
            return Err(CliError::usage_msg(format!(
                "{} already exists; refusing to overwrite it",
                path.display()
            )));
        }
    }
    let passphrase = crate::io::passphrase(args.passphrase.file())?;
    let algorithm = match args.algorithm {
        KeyAlgorithm::Ed25519 => Algorithm::Ed25519,
        KeyAlgorithm::P256 => Algorithm::Es256,
    };
    let mut key =
        FileKey::generate(algorithm).map_err(|e| CliError::usage("cannot generate the key", e))?;
    if let Some(c) = &args.comment {
        key = key.with_comment(c);
    }
    key.save(&args.out, passphrase.as_ref())
        .map_err(|e| CliError::usage("cannot save the private key", e))?;
    if args.backend == Backend::SoftFido {
        return soft_fido(&args, key, &public);
    }
    key.save_public(&public)
        .map_err(|e| CliError::usage("cannot save the public key", e))?;
    crate::io::outln!("key id {} ({})", key.key_id(), key.algorithm());
    crate::io::outln!("private key {}", args.out.display());
    crate::io::outln!("public key {}", public.display());
    Ok(Outcome::Done)
}

/// The rest of `key generate --backend soft-fido`: the authenticator's
/// public key, and with --test-ca its enrollment attestation.
fn soft_fido(args: &GenerateArgs, key: FileKey, public: &std::path::Path) -> CliResult {
    use vouch_core::Signer as _;
    use vouch_keys::softfido::{Presence, SoftAuthenticator, TestAttestationCa};
    let authenticator = SoftAuthenticator::new(key, "ssh:", Presence::Touch)
        .map_err(|e| CliError::usage("cannot make the software authenticator", e))?;
    let line = format!("{}\n", authenticator.public_key().to_openssh());
    crate::io::write_new(public, line.as_bytes())?;
    let out = args.out.display();
    crate::io::outln!(
        "key id {} ({}, software authenticator: tests and demos only)",
        authenticator.key_id(),
        authenticator.public_key().algorithm()
    );
    crate::io::outln!("key reference soft-fido:{out} (counter in {out}.counter)");
    crate::io::outln!("public key {}", public.display());
    let Some(ca_key) = &args.test_ca else {
        return Ok(Outcome::Done);
    };
    let mut cert = ca_key.clone().into_os_string();
    cert.push(".pem");
    let ca = TestAttestationCa::load(ca_key, std::path::Path::new(&cert))
        .map_err(|e| CliError::usage("cannot load the test attestation CA", e))?;
    // The client data a WebAuthn client would send, with a fresh challenge:
    // the attestation signs its SHA-256.
    let mut challenge = [0u8; 32];
    getrandom::fill(&mut challenge)
        .map_err(|e| CliError::usage("cannot make a challenge", std::io::Error::other(e)))?;
    let client_data = serde_json::json!({
        "type": "webauthn.create",
        "challenge": base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, challenge),
        "origin": "ssh:",
    })
    .to_string();
    let hash = vouch_core::Digest::sha256(client_data.as_bytes());
    let hash = hash.as_sha256().copied().unwrap_or_default();
    let object = authenticator
        .attest(&ca, SOFT_FIDO_AAGUID, hash)
        .map_err(|e| CliError::usage("cannot attest the software authenticator", e))?;
    let att = format!("{out}.attestation");
    let cd = format!("{out}.client-data");
    crate::io::write_new(std::path::Path::new(&att), &object)?;
    crate::io::write_new(std::path::Path::new(&cd), client_data.as_bytes())?;
    crate::io::outln!(
        "attestation {att} (client data {cd}), by test CA {}",
        ca_key.display()
    );
    crate::io::outln!(
        "enroll it: vouch roster add-key DRAFT --id ID --pubkey {} --fido-attestation {att} --client-data {cd}",
        public.display()
    );
    Ok(Outcome::Done)
}

/// `vouch key test-ca`.
fn test_ca(args: TestCaArgs) -> CliResult {
    use vouch_keys::softfido::TestAttestationCa;
    let mut cert = args.out.clone().into_os_string();
    cert.push(".pem");
    let cert = PathBuf::from(cert);
    let ca = TestAttestationCa::generate(&args.name, vouch_core::Timestamp::now(), args.years)
        .map_err(|e| CliError::usage("cannot make the test CA", e))?;
    ca.save(&args.out, &cert)
        .map_err(|e| CliError::usage("cannot save the test CA", e))?;
    crate::io::outln!("test attestation CA {:?} (tests and demos only)", args.name);
    crate::io::outln!("private key {}", args.out.display());
    crate::io::outln!("certificate {}", cert.display());
    Ok(Outcome::Done)
}

/// `vouch key generate --backend fido`.
#[cfg(feature = "fido")]
fn generate_fido(args: &GenerateArgs) -> CliResult {
    use vouch_keys::fido::FidoKey;
    let algorithm = match args.algorithm {
        KeyAlgorithm::Ed25519 => Algorithm::Ed25519,
        KeyAlgorithm::P256 => Algorithm::Es256,
    };
    eprintln!("Touch your security key if it blinks (ssh-keygen makes the credential).");
    let enrolled = FidoKey::generate(
        &args.out,
        algorithm,
        &args.application,
        args.require_uv,
        crate::fido::options(),
    )
    .map_err(|e| CliError::usage("cannot make the security-key credential", e))?;
    use vouch_core::Signer as _;
    let key = enrolled.key.public_key();
    let out = args.out.display();
    crate::io::outln!(
        "key id {} ({}, security key, application {})",
        key.key_id(),
        key.algorithm(),
        args.application
    );
    crate::io::outln!("key reference fido:{out} (stub {out}: the credential stays on the device)");
    crate::io::outln!("public key {out}.pub");
    crate::io::outln!("attestation {out}.attestation (challenge {out}.challenge)");
    crate::io::outln!(
        "enroll it: vouch roster add-key DRAFT --id ID --pubkey {out}.pub --fido-attestation {out}.attestation --challenge {out}.challenge"
    );
    Ok(Outcome::Done)
}

/// `vouch key generate --backend tpm`.
#[cfg(feature = "tpm")]
fn generate_tpm(args: &GenerateArgs) -> CliResult {
    use vouch_keys::tpm::{TpmKey, tcti_from_env};
    let Some(tcti) = tcti_from_env() else {
        return Err(CliError::usage_msg(
            "no TPM: set VOUCH_TPM_TCTI (e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321)",
        ));
    };
    let key = TpmKey::generate(&args.out, &tcti)
        .map_err(|e| CliError::usage("cannot make the TPM key", e))?;
    let (attest, signature, ak_public, key_public) = key.attestation();
    let certify =
        vouch_core::tpm::KeyAttestation::new(attest, signature, ak_public.clone(), key_public)
            .map_err(|e| CliError::usage("the TPM's certification does not parse", e))?;
    let out = args.out.display();
    let att = format!("{out}.attestation");
    let ak = format!("{out}.ak");
    crate::io::write_new(std::path::Path::new(&att), &certify.to_bytes())?;
    crate::io::write_new(std::path::Path::new(&ak), &ak_public)?;
    use vouch_core::Signer as _;
    crate::io::outln!("key id {} (ES256, in the TPM at {tcti})", key.key_id());
    crate::io::outln!("key reference tpm:{out} (stub {out}: wrapped by the TPM, no secret)");
    crate::io::outln!("public key {out}.pub");
    crate::io::outln!("attestation {att} (TPM2_Certify), attestation key {ak}");
    crate::io::outln!(
        "enroll: vouch roster trust-tpm DRAFT --id ID --ak {ak} --label MACHINE, then vouch roster add-key DRAFT --id ID --pubkey {out}.pub --tpm-attestation {att}"
    );
    Ok(Outcome::Done)
}

/// `vouch key generate --backend tpm` without the feature.
#[cfg(not(feature = "tpm"))]
fn generate_tpm(_args: &GenerateArgs) -> CliResult {
    Err(CliError::usage_msg(
        "this vouch was built without the tpm feature (cargo build --features tpm; needs libtss2-dev)",
    ))
}

/// `vouch key generate --backend fido` without the feature.
#[cfg(not(feature = "fido"))]
fn generate_fido(_args: &GenerateArgs) -> CliResult {
    Err(CliError::usage_msg(
        "this vouch was built without the fido feature (cargo build --features fido)",
    ))
}

/// What hardware evidence the key's signatures carry: a key bound to a FIDO
/// application can only sign authenticator data (flags and counter).
fn evidence(key: &PublicKey) -> String {
    match key.fido_application() {
        Some(application) => format!("fido (application {application})"),
        None => "none".to_owned(),
    }
}

/// `vouch key show`.
fn show(args: ShowArgs) -> CliResult {
    let reference = crate::io::key_ref(&args.key)?;
    let signer = crate::io::open_signer(&args.key, args.passphrase.file())?;
    let key = signer.public_key();
    if args.openssh {
        crate::io::outln!("{}", key.to_openssh());
    } else if args.json {
        let json = serde_json::json!({
            "keyRef": reference.to_string(),
            "keyId": key.key_id().to_string(),
            "fingerprint": key.key_id().ssh_fingerprint(),
            "algorithm": key.algorithm().name(),
            "publicKey": key.to_openssh(),
            "evidence": evidence(key),
        });
        crate::io::outln!("{json:#}");
    } else {
        crate::io::outln!("key ref      {reference}");
        crate::io::outln!("key id       {}", key.key_id());
        crate::io::outln!("fingerprint  {}", key.key_id().ssh_fingerprint());
        crate::io::outln!("algorithm    {}", key.algorithm());
        crate::io::outln!("public key   {}", key.to_openssh());
        crate::io::outln!("evidence     {}", evidence(key));
    }
    Ok(Outcome::Done)
}
