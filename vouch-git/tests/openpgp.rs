//! OpenPGP-signed commits and tags made by stock `git` with stock `gpg`
//! (ed25519 and rsa3072 keys), SSH-signed tags made with stock
//! `ssh-keygen`, verified by `vouch_git`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The tests, built with feature `openpgp` only.
#[cfg(feature = "openpgp")]
mod with_openpgp {
    use std::path::PathBuf;
    use std::process::Command;

    use vouch_git::commit::{CommitObject, GitError, ObjectFormat};
    use vouch_git::openpgp::{Certificate, Keyring, OpenPgpError, OpenPgpSignature};
    use vouch_git::signature::SignatureFormat;
    use vouch_git::tag::{TagError, TagObject};
    use vouch_test_support::gpg::Gpg;

    fn tools_available() -> bool {
        vouch_test_support::gpg::tools_available("OpenPGP git tests", "OpenPGP signatures")
            && vouch_test_support::git::tools_available("OpenPGP git tests", "SSH-signed tags")
    }

    struct Repo {
        root: PathBuf,
        gpg: Gpg,
    }

    impl Repo {
        fn new(name: &str) -> Self {
            let root = std::env::temp_dir()
                .join(format!("vouch-git-openpgp-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&root);
            std::fs::create_dir_all(root.join("home")).unwrap();
            std::fs::create_dir_all(root.join("repo")).unwrap();
            let gpg = Gpg::new(&root);
            let r = Repo { root, gpg };
            r.git(&["init", "-q"], &[]);
            r
        }

        fn repo(&self) -> PathBuf {
            self.root.join("repo")
        }

        fn command(&self, args: &[&str], config: &[&str]) -> Command {
            let mut c =
                vouch_test_support::git::command(&self.repo(), &self.root.join("home"), "UTC");
            c.env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GNUPGHOME", self.gpg.home())
                .env("GIT_COMMITTER_DATE", "2026-03-01T12:00:00Z")
                .env("GIT_AUTHOR_DATE", "2026-03-01T12:00:00Z");
            for kv in config {
                c.args(["-c", kv]);
            }
            c.args(args);
            c
        }

        fn git(&self, args: &[&str], config: &[&str]) -> Vec<u8> {
            let out = self.command(args, config).output().unwrap();
            assert!(
                out.status.success(),
                "git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }

        fn head(&self) -> String {
            String::from_utf8(self.git(&["rev-parse", "HEAD"], &[]))
                .unwrap()
                .trim()
                .to_owned()
        }

        fn commit(&self, file: &str, config: &[&str]) -> String {
            std::fs::write(self.repo().join(file), file).unwrap();
            self.git(&["add", file], &[]);
            self.git(&["commit", "-q", "-S", "-m", file], config);
            self.head()
        }
    }

    fn openpgp_config(fpr: &str) -> Vec<String> {
        vec![
            "gpg.format=openpgp".into(),
            format!("user.signingkey={fpr}"),
        ]
    }

    fn refs(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }

    fn keyring(certs: &[(&str, &str)]) -> Keyring<String> {
        let mut k = Keyring::new();
        for (armored, fpr) in certs {
            let cert = Certificate::parse_with_fingerprint(armored.as_bytes(), fpr).unwrap();
            k.insert(cert, (*fpr).to_owned());
        }
        k
    }

    #[test]
    fn openpgp_signed_commits_and_tags_verify() {
        if !tools_available() {
            return;
        }
        let r = Repo::new("commits");
        for algo in ["ed25519", "rsa3072"] {
            let uid = format!("Alice {algo} <alice-{algo}@example.com>");
            let fpr = r.gpg.gen_key(&uid, algo);
            let armored = r.gpg.export(&fpr);
            let ring = keyring(&[(&armored, &fpr)]);
            let config = openpgp_config(&fpr);
            let id = r.commit(&format!("{algo}.txt"), &refs(&config));
            let raw = r.git(&["cat-file", "commit", &id], &[]);
            let commit = CommitObject::parse(&raw, ObjectFormat::Sha1).unwrap();
            assert_eq!(commit.id().as_str(), id);
            assert_eq!(commit.signature_format(), Some(SignatureFormat::OpenPgp));
            let (verified, enrolled) = commit.verify_openpgp_signature(&ring).unwrap();
            assert_eq!(enrolled, &fpr);
            assert_eq!(verified.certificate(), fpr);
            assert_eq!(
                verified.signing_key(),
                fpr,
                "gpg signs with the primary key"
            );
            assert!(matches!(verified.hash(), "SHA256" | "SHA512"));
            // The SSH path says what it found instead.
            assert!(matches!(
                commit.verify_signature(),
                Err(GitError::NotSsh {
                    format: "OpenPGP",
                    ..
                })
            ));

            let name = format!("v-{algo}");
            r.git(&["tag", "-s", "-m", "release", &name], &refs(&config));
            let raw = r.git(&["cat-file", "tag", &name], &[]);
            let tag_id = String::from_utf8(r.git(&["rev-parse", &name], &[])).unwrap();
            let tag = TagObject::parse(&raw, ObjectFormat::Sha1).unwrap();
            assert_eq!(tag.id().as_str(), tag_id.trim());
            assert_eq!(tag.name(), name);
            assert_eq!(tag.object().as_str(), id);
            assert_eq!(tag.kind(), "commit");
            assert_eq!(tag.message(), b"release\n");
            let (verified, _) = tag.verify_openpgp_signature(&ring).unwrap();
            assert_eq!(verified.certificate(), fpr);
            // `git verify-tag` agrees with the payload split.
            r.git(&["verify-tag", &name], &[]);

            // Another key's certificate does not verify it.
            let other = r
                .gpg
                .gen_key(&format!("Mallory {algo} <m-{algo}@example.com>"), algo);
            let other_ring = keyring(&[(&r.gpg.export(&other), &other)]);
            assert!(matches!(
                commit.verify_openpgp_signature(&other_ring),
                Err(GitError::UnknownOpenPgpKey { .. })
            ));
            assert!(matches!(
                tag.verify_openpgp_signature(&other_ring),
                Err(TagError::UnknownOpenPgpKey { .. })
            ));
        }
    }

    #[test]
    fn ssh_signed_tags_verify() {
        if !tools_available() {
            return;
        }
        let r = Repo::new("ssh-tags");
        let key = r.root.join("id_ed25519");
        vouch_test_support::git::ssh_keygen(&key, "alice", "ed25519");
        let config = [
            "gpg.format=ssh".to_owned(),
            format!("user.signingkey={}", key.display()),
        ];
        let id = r.commit("a.txt", &refs(&config));
        r.git(&["tag", "-s", "-m", "release 1", "v1"], &refs(&config));
        let raw = r.git(&["cat-file", "tag", "v1"], &[]);
        let tag = TagObject::parse(&raw, ObjectFormat::Sha1).unwrap();
        assert_eq!(tag.object().as_str(), id);
        assert_eq!(tag.signature_format(), Some(SignatureFormat::Ssh));
        let sig = tag.verify_ssh_signature().unwrap();
        let public = std::fs::read_to_string(format!("{}.pub", key.display())).unwrap();
        let public = vouch_core::PublicKey::from_openssh(public.trim()).unwrap();
        assert_eq!(sig.key_id(), public.key_id());
        // One byte of the message changed: the id changes, the signature fails.
        let text = String::from_utf8(raw)
            .unwrap()
            .replace("release 1", "release 2");
        let forged = TagObject::parse(text.as_bytes(), ObjectFormat::Sha1).unwrap();
        assert_ne!(forged.id(), tag.id());
        assert!(matches!(
            forged.verify_ssh_signature(),
            Err(TagError::BadSignature { .. })
        ));
    }

    fn sign_payload(gpg: &Gpg, key: &str, digest: &str) -> (Vec<u8>, Vec<u8>) {
        let payload = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\n msg\n".to_vec();
        let sig = gpg.detach_sign(key, digest, &payload);
        (payload, sig)
    }

    #[test]
    fn signing_subkeys_count_and_weak_hashes_do_not() {
        if !tools_available() {
            return;
        }
        let root =
            std::env::temp_dir().join(format!("vouch-git-openpgp-keys-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let gpg = Gpg::new(&root);
        let fpr = gpg.gen_key("Bob <bob@example.com>", "ed25519");
        gpg.add_subkey(&fpr, "ed25519", "sign");
        let subkeys = gpg.subkey_fingerprints(&fpr);
        assert_eq!(subkeys.len(), 2, "an encryption and a signing subkey");
        let signing = subkeys[1].clone();
        let cert = Certificate::parse_with_fingerprint(gpg.export(&fpr).as_bytes(), &fpr).unwrap();
        assert!(cert.user_ids()[0].contains("bob@example.com"));

        // A signing subkey: the certificate is found by the subkey and reports it.
        let (payload, sig) = sign_payload(&gpg, &format!("{signing}!"), "SHA256");
        let sig = OpenPgpSignature::from_armored(&sig).unwrap();
        assert_eq!(sig.issuer(), signing);
        let mut ring = Keyring::new();
        ring.insert(cert.clone(), ());
        let (found, ()) = ring.find(&sig).unwrap();
        let v = found.verify(&sig, &payload).unwrap();
        assert_eq!(v.certificate(), fpr);
        assert_eq!(v.signing_key(), signing);
        // Over other bytes it fails.
        assert!(matches!(
            found.verify(&sig, b"other"),
            Err(OpenPgpError::BadSignature(_))
        ));

        // SHA-1 (and so MD5, RIPEMD-160) signatures are refused before any key is tried.
        let (_, weak) = sign_payload(&gpg, &fpr, "SHA1");
        assert!(matches!(
            OpenPgpSignature::from_armored(&weak),
            Err(OpenPgpError::WeakHash(h)) if h == "SHA1"
        ));

        // A certificate must have the enrolled fingerprint.
        let wrong = "0".repeat(40);
        assert!(matches!(
            Certificate::parse_with_fingerprint(gpg.export(&fpr).as_bytes(), &wrong),
            Err(OpenPgpError::FingerprintMismatch { .. })
        ));
        // Binary and armored forms are the same certificate.
        let binary = cert.to_bytes().unwrap();
        let again = Certificate::parse(&binary).unwrap();
        assert_eq!(again.fingerprint(), fpr);
        assert_eq!(
            Certificate::parse(cert.to_armored().unwrap().as_bytes())
                .unwrap()
                .fingerprint(),
            fpr
        );
        // Oversize input is refused before parsing.
        let big = vec![b'A'; vouch_git::openpgp::MAX_CERT_LEN + 1];
        assert!(matches!(
            Certificate::parse(&big),
            Err(OpenPgpError::TooLarge { .. })
        ));
        let big = vec![b'A'; vouch_git::openpgp::MAX_SIGNATURE_LEN + 1];
        assert!(matches!(
            OpenPgpSignature::from_armored(&big),
            Err(OpenPgpError::TooLarge { .. })
        ));
    }

    #[test]
    fn an_encryption_subkey_cannot_sign() {
        if !tools_available() {
            return;
        }
        // gpg refuses to sign with an encryption-only subkey, so the signature
        // is made with rpgp from the exported secret of the RSA encryption
        // subkey (RSA keys can sign, whatever their binding says).
        use pgp::composed::{Deserializable as _, DetachedSignature, SignedSecretKey};
        let root =
            std::env::temp_dir().join(format!("vouch-git-openpgp-encr-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let gpg = Gpg::new(&root);
        let fpr = gpg.gen_key("Carol <carol@example.com>", "rsa3072");
        let cert = Certificate::parse(gpg.export(&fpr).as_bytes()).unwrap();
        let secret = gpg.output(&[
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--armor",
            "--export-secret-keys",
            &fpr,
        ]);
        let (secret, _) = SignedSecretKey::from_armor_single(secret.as_bytes()).unwrap();
        let encr = &secret.secret_subkeys[0].key;
        let payload = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmsg\n";
        let sig = DetachedSignature::sign_binary_data(
            rand::thread_rng(),
            encr,
            &pgp::types::Password::empty(),
            pgp::crypto::hash::HashAlgorithm::Sha256,
            &payload[..],
        )
        .unwrap();
        let armored = sig.to_armored_bytes(Default::default()).unwrap();
        let sig = OpenPgpSignature::from_armored(&armored).unwrap();
        assert_eq!(sig.issuer(), gpg.subkey_fingerprints(&fpr)[0]);
        assert!(cert.issued(&sig));
        assert!(matches!(
            cert.verify(&sig, payload),
            Err(OpenPgpError::NotSigningKey { fingerprint }) if fingerprint == sig.issuer()
        ));
    }
}
