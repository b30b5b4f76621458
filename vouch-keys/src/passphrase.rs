//! A passphrase that is wiped from memory when dropped and never printed.

use std::fmt;

use zeroize::Zeroizing;

/// A passphrase protecting a private key.
///
/// The text is zeroized on drop, and neither `Debug` nor any error message
/// shows it. The library never prompts: the caller (a CLI, a test) obtains
/// the passphrase and hands it over.
///
/// ```
/// use vouch_keys::Passphrase;
/// let p = Passphrase::new("correct horse battery staple");
/// assert_eq!(format!("{p:?}"), "Passphrase(<redacted>)");
/// assert_eq!(p.as_bytes().len(), 28);
/// ```
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Takes ownership of the passphrase text.
    pub fn new(text: impl Into<String>) -> Self {
        Passphrase(Zeroizing::new(text.into()))
    }

    /// The passphrase as bytes (UTF-8), as the key derivation consumes it.
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Whether the passphrase is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Passphrase {
    fn from(text: String) -> Self {
        Passphrase::new(text)
    }
}

impl From<&str> for Passphrase {
    fn from(text: &str) -> Self {
        Passphrase::new(text)
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_text() {
        let p = Passphrase::from("hunter2");
        assert!(!format!("{p:?}").contains("hunter2"));
        assert!(!format!("{p:#?}").contains("hunter2"));
        assert!(!p.is_empty());
        assert!(Passphrase::from(String::new()).is_empty());
    }
}
