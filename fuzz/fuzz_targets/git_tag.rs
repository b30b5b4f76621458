//! vouch_git::tag: annotated tag objects (TagObject::parse, SHA-1 and
//! SHA-256 formats) with the signature at the end of their message, then
//! the SSH and OpenPGP verifications (the OpenPGP one with the fuzz
//! crate's feature `openpgp`, which a campaign builds and the smoke run
//! does not).
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_git::commit::ObjectFormat;
#[cfg(feature = "openpgp")]
use vouch_git::openpgp::Keyring;
use vouch_git::tag::TagObject;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("git_tag")), |data: &[u8]| {
    #[cfg(feature = "openpgp")]
    let keyring: Keyring<()> = Keyring::new();
    for format in [ObjectFormat::Sha1, ObjectFormat::Sha256] {
        let Ok(t) = TagObject::parse(data, format) else {
            continue;
        };
        assert_eq!(t.format(), format);
        // Payload and signature never hold more than the object.
        assert!(t.payload().len() + t.signature().map_or(0, <[u8]>::len) <= data.len());
        let _ = (t.id(), t.object(), t.kind(), t.name(), t.tagger(), t.message());
        let _ = t.signature_format();
        let _ = t.verify_ssh_signature();
        #[cfg(feature = "openpgp")]
        let _ = t.verify_openpgp_signature(&keyring);
    }
});
