//! Writes the fixtures that vouch-ffi's C test program and the Python ctypes
//! example verify through the C ABI.
//!
//! ```text
//! cargo run -p vouch-ffi --example make_fixtures -- DIR
//! ```
//!
//! DIR (created if missing, files in it replaced) receives:
//!
//! | file | content |
//! | --- | --- |
//! | `policy.toml` | the policy the chain satisfies |
//! | `roster.cbor` | the roster file (versions 1 and 2), expiring a year from now |
//! | `roster-v1.cbor` | the same file cut back to version 1 (a rollback once v2 was seen) |
//! | `roster.pin` | statement digest of roster version 1, as `sha256:<hex>` (the pin) |
//! | `bundle.cbor` | the bundle: commits, release, image, deployment, approvals |
//! | `forged-bundle.cbor` | the bundle with the deployment's signature broken: fails |
//! | `target.txt` | `deployment:sha256:...`: passes |
//! | `image-target.txt` | `image:sha256:...`: fails (the policy has a deployment stage) |
//! | `missing-target.txt` | a deployment not in the bundle: fails |
//! | `made-at.txt` | Unix seconds the chain was made at |
//! | `signer.key`, `signer.pub` | an Ed25519 file key (mode 0600) and its OpenSSH line |
//! | `signer.keyid` | hex key id of that key |
//! | `encrypted.key` | a P-256 key encrypted with the passphrase in `passphrase.txt` |
//! | `other.pub` | an unrelated public key |
//!
//! Text files hold one line without a trailing newline.

mod chain;

use std::path::{Path, PathBuf};

use vouch_core::{Algorithm, Timestamp};
use vouch_keys::{FileKey, KdfParams, Overwrite, Passphrase, SaveOptions};

use chain::Result;

/// The passphrase of `encrypted.key`.
const PASSPHRASE: &str = "correct horse battery staple";

fn main() -> Result<()> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .ok_or("usage: make_fixtures DIR")?
        .into();
    std::fs::create_dir_all(&dir)?;
    let f = chain::build(Timestamp::now())?;

    write(&dir, "policy.toml", f.policy.as_bytes())?;
    write(&dir, "roster.cbor", &f.roster)?;
    write(&dir, "roster-v1.cbor", &f.roster_v1)?;
    write(&dir, "roster.pin", f.roster_pin.to_string().as_bytes())?;
    write(&dir, "bundle.cbor", &f.bundle)?;
    write(&dir, "forged-bundle.cbor", &f.forged_bundle)?;
    write(&dir, "target.txt", f.deployment_target.as_bytes())?;
    write(&dir, "image-target.txt", f.image_target.as_bytes())?;
    write(&dir, "missing-target.txt", f.missing_target.as_bytes())?;
    write(
        &dir,
        "made-at.txt",
        f.made_at.unix_seconds().to_string().as_bytes(),
    )?;

    let replace = SaveOptions::new().overwrite(Overwrite::Replace);
    let signer = FileKey::generate(Algorithm::Ed25519)?.with_comment("fixture signer");
    signer.save_with(dir.join("signer.key"), &replace)?;
    write(&dir, "signer.pub", signer.public_key_line().as_bytes())?;
    write(&dir, "signer.keyid", signer.key_id().to_string().as_bytes())?;

    // Cheap key-derivation parameters, so the test (also under valgrind)
    // stays fast; never use these for a real key.
    let passphrase = Passphrase::new(PASSPHRASE);
    let encrypted = FileKey::generate(Algorithm::Es256)?;
    encrypted.save_with(
        dir.join("encrypted.key"),
        &replace
            .passphrase(&passphrase)
            .kdf(KdfParams::new(64, 1, 1)?),
    )?;
    write(&dir, "passphrase.txt", PASSPHRASE.as_bytes())?;

    let other = FileKey::generate(Algorithm::Ed25519)?;
    write(&dir, "other.pub", other.public_key_line().as_bytes())?;

    println!("fixtures written to {}", dir.display());
    Ok(())
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    std::fs::write(dir.join(name), bytes)?;
    Ok(())
}
