//! RFC 3161 timestamp tokens made by independent implementations: `openssl
//! ts` (a throwaway CA and TSA per key type, made here with `openssl req`,
//! `x509` and `ca`), `openssl cms -sign` (a second way to build the CMS
//! around a TSTInfo), and the Sigstore timestamp authorities whose tokens
//! the sigstore-conformance suite carries.
//!
//! Without `openssl` the openssl tests print `SKIP:` and pass, except under
//! `CI=true`, where that is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use vouch_core::Timestamp;
use vouch_core::timestamp::{HashAlgorithm, Imprint, TokenError, Verifier};
use vouch_core::x509::{CertificateError, TrustAnchor};

// ---------------------------------------------------------------------------
// A throwaway PKI and TSA, made with openssl.

/// What this fixture adds to test-support's PKI configuration: the
/// refused certificates (no purpose, purpose not critical), a CA database
/// for `openssl ca`, and three TSA profiles.
const EXTRA_CONFIG: &str = r#"
[v3_noeku]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
[v3_eku_not_critical]
basicConstraints = CA:FALSE
extendedKeyUsage = timeStamping
[ca]
default_ca = ca_default
[ca_default]
database = index.txt
new_certs_dir = .
serial = ca.serial
default_md = sha256
policy = policy_any
unique_subject = no
[policy_any]
commonName = supplied
[tsa]
default_tsa = ess_v2
[ess_v2]
serial = tsaserial
signer_digest = sha256
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.2
digests = sha1, sha256, sha384, sha512
accuracy = secs:1, millisecs:500, microsecs:100
tsa_name = yes
ess_cert_id_chain = yes
ess_cert_id_alg = sha256
crypto_device = builtin
[ess_v1]
serial = tsaserial
signer_digest = sha384
default_policy = 1.2.3.4.1
digests = sha256, sha384
ess_cert_id_alg = sha1
crypto_device = builtin
other_policies = 1.2.3.4.2
[sha512]
serial = tsaserial
signer_digest = sha512
default_policy = 1.2.3.4.1
digests = sha512
ess_cert_id_alg = sha512
crypto_device = builtin
other_policies = 1.2.3.4.2
"#;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Rsa,
    EcP256,
}

/// A CA and TSA certificates for one key type, in their folder.
struct Tsa {
    dir: PathBuf,
    ca: TrustAnchor,
    ca_der: Vec<u8>,
    tsa_der: Vec<u8>,
    /// Same key, issuer and serial as `tsa.pem`, other validity: another
    /// certificate the signer identifier also matches.
    twin_der: Vec<u8>,
    /// The TSA certificate without the timeStamping purpose.
    noeku_der: Vec<u8>,
}

/// One openssl call at a time: `openssl ts -reply` rewrites its serial file.
static OPENSSL: Mutex<()> = Mutex::new(());

fn openssl_present() -> bool {
    static PRESENT: OnceLock<bool> = OnceLock::new();
    *PRESENT.get_or_init(|| {
        let ok = Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("openssl is missing; CI=true forbids skipping the RFC 3161 interop tests");
            }
            eprintln!("SKIP: openssl not found; RFC 3161 tokens from openssl ts not tested");
        }
        ok
    })
}

fn run(dir: &Path, args: &[&str]) -> Vec<u8> {
    let _guard = OPENSSL.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .env("OPENSSL_CONF", dir.join("openssl.cnf"))
        .output()
        .expect("running openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("reading {name}: {e}"))
}

fn der_of(dir: &Path, pem: &str) -> Vec<u8> {
    let der = format!("{pem}.der");
    run(dir, &["x509", "-in", pem, "-outform", "DER", "-out", &der]);
    read(dir, &der)
}

impl Tsa {
    fn get(kind: Kind) -> Option<&'static Tsa> {
        static RSA: OnceLock<Tsa> = OnceLock::new();
        static EC: OnceLock<Tsa> = OnceLock::new();
        if !openssl_present() {
            return None;
        }
        let cell = match kind {
            Kind::Rsa => &RSA,
            Kind::EcP256 => &EC,
        };
        Some(cell.get_or_init(|| Tsa::make(kind)))
    }

    fn make(kind: Kind) -> Tsa {
        let name = match kind {
            Kind::Rsa => "rsa",
            Kind::EcP256 => "ec",
        };
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("timestamp-{name}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("openssl.cnf"),
            format!("{}{EXTRA_CONFIG}", vouch_test_support::tsa::PKI_CONFIG),
        )
        .unwrap();
        std::fs::write(dir.join("index.txt"), "").unwrap();
        std::fs::write(dir.join("ca.serial"), "01\n").unwrap();
        std::fs::write(dir.join("tsaserial"), "01\n").unwrap();
        let newkey: &[&str] = match kind {
            Kind::Rsa => &["-newkey", "rsa:2048"],
            Kind::EcP256 => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        };
        let root = format!("/CN=Test TSA Root {name}");
        let mut args = vec!["req", "-x509", "-config", "openssl.cnf", "-nodes"];
        args.extend_from_slice(newkey);
        args.extend_from_slice(&[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3650",
            "-subj",
            &root,
            "-extensions",
            "v3_ca",
        ]);
        run(&dir, &args);
        let other_root = format!("/CN=Other Root {name}");
        let mut args = vec!["req", "-x509", "-config", "openssl.cnf", "-nodes"];
        args.extend_from_slice(newkey);
        args.extend_from_slice(&[
            "-keyout",
            "other.key",
            "-out",
            "other.pem",
            "-days",
            "3650",
            "-subj",
            &other_root,
            "-extensions",
            "v3_ca",
        ]);
        run(&dir, &args);
        let subject = format!("/CN=Test TSA {name}");
        let mut args = vec!["req", "-new", "-config", "openssl.cnf", "-nodes"];
        args.extend_from_slice(newkey);
        args.extend_from_slice(&["-keyout", "tsa.key", "-subj", &subject, "-out", "tsa.csr"]);
        run(&dir, &args);
        let issue = |out: &str, serial: &str, days: &str, ext: &str| {
            run(
                &dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    "tsa.csr",
                    "-CA",
                    "ca.pem",
                    "-CAkey",
                    "ca.key",
                    "-set_serial",
                    serial,
                    "-days",
                    days,
                    "-extfile",
                    "openssl.cnf",
                    "-extensions",
                    ext,
                    "-out",
                    out,
                ],
            );
        };
        issue("tsa.pem", "7", "30", "v3_tsa");
        issue("twin.pem", "7", "31", "v3_tsa");
        issue("noeku.pem", "8", "30", "v3_noeku");
        issue("eku_not_critical.pem", "9", "30", "v3_eku_not_critical");
        // A validity window wholly in the past: openssl 3.0's x509 has no
        // -not_before/-not_after, its ca command has -startdate/-enddate.
        run(
            &dir,
            &[
                "ca",
                "-batch",
                "-config",
                "openssl.cnf",
                "-cert",
                "ca.pem",
                "-keyfile",
                "ca.key",
                "-in",
                "tsa.csr",
                "-out",
                "expired.pem",
                "-startdate",
                "20200101000000Z",
                "-enddate",
                "20200201000000Z",
                "-extfile",
                "openssl.cnf",
                "-extensions",
                "v3_tsa",
                "-notext",
            ],
        );
        let ca_der = der_of(&dir, "ca.pem");
        Tsa {
            ca: TrustAnchor::from_der(&ca_der).unwrap(),
            ca_der,
            tsa_der: der_of(&dir, "tsa.pem"),
            twin_der: der_of(&dir, "twin.pem"),
            noeku_der: der_of(&dir, "noeku.pem"),
            dir,
        }
    }

    fn anchors(&self) -> Vec<TrustAnchor> {
        vec![self.ca.clone()]
    }

    fn other_anchor(&self) -> TrustAnchor {
        TrustAnchor::from_der(&der_of(&self.dir, "other.pem")).unwrap()
    }

    /// Asks the TSA for a token over `data`: `openssl ts -query` with
    /// `hash`, certificates requested when `cert`, answered with config
    /// section `section` by the certificate `signer`.
    fn stamp(&self, data: &[u8], hash: &str, cert: bool, section: &str, signer: &str) -> Stamped {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (data_f, req, resp, tok) = (
            format!("data{n}"),
            format!("req{n}.tsq"),
            format!("resp{n}.tsr"),
            format!("token{n}.der"),
        );
        std::fs::write(self.dir.join(&data_f), data).unwrap();
        let hash_flag = format!("-{hash}");
        let mut args = vec!["ts", "-query", "-data", &data_f, &hash_flag, "-out", &req];
        if cert {
            args.push("-cert");
        }
        run(&self.dir, &args);
        let text =
            String::from_utf8(run(&self.dir, &["ts", "-query", "-in", &req, "-text"])).unwrap();
        let nonce_hex = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Nonce: 0x"))
            .expect("openssl ts -query sends a nonce");
        let nonce_hex = if nonce_hex.len() % 2 == 1 {
            format!("0{nonce_hex}")
        } else {
            nonce_hex.to_owned()
        };
        run(
            &self.dir,
            &[
                "ts",
                "-reply",
                "-config",
                "openssl.cnf",
                "-section",
                section,
                "-queryfile",
                &req,
                "-signer",
                signer,
                "-inkey",
                "tsa.key",
                "-chain",
                "ca.pem",
                "-out",
                &resp,
            ],
        );
        run(
            &self.dir,
            &["ts", "-reply", "-in", &resp, "-token_out", "-out", &tok],
        );
        Stamped {
            response: read(&self.dir, &resp),
            token: read(&self.dir, &tok),
            nonce: hex::decode(nonce_hex).unwrap(),
        }
    }

    /// The default token: SHA-256, certificates embedded, ESS v2.
    fn token(&self, data: &[u8]) -> Stamped {
        self.stamp(data, "sha256", true, "ess_v2", "tsa.pem")
    }

    /// A CMS SignedData over `tst_info` made by `openssl cms -sign` with
    /// certificate `signer` (no ESS attribute, signingTime and an
    /// S/MIME-less attribute set: another encoder than `openssl ts`).
    fn cms_sign(&self, tst_info: &[u8], signer: &str, md: &str) -> Vec<u8> {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (input, out) = (format!("tst{n}.der"), format!("cms{n}.der"));
        std::fs::write(self.dir.join(&input), tst_info).unwrap();
        run(
            &self.dir,
            &[
                "cms",
                "-sign",
                "-binary",
                "-nodetach",
                "-nosmimecap",
                "-in",
                &input,
                "-econtent_type",
                "1.2.840.113549.1.9.16.1.4",
                "-signer",
                signer,
                "-inkey",
                "tsa.key",
                "-certfile",
                "ca.pem",
                "-md",
                md,
                "-outform",
                "DER",
                "-out",
                &out,
            ],
        );
        read(&self.dir, &out)
    }

    /// The TSTInfo inside a token, as `openssl cms` extracts it.
    fn tst_info(&self, token: &[u8]) -> Vec<u8> {
        let input = format!("extract{}.der", token.len());
        std::fs::write(self.dir.join(&input), token).unwrap();
        run(
            &self.dir,
            &[
                "cms",
                "-verify",
                "-noverify",
                "-inform",
                "DER",
                "-in",
                &input,
                "-binary",
            ],
        )
    }
}

struct Stamped {
    response: Vec<u8>,
    token: Vec<u8>,
    nonce: Vec<u8>,
}

const DATA: &[u8] = b"a signature, as vouch timestamps signatures";

fn near_now(t: Timestamp) -> bool {
    (t.unix_seconds() - Timestamp::now().unix_seconds()).abs() < 600
}

// ---------------------------------------------------------------------------
// openssl's tokens verify.

#[test]
fn openssl_tokens_verify() {
    for kind in [Kind::Rsa, Kind::EcP256] {
        let Some(tsa) = Tsa::get(kind) else { return };
        let anchors = tsa.anchors();
        let v = Verifier::new(&anchors);
        for (hash, section, alg) in [
            ("sha256", "ess_v2", HashAlgorithm::Sha256),
            ("sha384", "ess_v1", HashAlgorithm::Sha384),
            ("sha512", "sha512", HashAlgorithm::Sha512),
        ] {
            let what = format!("{kind:?} {hash} {section}");
            let s = tsa.stamp(DATA, hash, true, section, "tsa.pem");
            let t = v
                .verify_response(&s.response, Imprint::Data(DATA))
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(v.verify_token(&s.token, Imprint::Data(DATA)), Ok(t.clone()));
            assert!(near_now(t.gen_time()), "{what}: {}", t.gen_time());
            assert_eq!(t.hash_algorithm(), alg);
            assert_eq!(t.policy(), "1.2.3.4.1");
            assert!(
                t.tsa_subject().starts_with("CN=Test TSA "),
                "{}",
                t.tsa_subject()
            );
            let nonce = t.nonce().unwrap();
            assert_eq!(
                nonce.strip_prefix(&[0]).unwrap_or(nonce),
                s.nonce.as_slice()
            );
            assert_eq!(t.anchor(), 0);
            assert!(!t.serial().is_empty());
            if section == "ess_v2" {
                assert_eq!(t.accuracy(), Some(Duration::from_micros(1_500_100)));
            }
            // The digest instead of the data; the nonce the request sent.
            let digest = alg.digest(DATA);
            let v_nonce = Verifier::new(&anchors).with_nonce(&s.nonce);
            let imprint = Imprint::Digest {
                algorithm: alg,
                digest: &digest,
            };
            assert_eq!(v_nonce.verify_token(&s.token, imprint), Ok(t.clone()));
            let mut other_nonce = s.nonce.clone();
            other_nonce[0] ^= 1;
            assert_eq!(
                Verifier::new(&anchors)
                    .with_nonce(&other_nonce)
                    .verify_token(&s.token, imprint),
                Err(TokenError::NonceMismatch)
            );
        }
    }
}

#[test]
fn tokens_without_certificates_need_the_callers() {
    for kind in [Kind::Rsa, Kind::EcP256] {
        let Some(tsa) = Tsa::get(kind) else { return };
        let anchors = tsa.anchors();
        let s = tsa.stamp(DATA, "sha256", false, "ess_v2", "tsa.pem");
        assert!(matches!(
            Verifier::new(&anchors).verify_token(&s.token, Imprint::Data(DATA)),
            Err(TokenError::SignerNotFound { .. })
        ));
        let certs = [tsa.tsa_der.as_slice()];
        let t = Verifier::new(&anchors)
            .with_certificates(&certs)
            .verify_response(&s.response, Imprint::Data(DATA))
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert!(near_now(t.gen_time()));
        // The root among the given certificates is fine too.
        let certs = [tsa.ca_der.as_slice(), tsa.tsa_der.as_slice()];
        assert_eq!(
            Verifier::new(&anchors)
                .with_certificates(&certs)
                .verify_token(&s.token, Imprint::Data(DATA)),
            Ok(t)
        );
    }
}

#[test]
fn cms_signed_tst_info_verifies() {
    // The same TSTInfo, wrapped by openssl's generic CMS signer: signed
    // attributes in another set and order, no ESS attribute.
    for kind in [Kind::Rsa, Kind::EcP256] {
        let Some(tsa) = Tsa::get(kind) else { return };
        let anchors = tsa.anchors();
        let s = tsa.token(DATA);
        let tst = tsa.tst_info(&s.token);
        for md in ["sha256", "sha384"] {
            let token = tsa.cms_sign(&tst, "tsa.pem", md);
            let t = Verifier::new(&anchors)
                .verify_token(&token, Imprint::Data(DATA))
                .unwrap_or_else(|e| panic!("{kind:?} {md}: {e}"));
            assert!(near_now(t.gen_time()));
        }
    }
}

// ---------------------------------------------------------------------------
// Tampered tokens: each change fails with its own error.

/// The offset of the seconds' last digit of the one GeneralizedTime in a
/// token from openssl (its certificates use UTCTime).
fn gen_time_seconds_offset(token: &[u8]) -> usize {
    let starts: Vec<usize> = token
        .windows(4)
        .enumerate()
        .filter(|(_, w)| w[0] == 0x18 && (15..=24).contains(&w[1]) && w[2] == b'2' && w[3] == b'0')
        .map(|(i, _)| i)
        .collect();
    assert_eq!(starts.len(), 1, "one GeneralizedTime expected");
    starts[0] + 2 + 13
}

#[test]
fn tampered_tokens_fail_each_with_its_own_error() {
    for kind in [Kind::Rsa, Kind::EcP256] {
        let Some(tsa) = Tsa::get(kind) else { return };
        let anchors = tsa.anchors();
        let v = Verifier::new(&anchors);
        let s = tsa.token(DATA);
        assert!(v.verify_token(&s.token, Imprint::Data(DATA)).is_ok());
        let what = format!("{kind:?}");

        // Other data.
        assert_eq!(
            v.verify_token(&s.token, Imprint::Data(b"other data")),
            Err(TokenError::ImprintMismatch {
                algorithm: HashAlgorithm::Sha256
            }),
            "{what}"
        );
        // A digest of another algorithm than the token's.
        let d384 = HashAlgorithm::Sha384.digest(DATA);
        assert_eq!(
            v.verify_token(
                &s.token,
                Imprint::Digest {
                    algorithm: HashAlgorithm::Sha384,
                    digest: &d384
                }
            ),
            Err(TokenError::ImprintAlgorithmMismatch {
                token: HashAlgorithm::Sha256,
                given: HashAlgorithm::Sha384
            })
        );

        // The signature is the token's last field (no unsigned attributes).
        let mut flipped = s.token.clone();
        *flipped.last_mut().unwrap() ^= 0x01;
        assert!(
            matches!(
                v.verify_token(&flipped, Imprint::Data(DATA)),
                Err(TokenError::BadSignature { .. })
            ),
            "{what}: {:?}",
            v.verify_token(&flipped, Imprint::Data(DATA))
        );

        // genTime one second later, inside the signed TSTInfo.
        let mut later = s.token.clone();
        let at = gen_time_seconds_offset(&later);
        later[at] = if later[at] == b'9' {
            b'8'
        } else {
            later[at] + 1
        };
        assert_eq!(
            v.verify_token(&later, Imprint::Data(DATA)),
            Err(TokenError::MessageDigestMismatch {
                algorithm: HashAlgorithm::Sha256
            }),
            "{what}"
        );

        // A root the TSA does not chain to.
        let other = [tsa.other_anchor()];
        assert!(
            matches!(
                Verifier::new(&other).verify_token(&s.token, Imprint::Data(DATA)),
                Err(TokenError::Certificate(CertificateError::Untrusted { .. }))
            ),
            "{what}"
        );

        // SHA-1 message imprint.
        let sha1 = tsa.stamp(DATA, "sha1", true, "ess_v2", "tsa.pem");
        assert!(
            matches!(
                v.verify_token(&sha1.token, Imprint::Data(DATA)),
                Err(TokenError::UnsupportedHashAlgorithm { field: "messageImprint", ref algorithm })
                    if algorithm.starts_with("sha1")
            ),
            "{what}"
        );

        // The TSA certificate expired before genTime.
        let expired = tsa.stamp(DATA, "sha256", true, "ess_v2", "expired.pem");
        assert!(
            matches!(
                v.verify_token(&expired.token, Imprint::Data(DATA)),
                Err(TokenError::Certificate(CertificateError::Expired {
                    index: 0,
                    ..
                }))
            ),
            "{what}: {:?}",
            v.verify_token(&expired.token, Imprint::Data(DATA))
        );

        // A certificate without the timeStamping purpose: openssl ts
        // refuses to sign with it, so openssl cms signs the TSTInfo.
        let tst = tsa.tst_info(&s.token);
        let noeku = tsa.cms_sign(&tst, "noeku.pem", "sha256");
        let err = v.verify_token(&noeku, Imprint::Data(DATA));
        assert!(
            matches!(
                &err,
                Err(TokenError::Certificate(CertificateError::KeyPurpose { rule, .. }))
                    if rule.contains("no extKeyUsage")
            ),
            "{what}: {err:?}"
        );
        let not_critical = tsa.cms_sign(&tst, "eku_not_critical.pem", "sha256");
        let err = v.verify_token(&not_critical, Imprint::Data(DATA));
        assert!(
            matches!(
                &err,
                Err(TokenError::Certificate(CertificateError::KeyPurpose { rule, .. }))
                    if rule.contains("not marked critical")
            ),
            "{what}: {err:?}"
        );
        // The no-EKU certificate given for a token without certificates:
        // it is not the signer (another serial), so it is not found.
        let bare = tsa.stamp(DATA, "sha256", false, "ess_v2", "tsa.pem");
        let certs = [tsa.noeku_der.as_slice()];
        assert!(matches!(
            Verifier::new(&anchors)
                .with_certificates(&certs)
                .verify_token(&bare.token, Imprint::Data(DATA)),
            Err(TokenError::SignerNotFound { .. })
        ));

        // A certificate with the signer's key, issuer and serial but not
        // the one the ESS attribute names.
        for section in ["ess_v2", "ess_v1"] {
            let bare = tsa.stamp(DATA, "sha256", false, section, "tsa.pem");
            let certs = [tsa.twin_der.as_slice()];
            let err = Verifier::new(&anchors)
                .with_certificates(&certs)
                .verify_token(&bare.token, Imprint::Data(DATA));
            assert!(
                matches!(err, Err(TokenError::SigningCertificateMismatch { .. })),
                "{what} {section}: {err:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The sigstore-conformance suite's RFC 3161 timestamps.

struct Case {
    name: String,
    response: Vec<u8>,
    signature: Vec<u8>,
    anchors: Vec<TrustAnchor>,
    certificates: Vec<Vec<u8>>,
    /// Each TSA's `validFor` (start, end), by anchor.
    valid_for: Vec<(Option<Timestamp>, Option<Timestamp>)>,
}

/// Standard base64; one case's was written by `base64`, with line breaks.
fn b64(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn conformance_cases() -> Option<Vec<Case>> {
    let dir = vouch_test_support::vectors_dir()?.join("sigstore-conformance");
    let production: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("production_trusted_root.json")).unwrap())
            .unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.unwrap();
            e.file_type()
                .unwrap()
                .is_dir()
                .then(|| e.file_name().into_string().unwrap())
        })
        .collect();
    names.sort();
    let mut cases = Vec::new();
    for name in names {
        let Ok(bundle) = serde_json::from_slice::<serde_json::Value>(
            &std::fs::read(dir.join(&name).join("bundle.sigstore.json")).unwrap(),
        ) else {
            continue; // the malformed-JSON case
        };
        let Some(ts) =
            bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
                .as_array()
                .and_then(|a| a.first())
        else {
            continue;
        };
        let response = b64(ts["signedTimestamp"].as_str().unwrap());
        let signature = match bundle["messageSignature"]["signature"].as_str() {
            Some(s) => b64(s),
            None => b64(bundle["dsseEnvelope"]["signatures"][0]["sig"]
                .as_str()
                .unwrap()),
        };
        let root = match std::fs::read(dir.join(&name).join("trusted_root.json")) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap(),
            Err(_) => production.clone(),
        };
        let mut anchors = Vec::new();
        let mut certificates = Vec::new();
        let mut valid_for = Vec::new();
        for tsa in root["timestampAuthorities"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let chain: Vec<Vec<u8>> = tsa["certChain"]["certificates"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| b64(c["rawBytes"].as_str().unwrap()))
                .collect();
            // The chain is leaf first; its last certificate is the root.
            anchors.push(TrustAnchor::from_der(chain.last().unwrap()).unwrap());
            certificates.extend(chain);
            // RFC 3339, here with or without a fraction of a second.
            let t = |k: &str| {
                tsa["validFor"][k].as_str().map(|s| {
                    let whole = s
                        .split_once('.')
                        .map_or(s.to_owned(), |(w, _)| format!("{w}Z"));
                    whole.parse::<Timestamp>().unwrap()
                })
            };
            valid_for.push((t("start"), t("end")));
        }
        cases.push(Case {
            name,
            response,
            signature,
            anchors,
            certificates,
            valid_for,
        });
    }
    Some(cases)
}

impl Case {
    fn verify(&self) -> Result<vouch_core::timestamp::VerifiedTimestamp, TokenError> {
        let certs: Vec<&[u8]> = self.certificates.iter().map(Vec::as_slice).collect();
        Verifier::new(&self.anchors)
            .with_certificates(&certs)
            .verify_response(&self.response, Imprint::Data(&self.signature))
    }
}

#[test]
fn sigstore_conformance_timestamps() {
    let Some(cases) = conformance_cases() else {
        return;
    };
    assert!(
        cases.len() > 25,
        "{} cases with RFC 3161 timestamps",
        cases.len()
    );
    let mut verified = Vec::new();
    for case in &cases {
        let result = case.verify();
        match &result {
            Ok(t) => {
                eprintln!(
                    "{}: verified, genTime {} by {}",
                    case.name,
                    t.gen_time(),
                    t.tsa_subject()
                );
                verified.push(case.name.as_str());
            }
            Err(e) => eprintln!("{}: refused: {e}", case.name),
        }
        let name = case.name.as_str();
        match name {
            // Where the timestamp is the point of the case.
            "rekor2-timestamp-payload-mismatch_fail" => assert_eq!(
                result,
                Err(TokenError::ImprintMismatch {
                    algorithm: HashAlgorithm::Sha256
                }),
                "{name}"
            ),
            "rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail" => assert!(
                matches!(
                    result,
                    Err(TokenError::Certificate(CertificateError::Untrusted { .. }))
                ),
                "{name}: {result:?}"
            ),
            "rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail" => assert!(
                matches!(result, Err(TokenError::SignerNotFound { .. })),
                "{name}: {result:?}"
            ),
            "rekor2-timestamp-outside-tsa-cert-validity_fail" => assert!(
                matches!(
                    result,
                    Err(TokenError::Certificate(CertificateError::Expired { .. }))
                ),
                "{name}: {result:?}"
            ),
            // The token is sound; the trust root's validFor for this TSA
            // ends before genTime, which is the caller's check.
            "rekor2-timestamp-outside-trust-root-tsa-validity_fail" => {
                let t = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                let end = case.valid_for[t.anchor()].1.expect("validFor end");
                assert!(t.gen_time() > end, "{name}: {} <= {end}", t.gen_time());
            }
            // validFor is a closed interval: genTime equals its end.
            "trust-root-tsa-validity-end-inclusive" => {
                let t = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(Some(t.gen_time()), case.valid_for[t.anchor()].1, "{name}");
            }
            // Everything else: other cases fail, if they fail, for reasons
            // other than the timestamp (the READMEs say so), so the
            // timestamp verifies.
            _ => {
                assert!(result.is_ok(), "{name}: {result:?}");
            }
        }
    }
    eprintln!(
        "{} of {} conformance timestamps verified",
        verified.len(),
        cases.len()
    );
}

// ---------------------------------------------------------------------------
// Mutated valid tokens never panic the parser.

/// A valid token or response, what it timestamps and whom to trust.
struct Sample {
    bytes: Vec<u8>,
    data: Vec<u8>,
    anchors: Vec<TrustAnchor>,
    certificates: Vec<Vec<u8>>,
    gen_time: Timestamp,
}

fn samples() -> &'static [Sample] {
    static SAMPLES: OnceLock<Vec<Sample>> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        let mut out = Vec::new();
        for kind in [Kind::Rsa, Kind::EcP256] {
            if let Some(tsa) = Tsa::get(kind) {
                let s = tsa.token(DATA);
                let gen_time = Verifier::new(&tsa.anchors())
                    .verify_token(&s.token, Imprint::Data(DATA))
                    .unwrap()
                    .gen_time();
                for bytes in [s.token, s.response] {
                    out.push(Sample {
                        bytes,
                        data: DATA.to_vec(),
                        anchors: tsa.anchors(),
                        certificates: Vec::new(),
                        gen_time,
                    });
                }
            }
        }
        for case in conformance_cases().into_iter().flatten() {
            if case.name == "rekor2-timestamp-with-embedded-cert"
                || case.name == "rekor2-timestamp-without-embedded-cert"
            {
                let gen_time = case.verify().unwrap().gen_time();
                out.push(Sample {
                    bytes: case.response,
                    data: case.signature,
                    anchors: case.anchors,
                    certificates: case.certificates,
                    gen_time,
                });
            }
        }
        out
    })
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_tokens_never_panic(
        which in proptest::prelude::any::<usize>(),
        edits in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 1..4),
        cut in proptest::option::of(proptest::prelude::any::<usize>()),
    ) {
        let samples = samples();
        if samples.is_empty() {
            return Ok(());
        }
        let sample = &samples[which % samples.len()];
        let mut bytes = sample.bytes.clone();
        for (at, b) in edits {
            let i = at % bytes.len();
            bytes[i] = b;
        }
        if let Some(c) = cut {
            bytes.truncate(c % (bytes.len() + 1));
        }
        let certs: Vec<&[u8]> = sample.certificates.iter().map(Vec::as_slice).collect();
        let v = Verifier::new(&sample.anchors).with_certificates(&certs);
        // A change outside what is signed (a carried CA certificate's
        // signature, the response's status text) may still verify, but
        // never to another time.
        for t in [
            v.verify_token(&bytes, Imprint::Data(&sample.data)),
            v.verify_response(&bytes, Imprint::Data(&sample.data)),
        ]
        .into_iter()
        .flatten()
        {
            proptest::prop_assert_eq!(t.gen_time(), sample.gen_time);
        }
    }
}
