//! vouch from code to cloud, told step by step.
//!
//! Run with `cargo run --release --example code_to_cloud`.
//!
//! For now the story covers the first link: the keys. In a private
//! temporary directory it generates an author's Ed25519 key and a build
//! service's P-256 key (the latter passphrase-encrypted), saves and reloads
//! them, signs a small payload in a COSE_Sign1 envelope with each, verifies
//! the envelopes against the saved public keys, and shows that a tampered
//! envelope is refused. Statements, rosters, policies and the chain join the
//! story as they are built.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use vouch_core::cose::Sign1;
use vouch_core::{Algorithm, PublicKey, Signer};
use vouch_keys::{Error as KeyError, FileKey, KeyRef, Passphrase};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// The demo's passphrase. A real deployment reads it from a prompt or a
/// secret store; the library never asks for it itself.
const BUILDER_PASSPHRASE: &str = "correct horse battery staple";

fn main() -> Result<()> {
    println!("vouch: code to cloud\n");
    let workspace = Workspace::create()?;
    println!(
        "Working in {} (mode {:04o})\n",
        workspace.dir.display(),
        mode(&workspace.dir)?
    );

    let passphrase = Passphrase::new(BUILDER_PASSPHRASE);
    let author = step_generate_keys(&workspace, &passphrase)?;
    let (author_signer, builder_signer) = step_reload_keys(&workspace, &author, &passphrase)?;
    step_sign_and_verify(&workspace, &*author_signer, &*builder_signer)?;

    println!("\nDone: every signature verified, every forgery was refused.");
    Ok(())
}

/// A private scratch directory (0700) that is removed when the story ends,
/// whether it ends well or not.
struct Workspace {
    dir: PathBuf,
}

impl Workspace {
    fn create() -> Result<Workspace> {
        let dir = std::env::temp_dir().join(format!("vouch-code-to-cloud-{}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir)?;
        Ok(Workspace { dir })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Workspace {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Step 1: the author's and the builder's keys are made and saved.
fn step_generate_keys(ws: &Workspace, passphrase: &Passphrase) -> Result<FileKey> {
    println!("1. Generate keys");
    let author = FileKey::generate(Algorithm::Ed25519)?.with_comment("alice@example.com");
    author.save(ws.path("author.key"), None)?;
    author.save_public(ws.path("author.pub"))?;
    describe_saved(ws, "author", &author, "unencrypted")?;

    let builder = FileKey::generate(Algorithm::Es256)?.with_comment("ci-builder@example.com");
    // Encrypted with argon2id (RFC 9106 recommended cost) + XChaCha20-Poly1305.
    builder.save(ws.path("builder.key"), Some(passphrase))?;
    builder.save_public(ws.path("builder.pub"))?;
    describe_saved(ws, "builder", &builder, "passphrase-encrypted")?;
    Ok(author)
}

fn describe_saved(ws: &Workspace, who: &str, key: &FileKey, protection: &str) -> Result<()> {
    let private = ws.path(&format!("{who}.key"));
    let public = ws.path(&format!("{who}.pub"));
    println!("   {who}: {} key {}", key.algorithm(), key.key_id());
    println!("      fingerprint {}", key.key_id().ssh_fingerprint());
    println!(
        "      {} ({protection}, mode {:04o}), {} (mode {:04o})",
        file_name(&private),
        mode(&private)?,
        file_name(&public),
        mode(&public)?
    );
    Ok(())
}

/// Step 2: the keys are read back, one directly, one through a key
/// reference, and the safety checks on loading are shown.
fn step_reload_keys(
    ws: &Workspace,
    author: &FileKey,
    passphrase: &Passphrase,
) -> Result<(Box<dyn Signer + Send + Sync>, Box<dyn Signer + Send + Sync>)> {
    println!("\n2. Reload keys");
    let reloaded = FileKey::load(ws.path("author.key"), None)?;
    println!(
        "   author.key loaded: {} ({})",
        reloaded.key_id(),
        verdict(
            reloaded.public_key() == author.public_key(),
            "same key",
            "DIFFERENT KEY"
        )
    );

    let reference: KeyRef = format!("file:{}", ws.path("builder.key").display()).parse()?;
    match reference.open(Some(&Passphrase::new("wrong passphrase"))) {
        Err(e @ KeyError::WrongPassphrase { .. }) => {
            println!("   wrong passphrase refused: {}", reasons(&e))
        }
        Err(e) => return Err(e.into()),
        Ok(_) => return Err("a wrong passphrase opened the builder key".into()),
    }
    let builder = reference.open(Some(passphrase))?;
    println!(
        "   {} opened with the passphrase: {}",
        file_name(&ws.path("builder.key")),
        builder.key_id()
    );

    show_permission_check(ws, author)?;
    Ok((Box::new(reloaded), builder))
}

/// A copy of a private key that others may read is refused.
fn show_permission_check(ws: &Workspace, author: &FileKey) -> Result<()> {
    let leaky = ws.path("leaky.key");
    author.save(&leaky, None)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&leaky, std::fs::Permissions::from_mode(0o644))?;
        match FileKey::load(&leaky, None) {
            Err(e @ KeyError::InsecurePermissions { .. }) => {
                println!("   a copy with mode 0644 is refused: {}", reasons(&e));
            }
            Err(e) => return Err(e.into()),
            Ok(_) => return Err("a world-readable private key was accepted".into()),
        }
    }
    std::fs::remove_file(&leaky)?;
    Ok(())
}

/// Step 3: each key signs a payload in a COSE_Sign1 envelope; the envelope
/// verifies against the public key file, and a tampered copy does not.
fn step_sign_and_verify(
    ws: &Workspace,
    author: &(dyn Signer + Send + Sync),
    builder: &(dyn Signer + Send + Sync),
) -> Result<()> {
    println!("\n3. Sign and verify");
    let payloads: [(&str, &dyn Signer, &str, &[u8]); 2] = [
        (
            "author",
            author,
            "text/plain",
            b"commit 3f2a9c1: fix the release script",
        ),
        (
            "builder",
            builder,
            "application/json",
            br#"{"image":"sha256:9b2f...","built_from":"3f2a9c1"}"#,
        ),
    ];
    for (who, signer, content_type, payload) in payloads {
        let public = PublicKey::parse_any(&std::fs::read(ws.path(&format!("{who}.pub")))?)?;
        let envelope = Sign1::sign(signer, content_type, payload)?.to_bytes()?;
        let verified = Sign1::from_bytes(&envelope)?.verify(&public)?;
        println!(
            "   {who} signed {} bytes ({}, {} byte envelope): {}",
            payload.len(),
            signer.algorithm(),
            envelope.len(),
            verdict(verified.value() == payload, "VERIFIED", "PAYLOAD MISMATCH")
        );
        println!("      signed by {}", short_ids(verified.key_ids()));

        let tampered = tamper(&envelope, payload)?;
        let refused = Sign1::from_bytes(&tampered).and_then(|e| e.verify(&public));
        match refused {
            Err(e) => println!("      tampered copy: REFUSED ({})", reasons(&e)),
            Ok(_) => return Err(format!("a tampered {who} envelope verified").into()),
        }
    }
    Ok(())
}

/// Changes one byte of the payload inside the encoded envelope.
fn tamper(envelope: &[u8], payload: &[u8]) -> Result<Vec<u8>> {
    let at = envelope
        .windows(payload.len())
        .position(|w| w == payload)
        .ok_or("payload not found in the envelope")?;
    let mut out = envelope.to_vec();
    if let Some(b) = out.get_mut(at) {
        *b ^= 0x01;
    }
    Ok(out)
}

fn verdict(ok: bool, yes: &'static str, no: &'static str) -> &'static str {
    if ok { yes } else { no }
}

fn short_ids(ids: impl Iterator<Item = vouch_core::KeyId>) -> String {
    let mut out = String::new();
    for id in ids {
        let hex = id.to_string();
        let _ = write!(
            out,
            "{}{}…",
            if out.is_empty() { "" } else { ", " },
            &hex[..16]
        );
    }
    out
}

/// An error and its causes, outermost first.
fn reasons(error: &dyn Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(out, ": {cause}");
        source = cause.source();
    }
    out
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(unix)]
fn mode(path: &Path) -> Result<u32> {
    use std::os::unix::fs::PermissionsExt as _;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode(_path: &Path) -> Result<u32> {
    Ok(0)
}
