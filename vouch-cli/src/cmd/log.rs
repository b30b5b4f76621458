//! `vouch log init|add|verify|vkey`: a small transparency log of
//! statements in a directory (C2SP tlog-tiles, through vouch-log), and the
//! `--log` of `vouch attest`.

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::{Args, Subcommand};
use vouch_core::Timestamp;
use vouch_core::text::Escaped;
use vouch_core::tlog::NoteVerifier;
use vouch_log::{Log, LogError, Registered};

use crate::cmd::SignerArgs;
use crate::exit::{CliError, CliResult, Outcome};

/// The long help of `vouch log`.
pub(crate) const LONG_ABOUT: &str = "\
A small append-only transparency log of signed statements, for tests, demos
and small self-hosted setups.

The log is a directory in the C2SP tlog-tiles layout (checkpoint, tile/...,
tile/entries/...) that any static file server can serve. `init` makes it and
prints its verifier key (vkey), which verifiers put in their roster. `add`
appends a signed statement and writes it with the log's COSE receipt of
inclusion attached (`vouch attest ... --log DIR` does the same as it signs).
`verify` checks the whole log against a vkey.";

/// `vouch log ...`
#[derive(Subcommand, Debug)]
pub(crate) enum LogCommand {
    /// Create an empty log in DIR and print its verifier key.
    Init(InitArgs),
    /// Append a signed statement to the log and write it with its receipt.
    Add(AddArgs),
    /// Check the whole log: the checkpoint's signature, and that every
    /// entry and tile reproduces its root.
    Verify(VerifyArgs),
    /// Print the log's verifier key (as stored in DIR: not a trust anchor).
    Vkey(VkeyArgs),
    /// Write a checkpoint-bound inclusion proof of a logged statement (the
    /// log's current checkpoint, the statement's index, the proof), for
    /// `bundle create` as ENVELOPE.inclusion.
    Prove(ProveArgs),
    /// Cosign the checkpoint of an inclusion proof as a witness (C2SP
    /// cosignature/v1, dated now): a roster that lists the witness
    /// (`roster trust-witness`) takes that date as the statement's proven
    /// time. The checkpoint must verify with the log's key (--log-vkey); a
    /// real witness also checks that it is consistent with every
    /// checkpoint it cosigned before, which this demo command does not.
    Cosign(CosignArgs),
}

/// Arguments of `vouch log prove`.
#[derive(Args, Debug)]
pub(crate) struct ProveArgs {
    /// The log directory.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The signed statement, as it was logged (its receipts do not matter).
    #[arg(value_name = "ENVELOPE")]
    envelope: PathBuf,
    /// The log's verifier key (`vouch log init` printed it), or a file holding it.
    #[arg(long, value_name = "VKEY")]
    vkey: String,
    /// Where to write the inclusion proof.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: PathBuf,
}

/// Arguments of `vouch log cosign`.
#[derive(Args, Debug)]
pub(crate) struct CosignArgs {
    /// The inclusion proof whose checkpoint to cosign.
    #[arg(value_name = "INCLUSION")]
    inclusion: PathBuf,
    /// The witness's key name (as verifiers list it).
    #[arg(long)]
    name: String,
    /// The log's verifier key: the checkpoint must be the log's before a
    /// witness puts its name to it.
    #[arg(long, value_name = "VKEY")]
    log_vkey: String,
    /// The witness's key (Ed25519).
    #[command(flatten)]
    signer: SignerArgs,
    /// Where to write the cosigned inclusion proof.
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: PathBuf,
}

/// Arguments of `vouch log init`.
#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    /// The log directory (made if missing; an existing one must be empty).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The log's name: its checkpoints' first line and its key's name,
    /// by convention the URL it is served at without the scheme
    /// (example.com/log).
    #[arg(long, value_name = "ORIGIN")]
    origin: String,
    /// The log's signing key (Ed25519).
    #[command(flatten)]
    signer: SignerArgs,
}

/// Arguments of `vouch log add`.
#[derive(Args, Debug)]
pub(crate) struct AddArgs {
    /// The log directory.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The signed statement (a COSE_Sign or COSE_Sign1 envelope; `-` for
    /// standard input).
    #[arg(value_name = "ENVELOPE")]
    envelope: PathBuf,
    /// The log's signing key.
    #[command(flatten)]
    signer: SignerArgs,
    /// Where to write the envelope with its receipt (`-` for standard output).
    #[arg(short = 'o', long = "out", value_name = "OUT")]
    out: PathBuf,
}

/// Arguments of `vouch log verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The log directory.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// The log's verifier key, as `vouch log init` printed it, or a file
    /// holding it.
    #[arg(long, value_name = "VKEY")]
    vkey: String,
}

/// Arguments of `vouch log vkey`.
#[derive(Args, Debug)]
pub(crate) struct VkeyArgs {
    /// The log directory.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

/// Runs `vouch log ...`.
pub(crate) fn run(command: LogCommand) -> CliResult {
    match command {
        LogCommand::Init(a) => init(a),
        LogCommand::Prove(a) => prove(a),
        LogCommand::Cosign(a) => cosign(a),
        LogCommand::Add(a) => add(a),
        LogCommand::Verify(a) => verify(a),
        LogCommand::Vkey(a) => vkey(a),
    }
}

/// Whether a log error means the log's files are wrong (exit 1) rather
/// than that the command could not be carried out (exit 2).
fn is_refusal(e: &LogError) -> bool {
    matches!(
        e,
        LogError::Missing { .. }
            | LogError::FileTooLarge { .. }
            | LogError::TileSize { .. }
            | LogError::MalformedBundle { .. }
            | LogError::EntryMismatch { .. }
            | LogError::TileMismatch { .. }
            | LogError::RootMismatch { .. }
            | LogError::Inconsistent { .. }
            | LogError::Tlog(_)
    )
}

/// A log error as the CLI reports it.
fn log_error(message: String, e: LogError) -> CliError {
    if is_refusal(&e) {
        CliError::refused(message, e)
    } else {
        CliError::usage(message, e)
    }
}

/// Refuses a DIR that holds no log at all (exit 2), before the library
/// would call the missing checkpoint a damaged log.
fn require_log(dir: &Path) -> Result<(), CliError> {
    if !dir.join(vouch_log::layout::CHECKPOINT_PATH).is_file() {
        return Err(CliError::usage_msg(format!(
            "{} is not a vouch log (no checkpoint; make one with `vouch log init`)",
            dir.display()
        )));
    }
    Ok(())
}

/// `vouch log init`: prints the vkey alone, for scripts.
fn init(args: InitArgs) -> CliResult {
    let signer = args.signer.open()?;
    let log = Log::create(&args.dir, &args.origin, &*signer).map_err(|e| {
        CliError::usage(format!("cannot create a log in {}", args.dir.display()), e)
    })?;
    crate::io::outln!("{}", Escaped(&log.vkey()));
    Ok(Outcome::Done)
}

/// Appends `envelope` to the log in `dir`, signed by the key `key`
/// (unlocked as `--key` is), and returns it with its receipt attached.
pub(crate) fn register(
    dir: &Path,
    key: &SignerArgs,
    envelope: &[u8],
) -> Result<Registered, CliError> {
    // A file that is no envelope is bad input, not a damaged log.
    vouch_core::tlog::receipt::registered_bytes(envelope)
        .map_err(|e| CliError::usage("the statement is not a COSE envelope", e))?;
    require_log(dir)?;
    let signer = key.open()?;
    let mut log = Log::open(dir)
        .map_err(|e| log_error(format!("the log in {} is refused", dir.display()), e))?;
    log.register(envelope, &*signer, Some(Timestamp::now().unix_seconds()))
        .map_err(|e| log_error(format!("cannot append to the log in {}", dir.display()), e))
}

/// `vouch log add`.
fn add(args: AddArgs) -> CliResult {
    let envelope = crate::io::read(&args.envelope, crate::io::Input::SIGNED)?;
    let registered = register(&args.dir, &args.signer, &envelope)?;
    crate::io::write(&args.out, &registered.envelope)?;
    let summary = format!(
        "entry {}, tree size {}, receipt attached in {}",
        registered.appended.index,
        registered.appended.tree_size,
        args.out.display()
    );
    if args.out.as_os_str() == "-" {
        eprintln!("{summary}");
    } else {
        crate::io::outln!("{summary}");
    }
    Ok(Outcome::Done)
}

/// Parses `--vkey`: the key itself, or a file holding it.
fn parse_vkey(arg: &str) -> Result<NoteVerifier, CliError> {
    parse_vkey_flag(arg, "--vkey")
}

/// Parses a verifier key given with `flag`: the key itself, or a file holding it.
fn parse_vkey_flag(arg: &str, flag: &str) -> Result<NoteVerifier, CliError> {
    match NoteVerifier::from_vkey(arg.trim()) {
        Ok(v) => Ok(v),
        Err(e) if !Path::new(arg).is_file() => Err(CliError::usage(
            format!("{flag} is not a verifier key or a file"),
            e,
        )),
        Err(_) => {
            let text = crate::io::read_text(Path::new(arg), crate::io::Input::KEY)?;
            NoteVerifier::from_vkey(text.trim())
                .map_err(|e| CliError::usage(format!("{arg} does not hold a verifier key"), e))
        }
    }
}

/// `vouch log verify`: a refusal exits 1.
fn verify(args: VerifyArgs) -> CliResult {
    let verifier = parse_vkey(&args.vkey)?;
    require_log(&args.dir)?;
    let log = Log::open_with(&args.dir, &verifier)
        .map_err(|e| log_error(format!("the log in {} is refused", args.dir.display()), e))?;
    crate::io::outln!(
        "verified: log {}, tree size {}, root {}",
        Escaped(log.origin()),
        log.size(),
        STANDARD.encode(log.checkpoint().root())
    );
    Ok(Outcome::Done)
}

/// `vouch log vkey`.
fn vkey(args: VkeyArgs) -> CliResult {
    require_log(&args.dir)?;
    let verifier = Log::stored_verifier(&args.dir).map_err(|e| {
        CliError::usage(
            format!("cannot read the verifier key of {}", args.dir.display()),
            e,
        )
    })?;
    crate::io::outln!("{}", Escaped(&verifier.to_vkey()));
    Ok(Outcome::Done)
}

/// `vouch log prove`.
fn prove(args: ProveArgs) -> CliResult {
    let verifier = parse_vkey(&args.vkey)?;
    let envelope = crate::io::read(&args.envelope, crate::io::Input::SIGNED)?;
    let leaf = vouch_core::tlog::receipt::statement_leaf(&envelope)
        .map_err(|e| CliError::usage("the statement is not a COSE envelope", e))?;
    require_log(&args.dir)?;
    let log = Log::open_with(&args.dir, &verifier)
        .map_err(|e| log_error(format!("the log in {} is refused", args.dir.display()), e))?;
    let size = log.size();
    let mut found = None;
    for index in 0..size {
        let h = log
            .leaf_hash(index)
            .map_err(|e| log_error("cannot read the log".into(), e))?;
        if h == leaf {
            found = Some(index);
            break;
        }
    }
    let Some(index) = found else {
        return Err(CliError::refused_msg(format!(
            "{} is not in the log in {}",
            args.envelope.display(),
            args.dir.display()
        )));
    };
    let proof = log
        .inclusion_proof(index, size)
        .map_err(|e| log_error("cannot prove the entry".into(), e))?;
    let inclusion = vouch_chain::Inclusion {
        checkpoint: log.checkpoint_note().to_vec(),
        index,
        proof,
    };
    let bytes = inclusion
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the inclusion proof", e))?;
    crate::io::write(&args.out, &bytes)?;
    crate::io::outln!(
        "entry {index} of tree size {size}: inclusion proof written to {}",
        args.out.display()
    );
    Ok(Outcome::Done)
}

/// `vouch log cosign`.
fn cosign(args: CosignArgs) -> CliResult {
    let bytes = crate::io::read(&args.inclusion, crate::cmd::bundle::INCLUSION)?;
    let mut inclusion = vouch_chain::Inclusion::from_bytes(&bytes).map_err(|e| {
        CliError::usage(
            format!("{} is not an inclusion proof", args.inclusion.display()),
            e,
        )
    })?;
    let log = parse_vkey_flag(&args.log_vkey, "--log-vkey")?;
    vouch_core::tlog::Checkpoint::verify(&inclusion.checkpoint, &log, &[]).map_err(|e| {
        CliError::refused("the inclusion's checkpoint is not signed by that log", e)
    })?;
    let signer = args.signer.open()?;
    let mut note = vouch_core::tlog::Note::from_bytes(&inclusion.checkpoint)
        .map_err(|e| CliError::usage("the inclusion's checkpoint is not a signed note", e))?;
    let now = u64::try_from(Timestamp::now().unix_seconds()).unwrap_or(0);
    vouch_core::tlog::cosignature::cosign(&mut note, &args.name, &*signer, now)
        .map_err(|e| CliError::usage("cannot cosign the checkpoint", e))?;
    inclusion.checkpoint = note.to_bytes();
    let out = inclusion
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the inclusion proof", e))?;
    crate::io::write(&args.out, &out)?;
    crate::io::outln!(
        "checkpoint cosigned by {} at {}: {}",
        Escaped(&args.name),
        Timestamp::now(),
        args.out.display()
    );
    Ok(Outcome::Done)
}
