//! Every limit of vouch-git in `docs/limits.md`, at the limit (accepted,
//! or refused only by a later check) and one past it (refused with the
//! error that names the limit; a sub-pattern past its limit never matches,
//! as in OpenSSH). One test per row, named after its constant.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use vouch_git::allowed_signers::{
    AllowedSigners, AllowedSignersError, MAX_FILE_LEN, MAX_SUBPATTERN, PatternMatch,
    match_pattern_list,
};
use vouch_git::commit::{CommitObject, GitError, MAX_COMMIT_LEN, MAX_PARENTS, ObjectFormat};

#[test]
fn max_commit_len() {
    // At the limit the object is parsed (and has no tree header).
    assert!(matches!(
        CommitObject::parse(&vec![b'a'; MAX_COMMIT_LEN], ObjectFormat::Sha1),
        Err(GitError::Malformed { .. })
    ));
    match CommitObject::parse(&vec![b'a'; MAX_COMMIT_LEN + 1], ObjectFormat::Sha1) {
        Err(GitError::TooLarge { limit, actual }) => {
            assert_eq!((limit, actual), (MAX_COMMIT_LEN, MAX_COMMIT_LEN + 1));
        }
        other => panic!("{other:?}"),
    }
}

/// A commit with `parents` parents.
fn commit_with_parents(parents: usize) -> Vec<u8> {
    let mut c = format!("tree {}\n", "4b825dc642cb6eb9a060e54bf8d69288fbee4904");
    for i in 0..parents {
        c.push_str(&format!("parent {i:040x}\n"));
    }
    c.push_str("author A U Thor <a@example.com> 1700000000 +0000\n");
    c.push_str("committer A U Thor <a@example.com> 1700000000 +0000\n\nmerge\n");
    c.into_bytes()
}

#[test]
fn max_parents() {
    let at = CommitObject::parse(&commit_with_parents(MAX_PARENTS), ObjectFormat::Sha1).unwrap();
    assert_eq!(at.parents().len(), MAX_PARENTS);
    match CommitObject::parse(&commit_with_parents(MAX_PARENTS + 1), ObjectFormat::Sha1) {
        // The tree is line 1: the 1025th parent is on line 1026.
        Err(GitError::TooManyParents { line, max }) => {
            assert_eq!((line, max), (MAX_PARENTS + 2, MAX_PARENTS));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn allowed_signers_max_file_len() {
    // At the limit the file is read: one comment line.
    let mut at = vec![b'#'; MAX_FILE_LEN];
    at[MAX_FILE_LEN - 1] = b'\n';
    let parsed = AllowedSigners::parse(&at).unwrap();
    assert!(parsed.entries().is_empty() && parsed.problems().is_empty());
    match AllowedSigners::parse(&vec![b'#'; MAX_FILE_LEN + 1]) {
        Err(AllowedSignersError::TooLarge { limit, actual }) => {
            assert_eq!((limit, actual), (MAX_FILE_LEN, MAX_FILE_LEN + 1));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn max_subpattern() {
    // The longest sub-pattern that can match is one byte short of the
    // limit; from the limit on, the whole list never matches (OpenSSH's
    // rule), even when another sub-pattern would.
    let at = "a".repeat(MAX_SUBPATTERN - 1);
    assert_eq!(match_pattern_list(&at, &at), PatternMatch::Positive);
    assert_eq!(
        match_pattern_list("b", &format!("b,!{at}")),
        PatternMatch::Positive
    );
    let past = "a".repeat(MAX_SUBPATTERN);
    assert_eq!(match_pattern_list(&past, &past), PatternMatch::NoMatch);
    assert_eq!(
        match_pattern_list("b", &format!("b,{past}")),
        PatternMatch::NoMatch
    );
    assert_eq!(
        match_pattern_list(&past, &format!("!{past}")),
        PatternMatch::NoMatch
    );
}
