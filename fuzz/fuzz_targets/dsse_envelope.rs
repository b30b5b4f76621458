//! vouch_core::dsse: the DSSE JSON envelope decoder, its re-encoding, and
//! verification with fixed keys.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_core::dsse::Envelope;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("dsse_envelope")), |data: &[u8]| {
    let Ok(env) = Envelope::from_json(data) else {
        return;
    };
    let _ = env.pae();
    let _ = format!("{env:?}");
    let json = env.to_json();
    let again = Envelope::from_json(json.as_bytes()).expect("to_json output decodes");
    assert_eq!(again.payload_type(), env.payload_type());
    assert_eq!(again.unverified_payload(), env.unverified_payload());
    assert_eq!(again.signatures().len(), env.signatures().len());
    assert_eq!(again.to_json(), json, "to_json is not stable");
    for key in vouch_fuzz::keys() {
        let _ = env.verify(key.public_key());
    }
});
