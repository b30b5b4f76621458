//! `vouch git verify-commit`: verifies commits of a repository against a
//! roster.
//!
//! The commit objects are read with the `git` program, read-only:
//! `git --no-replace-objects rev-parse --verify --end-of-options REV` names
//! the object (annotated tags are peeled through `cat-file -t` and
//! `cat-file tag`), `git --no-replace-objects cat-file commit ID` prints
//! its bytes. Everything else (hashing the bytes back to the id, splitting the
//! signature from the payload, SSHSIG verification, the roster lookup) is
//! done by `vouch_git::commit`, so a repository whose objects were
//! rewritten on disk is caught by the id check, whatever git printed.
//!
//! Why a subprocess and not `gix`: git is on every machine that has a
//! repository, its output for these two plumbing commands is stable, and
//! `gix` would add well over a hundred crates (with a second SHA-1 stack) to
//! the vouch build for two reads.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::Args;
use vouch_core::text::{Escaped, error_chain};
use vouch_git::commit::{MAX_COMMIT_LEN, verify_commit};
use vouch_git::sshkeygen::user_presence;
use vouch_manifest::{GitObjectId, TrustedRoster};

use crate::cmd::trust::RosterTrustArgs;
use crate::exit::{CliError, CliResult, Outcome};

/// Arguments of `vouch git verify-commit`.
#[derive(Args, Debug)]
pub(crate) struct VerifyCommitArgs {
    /// The repository (default: the current directory).
    #[arg(long, value_name = "DIR")]
    repo: Option<PathBuf>,
    /// The roster file and how it is trusted.
    #[command(flatten)]
    trust: RosterTrustArgs,
    /// Also accept a commit signed by its committer when the author is
    /// someone else (a rebase, a patch a maintainer applied). By default
    /// the signer must be the author: the roster identity whose
    /// `person:EMAIL` id or email proof is the author's email (local part
    /// exact, domain case-insensitive).
    #[arg(long)]
    committer_may_sign: bool,
    /// The commits to verify: anything `git rev-parse` understands.
    #[arg(required = true, value_name = "REV")]
    revs: Vec<String>,
}

/// Why a commit could not be read from the repository.
#[derive(Debug, thiserror::Error)]
enum ReadError {
    #[error("cannot run git")]
    Spawn(#[source] std::io::Error),
    #[error("git {command} failed: {stderr}")]
    Git {
        command: &'static str,
        stderr: String,
    },
    #[error("git printed an object id that is not one: {0:?}")]
    BadId(String),
    #[error("the revision names {0}, not a commit")]
    NotACommit(&'static str),
    #[error("commit object is larger than {MAX_COMMIT_LEN} bytes")]
    TooLarge,
    #[error("reading git's output failed")]
    Io(#[source] std::io::Error),
}

/// Runs `git [-C repo] --no-replace-objects ARGS`, reading at most `limit`
/// bytes of its output.
fn git(
    repo: Option<&Path>,
    command: &'static str,
    args: &[&str],
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    let mut cmd = Command::new("git");
    if let Some(dir) = repo {
        cmd.arg("-C").arg(dir);
    }
    let mut child = cmd
        .arg("--no-replace-objects")
        .arg(command)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(ReadError::Spawn)?;
    let mut out = Vec::new();
    let read = child
        .stdout
        .take()
        .map(|s| s.take(limit as u64 + 1).read_to_end(&mut out))
        .transpose();
    if out.len() > limit {
        // This child is ours; stop it rather than read an unbounded object.
        let _ = child.kill();
        let _ = child.wait();
        return Err(ReadError::TooLarge);
    }
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = (&mut e).take(4096).read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(ReadError::Io)?;
    read.map_err(ReadError::Io)?;
    if !status.success() {
        return Err(ReadError::Git {
            command,
            stderr: stderr.trim().to_owned(),
        });
    }
    Ok(out)
}

fn object_id(out: &[u8]) -> Result<GitObjectId, ReadError> {
    let text = String::from_utf8_lossy(out);
    text.trim()
        .parse()
        .map_err(|_| ReadError::BadId(text.trim().chars().take(80).collect()))
}

/// How many annotated tags may stand between a name and its commit.
const MAX_TAG_DEPTH: usize = 8;

/// Resolves `rev` to a commit id and reads the commit object.
///
/// Nothing here asks git to parse the commit itself (`git rev-parse
/// REV^{commit}` would, and stops at an object whose bytes do not match
/// its id): names resolve with `rev-parse --verify`, annotated tags are
/// peeled by reading their `object` line, and `cat-file commit` prints the
/// stored bytes, which `vouch_git::commit` then checks against the id.
fn read_commit(repo: Option<&Path>, rev: &str) -> Result<(GitObjectId, Vec<u8>), ReadError> {
    let mut id = object_id(&git(
        repo,
        "rev-parse",
        &["--verify", "--end-of-options", rev],
        256,
    )?)?;
    for _ in 0..=MAX_TAG_DEPTH {
        let kind = git(repo, "cat-file", &["-t", id.as_str()], 64)?;
        match String::from_utf8_lossy(&kind).trim() {
            "commit" => {
                let raw = git(repo, "cat-file", &["commit", id.as_str()], MAX_COMMIT_LEN)?;
                return Ok((id, raw));
            }
            "tag" => {
                let tag = git(repo, "cat-file", &["tag", id.as_str()], MAX_COMMIT_LEN)?;
                let target = tag
                    .split(|&b| b == b'\n')
                    .next()
                    .and_then(|line| line.strip_prefix(b"object "))
                    .ok_or(ReadError::NotACommit("a malformed tag"))?;
                id = object_id(target)?;
            }
            "tree" => return Err(ReadError::NotACommit("a tree")),
            "blob" => return Err(ReadError::NotACommit("a blob")),
            _ => return Err(ReadError::NotACommit("an object of unknown type")),
        }
    }
    Err(ReadError::NotACommit("a chain of more than 8 tags"))
}

/// What happened to one commit.
enum Verdict {
    Verified,
    Refused,
    Unreadable,
}

/// Whether the signer is the person the commit is attributed to, or why not.
fn attribution(
    v: &vouch_git::commit::VerifiedCommit,
    roster: &TrustedRoster,
    committer_may_sign: bool,
) -> Result<(), String> {
    let signer = v.signer();
    let is = |email: &str| roster.person_by_email(email).map(|i| &i.id);
    let author = v.author();
    if is(&author.email) == Some(signer) {
        return Ok(());
    }
    let committer = v.committer();
    if committer_may_sign && is(&committer.email) == Some(signer) {
        return Ok(());
    }
    Err(match is(&author.email) {
        Some(who) => format!(
            "the commit is authored by {} <{}> ({who}) but signed by {signer}",
            author.name, author.email
        ),
        None => format!(
            "the author {} <{}> is no identity of the roster; the commit is signed by {signer}",
            author.name, author.email
        ),
    })
}

fn verify_one(
    repo: Option<&Path>,
    rev: &str,
    roster: &TrustedRoster,
    committer_may_sign: bool,
) -> Verdict {
    let (id, raw) = match read_commit(repo, rev) {
        Ok(r) => r,
        Err(e) => {
            println!(
                "commit {}\n    UNREADABLE: {}",
                Escaped(rev),
                Escaped(&error_chain(&e))
            );
            return Verdict::Unreadable;
        }
    };
    println!("commit {id}");
    match verify_commit(&raw, &id, roster) {
        Ok(v) => {
            println!("    signer:  {}", Escaped(v.signer().as_str()));
            let a = v.author();
            println!("    author:  {} <{}>", Escaped(&a.name), Escaped(&a.email));
            println!("    key id:  {}", v.key_id());
            println!(
                "    key:     {} {}",
                v.public_key().ssh_key_type(),
                v.key_id().ssh_fingerprint()
            );
            let c = v.committer();
            // The committer's name and email are whatever the commit says.
            println!(
                "    time:    {} (committer {} <{}>)",
                c.time,
                Escaped(&c.name),
                Escaped(&c.email)
            );
            if let Some(a) = v.fido() {
                println!(
                    "    fido:    flags {:#04x} ({}), counter {}",
                    a.flags.0,
                    user_presence(a.flags),
                    a.counter
                );
            }
            if let Err(why) = attribution(&v, roster, committer_may_sign) {
                println!("    REFUSED: {}", Escaped(&why));
                return Verdict::Refused;
            }
            println!("    verified (roster version {})", v.roster_version());
            Verdict::Verified
        }
        Err(e) => {
            println!("    REFUSED: {}", Escaped(&error_chain(&e)));
            Verdict::Refused
        }
    }
}

/// Runs `vouch git verify-commit`.
pub(crate) fn run(args: VerifyCommitArgs) -> CliResult {
    let roster = args.trust.trusted()?;
    let repo = args.repo.as_deref();
    let (mut refused, mut unreadable) = (0usize, 0usize);
    for rev in &args.revs {
        match verify_one(repo, rev, &roster, args.committer_may_sign) {
            Verdict::Verified => {}
            Verdict::Refused => refused += 1,
            Verdict::Unreadable => unreadable += 1,
        }
    }
    let total = args.revs.len();
    if unreadable > 0 {
        return Err(CliError::usage_msg(format!(
            "{unreadable} of {total} commits could not be read ({refused} refused)"
        )));
    }
    if refused > 0 {
        eprintln!("{refused} of {total} commits refused");
        return Ok(Outcome::Refused);
    }
    Ok(Outcome::Done)
}
