//! OpenSSH allowed signers files: which keys may sign for which principals
//! (ssh-keygen(1), "ALLOWED SIGNERS"), as `git` configures them with
//! `gpg.ssh.allowedSignersFile`.
//!
//! One entry per line: principals, optional options, then a public key.
//!
//! ```text
//! # comments and blank lines are ignored
//! alice@example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI... alice's laptop
//! *@example.com,!mallory@example.com namespaces="git,file" ecdsa-sha2-nistp256 AAAA...
//! bob@example.com valid-after="20260101",valid-before="20270101Z" sk-ssh-ed25519@openssh.com AAAA...
//! ```
//!
//! - **Principals**: a comma-separated pattern list (`*` and `?` wildcards,
//!   `!` negates: a matching negated pattern rules the line out), optionally
//!   in double quotes.
//! - **Options** (names case-insensitive, values in double quotes):
//!   `namespaces="git,file"` (a pattern list of namespaces the key may sign
//!   in), `valid-after="YYYYMMDD[HHMM[SS]][Z]"`, `valid-before="..."`
//!   (times are local unless they end in `Z` or `UTC`; the caller says how
//!   local time maps to an instant), and `cert-authority`.
//! - **cert-authority** lines name a CA that signs OpenSSH certificates.
//!   vouch does not accept certificate keys in signatures, so such a line
//!   never matches a signature — exactly what OpenSSH does for a signature
//!   made by a plain key. They are parsed and kept, never used.
//!
//! A line that cannot be parsed (an unknown option, a key type vouch does
//! not support such as RSA, a certificate) is recorded as a
//! [`LineProblem`] and skipped, as `ssh-keygen` skips it; the other lines
//! still count.
//!
//! Lookups follow `ssh-keygen -Y verify` / `-Y find-principals`: the first
//! line (in file order) whose principals match, whose key is the signing key
//! and whose namespace and validity options allow the signature, wins.

use std::fmt;

use vouch_core::{KeyError, PublicKey, Timestamp};

/// Largest allowed signers file accepted (1 MiB).
pub const MAX_FILE_LEN: usize = 1024 * 1024;
/// The length (in bytes) from which a sub-pattern never matches: OpenSSH's
/// `match_pattern_list` copies each into a 1024-byte buffer and answers "no
/// match" for the whole list when one of 1023 bytes or more does not fit
/// with its terminator; [`match_pattern_list`] does the same.
pub const MAX_SUBPATTERN: usize = 1023;

/// A calendar date and time of day with no zone: how `valid-after`,
/// `valid-before` and `-Overify-time` are written unless they end in `Z`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilTime {
    /// Year (four digits).
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59.
    pub second: u8,
}

impl CivilTime {
    /// The instant this civil time names in UTC (`None` for an impossible
    /// date such as February 30).
    pub fn to_utc(self) -> Option<Timestamp> {
        self.to_string().parse().ok()
    }
}

impl fmt::Display for CivilTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// A time as OpenSSH writes it: `YYYYMMDD`, `YYYYMMDDHHMM` or
/// `YYYYMMDDHHMMSS`, in UTC with a `Z` or `UTC` suffix, else local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignerTime {
    /// An instant (the text ended in `Z` or `UTC`).
    Utc(Timestamp),
    /// A civil time in the verifier's local zone.
    Local(CivilTime),
}

impl SignerTime {
    /// Parses OpenSSH's time syntax (`parse_absolute_time`).
    pub fn parse(text: &str) -> Result<Self, AllowedSignersError> {
        let bad = || AllowedSignersError::Time(text.chars().take(40).collect());
        let (digits, utc) = if let Some(d) = text
            .strip_suffix('Z')
            .or_else(|| text.strip_suffix('z'))
            .filter(|d| !d.is_empty())
        {
            (d, true)
        } else if let Some(d) = text
            .len()
            .checked_sub(3)
            .filter(|&at| at > 0)
            .and_then(|at| Some((text.get(..at)?, text.get(at..)?)))
            .filter(|(_, suffix)| suffix.eq_ignore_ascii_case("utc"))
            .map(|(d, _)| d)
        {
            (d, true)
        } else {
            (text, false)
        };
        if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|s| s.parse::<u16>().ok());
        let field = |r: std::ops::Range<usize>| num(r).and_then(|v| u8::try_from(v).ok());
        let civil = CivilTime {
            year: num(0..4).ok_or_else(bad)?,
            month: field(4..6).ok_or_else(bad)?,
            day: field(6..8).ok_or_else(bad)?,
            hour: if digits.len() >= 12 {
                field(8..10).ok_or_else(bad)?
            } else {
                0
            },
            minute: if digits.len() >= 12 {
                field(10..12).ok_or_else(bad)?
            } else {
                0
            },
            second: if digits.len() == 14 {
                field(12..14).ok_or_else(bad)?
            } else {
                0
            },
        };
        // Reject impossible dates and times even when they are local.
        let instant = civil.to_utc().ok_or_else(bad)?;
        Ok(if utc {
            SignerTime::Utc(instant)
        } else {
            SignerTime::Local(civil)
        })
    }

    /// The instant, mapping a local civil time with `local` (which returns
    /// `None` for a civil time that does not exist in the local zone).
    pub fn resolve(self, local: &dyn Fn(CivilTime) -> Option<Timestamp>) -> Option<Timestamp> {
        match self {
            SignerTime::Utc(t) => Some(t),
            SignerTime::Local(c) => local(c),
        }
    }
}

/// A local-time mapping for a verifier whose local zone is UTC.
pub fn local_is_utc(civil: CivilTime) -> Option<Timestamp> {
    civil.to_utc()
}

/// Whether `text` matches an OpenSSH pattern (`*` any run, `?` any one character).
fn match_pattern(text: &[u8], pattern: &[u8]) -> bool {
    // Iterative wildcard matching with single-star backtracking: linear
    // memory, at most len(text) * len(pattern) steps.
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                t += 1;
                p += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// The outcome of matching a string against a pattern list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatternMatch {
    /// A positive pattern matched and no negated one did.
    Positive,
    /// A negated pattern (`!pattern`) matched: a definite no.
    Negative,
    /// Nothing matched.
    NoMatch,
}

/// Matches `text` against a comma-separated OpenSSH pattern list
/// (`match_pattern_list`, case-sensitive).
pub fn match_pattern_list(text: &str, patterns: &str) -> PatternMatch {
    let mut positive = false;
    for sub in patterns.split(',') {
        let (negated, pattern) = match sub.strip_prefix('!') {
            Some(p) => (true, p),
            None => (false, sub),
        };
        if pattern.len() >= MAX_SUBPATTERN {
            return PatternMatch::NoMatch;
        }
        if match_pattern(text.as_bytes(), pattern.as_bytes()) {
            if negated {
                return PatternMatch::Negative;
            }
            positive = true;
        }
    }
    if positive {
        PatternMatch::Positive
    } else {
        PatternMatch::NoMatch
    }
}

/// One entry of an allowed signers file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedSigner {
    /// The 1-based line number.
    pub line: usize,
    /// The principals pattern list, as written (quotes removed).
    pub principals: String,
    /// `cert-authority`: the key is a certificate authority (never matches, see the module docs).
    pub cert_authority: bool,
    /// `namespaces="..."`: the namespaces the key may sign in (a pattern list).
    pub namespaces: Option<String>,
    /// `valid-after="..."`.
    pub valid_after: Option<SignerTime>,
    /// `valid-before="..."`.
    pub valid_before: Option<SignerTime>,
    /// The public key.
    pub key: PublicKey,
}

impl AllowedSigner {
    /// Whether `principal` matches this line's principals.
    pub fn matches_principal(&self, principal: &str) -> bool {
        match_pattern_list(principal, &self.principals) == PatternMatch::Positive
    }

    /// Whether the line lets its key sign in `namespace`.
    pub fn allows_namespace(&self, namespace: &str) -> bool {
        self.namespaces
            .as_deref()
            .is_none_or(|n| match_pattern_list(namespace, n) == PatternMatch::Positive)
    }

    /// The principals as `ssh-keygen -Y find-principals` prints them: the
    /// comma-separated items up to the first empty one.
    pub fn principal_names(&self) -> impl Iterator<Item = &str> {
        self.principals.split(',').take_while(|p| !p.is_empty())
    }

    /// Whether the line's validity window holds at `at` (`valid-after` ≤ at
    /// ≤ `valid-before`, as OpenSSH compares). A local time `local` cannot
    /// map counts as not valid.
    pub fn valid_at(
        &self,
        at: Timestamp,
        local: &dyn Fn(CivilTime) -> Option<Timestamp>,
    ) -> Result<(), SignerRefusal> {
        if let Some(after) = self.valid_after {
            match after.resolve(local) {
                Some(t) if at >= t => {}
                _ => {
                    return Err(SignerRefusal::NotYetValid {
                        line: self.line,
                        at,
                    });
                }
            }
        }
        if let Some(before) = self.valid_before {
            match before.resolve(local) {
                Some(t) if at <= t => {}
                _ => {
                    return Err(SignerRefusal::Expired {
                        line: self.line,
                        at,
                    });
                }
            }
        }
        Ok(())
    }
}

/// A line that was skipped, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub error: AllowedSignersError,
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.error)
    }
}

/// A parsed allowed signers file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedSigners {
    entries: Vec<AllowedSigner>,
    problems: Vec<LineProblem>,
}

/// Splits off the first whitespace-delimited token, honouring OpenSSH's
/// quoting (`strdelimw`): a `"` starts a quoted run that ends the token at
/// the closing `"`.
fn first_token(s: &str) -> Result<(String, &str), AllowedSignersError> {
    let mut token = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            ' ' | '\t' => return Ok((token, &s[i..])),
            '"' => {
                for (j, c) in chars.by_ref() {
                    if c == '"' {
                        return Ok((token, &s[j + 1..]));
                    }
                    token.push(c);
                }
                return Err(AllowedSignersError::UnterminatedQuote);
            }
            c => token.push(c),
        }
    }
    Ok((token, ""))
}

/// The end of the options field: the first unquoted blank.
fn options_end(s: &str) -> Result<usize, AllowedSignersError> {
    let b = s.as_bytes();
    let mut quoted = false;
    let mut i = 0;
    while i < b.len() && (quoted || (b[i] != b' ' && b[i] != b'\t')) {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'"') {
            i += 1;
        } else if b[i] == b'"' {
            quoted = !quoted;
        }
        i += 1;
    }
    if quoted {
        Err(AllowedSignersError::UnterminatedQuote)
    } else {
        Ok(i)
    }
}

/// Reads `"value"` (with `\"` escapes) from the start of `s`.
fn dequote(s: &str) -> Result<(String, &str), AllowedSignersError> {
    let rest = s
        .strip_prefix('"')
        .ok_or(AllowedSignersError::MissingQuote)?;
    let mut out = String::new();
    let mut chars = rest.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' if chars.peek().map(|&(_, n)| n) == Some('"') => {
                chars.next();
                out.push('"');
            }
            '"' => return Ok((out, &rest[i + 1..])),
            c => out.push(c),
        }
    }
    Err(AllowedSignersError::UnterminatedQuote)
}

/// Case-insensitive `name=` prefix.
fn strip_option<'a>(s: &'a str, name: &str) -> Option<&'a str> {
    let head = s.get(..name.len())?;
    if head.eq_ignore_ascii_case(name) {
        s[name.len()..].strip_prefix('=')
    } else {
        None
    }
}

struct Options {
    cert_authority: bool,
    namespaces: Option<String>,
    valid_after: Option<SignerTime>,
    valid_before: Option<SignerTime>,
}

/// OpenSSH's `sshsigopt_parse`.
fn parse_options(mut s: &str) -> Result<Options, AllowedSignersError> {
    let mut o = Options {
        cert_authority: false,
        namespaces: None,
        valid_after: None,
        valid_before: None,
    };
    while !s.is_empty() {
        if s.get(..14)
            .is_some_and(|w| w.eq_ignore_ascii_case("cert-authority"))
        {
            o.cert_authority = true;
            s = &s[14..];
        } else if let Some(v) = strip_option(s, "namespaces") {
            if o.namespaces.is_some() {
                return Err(AllowedSignersError::DuplicateOption("namespaces"));
            }
            let (value, rest) = dequote(v)?;
            o.namespaces = Some(value);
            s = rest;
        } else if let Some(v) = strip_option(s, "valid-after") {
            if o.valid_after.is_some() {
                return Err(AllowedSignersError::DuplicateOption("valid-after"));
            }
            let (value, rest) = dequote(v)?;
            o.valid_after = Some(SignerTime::parse(&value)?);
            s = rest;
        } else if let Some(v) = strip_option(s, "valid-before") {
            if o.valid_before.is_some() {
                return Err(AllowedSignersError::DuplicateOption("valid-before"));
            }
            let (value, rest) = dequote(v)?;
            o.valid_before = Some(SignerTime::parse(&value)?);
            s = rest;
        }
        if s.is_empty() {
            break;
        }
        match s.strip_prefix(',') {
            Some("") => return Err(AllowedSignersError::UnexpectedEndOfOptions),
            Some(rest) => s = rest,
            None => {
                return Err(AllowedSignersError::UnknownOption(
                    s.split(',').next().unwrap_or(s).chars().take(40).collect(),
                ));
            }
        }
    }
    // Both bounds in the same form can be compared now; mixed ones are
    // compared when resolved.
    if let (Some(a), Some(b)) = (o.valid_after, o.valid_before) {
        let inverted = match (a, b) {
            (SignerTime::Utc(a), SignerTime::Utc(b)) => b <= a,
            (SignerTime::Local(a), SignerTime::Local(b)) => b <= a,
            _ => false,
        };
        if inverted {
            return Err(AllowedSignersError::InvertedValidity);
        }
    }
    Ok(o)
}

fn parse_line(line_no: usize, line: &str) -> Result<Option<AllowedSigner>, AllowedSignersError> {
    let line = line.trim_start_matches([' ', '\t', '\r', '\n']);
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let (principals, rest) = first_token(line)?;
    let rest = rest.trim_start_matches([' ', '\t']);
    if principals.is_empty() || rest.is_empty() {
        return Err(AllowedSignersError::MissingKey);
    }
    let first_word = rest.split([' ', '\t']).next().unwrap_or_default();
    let is_options = first_word.contains('=')
        || first_word
            .get(..14)
            .is_some_and(|w| w.eq_ignore_ascii_case("cert-authority"));
    let (options, key_text) = if is_options {
        let end = options_end(rest)?;
        (
            parse_options(&rest[..end])?,
            rest[end..].trim_start_matches([' ', '\t']),
        )
    } else {
        (parse_options("")?, rest)
    };
    if key_text.is_empty() {
        return Err(AllowedSignersError::MissingKey);
    }
    let key = PublicKey::from_openssh(key_text.trim_end_matches(['\r', '\n']))
        .map_err(AllowedSignersError::Key)?;
    Ok(Some(AllowedSigner {
        line: line_no,
        principals,
        cert_authority: options.cert_authority,
        namespaces: options.namespaces,
        valid_after: options.valid_after,
        valid_before: options.valid_before,
        key,
    }))
}

impl AllowedSigners {
    /// Parses a file's text. Lines that cannot be read are skipped and
    /// listed in [`AllowedSigners::problems`]; only a file that is too large
    /// or not UTF-8 is refused as a whole.
    pub fn parse(text: &[u8]) -> Result<Self, AllowedSignersError> {
        if text.len() > MAX_FILE_LEN {
            return Err(AllowedSignersError::TooLarge {
                limit: MAX_FILE_LEN,
                actual: text.len(),
            });
        }
        let text = std::str::from_utf8(text).map_err(|_| AllowedSignersError::NotUtf8)?;
        let mut out = AllowedSigners::default();
        for (i, line) in text.split('\n').enumerate() {
            match parse_line(i + 1, line) {
                Ok(Some(entry)) => out.entries.push(entry),
                Ok(None) => {}
                Err(error) => out.problems.push(LineProblem { line: i + 1, error }),
            }
        }
        Ok(out)
    }

    /// The entries, in file order.
    pub fn entries(&self) -> &[AllowedSigner] {
        &self.entries
    }

    /// The lines that were skipped.
    pub fn problems(&self) -> &[LineProblem] {
        &self.problems
    }

    /// The first entry (`ssh-keygen -Y find-principals`) whose key is `key`
    /// and that is valid at `at`, whatever its principals and namespaces.
    pub fn find_principals(
        &self,
        key: &PublicKey,
        at: Timestamp,
        local: &dyn Fn(CivilTime) -> Option<Timestamp>,
    ) -> Option<&AllowedSigner> {
        self.entries
            .iter()
            .find(|e| !e.cert_authority && e.key == *key && e.valid_at(at, local).is_ok())
    }

    /// The first entry (`ssh-keygen -Y verify -I principal`) that lets
    /// `key` sign for `principal` in `namespace` at `at`; else the reason
    /// from the line that came closest.
    pub fn check(
        &self,
        key: &PublicKey,
        principal: &str,
        namespace: &str,
        at: Timestamp,
        local: &dyn Fn(CivilTime) -> Option<Timestamp>,
    ) -> Result<&AllowedSigner, SignerRefusal> {
        let mut reason = SignerRefusal::NoPrincipal(principal.chars().take(200).collect());
        for e in self
            .entries
            .iter()
            .filter(|e| e.matches_principal(principal))
        {
            if e.cert_authority || e.key != *key {
                if matches!(reason, SignerRefusal::NoPrincipal(_)) {
                    reason = SignerRefusal::KeyNotListed(principal.chars().take(200).collect());
                }
                continue;
            }
            if !e.allows_namespace(namespace) {
                reason = SignerRefusal::Namespace {
                    line: e.line,
                    namespace: namespace.chars().take(100).collect(),
                };
                continue;
            }
            match e.valid_at(at, local) {
                Ok(()) => return Ok(e),
                Err(r) => reason = r,
            }
        }
        Err(reason)
    }
}

/// Why a line of an allowed signers file (or a time) could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AllowedSignersError {
    /// The file is larger than [`MAX_FILE_LEN`].
    #[error("allowed signers file is {actual} bytes; the limit is {limit}")]
    TooLarge {
        /// The limit.
        limit: usize,
        /// The size found.
        actual: usize,
    },
    /// The file is not UTF-8 text.
    #[error("allowed signers file is not UTF-8 text")]
    NotUtf8,
    /// No key after the principals (and options).
    #[error("missing public key")]
    MissingKey,
    /// The key could not be read or is of a type vouch does not support
    /// (RSA, DSA, P-384, certificates).
    #[error("public key refused")]
    Key(#[source] KeyError),
    /// A quoted string has no closing quote.
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    /// An option value is not in double quotes.
    #[error("option value must be in double quotes")]
    MissingQuote,
    /// An option vouch (and OpenSSH) does not know.
    #[error("unknown option {0:?}")]
    UnknownOption(String),
    /// An option given twice.
    #[error("option {0} given twice")]
    DuplicateOption(&'static str),
    /// A comma ends the options.
    #[error("options end with a comma")]
    UnexpectedEndOfOptions,
    /// A time is not `YYYYMMDD[HHMM[SS]][Z]`.
    #[error(
        "invalid time {0:?} (expected YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, optionally ending in Z)"
    )]
    Time(String),
    /// `valid-before` is not after `valid-after`.
    #[error("valid-before is not after valid-after")]
    InvertedValidity,
}

/// Why an allowed signers file does not let a key sign.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignerRefusal {
    /// No line names the principal.
    #[error("no allowed signers line names principal {0:?}")]
    NoPrincipal(String),
    /// Lines name the principal, but none with this key.
    #[error("the signing key is not listed for principal {0:?}")]
    KeyNotListed(String),
    /// The line does not allow the namespace.
    #[error("line {line}: the key is not allowed to sign in namespace {namespace:?}")]
    Namespace {
        /// The line.
        line: usize,
        /// The namespace.
        namespace: String,
    },
    /// The line's `valid-after` is later than the verification time.
    #[error("line {line}: the key is not yet valid at {at}")]
    NotYetValid {
        /// The line.
        line: usize,
        /// The verification time.
        at: Timestamp,
    },
    /// The line's `valid-before` is earlier than the verification time.
    #[error("line {line}: the key expired before {at}")]
    Expired {
        /// The line.
        line: usize,
        /// The verification time.
        at: Timestamp,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parsers_never_panic(text in "[ -~\t\n\"*!?,=]{0,200}", s in ".{0,40}", p in "[a-c*?!,]{0,20}") {
            let _ = AllowedSigners::parse(text.as_bytes());
            let _ = AllowedSigners::parse(format!("{text} {ED}").as_bytes());
            let _ = SignerTime::parse(&s);
            let _ = match_pattern_list(&s, &p);
        }

        #[test]
        fn star_matches_everything(s in ".{0,40}") {
            prop_assert_eq!(match_pattern_list(&s, "*"), PatternMatch::Positive);
            prop_assert_eq!(match_pattern_list(&s, "*,!*"), PatternMatch::Negative);
        }
    }

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFOG6kY7Rf4UtCFvPwKgo/BztXck2xC4a2WyA34XtIwZ";

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn patterns() {
        use PatternMatch::*;
        assert_eq!(
            match_pattern_list("alice@example.com", "*@example.com"),
            Positive
        );
        assert_eq!(match_pattern_list("alice@example.com", "?lice@*"), Positive);
        assert_eq!(
            match_pattern_list("alice@example.com", "bob@*,alice@example.com"),
            Positive
        );
        assert_eq!(
            match_pattern_list("alice@example.com", "*,!alice@*"),
            Negative
        );
        assert_eq!(match_pattern_list("alice@example.com", "!bob@*"), NoMatch);
        assert_eq!(match_pattern_list("Alice", "alice"), NoMatch);
        assert_eq!(match_pattern_list("", ""), Positive);
        assert_eq!(match_pattern_list("a", ""), NoMatch);
        assert!(match_pattern(
            b"aaaaaaaaaaaaaaaaaaaaaaab",
            b"*a*a*a*a*a*a*b"
        ));
        assert!(!match_pattern(
            b"aaaaaaaaaaaaaaaaaaaaaaaa",
            b"*a*a*a*a*a*a*b"
        ));
        assert!(match_pattern(b"abc", b"a*"));
        assert!(match_pattern(b"abc", b"*c"));
        assert!(!match_pattern(b"abc", b"*d"));
    }

    #[test]
    fn times() {
        assert_eq!(
            SignerTime::parse("20260102").unwrap(),
            SignerTime::Local(CivilTime {
                year: 2026,
                month: 1,
                day: 2,
                hour: 0,
                minute: 0,
                second: 0
            })
        );
        assert_eq!(
            SignerTime::parse("202601021314Z").unwrap(),
            SignerTime::Utc(t("2026-01-02T13:14:00Z"))
        );
        assert_eq!(
            SignerTime::parse("20260102131415UTC").unwrap(),
            SignerTime::Utc(t("2026-01-02T13:14:15Z"))
        );
        for bad in [
            "2026010",
            "20261302",
            "20260230",
            "2026010225",
            "Z",
            "x0260102",
            "20260102131460",
        ] {
            assert!(SignerTime::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_the_forms_openssh_documents() {
        let text = format!(
            "# comment\n\n  alice@example.com {ED} alice\n\
\"bob@example.com,carol@example.com\" namespaces=\"git,file\",VALID-AFTER=\"20260101\",valid-before=\"20270101Z\" {ED}\n\
*@example.com cert-authority {ED}\n\
dave@example.com unknown=\"x\" {ED}\n\
erin@example.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ\n\
frank@example.com namespaces=git {ED}\n\
grace@example.com\n"
        );
        let a = AllowedSigners::parse(text.as_bytes()).unwrap();
        let e = a.entries();
        assert_eq!(e.len(), 3, "{:?}", a.problems());
        assert_eq!(e[0].line, 3);
        assert_eq!(e[0].principals, "alice@example.com");
        assert_eq!(e[1].principals, "bob@example.com,carol@example.com");
        assert_eq!(e[1].namespaces.as_deref(), Some("git,file"));
        assert!(matches!(e[1].valid_after, Some(SignerTime::Local(_))));
        assert!(matches!(e[1].valid_before, Some(SignerTime::Utc(_))));
        assert!(e[2].cert_authority);
        let lines: Vec<usize> = a.problems().iter().map(|p| p.line).collect();
        assert_eq!(lines, [6, 7, 8, 9]);
        assert!(matches!(
            a.problems()[0].error,
            AllowedSignersError::UnknownOption(_)
        ));
        assert!(matches!(a.problems()[1].error, AllowedSignersError::Key(_)));
        assert!(matches!(
            a.problems()[2].error,
            AllowedSignersError::MissingQuote
        ));
        assert!(matches!(
            a.problems()[3].error,
            AllowedSignersError::MissingKey
        ));
    }

    #[test]
    fn lookups_follow_ssh_keygen() {
        let key = PublicKey::from_openssh(ED).unwrap();
        let text = format!(
            "alice@example.com namespaces=\"file\" {ED}\n\
*@example.com,!mallory@example.com valid-after=\"20260101Z\",valid-before=\"20270101Z\" {ED}\n\
cert@example.com cert-authority {ED}\n"
        );
        let a = AllowedSigners::parse(text.as_bytes()).unwrap();
        let at = t("2026-06-01T00:00:00Z");
        let ok = a
            .check(&key, "alice@example.com", "git", at, &local_is_utc)
            .unwrap();
        assert_eq!(ok.line, 2, "line 1 does not allow git; line 2 does");
        assert_eq!(
            a.check(&key, "alice@example.com", "file", at, &local_is_utc)
                .unwrap()
                .line,
            1
        );
        assert!(matches!(
            a.check(&key, "mallory@example.com", "git", at, &local_is_utc),
            Err(SignerRefusal::NoPrincipal(_))
        ));
        assert!(matches!(
            a.check(
                &key,
                "cert@example.com",
                "git",
                t("2028-01-01T00:00:00Z"),
                &local_is_utc
            ),
            Err(SignerRefusal::Expired { line: 2, .. })
        ));
        assert!(matches!(
            a.check(
                &key,
                "bob@example.com",
                "git",
                t("2025-01-01T00:00:00Z"),
                &local_is_utc
            ),
            Err(SignerRefusal::NotYetValid { line: 2, .. })
        ));
        let other = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
        let other = PublicKey::ed25519(&other.verifying_key().to_bytes()).unwrap();
        assert!(matches!(
            a.check(&other, "alice@example.com", "git", at, &local_is_utc),
            Err(SignerRefusal::KeyNotListed(_))
        ));
        assert!(a.find_principals(&other, at, &local_is_utc).is_none());
        let found = a.find_principals(&key, at, &local_is_utc).unwrap();
        assert_eq!(
            found.principal_names().collect::<Vec<_>>(),
            ["alice@example.com"]
        );
        // Outside line 2's window, line 1 still names the key.
        assert_eq!(
            a.find_principals(&key, t("2030-01-01T00:00:00Z"), &local_is_utc)
                .unwrap()
                .line,
            1
        );
        // Local times go through the caller's mapping (here: local = UTC+2).
        let plus2 = |c: CivilTime| c.to_utc().map(|t| t.plus_seconds(-7200));
        let local =
            AllowedSigners::parse(format!("x valid-after=\"202601011200\" {ED}").as_bytes())
                .unwrap();
        assert!(
            local
                .check(&key, "x", "git", t("2026-01-01T10:30:00Z"), &plus2)
                .is_ok()
        );
        assert!(
            local
                .check(&key, "x", "git", t("2026-01-01T09:30:00Z"), &plus2)
                .is_err()
        );
    }
}
