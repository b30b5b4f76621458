//! vouch_keys::FileKey::decode: private key files in every format vouch
//! reads (OpenSSH, PKCS#8 PEM/DER, vouch's own), without a passphrase, so
//! an encrypted file stops at its KDF parameters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_keys::FileKey;

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("key_file")), |data: &[u8]| {
    if let Ok(k) = FileKey::decode(data, None) {
        let _ = k.public_key_line();
        let _ = k.key_id();
    }
});
