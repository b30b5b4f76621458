//! Strings from statements and rosters, made safe to show on a terminal.
//!
//! A roster's display names, a statement's cluster name, an email address:
//! whoever wrote the statement chose those bytes. Printed raw, an `ESC`
//! sequence can clear the screen or move the cursor, a `CR` can overwrite
//! the start of a line ("verdict: FAIL" becoming "verdict: PASS" while the
//! exit code still says 1), and a bidi override can show text in another
//! order than it is stored. Every such string goes through [`escape`] (or
//! its allocation-free [`Display`](fmt::Display) form [`Escaped`]) before it
//! reaches a terminal.
//!
//! Printable text is written unchanged. Each character that [`needs_escape`]
//! is written as Rust's [`char::escape_unicode`] form (`\u{1b}`), and the
//! backslash itself as `\\`, so no input can forge an escape: distinct
//! inputs always give distinct outputs. Escaped:
//!
//! - control characters: C0 (U+0000–U+001F, including ESC, CR, LF and TAB),
//!   DEL (U+007F) and C1 (U+0080–U+009F);
//! - every format character (general category Cf), among them the bidi
//!   controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), the
//!   zero-width characters (U+200B–U+200D, U+2060–U+2064, U+FEFF), the soft
//!   hyphen (U+00AD) and the invisible tag characters (U+E0001, U+E0020–U+E007F);
//! - the line and paragraph separators U+2028 and U+2029.
//!
//! ```
//! use vouch_core::text::{Escaped, escape};
//! let name = "prod\r\u{1b}[2Jverdict: PASS";
//! assert_eq!(escape(name), r"prod\u{d}\u{1b}[2Jverdict: PASS");
//! assert_eq!(format!("cluster {}", Escaped(name)), r"cluster prod\u{d}\u{1b}[2Jverdict: PASS");
//! // A literal backslash is doubled, so the escape above cannot be typed in.
//! assert_eq!(escape(r"a\u{1b}"), r"a\\u{1b}");
//! // Nothing to escape: the input itself, borrowed.
//! assert!(matches!(escape("Zoë Ångström"), std::borrow::Cow::Borrowed("Zoë Ångström")));
//! ```

use std::borrow::Cow;
use std::fmt;

/// Whether [`escape`] rewrites `c`: a control, format (bidi, zero-width,
/// invisible) or line/paragraph separator character, or the backslash.
pub fn needs_escape(c: char) -> bool {
    matches!(
        c,
        '\\'
            // C0 controls, DEL, C1 controls (general category Cc).
            | '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            // Format characters (general category Cf), Unicode 16.
            | '\u{ad}'
            | '\u{600}'..='\u{605}'
            | '\u{61c}'
            | '\u{6dd}'
            | '\u{70f}'
            | '\u{890}'..='\u{891}'
            | '\u{8e2}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            // U+2028 LINE SEPARATOR, U+2029 PARAGRAPH SEPARATOR (Zl, Zp),
            // then the bidi embeddings and overrides U+202A–U+202E.
            | '\u{2028}'..='\u{202e}'
            // Word joiner, invisible operators, bidi isolates, deprecated
            // format characters (U+2065 is unassigned and escaped too).
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{110bd}'
            | '\u{110cd}'
            | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}'
    )
}

/// `s` with every character that [`needs_escape`] written as a visible
/// escape (`\u{1b}`, and `\\` for the backslash); borrowed when there is
/// nothing to escape.
pub fn escape(s: &str) -> Cow<'_, str> {
    if s.chars().any(needs_escape) {
        Cow::Owned(Escaped(s).to_string())
    } else {
        Cow::Borrowed(s)
    }
}

/// Displays the string escaped as [`escape`] does, without allocating.
///
/// Width and precision (`{:<20}`) apply to the escaped text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Escaped<'a>(pub &'a str);

impl Escaped<'_> {
    fn write_to(&self, out: &mut impl fmt::Write) -> fmt::Result {
        let s = self.0;
        let mut plain = 0;
        for (i, c) in s.char_indices() {
            if needs_escape(c) {
                out.write_str(&s[plain..i])?;
                if c == '\\' {
                    out.write_str(r"\\")?;
                } else {
                    write!(out, "{}", c.escape_unicode())?;
                }
                plain = i + c.len_utf8();
            }
        }
        out.write_str(&s[plain..])
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.width().is_some() || f.precision().is_some() {
            let mut text = String::new();
            self.write_to(&mut text)?;
            f.pad(&text)
        } else {
            self.write_to(f)
        }
    }
}

/// An error and its causes on one line, `error: cause: cause...`, as the
/// CLI, the C ABI and the verdict's reasons show them. Not escaped: pass
/// the result through [`escape`] before it reaches a terminal.
///
/// ```
/// let e = std::io::Error::other("disk on fire");
/// assert_eq!(vouch_core::text::error_chain(&e), "disk on fire");
/// ```
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cause = c.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The bidi controls, listed independently of [`needs_escape`].
    fn is_bidi_control(c: char) -> bool {
        matches!(
            c,
            '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
    }

    /// The characters the escaping is about, for biasing generated strings.
    const SPECIAL: &[char] = &[
        '\u{0}',
        '\u{7}',
        '\u{8}',
        '\t',
        '\n',
        '\u{b}',
        '\u{c}',
        '\r',
        '\u{1b}',
        '\u{7f}',
        '\u{80}',
        '\u{85}',
        '\u{9b}',
        '\u{9f}',
        '\u{ad}',
        '\u{61c}',
        '\u{200b}',
        '\u{200c}',
        '\u{200d}',
        '\u{200e}',
        '\u{200f}',
        '\u{2028}',
        '\u{2029}',
        '\u{202a}',
        '\u{202b}',
        '\u{202c}',
        '\u{202d}',
        '\u{202e}',
        '\u{2060}',
        '\u{2061}',
        '\u{2062}',
        '\u{2063}',
        '\u{2064}',
        '\u{2066}',
        '\u{2067}',
        '\u{2068}',
        '\u{2069}',
        '\u{feff}',
        '\u{e0001}',
        '\u{e0041}',
        '\\',
        'u',
        '{',
        '}',
        '1',
        'b',
        'd',
        'a',
    ];

    /// Inverts the escaping; `None` for text `escape` never produces.
    fn unescape(s: &str) -> Option<String> {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next()? {
                '\\' => out.push('\\'),
                'u' => {
                    if chars.next()? != '{' {
                        return None;
                    }
                    let hex: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    out.push(char::from_u32(u32::from_str_radix(&hex, 16).ok()?)?);
                }
                _ => return None,
            }
        }
        Some(out)
    }

    #[test]
    fn listed_characters_are_escaped() {
        let listed = (0u32..=0x1f)
            .chain(0x7f..=0x9f)
            .chain([0x61c, 0x200e, 0x200f])
            .chain(0x202a..=0x202e)
            .chain(0x2066..=0x2069)
            .chain(0x200b..=0x200d)
            .chain(0x2060..=0x2064)
            .chain([0xfeff, 0xad, 0x2028, 0x2029]);
        for u in listed {
            let c = char::from_u32(u).unwrap();
            let s = format!("a{c}b");
            assert_eq!(escape(&s), format!("a\\u{{{u:x}}}b"), "U+{u:04X}");
        }
    }

    #[test]
    fn terminal_attack_is_shown_not_played() {
        let name = "ok\u{1b}[2J\rverdict: PASS\u{202e}";
        let out = escape(name);
        assert_eq!(out, r"ok\u{1b}[2J\u{d}verdict: PASS\u{202e}");
        assert!(!out.chars().any(|c| c.is_control() || is_bidi_control(c)));
        assert_eq!(Escaped(name).to_string(), out);
    }

    #[test]
    fn backslash_cannot_forge_an_escape() {
        assert_eq!(escape("\\"), r"\\");
        assert_eq!(escape(r"\u{1b}"), r"\\u{1b}");
        assert_ne!(escape(r"\u{1b}"), escape("\u{1b}"));
        assert_eq!(escape("C:\\dir"), r"C:\\dir");
    }

    #[test]
    fn printable_text_is_borrowed_unchanged() {
        for s in [
            "",
            "Alice",
            "person:alice@example.com",
            "Zoë Ångström",
            "日本語",
            "مرحبا",
            "🦀 x",
        ] {
            assert!(matches!(escape(s), Cow::Borrowed(b) if b == s), "{s:?}");
            assert_eq!(Escaped(s).to_string(), s);
        }
    }

    #[test]
    fn width_applies_to_the_escaped_text() {
        assert_eq!(format!("[{:<6}]", Escaped("a\tb")), r"[a\u{9}b]");
        assert_eq!(format!("[{:<6}]", Escaped("ab")), "[ab    ]");
        assert_eq!(format!("[{:>4}]", Escaped("\r")), r"[\u{d}]");
        assert_eq!(format!("[{:.3}]", Escaped("\r")), r"[\u{]");
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![any::<char>(), prop::sample::select(SPECIAL)],
            0..24,
        )
        .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #[test]
        fn output_has_no_control_or_bidi_char(s in text()) {
            let out = escape(&s);
            prop_assert!(!out.chars().any(|c| c.is_control() || is_bidi_control(c)), "{out:?}");
            prop_assert!(!out.chars().any(|c| c != '\\' && needs_escape(c)), "{out:?}");
            prop_assert_eq!(Escaped(&s).to_string(), out.as_ref());
        }

        #[test]
        fn plain_text_is_unchanged(s in any::<String>()) {
            let plain: String = s.chars().filter(|&c| !needs_escape(c)).collect();
            prop_assert!(matches!(escape(&plain), Cow::Borrowed(b) if b == plain));
        }

        #[test]
        fn escaping_is_injective(a in text(), b in text()) {
            let ea = escape(&a);
            prop_assert_eq!(unescape(&ea), Some(a.clone()));
            if a != b {
                prop_assert_ne!(ea, escape(&b));
            }
        }
    }
}
