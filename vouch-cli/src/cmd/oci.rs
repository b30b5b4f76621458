//! `vouch oci attach` and `vouch oci fetch`: vouch bundles as OCI 1.1
//! artifacts beside an image in an OCI image layout (`--layout`) or in a
//! registry (`--image`, vouch-oci's registry client; docs/oci.md).

use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, Subcommand};
use vouch_chain::Bundle;
use vouch_core::Digest;
use vouch_oci::layout::{Layout, descriptor_digest, split_ref};
use vouch_oci::reference::ImageRef;
use vouch_oci::registry::{Registry, RegistryOptions, Transport};

/// The registry user for basic authentication (never an argument: it
/// would show in the process list and shell history).
pub(crate) const REGISTRY_USER_ENV: &str = "VOUCH_REGISTRY_USER";
/// The registry password for basic authentication.
pub(crate) const REGISTRY_PASSWORD_ENV: &str = "VOUCH_REGISTRY_PASSWORD";

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
#[command(group(ArgGroup::new("where").required(true).args(["layout", "image"])))]
pub(crate) struct AttachArgs {
    /// The bundle file to attach.
    #[arg(long, value_name = "FILE")]
    bundle: PathBuf,
    /// The OCI image layout and image: DIR[:TAG].
    #[arg(long, value_name = "DIR[:TAG]")]
    layout: Option<String>,
    /// The image in a registry: HOST[:PORT]/REPO[:TAG|@sha256:HEX].
    #[arg(long, value_name = "REF")]
    image: Option<String>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Arguments of `vouch oci fetch`.
#[derive(Args, Debug)]
#[command(group(ArgGroup::new("where").required(true).args(["layout", "image"])))]
pub(crate) struct FetchArgs {
    /// The OCI image layout and image: DIR[:TAG].
    #[arg(long, value_name = "DIR[:TAG]")]
    layout: Option<String>,
    /// The image in a registry: HOST[:PORT]/REPO[:TAG|@sha256:HEX].
    #[arg(long, value_name = "REF")]
    image: Option<String>,
    #[command(flatten)]
    registry: RegistryArgs,
    /// Where to write the merged bundle.
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    out: PathBuf,
}

/// How `--image` reaches its registry. Basic authentication comes from the
/// environment only (`VOUCH_REGISTRY_USER`, `VOUCH_REGISTRY_PASSWORD`);
/// token authentication is not supported.
#[derive(Args, Debug)]
pub(crate) struct RegistryArgs {
    /// The limit of each registry request, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    registry_timeout_ms: u64,
    /// Plain HTTP instead of HTTPS: only for a loopback registry
    /// (127.0.0.0/8, ::1, localhost), refused otherwise.
    #[arg(long)]
    plain_http: bool,
    /// CA certificates (PEM) for HTTPS, instead of the system bundle.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Maintain and read the sha256-<hex> tag index even when the registry
    /// has the OCI 1.1 referrers API.
    #[arg(long)]
    force_tag_fallback: bool,
}

impl RegistryArgs {
    /// The client of the registry `reference` names.
    fn connect(&self, reference: &str) -> Result<(ImageRef, Registry), CliError> {
        let image = ImageRef::parse(reference)
            .map_err(|e| CliError::usage(format!("--image {reference}"), e))?;
        let user = std::env::var(REGISTRY_USER_ENV).ok();
        let password = std::env::var(REGISTRY_PASSWORD_ENV).ok();
        let basic_auth = match (user, password) {
            (Some(u), Some(p)) => Some((u, p)),
            (None, None) => None,
            _ => {
                return Err(CliError::usage_msg(format!(
                    "set both {REGISTRY_USER_ENV} and {REGISTRY_PASSWORD_ENV}, or neither"
                )));
            }
        };
        let options = RegistryOptions {
            timeout: Duration::from_millis(self.registry_timeout_ms.max(1)),
            transport: if self.plain_http {
                Transport::PlainHttp
            } else {
                Transport::Https
            },
            basic_auth,
            ca_file: self.ca_file.clone(),
            force_tag_fallback: self.force_tag_fallback,
        };
        let registry = Registry::new(&image, options)
            .map_err(|e| CliError::usage(format!("connecting to the registry of {image}"), e))?;
        Ok((image, registry))
    }
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
    let (artifact, image) = match (&args.layout, &args.image) {
        (Some(where_), _) => {
            let (dir, tag) = split_ref(where_);
            let oci = |e| CliError::usage(format!("attaching to the OCI image {where_}"), e);
            let mut layout = Layout::open(dir).map_err(oci)?;
            let subject = layout.resolve(tag).map_err(oci)?.clone();
            let artifact = layout.attach(&subject, &bytes).map_err(oci)?;
            (artifact.digest, descriptor_digest(&subject).map_err(oci)?)
        }
        (None, Some(reference)) => {
            let (image, registry) = args.registry.connect(reference)?;
            let oci = |e| CliError::usage(format!("attaching to the image {image}"), e);
            let subject = registry.resolve(&image).map_err(oci)?;
            let artifact = registry.attach(&image, &bytes).map_err(oci)?;
            (artifact, descriptor_digest(&subject).map_err(oci)?)
        }
        (None, None) => return Err(CliError::usage_msg("give --layout or --image")),
    };
    crate::io::print(&format!(
        "attached bundle artifact {artifact} to image {image}"
    ));
    Ok(Outcome::Done)
}

/// The bundles attached to the image `--layout` or `--image` names, and
/// that image's digest; what the image is called, for messages.
fn found_bundles(args: &FetchArgs) -> Result<(Vec<Vec<u8>>, Digest, String), CliError> {
    match (&args.layout, &args.image) {
        (Some(where_), _) => {
            let (dir, tag) = split_ref(where_);
            let oci = |e| CliError::usage(format!("reading the OCI image {where_}"), e);
            let layout = Layout::open(dir).map_err(oci)?;
            let subject = layout.resolve(tag).map_err(oci)?;
            let image = descriptor_digest(subject).map_err(oci)?;
            let found = layout.bundles_for(&image).map_err(oci)?;
            Ok((found, image, where_.clone()))
        }
        (None, Some(reference)) => {
            let (image, registry) = args.registry.connect(reference)?;
            let oci = |e| CliError::usage(format!("reading the image {image}"), e);
            let digest = descriptor_digest(&registry.resolve(&image).map_err(oci)?).map_err(oci)?;
            // Fetched by digest: the tag cannot move between the two steps.
            let pinned = ImageRef {
                target: vouch_oci::reference::Target::Digest(digest),
                ..image.clone()
            };
            let found = registry.fetch_bundles(&pinned).map_err(oci)?;
            Ok((found, digest, image.to_string()))
        }
        (None, None) => Err(CliError::usage_msg("give --layout or --image")),
    }
}

fn fetch(args: &FetchArgs) -> CliResult {
    let (found, image, name) = found_bundles(args)?;
    if found.is_empty() {
        return Err(CliError::usage_msg(format!(
            "no vouch bundle is attached to image {image} in {name}"
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
    let merged = Bundle::merge(&bundles).map_err(|e| CliError::usage("merging the bundles", e))?;
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
