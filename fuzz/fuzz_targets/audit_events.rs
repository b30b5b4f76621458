//! vouch_manifest::audit::import of GitHub audit-log and GitLab
//! audit-event exports (JSON arrays of events) against the fixture's
//! repository policy.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vouch_manifest::RepoPolicy;
use vouch_manifest::audit::{Forge, import};
use vouch_test_support::repo::{GITHUB_AUDIT_LOG, GITLAB_AUDIT_EVENTS, Repo};

fn policy() -> &'static RepoPolicy {
    static P: OnceLock<RepoPolicy> = OnceLock::new();
    P.get_or_init(|| Repo::new("2026-12-02T12:00:00Z".parse().expect("a time")).policy_v1())
}

fuzz_target!(
    init: vouch_fuzz::write_seeds(|| vec![GITHUB_AUDIT_LOG.into(), GITLAB_AUDIT_EVENTS.into()]),
    |data: &[u8]| {
        for forge in [Forge::GitHub, Forge::GitLab] {
            if let Ok(out) = import(forge, data, policy()) {
                assert!(out.unattributed.iter().all(|&i| i < out.changes.len()));
                assert_eq!(out.proposed.version, policy().version + 1);
                for c in &out.changes {
                    let _ = c.kind.to_string();
                }
            }
        }
    }
);
