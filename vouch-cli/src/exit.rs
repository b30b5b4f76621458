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
    /// every line is escaped for the terminal.
    pub(crate) fn report(&self) {
        use vouch_core::text::Escaped;
        eprintln!("error: {}", Escaped(&self.to_string()));
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            eprintln!("  caused by: {}", Escaped(&c.to_string()));
            cause = c.source();
        }
    }
}

/// Shorthand for command results.
pub(crate) type CliResult = Result<Outcome, CliError>;

/// Exit codes, for `--help`.
pub(crate) const EXIT_CODES_HELP: &str = "Exit codes:\n  \
    0  verified, or done\n  \
    1  verification refused: a signature, roster, chain or policy check failed,\n     \
    or the signed data given to verify is malformed or tampered with\n  \
    2  bad usage or unreadable input: a bad flag, a missing or unreadable file,\n     \
    a key, policy, time or digest that cannot be parsed";
