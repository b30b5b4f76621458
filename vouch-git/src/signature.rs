//! Which signature program made a git signature, from its armor line.
//!
//! Git picks the program by the first line of the signature it finds (its
//! `get_format_by_sig`, gpg-interface.c); vouch does the same, so an object
//! is never verified as a format git would not have used for it.

/// The armor lines git recognises as the start of a signature, and the
/// format each one means (gpg-interface.c's `openpgp_sigs`, `x509_sigs`,
/// `ssh_sigs`).
const BEGIN_LINES: &[(&[u8], SignatureFormat)] = &[
    (b"-----BEGIN PGP SIGNATURE-----", SignatureFormat::OpenPgp),
    (b"-----BEGIN PGP MESSAGE-----", SignatureFormat::OpenPgp),
    (b"-----BEGIN SIGNED MESSAGE-----", SignatureFormat::X509),
    (b"-----BEGIN SSH SIGNATURE-----", SignatureFormat::Ssh),
];

/// The kind of a git signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignatureFormat {
    /// `gpg.format=ssh`: an armored SSHSIG (`ssh-keygen -Y sign -n git`).
    Ssh,
    /// `gpg.format=openpgp` (git's default): an armored detached OpenPGP
    /// signature.
    OpenPgp,
    /// `gpg.format=x509` (gpgsm, S/MIME): not verified by vouch.
    X509,
}

impl SignatureFormat {
    /// The format of a signature that starts with `text`, or `None` when
    /// git would not recognise it as a signature.
    pub fn of(text: &[u8]) -> Option<SignatureFormat> {
        BEGIN_LINES
            .iter()
            .find(|(line, _)| text.starts_with(line))
            .map(|&(_, f)| f)
    }

    /// A name for people to read (`SSH`, `OpenPGP`, `X.509`).
    pub fn name(self) -> &'static str {
        match self {
            SignatureFormat::Ssh => "SSH",
            SignatureFormat::OpenPgp => "OpenPGP",
            SignatureFormat::X509 => "X.509",
        }
    }
}

impl std::fmt::Display for SignatureFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_armor_line() {
        assert_eq!(
            SignatureFormat::of(b"-----BEGIN SSH SIGNATURE-----\nU1NI"),
            Some(SignatureFormat::Ssh)
        );
        assert_eq!(
            SignatureFormat::of(b"-----BEGIN PGP SIGNATURE-----\n\niQ"),
            Some(SignatureFormat::OpenPgp)
        );
        assert_eq!(
            SignatureFormat::of(b"-----BEGIN SIGNED MESSAGE-----\n"),
            Some(SignatureFormat::X509)
        );
        assert_eq!(
            SignatureFormat::of(b"-----BEGIN PGP PUBLIC KEY BLOCK-----"),
            None
        );
        assert_eq!(SignatureFormat::of(b""), None);
    }
}
