//! Exit codes and the error type every command returns.

use std::process::ExitCode;

/// What a command ended with; `main` turns it into the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Exit 0: verified, or done.
    Done,
    /// Exit 1: verification refused.
    Refused,
}

/// Why a command could not do its work (exit 2 unless it is a refusal).
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// Bad usage or unreadable input: exit 2.
    #[error("{message}")]
    Usage {
        /// One clear line.
        message: String,
        /// The cause chain.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Verification refused: exit 1.
    #[error("{message}")]
    Refused {
        /// One clear line.
        message: String,
        /// The cause chain.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl CliError {
    /// Bad usage or unreadable input, with its cause.
    pub(crate) fn usage(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        CliError::Usage {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// Bad usage with no further cause.
    pub(crate) fn usage_msg(message: impl Into<String>) -> Self {
        CliError::Usage {
            message: message.into(),
            source: None,
        }
    }

    /// A refusal, with its cause.
    pub(crate) fn refused(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        CliError::Refused {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A refusal with no further cause.
    pub(crate) fn refused_msg(message: impl Into<String>) -> Self {
        CliError::Refused {
            message: message.into(),
            source: None,
        }
    }

    /// The process exit code for this error.
    pub(crate) fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Refused { .. } => ExitCode::from(1),
            CliError::Usage { .. } => ExitCode::from(2),
        }
    }

    /// Prints `error: <line>` and then `  caused by: ...` for each cause.
    /// Errors quote what they refused (an id, a field of a statement), so
    /// every line is escaped for the terminal, and clipped: a parser's
    /// message may quote a whole line of its input (a TOML error repeats
    /// the line it failed in; 4 MB in made 8 MB of stderr), so no line
    /// shows more than [`MAX_LINE_CHARS`] characters and no message more
    /// than [`MAX_MESSAGE_LINES`] lines.
    pub(crate) fn report(&self) {
        eprint!("{}", render(self));
    }
}

/// The most characters of one line of an error message that are printed;
/// the rest is replaced by `…`. Long enough for a refusal that names two
/// workflow identities (URLs of a hundred characters or more each), short
/// enough that quoted input cannot flood the terminal.
pub(crate) const MAX_LINE_CHARS: usize = 1000;

/// The most lines of one error message (or one cause) that are printed.
pub(crate) const MAX_MESSAGE_LINES: usize = 20;

/// What [`CliError::report`] prints.
fn render(error: &CliError) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let mut message = |prefix: &str, text: &str| {
        let indent = " ".repeat(prefix.len());
        for (i, line) in text.lines().enumerate() {
            if i == MAX_MESSAGE_LINES {
                let _ = writeln!(out, "{indent}…");
                break;
            }
            let shown = if i == 0 { prefix } else { &indent };
            let _ = writeln!(out, "{shown}{}", clip(line));
        }
    };
    message("error: ", &error.to_string());
    let mut cause = std::error::Error::source(error);
    while let Some(c) = cause {
        message("  caused by: ", &c.to_string());
        cause = c.source();
    }
    out
}

/// One line, escaped for the terminal and cut after [`MAX_LINE_CHARS`]
/// characters.
fn clip(line: &str) -> String {
    use vouch_core::text::Escaped;
    match line.char_indices().nth(MAX_LINE_CHARS) {
        Some((cut, _)) => format!("{}…", Escaped(&line[..cut])),
        None => Escaped(line).to_string(),
    }
}

impl CliError {}

/// Shorthand for command results.
pub(crate) type CliResult = Result<Outcome, CliError>;

/// Exit codes, for `--help`.
pub(crate) const EXIT_CODES_HELP: &str = "Exit codes:\n  \
    0  verified, or done\n  \
    1  verification refused: a signature, roster, chain or policy check failed,\n     \
    or the signed data given to verify is malformed or tampered with\n  \
    2  bad usage or unreadable input: a bad flag, a missing or unreadable file,\n     \
    a key, policy, time or digest that cannot be parsed";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_quoted_input_is_clipped() {
        let long = "x".repeat(4 << 20);
        let err = CliError::usage(
            "cannot parse the draft",
            std::io::Error::other(format!(
                "parse error at line 1\n1 | {long}\n  | ^\nexpected ="
            )),
        );
        let shown = render(&err);
        assert!(shown.len() < 2 * MAX_LINE_CHARS, "{} bytes", shown.len());
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], "error: cannot parse the draft");
        assert_eq!(lines[1], "  caused by: parse error at line 1");
        assert_eq!(
            lines[2].chars().count(),
            "             ".len() + MAX_LINE_CHARS + 1
        );
        assert!(lines[2].ends_with('…'));
        assert_eq!(lines[4], "             expected =");
        // At the limit nothing is cut; one past it is.
        let at = "y".repeat(MAX_LINE_CHARS);
        assert_eq!(clip(&at), at);
        assert_eq!(clip(&format!("{at}z")), format!("{at}…"));
        // Control characters are still escaped, and many lines cut.
        assert_eq!(clip("a\u{1b}b"), "a\\u{1b}b");
        let many = CliError::usage_msg("l\n".repeat(1000));
        assert_eq!(render(&many).lines().count(), MAX_MESSAGE_LINES + 1);
    }
    #[test]
    fn max_message_lines() {
        // At the limit every line is printed; one more, and the rest is `…`.
        let at = CliError::usage_msg(vec!["l"; MAX_MESSAGE_LINES].join("\n"));
        let shown = render(&at);
        assert_eq!(shown.lines().count(), MAX_MESSAGE_LINES);
        assert!(!shown.contains('…'), "{shown}");
        let past = CliError::usage_msg(vec!["l"; MAX_MESSAGE_LINES + 1].join("\n"));
        let shown = render(&past);
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines.len(), MAX_MESSAGE_LINES + 1);
        assert_eq!(lines[MAX_MESSAGE_LINES], "       …");
    }
}
