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
    /// The document is too large to be a policy.
    #[error("policy of {0} bytes exceeds the 1 MiB limit")]
    TooLarge(usize),
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
    /// The key is attested as non-exportable in a TPM (a roster hardware claim
    /// made at enrollment from a TPM2_Certify attestation).
    TpmAttested,
}

impl fmt::Display for HardwareRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HardwareRequirement::UserPresence => "user-presence",
            HardwareRequirement::UserVerification => "user-verification",
            HardwareRequirement::TpmAttested => "tpm-attested",
        })
    }
}

/// A signer rule: a leaf (roles, threshold, hardware) or a combination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawRule", into = "RawRule")]
pub enum Rule {
    /// At least `threshold` distinct identities holding one of `roles` signed,
    /// each counted signature meeting every `hardware` requirement.
    Signers {
        /// Roles whose members count.
        roles: Vec<RoleName>,
        /// Distinct identities required (at least 1).
        threshold: u32,
        /// Hardware each counted signature must show.
        hardware: Vec<HardwareRequirement>,
    },
    /// Every rule holds.
    AllOf(Vec<Rule>),
    /// At least one rule holds.
    AnyOf(Vec<Rule>),
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
    #[error("a rule is exactly one of {{roles, threshold, hardware}}, {{all_of}} or {{any_of}}")]
    Shape,
}

impl TryFrom<RawRule> for Rule {
    type Error = RuleError;

    fn try_from(r: RawRule) -> Result<Self, RuleError> {
        let leaf = r.roles.is_some() || r.threshold.is_some() || r.hardware.is_some();
        match (leaf, r.all_of, r.any_of) {
            (false, Some(all), None) if all.is_empty() => Err(RuleError::EmptyCombinator("all_of")),
            (false, Some(all), None) => Ok(Rule::AllOf(all)),
            (false, None, Some(any)) if any.is_empty() => Err(RuleError::EmptyCombinator("any_of")),
            (false, None, Some(any)) => Ok(Rule::AnyOf(any)),
            (true, None, None) => {
                let roles = r.roles.unwrap_or_default();
                if roles.is_empty() {
                    return Err(RuleError::NoRoles);
                }
                let threshold = r.threshold.unwrap_or(1);
                if threshold == 0 {
                    return Err(RuleError::ZeroThreshold);
                }
                Ok(Rule::Signers {
                    roles,
                    threshold,
                    hardware: r.hardware.unwrap_or_default(),
                })
            }
            _ => Err(RuleError::Shape),
        }
    }
}

impl From<Rule> for RawRule {
    fn from(rule: Rule) -> RawRule {
        match rule {
            Rule::Signers {
                roles,
                threshold,
                hardware,
            } => RawRule {
                roles: Some(roles),
                threshold: Some(threshold),
                hardware: (!hardware.is_empty()).then_some(hardware),
                ..RawRule::default()
            },
            Rule::AllOf(r) => RawRule {
                all_of: Some(r),
                ..RawRule::default()
            },
            Rule::AnyOf(r) => RawRule {
                any_of: Some(r),
                ..RawRule::default()
            },
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Signers {
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
            Rule::AllOf(rules) => write_list(f, "all of", rules),
            Rule::AnyOf(rules) => write_list(f, "any of", rules),
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
    /// The age in seconds.
    pub fn seconds(self) -> u64 {
        self.0
    }
}

impl FromStr for MaxAge {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let err = || format!("invalid age {s:?}: expected a number and s, m, h or d (e.g. 30d)");
        let (num, unit) = s.split_at(s.len().saturating_sub(1));
        let n: u64 = num.parse().map_err(|_| err())?;
        let mult = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => return Err(err()),
        };
        n.checked_mul(mult).map(MaxAge).ok_or_else(err)
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
}

/// Rules for image statements.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagePolicy {
    /// Who must sign the image statement (the builder).
    pub signers: Rule,
    /// Refuse image statements whose build finished longer ago than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<MaxAge>,
}

/// Rules for release statements (signed SBOMs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleasePolicy {
    /// Who must certify a release (e.g. 2 maintainers).
    pub signers: Rule,
    /// When every commit of a release has one and the same author, that
    /// author's certification is refused: nobody certifies only their own work.
    #[serde(default)]
    pub certifier_not_sole_author: bool,
    /// Refuse releases older than this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<MaxAge>,
}

/// Rules for commit attestations.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitPolicy {
    /// Who must sign a commit (its author, usually with user presence).
    pub signers: Rule,
    /// Commits exempt from the rule, listed explicitly.
    #[serde(default)]
    pub legacy: LegacyCommits,
}

/// Explicit exceptions for history made before signing was required.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyCommits {
    /// Commit ids exempt from the commit rule.
    #[serde(default)]
    pub commits: Vec<GitObjectId>,
}

/// A complete policy: one section per stage of the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// The deployment stage.
    pub deployment: DeploymentPolicy,
    /// The image stage.
    pub image: ImagePolicy,
    /// The release stage.
    pub release: ReleasePolicy,
    /// The commit stage.
    pub commit: CommitPolicy,
}

fn yes() -> bool {
    true
}

const MAX_POLICY: usize = 1 << 20;

impl Policy {
    /// Reads a policy from TOML.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        if text.len() > MAX_POLICY {
            return Err(PolicyError::TooLarge(text.len()));
        }
        Ok(toml::from_str(text)?)
    }

    /// Reads a policy from JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, PolicyError> {
        if bytes.len() > MAX_POLICY {
            return Err(PolicyError::TooLarge(bytes.len()));
        }
        Ok(serde_json::from_slice(bytes)?)
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
            Rule::Signers {
                roles: vec!["maintainer".parse().unwrap()],
                threshold: 2,
                hardware: vec![]
            }
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
    }
}
