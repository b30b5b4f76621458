//! `vouch git ...`: git commit signing and verification with SSH
//! signatures (`gpg.format=ssh`).
//!
//! - `vouch git ssh ARGS...` (also installed as the `vouch-git-ssh`
//!   binary, because git cannot pass a subcommand to `gpg.ssh.program`):
//!   the `ssh-keygen -Y sign | verify | find-principals | check-novalidate`
//!   interface git calls, signing with vouch keys and verifying against an
//!   OpenSSH allowed signers file. Configure git with
//!
//!   ```text
//!   git config gpg.format ssh
//!   git config gpg.ssh.program vouch-git-ssh
//!   git config user.signingKey ~/.config/vouch/alice.key   # a vouch, OpenSSH or PKCS#8 key file
//!   git config gpg.ssh.allowedSignersFile ~/.config/git/allowed_signers
//!   git commit -S ...
//!   ```
//!
//!   The signatures are standard SSHSIG: stock `git verify-commit` with
//!   stock `ssh-keygen` verifies them, and vouch verifies stock ones.
//! - `vouch git verify-commit --roster FILE REV...`: verifies commits
//!   against a vouch roster instead of an allowed signers file: the signing
//!   key must belong to a roster identity at the committer time.

use std::ffi::OsString;

use clap::{Args, Subcommand};

use crate::exit::{CliError, CliResult, Outcome};

pub(crate) mod read;
mod ssh;
mod verify_commit;

/// Arguments of `vouch git`.
#[derive(Args, Debug)]
pub struct GitArgs {
    /// The git command.
    #[command(subcommand)]
    command: GitCommand,
}

/// The `vouch git` commands.
#[derive(Subcommand, Debug)]
enum GitCommand {
    /// The `ssh-keygen -Y` interface git calls through gpg.ssh.program
    /// (sign, verify, find-principals, check-novalidate); the same as the
    /// `vouch-git-ssh` binary, which is what to configure in git.
    #[command(disable_help_flag = true)]
    Ssh(SshArgs),
    /// Verify commits of a repository against a roster.
    VerifyCommit(verify_commit::VerifyCommitArgs),
}

/// Arguments of `vouch git ssh`: passed through as `ssh-keygen` reads them.
#[derive(Args, Debug)]
struct SshArgs {
    /// ssh-keygen style arguments, e.g. `-Y verify -n git -f allowed_signers -I alice@example.com -s file.sig`.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        num_args = 0..,
        value_name = "SSH-KEYGEN-ARGS"
    )]
    args: Vec<OsString>,
}

/// Runs `vouch git`.
pub fn run(args: GitArgs) -> CliResult {
    match args.command {
        // The same exit codes as `vouch-git-ssh`: 0, 1 refused, 2 usage.
        GitCommand::Ssh(a) => match ssh::main("vouch git ssh", &a.args).code() {
            0 => Ok(Outcome::Done),
            1 => Ok(Outcome::Refused),
            _ => Err(CliError::usage_msg(
                "vouch git ssh: bad usage or unreadable input (see above)",
            )),
        },
        GitCommand::VerifyCommit(a) => verify_commit::run(a),
    }
}
