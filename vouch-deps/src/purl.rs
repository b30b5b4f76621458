//! Package URLs (purl spec): `pkg:<type>/<namespace>/<name>@<version>`.

use crate::Ecosystem;

/// The purl of a package.
pub(crate) fn purl(ecosystem: Ecosystem, name: &str, version: Option<&str>) -> String {
    let mut out = format!("pkg:{}/", ecosystem.purl_type());
    match ecosystem {
        Ecosystem::Npm => {
            // The scope is the namespace, its `@` percent-encoded as the
            // purl spec's npm examples show (`pkg:npm/%40angular/core`).
            if let Some((scope, rest)) = name.split_once('/') {
                encode(&mut out, scope);
                out.push('/');
                encode(&mut out, rest);
            } else {
                encode(&mut out, name);
            }
        }
        Ecosystem::Pypi => encode(&mut out, &pep503(name)),
        Ecosystem::Cargo => encode(&mut out, name),
    }
    if let Some(v) = version {
        out.push('@');
        encode(&mut out, v);
    }
    out
}

/// A PyPI name normalized as PEP 503 says: lowercase, every run of `-`,
/// `_` and `.` one `-` (what the purl spec asks for pypi names).
pub(crate) fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Percent-encodes everything but the unreserved characters of RFC 3986.
fn encode(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls() {
        assert_eq!(
            purl(Ecosystem::Npm, "@babel/core", Some("7.24.0")),
            "pkg:npm/%40babel/core@7.24.0"
        );
        assert_eq!(
            purl(Ecosystem::Npm, "lodash", Some("4.17.21")),
            "pkg:npm/lodash@4.17.21"
        );
        assert_eq!(
            purl(Ecosystem::Pypi, "Django_REST.framework", Some("3.15.1")),
            "pkg:pypi/django-rest-framework@3.15.1"
        );
        assert_eq!(
            purl(Ecosystem::Cargo, "serde", Some("1.0.0+build")),
            "pkg:cargo/serde@1.0.0%2Bbuild"
        );
        assert_eq!(purl(Ecosystem::Pypi, "six", None), "pkg:pypi/six");
    }

    #[test]
    fn pep503_runs() {
        assert_eq!(pep503("A--b__C..d"), "a-b-c-d");
        assert_eq!(pep503("zope.interface"), "zope-interface");
    }
}
