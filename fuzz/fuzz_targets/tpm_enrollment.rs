//! vouch_manifest::tpm::endorsement: the EK-certified enrollment's challenge
//! and pending files (canonical CBOR), their re-encoding, and completing a
//! pending enrollment with a fuzzed answer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_manifest::tpm::endorsement::{Challenge, Pending};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("tpm_enrollment")), |data: &[u8]| {
    if let Ok(c) = Challenge::from_bytes(data) {
        let bytes = c.to_bytes().expect("re-encodes");
        assert_eq!(bytes, data, "a challenge file re-encodes to its bytes");
        assert_eq!(Challenge::from_bytes(&bytes).expect("decodes"), c);
    }
    if let Ok(p) = Pending::from_bytes(data) {
        let bytes = p.to_bytes().expect("re-encodes");
        assert_eq!(
            bytes.as_slice(),
            data,
            "a pending file re-encodes to its bytes"
        );
        let _ = p.ak_public();
        let who = "workload:ci/build".parse().expect("an identity");
        let _ = p.complete(data, who, "tpm".into(), vouch_fuzz::now());
    }
});
