//! vouch_core::sshsig: SSHSIG blobs, armored or not (with the public keys,
//! FIDO and WebAuthn signatures inside), their re-encoding, and verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::sshsig::SshSig;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("sshsig")), |data: &[u8]| {
    let _ = SshSig::from_armored(data);
    let _ = SshSig::from_bytes(data);
    let Ok(sig) = SshSig::parse(data) else {
        return;
    };
    let blob = sig.to_bytes();
    let again = SshSig::from_bytes(&blob).expect("to_bytes output parses");
    assert_eq!(again.to_bytes(), blob, "SSHSIG encoding is not stable");
    let armored = sig.to_armored();
    let from_armor = SshSig::from_armored(armored.as_bytes()).expect("to_armored output parses");
    assert_eq!(from_armor.to_bytes(), blob);
    let _ = sig.webauthn();
    let _ = sig.signed_data(b"message");
    let _ = sig.verify("git", b"message");
    let _ = sig.verify("file", data);
});
