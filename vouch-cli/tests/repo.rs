//! `vouch repo` against stock git: pushes through a pre-push hook that
//! calls `vouch repo record` into a bare repository on disk; a logged push
//! passes `vouch repo verify`; a commit added to the bare repository behind
//! the hook's back, a force-push the policy forbids, a policy change signed
//! by one admin where two are required and a dropped log entry are each
//! refused, naming the update; `vouch repo log` shows who changed what.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use vouch_test_support::git;
use vouch_test_support::repo::{ALICE, BOB, MALLORY, REPOSITORY, Repo};

const VOUCH: &str = env!("CARGO_BIN_EXE_vouch");

struct Lab {
    root: PathBuf,
    fixture: Repo,
    pin: String,
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

impl Lab {
    /// A bare repository `remote.git`, a clone `work` with the pre-push
    /// hook, key files, the roster, and policy version 1 (alice and bob
    /// admins, two sign a change; main for maintainers, no force-push)
    /// recorded in the log and pushed.
    fn new(name: &str) -> Lab {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "vouch-repo-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("home")).unwrap();
        let fixture = Repo::new(vouch_core::Timestamp::now());
        fixture.alice.save(root.join("alice.key"), None).unwrap();
        fixture.bob.save(root.join("bob.key"), None).unwrap();
        fixture
            .mallory
            .save(root.join("mallory.key"), None)
            .unwrap();
        std::fs::write(root.join("roster.cbor"), &fixture.roster_file).unwrap();
        let mut lab = Lab {
            root,
            fixture,
            pin: String::new(),
        };
        lab.git(&lab.root.clone(), &["init", "-q", "--bare", "remote.git"]);
        lab.git(&lab.root.clone(), &["clone", "-q", "remote.git", "work"]);
        lab.vouch_ok(&[
            "repo",
            "policy",
            "init",
            "--repository",
            REPOSITORY,
            "--admin",
            ALICE,
            "--admin",
            BOB,
            "--threshold",
            "2",
            "--protect",
            "refs/heads/main",
            "--role",
            "maintainer",
            "-o",
            &lab.p("p1.json"),
        ]);
        lab.sign_policy("p1.json", "alice.key", "p1.cose");
        let out = lab.sign_policy("p1.cose", "bob.key", "p1.cose");
        lab.pin = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        lab.record_policy("alice.key", ALICE, "p1.cose");
        lab.hook("alice", ALICE);
        lab
    }

    fn p(&self, name: &str) -> String {
        self.root.join(name).display().to_string()
    }

    /// `vouch repo policy sign INPUT --key KEY -o OUTPUT` (files in the lab).
    fn sign_policy(&self, input: &str, key: &str, output: &str) -> Output {
        self.vouch_ok(&[
            "repo",
            "policy",
            "sign",
            &self.p(input),
            "--key",
            &self.p(key),
            "-o",
            &self.p(output),
        ])
    }

    /// `vouch repo record --policy POLICY` in `work`, signed by `key` as `who`.
    fn record_policy(&self, key: &str, who: &str, policy: &str) {
        self.vouch_ok(&[
            "repo",
            "record",
            "--git-dir",
            &self.p("work"),
            "--key",
            &self.p(key),
            "--by",
            who,
            "--policy",
            &self.p(policy),
        ]);
    }

    fn git(&self, dir: &Path, args: &[&str]) -> String {
        let out = git::command(dir, &self.root.join("home"), "UTC")
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", text(&out));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn work(&self, args: &[&str]) -> String {
        self.git(&self.root.join("work"), args)
    }

    fn bare(&self, args: &[&str]) -> String {
        self.git(&self.root.join("remote.git"), args)
    }

    /// The pre-push hook of `work`: records the updates as `who`, then
    /// pushes the log beside them.
    fn hook(&self, key: &str, who: &str) {
        let hook = self.root.join("work/.git/hooks/pre-push");
        std::fs::write(
            &hook,
            format!(
                "#!/bin/sh\n# $1 = remote name, $2 = its URL; stdin: the updates.\n\
                 set -e\n\
                 '{VOUCH}' repo record --pre-push --key '{}' --by '{who}'\n\
                 git push --no-verify -q \"$1\" refs/vouch/log:refs/vouch/log\n",
                self.p(&format!("{key}.key"))
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn vouch(&self, args: &[&str]) -> Output {
        Command::new(VOUCH).args(args).output().unwrap()
    }

    fn vouch_ok(&self, args: &[&str]) -> Output {
        let out = self.vouch(args);
        assert!(out.status.success(), "vouch {args:?}: {}", text(&out));
        out
    }

    fn commit(&self, message: &str) {
        std::fs::write(
            self.root.join("work").join(format!("{message}.txt")),
            message,
        )
        .unwrap();
        self.work(&["add", "-A"]);
        self.work(&["commit", "-q", "-m", message]);
    }

    fn verify(&self) -> Output {
        let roster = self.p("roster.cbor");
        let pin = self.fixture.roster_pin.to_string();
        self.vouch(&[
            "repo",
            "verify",
            "--git-dir",
            &self.p("remote.git"),
            "--roster",
            &roster,
            "--roster-pin",
            &pin,
            "--no-roster-state",
            "--policy-pin",
            &self.pin,
        ])
    }
}

fn available() -> bool {
    git::tools_available("vouch repo tests", "the reference log against stock git")
}

#[test]
fn logged_pushes_verify_and_an_injected_commit_is_named() {
    if !available() {
        return;
    }
    let lab = Lab::new("logged");
    lab.commit("one");
    lab.work(&["push", "-q", "origin", "main"]);
    lab.commit("two");
    lab.work(&["push", "-q", "origin", "main"]);
    let out = lab.verify();
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("3 entries"), "{}", text(&out));

    let log = text(&lab.vouch_ok(&["repo", "log", "--git-dir", &lab.p("remote.git")]));
    assert!(
        log.contains(&format!("{ALICE} recorded policy version 1")),
        "{log}"
    );
    assert!(
        log.contains("protected refs/heads/main: role maintainer"),
        "{log}"
    );
    assert!(
        log.contains(&format!("{ALICE} pushed refs/heads/main 000000000000..")),
        "{log}"
    );

    // The forge adds a commit to main behind the hook's back.
    let head = lab.bare(&["rev-parse", "main"]);
    let tree = lab.bare(&["rev-parse", "main^{tree}"]);
    let injected = lab.bare(&["commit-tree", &tree, "-p", &head, "-m", "injected"]);
    lab.bare(&["update-ref", "refs/heads/main", &injected, &head]);
    let out = lab.verify();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("refs/heads/main is at {injected}, not logged")),
        "{}",
        text(&out)
    );

    // A release certifying the injected commit fails the chain's
    // reference-log rule, naming the ref; one certifying the logged head passes.
    std::fs::create_dir_all(lab.root.join("contents")).unwrap();
    std::fs::write(lab.root.join("contents/lib.rs"), "pub fn f() {}\n").unwrap();
    let tree = lab.vouch_ok(&["manifest", "tree", &lab.p("contents")]);
    let tree: serde_json::Value = serde_json::from_slice(&tree.stdout).unwrap();
    let target = format!("release:{}", tree["root"].as_str().unwrap());
    std::fs::write(
        lab.root.join("policy.toml"),
        format!(
            "[image]\nsigners = {{ roles = [\"maintainer\"], threshold = 1 }}\n\
             [release]\nsigners = {{ roles = [\"maintainer\"], threshold = 1 }}\n\
             ref_log = {{ repository = \"{REPOSITORY}\", policy = \"{}\" }}\n",
            lab.pin
        ),
    )
    .unwrap();
    let release_verdict = |commit: &str, name: &str| {
        lab.vouch_ok(&[
            "attest",
            "release",
            "--key",
            &lab.p("alice.key"),
            "--contents",
            &lab.p("contents"),
            "--package",
            "shop",
            "--version",
            "1.0.0",
            "--commit",
            commit,
            "--repository",
            REPOSITORY,
            "-o",
            &lab.p(&format!("{name}.cose")),
        ]);
        lab.vouch_ok(&[
            "bundle",
            "create",
            "-o",
            &lab.p(&format!("{name}.bundle")),
            &lab.p(&format!("{name}.cose")),
        ]);
        lab.vouch_ok(&[
            "repo",
            "export",
            "--git-dir",
            &lab.p("remote.git"),
            "--add-to",
            &lab.p(&format!("{name}.bundle")),
            "-o",
            &lab.p(&format!("{name}.bundle")),
        ]);
        let pin = lab.fixture.roster_pin.to_string();
        lab.vouch(&[
            "verify",
            "--policy",
            &lab.p("policy.toml"),
            "--roster",
            &lab.p("roster.cbor"),
            "--roster-pin",
            &pin,
            "--no-roster-state",
            "--bundle",
            &lab.p(&format!("{name}.bundle")),
            &target,
        ])
    };
    let out = release_verdict(&injected, "injected");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains(&format!(
            "certified commit {injected} of {REPOSITORY} is reachable from no logged update"
        )),
        "{t}"
    );
    assert!(
        t.contains(&format!("the log has refs/heads/main at {head} (entry 3)")),
        "{t}"
    );
    let out = release_verdict(&head, "logged");
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_force_push_the_policy_forbids_is_refused() {
    if !available() {
        return;
    }
    let lab = Lab::new("force");
    lab.commit("one");
    lab.commit("two");
    lab.work(&["push", "-q", "origin", "main"]);
    lab.work(&["reset", "-q", "--hard", "HEAD~1"]);
    lab.commit("other");
    lab.work(&["push", "-q", "-f", "origin", "main"]);
    let out = lab.verify();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("log entry 3 (refs/heads/main "), "{t}");
    assert!(
        t.contains(&format!("by {ALICE} is a force-push or deletion")),
        "{t}"
    );
}

#[test]
fn a_push_by_a_developer_and_a_policy_below_threshold_are_refused() {
    if !available() {
        return;
    }
    let lab = Lab::new("threshold");
    lab.commit("one");
    lab.work(&["push", "-q", "origin", "main"]);
    // Version 2 makes mallory a maintainer of main, signed by alice alone.
    lab.vouch_ok(&[
        "repo",
        "policy",
        "next",
        &lab.p("p1.cose"),
        "-o",
        &lab.p("p2.json"),
    ]);
    let json = std::fs::read_to_string(lab.root.join("p2.json")).unwrap();
    let json = json.replacen(
        "\"identities\": []",
        &format!("\"identities\": [\"{MALLORY}\"]"),
        1,
    );
    std::fs::write(lab.root.join("p2.json"), json).unwrap();
    lab.sign_policy("p2.json", "alice.key", "p2.cose");
    lab.record_policy("alice.key", ALICE, "p2.cose");
    lab.hook("mallory", MALLORY);
    lab.commit("two");
    lab.work(&["push", "-q", "origin", "main"]);
    let out = lab.verify();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("records policy version 2, refused"), "{t}");
    assert!(t.contains("signed by 1 of the admins of version 1"), "{t}");
    assert!(t.contains("log entry 4 (refs/heads/main "), "{t}");
    let log = text(&lab.vouch_ok(&["repo", "log", "--git-dir", &lab.p("remote.git")]));
    assert!(
        log.contains(
            "changed protected refs/heads/main: role maintainer, person:mallory@example.com"
        ),
        "{log}"
    );
}

#[test]
fn a_dropped_log_entry_is_detected() {
    if !available() {
        return;
    }
    let lab = Lab::new("dropped");
    lab.commit("one");
    lab.work(&["push", "-q", "origin", "main"]);
    lab.commit("two");
    lab.work(&["push", "-q", "origin", "main"]);
    assert!(lab.verify().status.success());
    // Rebuild the log without entry 2: entry 3's tree on entry 1.
    let log = lab.bare(&["rev-list", "--first-parent", "refs/vouch/log"]);
    let ids: Vec<&str> = log.lines().collect();
    let (e3, e1) = (ids[0], ids[2]);
    let tree = lab.bare(&["rev-parse", &format!("{e3}^{{tree}}")]);
    let rewritten = lab.bare(&["commit-tree", &tree, "-p", e1, "-m", "rewritten"]);
    lab.bare(&["update-ref", "refs/vouch/log", &rewritten, e3]);
    let out = lab.verify();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("log entry 2 carries sequence 3"), "{t}");
    assert!(t.contains("the log was rewritten"), "{t}");
}

#[test]
fn audit_events_are_imported_and_unattributed_changes_reported() {
    if !available() {
        return;
    }
    let lab = Lab::new("import");
    std::fs::write(
        lab.root.join("gh.json"),
        vouch_test_support::repo::GITHUB_AUDIT_LOG,
    )
    .unwrap();
    let out = lab.vouch(&[
        "repo",
        "import",
        "--github",
        &lab.p("gh.json"),
        "--policy",
        &lab.p("p1.cose"),
        "-o",
        &lab.p("proposed.json"),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("UNATTRIBUTED 1764669600000 hook.create by mallory: webhook https://evil.example.net/collect"), "{t}");
    assert!(t.contains("4 unattributed"), "{t}");
    // The proposal is version 2 after the signed version 1, ready to sign.
    let proposed: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lab.root.join("proposed.json")).unwrap()).unwrap();
    assert_eq!(proposed["version"], 2);
    assert_eq!(proposed["previous"], lab.pin.as_str());
    lab.sign_policy("proposed.json", "alice.key", "p2.cose");
}
