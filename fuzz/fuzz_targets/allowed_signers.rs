//! vouch_git::allowed_signers: OpenSSH allowed_signers files (lines of
//! principals, options, keys), their valid-after/before times, pattern
//! lists, and the lookups ssh-keygen -Y verify / find-principals make.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_core::Signer;
use vouch_git::allowed_signers::{AllowedSigners, SignerTime, local_is_utc, match_pattern_list};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("allowed_signers")), |data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(t) = SignerTime::parse(text) {
            let _ = t.resolve(&local_is_utc);
        }
        if let Some((a, b)) = text.split_once('\n') {
            let _ = match_pattern_list(a, b);
        }
    }
    let Ok(file) = AllowedSigners::parse(data) else {
        return;
    };
    let _ = file.problems();
    let at = vouch_fuzz::now();
    for e in file.entries() {
        let _ = e.principal_names().count();
        let _ = e.allows_namespace("git");
        let _ = e.matches_principal("dev@example.com");
        let _ = e.valid_at(at, &local_is_utc);
        let _ = file.check(&e.key, "dev@example.com", "git", at, &local_is_utc);
        let _ = file.find_principals(&e.key, at, &local_is_utc);
    }
    let key = vouch_fuzz::keys()[0].public_key();
    let _ = file.check(key, "dev@example.com", "git", at, &local_is_utc);
});
