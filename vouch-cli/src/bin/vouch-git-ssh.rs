//! `vouch-git-ssh`: the `ssh-keygen -Y` interface git calls through
//! `gpg.ssh.program`, implemented with vouch (the same code as
//! `vouch git ssh`). Git cannot pass a subcommand to that program, hence
//! this binary:
//!
//! ```text
//! git config gpg.format ssh
//! git config gpg.ssh.program vouch-git-ssh
//! git config user.signingKey /path/to/key          # vouch, OpenSSH or PKCS#8 key file
//! git config gpg.ssh.allowedSignersFile /path/to/allowed_signers
//! ```
//!
//! Exit codes: 0 done or verified, 1 refused, 2 bad usage or unreadable input.

use std::process::ExitCode;

#[cfg(feature = "fido")]
#[path = "../fido.rs"]
mod fido;
#[path = "../git/ssh.rs"]
mod ssh;

fn main() -> ExitCode {
    #[cfg(feature = "fido")]
    if let Some(code) = fido::answer_askpass() {
        return code;
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    ExitCode::from(ssh::main("vouch-git-ssh", &args).code())
}
