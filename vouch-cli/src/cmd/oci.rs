//! `vouch oci attach` and `vouch oci fetch`: vouch bundles as OCI 1.1
//! artifacts beside an image in an OCI image layout (docs/oci.md).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use vouch_chain::Bundle;
use vouch_oci::layout::{Layout, descriptor_digest, split_ref};

use crate::exit::{CliError, CliResult, Outcome};

/// `vouch oci ...`
#[derive(Subcommand, Debug)]
pub(crate) enum OciCommand {
    /// Attach a bundle to an image as an OCI 1.1 artifact.
    ///
    /// In the layout DIR (the image tagged TAG, or its only image) the
    /// artifact's blobs are written under blobs/sha256/, the artifact
    /// manifest is listed in index.json, and the tag sha256-<hex> of the
    /// image's digest names an index of every bundle attached to it (for
    /// tools that read only tags). Attaching the same bundle again changes
    /// nothing. The bundle must be a vouch bundle (`vouch bundle create`).
    Attach(AttachArgs),
    /// Fetch every bundle attached to an image, merged into one bundle.
    ///
    /// Each artifact's manifest and bundle layer are checked against their
    /// digests and sizes; identical envelopes, commit objects, Sigstore
    /// bundles, timestamp tokens and inclusion proofs are kept once. Nothing
    /// is trusted here: `vouch verify --bundle FILE` checks the statements.
    /// An image with no bundle is an error (nothing is written).
    Fetch(FetchArgs),
}

/// Arguments of `vouch oci attach`.
#[derive(Args, Debug)]
pub(crate) struct AttachArgs {
    /// The bundle file to attach.
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,
    /// The OCI image layout and image: DIR[:TAG].
    #[arg(long, value_name = "DIR[:TAG]")]
    layout: String,
}

/// Arguments of `vouch oci fetch`.
#[derive(Args, Debug)]
pub(crate) struct FetchArgs {
    /// The OCI image layout and image: DIR[:TAG].
    #[arg(long, value_name = "DIR[:TAG]")]
    layout: String,
    /// Where to write the merged bundle.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
}

/// Runs `vouch oci ...`.
pub(crate) fn run(command: OciCommand) -> CliResult {
    match command {
        OciCommand::Attach(args) => attach(&args),
        OciCommand::Fetch(args) => fetch(&args),
    }
}

fn attach(args: &AttachArgs) -> CliResult {
    let bytes = crate::io::read(&args.bundle, crate::io::Input::BUNDLE)?;
    // Decoded first, so that only a bundle the verifier can read is
    // attached (and garbage is refused here, not found at admission).
    Bundle::from_bytes(&bytes).map_err(|e| {
        CliError::usage(
            format!("{} is not a vouch bundle", args.bundle.display()),
            e,
        )
    })?;
    let (dir, tag) = split_ref(&args.layout);
    let oci = |e| CliError::usage(format!("attaching to the OCI image {}", args.layout), e);
    let mut layout = Layout::open(dir).map_err(oci)?;
    let subject = layout.resolve(tag).map_err(oci)?.clone();
    let artifact = layout.attach(&subject, &bytes).map_err(oci)?;
    let image = descriptor_digest(&subject).map_err(oci)?;
    crate::io::print(&format!(
        "attached bundle artifact {} to image {image}",
        artifact.digest
    ));
    Ok(Outcome::Done)
}

fn fetch(args: &FetchArgs) -> CliResult {
    let (dir, tag) = split_ref(&args.layout);
    let oci = |e| CliError::usage(format!("reading the OCI image {}", args.layout), e);
    let layout = Layout::open(dir).map_err(oci)?;
    let subject = layout.resolve(tag).map_err(oci)?;
    let image = descriptor_digest(subject).map_err(oci)?;
    let found = layout.bundles_for(&image).map_err(oci)?;
    if found.is_empty() {
        return Err(CliError::usage_msg(format!(
            "no vouch bundle is attached to image {image} in {}",
            args.layout
        )));
    }
    let mut bundles = Vec::with_capacity(found.len());
    for (i, bytes) in found.iter().enumerate() {
        bundles.push(Bundle::from_bytes(bytes).map_err(|e| {
            CliError::usage(
                format!(
                    "bundle {} attached to image {image} is not a vouch bundle",
                    i + 1
                ),
                e,
            )
        })?);
    }
    let merged = merge(&bundles)?;
    let out = merged
        .to_bytes()
        .map_err(|e| CliError::usage("encoding the merged bundle", e))?;
    crate::io::write(&args.out, &out)?;
    crate::io::print(&format!(
        "{} bundle(s) of image {image} merged: {} envelope(s) written to {}",
        bundles.len(),
        merged.envelopes().len(),
        args.out.display()
    ));
    Ok(Outcome::Done)
}

/// Merges bundles into one, each identical item kept once, in first-seen
/// order. Timestamp tokens and inclusion proofs are keyed in a bundle by
/// their envelope's digest or leaf; each is re-added with the envelope of
/// its own bundle that it belongs to (one without such an envelope could
/// never count, and is dropped).
pub(crate) fn merge(bundles: &[Bundle]) -> Result<Bundle, CliError> {
    let mut merged = Bundle::new();
    for b in bundles {
        for e in b.envelopes() {
            if !merged.envelopes().contains(e) {
                merged.add_envelope(e.clone());
            }
        }
        for c in b.commit_objects() {
            if !merged.commit_objects().contains(c) {
                merged.add_commit_object(c.clone());
            }
        }
        for s in b.sigstore() {
            if !merged.sigstore().contains(s) {
                merged
                    .add_sigstore(s.clone())
                    .map_err(|e| CliError::usage("merging Sigstore bundles", e))?;
            }
        }
        for (digest, token) in b.timestamps() {
            if merged
                .timestamps()
                .iter()
                .any(|(d, t)| d == digest && t == token)
            {
                continue;
            }
            let envelope = b
                .envelopes()
                .iter()
                .find(|e| vouch_chain::timestamped_digest(e).is_ok_and(|d| &d == digest));
            if let Some(envelope) = envelope {
                merged
                    .add_timestamp(envelope, token.clone())
                    .map_err(|e| CliError::usage("merging timestamp tokens", e))?;
            }
        }
        for (leaf, inclusion) in b.inclusions() {
            if merged
                .inclusions()
                .iter()
                .any(|(l, i)| l == leaf && i == inclusion)
            {
                continue;
            }
            let envelope = b
                .envelopes()
                .iter()
                .find(|e| vouch_core::tlog::receipt::statement_leaf(e).is_ok_and(|l| &l == leaf));
            if let Some(envelope) = envelope {
                merged
                    .add_inclusion(envelope, inclusion.clone())
                    .map_err(|e| CliError::usage("merging inclusion proofs", e))?;
            }
        }
    }
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_identical_items_once_in_first_seen_order() {
        let mut a = Bundle::new();
        a.add_envelope(b"one".to_vec());
        a.add_envelope(b"two".to_vec());
        a.add_commit_object(b"commit".to_vec());
        let mut b = Bundle::new();
        b.add_envelope(b"two".to_vec());
        b.add_envelope(b"three".to_vec());
        b.add_commit_object(b"commit".to_vec());
        let m = merge(&[a, b]).unwrap_or_default();
        assert_eq!(
            m.envelopes(),
            &[b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]
        );
        assert_eq!(m.commit_objects(), &[b"commit".to_vec()]);
    }
}
