//! vouch_core::tpm: the TPM 2.0 structure parsers, each on the whole input:
//! TPMT_PUBLIC (Public::parse), TPMS_ATTEST (Attest::parse) and
//! TPMT_SIGNATURE (AttestSignature::parse).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::tpm::{Attest, AttestSignature, Public};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("tpm_structures")), |data: &[u8]| {
    if let Ok(p) = Public::parse(data) {
        let _ = format!("{p:?}");
    }
    if let Ok(a) = Attest::parse(data) {
        let _ = format!("{a:?}");
    }
    if let Ok(s) = AttestSignature::parse(data) {
        let _ = format!("{s:?}");
    }
});
