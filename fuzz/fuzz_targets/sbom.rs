//! vouch_manifest's SBOM readers (CycloneDX and SPDX JSON, and the sniffing
//! dependencies_from_sbom) that `vouch attest release --sbom` feeds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_manifest::{dependencies_from_cyclonedx, dependencies_from_sbom, dependencies_from_spdx};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("sbom")), |data: &[u8]| {
    let _ = dependencies_from_cyclonedx(data);
    let _ = dependencies_from_spdx(data);
    let _ = dependencies_from_sbom(data);
});
