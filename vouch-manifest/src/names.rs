//! Identity-name safety: how identity ids and email addresses are compared.
//!
//! A roster is signed, but what it says is still written by people, and a
//! signed roster can still name one person twice: `person:Bob@example.com`
//! next to `person:bob@example.com`, or `person:аlice@example.com` (Cyrillic
//! `а`) next to Alice. Each such twin would count as a second maintainer or
//! approver. This module gives the comparison forms that catch them, and the
//! roster checks built on them:
//!
//! - [`identity_key`]: the comparison form (NFKC and full Unicode case
//!   folding), so case and width variants compare equal;
//! - [`skeleton`]: the UTS #39 confusable skeleton of that form, so
//!   look-alike letters from other scripts compare equal;
//! - [`is_invisible`]: characters that render as nothing (format characters,
//!   default-ignorable code points), refused in identity ids and email proofs;
//! - [`same_email`]: the exact rule for matching a commit's email address to
//!   a roster email proof.
//!
//! [`Roster`]'s `check` refuses a roster in which two identities, two email
//! proofs, or an email proof and another person's id collide under
//! [`skeleton`], and one in which one public key (the same curve point) is
//! enrolled twice under different key types or FIDO applications.

use std::collections::HashMap;

use caseless::Caseless;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
use vouch_core::Algorithm;

use crate::error::RosterError;
use crate::ids::{IdentityId, IdentityKind};
use crate::roster::{IdentityProof, Roster};

/// The comparison form of an identity id or an email address.
///
/// It is Unicode compatibility caseless matching (Unicode Standard §3.13,
/// definition D146) written as a string: NFD, full default case folding
/// (`CaseFolding.txt` statuses C and F, via the `caseless` crate), NFKD, full
/// case folding again, then NFKC. Two strings have the same key exactly when
/// they are compatibility-caseless equal, so `Bob` and `bob`, `ß` and `ss`,
/// and fullwidth `ｂｏｂ` and `bob` share a key. The key is idempotent
/// (`identity_key(&identity_key(s)) == identity_key(s)`) and never fails.
///
/// Nothing else is changed: no character is removed (see [`is_invisible`]
/// for characters that are refused instead), and look-alike letters of
/// different scripts keep different keys (see [`skeleton`]).
///
/// ```
/// use vouch_manifest::names::identity_key;
/// assert_eq!(identity_key("person:Bob@Example.COM"), "person:bob@example.com");
/// assert_eq!(identity_key("ｂｏｂ"), "bob");
/// assert_eq!(identity_key("Straße"), "strasse");
/// assert_ne!(identity_key("аlice"), identity_key("alice")); // Cyrillic а
/// ```
pub fn identity_key(s: &str) -> String {
    s.chars()
        .nfd()
        .default_case_fold()
        .nfkd()
        .default_case_fold()
        .nfkc()
        .collect()
}

/// The UTS #39 confusable skeleton of [`identity_key`]`(s)`.
///
/// The skeleton (as computed by the `unicode-security` crate: NFD, removal
/// of default-ignorable code points, each character replaced by its
/// `confusables.txt` prototype, NFD again) is the same for strings that look
/// alike: Cyrillic `а` and Latin `a`, `rn` and `m`, `1` and `l`. It is a
/// comparison key, not something to show: two names with equal skeletons
/// are treated as the same name.
///
/// ```
/// use vouch_manifest::names::skeleton;
/// assert_eq!(skeleton("person:аlice@example.com"), skeleton("person:alice@example.com"));
/// assert_eq!(skeleton("person:Bob@example.com"), skeleton("person:bob@example.com"));
/// assert_ne!(skeleton("person:bob@example.com"), skeleton("person:rob@example.com"));
/// ```
pub fn skeleton(s: &str) -> String {
    unicode_security::skeleton(&identity_key(s)).collect()
}

/// Default_Ignorable_Code_Point (Unicode `DerivedCoreProperties.txt`):
/// characters that render as nothing when not supported. It includes the
/// variation selectors (U+180B–U+180F, U+FE00–U+FE0F, U+E0100–U+E01EF), the
/// Hangul fillers and the combining grapheme joiner.
const DEFAULT_IGNORABLE: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFF8}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E0FFF}'),
];

/// Whether `c` is invisible: of general category Cf (format: zero-width
/// space and joiners, bidi controls U+202A–U+202E and U+2066–U+2069, word
/// joiner, BOM, soft hyphen, ...) or a default-ignorable code point
/// (variation selectors, Hangul fillers, combining grapheme joiner, ...).
///
/// Such characters make two ids that look the same compare different, so
/// identity ids and roster email proofs refuse them.
///
/// ```
/// use vouch_manifest::names::is_invisible;
/// assert!(is_invisible('\u{200B}'));
/// assert!(is_invisible('\u{FE0F}'));
/// assert!(!is_invisible('a'));
/// ```
pub fn is_invisible(c: char) -> bool {
    c.general_category() == GeneralCategory::Format
        || DEFAULT_IGNORABLE
            .binary_search_by(|&(lo, hi)| {
                if hi < c {
                    std::cmp::Ordering::Less
                } else if lo > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
}

/// Whether two email addresses name the same mailbox, for commit
/// attribution.
///
/// The local part (everything before the *last* `@`) is compared exactly,
/// byte for byte, as RFC 5321 leaves its case to the receiving server; the
/// domain (everything after it) is compared ASCII case-insensitively, and
/// nothing else is stripped or normalized (no trailing dot, no Unicode
/// folding, no `+tag` removal). Addresses without `@` compare exactly.
///
/// ```
/// use vouch_manifest::same_email;
/// assert!(same_email("Alice@Example.COM", "Alice@example.com"));
/// assert!(!same_email("alice@example.com", "Alice@example.com"));
/// assert!(!same_email("alice@example.com", "alice@example.com."));
/// assert!(same_email("\"a@b\"@example.com", "\"a@b\"@EXAMPLE.com"));
/// assert!(!same_email("alice", "Alice"));
/// ```
pub fn same_email(a: &str, b: &str) -> bool {
    match (a.rsplit_once('@'), b.rsplit_once('@')) {
        (Some((local_a, domain_a)), Some((local_b, domain_b))) => {
            local_a == local_b && domain_a.eq_ignore_ascii_case(domain_b)
        }
        _ => a == b,
    }
}

/// The comparison key of an email under [`same_email`]: two addresses are
/// the same mailbox exactly when their keys are equal (the local part as
/// is, `@`, the domain in ASCII lower case).
///
/// ```
/// use vouch_manifest::names::email_key;
/// assert_eq!(email_key("Alice@Example.COM"), "Alice@example.com");
/// ```
pub fn email_key(address: &str) -> String {
    match address.rsplit_once('@') {
        Some((local, domain)) => format!("{local}@{}", domain.to_ascii_lowercase()),
        None => address.to_owned(),
    }
}

/// Email proof addresses kept in errors are cut to this many characters.
const MAX_ERROR_ADDRESS: usize = 128;

fn shown(address: &str) -> String {
    address.chars().take(MAX_ERROR_ADDRESS).collect()
}

/// Who holds a name in the email namespace of a roster.
struct Holder<'a> {
    identity: &'a IdentityId,
    /// `true` for a `person:` id name, `false` for an email proof.
    is_id: bool,
}

/// Refuses a roster whose names are ambiguous:
///
/// - two identity ids with the same [`skeleton`] (which covers the same
///   [`identity_key`]);
/// - an email proof with an invisible, control or whitespace character;
/// - two email proofs with the same skeleton, of two identities or twice on
///   one identity;
/// - an email proof with the skeleton of *another* identity's `person:` id
///   name: an email names exactly one identity.
///
/// Identity ids compare with their `person:` / `workload:` prefix, so a
/// workload and a person never collide by id alone.
pub(crate) fn check_roster_names(roster: &Roster) -> Result<(), RosterError> {
    let mut ids: HashMap<String, &IdentityId> = HashMap::new();
    // The email namespace: person id names and email proofs, by skeleton.
    let mut emails: HashMap<String, Holder<'_>> = HashMap::new();
    for ident in &roster.identities {
        // Equal comparison forms give equal skeletons, so one map covers both.
        if let Some(first) = ids.insert(skeleton(ident.id.as_str()), &ident.id) {
            return Err(RosterError::ConfusableIdentities {
                first: first.clone(),
                second: ident.id.clone(),
            });
        }
        if ident.kind() == IdentityKind::Person {
            // `person:` + name differs only by the prefix, so person names
            // never collide here once the ids above did not.
            emails.entry(skeleton(ident.id.name())).or_insert(Holder {
                identity: &ident.id,
                is_id: true,
            });
        }
    }
    for ident in &roster.identities {
        let mut own: HashMap<String, &str> = HashMap::new();
        for proof in &ident.proofs {
            let IdentityProof::Email { address } = proof else {
                continue;
            };
            if address
                .chars()
                .any(|c| is_invisible(c) || c.is_control() || c.is_whitespace())
            {
                return Err(RosterError::InvisibleCharacter {
                    identity: ident.id.clone(),
                    address: shown(address),
                });
            }
            let key = skeleton(address);
            if own.insert(key.clone(), address).is_some() {
                return Err(RosterError::DuplicateEmail {
                    address: shown(address),
                    first: ident.id.clone(),
                    second: ident.id.clone(),
                });
            }
            match emails.get(&key) {
                Some(holder) if holder.identity != &ident.id => {
                    return Err(if holder.is_id {
                        RosterError::EmailNamesOtherIdentity {
                            address: shown(address),
                            identity: ident.id.clone(),
                            other: holder.identity.clone(),
                        }
                    } else {
                        RosterError::DuplicateEmail {
                            address: shown(address),
                            first: holder.identity.clone(),
                            second: ident.id.clone(),
                        }
                    });
                }
                Some(_) => {}
                None => {
                    emails.insert(
                        key,
                        Holder {
                            identity: &ident.id,
                            is_id: false,
                        },
                    );
                }
            }
        }
    }
    // An OIDC subject at an issuer (a CI workload, a person's account) is
    // one party: two identities claiming it would let one party count twice.
    let mut subjects: HashMap<(String, String), &IdentityId> = HashMap::new();
    for ident in &roster.identities {
        for proof in &ident.proofs {
            let IdentityProof::Oidc { issuer, subject } = proof else {
                continue;
            };
            let key = (issuer.to_ascii_lowercase(), skeleton(subject));
            match subjects.get(&key) {
                Some(first) if *first != &ident.id => {
                    return Err(RosterError::DuplicateOidcSubject {
                        issuer: shown(issuer),
                        subject: shown(subject),
                        first: (*first).clone(),
                        second: ident.id.clone(),
                    });
                }
                _ => {
                    subjects.insert(key, &ident.id);
                }
            }
        }
    }
    Ok(())
}

/// Refuses a roster in which one public key, the same curve point of the
/// same algorithm, is enrolled twice among the identities' keys, whatever
/// its key type (`ssh-ed25519` or `sk-ssh-ed25519@openssh.com`), FIDO
/// application or identity: key ids differ between those forms, the private
/// key does not. Root keys are not compared with identity keys.
pub(crate) fn check_roster_keys(roster: &Roster) -> Result<(), RosterError> {
    let mut points: HashMap<(Algorithm, Vec<u8>), &IdentityId> = HashMap::new();
    for ident in &roster.identities {
        for k in &ident.keys {
            let point = (k.key.algorithm(), k.key.point_bytes());
            if let Some(first) = points.insert(point, &ident.id) {
                return Err(RosterError::KeyMaterialReused {
                    first: first.clone(),
                    second: ident.id.clone(),
                    key_id: k.key.key_id(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::collections::BTreeMap;

    use proptest::prelude::*;
    use vouch_core::{PublicKey, Timestamp};

    use super::*;
    use crate::error::ManifestError;
    use crate::roster::{Identity, RootKeys, RosterKey};
    use crate::statement::Statement;

    fn id(s: &str) -> IdentityId {
        s.parse().unwrap()
    }

    fn key(seed: u8) -> PublicKey {
        let sk = ed25519_dalek::SigningKey::from_bytes(&[seed; 32]);
        PublicKey::ed25519(&sk.verifying_key().to_bytes()).unwrap()
    }

    fn t() -> Timestamp {
        "2026-01-01T00:00:00Z".parse().unwrap()
    }

    fn person(name: &str, emails: &[&str], seed: u8) -> Identity {
        Identity {
            id: id(name),
            display_name: "Someone".into(),
            openpgp_keys: Vec::new(),
            proofs: emails
                .iter()
                .map(|a| IdentityProof::Email {
                    address: (*a).into(),
                })
                .collect(),
            keys: vec![RosterKey::new(key(seed), t())],
        }
    }

    fn roster(identities: Vec<Identity>) -> Roster {
        let mut roles = BTreeMap::new();
        roles.insert(
            "maintainer".parse().unwrap(),
            identities
                .iter()
                .map(|i| crate::RoleGrant::new(i.id.clone(), t()))
                .collect(),
        );
        Roster {
            name: "example.com".into(),
            version: 2,
            expires: "2099-01-01T00:00:00Z".parse().unwrap(),
            root: RootKeys {
                keys: vec![key(200)],
                threshold: 1,
            },
            identities,
            roles,
            authenticators: Default::default(),
            tpm: Default::default(),
            witnesses: Default::default(),
            ci: Default::default(),
        }
    }

    fn alice() -> Identity {
        person("person:alice@example.com", &["alice@example.com"], 1)
    }

    fn bob() -> Identity {
        person("person:bob@example.com", &["bob@example.com"], 2)
    }

    fn refused(r: Roster) -> RosterError {
        match Statement::from_predicate(r) {
            Err(ManifestError::Roster(e)) => e,
            other => panic!("expected a roster error, got {other:?}"),
        }
    }

    #[test]
    fn comparison_form() {
        assert_eq!(identity_key("Bob"), identity_key("bob"));
        assert_eq!(
            identity_key("ＢＯＢ@ｅｘａｍｐｌｅ.ｃｏｍ"),
            "bob@example.com"
        );
        assert_eq!(identity_key("ﬁ"), "fi");
        assert_eq!(identity_key("ΣΑΣ"), identity_key("σας"));
        assert_eq!(identity_key("e\u{301}"), identity_key("\u{e9}"));
        // Case and width only: other scripts keep their letters.
        assert_ne!(identity_key("\u{430}lice"), identity_key("alice"));
    }

    #[test]
    fn skeletons() {
        let latin = "person:alice@example.com";
        let cyrillic = "person:\u{430}lice@example.com";
        assert_ne!(latin, cyrillic);
        assert_eq!(skeleton(latin), skeleton(cyrillic));
        assert_eq!(
            skeleton("person:Bob@example.com"),
            skeleton(latin.replace("alice", "bob").as_str())
        );
        assert_eq!(skeleton("ｂｏｂ"), skeleton("bob"));
        assert_eq!(skeleton("rn"), skeleton("m"));
        assert_ne!(skeleton("alice"), skeleton("alicia"));
    }

    #[test]
    fn invisible_characters() {
        for c in [
            '\u{200B}',
            '\u{200C}',
            '\u{200D}',
            '\u{2060}',
            '\u{FEFF}',
            '\u{202A}',
            '\u{202E}',
            '\u{2066}',
            '\u{2069}',
            '\u{00AD}',
            '\u{FE00}',
            '\u{FE0F}',
            '\u{E0100}',
            '\u{180B}',
            '\u{034F}',
            '\u{3164}',
            '\u{115F}',
            '\u{E0001}',
            '\u{061C}',
            '\u{0600}',
        ] {
            assert!(is_invisible(c), "{c:?}");
        }
        for c in ['a', '@', '.', '\u{430}', '\u{e9}', ' ', 'ß', '\u{301}'] {
            assert!(!is_invisible(c), "{c:?}");
        }
        // The table is sorted and disjoint, as binary search needs.
        assert!(DEFAULT_IGNORABLE.windows(2).all(|w| w[0].1 < w[1].0));
        assert!(DEFAULT_IGNORABLE.iter().all(|(lo, hi)| lo <= hi));
    }

    #[test]
    fn ids_refuse_invisible_and_trailing_dot() {
        for bad in [
            "person:bob\u{200B}@example.com",
            "person:bob@example.com\u{200D}",
            "person:\u{2060}bob",
            "person:\u{FEFF}bob",
            "person:bob\u{202E}moc.elpmaxe@",
            "person:bob\u{2066}",
            "person:bo\u{00AD}b",
            "person:bob\u{FE0F}",
            "workload:ci/build\u{E0100}",
            "person:bob@example.com.",
            "workload:ci.",
            "person:bob@example.com\u{FF0E}",
            "person:bob@example.com\u{3002}",
            "person:.",
        ] {
            assert!(bad.parse::<IdentityId>().is_err(), "{bad:?}");
        }
        for good in [
            "person:bob@example.com",
            "person:b.o.b@example.com",
            "workload:ci/build.v2",
            "person:\u{430}lice@example.com",
            "person:jos\u{e9}@example.com",
        ] {
            assert!(good.parse::<IdentityId>().is_ok(), "{good:?}");
        }
    }

    #[test]
    fn email_rule() {
        assert!(same_email("Alice@Example.COM", "Alice@example.com"));
        assert!(!same_email("alice@example.com", "Alice@example.com"));
        assert!(same_email("a@b@EXAMPLE.com", "a@b@example.com"));
        assert!(!same_email("a@B@example.com", "a@b@example.com"));
        assert!(!same_email("alice@example.com", "alice@example.com "));
        assert!(!same_email("alice@example.com", "alice"));
        assert!(same_email("alice", "alice"));
        // Non-ASCII domain letters compare exactly.
        assert!(!same_email("a@\u{c9}xample.com", "a@\u{e9}xample.com"));
        assert!(same_email("a@", "a@"));
    }

    #[test]
    fn honest_roster_passes() {
        let mut ci = person("workload:ci/build", &[], 3);
        ci.proofs.push(IdentityProof::Oidc {
            issuer: "https://token.actions.example".into(),
            subject: "repo:example/app".into(),
        });
        // An identity's own id and email proof may differ in case.
        let carol = person("person:Carol@example.com", &["carol@example.com"], 4);
        let r = roster(vec![alice(), bob(), ci, carol]);
        assert!(check_roster_names(&r).is_ok());
        assert!(check_roster_keys(&r).is_ok());
        Statement::from_predicate(r).unwrap();
    }

    #[test]
    fn case_twin_refused() {
        // Bob enrolls a second identity with his own email proof.
        let twin = person("person:Bob@example.com", &["bob@example.com"], 3);
        let e = refused(roster(vec![alice(), bob(), twin]));
        assert_eq!(
            e,
            RosterError::ConfusableIdentities {
                first: id("person:bob@example.com"),
                second: id("person:Bob@example.com"),
            }
        );
    }

    #[test]
    fn cyrillic_twin_refused() {
        let twin = person("person:\u{430}lice@example.com", &["alice@example.com"], 3);
        let e = refused(roster(vec![alice(), bob(), twin]));
        assert!(
            matches!(&e, RosterError::ConfusableIdentities { first, second }
                if first.as_str() == "person:alice@example.com"
                    && second.as_str() == "person:\u{430}lice@example.com"),
            "{e:?}"
        );
    }

    #[test]
    fn fullwidth_twin_refused() {
        let twin = person("person:ｂｏｂ@example.com", &[], 3);
        assert!(matches!(
            refused(roster(vec![bob(), twin])),
            RosterError::ConfusableIdentities { .. }
        ));
    }

    #[test]
    fn email_of_another_person_refused() {
        let eve = person("person:eve@example.com", &["alice@example.com"], 3);
        assert_eq!(
            refused(roster(vec![alice(), eve])),
            RosterError::EmailNamesOtherIdentity {
                address: "alice@example.com".into(),
                identity: id("person:eve@example.com"),
                other: id("person:alice@example.com"),
            }
        );
        // Order does not matter, nor does Alice listing the proof herself.
        let eve = person("person:eve@example.com", &["ALICE@example.com"], 3);
        let bare_alice = person("person:alice@example.com", &[], 1);
        assert!(matches!(
            refused(roster(vec![eve, bare_alice])),
            RosterError::EmailNamesOtherIdentity { .. }
        ));
    }

    #[test]
    fn shared_email_refused() {
        let b1 = person("person:bob-laptop", &["bob@example.com"], 3);
        let b2 = person("person:bob-desktop", &["Bob@example.com"], 4);
        assert_eq!(
            refused(roster(vec![b1, b2])),
            RosterError::DuplicateEmail {
                address: "Bob@example.com".into(),
                first: id("person:bob-laptop"),
                second: id("person:bob-desktop"),
            }
        );
        // A confusable address counts as the same one.
        let b1 = person("person:bob-laptop", &["bob@example.com"], 3);
        let b2 = person("person:bob-desktop", &["b\u{43e}b@example.com"], 4);
        assert!(matches!(
            refused(roster(vec![b1, b2])),
            RosterError::DuplicateEmail { .. }
        ));
        // A workload may not carry a person's email either.
        let w = person("workload:ci/deploy", &["bob@example.com"], 3);
        assert!(matches!(
            refused(roster(vec![bob(), w])),
            RosterError::EmailNamesOtherIdentity { .. }
        ));
    }

    #[test]
    fn same_email_twice_on_one_identity_refused() {
        let b = person(
            "person:bob@example.com",
            &["bob@example.com", "bob@EXAMPLE.com"],
            2,
        );
        assert_eq!(
            refused(roster(vec![b])),
            RosterError::DuplicateEmail {
                address: "bob@EXAMPLE.com".into(),
                first: id("person:bob@example.com"),
                second: id("person:bob@example.com"),
            }
        );
    }

    #[test]
    fn invisible_email_refused() {
        for address in [
            "alice\u{200B}@example.com",
            "alice@example.com\u{FEFF}",
            "alice@exam\u{00AD}ple.com",
            "alice@example.com ",
            "alice@example.com\n",
        ] {
            let eve = person("person:eve@example.com", &[address], 3);
            let e = refused(roster(vec![alice(), eve]));
            assert_eq!(
                e,
                RosterError::InvisibleCharacter {
                    identity: id("person:eve@example.com"),
                    address: address.into(),
                }
            );
            // The message shows the address quoted and escaped.
            let message = e.to_string();
            assert!(message.contains(&format!("{address:?}")), "{message}");
            assert!(!message.contains(['\u{200B}', '\u{FEFF}', '\u{AD}', '\n']));
        }
    }

    #[test]
    fn same_point_as_sk_key_refused() {
        let plain = key(9);
        let sk = plain.clone().with_fido_application("ssh:").unwrap();
        assert_ne!(plain.key_id(), sk.key_id());
        let mut eve = person("person:eve@example.com", &[], 3);
        eve.keys = vec![RosterKey::new(sk.clone(), t())];
        let mut bob = bob();
        bob.keys = vec![RosterKey::new(plain.clone(), t())];
        assert_eq!(
            refused(roster(vec![bob, eve])),
            RosterError::KeyMaterialReused {
                first: id("person:bob@example.com"),
                second: id("person:eve@example.com"),
                key_id: sk.key_id(),
            }
        );
        // Two applications of one point on one identity, too.
        let mut bob = self::bob();
        bob.keys = vec![
            RosterKey::new(sk.clone(), t()),
            RosterKey::new(plain.clone().with_fido_application("ssh:x").unwrap(), t()),
        ];
        assert!(matches!(
            refused(roster(vec![bob])),
            RosterError::KeyMaterialReused { .. }
        ));
    }

    #[test]
    fn root_key_may_also_be_an_identity_key() {
        let mut r = roster(vec![alice()]);
        r.root.keys = vec![key(1)];
        Statement::from_predicate(r).unwrap();
    }

    #[test]
    fn every_char_key_is_idempotent() {
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            let k = identity_key(c.encode_utf8(&mut [0; 4]));
            assert_eq!(identity_key(&k), k, "{c:?}");
        }
    }

    proptest! {
        #[test]
        fn identity_key_is_idempotent(s in any::<String>()) {
            let k = identity_key(&s);
            prop_assert_eq!(identity_key(&k), k.clone());
            let _ = skeleton(&s);
        }

        #[test]
        fn identity_key_is_idempotent_on_tricky_text(
            s in "[a-zA-Z@.\u{300}-\u{36f}\u{391}-\u{3c9}\u{410}-\u{44f}\u{ff01}-\u{ff5e}\u{1e00}-\u{1eff}\u{fb00}-\u{fb06}\u{2160}-\u{217f}ßİı\u{345}\u{1fb3}]{0,24}"
        ) {
            let k = identity_key(&s);
            prop_assert_eq!(identity_key(&k), k.clone());
            prop_assert_eq!(skeleton(&k), skeleton(&s));
        }

        #[test]
        fn same_email_is_reflexive_and_symmetric(a in "\\PC{0,20}", b in "\\PC{0,20}") {
            prop_assert!(same_email(&a, &a));
            prop_assert_eq!(same_email(&a, &b), same_email(&b, &a));
        }
    }

    #[test]
    fn one_oidc_subject_names_one_identity() {
        let mut r = roster(vec![
            person("workload:ci/a", &[], 1),
            person("workload:ci/b", &[], 2),
        ]);
        for (i, ident) in r.identities.iter_mut().enumerate() {
            ident.proofs = vec![IdentityProof::Oidc {
                issuer: if i == 0 {
                    "https://ci.example.com"
                } else {
                    "https://CI.example.com"
                }
                .into(),
                subject: "repo:shop/api".into(),
            }];
        }
        assert!(matches!(
            check_roster_names(&r),
            Err(RosterError::DuplicateOidcSubject { .. })
        ));
        r.identities[1].proofs = vec![IdentityProof::Oidc {
            issuer: "https://ci.example.com".into(),
            subject: "repo:shop/web".into(),
        }];
        assert!(check_roster_names(&r).is_ok());
    }
}
