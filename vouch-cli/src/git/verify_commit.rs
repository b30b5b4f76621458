//! `vouch git verify-commit`: verifies commits of a repository against a
//! roster.
//!
//! The commit objects are read with the `git` program, read-only, by
//! [`crate::git::read`] (the reader `vouch attest commit --repo` uses too).
//! Everything else (hashing the bytes back to the id, splitting the
//! signature from the payload, SSHSIG verification, the roster lookup) is
//! done by `vouch_git::commit`, so a repository whose objects were
//! rewritten on disk is caught by the id check, whatever git printed.
//!
//! Why a subprocess and not `gix`: git is on every machine that has a
//! repository, its output for these two plumbing commands is stable, and
//! `gix` would add well over a hundred crates (with a second SHA-1 stack) to
//! the vouch build for two reads.

use std::path::{Path, PathBuf};

use clap::Args;
use vouch_core::text::{Escaped, error_chain};
use vouch_git::commit::verify_commit;
use vouch_git::sshkeygen::user_presence;
use vouch_manifest::TrustedRoster;

use crate::cmd::trust::RosterTrustArgs;
use crate::exit::{CliError, CliResult, Outcome};
use crate::git::read::read_commit;

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
