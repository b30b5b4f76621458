//! The CLI's side of security keys (feature `fido`): what the person is
//! told when the device waits for a touch, where a PIN comes from, and
//! answering ssh-keygen's PIN prompt as its `SSH_ASKPASS` program.

use std::io::Write as _;
use std::sync::Arc;

use vouch_core::PublicKey;
use vouch_keys::Passphrase;
use vouch_keys::fido::{ASKPASS_ENV, ASKPASS_PIN_ENV, FidoCallbacks, FidoOptions};

/// The environment variable a security key's PIN may come from (keys made
/// with `--require-uv`); without it, ssh-keygen asks on the terminal.
pub(crate) const PIN_ENV: &str = "VOUCH_FIDO_PIN";

/// Touch notices on standard error; the PIN from [`PIN_ENV`].
pub(crate) struct Prompts;

impl FidoCallbacks for Prompts {
    fn touch(&self, key: &PublicKey) {
        eprintln!(
            "Touch your security key ({}) to sign.",
            key.key_id().ssh_fingerprint()
        );
    }

    fn pin(&self, _key: &PublicKey) -> Option<Passphrase> {
        std::env::var(PIN_ENV).ok().map(Passphrase::new)
    }
}

/// ssh-keygen as the backend, this binary answering its PIN prompt.
pub(crate) fn options() -> FidoOptions {
    FidoOptions {
        askpass: std::env::current_exe().ok(),
        ..FidoOptions::default()
    }
}

/// The callbacks of the CLI.
pub(crate) fn callbacks() -> Arc<dyn FidoCallbacks> {
    Arc::new(Prompts)
}

/// When ssh-keygen runs this binary as its `SSH_ASKPASS` program for a
/// security key's PIN (`VOUCH_ASKPASS=1`, set by the fido backend for that
/// one ssh-keygen run): prints the PIN it was handed and returns the exit
/// code, so that `main` exits at once; otherwise `None`.
pub(crate) fn answer_askpass() -> Option<std::process::ExitCode> {
    if std::env::var_os(ASKPASS_ENV).is_none_or(|v| v != "1") {
        return None;
    }
    let Some(pin) = std::env::var_os(ASKPASS_PIN_ENV) else {
        return Some(std::process::ExitCode::from(1));
    };
    let mut out = std::io::stdout().lock();
    let written = out
        .write_all(pin.as_encoded_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush());
    Some(std::process::ExitCode::from(u8::from(written.is_err())))
}
