//! `vouch repo ...`: the repository policy and the signed reference log
//! kept in the repository under `refs/vouch/log` (see docs/repository.md).

use std::collections::{BTreeMap, HashSet};
use std::io::{Read as _, Write as _};
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::{Args, Subcommand};
use vouch_core::text::Escaped;
use vouch_core::{Digest, Signer, Timestamp};
use vouch_manifest::ref_log::{MAX_LOG_ENTRIES, is_zero};
use vouch_manifest::{
    GitObjectId, IdentityId, ProtectedRef, RefLog, RefLogAction, RefLogEntry, RefUpdate,
    RepoAdmins, RepoPolicy, RoleName, Signed, Statement,
};

use crate::exit::{CliError, Outcome};
use crate::io::outln;

use super::PassphraseArgs;
use super::trust::RosterTrustArgs;
use crate::exit::CliResult;

/// The ref the log lives under.
pub(crate) const LOG_REF: &str = "refs/vouch/log";
/// The blob of each log commit's tree that holds the entry's envelope.
const ENTRY_FILE: &str = "entry.cose";
/// The blob that holds the policy version a policy entry records.
const POLICY_FILE: &str = "policy.cose";
/// The largest envelope read from the log (an entry with a few signatures
/// is under 2 KiB; a policy of a thousand refs under 1 MiB).
const MAX_BLOB: usize = 4 << 20;

/// `vouch repo ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum RepoCommand {
    /// Write, sign and show repository policy versions.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Sign the entry of a ref update (or of a policy version) and append
    /// it to refs/vouch/log; from a pre-push hook with --pre-push.
    Record(RecordArgs),
    /// The history of the log: each update and each policy change, with
    /// who, what and when.
    Log(GitDirArgs),
    /// Check the whole log against the policy chain and the roster, and
    /// the protected refs' heads against the log.
    Verify(VerifyArgs),
    /// Add the log, its policy versions and the commit objects of the
    /// logged updates to a bundle, for `vouch verify`.
    Export(ExportArgs),
    /// Turn a forge's audit events (GitHub audit log, GitLab audit events,
    /// JSON as their APIs export them) into the proposed next policy
    /// version, and report the changes no signed version reflects.
    Import(ImportArgs),
}

/// Arguments of `vouch repo import`.
#[derive(Args, Debug)]
pub(crate) struct ImportArgs {
    /// A GitHub audit-log export (JSON array).
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "gitlab",
        required_unless_present = "gitlab"
    )]
    github: Option<PathBuf>,
    /// A GitLab audit-events export (JSON array).
    #[arg(long, value_name = "FILE")]
    gitlab: Option<PathBuf>,
    /// The signed policy version in force.
    #[arg(long, value_name = "FILE")]
    policy: PathBuf,
    /// Where to write the proposed version's JSON (to review, then sign).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

/// `vouch repo policy ...`.
#[derive(Subcommand, Debug)]
pub(crate) enum PolicyCommand {
    /// Write the JSON of version 1 (edit it, then `vouch repo policy sign`).
    Init(InitArgs),
    /// Write the JSON of the version after a signed one (same settings,
    /// previous = its digest, issued now), to edit and sign.
    Next(NextArgs),
    /// Sign a policy JSON, or add a signature to a signed version
    /// (signatures of several admins combine).
    Sign(SignArgs),
    /// Show a signed policy version (unverified) and who signed it.
    Show(ShowArgs),
}

/// Arguments of `vouch repo policy init`.
#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    /// The repository URL.
    #[arg(long, value_name = "URL")]
    repository: String,
    /// An admin identity (repeatable).
    #[arg(long = "admin", value_name = "ID", required = true)]
    admins: Vec<IdentityId>,
    /// How many admins sign the next version.
    #[arg(long, default_value = "1")]
    threshold: NonZeroU32,
    /// A protected ref pattern (repeatable), updatable by the --role holders.
    #[arg(long = "protect", value_name = "PATTERN")]
    protect: Vec<String>,
    /// The roster roles that may update the protected refs (repeatable).
    #[arg(long = "role", value_name = "ROLE")]
    roles: Vec<RoleName>,
    /// Where to write the JSON.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

/// Arguments of `vouch repo policy next`.
#[derive(Args, Debug)]
pub(crate) struct NextArgs {
    /// The signed version in force.
    previous: PathBuf,
    /// Where to write the JSON.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

/// Arguments of `vouch repo policy sign`.
#[derive(Args, Debug)]
pub(crate) struct SignArgs {
    /// A policy JSON to sign, or a signed version to add a signature to.
    input: PathBuf,
    /// The admin's key.
    #[arg(long, value_name = "KEYREF")]
    key: String,
    /// How to unlock the key.
    #[command(flatten)]
    passphrase: PassphraseArgs,
    /// Where to write the signed version (may be the input).
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
}

/// Arguments of `vouch repo policy show`.
#[derive(Args, Debug)]
pub(crate) struct ShowArgs {
    /// A signed policy version.
    file: PathBuf,
}

/// The repository a command works on.
#[derive(Args, Debug)]
pub(crate) struct GitDirArgs {
    /// The git repository (a work tree or a bare repository); default: the current directory.
    #[arg(long, value_name = "DIR", default_value = ".")]
    git_dir: PathBuf,
}

/// Arguments of `vouch repo record`.
#[derive(Args, Debug)]
pub(crate) struct RecordArgs {
    /// The repository.
    #[command(flatten)]
    git: GitDirArgs,
    /// The signing keys: the pusher's first, then approvers' (repeatable).
    #[arg(long = "key", value_name = "KEYREF", required = true)]
    keys: Vec<String>,
    /// How to unlock the keys.
    #[command(flatten)]
    passphrase: PassphraseArgs,
    /// The pusher's roster identity.
    #[arg(long, value_name = "ID")]
    by: IdentityId,
    /// The ref updated (full name, refs/heads/main).
    #[arg(long = "ref", value_name = "REF", conflicts_with_all = ["pre_push", "policy"])]
    refname: Option<String>,
    /// Its old commit (default: the ref's head by the log, or the zero id).
    #[arg(long, value_name = "ID", requires = "refname")]
    old: Option<GitObjectId>,
    /// Its new commit (default: the ref's current value in the repository).
    #[arg(long, value_name = "ID", requires = "refname")]
    new: Option<GitObjectId>,
    /// Read the updates from a pre-push hook's standard input:
    /// `<local ref> <local sha> <remote ref> <remote sha>` per line.
    #[arg(long, conflicts_with = "policy")]
    pre_push: bool,
    /// Record a signed policy version (it takes force from this entry on).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// The repository URL the entries name (default: the one the policy in
    /// force names).
    #[arg(long, value_name = "URL")]
    repository: Option<String>,
}

/// Arguments of `vouch repo verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The repository.
    #[command(flatten)]
    git: GitDirArgs,
    /// The roster.
    #[command(flatten)]
    roster: RosterTrustArgs,
    /// The statement digest of the repository policy's version 1, known out of band.
    #[arg(long, value_name = "DIGEST")]
    policy_pin: Digest,
}

/// Arguments of `vouch repo export`.
#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    /// The repository.
    #[command(flatten)]
    git: GitDirArgs,
    /// A bundle to add to (its statements are kept).
    #[arg(long, value_name = "FILE")]
    add_to: Option<PathBuf>,
    /// Where to write the bundle.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// The most commit objects added (the logged heads and their ancestry).
    #[arg(long, default_value = "100000")]
    max_commits: usize,
}

/// Runs `vouch repo ...`.
pub(crate) fn run(command: RepoCommand) -> CliResult {
    match command {
        RepoCommand::Policy(PolicyCommand::Init(a)) => init(a),
        RepoCommand::Policy(PolicyCommand::Next(a)) => next(a),
        RepoCommand::Policy(PolicyCommand::Sign(a)) => sign(a),
        RepoCommand::Policy(PolicyCommand::Show(a)) => show(a),
        RepoCommand::Record(a) => record(a),
        RepoCommand::Log(a) => log(a),
        RepoCommand::Verify(a) => verify(a),
        RepoCommand::Export(a) => export(a),
        RepoCommand::Import(a) => import(a),
    }
}

fn write_json(path: &Path, policy: &RepoPolicy) -> CliResult {
    let mut json = serde_json::to_vec_pretty(policy)
        .map_err(|e| CliError::usage("cannot encode the policy", e))?;
    json.push(b'\n');
    crate::io::write(path, &json)?;
    eprintln!("wrote {}", path.display());
    Ok(Outcome::Done)
}

fn init(a: InitArgs) -> CliResult {
    let policy = RepoPolicy {
        repository: a.repository,
        version: 1,
        previous: None,
        admins: RepoAdmins {
            identities: a.admins,
            threshold: a.threshold,
        },
        protected_refs: a
            .protect
            .into_iter()
            .map(|pattern| ProtectedRef {
                pattern,
                roles: a.roles.clone(),
                identities: Vec::new(),
                approvals: 0,
                force_push: false,
            })
            .collect(),
        webhooks: Vec::new(),
        deploy_keys: Vec::new(),
        issued_at: Timestamp::now(),
    };
    // Refuse here what signing would refuse later.
    Statement::from_predicate(policy.clone())
        .map_err(|e| CliError::usage("the policy is not valid", e))?;
    write_json(&a.output, &policy)
}

fn read_policy(path: &Path) -> Result<Signed<RepoPolicy>, CliError> {
    Signed::from_bytes(&crate::io::read(path, crate::io::Input::SIGNED)?).map_err(|e| {
        CliError::usage(
            format!("{} is not a signed repository policy", path.display()),
            e,
        )
    })
}

fn next(a: NextArgs) -> CliResult {
    let previous = read_policy(&a.previous)?;
    let mut p = previous.unverified().predicate().clone();
    p.version += 1;
    p.previous = Some(previous.digest());
    p.issued_at = Timestamp::now();
    write_json(&a.output, &p)
}

fn open_signer(
    key: &str,
    passphrase: &PassphraseArgs,
) -> Result<Box<dyn Signer + Send + Sync>, CliError> {
    crate::io::open_signer(key, passphrase.file())
}

fn sign(a: SignArgs) -> CliResult {
    let bytes = crate::io::read(&a.input, crate::io::Input::SIGNED)?;
    let signer = open_signer(&a.key, &a.passphrase)?;
    let signed =
        if bytes.first() == Some(&b'{') || bytes.first().is_some_and(u8::is_ascii_whitespace) {
            let policy: RepoPolicy = serde_json::from_slice(&bytes).map_err(|e| {
                CliError::usage(format!("{} is not a policy JSON", a.input.display()), e)
            })?;
            let statement = Statement::from_predicate(policy)
                .map_err(|e| CliError::usage("the policy is not valid", e))?;
            Signed::sign(&statement, signer.as_ref())
                .map_err(|e| CliError::usage("cannot sign the policy", e))?
        } else {
            let mut signed = read_policy(&a.input)?;
            signed
                .cosign(signer.as_ref())
                .map_err(|e| CliError::usage("cannot add the signature", e))?;
            signed
        };
    let out = signed
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the policy", e))?;
    crate::io::write(&a.output, &out)?;
    let p = signed.unverified().predicate();
    eprintln!(
        "repository policy version {} of {}: {} signature(s); digest {}",
        p.version,
        Escaped(&p.repository),
        signed.signature_key_ids().len(),
        signed.digest()
    );
    outln!("{}", signed.digest());
    Ok(Outcome::Done)
}

fn show(a: ShowArgs) -> CliResult {
    let signed = read_policy(&a.file)?;
    let p = signed.unverified().predicate();
    outln!("repository policy (unverified): {}", Escaped(&p.repository));
    outln!("  version {}  digest {}", p.version, signed.digest());
    if let Some(prev) = &p.previous {
        outln!("  previous {prev}");
    }
    outln!("  issued at {}", p.issued_at);
    outln!(
        "  admins ({} of them sign a change): {}",
        p.admins.threshold,
        ids(&p.admins.identities)
    );
    for r in &p.protected_refs {
        outln!("  {}", protected(r));
    }
    for w in &p.webhooks {
        outln!("  webhook {}", Escaped(w));
    }
    for k in &p.deploy_keys {
        outln!(
            "  deploy key {} {} ({})",
            Escaped(&k.title),
            Escaped(&k.key),
            if k.write { "read-write" } else { "read-only" }
        );
    }
    for k in signed.signature_key_ids() {
        match k {
            Some(k) => outln!("  signed by key {k}"),
            None => outln!("  a signature without a key id"),
        }
    }
    Ok(Outcome::Done)
}

fn ids(ids: &[IdentityId]) -> String {
    if ids.is_empty() {
        return "nobody".into();
    }
    ids.iter()
        .map(|i| Escaped(i.as_str()).to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn protected(r: &ProtectedRef) -> String {
    let roles: Vec<String> = r.roles.iter().map(|r| format!("role {r}")).collect();
    let who: Vec<String> = r
        .identities
        .iter()
        .map(|i| Escaped(i.as_str()).to_string())
        .collect();
    format!(
        "protected {}: {}; {} approval(s); force-push {}",
        Escaped(&r.pattern),
        [roles, who].concat().join(", "),
        r.approvals,
        if r.force_push { "allowed" } else { "forbidden" }
    )
}

// ---- git plumbing -------------------------------------------------------

/// Runs git in `dir` with `input` on its standard input; returns its exit
/// status and at most `limit` bytes of its output.
fn git(
    dir: &Path,
    args: &[&str],
    input: Option<&[u8]>,
    limit: usize,
) -> Result<(bool, Vec<u8>), CliError> {
    let cannot = |e: std::io::Error| {
        CliError::usage(
            format!("cannot run git {}", args.first().copied().unwrap_or("")),
            e,
        )
    };
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .arg("--no-replace-objects")
        .args(args)
        // The log's commits are made by vouch, not by whoever runs it.
        .env("GIT_AUTHOR_NAME", "vouch")
        .env("GIT_AUTHOR_EMAIL", "vouch@localhost")
        .env("GIT_COMMITTER_NAME", "vouch")
        .env("GIT_COMMITTER_EMAIL", "vouch@localhost")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(cannot)?;
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(bytes).map_err(cannot)?;
    }
    let mut out = Vec::new();
    if let Some(s) = child.stdout.take() {
        s.take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(cannot)?;
    }
    if out.len() > limit {
        let _ = child.kill();
        let _ = child.wait();
        return Err(CliError::usage_msg(format!(
            "git {} printed more than {limit} bytes",
            args.first().copied().unwrap_or("")
        )));
    }
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = (&mut e).take(4096).read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(cannot)?;
    if !status.success() && !stderr.trim().is_empty() && status.code() != Some(1) {
        return Err(CliError::usage_msg(format!(
            "git {} failed: {}",
            args.first().copied().unwrap_or(""),
            Escaped(stderr.trim())
        )));
    }
    Ok((status.success(), out))
}

/// Whether a commit object `id` exists in the repository.
fn has_commit(dir: &Path, id: &str) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "--no-replace-objects",
            "cat-file",
            "-e",
            &format!("{id}^{{commit}}"),
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs git and requires success; returns its output, trimmed.
fn git_ok(
    dir: &Path,
    args: &[&str],
    input: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<u8>, CliError> {
    let (ok, out) = git(dir, args, input, limit)?;
    if !ok {
        return Err(CliError::usage_msg(format!(
            "git {} failed",
            args.join(" ")
        )));
    }
    Ok(out)
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).trim().to_owned()
}

fn object_id(out: &[u8]) -> Result<GitObjectId, CliError> {
    text(out)
        .parse()
        .map_err(|e| CliError::usage("git printed no object id", e))
}

/// The current value of `refname`, if it exists.
fn resolve(dir: &Path, refname: &str) -> Result<Option<GitObjectId>, CliError> {
    let (ok, out) = git(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{refname}^{{commit}}"),
        ],
        None,
        256,
    )?;
    if !ok {
        return Ok(None);
    }
    Ok(Some(object_id(&out)?))
}

/// One commit of the log: its id and the envelopes in its tree.
struct LogCommit {
    entry: Signed<RefLogEntry>,
    policy: Option<Signed<RepoPolicy>>,
}

fn blob(dir: &Path, commit: &GitObjectId, file: &str) -> Result<Option<Vec<u8>>, CliError> {
    let spec = format!("{commit}:{file}");
    let names = git_ok(
        dir,
        &["ls-tree", "--name-only", commit.as_str()],
        None,
        64 << 10,
    )?;
    if !text(&names).lines().any(|n| n == file) {
        return Ok(None);
    }
    Ok(Some(git_ok(
        dir,
        &["cat-file", "blob", &spec],
        None,
        MAX_BLOB,
    )?))
}

/// Reads refs/vouch/log, oldest entry first.
fn read_log(dir: &Path) -> Result<(Option<GitObjectId>, RefLog), CliError> {
    let Some(head) = resolve(dir, LOG_REF)? else {
        return Ok((None, RefLog::default()));
    };
    let max = (MAX_LOG_ENTRIES + 1).to_string();
    let out = git_ok(
        dir,
        &[
            "rev-list",
            "--first-parent",
            "--max-count",
            &max,
            head.as_str(),
        ],
        None,
        (MAX_LOG_ENTRIES + 1) * 65,
    )?;
    let mut commits: Vec<GitObjectId> = text(&out)
        .lines()
        .map(|l| l.parse())
        .collect::<Result<_, _>>()
        .map_err(|e| CliError::usage("git rev-list printed no object id", e))?;
    if commits.len() > MAX_LOG_ENTRIES {
        return Err(CliError::usage_msg(format!(
            "{LOG_REF} holds more than {MAX_LOG_ENTRIES} entries"
        )));
    }
    commits.reverse();
    let mut log = RefLog::default();
    for c in &commits {
        let one = read_log_commit(dir, c)?;
        if let Some(p) = one.policy {
            log.policies.insert(p.digest(), p);
        }
        log.entries.push(one.entry);
    }
    Ok((Some(head), log))
}

fn read_log_commit(dir: &Path, c: &GitObjectId) -> Result<LogCommit, CliError> {
    let bad = |what: &str, e: vouch_manifest::ManifestError| {
        CliError::refused(
            format!("log commit {c}: {what} is not a signed statement of its kind"),
            e,
        )
    };
    let entry = blob(dir, c, ENTRY_FILE)?
        .ok_or_else(|| CliError::refused_msg(format!("log commit {c} holds no {ENTRY_FILE}")))?;
    let entry = Signed::<RefLogEntry>::from_bytes(&entry).map_err(|e| bad(ENTRY_FILE, e))?;
    let policy = blob(dir, c, POLICY_FILE)?
        .map(|b| Signed::<RepoPolicy>::from_bytes(&b).map_err(|e| bad(POLICY_FILE, e)))
        .transpose()?;
    Ok(LogCommit { entry, policy })
}

/// Appends one entry (and the policy it records) to refs/vouch/log, with
/// the log's old head as the expected value, so a concurrent append fails
/// instead of being lost.
fn append(
    dir: &Path,
    head: Option<&GitObjectId>,
    entry: &Signed<RefLogEntry>,
    policy: Option<&Signed<RepoPolicy>>,
) -> Result<GitObjectId, CliError> {
    let write_blob = |bytes: &[u8]| -> Result<GitObjectId, CliError> {
        object_id(&git_ok(
            dir,
            &["hash-object", "-w", "--stdin"],
            Some(bytes),
            256,
        )?)
    };
    let encode = |r: Result<Vec<u8>, vouch_manifest::ManifestError>| {
        r.map_err(|e| CliError::usage("cannot encode the envelope", e))
    };
    let mut tree = format!(
        "100644 blob {}\t{ENTRY_FILE}\n",
        write_blob(&encode(entry.to_bytes())?)?
    );
    if let Some(p) = policy {
        tree.push_str(&format!(
            "100644 blob {}\t{POLICY_FILE}\n",
            write_blob(&encode(p.to_bytes())?)?
        ));
    }
    let tree = object_id(&git_ok(dir, &["mktree"], Some(tree.as_bytes()), 256)?)?;
    let e = entry.unverified().predicate();
    let message = format!(
        "vouch ref log entry {}: {}\n",
        e.sequence,
        match &e.action {
            RefLogAction::Update(u) => u.to_string(),
            RefLogAction::Policy { version } => format!("policy version {version}"),
        }
    );
    let mut args = vec!["commit-tree", tree.as_str()];
    if let Some(h) = head {
        args.extend(["-p", h.as_str()]);
    }
    let commit = object_id(&git_ok(dir, &args, Some(message.as_bytes()), 256)?)?;
    let zero = "0".repeat(commit.as_str().len());
    let old = head.map_or(zero.as_str(), GitObjectId::as_str);
    git_ok(
        dir,
        &[
            "update-ref",
            "-m",
            "vouch repo record",
            LOG_REF,
            commit.as_str(),
            old,
        ],
        None,
        4096,
    )?;
    Ok(commit)
}

// ---- record --------------------------------------------------------------

/// The state of the log an entry is appended to.
struct Tip {
    head: Option<GitObjectId>,
    last: Option<Signed<RefLogEntry>>,
    policy: Option<(Digest, String)>,
    heads: BTreeMap<String, GitObjectId>,
}

fn tip(dir: &Path) -> Result<Tip, CliError> {
    let (head, log) = read_log(dir)?;
    let mut policy = None;
    let mut heads = BTreeMap::new();
    for e in &log.entries {
        let p = e.unverified().predicate();
        match &p.action {
            RefLogAction::Policy { .. } => {
                if let Some(s) = log.policies.get(&p.policy) {
                    policy = Some((p.policy, s.unverified().predicate().repository.clone()));
                }
            }
            RefLogAction::Update(u) if is_zero(&u.new) => {
                heads.remove(&u.name);
            }
            RefLogAction::Update(u) => {
                heads.insert(u.name.clone(), u.new.clone());
            }
        }
    }
    Ok(Tip {
        head,
        last: log.entries.last().cloned(),
        policy,
        heads,
    })
}

fn record(a: RecordArgs) -> CliResult {
    let dir = &a.git.git_dir;
    let signers = a
        .keys
        .iter()
        .map(|k| open_signer(k, &a.passphrase))
        .collect::<Result<Vec<_>, _>>()?;
    let mut tip = tip(dir)?;
    let mut actions: Vec<(RefLogAction, Option<Signed<RepoPolicy>>)> = Vec::new();
    if let Some(path) = &a.policy {
        let p = read_policy(path)?;
        let version = p.unverified().predicate().version;
        actions.push((RefLogAction::Policy { version }, Some(p)));
    } else if a.pre_push {
        let mut stdin = String::new();
        std::io::stdin()
            .take(1 << 20)
            .read_to_string(&mut stdin)
            .map_err(|e| CliError::usage("cannot read the pre-push hook's input", e))?;
        for line in stdin.lines().filter(|l| !l.trim().is_empty()) {
            let update = pre_push_line(line)?;
            // The log's own ref travels beside the updates it records.
            if update.name.starts_with("refs/vouch/") {
                continue;
            }
            actions.push((RefLogAction::Update(update), None));
        }
    } else {
        let Some(name) = a.refname.clone() else {
            return Err(CliError::usage_msg(
                "give --ref REF, --pre-push or --policy FILE",
            ));
        };
        let old = match a.old.clone() {
            Some(o) => o,
            None => tip.heads.get(&name).cloned().unwrap_or_else(zero),
        };
        let new = match a.new.clone() {
            Some(n) => n,
            None => resolve(dir, &name)?.unwrap_or_else(zero),
        };
        actions.push((RefLogAction::Update(RefUpdate { name, old, new }), None));
    }
    for (action, policy) in actions {
        let (policy_digest, repository) = match (&policy, &tip.policy) {
            (Some(p), _) => (p.digest(), p.unverified().predicate().repository.clone()),
            (None, Some((d, r))) => (*d, r.clone()),
            (None, None) => {
                return Err(CliError::usage_msg(format!(
                    "{LOG_REF} records no policy version yet: record one first (vouch repo record --policy FILE)"
                )));
            }
        };
        let entry = RefLogEntry {
            repository: a.repository.clone().unwrap_or(repository),
            sequence: tip
                .last
                .as_ref()
                .map_or(1, |l| l.unverified().predicate().sequence + 1),
            previous: tip.last.as_ref().map(Signed::digest),
            action,
            policy: policy_digest,
            by: a.by.clone(),
            claimed_at: Timestamp::now(),
        };
        let statement = Statement::from_predicate(entry)
            .map_err(|e| CliError::usage("the log entry is not valid", e))?;
        let mut signed = Signed::sign(&statement, signers[0].as_ref())
            .map_err(|e| CliError::usage("cannot sign the log entry", e))?;
        for s in &signers[1..] {
            signed
                .cosign(s.as_ref())
                .map_err(|e| CliError::usage("cannot add an approval", e))?;
        }
        let commit = append(dir, tip.head.as_ref(), &signed, policy.as_ref())?;
        let e = signed.unverified().predicate();
        eprintln!(
            "recorded log entry {} ({}) in {LOG_REF} at {commit}",
            e.sequence,
            match &e.action {
                RefLogAction::Update(u) => u.to_string(),
                RefLogAction::Policy { version } => format!("policy version {version}"),
            }
        );
        if let RefLogAction::Update(u) = &e.action {
            tip.heads.insert(u.name.clone(), u.new.clone());
        }
        if let Some(p) = &policy {
            tip.policy = Some((p.digest(), p.unverified().predicate().repository.clone()));
        }
        tip.head = Some(commit);
        tip.last = Some(signed);
    }
    Ok(Outcome::Done)
}

fn zero() -> GitObjectId {
    // 40 zeros is a valid object id.
    "0".repeat(40)
        .parse()
        .unwrap_or_else(|_| unreachable!("40 zeros parse"))
}

/// One line of a pre-push hook's input: `<local ref> <local sha> <remote
/// ref> <remote sha>`; the update is the remote ref's, from the remote sha
/// to the local one (zeros when deleting).
fn pre_push_line(line: &str) -> Result<RefUpdate, CliError> {
    let bad = || CliError::usage_msg(format!("not a pre-push line: {}", Escaped(line)));
    let parts: Vec<&str> = line.split_whitespace().collect();
    let [_local_ref, local_sha, remote_ref, remote_sha] = parts.as_slice() else {
        return Err(bad());
    };
    Ok(RefUpdate {
        name: (*remote_ref).to_owned(),
        old: remote_sha.parse().map_err(|_| bad())?,
        new: local_sha.parse().map_err(|_| bad())?,
    })
}

// ---- log, verify, export -------------------------------------------------

/// What changed from one policy version to the next, one line per change.
fn changes(before: Option<&RepoPolicy>, after: &RepoPolicy) -> Vec<String> {
    let Some(before) = before else {
        let mut out = vec![format!(
            "admins {} ({} sign a change)",
            ids(&after.admins.identities),
            after.admins.threshold
        )];
        out.extend(after.protected_refs.iter().map(protected));
        out.extend(
            after
                .webhooks
                .iter()
                .map(|w| format!("webhook {}", Escaped(w))),
        );
        out.extend(
            after
                .deploy_keys
                .iter()
                .map(|k| format!("deploy key {}", Escaped(&k.title))),
        );
        return out;
    };
    let mut out = Vec::new();
    if before.admins != after.admins {
        out.push(format!(
            "admins: {} ({}) -> {} ({})",
            ids(&before.admins.identities),
            before.admins.threshold,
            ids(&after.admins.identities),
            after.admins.threshold
        ));
    }
    for r in &after.protected_refs {
        match before
            .protected_refs
            .iter()
            .find(|b| b.pattern == r.pattern)
        {
            None => out.push(format!("added {}", protected(r))),
            Some(b) if b != r => out.push(format!("changed {}", protected(r))),
            Some(_) => {}
        }
    }
    for b in &before.protected_refs {
        if !after.protected_refs.iter().any(|r| r.pattern == b.pattern) {
            out.push(format!("removed protection of {}", Escaped(&b.pattern)));
        }
    }
    let set = |v: &[String]| v.iter().cloned().collect::<HashSet<String>>();
    let (wb, wa) = (set(&before.webhooks), set(&after.webhooks));
    out.extend(
        wa.difference(&wb)
            .map(|w| format!("added webhook {}", Escaped(w))),
    );
    out.extend(
        wb.difference(&wa)
            .map(|w| format!("removed webhook {}", Escaped(w))),
    );
    let keys = |p: &RepoPolicy| {
        p.deploy_keys
            .iter()
            .map(|k| k.key.clone())
            .collect::<HashSet<_>>()
    };
    let (kb, ka) = (keys(before), keys(after));
    out.extend(
        ka.difference(&kb)
            .map(|k| format!("added deploy key {}", Escaped(k))),
    );
    out.extend(
        kb.difference(&ka)
            .map(|k| format!("removed deploy key {}", Escaped(k))),
    );
    if out.is_empty() {
        out.push("no change of settings".into());
    }
    out
}

fn log(a: GitDirArgs) -> CliResult {
    let (_, log) = read_log(&a.git_dir)?;
    if log.entries.is_empty() {
        outln!("{LOG_REF} is empty");
        return Ok(Outcome::Done);
    }
    let mut last_policy: Option<RepoPolicy> = None;
    for e in &log.entries {
        let signers = e.signature_key_ids().len();
        let p = e.unverified().predicate();
        match &p.action {
            RefLogAction::Update(u) => {
                outln!(
                    "#{} {} {} pushed {} ({} signature(s))",
                    p.sequence,
                    p.claimed_at,
                    Escaped(p.by.as_str()),
                    u,
                    signers
                );
            }
            RefLogAction::Policy { version } => {
                let Some(s) = log.policies.get(&p.policy) else {
                    outln!(
                        "#{} {} {} recorded policy version {version}, which is missing",
                        p.sequence,
                        p.claimed_at,
                        Escaped(p.by.as_str())
                    );
                    continue;
                };
                let policy = s.unverified().predicate();
                outln!(
                    "#{} {} {} recorded policy version {} ({}), signed with {} key(s):",
                    p.sequence,
                    p.claimed_at,
                    Escaped(p.by.as_str()),
                    version,
                    s.digest(),
                    s.signature_key_ids().len()
                );
                for c in changes(last_policy.as_ref(), policy) {
                    outln!("    {c}");
                }
                last_policy = Some(policy.clone());
            }
        }
    }
    outln!("(unverified: `vouch repo verify` checks every signature and rule)");
    Ok(Outcome::Done)
}

/// Whether `old` is an ancestor of `new` in the repository (`None` when
/// either object is missing).
fn is_ancestor(dir: &Path, old: &GitObjectId, new: &GitObjectId) -> Option<bool> {
    if !has_commit(dir, old.as_str()) || !has_commit(dir, new.as_str()) {
        return None;
    }
    git(
        dir,
        &["merge-base", "--is-ancestor", old.as_str(), new.as_str()],
        None,
        0,
    )
    .ok()
    .map(|(ok, _)| ok)
}

fn verify(a: VerifyArgs) -> CliResult {
    let dir = &a.git.git_dir;
    let roster = a.roster.trusted()?;
    let (_, log) = read_log(dir)?;
    let Some(v1) = log.policies.get(&a.policy_pin) else {
        return Err(CliError::refused_msg(format!(
            "{LOG_REF} does not record the pinned policy version {}",
            a.policy_pin
        )));
    };
    let repository = v1.unverified().predicate().repository.clone();
    let report = log.verify(&repository, &a.policy_pin, &roster, &|o, n| {
        is_ancestor(dir, o, n)
    });
    let mut problems: Vec<String> = report.failures.iter().map(ToString::to_string).collect();
    // Every protected ref's head must be where the log left it.
    if let Some(policy) = report.policies.last() {
        let out = git_ok(
            dir,
            &["for-each-ref", "--format=%(refname) %(objectname)"],
            None,
            64 << 20,
        )?;
        let mut present = HashSet::new();
        for line in text(&out).lines() {
            let Some((name, id)) = line.split_once(' ') else {
                continue;
            };
            if name.starts_with("refs/vouch/") || policy.policy().rule_for(name).is_none() {
                continue;
            }
            present.insert(name.to_owned());
            match report.heads.get(name) {
                Some((logged, _)) if logged.as_str() == id => {}
                Some((logged, seq)) => problems.push(format!(
                    "{} is at {}, not logged: the log's last update of it (entry {seq}) left it at {logged}",
                    Escaped(name), Escaped(id)
                )),
                None => problems.push(format!(
                    "{} is at {}, not logged: the log has no update of it",
                    Escaped(name), Escaped(id)
                )),
            }
        }
        for (name, (logged, seq)) in &report.heads {
            if policy.policy().rule_for(name).is_some() && !present.contains(name) {
                problems.push(format!(
                    "{} is absent, but the log (entry {seq}) has it at {logged}",
                    Escaped(name)
                ));
            }
        }
    }
    for e in &report.entries {
        let status = if e.ok { "ok" } else { "REFUSED" };
        let what = match &e.action {
            RefLogAction::Update(u) => u.to_string(),
            RefLogAction::Policy { version } => format!("policy version {version}"),
        };
        let approvals = if e.approvers.is_empty() {
            String::new()
        } else {
            format!(", approved by {}", ids(&e.approvers))
        };
        let admins = if e.policy_signers.is_empty() {
            String::new()
        } else {
            format!(", signed by admins {}", ids(&e.policy_signers))
        };
        outln!(
            "#{} {status}: {what} by {}{approvals}{admins}",
            e.sequence,
            Escaped(e.by.as_str())
        );
    }
    if problems.is_empty() {
        outln!(
            "ref log of {} verified: {} entries, policy version {}",
            Escaped(&repository),
            report.entries.len(),
            report.policies.last().map_or(0, |p| p.version())
        );
        Ok(Outcome::Done)
    } else {
        for p in &problems {
            outln!("refused: {p}");
        }
        Err(CliError::refused_msg(format!(
            "ref log of {} refused: {} problem(s)",
            Escaped(&repository),
            problems.len()
        )))
    }
}

fn export(a: ExportArgs) -> CliResult {
    let dir = &a.git.git_dir;
    let (_, log) = read_log(dir)?;
    let mut bundle = match &a.add_to {
        Some(p) => vouch_chain::Bundle::read(p)
            .map_err(|e| CliError::usage(format!("cannot read the bundle {}", p.display()), e))?,
        None => vouch_chain::Bundle::new(),
    };
    let encode = |r: Result<Vec<u8>, vouch_manifest::ManifestError>| {
        r.map_err(|e| CliError::usage("cannot encode an envelope", e))
    };
    let mut heads: Vec<String> = Vec::new();
    for e in &log.entries {
        bundle.add_envelope(encode(e.to_bytes())?);
        if let RefLogAction::Update(u) = &e.unverified().predicate().action {
            for id in [&u.old, &u.new] {
                if !is_zero(id) && !heads.contains(&id.to_string()) {
                    heads.push(id.to_string());
                }
            }
        }
    }
    for p in log.policies.values() {
        bundle.add_envelope(encode(p.to_bytes())?);
    }
    let mut added = 0usize;
    if !heads.is_empty() {
        // Only the commits that exist (a logged commit may have been
        // dropped from the repository since; verification will say).
        let present: Vec<&str> = heads
            .iter()
            .map(String::as_str)
            .filter(|h| has_commit(dir, h))
            .collect();
        let max = (a.max_commits + 1).to_string();
        let mut args = vec!["rev-list", "--max-count", max.as_str()];
        args.extend(present.iter().copied());
        let out = git_ok(dir, &args, None, (a.max_commits + 1) * 65)?;
        let ids: Vec<String> = text(&out).lines().map(str::to_owned).collect();
        if ids.len() > a.max_commits {
            return Err(CliError::usage_msg(format!(
                "the logged heads reach more than {} commits (--max-commits)",
                a.max_commits
            )));
        }
        for id in ids {
            let raw = git_ok(
                dir,
                &["cat-file", "commit", &id],
                None,
                vouch_git::commit::MAX_COMMIT_LEN,
            )?;
            bundle.add_commit_object(raw);
            added += 1;
        }
    }
    let bytes = bundle
        .to_bytes()
        .map_err(|e| CliError::usage("cannot encode the bundle", e))?;
    crate::io::write(&a.output, &bytes)?;
    eprintln!(
        "wrote {}: {} log entries, {} policy versions, {added} commit objects",
        a.output.display(),
        log.entries.len(),
        log.policies.len()
    );
    Ok(Outcome::Done)
}

fn import(a: ImportArgs) -> CliResult {
    use vouch_manifest::audit::{Forge, MAX_EXPORT};
    let (forge, path) = match (&a.github, &a.gitlab) {
        (Some(p), _) => (Forge::GitHub, p),
        (None, Some(p)) => (Forge::GitLab, p),
        (None, None) => return Err(CliError::usage_msg("give --github FILE or --gitlab FILE")),
    };
    let current = read_policy(&a.policy)?;
    let json = crate::io::read(path, crate::io::Input::new("audit export", MAX_EXPORT))?;
    let mut out = vouch_manifest::audit::import(forge, &json, current.unverified().predicate())
        .map_err(|e| {
            CliError::usage(
                format!("cannot read the audit export {}", path.display()),
                e,
            )
        })?;
    out.proposed.previous = Some(current.digest());
    out.proposed.issued_at = Timestamp::now();
    for (i, c) in out.changes.iter().enumerate() {
        let mark = if out.unattributed.contains(&i) {
            "UNATTRIBUTED"
        } else {
            "signed    "
        };
        outln!(
            "{mark} {} {} by {}: {}",
            Escaped(&c.at),
            Escaped(&c.action),
            Escaped(&c.actor),
            c.kind
        );
    }
    outln!(
        "{} relevant events ({} other), {} unattributed: no signed policy version reflects them",
        out.changes.len(),
        out.ignored,
        out.unattributed.len()
    );
    write_json(&a.output, &out.proposed)?;
    if out.unattributed.is_empty() {
        Ok(Outcome::Done)
    } else {
        Ok(Outcome::Refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_push_lines() {
        let a = "a".repeat(40);
        let z = "0".repeat(40);
        let u = pre_push_line(&format!("refs/heads/main {a} refs/heads/main {z}")).unwrap();
        assert_eq!(u.name, "refs/heads/main");
        assert!(is_zero(&u.old) && !is_zero(&u.new));
        assert!(pre_push_line("refs/heads/main abc").is_err());
        assert!(pre_push_line(&format!("(delete) {z} refs/heads/x {a} extra")).is_err());
    }
}
