//! The declarative policy: who must sign each stage, with what hardware,
//! how fresh, and which duties must be separated.
//!
//! A policy is read from TOML ([`Policy::from_toml`]) or JSON
//! ([`Policy::from_json`]); both use the same field names. Every field is
//! documented on its struct; the crate docs hold a complete example.
//!
//! # Signer rules
//!
//! Each stage names a [`Rule`]. A leaf rule says which roles count, how many
//! *distinct identities* holding one of them must have signed, and what
//! hardware evidence each counted signature must carry:
//!
//! ```toml
//! signers = { roles = ["maintainer"], threshold = 2, hardware = ["user-presence"] }
//! ```
//!
//! Rules combine with `all_of` (every listed rule holds) and `any_of` (at
//! least one listed rule holds). An empty list is refused when the policy is
//! read: an empty `all_of` would be vacuously true, which is never what a
//! policy author means.

use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use vouch_manifest::{GitObjectId, RoleName};

use vouch_core::Timestamp;

/// Why a policy could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The TOML is invalid or has the wrong shape.
    #[error("policy TOML is invalid")]
    Toml(#[from] toml::de::Error),
    /// The JSON is invalid or has the wrong shape.
    #[error("policy JSON is invalid")]
    Json(#[from] serde_json::Error),
    /// The document is larger than [`MAX_POLICY`].
    #[error("policy of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A duration (`max_age`, `max_log_delay`) is not a number and a unit.
    #[error("invalid age {text:?}: expected a number and s, m, h or d (e.g. 30d)")]
    InvalidAge {
        /// The text, cut to 64 characters.
        text: String,
    },
    /// A duration is more seconds than [`MaxAge::MAX_SECONDS`].
    #[error("age {text:?} is more than the {max} seconds a duration can hold")]
    AgeTooLarge {
        /// The text, cut to 64 characters.
        text: String,
        /// The limit, [`MaxAge::MAX_SECONDS`].
        max: u64,
    },
    /// A JSON policy holds a `null` (which would silently drop a rule).
    #[error("policy JSON has null at {0}: leave a setting out instead of writing null")]
    Null(String),
}

/// A hardware property a counted signature must show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum HardwareRequirement {
    /// FIDO authenticator data with the user-present flag: someone touched the key.
    UserPresence,
    /// FIDO authenticator data with the user-verified flag (PIN or biometric).
    UserVerification,
    /// The key is proven non-exportable in a TPM: its TPM2_Certify
    /// attestation, verified by this verifier from the roster's bytes, was
    /// made by an attestation key the roster enrolled for the key's
    /// identity. A bare roster claim (`tpmResident`) never meets it.
    TpmAttested,
    /// [`HardwareRequirement::TpmAttested`], by an AK that the roster
    /// enrolled under its TPM's EK certificate: the certificate chains
    /// (verified by this verifier, at the enrollment time) to an EK root the
    /// roster trusts, so the TPM is one a manufacturer made, not a
    /// simulator or a software TPM of the enrolled machine.
    TpmEndorsed,
    /// A FIDO key whose enrollment attestation this verifier verified to an
    /// authenticator root the roster trusts (at the key's `validFrom`), of a
    /// model the roster allows when it lists models. Never met by a label,
    /// nor by a software authenticator unless the roster trusts its CA.
    AttestedAuthenticator,
}

impl fmt::Display for HardwareRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HardwareRequirement::UserPresence => "user-presence",
            HardwareRequirement::UserVerification => "user-verification",
            HardwareRequirement::TpmAttested => "tpm-attested",
            HardwareRequirement::TpmEndorsed => "tpm-endorsed",
            HardwareRequirement::AttestedAuthenticator => "attested-authenticator",
        })
    }
}

/// A signer rule: a leaf (roles, threshold, hardware) or a combination.
///
/// Only valid rules can exist: a threshold is a [`NonZeroU32`], a leaf names
/// at least one role, and a combination at least one rule (an empty
/// `all_of` would be vacuously true). Build them with [`Rule::signers`],
/// [`Rule::all_of`] and [`Rule::any_of`]; read them with [`Rule::view`].
///
/// ```
/// use std::num::NonZeroU32;
/// use vouch_chain::Rule;
/// let two = NonZeroU32::new(2).unwrap();
/// let maintainers = Rule::signers(vec!["maintainer".parse()?], two, vec![])?;
/// let security = Rule::signers(vec!["security".parse()?], NonZeroU32::MIN, vec![])?;
/// let rule = Rule::any_of(vec![maintainers, security])?;
/// assert_eq!(rule.to_string(), "any of (2 of role maintainer; 1 of role security)");
/// assert!(Rule::all_of(vec![]).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRule", into = "RawRule")]
pub struct Rule(RuleForm);

#[derive(Clone, Debug, PartialEq, Eq)]
enum RuleForm {
    Signers {
        roles: Vec<RoleName>,
        threshold: NonZeroU32,
        hardware: Vec<HardwareRequirement>,
    },
    AllOf {
        rules: Vec<Rule>,
        distinct_identities: bool,
    },
    AnyOf(Vec<Rule>),
}

/// A read-only view of a [`Rule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RuleView<'a> {
    /// At least `threshold` distinct identities holding one of `roles` signed,
    /// each counted signature meeting every `hardware` requirement.
    Signers {
        /// Roles whose members count (at least one).
        roles: &'a [RoleName],
        /// Distinct identities required.
        threshold: NonZeroU32,
        /// Hardware each counted signature must show.
        hardware: &'a [HardwareRequirement],
    },
    /// Every rule holds. With `distinct_identities` (the default), one
    /// identity counts toward at most one of the rules: `all_of = [1
    /// maintainer, 1 security]` needs two people even when one person holds
    /// both roles. Without it, the rules are checked independently and one
    /// identity may satisfy several.
    AllOf {
        /// The rules (at least one).
        rules: &'a [Rule],
        /// Whether each identity counts toward one rule only.
        distinct_identities: bool,
    },
    /// At least one rule holds (at least one rule listed).
    AnyOf(&'a [Rule]),
}

/// The on-disk shape of a [`Rule`]: exactly one of the three forms.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    roles: Option<Vec<RoleName>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    threshold: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hardware: Option<Vec<HardwareRequirement>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    all_of: Option<Vec<Rule>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    distinct_identities: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    any_of: Option<Vec<Rule>>,
}

/// Why a rule is malformed (reported through the TOML/JSON error).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// `all_of` or `any_of` with no rules.
    #[error("`{0}` needs at least one rule (an empty list would be vacuous)")]
    EmptyCombinator(&'static str),
    /// A leaf with no roles.
    #[error("a signer rule needs at least one role")]
    NoRoles,
    /// A threshold of zero.
    #[error("a signer rule's threshold must be at least 1")]
    ZeroThreshold,
    /// Fields of two forms mixed, or none given.
    #[error(
        "a rule is exactly one of {{roles, threshold, hardware}}, {{all_of, distinct_identities}} or {{any_of}}"
    )]
    Shape,
}

impl Rule {
    /// A leaf rule: `threshold` distinct identities holding one of `roles`,
    /// each signature meeting every `hardware` requirement.
    pub fn signers(
        roles: Vec<RoleName>,
        threshold: NonZeroU32,
        hardware: Vec<HardwareRequirement>,
    ) -> Result<Rule, RuleError> {
        if roles.is_empty() {
            return Err(RuleError::NoRoles);
        }
        Ok(Rule(RuleForm::Signers {
            roles,
            threshold,
            hardware,
        }))
    }

    /// Every rule holds, each identity counting toward one rule only.
    pub fn all_of(rules: Vec<Rule>) -> Result<Rule, RuleError> {
        Rule::all_of_with(rules, true)
    }

    /// Every rule holds; `distinct_identities` says whether one identity
    /// may count toward several of them (see [`RuleView::AllOf`]).
    pub fn all_of_with(rules: Vec<Rule>, distinct_identities: bool) -> Result<Rule, RuleError> {
        if rules.is_empty() {
            return Err(RuleError::EmptyCombinator("all_of"));
        }
        Ok(Rule(RuleForm::AllOf {
            rules,
            distinct_identities,
        }))
    }

    /// At least one rule holds.
    pub fn any_of(rules: Vec<Rule>) -> Result<Rule, RuleError> {
        if rules.is_empty() {
            return Err(RuleError::EmptyCombinator("any_of"));
        }
        Ok(Rule(RuleForm::AnyOf(rules)))
    }

    /// The rule's form.
    pub fn view(&self) -> RuleView<'_> {
        match &self.0 {
            RuleForm::Signers {
                roles,
                threshold,
                hardware,
            } => RuleView::Signers {
                roles,
                threshold: *threshold,
                hardware,
            },
            RuleForm::AllOf {
                rules,
                distinct_identities,
            } => RuleView::AllOf {
                rules,
                distinct_identities: *distinct_identities,
            },
            RuleForm::AnyOf(rules) => RuleView::AnyOf(rules),
        }
    }
}

impl TryFrom<RawRule> for Rule {
    type Error = RuleError;

    fn try_from(r: RawRule) -> Result<Self, RuleError> {
        let leaf = r.roles.is_some() || r.threshold.is_some() || r.hardware.is_some();
        match (leaf, r.all_of, r.distinct_identities, r.any_of) {
            (false, Some(all), distinct, None) => Rule::all_of_with(all, distinct.unwrap_or(true)),
            (false, None, None, Some(any)) => Rule::any_of(any),
            (true, None, None, None) => {
                let threshold =
                    NonZeroU32::new(r.threshold.unwrap_or(1)).ok_or(RuleError::ZeroThreshold)?;
                Rule::signers(
                    r.roles.unwrap_or_default(),
                    threshold,
                    r.hardware.unwrap_or_default(),
                )
            }
            _ => Err(RuleError::Shape),
        }
    }
}

impl From<Rule> for RawRule {
    fn from(rule: Rule) -> RawRule {
        match rule.0 {
            RuleForm::Signers {
                roles,
                threshold,
                hardware,
            } => RawRule {
                roles: Some(roles),
                threshold: Some(threshold.get()),
                hardware: (!hardware.is_empty()).then_some(hardware),
                ..RawRule::default()
            },
            RuleForm::AllOf {
                rules,
                distinct_identities,
            } => RawRule {
                all_of: Some(rules),
                distinct_identities: (!distinct_identities).then_some(false),
                ..RawRule::default()
            },
            RuleForm::AnyOf(r) => RawRule {
                any_of: Some(r),
                ..RawRule::default()
            },
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.view() {
            RuleView::Signers {
                roles,
                threshold,
                hardware,
            } => {
                let roles: Vec<&str> = roles.iter().map(RoleName::as_str).collect();
                write!(f, "{threshold} of role {}", roles.join("|"))?;
                if !hardware.is_empty() {
                    let hw: Vec<String> = hardware.iter().map(ToString::to_string).collect();
                    write!(f, " with {}", hw.join("+"))?;
                }
                Ok(())
            }
            RuleView::AllOf {
                rules,
                distinct_identities: true,
            } => write_list(f, "all of", rules),
            RuleView::AllOf {
                rules,
                distinct_identities: false,
            } => write_list(f, "all of (identities may repeat)", rules),
            RuleView::AnyOf(rules) => write_list(f, "any of", rules),
        }
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, word: &str, rules: &[Rule]) -> fmt::Result {
    write!(f, "{word} (")?;
    for (i, r) in rules.iter().enumerate() {
        if i > 0 {
            f.write_str("; ")?;
        }
        write!(f, "{r}")?;
    }
    f.write_str(")")
}

/// A maximum age such as `30d`, `12h`, `15m` or `90s`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MaxAge(u64);

impl MaxAge {
    /// The longest age, in seconds: a `u64`'s worth. `"18446744073709551615s"`
    /// is this; anything longer is refused with [`PolicyError::AgeTooLarge`].
    pub const MAX_SECONDS: u64 = u64::MAX;

    /// The age in seconds.
    pub fn seconds(self) -> u64 {
        self.0
    }
}

impl FromStr for MaxAge {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, PolicyError> {
        let text = || s.chars().take(64).collect::<String>();
        let invalid = || PolicyError::InvalidAge { text: text() };
        let too_large = || PolicyError::AgeTooLarge {
            text: text(),
            max: MaxAge::MAX_SECONDS,
        };
        // The unit is the last character, which need not be one byte long.
        let Some(unit_char) = s.chars().next_back() else {
            return Err(invalid());
        };
        let (num, unit) = s.split_at(s.len() - unit_char.len_utf8());
        let mult = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(invalid()),
        };
        let n: u64 = num
            .parse()
            .map_err(|e: std::num::ParseIntError| match e.kind() {
                std::num::IntErrorKind::PosOverflow => too_large(),
                _ => invalid(),
            })?;
        n.checked_mul(mult).map(MaxAge).ok_or_else(too_large)
    }
}

impl fmt::Display for MaxAge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        if s != 0 && s.is_multiple_of(86_400) {
            write!(f, "{}d", s / 86_400)
        } else if s != 0 && s.is_multiple_of(3600) {
            write!(f, "{}h", s / 3600)
        } else if s != 0 && s.is_multiple_of(60) {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

impl Serialize for MaxAge {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MaxAge {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Rules for the deployment statement (the target a deploy gate checks).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentPolicy {
    /// Whether the statement's time must be proven by a witness the
    /// roster trusts (`"proven"`) or may be the time its signer wrote
    /// (`"claimed"`, the default). See [`TimeRule`].
    #[serde(default, skip_serializing_if = "TimeRule::is_claimed")]
    pub time: TimeRule,
    /// Who must sign the deployment statement (the deploying CI workload).
    pub signers: Rule,
    /// Environments this verifier accepts; a deployment for any other is
    /// refused (this is what stops a statement replayed elsewhere). Required,
    /// at least one.
    pub environments: Vec<String>,
    /// Who must authorize: each person named in `authorizedBy` proves it with
    /// their own signature; this rule is evaluated over those proven approvers.
    pub authorizers: Rule,
    /// Roles allowed to trigger a deployment (the proven `triggeredBy`).
    pub trigger_roles: Vec<RoleName>,
    /// Refuse deployment statements older than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<MaxAge>,
    /// The person who triggered must differ from every authorizer (default true).
    #[serde(default = "yes")]
    pub separate_trigger_and_authorizer: bool,
    /// Whether the statement must carry the CI provider's ID token
    /// (`"required"`) or has it checked only when present (`"optional"`,
    /// the default, not written so existing policy digests stay the same).
    /// See [`CiTokenRule`] and docs/ci-identity.md.
    #[serde(default, skip_serializing_if = "CiTokenRule::is_optional")]
    pub ci_token: CiTokenRule,
}

/// Whether a deployment statement must carry its CI provider's ID token.
///
/// Either way a token that is present is verified, and a token that does
/// not verify fails the deployment: `optional` never means "ignored".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CiTokenRule {
    /// Checked when present (the default).
    #[default]
    Optional,
    /// A statement without a token fails ([`crate::Reason::CiTokenMissing`]).
    Required,
}

impl CiTokenRule {
    /// The default (`optional`), which is not serialized.
    pub fn is_optional(&self) -> bool {
        *self == CiTokenRule::Optional
    }
}

/// Rules for image statements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagePolicy {
    /// Whether the statement's time must be proven by a witness the
    /// roster trusts (`"proven"`) or may be the time its signer wrote
    /// (`"claimed"`, the default). See [`TimeRule`].
    #[serde(default, skip_serializing_if = "TimeRule::is_claimed")]
    pub time: TimeRule,
    /// Who must sign the image statement (the builder).
    pub signers: Rule,
    /// Refuse image statements whose build finished longer ago than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<MaxAge>,
    /// Accept an image with no packages and no source commits (default
    /// false: an empty image certifies nothing, so it is refused).
    #[serde(default)]
    pub allow_empty: bool,
    /// Accept an image as the target when the policy has a deployment stage
    /// (default false: such a check would skip approvals, environments,
    /// separation of duties and freshness, so it is refused).
    #[serde(default)]
    pub allow_as_target: bool,
}

/// Rules for release statements (signed SBOMs).
///
/// With a release stage, an image must name at least one release, and
/// every source commit of the image must be certified into one of the
/// releases accepted for it (or be exempt, see [`LegacyCommits`]). A
/// release's certified commits must be closed under ancestry: every parent
/// of a certified commit is certified too, or certified by the release's
/// `previous` release, or exempt.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleasePolicy {
    /// Whether the statement's time must be proven by a witness the
    /// roster trusts (`"proven"`) or may be the time its signer wrote
    /// (`"claimed"`, the default). See [`TimeRule`].
    #[serde(default, skip_serializing_if = "TimeRule::is_claimed")]
    pub time: TimeRule,
    /// Who must certify a release (e.g. 2 maintainers).
    pub signers: Rule,
    /// Nobody certifies their own code alone: for every certified commit,
    /// `signers` must hold counting only certifiers other than that
    /// commit's proven author (default false). A failure names the commit
    /// and the certifier.
    #[serde(default)]
    pub certifier_not_sole_author: bool,
    /// Refuse releases older than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<MaxAge>,
    /// Check the release's SBOM dependencies (those with a digest and a
    /// `pkg:cargo`, `pkg:npm` or `pkg:pypi` purl) as `vouch deps check`
    /// checks a lock file, under the policy's `[dependencies]`: each one
    /// unattributed (and not allowed) fails the release link (default
    /// false). See [`crate::deps`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub check_dependencies: bool,
    /// Each certified commit of this repository (and each entry that names
    /// no repository) must have come in through a protected ref's logged
    /// update, and the signed reference log up to it must verify. See
    /// [`RefLogRule`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ref_log: Option<RefLogRule>,
    /// The release must name its git tag, and the bundle carry that tag
    /// object: with the name the release gives, pointing at the release's
    /// head commit (the one certified commit no other has as parent), and
    /// signed (SSH or OpenPGP) by an identity that certified the release
    /// (default false).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_tag: bool,
}

/// The reference-log rule of the release stage:
/// `ref_log = { repository = "https://git.example.com/shop.git", policy = "sha256:<v1>" }`.
///
/// The bundle carries the log's entries, the repository policy versions
/// it records (`vouch repo export`) and the commit objects from the logged
/// heads down to the certified commits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefLogRule {
    /// The repository URL, as the log and the release entries name it.
    pub repository: String,
    /// The statement digest of the repository policy's version 1 (the pin).
    pub policy: vouch_core::Digest,
}

/// Whose signature attributes a commit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Attribution {
    /// The author (matched by email) must have signed the commit (its object
    /// or a commit attestation over its id). The default.
    #[default]
    Author,
    /// The committer's signature also attributes the commit (rebases,
    /// cherry-picks, a maintainer applying a patch); the trace names both,
    /// and an author outside the roster is marked unverified.
    Committer,
}

/// Rules for commits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitPolicy {
    /// Whether the statement's time must be proven by a witness the
    /// roster trusts (`"proven"`) or may be the time its signer wrote
    /// (`"claimed"`, the default). See [`TimeRule`].
    #[serde(default, skip_serializing_if = "TimeRule::is_claimed")]
    pub time: TimeRule,
    /// Who must sign a commit (its author, usually with user presence);
    /// only signatures by the attributed identity count (see `attribution`).
    pub signers: Rule,
    /// Whose signature attributes a commit (default `author`).
    #[serde(default)]
    pub attribution: Attribution,
    /// Every commit the chain reaches travels in the bundle as its git
    /// commit object (default true): only the object, whose id is its
    /// hash, proves the author, the committer and the parents; without it
    /// they are what a commit attestation's signer wrote.
    #[serde(default = "yes")]
    pub require_objects: bool,
    /// Commits exempt from the rule.
    #[serde(default)]
    pub legacy: LegacyCommits,
}

/// Explicit exceptions for history made before signing was required.
///
/// Exceptions name commits, never dates: a date is what the signer wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyCommits {
    /// Commit ids exempt from the commit rule.
    #[serde(default)]
    pub commits: Vec<GitObjectId>,
    /// A cut-over commit: it and its ancestors (as git counts them,
    /// `git merge-base --is-ancestor`), proven by the parent lines of commit
    /// objects in the bundle, are exempt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cutover: Option<GitObjectId>,
}

/// How the roster's times are trusted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RosterPolicy {
    /// Accept a signature by a key that has since been revoked (for any
    /// reason but compromise) or whose window has ended, when the time the
    /// statement claims lies inside the key's window (default false: only
    /// signatures the roster grandfathers count).
    #[serde(default)]
    pub trust_claimed_time_after_revocation: bool,
}

/// A complete policy: one section per stage of the chain.
///
/// `image` is required; `deployment`, `release` and `commit` are optional,
/// and a stage that is absent is not checked. `roster` says how roster
/// times are trusted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The deployment stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<DeploymentPolicy>,
    /// The image stage.
    pub image: ImagePolicy,
    /// The release stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleasePolicy>,
    /// The commit stage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<CommitPolicy>,
    /// Roster time rules.
    #[serde(default)]
    pub roster: RosterPolicy,
    /// Rules on FIDO signatures across the whole bundle.
    #[serde(default, skip_serializing_if = "FidoPolicy::is_default")]
    pub fido: FidoPolicy,
    /// How claimed times relate to proven ones.
    #[serde(default, skip_serializing_if = "TimePolicy::is_default")]
    pub time: TimePolicy,
    /// Who published the dependencies a lock file lists (`vouch deps
    /// check`); see [`crate::deps`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependencies: Option<crate::deps::DependencyPolicy>,
}

/// Where a stage's time comes from.
///
/// ```toml
/// [image]
/// time = "proven"
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TimeRule {
    /// The time the signer wrote is used (and marked as claimed in the
    /// trace). A proof, when the statement carries one, is still checked
    /// and used (the default).
    #[default]
    Claimed,
    /// The statement must carry a proof of time from a witness the roster
    /// trusts (a receipt of a listed log, a timestamp of a listed
    /// authority); key validity and revocations of every reason are then
    /// judged at the proven time, and the claimed time must lie within
    /// [`TimePolicy::max_log_delay`] before it (and at most the clock skew
    /// after it).
    Proven,
}

impl TimeRule {
    fn is_claimed(&self) -> bool {
        *self == TimeRule::Claimed
    }
}

/// How claimed times must relate to proven ones, wherever a statement
/// carries a proof:
///
/// ```toml
/// [time]
/// max_log_delay = "7d"
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimePolicy {
    /// The longest a statement may wait between the time it claims and the
    /// time a witness saw it (commits are often logged when pushed, days
    /// after they were made). A claimed time earlier than the proven time by
    /// more than this fails (default 7 days): without the bound, a key
    /// revoked today could sign a statement dated last year and have it
    /// logged now.
    #[serde(default = "default_max_log_delay")]
    pub max_log_delay: MaxAge,
}

fn default_max_log_delay() -> MaxAge {
    MaxAge(7 * 86_400)
}

impl Default for TimePolicy {
    fn default() -> Self {
        TimePolicy {
            max_log_delay: default_max_log_delay(),
        }
    }
}

impl TimePolicy {
    fn is_default(&self) -> bool {
        *self == TimePolicy::default()
    }
}

/// Rules on FIDO signatures across the whole bundle:
///
/// ```toml
/// [fido]
/// counter = "increasing"
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FidoPolicy {
    /// What the signature counters must show.
    #[serde(default)]
    pub counter: CounterRule,
}

impl FidoPolicy {
    fn is_default(&self) -> bool {
        *self == FidoPolicy::default()
    }
}

/// What FIDO signature counters must show.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum CounterRule {
    /// Counters are reported, not judged (the default).
    #[default]
    Any,
    /// Per key, counters grow with the times the signatures claim: a
    /// signature whose counter is not above that of a signature by the
    /// same key with a strictly earlier time fails, and so does counter 0
    /// (an authenticator without a counter).
    Increasing,
}

fn yes() -> bool {
    true
}

/// The largest policy document read, in bytes (TOML or JSON): real
/// policies are a few KiB.
pub const MAX_POLICY: usize = 1 << 20;

/// The clock skew allowed between honest machines: every ordering of
/// claimed times (a release not before its commits, an approval not before
/// what it approves, nothing after the evaluation time) tolerates this much.
pub const CLOCK_SKEW_SECONDS: i64 = 300;

impl Policy {
    /// Reads a policy from TOML.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        if text.len() > MAX_POLICY {
            return Err(PolicyError::TooLarge {
                len: text.len(),
                max: MAX_POLICY,
            });
        }
        Ok(toml::from_str(text)?)
    }

    /// Reads a policy from JSON. A `null` anywhere is refused: read as
    /// absent, it would silently drop the rule it stands for.
    pub fn from_json(bytes: &[u8]) -> Result<Self, PolicyError> {
        if bytes.len() > MAX_POLICY {
            return Err(PolicyError::TooLarge {
                len: bytes.len(),
                max: MAX_POLICY,
            });
        }
        let value: serde_json::Value = serde_json::from_slice(bytes)?;
        if let Some(path) = find_null(&value, &mut String::new()) {
            return Err(PolicyError::Null(path));
        }
        Ok(serde_json::from_value(value)?)
    }

    /// Reads TOML or JSON, whichever the bytes are (JSON starts with `{`).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PolicyError> {
        match std::str::from_utf8(bytes) {
            Ok(text) if !text.trim_start().starts_with('{') => Policy::from_toml(text),
            _ => Policy::from_json(bytes),
        }
    }

    /// The policy as canonical CBOR, for its digest in a verification summary.
    pub fn digest(&self) -> vouch_core::Digest {
        // A policy always has a canonical form (strings, integers, lists, maps).
        vouch_core::Digest::sha256(&vouch_core::cbor::to_canonical(self).unwrap_or_default())
    }

    /// The stages this policy checks, in chain order.
    pub fn stages(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.deployment.is_some() {
            out.push("deployment");
        }
        out.push("image");
        if self.release.is_some() {
            out.push("release");
        }
        if self.commit.is_some() {
            out.push("commit");
        }
        out
    }
}

/// The path of the first `null` in a JSON document, if any.
fn find_null(v: &serde_json::Value, path: &mut String) -> Option<String> {
    match v {
        serde_json::Value::Null => Some(if path.is_empty() {
            "(the document)".into()
        } else {
            path.clone()
        }),
        serde_json::Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| {
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let found = find_null(x, path);
            path.truncate(len);
            found
        }),
        serde_json::Value::Object(map) => map.iter().find_map(|(k, x)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.extend(k.chars().take(64).flat_map(char::escape_default));
            let found = find_null(x, path);
            path.truncate(len);
            found
        }),
        _ => None,
    }
}

/// When a time is too old under `max_age` at `now`.
pub(crate) fn too_old(max_age: Option<MaxAge>, at: Timestamp, now: Timestamp) -> bool {
    match max_age {
        Some(m) => {
            now.unix_seconds().saturating_sub(at.unix_seconds())
                > i64::try_from(m.seconds()).unwrap_or(i64::MAX)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_forms() {
        let r: Rule =
            toml::from_str::<toml::Table>("r = { roles = [\"maintainer\"], threshold = 2 }")
                .unwrap()["r"]
                .clone()
                .try_into()
                .unwrap();
        assert_eq!(
            r,
            Rule::signers(
                vec!["maintainer".parse().unwrap()],
                NonZeroU32::new(2).unwrap(),
                vec![]
            )
            .unwrap()
        );
        let empty: Result<Rule, _> = serde_json::from_str(r#"{"all_of": []}"#);
        assert!(empty.unwrap_err().to_string().contains("all_of"));
        let empty: Result<Rule, _> = serde_json::from_str(r#"{"any_of": []}"#);
        assert!(empty.unwrap_err().to_string().contains("any_of"));
        let mixed: Result<Rule, _> =
            serde_json::from_str(r#"{"roles": ["a"], "any_of": [{"roles": ["b"]}]}"#);
        assert!(mixed.is_err());
        let zero: Result<Rule, _> = serde_json::from_str(r#"{"roles": ["a"], "threshold": 0}"#);
        assert!(zero.is_err());
        let none: Result<Rule, _> = serde_json::from_str(r#"{"threshold": 1}"#);
        assert!(none.is_err());
    }

    #[test]
    fn ages() {
        assert_eq!("30d".parse::<MaxAge>().unwrap().seconds(), 30 * 86_400);
        assert_eq!("90s".parse::<MaxAge>().unwrap().to_string(), "90s");
        assert!("d".parse::<MaxAge>().is_err());
        assert!("10w".parse::<MaxAge>().is_err());
        assert!("99999999999999999999d".parse::<MaxAge>().is_err());
        // A multi-byte last character is a bad unit, not a panic.
        assert!("30é".parse::<MaxAge>().is_err());
        assert!("é".parse::<MaxAge>().is_err());
        assert!("".parse::<MaxAge>().is_err());
    }

    #[test]
    fn json_null_is_refused_anywhere() {
        let base = r#"{"image": {"signers": {"roles": ["builder"], "threshold": 1}}}"#;
        assert!(Policy::from_json(base.as_bytes()).is_ok());
        for doc in [
            r#"{"image": {"signers": {"roles": ["builder"], "threshold": null}}}"#,
            r#"{"image": {"signers": {"roles": ["builder"], "hardware": null}}}"#,
            r#"{"image": {"signers": {"roles": ["builder"]}, "max_age": null}}"#,
            r#"{"image": {"signers": {"roles": ["builder"]}}, "release": null}"#,
        ] {
            let err = Policy::from_json(doc.as_bytes()).unwrap_err();
            assert!(matches!(err, PolicyError::Null(_)), "{doc}: {err}");
        }
    }

    #[test]
    fn rules_are_valid_by_construction() {
        assert_eq!(
            Rule::signers(vec![], NonZeroU32::MIN, vec![]),
            Err(RuleError::NoRoles)
        );
        assert_eq!(
            Rule::any_of(vec![]),
            Err(RuleError::EmptyCombinator("any_of"))
        );
        assert_eq!(
            Rule::all_of(vec![]),
            Err(RuleError::EmptyCombinator("all_of"))
        );
        let r: Rule = serde_json::from_str(
            r#"{"all_of": [{"roles": ["a"]}, {"roles": ["b"]}], "distinct_identities": false}"#,
        )
        .unwrap();
        assert!(matches!(
            r.view(),
            RuleView::AllOf {
                distinct_identities: false,
                ..
            }
        ));
        let back: Rule = serde_json::from_str(&serde_json::to_string(&r).unwrap()).unwrap();
        assert_eq!(back, r);
        let bad: Result<Rule, _> =
            serde_json::from_str(r#"{"any_of": [{"roles": ["a"]}], "distinct_identities": false}"#);
        assert!(bad.is_err());
    }
}
