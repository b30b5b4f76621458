//! vouch_core::x509: certificates (TrustAnchor::from_der, from_pem) and
//! chain verification (verify_chain), with the chain's last certificate as
//! the anchor; and EK certificates (vouch_core::tpm::EndorsementKey).
//!
//! Input: one DER certificate, or `leaf SEP intermediate SEP ... root`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::tpm::EndorsementKey;
use vouch_core::x509::{TrustAnchor, verify_chain};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("x509_chain")), |data: &[u8]| {
    let chain = vouch_fuzz::parts(data);
    let _ = EndorsementKey::from_certificate(chain[0]);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = TrustAnchor::from_pem(text);
    }
    let anchors: Vec<TrustAnchor> = chain
        .iter()
        .filter_map(|der| TrustAnchor::from_der(der).ok())
        .collect();
    for a in &anchors {
        let _ = a.subject();
        assert_eq!(
            TrustAnchor::from_der(a.der()).expect("reparses").der(),
            a.der()
        );
    }
    let at = vouch_fuzz::now();
    let _ = verify_chain(&chain, &[], at);
    let _ = verify_chain(&chain, &anchors, at);
    if let Some(last) = anchors.last() {
        let _ = verify_chain(&chain[..chain.len() - 1], std::slice::from_ref(last), at);
    }
});
