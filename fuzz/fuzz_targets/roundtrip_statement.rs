//! Round trips of vouch-manifest statements from arbitrary field values:
//! an approval, a deployment and a commit statement, signed with a fixed
//! key, decode from their canonical bytes, their JSON and their envelope
//! to the same statement, and re-encode identically.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vouch_core::{Digest, Timestamp};
use vouch_manifest::{
    Approval, ApprovalRole, Commit, DeployTarget, Deployment, GitPerson, Predicate, Signed,
    Statement,
};

#[derive(Debug, Arbitrary)]
struct Input {
    texts: [String; 8],
    ids: [String; 4],
    commit: [u8; 20],
    time: i64,
    authorize: bool,
    digest: [u8; 32],
}

fn check<P: Predicate + PartialEq + std::fmt::Debug + Clone>(p: P) {
    let Ok(s) = Statement::from_predicate(p) else {
        return;
    };
    let bytes = s.to_canonical_bytes().expect("a statement encodes");
    let back = Statement::<P>::from_canonical_bytes(&bytes).expect("its canonical bytes decode");
    assert_eq!(back, s);
    assert_eq!(back.to_canonical_bytes().expect("re-encodes"), bytes);
    let json = s.to_json().expect("JSON");
    assert_eq!(
        Statement::<P>::from_json(&json).expect("its JSON decodes"),
        s
    );
    let signed = Signed::sign(&s, &vouch_fuzz::keys()[0]).expect("signs");
    let env = signed.to_bytes().expect("an envelope");
    let from_env = Signed::<P>::from_bytes(&env).expect("its envelope decodes");
    assert_eq!(from_env.unverified(), &s);
    assert_eq!(from_env.digest(), Digest::sha256(&bytes));
}

fuzz_target!(|i: Input| {
    let Some(time) = Timestamp::from_unix_seconds(i.time % 253_402_300_799) else {
        return;
    };
    let digest = Digest::sha256(&i.digest);
    let ids: Vec<_> = i.ids.iter().filter_map(|s| s.parse().ok()).collect();
    let id = |n: usize| ids.get(n).cloned();
    if let Some(identity) = id(0) {
        check(Approval {
            statement: digest,
            role: if i.authorize {
                ApprovalRole::Authorize
            } else {
                ApprovalRole::Trigger
            },
            identity,
            time,
        });
    }
    if let (Some(deployer), Some(triggered_by)) = (id(1), id(2)) {
        check(Deployment {
            environment: i.texts[0].clone(),
            target: DeployTarget {
                cluster: i.texts[1].clone(),
                namespace: i.texts[2].clone(),
                service: i.texts[3].clone(),
            },
            image: digest,
            team: i.texts[4].clone(),
            deployer,
            pipeline: vouch_manifest::Pipeline {
                run_id: i.texts[5].clone(),
                url: i.texts[6].clone(),
            },
            triggered_by,
            authorized_by: ids.clone(),
            time,
            ci_token: None,
        });
    }
    if let (Some(signer), Ok(commit_id)) = (id(3), hex(&i.commit).parse()) {
        let person = GitPerson {
            name: i.texts[7].clone(),
            email: i.texts[0].clone(),
            time,
        };
        check(Commit {
            repository: i.texts[1].clone(),
            commit_id,
            tree_id: vouch_fuzz::commit_id(0),
            parents: vec![vouch_fuzz::commit_id(1)],
            author: person.clone(),
            committer: person,
            signer,
        });
    }
});

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
