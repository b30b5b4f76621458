//! pip requirements files, as `pip install --require-hashes -r FILE` reads
//! them (and as `pip-compile --generate-hashes` and `uv pip compile
//! --generate-hashes` write them).
//!
//! Lines are read the way pip's `req_file` module reads them: a line
//! ending with `\` continues on the next (unless it is a comment line);
//! then a `#` at the start of a line or after whitespace starts a comment;
//! then the line's leading words up to the first word starting with `-`
//! are the requirement and the rest are its options. So:
//!
//! ```text
//! requests==2.32.3 ; python_version >= "3.8" \
//!     --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6 \
//!     --hash=sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760
//! ```
//!
//! is `requests` version `2.32.3` with two SHA-256 digests (one per
//! archive it may install: a wheel and the sdist; either matching
//! identifies it) and the marker `python_version >= "3.8"` kept as
//! written. `sha512` hashes count too; `sha384` ones are weak digests
//! (vouch does not compute SHA-384), as is anything else pip accepts.
//!
//! A requirement without `--hash`, or pinned by anything but `==`/`===`,
//! is still a dependency (with no digest or no version), so a report shows
//! it. `-r`/`--requirement` and `-c`/`--constraint` lines are listed in
//! [`Lock::includes`], never followed. `-e` (editable) requirements are
//! local or git dependencies with no digest. Global options (`--index-url`,
//! `--require-hashes`, ...) are accepted and ignored; an unknown option is
//! refused, as pip refuses it.

use crate::error::shown;
use crate::purl::pep503;
use crate::{
    DepsError, Ecosystem, Format, Include, IncludeKind, Location, Lock, LockedDependency,
    MAX_DIGESTS, MAX_ENTRIES, MAX_LINE, Problem, Source, WeakDigest, bounded,
};
use vouch_core::{Digest, DigestAlgorithm};

/// Options that take a value and say nothing about what is installed.
const GLOBAL_WITH_VALUE: &[&str] = &[
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--trusted-host",
    "--only-binary",
    "--no-binary",
    "--use-feature",
    "--config-settings",
    "--global-option",
];

/// Flags without a value.
const GLOBAL_FLAGS: &[&str] = &["--no-index", "--pre", "--prefer-binary", "--require-hashes"];

/// Reads a requirements file (see the module docs).
pub fn parse(bytes: &[u8]) -> Result<Lock, DepsError> {
    let text = std::str::from_utf8(bytes).map_err(|e| DepsError::NotUtf8 {
        offset: e.valid_up_to(),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut dependencies = Vec::new();
    let mut includes = Vec::new();
    for (line, logical) in logical_lines(text)? {
        let err = |problem| DepsError::Pip { line, problem };
        let content = strip_comment(&logical).trim();
        if content.is_empty() {
            continue;
        }
        if dependencies.len() + includes.len() >= MAX_ENTRIES {
            return Err(DepsError::TooManyEntries { max: MAX_ENTRIES });
        }
        match one_line(content, line).map_err(err)? {
            Parsed::Dependency(d) => dependencies.push(*d),
            Parsed::Include(i) => includes.push(i),
            Parsed::Nothing => {}
        }
    }
    Ok(Lock {
        format: Format::Pip,
        format_version: None,
        dependencies,
        includes,
    })
}

/// The logical lines with the number of their first physical line.
fn logical_lines(text: &str) -> Result<Vec<(usize, String)>, DepsError> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let number = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if line.len() > MAX_LINE {
            return Err(DepsError::Pip {
                line: number,
                problem: Problem::LineTooLong {
                    len: line.len(),
                    max: MAX_LINE,
                },
            });
        }
        let comment = is_comment_line(line);
        if !line.ends_with('\\') || comment {
            // A comment line ends a continuation; pip prefixes it with a
            // space so that it is still seen as a comment once joined.
            let piece = if comment {
                format!(" {line}")
            } else {
                line.to_owned()
            };
            match pending.take() {
                Some((first, mut joined)) => {
                    push_bounded(&mut joined, &piece, first)?;
                    out.push((first, joined));
                }
                None => out.push((number, piece)),
            }
        } else {
            let piece = line.trim_end_matches('\\');
            match &mut pending {
                Some((first, joined)) => push_bounded(joined, piece, *first)?,
                None => pending = Some((number, piece.to_owned())),
            }
        }
        if out.len() > MAX_ENTRIES {
            return Err(DepsError::TooManyEntries { max: MAX_ENTRIES });
        }
    }
    // pip reads a continuation on the last line as the end of the line.
    out.extend(pending);
    Ok(out)
}

fn push_bounded(joined: &mut String, piece: &str, first: usize) -> Result<(), DepsError> {
    if joined.len() + piece.len() > MAX_LINE {
        return Err(DepsError::Pip {
            line: first,
            problem: Problem::LineTooLong {
                len: joined.len() + piece.len(),
                max: MAX_LINE,
            },
        });
    }
    joined.push_str(piece);
    Ok(())
}

/// pip's `COMMENT_RE.match`: `#` at the start, after optional whitespace.
fn is_comment_line(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// The line up to its comment: a `#` at the start or after whitespace
/// (so a URL's `#egg=` fragment is not one).
fn strip_comment(line: &str) -> &str {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return &line[..i];
        }
        prev_space = c.is_whitespace();
    }
    line
}

enum Parsed {
    Dependency(Box<LockedDependency>),
    Include(Include),
    Nothing,
}

fn one_line(content: &str, line: usize) -> Result<Parsed, Problem> {
    if let Some(c) = content.chars().find(|c| c.is_control() && *c != '\t') {
        return Err(Problem::ControlCharacter(u32::from(c)));
    }
    let words: Vec<&str> = content.split_whitespace().collect();
    let split = words
        .iter()
        .position(|w| w.starts_with('-'))
        .unwrap_or(words.len());
    let (args, options) = words.split_at(split);
    let mut hashes = Vec::new();
    let mut editable = None;
    let mut include = None;
    let mut i = 0;
    while i < options.len() {
        let word = options[i];
        i += 1;
        let (name, inline) = match word.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => short_option(word),
        };
        let mut value = |label: &'static str| -> Result<&str, Problem> {
            match inline {
                Some(v) if !v.is_empty() => Ok(v),
                Some(_) => Err(Problem::OptionValue(label)),
                None => {
                    let v = options.get(i).ok_or(Problem::OptionValue(label))?;
                    i += 1;
                    Ok(v)
                }
            }
        };
        match name {
            "--hash" => hashes.push(value("--hash")?.to_owned()),
            "-r" | "--requirement" => {
                include = Some((
                    IncludeKind::Requirements,
                    value("--requirement")?.to_owned(),
                ))
            }
            "-c" | "--constraint" => {
                include = Some((IncludeKind::Constraints, value("--constraint")?.to_owned()))
            }
            "-e" | "--editable" => editable = Some(value("--editable")?.to_owned()),
            n if GLOBAL_FLAGS.contains(&n) && inline.is_none() => {}
            n if GLOBAL_WITH_VALUE.contains(&n) => {
                value("a global option")?;
            }
            other => return Err(Problem::UnknownOption(shown(other))),
        }
    }
    if hashes.len() > MAX_DIGESTS {
        return Err(Problem::TooManyDigests { max: MAX_DIGESTS });
    }
    if let Some((kind, path)) = include {
        bounded("path", &path)?;
        return Ok(Parsed::Include(Include { kind, path, line }));
    }
    let (digests, weak_digests) = digests(&hashes)?;
    if let Some(target) = editable {
        bounded("editable", &target)?;
        let name = egg_name(&target).unwrap_or_else(|| target.clone());
        let source = if target.starts_with("git+") {
            Source::Git(target)
        } else {
            Source::Local(Some(target))
        };
        return Ok(Parsed::Dependency(Box::new(LockedDependency {
            ecosystem: Ecosystem::Pypi,
            name,
            version: None,
            digests,
            weak_digests,
            source,
            location: Location::Line(line),
            markers: None,
            dev: false,
        })));
    }
    if args.is_empty() {
        // Only global options on this line.
        return Ok(Parsed::Nothing);
    }
    let requirement = args.join(" ");
    bounded("requirement", &requirement)?;
    let mut dep = parse_requirement(&requirement, line)?;
    dep.digests = digests;
    dep.weak_digests = weak_digests;
    Ok(Parsed::Dependency(Box::new(dep)))
}

/// `-rFILE` and `-r` alike: a short option with its value attached.
fn short_option(word: &str) -> (&str, Option<&str>) {
    for short in ["-r", "-c", "-e", "-i", "-f"] {
        if let Some(rest) = word.strip_prefix(short)
            && !rest.is_empty()
            && !word.starts_with("--")
        {
            return (short, Some(rest));
        }
    }
    (word, None)
}

/// `#egg=NAME` of a VCS URL, the name pip gives an editable.
fn egg_name(url: &str) -> Option<String> {
    let fragment = url.split_once('#')?.1;
    fragment
        .split('&')
        .find_map(|kv| kv.strip_prefix("egg="))
        .filter(|n| valid_name(n))
        .map(str::to_owned)
}

fn digests(hashes: &[String]) -> Result<(Vec<Digest>, Vec<WeakDigest>), Problem> {
    let mut out = Vec::new();
    let mut weak = Vec::new();
    for h in hashes {
        let (alg, hex) = h.split_once(':').ok_or(Problem::BadHash)?;
        let known = match alg {
            "sha256" => DigestAlgorithm::from_name("sha256"),
            // Looked up by name: it counts once vouch-core computes it.
            "sha512" => DigestAlgorithm::from_name("sha512"),
            _ => None,
        };
        match known {
            Some(a) => out.push(Digest::from_hex(a, hex).map_err(|_| Problem::BadHash)?),
            None => {
                let len = match alg {
                    "sha384" => 96,
                    "sha512" => 128,
                    "sha224" => 56,
                    "sha1" => 40,
                    "md5" => 32,
                    _ => return Err(Problem::BadHash),
                };
                if hex.len() != len
                    || !hex
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                {
                    return Err(Problem::BadHash);
                }
                weak.push(WeakDigest {
                    algorithm: alg.to_owned(),
                    value: hex.to_owned(),
                });
            }
        }
    }
    Ok((out, weak))
}

/// A PEP 508 requirement: `name[extras] specifiers ; marker`,
/// `name[extras] @ url ; marker`, or a bare URL or path.
fn parse_requirement(text: &str, line: usize) -> Result<LockedDependency, Problem> {
    let name_len = text
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        .count();
    let rest = &text[name_len..];
    let bare = name_len == 0 || rest.starts_with(':') || rest.starts_with('/');
    if bare {
        // A URL or a path without a name: nothing to look a publisher up by.
        let (target, markers) = split_marker(text, true);
        let source = if target.starts_with("git+") {
            Source::Git(target.to_owned())
        } else if target.contains("://") {
            Source::Url(target.to_owned())
        } else {
            Source::Local(Some(target.to_owned()))
        };
        return Ok(LockedDependency {
            ecosystem: Ecosystem::Pypi,
            name: target.to_owned(),
            version: None,
            digests: Vec::new(),
            weak_digests: Vec::new(),
            source,
            location: Location::Line(line),
            markers,
            dev: false,
        });
    }
    let name = &text[..name_len];
    if !valid_name(name) {
        return Err(Problem::BadName(shown(name)));
    }
    let mut rest = rest.trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        let close = extras.find(']').ok_or(Problem::Unbalanced("[extras]"))?;
        rest = extras[close + 1..].trim_start();
    }
    let (source, version, markers) = if let Some(url) = rest.strip_prefix('@') {
        let (url, markers) = split_marker(url.trim(), true);
        let source = if url.starts_with("git+") {
            Source::Git(url.to_owned())
        } else if url.starts_with("file:") {
            Source::Local(Some(url.to_owned()))
        } else {
            Source::Url(url.to_owned())
        };
        (source, None, markers)
    } else {
        let (spec, markers) = split_marker(rest, false);
        (Source::Registry(None), pinned(spec), markers)
    };
    if let Some(m) = &markers
        && m.chars().any(char::is_control)
    {
        return Err(Problem::Missing("valid marker"));
    }
    Ok(LockedDependency {
        ecosystem: Ecosystem::Pypi,
        name: name.to_owned(),
        version,
        digests: Vec::new(),
        weak_digests: Vec::new(),
        source,
        location: Location::Line(line),
        markers,
        dev: false,
    })
}

/// Splits off an environment marker. After a URL only `;` preceded by
/// whitespace starts one (PEP 508: a URL may contain `;`).
fn split_marker(text: &str, url: bool) -> (&str, Option<String>) {
    let at = if url {
        text.char_indices()
            .zip(text.chars().skip(1))
            .find(|((_, c), next)| c.is_whitespace() && *next == ';')
            .map(|((i, _), _)| i)
    } else {
        text.find(';')
    };
    match at {
        Some(i) => {
            let marker = text[i..].trim_start().trim_start_matches(';').trim();
            (
                text[..i].trim(),
                (!marker.is_empty()).then(|| marker.to_owned()),
            )
        }
        None => (text.trim(), None),
    }
}

/// The version an `==` or `===` specifier pins (no wildcard, no second
/// clause); `None` for any range.
fn pinned(spec: &str) -> Option<String> {
    let spec: String = spec.chars().filter(|c| !c.is_whitespace()).collect();
    let spec = spec
        .strip_prefix('(')
        .and_then(|s| s.strip_suffix(')'))
        .map(str::to_owned)
        .unwrap_or(spec);
    let v = spec
        .strip_prefix("===")
        .or_else(|| spec.strip_prefix("=="))?;
    (!v.is_empty() && !v.contains([',', '*', '=', '<', '>', '!', '~'])).then(|| v.to_owned())
}

/// A PEP 508 name: letters, digits, `.`, `-`, `_`, starting and ending
/// with a letter or digit.
fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_'))
        }
        _ => false,
    }
}

/// The PEP 503 form of a name, for matching an allow-list entry.
pub fn normalize_name(name: &str) -> String {
    pep503(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6";
    const H2: &str = "55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760";

    #[test]
    fn continuations_comments_markers() {
        let text = format!(
            "# top comment\n\
             --index-url https://pypi.org/simple\n\
             requests[socks]==2.32.3 ; python_version >= \"3.8\" \\\n    --hash=sha256:{H1} \\\n    --hash sha256:{H2}   # two archives\n\
             \n\
             six>=1.0\n\
             -r other.txt\n\
             --constraint=c.txt\n\
             -e git+https://example.com/x.git#egg=xpkg\n\
             pkg @ https://example.com/pkg-1.0.tar.gz#sha256=abc ; sys_platform == 'linux'\n"
        );
        let lock = parse(text.as_bytes()).unwrap();
        let d = &lock.dependencies;
        assert_eq!(d.len(), 4, "{d:?}");
        assert_eq!(d[0].name, "requests");
        assert_eq!(d[0].version.as_deref(), Some("2.32.3"));
        assert_eq!(d[0].markers.as_deref(), Some("python_version >= \"3.8\""));
        assert_eq!(d[0].digests.len(), 2);
        assert_eq!(d[0].digests[1].hex(), H2);
        assert_eq!(d[0].location, Location::Line(3));
        assert_eq!((d[1].name.as_str(), d[1].version.as_deref()), ("six", None));
        assert!(d[1].digests.is_empty());
        assert_eq!(d[1].location, Location::Line(7));
        assert_eq!(d[2].name, "xpkg");
        assert!(matches!(d[2].source, Source::Git(_)));
        assert!(matches!(d[3].source, Source::Url(ref u) if u.ends_with("#sha256=abc")));
        assert_eq!(d[3].markers.as_deref(), Some("sys_platform == 'linux'"));
        assert_eq!(
            lock.includes,
            vec![
                Include {
                    kind: IncludeKind::Requirements,
                    path: "other.txt".into(),
                    line: 8
                },
                Include {
                    kind: IncludeKind::Constraints,
                    path: "c.txt".into(),
                    line: 9
                },
            ]
        );
    }

    #[test]
    fn comment_line_ends_a_continuation() {
        let text = format!("a==1 \\\n# not a continuation \\\nb==2 --hash=sha256:{H1}\n");
        let lock = parse(text.as_bytes()).unwrap();
        assert_eq!(lock.dependencies.len(), 2);
        assert_eq!(lock.dependencies[1].location, Location::Line(3));
    }

    #[test]
    fn weak_and_bad_hashes() {
        let sha384 = "a".repeat(96);
        let lock = parse(format!("a==1 --hash=sha384:{sha384}\n").as_bytes()).unwrap();
        assert!(lock.dependencies[0].digests.is_empty());
        assert_eq!(lock.dependencies[0].weak_digests[0].algorithm, "sha384");
        for bad in ["sha256:XYZ", "sha256", "sha256:ABCD", "blake9:00"] {
            let err = parse(format!("a==1 --hash={bad}\n").as_bytes()).unwrap_err();
            assert!(
                matches!(
                    err,
                    DepsError::Pip {
                        line: 1,
                        problem: Problem::BadHash
                    }
                ),
                "{bad}: {err}"
            );
        }
        let err = parse(b"a==1\n--hash\n").unwrap_err();
        assert!(matches!(
            err,
            DepsError::Pip {
                line: 2,
                problem: Problem::OptionValue(_)
            }
        ));
        let err = parse(b"a==1 --frobnicate\n").unwrap_err();
        assert!(matches!(
            err,
            DepsError::Pip {
                problem: Problem::UnknownOption(_),
                ..
            }
        ));
        let err = parse(b"a @ https://e.com/\x1b[31m.whl\n").unwrap_err();
        assert!(matches!(
            err,
            DepsError::Pip {
                problem: Problem::ControlCharacter(0x1b),
                ..
            }
        ));
        let err = parse(b"a[x==1\n").unwrap_err();
        assert!(matches!(
            err,
            DepsError::Pip {
                problem: Problem::Unbalanced(_),
                ..
            }
        ));
    }

    #[test]
    fn pins() {
        assert_eq!(pinned("==1.0"), Some("1.0".into()));
        assert_eq!(pinned("=== 1.0"), Some("1.0".into()));
        assert_eq!(pinned("(==1.0)"), Some("1.0".into()));
        assert_eq!(pinned("==1.*"), None);
        assert_eq!(pinned(">=1,<2"), None);
        assert_eq!(pinned("==1.0,!=1.1"), None);
        assert_eq!(pinned(""), None);
    }

    #[test]
    fn long_lines_are_refused() {
        let long = "a".repeat(MAX_LINE + 1);
        assert!(matches!(
            parse(long.as_bytes()),
            Err(DepsError::Pip {
                line: 1,
                problem: Problem::LineTooLong { .. }
            })
        ));
        let joined = format!(
            "{}\\\n{}\n",
            "a".repeat(MAX_LINE - 10),
            "b".repeat(MAX_LINE - 10)
        );
        assert!(matches!(
            parse(joined.as_bytes()),
            Err(DepsError::Pip {
                line: 1,
                problem: Problem::LineTooLong { .. }
            })
        ));
    }
}
