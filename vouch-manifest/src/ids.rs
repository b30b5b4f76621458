//! Names that statements and rosters use: identities, roles, git object ids.

use std::fmt;
use std::str::FromStr;

use crate::error::ManifestError;

/// Whether an identity is a person or a workload (a CI job, a builder).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum IdentityKind {
    /// A human being, e.g. `person:alice@example.com`.
    Person,
    /// A machine identity, e.g. `workload:ci/deploy`.
    Workload,
}

impl IdentityKind {
    fn prefix(self) -> &'static str {
        match self {
            IdentityKind::Person => "person",
            IdentityKind::Workload => "workload",
        }
    }
}

/// The id of an identity in a roster: `person:<name>` or `workload:<name>`.
///
/// The kind is part of the id so that a workload can never be mistaken for
/// a person in a separation-of-duties rule, whatever a roster says elsewhere.
///
/// The name is 1 to 256 bytes with no whitespace, no control character, no
/// invisible character ([`names::is_invisible`](crate::names::is_invisible):
/// format characters such as U+200B ZERO WIDTH SPACE and the bidi controls,
/// soft hyphen, variation selectors, ...), and does not end with a dot
/// (`.`, or U+3002, U+FF0E, U+FF61). A roster further refuses two ids that
/// are confusable ([`names::skeleton`](crate::names::skeleton)).
///
/// ```
/// use vouch_manifest::{IdentityId, IdentityKind};
/// let id: IdentityId = "person:alice@example.com".parse().unwrap();
/// assert_eq!(id.kind(), IdentityKind::Person);
/// assert_eq!(id.name(), "alice@example.com");
/// assert!("alice".parse::<IdentityId>().is_err());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdentityId {
    text: String,
    kind: IdentityKind,
}

/// Dots that end a DNS name (`example.com.`), in ASCII and the forms UTS #46
/// maps to it: a name may not end with one, as `bob@example.com.` would be a
/// second spelling of `bob@example.com`.
const NAME_DOTS: [char; 4] = ['.', '\u{3002}', '\u{FF0E}', '\u{FF61}'];

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !crate::names::is_invisible(c))
        && !name.ends_with(NAME_DOTS)
}

impl IdentityId {
    /// The longest name (the part after `person:` or `workload:`), in bytes.
    pub const MAX_NAME_LEN: usize = 256;

    /// Builds an id from its kind and name.
    pub fn new(kind: IdentityKind, name: &str) -> Result<Self, ManifestError> {
        format!("{}:{name}", kind.prefix()).parse()
    }

    /// Person or workload.
    pub fn kind(&self) -> IdentityKind {
        self.kind
    }

    /// The part after the kind prefix.
    pub fn name(&self) -> &str {
        &self.text[self.kind.prefix().len() + 1..]
    }

    /// The full id text.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl FromStr for IdentityId {
    type Err = ManifestError;
    fn from_str(s: &str) -> Result<Self, ManifestError> {
        let bad = || ManifestError::InvalidIdentityId(s.chars().take(80).collect());
        let (prefix, name) = s.split_once(':').ok_or_else(bad)?;
        let kind = match prefix {
            "person" => IdentityKind::Person,
            "workload" => IdentityKind::Workload,
            _ => return Err(bad()),
        };
        if name.len() > Self::MAX_NAME_LEN {
            return Err(ManifestError::TooLarge {
                what: "identity name",
                len: name.len(),
                max: Self::MAX_NAME_LEN,
            });
        }
        if !valid_name(name) {
            return Err(bad());
        }
        Ok(IdentityId {
            text: s.to_owned(),
            kind,
        })
    }
}

impl fmt::Display for IdentityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for IdentityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdentityId({})", self.text)
    }
}

/// A role name in a roster (`maintainer`, `builder`): lowercase ASCII
/// letters, digits, `-` and `_`, 1 to 64 characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoleName(String);

impl RoleName {
    /// The longest role name, in bytes.
    pub const MAX_LEN: usize = 64;

    /// The role name text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for RoleName {
    type Err = ManifestError;
    fn from_str(s: &str) -> Result<Self, ManifestError> {
        if s.len() > Self::MAX_LEN {
            return Err(ManifestError::TooLarge {
                what: "role name",
                len: s.len(),
                max: Self::MAX_LEN,
            });
        }
        let ok = !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(RoleName(s.to_owned()))
        } else {
            Err(ManifestError::InvalidRoleName(s.chars().take(80).collect()))
        }
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RoleName({})", self.0)
    }
}

/// A git object id: 40 lowercase hex digits (SHA-1 repositories) or 64
/// (SHA-256 repositories).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GitObjectId(String);

impl GitObjectId {
    /// The hex text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this id comes from a SHA-256 object-format repository.
    pub fn is_sha256(&self) -> bool {
        self.0.len() == 64
    }
}

impl FromStr for GitObjectId {
    type Err = ManifestError;
    fn from_str(s: &str) -> Result<Self, ManifestError> {
        let ok = (s.len() == 40 || s.len() == 64)
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(GitObjectId(s.to_owned()))
        } else {
            Err(ManifestError::InvalidGitObjectId(
                s.chars().take(80).collect(),
            ))
        }
    }
}

impl fmt::Display for GitObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for GitObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GitObjectId({})", self.0)
    }
}

macro_rules! string_serde {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }
        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_serde!(IdentityId);
string_serde!(RoleName);
string_serde!(GitObjectId);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn identity_rules() {
        assert!("workload:ci/deploy".parse::<IdentityId>().is_ok());
        assert!("person:".parse::<IdentityId>().is_err());
        assert!("person:a b".parse::<IdentityId>().is_err());
        assert!("robot:x".parse::<IdentityId>().is_err());
        assert!("person:a\u{200B}b".parse::<IdentityId>().is_err());
        assert!("person:ab\u{FE0F}".parse::<IdentityId>().is_err());
        assert!("person:\u{202E}ab".parse::<IdentityId>().is_err());
        assert!("person:a@example.com.".parse::<IdentityId>().is_err());
        assert!("person:a.b@example.com".parse::<IdentityId>().is_ok());
        assert_eq!(
            IdentityId::new(IdentityKind::Workload, "ci/build")
                .unwrap()
                .as_str(),
            "workload:ci/build"
        );
    }

    #[test]
    fn object_ids() {
        assert!("a".repeat(40).parse::<GitObjectId>().is_ok());
        assert!("a".repeat(64).parse::<GitObjectId>().unwrap().is_sha256());
        assert!("A".repeat(40).parse::<GitObjectId>().is_err());
        assert!("a".repeat(41).parse::<GitObjectId>().is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic_and_round_trip(s in ".{0,100}") {
            if let Ok(id) = s.parse::<IdentityId>() {
                prop_assert_eq!(id.to_string(), s.clone());
                prop_assert_eq!(id.to_string().parse::<IdentityId>().unwrap(), id);
            }
            if let Ok(r) = s.parse::<RoleName>() {
                prop_assert_eq!(r.to_string(), s.clone());
            }
            if let Ok(g) = s.parse::<GitObjectId>() {
                prop_assert_eq!(g.to_string(), s);
            }
        }
    }
}
