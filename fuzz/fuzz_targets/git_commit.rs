//! vouch_git::commit: git commit objects (CommitObject::parse, SHA-1 and
//! SHA-256 formats) with their gpgsig/SSHSIG headers, then verify and
//! verify_commit against the fixture roster.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_git::commit::{CommitObject, ObjectFormat, verify_commit};

fuzz_target!(init: vouch_fuzz::write_seeds(|| vouch_fuzz::fixture_seeds("git_commit")), |data: &[u8]| {
    let roster = &vouch_fuzz::fixture().trusted;
    for format in [ObjectFormat::Sha1, ObjectFormat::Sha256] {
        let Ok(c) = CommitObject::parse(data, format) else {
            continue;
        };
        assert_eq!(c.format(), format);
        let _ = (
            c.tree(),
            c.parents(),
            c.author(),
            c.committer(),
            c.message(),
        );
        let _ = c.author().to_person();
        let _ = c.signature();
        let _ = c.payload();
        let _ = c.verify_signature();
        let _ = c.verify(roster);
        let _ = verify_commit(data, c.id(), roster);
    }
});
