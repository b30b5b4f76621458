//! `[dependencies]`: each dependency of a lock file attributed to its
//! publisher by a release statement whose subject carries the lock's
//! digest, verified under the roster the policy trusts for that name.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use vouch_chain::Policy;
use vouch_chain::deps::{
    DependencyChecker, DependencyOutcome, DependencyReport, DepsCheckError, Unattributed,
    trust_pinned_rosters,
};
use vouch_core::{Digest, Signer};
use vouch_deps::{Format, Lock};
use vouch_manifest::{Release, ReleaseArchive, RosterChain, Statement, TrustedRoster};

/// A release of `package` `version` whose archive is `bytes`.
fn release(package: &str, version: &str, bytes: &[u8]) -> Release {
    Release {
        package: package.into(),
        version: version.into(),
        purl: None,
        contents: contents(),
        dependencies: Vec::new(),
        commits: Vec::new(),
        released_at: t(RELEASED_AT),
        previous: None,
        tag: None,
        archive: Some(ReleaseArchive {
            name: format!("{package}-{version}.crate"),
            format: "crate".into(),
            sha256: Digest::sha256(bytes),
            sha512: Digest::sha512(bytes),
        }),
    }
}

fn signed(r: Release, signers: &[&dyn Signer]) -> Vec<u8> {
    sign_all(&Statement::from_predicate(r).unwrap(), signers)
        .to_bytes()
        .unwrap()
}

fn archive(name: &str) -> Vec<u8> {
    format!("{name} archive bytes").into_bytes()
}

fn cargo_package(name: &str, version: &str, checksum: Option<Digest>) -> String {
    let mut s = format!("\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n");
    if let Some(d) = checksum {
        s.push_str(&format!(
            "source = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{}\"\n",
            d.hex()
        ));
    }
    s
}

/// The project's world and an upstream project's (other keys, its own
/// roster, pinned by the policy).
struct Setup {
    project: World,
    upstream: World,
    upstream_chain: RosterChain,
    upstream_pin: Digest,
}

impl Setup {
    fn new() -> Self {
        let project = World::new();
        let upstream = World::new();
        let mut roster = upstream.roster();
        roster.name = "upstream.example".into();
        let signed = upstream.sign_roster(roster, &[&upstream.roots[0], &upstream.roots[1]]);
        let upstream_pin = signed.digest();
        Setup {
            project,
            upstream,
            upstream_chain: RosterChain::new(vec![signed]),
            upstream_pin,
        }
    }

    fn policy(&self, extra: &str) -> Policy {
        let base = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/policy-demo.toml"
        ))
        .unwrap();
        Policy::from_toml(&format!(
            r#"{base}
[dependencies]
{extra}

[[dependencies.publishers]]
packages = ["shop-*", "rogue", "nothing", "wrongdigest", "onesig", "npm-*"]
roster = "project"
signers = {{ roles = ["maintainer"], threshold = 2 }}

[[dependencies.publishers]]
packages = ["serde", "serde_*"]
ecosystem = "cargo"
roster = {{ version = 1, digest = "{}" }}
signers = {{ roles = ["maintainer"], threshold = 1 }}

[[dependencies.allow]]
name = "left-pad"
version = "1.3.0"
reason = "vendored and reviewed in PR 812"
"#,
            self.upstream_pin
        ))
        .unwrap()
    }

    fn project_roster(&self) -> TrustedRoster {
        self.project.trust(self.project.roster())
    }

    fn upstream_rosters(&self, policy: &Policy) -> Vec<TrustedRoster> {
        trust_pinned_rosters(policy, std::slice::from_ref(&self.upstream_chain), t(NOW)).unwrap()
    }
}

fn outcome<'r>(report: &'r DependencyReport, name: &str) -> &'r DependencyOutcome {
    &report
        .dependencies
        .iter()
        .find(|d| d.name == name)
        .unwrap_or_else(|| panic!("{name} in the report"))
        .outcome
}

fn why<'r>(report: &'r DependencyReport, name: &str) -> &'r [Unattributed] {
    match outcome(report, name) {
        DependencyOutcome::Unattributed { why } => why,
        other => panic!("{name}: {other:?}\n{}", report.render_text()),
    }
}

#[test]
fn each_dependency_attributed_or_said_why_not() {
    let s = Setup::new();
    let (p, u) = (&s.project, &s.upstream);
    let mut bundle = vouch_chain::Bundle::new();
    // Ours, by two of our maintainers.
    bundle.add_envelope(signed(
        release("shop-util", "1.0.0", &archive("shop-util")),
        &[&p.carol, &p.dave],
    ));
    // Upstream's, by one of its maintainers, under its pinned roster.
    bundle.add_envelope(signed(
        release("serde", "1.0.228", &archive("serde")),
        &[&u.carol],
    ));
    // A release the upstream roster signed, for a name only our roster may publish.
    bundle.add_envelope(signed(
        release("rogue", "1.0.0", &archive("rogue")),
        &[&u.carol, &u.dave],
    ));
    // A release of this version, but of another archive.
    bundle.add_envelope(signed(
        release("wrongdigest", "2.0.0", b"other bytes"),
        &[&p.carol, &p.dave],
    ));
    // Our maintainers' release of this archive under another name.
    bundle.add_envelope(signed(
        release("shop-other", "1.0.0", &archive("shop-renamed")),
        &[&p.carol, &p.dave],
    ));
    // One maintainer where two are needed.
    bundle.add_envelope(signed(
        release("onesig", "0.3.0", &archive("onesig")),
        &[&p.carol],
    ));

    let lock_text = [
        "version = 4\n".to_owned(),
        cargo_package("app", "0.1.0", None),
        cargo_package("shop-util", "1.0.0", Some(Digest::sha256(&archive("shop-util")))),
        cargo_package("serde", "1.0.228", Some(Digest::sha256(&archive("serde")))),
        cargo_package("rogue", "1.0.0", Some(Digest::sha256(&archive("rogue")))),
        cargo_package("wrongdigest", "2.0.0", Some(Digest::sha256(&archive("wrongdigest")))),
        cargo_package("onesig", "0.3.0", Some(Digest::sha256(&archive("onesig")))),
        cargo_package("shop-renamed", "1.0.0", Some(Digest::sha256(&archive("shop-renamed")))),
        cargo_package("left-pad", "1.3.0", Some(Digest::sha256(b"left-pad"))),
        cargo_package("nothing", "0.1.0", Some(Digest::sha256(b"nothing"))),
        cargo_package("uncovered", "0.1.0", Some(Digest::sha256(b"uncovered"))),
        "\n[[package]]\nname = \"gitdep\"\nversion = \"0.1.0\"\nsource = \"git+https://example.com/g.git#0123456789abcdef0123456789abcdef01234567\"\n".to_owned(),
    ]
    .concat();
    let lock = Lock::parse(Format::Cargo, lock_text.as_bytes()).unwrap();
    let policy = s.policy("");
    let checker =
        DependencyChecker::new(&policy, &s.project_roster(), &s.upstream_rosters(&policy)).unwrap();
    let report = checker.check(&bundle, &lock.dependencies, t(NOW));
    let text = report.render_text();

    match outcome(&report, "shop-util") {
        DependencyOutcome::Attributed(p) => {
            assert_eq!(p.identities, vec![id(CAROL), id(DAVE)], "{text}");
            assert_eq!(p.roster.reference, vouch_chain::deps::RosterRef::Project);
            assert_eq!(p.digest, Digest::sha256(&archive("shop-util")));
            assert_eq!(
                (p.package.as_str(), p.version.as_str()),
                ("shop-util", "1.0.0")
            );
        }
        other => panic!("shop-util: {other:?}\n{text}"),
    }
    match outcome(&report, "serde") {
        DependencyOutcome::Attributed(p) => {
            assert_eq!(p.identities, vec![id(CAROL)], "{text}");
            assert_eq!(
                p.roster.reference,
                vouch_chain::deps::RosterRef::Pinned {
                    version: 1,
                    digest: s.upstream_pin
                }
            );
        }
        other => panic!("serde: {other:?}\n{text}"),
    }
    assert!(
        matches!(
            why(&report, "rogue"),
            [Unattributed::UntrustedRoster { .. }]
        ),
        "{text}"
    );
    assert!(
        matches!(why(&report, "wrongdigest"), [Unattributed::DigestMismatch { subjects, .. }]
            if subjects.contains(&Digest::sha256(b"other bytes"))),
        "{text}"
    );
    assert!(
        matches!(why(&report, "onesig"), [Unattributed::Refused { reasons, .. }]
            if reasons.iter().any(|r| matches!(r, vouch_chain::Reason::Threshold { .. }))),
        "{text}"
    );
    assert!(
        matches!(why(&report, "shop-renamed"), [Unattributed::NameMismatch { package, .. }] if package == "shop-other"),
        "{text}"
    );
    assert!(
        matches!(why(&report, "nothing"), [Unattributed::NoEvidence]),
        "{text}"
    );
    assert!(
        matches!(
            why(&report, "uncovered"),
            [Unattributed::NoTrustedPublisher]
        ),
        "{text}"
    );
    assert!(
        matches!(why(&report, "gitdep"), [Unattributed::NoDigest]),
        "{text}"
    );
    match outcome(&report, "left-pad") {
        DependencyOutcome::Allowed { reason, why } => {
            assert_eq!(reason, "vendored and reviewed in PR 812");
            assert_eq!(why, &vec![Unattributed::NoTrustedPublisher]);
        }
        other => panic!("left-pad: {other:?}\n{text}"),
    }
    assert_eq!(report.local, vec!["app@0.1.0".to_owned()]);
    assert_eq!(
        (report.attributed(), report.allowed(), report.unattributed()),
        (2, 1, 7)
    );
    assert_eq!(report.dependencies.len(), 10);
    assert!(!report.passed());
    assert!(
        text.contains("2 of 10 dependencies attributed, 1 allowed, 7 unattributed: FAIL"),
        "{text}"
    );
    assert!(
        text.contains("released by person:carol@example.com, person:dave@example.com"),
        "{text}"
    );
    // The JSON report says the same.
    let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    assert_eq!(json["dependencies"][0]["outcome"], "attributed");

    // Reported, not enforced.
    let off = DependencyChecker::new(
        &s.policy("require = \"off\""),
        &s.project_roster(),
        &s.upstream_rosters(&policy),
    )
    .unwrap()
    .check(&bundle, &lock.dependencies, t(NOW));
    assert!(off.passed());
    assert_eq!(off.unattributed(), 7);
}

#[test]
fn an_npm_integrity_matches_a_sha512_subject() {
    let s = Setup::new();
    let p = &s.project;
    let bytes = archive("npm-widget");
    let mut bundle = vouch_chain::Bundle::new();
    bundle.add_envelope(signed(
        release("npm-widget", "2.1.0", &bytes),
        &[&p.carol, &p.dave],
    ));
    use base64::Engine as _;
    let integrity = format!(
        "sha512-{}",
        base64::engine::general_purpose::STANDARD.encode(Digest::sha512(&bytes).as_bytes())
    );
    let lock = format!(
        r#"{{"lockfileVersion": 3, "packages": {{
            "": {{"name": "app", "version": "1.0.0"}},
            "node_modules/npm-widget": {{"version": "2.1.0",
                "resolved": "https://registry.npmjs.org/npm-widget/-/npm-widget-2.1.0.tgz",
                "integrity": "{integrity}"}},
            "node_modules/npm-legacy": {{"version": "0.0.1",
                "integrity": "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk="}}
        }}}}"#
    );
    let lock = Lock::parse(Format::Npm, lock.as_bytes()).unwrap();
    let policy = s.policy("");
    let report = DependencyChecker::new(&policy, &s.project_roster(), &s.upstream_rosters(&policy))
        .unwrap()
        .check(&bundle, &lock.dependencies, t(NOW));
    match outcome(&report, "npm-widget") {
        DependencyOutcome::Attributed(pb) => assert_eq!(pb.digest, Digest::sha512(&bytes)),
        other => panic!("{other:?}\n{}", report.render_text()),
    }
    // A SHA-1 integrity is never evidence.
    assert!(matches!(
        why(&report, "npm-legacy"),
        [Unattributed::NoDigest]
    ));
}

#[test]
fn a_pinned_roster_must_be_given() {
    let s = Setup::new();
    let policy = s.policy("");
    let err = DependencyChecker::new(&policy, &s.project_roster(), &[]).unwrap_err();
    assert!(
        matches!(err, DepsCheckError::RosterNotGiven { version: 1, digest } if digest == s.upstream_pin),
        "{err}"
    );
    // A chain that holds no pinned version is not trusted for anything.
    let unrelated = RosterChain::new(vec![s.project.sign_roster(
        s.project.roster(),
        &[&s.project.roots[0], &s.project.roots[1]],
    )]);
    assert!(
        trust_pinned_rosters(&policy, &[unrelated], t(NOW))
            .unwrap()
            .is_empty()
    );
    // A policy without the section cannot check.
    let plain = example_policy();
    assert!(matches!(
        DependencyChecker::new(&plain, &s.project_roster(), &[]),
        Err(DepsCheckError::NoSection)
    ));
}

#[test]
fn the_section_is_checked_when_read() {
    let base = "[image]\nsigners = { roles = [\"builder\"] }\n[dependencies]\n";
    for (bad, what) in [
        (
            "[[dependencies.allow]]\nname = \"x\"\nreason = \" \"\n",
            "no reason",
        ),
        ("[[dependencies.allow]]\nname = \"x\"\n", "reason"),
        (
            "[[dependencies.allow]]\nname = \"x*\"\nreason = \"r\"\n",
            "pattern",
        ),
        (
            "[[dependencies.publishers]]\npackages = []\nroster = \"project\"\nsigners = { roles = [\"m\"] }\n",
            "no packages",
        ),
        (
            "[[dependencies.publishers]]\npackages = [\"a\"]\nroster = \"upstream\"\nsigners = { roles = [\"m\"] }\n",
            "roster",
        ),
        ("require = \"sometimes\"\n", "require"),
        ("unknown = 1\n", "unknown"),
    ] {
        let err = Policy::from_toml(&format!("{base}{bad}")).unwrap_err();
        assert!(
            vouch_core::text::error_chain(&err).contains(what),
            "{what}: {}",
            vouch_core::text::error_chain(&err)
        );
    }
    // JSON, like the rest of the policy; and the digest of a policy
    // without the section is what it was.
    let json = r#"{"image": {"signers": {"roles": ["builder"]}},
        "dependencies": {"publishers": [{"packages": ["a"], "roster": "project", "signers": {"roles": ["m"]}}]}}"#;
    let p = Policy::from_json(json.as_bytes()).unwrap();
    assert_eq!(p.dependencies.unwrap().publishers.len(), 1);
    let without = Policy::from_toml("[image]\nsigners = { roles = [\"builder\"] }\n").unwrap();
    let cbor = vouch_core::cbor::to_canonical(&without).unwrap();
    assert!(!String::from_utf8_lossy(&cbor).contains("dependencies"));
}

/// `[release] check_dependencies`: the release's SBOM (serde 1.0.228, by
/// the digest of its crate) is checked under `[dependencies]`.
fn sbom_scenario<'w>(world: &'w World, with_section: bool) -> Scenario<'w> {
    let mut scenario = world.scenario();
    scenario.policy.release.as_mut().unwrap().check_dependencies = true;
    if with_section {
        scenario.policy.dependencies = Some(
            toml::from_str(
                r#"
[[publishers]]
packages = ["serde"]
ecosystem = "cargo"
roster = "project"
signers = { roles = ["maintainer"], threshold = 2 }
"#,
            )
            .unwrap(),
        );
    }
    scenario
}

#[test]
fn a_release_sbom_dependency_without_evidence_fails_the_release() {
    let world = World::new();
    let scenario = sbom_scenario(&world, true);
    let (verdict, _) = scenario.run();
    expect_failure(&verdict, "DependencyUnattributed", |r| {
        matches!(r, vouch_chain::Reason::DependencyUnattributed { dependency, why }
            if dependency == "serde@1.0.228" && why == &[Unattributed::NoEvidence])
    });
    assert!(
        verdict
            .failures()
            .iter()
            .all(|f| matches!(f.reason, vouch_chain::Reason::DependencyUnattributed { .. })),
        "{}",
        verdict.render_text()
    );
}

#[test]
fn a_release_sbom_dependency_with_evidence_passes() {
    let world = World::new();
    let mut scenario = sbom_scenario(&world, true);
    // The release statement of the crate the SBOM names, by our maintainers.
    let mut serde = release("serde", "1.0.228", b"unused");
    if let Some(a) = serde.archive.as_mut() {
        a.sha256 = Digest::sha256(b"serde-1.0.228.crate");
    }
    scenario
        .extra_envelopes
        .push(signed(serde, &[&world.carol, &world.dave]));
    let (verdict, _) = scenario.run();
    assert!(verdict.passed(), "{}", verdict.render_text());
}

#[test]
fn check_dependencies_without_the_section_fails_every_release() {
    let world = World::new();
    let scenario = sbom_scenario(&world, false);
    let (verdict, _) = scenario.run();
    expect_failure(
        &verdict,
        "DependencyCheckUnavailable",
        |r| matches!(r, vouch_chain::Reason::DependencyCheckUnavailable { cause } if cause.contains("[dependencies]")),
    );
}

#[test]
fn a_release_sbom_dependency_by_an_upstream_roster_needs_that_roster_given() {
    let s = Setup::new();
    let mut scenario = s.project.scenario();
    scenario.policy.release.as_mut().unwrap().check_dependencies = true;
    scenario.policy.dependencies = Some(
        toml::from_str(&format!(
            r#"
[[publishers]]
packages = ["serde"]
ecosystem = "cargo"
roster = {{ version = 1, digest = "{}" }}
signers = {{ roles = ["maintainer"], threshold = 1 }}
"#,
            s.upstream_pin
        ))
        .unwrap(),
    );
    // serde's release, by one of the upstream project's maintainers.
    let mut serde = release("serde", "1.0.228", b"unused");
    if let Some(a) = serde.archive.as_mut() {
        a.sha256 = Digest::sha256(b"serde-1.0.228.crate");
    }
    scenario
        .extra_envelopes
        .push(signed(serde, &[&s.upstream.carol]));
    let built = scenario.build();
    let target = vouch_chain::Target::Deployment(built.deployment);

    // Without the upstream roster the check cannot be made: every release
    // link says so.
    let verdict = scenario
        .verifier()
        .verify(&built.bundle, &target, scenario.now);
    expect_failure(&verdict, "DependencyCheckUnavailable", |r| {
        matches!(r, vouch_chain::Reason::DependencyCheckUnavailable { cause }
            if cause.contains(&s.upstream_pin.to_string()))
    });
    // With it, serde is attributed to upstream's maintainer.
    let upstream = s.upstream_rosters(&scenario.policy);
    let verdict = scenario
        .verifier()
        .with_dependency_rosters(&upstream)
        .verify(&built.bundle, &target, scenario.now);
    assert!(verdict.passed(), "{}", verdict.render_text());
    // The project's own maintainers cannot stand in for upstream's.
    scenario.extra_envelopes.clear();
    let mut serde = release("serde", "1.0.228", b"unused");
    if let Some(a) = serde.archive.as_mut() {
        a.sha256 = Digest::sha256(b"serde-1.0.228.crate");
    }
    scenario
        .extra_envelopes
        .push(signed(serde, &[&s.project.carol, &s.project.dave]));
    let built = scenario.build();
    let verdict = scenario
        .verifier()
        .with_dependency_rosters(&upstream)
        .verify(
            &built.bundle,
            &vouch_chain::Target::Deployment(built.deployment),
            scenario.now,
        );
    expect_failure(
        &verdict,
        "DependencyUnattributed",
        |r| matches!(r, vouch_chain::Reason::DependencyUnattributed { dependency, .. } if dependency == "serde@1.0.228"),
    );
}
