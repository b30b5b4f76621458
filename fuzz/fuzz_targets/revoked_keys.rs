//! vouch_git::sshkeygen::RevokedKeys::parse (ssh-keygen's -r revoked keys
//! file: public key lines) and its lookups.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_git::sshkeygen::RevokedKeys;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("revoked_keys")), |data: &[u8]| {
    let Ok(revoked) = RevokedKeys::parse(data) else {
        return;
    };
    for k in vouch_fuzz::keys() {
        let listed = revoked.contains(k.public_key());
        assert_eq!(revoked.check(k.public_key()).is_err(), listed);
    }
});
