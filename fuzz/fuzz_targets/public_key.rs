//! vouch_core::PublicKey decoders: OpenSSH lines, SPKI DER and PEM, COSE_Key,
//! vouch's canonical blob and parse_any; each decoded key round-trips
//! through its encoders.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::PublicKey;

fn round_trip(key: &PublicKey) {
    assert_eq!(
        &PublicKey::from_canonical_bytes(&key.to_canonical_bytes()).expect("canonical blob"),
        key
    );
    assert_eq!(
        &PublicKey::from_openssh(&key.to_openssh()).expect("openssh"),
        key
    );
    // A COSE_Key has no field for a FIDO application: the point and
    // algorithm come back, the application does not.
    let from_cose = PublicKey::from_cose_key(&key.to_cose_key()).expect("COSE_Key");
    assert_eq!(from_cose.algorithm(), key.algorithm());
    assert_eq!(from_cose.point(), key.point());
    if key.fido_application().is_none() {
        assert_eq!(&from_cose, key);
    }
    if key.fido_application().is_none() {
        let pem = key.to_spki_pem().expect("SPKI PEM");
        assert_eq!(&PublicKey::from_spki_pem(&pem).expect("SPKI PEM"), key);
    }
    let _ = key.key_id();
    let _ = key.key_id().ssh_fingerprint();
}

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("public_key")), |data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(k) = PublicKey::from_openssh(text) {
            round_trip(&k);
        }
        if let Ok(k) = PublicKey::from_spki_pem(text) {
            round_trip(&k);
        }
    }
    for k in [
        PublicKey::from_spki_der(data),
        PublicKey::from_cose_key(data),
        PublicKey::from_canonical_bytes(data),
        PublicKey::parse_any(data),
    ]
    .into_iter()
    .flatten()
    {
        round_trip(&k);
    }
});
