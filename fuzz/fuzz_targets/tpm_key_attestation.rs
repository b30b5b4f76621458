//! vouch_core::tpm::KeyAttestation: the stored TPM2_Certify attestation
//! (canonical CBOR of certInfo, signature, AK public, key public), its
//! re-encoding, and verify against fixed keys with the AK in the input
//! trusted (so the signature and certify checks run).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_core::tpm::KeyAttestation;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("tpm_key_attestation")), |data: &[u8]| {
    let Ok(att) = KeyAttestation::from_bytes(data) else {
        return;
    };
    let _ = att.parsed_attest();
    let stored = att.to_bytes();
    assert_eq!(
        stored, data,
        "a canonical attestation re-encodes to its bytes"
    );
    let aks: [&[u8]; 1] = [att.ak_public()];
    for key in vouch_fuzz::keys() {
        let _ = att.verify(key.public_key(), &aks);
        let _ = att.verify(key.public_key(), &[]);
    }
});
