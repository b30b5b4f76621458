//! vouch_oci's artifact manifest reader: untrusted manifest bytes from a
//! layout or a registry. Whatever it accepts names the vouch artifactType,
//! one layer within the bundle limit, and a subject; the subject check
//! agrees with the subject read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oci_spec::image::{Descriptor, MediaType};
use vouch_core::Digest;
use vouch_oci::artifact::{Artifact, MAX_BUNDLE, oci_digest, parse_artifact, parse_artifact_any};

fn seeds() -> Vec<Vec<u8>> {
    let subject = Descriptor::new(
        MediaType::ImageManifest,
        7,
        oci_digest(&Digest::sha256(b"image")).expect("a sha256 digest"),
    );
    vec![
        Artifact::build(&subject, b"bundle")
            .expect("an artifact")
            .manifest,
    ]
}

fuzz_target!(init: vouch_fuzz::write_seeds(seeds), |data: &[u8]| {
    if let Ok(m) = parse_artifact_any(data) {
        assert!(m.layer.size() <= MAX_BUNDLE);
        assert!(parse_artifact(data, &m.subject).is_ok());
        let other = Digest::sha256(m.subject.as_bytes());
        assert!(parse_artifact(data, &other).is_err());
    }
});
