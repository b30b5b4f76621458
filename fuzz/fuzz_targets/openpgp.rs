//! vouch_git::openpgp: armored detached signatures and certificates
//! (armored or binary), read within their bounds; a certificate that reads
//! is asked to verify the signature. Input: signature, SEP, certificate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_git::openpgp::{Certificate, Keyring, OpenPgpSignature};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("openpgp")), |data: &[u8]| {
    let parts = vouch_fuzz::parts(data);
    let sig = parts.first().and_then(|s| OpenPgpSignature::from_armored(s).ok());
    let cert = parts.get(1).and_then(|c| Certificate::parse(c).ok());
    if let Some(cert) = &cert {
        let _ = (cert.fingerprint(), cert.user_ids(), cert.to_bytes());
    }
    if let (Some(sig), Some(cert)) = (sig, cert) {
        let _ = (sig.issuer(), sig.created(), cert.issued(&sig));
        let _ = cert.verify(&sig, b"payload");
        let mut ring = Keyring::new();
        ring.insert(cert, ());
        let _ = ring.find(&sig);
    }
});
