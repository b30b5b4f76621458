//! Image references for registries: `HOST[:PORT]/REPO[:TAG|@sha256:HEX]`,
//! parsed by a small bounded parser, and the transport rule of docs/oci.md
//! (plain HTTP only to loopback hosts).
//!
//! The host is always explicit (no implied `docker.io`): a reference names
//! exactly the registry it will be fetched from. Grammar, after the
//! distribution spec: the repository is `/`-separated components of
//! `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`, at most 255 bytes;
//! a tag is `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`; with neither tag nor
//! digest the tag is `latest`.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};

use vouch_core::{Digest, DigestAlgorithm};

use crate::OciError;

/// The longest reference text parsed.
pub const MAX_REFERENCE: usize = 1024;
/// The longest repository name (the distribution spec's limit).
pub const MAX_REPOSITORY: usize = 255;
/// The longest tag.
pub const MAX_TAG: usize = 128;

/// What a reference points at in its repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A tag (resolved to a digest by asking the registry).
    Tag(String),
    /// A manifest digest.
    Digest(Digest),
}

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The registry host: a DNS name, an IPv4 address, or an IPv6 address
    /// (without its brackets).
    pub host: String,
    /// The port, when given.
    pub port: Option<u16>,
    /// The repository (`team/app`).
    pub repository: String,
    /// The tag or digest.
    pub target: Target,
}

fn bad(text: &str, why: &'static str) -> OciError {
    // Cut so that an error never carries an unbounded input.
    let shown: String = text.chars().take(80).collect();
    OciError::BadReference {
        reference: shown,
        why,
    }
}

impl ImageRef {
    /// Parses `HOST[:PORT]/REPO[:TAG|@sha256:HEX]`.
    pub fn parse(text: &str) -> Result<Self, OciError> {
        if text.len() > MAX_REFERENCE {
            return Err(bad(text, "longer than 1024 bytes"));
        }
        let (authority, rest) = text
            .split_once('/')
            .ok_or_else(|| bad(text, "no HOST/ before the repository"))?;
        let (host, port) = parse_authority(authority).map_err(|why| bad(text, why))?;
        let (repository, target) = match rest.split_once('@') {
            Some((repo, digest)) => {
                let hex = digest
                    .strip_prefix("sha256:")
                    .ok_or_else(|| bad(text, "the digest is not sha256:"))?;
                if hex.len() != 64 || !hex.bytes().all(is_lower_hex) {
                    return Err(bad(text, "the digest is not 64 lowercase hex digits"));
                }
                let d = Digest::from_hex(DigestAlgorithm::Sha256, hex)
                    .map_err(|_| bad(text, "the digest is not 64 lowercase hex digits"))?;
                (repo, Target::Digest(d))
            }
            None => match rest.rsplit_once(':') {
                Some((repo, tag)) => {
                    if !valid_tag(tag) {
                        return Err(bad(text, "malformed tag"));
                    }
                    (repo, Target::Tag(tag.to_owned()))
                }
                None => (rest, Target::Tag("latest".to_owned())),
            },
        };
        if !valid_repository(repository) {
            return Err(bad(text, "malformed repository name"));
        }
        Ok(Self {
            host,
            port,
            repository: repository.to_owned(),
            target,
        })
    }

    /// Whether the host is a loopback address or `localhost`: the only
    /// hosts plain HTTP may be used with.
    pub fn is_loopback(&self) -> bool {
        is_loopback_host(&self.host)
    }

    /// `HOST[:PORT]` as it goes in a URL (IPv6 in brackets).
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(p) => format!("{host}:{p}"),
            None => host,
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.authority(), self.repository)?;
        match &self.target {
            Target::Tag(t) => write!(f, ":{t}"),
            Target::Digest(d) => write!(f, "@{d}"),
        }
    }
}

/// Whether `host` (without brackets) is 127.0.0.0/8, `::1` or `localhost`.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) => a.is_loopback(),
        Ok(IpAddr::V6(a)) => a == Ipv6Addr::LOCALHOST,
        Err(_) => false,
    }
}

fn is_lower_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// `host[:port]` or `[v6][:port]`.
fn parse_authority(a: &str) -> Result<(String, Option<u16>), &'static str> {
    let (host, port) = if let Some(rest) = a.strip_prefix('[') {
        let (v6, after) = rest.split_once(']').ok_or("unclosed [ in the host")?;
        v6.parse::<Ipv6Addr>().map_err(|_| "malformed IPv6 host")?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or("text after the IPv6 host")?),
        };
        (v6, port)
    } else {
        match a.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (a, None),
        }
    };
    let port = match port {
        Some(p) => {
            if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err("malformed port");
            }
            Some(p.parse::<u16>().map_err(|_| "malformed port")?)
        }
        None => None,
    };
    if !a.starts_with('[') {
        let ok = !host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !ok {
            return Err("malformed host");
        }
    }
    Ok((host.to_owned(), port))
}

fn valid_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_TAG
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

fn valid_repository(repo: &str) -> bool {
    !repo.is_empty() && repo.len() <= MAX_REPOSITORY && repo.split('/').all(valid_component)
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() -> Result<(), OciError> {
        let r = ImageRef::parse("127.0.0.1:5000/team/app:v1.2")?;
        assert_eq!(r.host, "127.0.0.1");
        assert_eq!(r.port, Some(5000));
        assert_eq!(r.repository, "team/app");
        assert_eq!(r.target, Target::Tag("v1.2".into()));
        assert!(r.is_loopback());
        let d = Digest::sha256(b"m");
        let r = ImageRef::parse(&format!("registry.example.com/app@{d}"))?;
        assert_eq!(r.target, Target::Digest(d));
        assert_eq!(r.port, None);
        assert!(!r.is_loopback());
        let r = ImageRef::parse("[::1]:5000/a")?;
        assert_eq!(r.host, "::1");
        assert_eq!(r.target, Target::Tag("latest".into()));
        assert!(r.is_loopback());
        assert_eq!(r.to_string(), "[::1]:5000/a:latest");
        assert!(ImageRef::parse("localhost/a_b/c-d")?.is_loopback());
        assert!(ImageRef::parse("127.9.8.7/a")?.is_loopback());
        assert!(!ImageRef::parse("128.0.0.1/a")?.is_loopback());
        assert!(!ImageRef::parse("localhost.evil.example/a")?.is_loopback());
        Ok(())
    }

    #[test]
    fn refuses_malformed_references() {
        for text in [
            "app:v1",
            "host/",
            "host/App",
            "host/a//b",
            "host/a:",
            "host/a:-x",
            "host:99999/a",
            "host:/a",
            "[::1/a",
            "[1::2::3]/a",
            "host/a@sha256:ABC",
            "host/a@sha512:00",
            "ho st/a",
            "-host/a",
            "host/a..b",
            "host/a___b",
        ] {
            assert!(ImageRef::parse(text).is_err(), "{text} was accepted");
        }
        let long = format!("h/{}", "a".repeat(MAX_REFERENCE));
        assert!(matches!(
            ImageRef::parse(&long),
            Err(OciError::BadReference { .. })
        ));
    }
}
