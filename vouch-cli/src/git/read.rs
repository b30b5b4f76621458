//! The one git reader of the CLI: `vouch git verify-commit` and
//! `vouch attest commit --repo` read commits through it.
//!
//! Every call is `git [-C DIR] --no-replace-objects COMMAND ...` with its
//! output bounded (a commit object by [`MAX_COMMIT_LEN`]).
//! `rev-parse --verify --end-of-options REV` names the object, annotated
//! tags are peeled through `cat-file -t` and `cat-file tag` (never
//! `REV^{commit}`, which makes git parse the commit), every id git prints
//! is checked, and `cat-file commit ID` prints the stored bytes, which the
//! caller hashes back to the id with `vouch_git::commit`.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};

use vouch_git::commit::MAX_COMMIT_LEN;
use vouch_manifest::GitObjectId;

/// Why a commit could not be read from the repository.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ReadError {
    /// git could not be started.
    #[error("cannot run git")]
    Spawn(#[source] std::io::Error),
    /// git exited with an error.
    #[error("git {command} failed: {stderr}")]
    Git {
        /// The git command (`rev-parse`, `cat-file`, `config`).
        command: &'static str,
        /// What git wrote to standard error (at most 4 KiB), trimmed.
        stderr: String,
    },
    /// git printed something that is not an object id.
    #[error("git printed an object id that is not one: {0:?}")]
    BadId(String),
    /// The revision names a tree, a blob or a malformed tag.
    #[error("the revision names {0}, not a commit")]
    NotACommit(&'static str),
    /// More annotated tags stand between the name and its commit than
    /// [`MAX_TAG_DEPTH`].
    #[error("the revision names a chain of more than {max} annotated tags")]
    TagChainTooLong {
        /// The limit.
        max: usize,
    },
    /// The output was longer than the limit.
    #[error("commit object is larger than {MAX_COMMIT_LEN} bytes")]
    TooLarge,
    /// Reading git's output failed.
    #[error("reading git's output failed")]
    Io(#[source] std::io::Error),
    /// The name is a lightweight tag, or its object is not the tag it says.
    #[error("not an annotated tag of that name whose bytes hash to its id")]
    NotATag,
    /// The tag object is malformed.
    #[error("malformed tag object")]
    Tag(#[source] vouch_git::tag::TagError),
}

/// Runs `git [-C repo] --no-replace-objects ARGS`, reading at most `limit`
/// bytes of its output.
pub(crate) fn git(
    repo: Option<&Path>,
    command: &'static str,
    args: &[&str],
    limit: usize,
) -> Result<Vec<u8>, ReadError> {
    let mut cmd = Command::new("git");
    if let Some(dir) = repo {
        cmd.arg("-C").arg(dir);
    }
    let mut child = cmd
        .arg("--no-replace-objects")
        .arg(command)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(ReadError::Spawn)?;
    let mut out = Vec::new();
    let read = child
        .stdout
        .take()
        .map(|s| s.take(limit as u64 + 1).read_to_end(&mut out))
        .transpose();
    if out.len() > limit {
        // This child is ours; stop it rather than read an unbounded object.
        let _ = child.kill();
        let _ = child.wait();
        return Err(ReadError::TooLarge);
    }
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = (&mut e).take(4096).read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(ReadError::Io)?;
    read.map_err(ReadError::Io)?;
    if !status.success() {
        return Err(ReadError::Git {
            command,
            stderr: stderr.trim().to_owned(),
        });
    }
    Ok(out)
}

/// Parses the object id git printed.
fn object_id(out: &[u8]) -> Result<GitObjectId, ReadError> {
    let text = String::from_utf8_lossy(out);
    text.trim()
        .parse()
        .map_err(|_| ReadError::BadId(text.trim().chars().take(80).collect()))
}

/// How many annotated tags may stand between a name and its commit.
pub(crate) const MAX_TAG_DEPTH: usize = 8;

/// Resolves `rev` to a commit id and reads the commit object.
///
/// Nothing here asks git to parse the commit itself (`git rev-parse
/// REV^{commit}` would, and stops at an object whose bytes do not match
/// its id): names resolve with `rev-parse --verify`, annotated tags are
/// peeled by reading their `object` line, and `cat-file commit` prints the
/// stored bytes, which `vouch_git::commit` then checks against the id.
pub(crate) fn read_commit(
    repo: Option<&Path>,
    rev: &str,
) -> Result<(GitObjectId, Vec<u8>), ReadError> {
    let mut id = object_id(&git(
        repo,
        "rev-parse",
        &["--verify", "--end-of-options", rev],
        256,
    )?)?;
    for _ in 0..=MAX_TAG_DEPTH {
        let kind = git(repo, "cat-file", &["-t", id.as_str()], 64)?;
        match String::from_utf8_lossy(&kind).trim() {
            "commit" => {
                let raw = git(repo, "cat-file", &["commit", id.as_str()], MAX_COMMIT_LEN)?;
                return Ok((id, raw));
            }
            "tag" => {
                let tag = git(repo, "cat-file", &["tag", id.as_str()], MAX_COMMIT_LEN)?;
                let target = tag
                    .split(|&b| b == b'\n')
                    .next()
                    .and_then(|line| line.strip_prefix(b"object "))
                    .ok_or(ReadError::NotACommit("a malformed tag"))?;
                id = object_id(target)?;
            }
            "tree" => return Err(ReadError::NotACommit("a tree")),
            "blob" => return Err(ReadError::NotACommit("a blob")),
            _ => return Err(ReadError::NotACommit("an object of unknown type")),
        }
    }
    Err(ReadError::TagChainTooLong { max: MAX_TAG_DEPTH })
}

/// Reads the annotated tag `name` (`refs/tags/<name>`): its tag object id
/// and bytes, checked to hash to that id and to carry that name.
pub(crate) fn read_tag(
    repo: Option<&Path>,
    name: &str,
) -> Result<(GitObjectId, Vec<u8>), ReadError> {
    use vouch_git::commit::ObjectFormat;
    use vouch_git::tag::{MAX_TAG_LEN, TagObject};
    let full = format!("refs/tags/{name}");
    let id = object_id(&git(
        repo,
        "rev-parse",
        &["--verify", "--end-of-options", &full],
        256,
    )?)?;
    let kind = git(repo, "cat-file", &["-t", id.as_str()], 64)?;
    if String::from_utf8_lossy(&kind).trim() != "tag" {
        return Err(ReadError::NotATag);
    }
    let raw = git(repo, "cat-file", &["tag", id.as_str()], MAX_TAG_LEN)?;
    let tag = TagObject::parse(&raw, ObjectFormat::of_id(&id)).map_err(ReadError::Tag)?;
    if tag.id() != &id || tag.name() != name {
        return Err(ReadError::NotATag);
    }
    Ok((id, raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_tag_depth() {
        if !vouch_test_support::git::tools_available("tag depth test", "MAX_TAG_DEPTH") {
            return;
        }
        let dir = std::env::temp_dir().join(format!("vouch-cli-tag-depth-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (repo, home) = (dir.join("repo"), dir.join("home"));
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        let run = |args: &[&str]| {
            let out = vouch_test_support::git::command(&repo, &home, "UTC")
                .args(args)
                .output()
                .unwrap();
            assert!(out.status.success(), "git {args:?}: {out:?}");
        };
        run(&["init", "-q"]);
        run(&["commit", "-q", "--allow-empty", "-m", "c"]);
        run(&["tag", "-a", "t1", "-m", "t", "HEAD"]);
        for i in 2..=MAX_TAG_DEPTH + 1 {
            run(&[
                "tag",
                "-a",
                &format!("t{i}"),
                "-m",
                "t",
                &format!("t{}", i - 1),
            ]);
        }
        // Eight tags above the commit are peeled; a ninth is refused.
        let (commit, _) = read_commit(Some(&repo), "HEAD").unwrap();
        let (peeled, _) = read_commit(Some(&repo), &format!("t{MAX_TAG_DEPTH}")).unwrap();
        assert_eq!(peeled, commit);
        match read_commit(Some(&repo), &format!("t{}", MAX_TAG_DEPTH + 1)) {
            Err(ReadError::TagChainTooLong { max }) => assert_eq!(max, MAX_TAG_DEPTH),
            other => panic!("{other:?}"),
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
