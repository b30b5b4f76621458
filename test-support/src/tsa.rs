//! A throwaway RFC 3161 timestamp authority made with `openssl` (a root CA,
//! a TSA certificate with the critical timeStamping purpose, `openssl ts
//! -reply` answering), for the tests of crates that use proven time. The
//! vouch-core timestamp tests keep a fuller PKI of their own (tampered and
//! expired certificates, several encoders).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

/// The openssl configuration of a throwaway PKI: request defaults, a root
/// CA's extensions (`v3_ca`) and a TSA certificate's (`v3_tsa`, with the
/// critical timeStamping purpose RFC 3161 requires). Fixtures that need
/// more sections (tampered certificates, other TSA profiles) append them.
pub const PKI_CONFIG: &str = r#"
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[v3_tsa]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"#;

/// The TSA section `openssl ts -reply` answers with here.
const TSA_CONFIG: &str = r#"
[tsa]
default_tsa = tsa_default
[tsa_default]
serial = tsaserial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
ess_cert_id_chain = yes
ess_cert_id_alg = sha256
crypto_device = builtin
"#;

/// One `openssl ts -reply` at a time: it rewrites its serial file.
static OPENSSL: Mutex<()> = Mutex::new(());
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A timestamp authority in a directory of this process (removed on drop).
#[derive(Debug)]
pub struct OpensslTsa {
    dir: PathBuf,
}

fn run(dir: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let _guard = OPENSSL.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .env("OPENSSL_CONF", dir.join("openssl.cnf"))
        .output()
        .map_err(|e| format!("running openssl: {e}"))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(format!(
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl OpensslTsa {
    /// A new authority (ECDSA P-256 root and TSA keys); `None` after a
    /// `SKIP:` line when openssl is not installed.
    ///
    /// # Panics
    ///
    /// Under `CI=true` when openssl is missing, and when openssl fails.
    #[allow(clippy::panic)]
    pub fn new(untested: &str) -> Option<OpensslTsa> {
        let present = Command::new("openssl")
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !present {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("openssl is missing; CI=true forbids skipping {untested}");
            }
            eprintln!("SKIP: openssl not found; {untested} not tested");
            return None;
        }
        let dir = std::env::temp_dir().join(format!(
            "vouch-tsa-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let tsa = OpensslTsa { dir };
        if let Err(e) = tsa.make() {
            panic!("making a test TSA: {e}");
        }
        Some(tsa)
    }

    fn make(&self) -> Result<(), String> {
        let dir = &self.dir;
        let write = |name: &str, text: &str| {
            std::fs::write(dir.join(name), text).map_err(|e| format!("writing {name}: {e}"))
        };
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        write("openssl.cnf", &format!("{PKI_CONFIG}{TSA_CONFIG}"))?;
        write("tsaserial", "01\n")?;
        let key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
        let mut args = vec!["req", "-x509", "-config", "openssl.cnf", "-nodes"];
        args.extend_from_slice(&key);
        args.extend_from_slice(&[
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "3650",
            "-subj",
            "/CN=vouch test TSA root",
            "-extensions",
            "v3_ca",
        ]);
        run(dir, &args)?;
        let mut args = vec!["req", "-new", "-config", "openssl.cnf", "-nodes"];
        args.extend_from_slice(&key);
        args.extend_from_slice(&[
            "-keyout",
            "tsa.key",
            "-subj",
            "/CN=vouch test TSA",
            "-out",
            "tsa.csr",
        ]);
        run(dir, &args)?;
        run(
            dir,
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
                "7",
                "-days",
                "30",
                "-extfile",
                "openssl.cnf",
                "-extensions",
                "v3_tsa",
                "-out",
                "tsa.pem",
            ],
        )?;
        run(
            dir,
            &["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"],
        )?;
        Ok(())
    }

    /// The root certificate (DER) a roster trusts.
    ///
    /// # Panics
    ///
    /// When the file cannot be read.
    #[allow(clippy::panic)]
    pub fn root_der(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("ca.der")).unwrap_or_else(|e| panic!("reading ca.der: {e}"))
    }

    /// The root certificate's PEM file.
    pub fn root_pem(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A token (DER `TimeStampToken`, certificates included) whose imprint
    /// is the SHA-256 digest `digest`, time-stamped now.
    ///
    /// # Panics
    ///
    /// When openssl fails.
    #[allow(clippy::panic)]
    pub fn stamp_sha256(&self, digest: &[u8]) -> Vec<u8> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let (req, resp, tok) = (
            format!("req{n}.tsq"),
            format!("resp{n}.tsr"),
            format!("token{n}.der"),
        );
        let hex = hex_of(digest);
        let steps = [
            vec![
                "ts", "-query", "-digest", &hex, "-sha256", "-cert", "-out", &req,
            ],
            vec![
                "ts",
                "-reply",
                "-config",
                "openssl.cnf",
                "-queryfile",
                &req,
                "-signer",
                "tsa.pem",
                "-inkey",
                "tsa.key",
                "-chain",
                "ca.pem",
                "-out",
                &resp,
            ],
            vec!["ts", "-reply", "-in", &resp, "-token_out", "-out", &tok],
        ];
        for args in &steps {
            if let Err(e) = run(&self.dir, args) {
                panic!("{e}");
            }
        }
        std::fs::read(self.dir.join(&tok)).unwrap_or_else(|e| panic!("reading {tok}: {e}"))
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Drop for OpensslTsa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
