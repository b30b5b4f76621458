//! A TPM 2.0 simulator (swtpm) per test, for the tests of TPM-resident keys.
//!
//! swtpm has no resource manager and only three transient object slots, so
//! tests that share one would see each other's objects and leaks; every
//! [`Swtpm::start`] therefore starts its own instance, with its own state
//! directory and its own loopback port pair.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A running swtpm; dropping it kills the process and removes its state.
#[derive(Debug)]
pub struct Swtpm {
    dir: PathBuf,
    port: u16,
    tcti: String,
}

/// Distinguishes the state directories of instances started by one process.
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Whether `program --version` runs.
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// `true` when the tool is there; otherwise a `SKIP:` line (or, under
/// `CI=true`, a panic) and `false`.
#[allow(clippy::panic)]
fn available(tool: &str, package: &str, untested: &str) -> bool {
    if runs(tool) {
        return true;
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{tool} is missing (Debian package {package}); CI=true forbids skipping {untested}");
    }
    eprintln!("SKIP: {tool} not found (Debian package {package}); {untested} not tested");
    false
}

/// Whether tpm2-tools is installed (for interop checks), with the same
/// `SKIP:`/`CI=true` rule as [`Swtpm::start`].
pub fn tpm2_tools_available(untested: &str) -> bool {
    available("tpm2_verifysignature", "tpm2-tools", untested)
}

/// Two consecutive free loopback ports (swtpm's server port and, one
/// above, its control port). Free when asked: another process may take
/// them before swtpm binds, which [`Swtpm::start`] survives by retrying.
fn free_port_pair() -> Option<u16> {
    for _ in 0..50 {
        let first = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).ok()?;
        let port = first.local_addr().ok()?.port();
        let Some(next) = port.checked_add(1) else {
            continue;
        };
        if TcpListener::bind((Ipv4Addr::LOCALHOST, next)).is_ok() {
            return Some(port);
        }
    }
    None
}

impl Swtpm {
    /// Starts a fresh swtpm (TPM 2.0, already started up with
    /// `TPM2_Startup(CLEAR)`) on 127.0.0.1 and waits until it accepts
    /// connections. `None`, after a `SKIP:` line, when swtpm is not
    /// installed.
    ///
    /// # Panics
    ///
    /// Under `CI=true` when swtpm is missing; and anywhere when it is
    /// installed but does not start.
    #[allow(clippy::panic)]
    pub fn start(untested: &str) -> Option<Swtpm> {
        if !available("swtpm", "swtpm", untested) {
            return None;
        }
        let mut last_error = String::new();
        for _ in 0..5 {
            let Some(guard) = Swtpm::prepare() else {
                panic!("no free pair of loopback ports for swtpm");
            };
            match guard.launch() {
                Ok(()) => return Some(guard),
                // The guard's drop kills whatever did start and removes
                // the directory; a port taken meanwhile is worth a retry.
                Err(e) => last_error = e,
            }
        }
        panic!("swtpm did not start: {last_error}");
    }

    /// [`Swtpm::start`], with the TPM manufactured first by `swtpm_setup
    /// --create-ek-cert`: an RSA 2048 (and an ECC) endorsement key, and
    /// their certificates in NV (RSA at index 0x01c00002), issued by `ca`.
    /// `None`, after a `SKIP:` line, when swtpm or swtpm_setup is missing.
    ///
    /// # Panics
    ///
    /// As [`Swtpm::start`], and when swtpm_setup fails.
    #[allow(clippy::panic)]
    pub fn start_manufactured(untested: &str, ca: &SwtpmCa) -> Option<Swtpm> {
        if !available("swtpm_setup", "swtpm-tools", untested)
            || !available("swtpm", "swtpm", untested)
        {
            return None;
        }
        let mut last_error = String::new();
        for _ in 0..5 {
            let Some(guard) = Swtpm::prepare() else {
                panic!("no free pair of loopback ports for swtpm");
            };
            if let Err(e) = ca.manufacture(&guard.dir) {
                panic!("swtpm_setup failed: {e}");
            }
            match guard.launch() {
                Ok(()) => return Some(guard),
                Err(e) => last_error = e,
            }
        }
        panic!("swtpm did not start: {last_error}");
    }

    /// A guard with a fresh state directory and a port pair, nothing
    /// started; `None` when no port pair is free.
    #[allow(clippy::panic)]
    fn prepare() -> Option<Swtpm> {
        let dir = std::env::temp_dir().join(format!(
            "vouch-swtpm-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(e) = std::fs::create_dir_all(&dir) {
            panic!("creating {}: {e}", dir.display());
        }
        let port = free_port_pair()?;
        Some(Swtpm {
            tcti: format!("swtpm:host=127.0.0.1,port={port}"),
            dir,
            port,
        })
    }

    fn launch(&self) -> Result<(), String> {
        let port = self.port;
        let ctrl = port + 1;
        let output = Command::new("swtpm")
            .args(["socket", "--tpm2", "--server"])
            .arg(format!("type=tcp,port={port},bindaddr=127.0.0.1"))
            .arg("--ctrl")
            .arg(format!("type=tcp,port={ctrl},bindaddr=127.0.0.1"))
            .arg("--tpmstate")
            .arg(format!("dir={}", self.dir.display()))
            .args([
                "--flags",
                "not-need-init,startup-clear",
                "--daemon",
                "--pid",
            ])
            .arg(format!("file={}", self.pid_file().display()))
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run swtpm: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "swtpm exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ));
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() && self.pid().is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("swtpm did not accept on port {port} within 10 s"))
    }

    fn pid_file(&self) -> PathBuf {
        self.dir.join("swtpm.pid")
    }

    fn pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.pid_file())
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// The TCTI string for tss-esapi and tpm2-tools
    /// (`swtpm:host=127.0.0.1,port=P`).
    pub fn tcti(&self) -> &str {
        &self.tcti
    }

    /// The server (command) port; the control port is one above.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The instance's state directory (removed on drop); a place for the
    /// test's own files too.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Swtpm {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let pid = pid.to_string();
            let _ = Command::new("kill")
                .arg(&pid)
                .stderr(Stdio::null())
                .status();
            // swtpm daemonized (it is not our child): poll until it is
            // gone, so its ports and state are free when we return.
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                let alive = Command::new("kill")
                    .args(["-0", &pid])
                    .stderr(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success());
                if !alive {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A certificate authority for swtpm's endorsement keys, as `swtpm_localca`
/// keeps it: a root, an intermediate that signs EK certificates, and their
/// keys, all in one directory of this process (removed on drop). The CA is
/// made on the first [`Swtpm::start_manufactured`] that uses it.
#[derive(Debug)]
pub struct SwtpmCa {
    dir: PathBuf,
}

impl SwtpmCa {
    /// A new, empty CA directory.
    ///
    /// # Panics
    ///
    /// When the directory cannot be made.
    #[allow(clippy::panic)]
    pub fn new() -> SwtpmCa {
        let dir = std::env::temp_dir().join(format!(
            "vouch-swtpm-ca-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        if let Err(e) = std::fs::create_dir_all(dir.join("ca")) {
            panic!("creating {}: {e}", dir.display());
        }
        SwtpmCa { dir }
    }

    /// The root certificate (PEM) a roster trusts for EK certificates.
    pub fn root_pem(&self) -> PathBuf {
        self.dir.join("ca/swtpm-localca-rootca-cert.pem")
    }

    /// The intermediate (PEM) that issued the EK certificates; a TPM does
    /// not carry it, so the enroller supplies it.
    pub fn intermediate_pem(&self) -> PathBuf {
        self.dir.join("ca/issuercert.pem")
    }

    /// Runs swtpm_setup on the TPM state directory `state`, with this CA.
    fn manufacture(&self, state: &Path) -> Result<(), String> {
        let ca = self.dir.join("ca");
        let conf = self.dir.join("swtpm-localca.conf");
        let options = self.dir.join("swtpm-localca.options");
        let setup = self.dir.join("swtpm_setup.conf");
        let write = |path: &Path, text: String| {
            std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
        };
        write(
            &conf,
            format!(
                "statedir = {ca}\nsigningkey = {ca}/signkey.pem\nissuercert = {ca}/issuercert.pem\ncertserial = {ca}/certserial\n",
                ca = ca.display()
            ),
        )?;
        write(
            &options,
            "--platform-manufacturer vouch\n--platform-version 2.1\n--platform-model test\n".into(),
        )?;
        write(
            &setup,
            format!(
                "create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = {}\ncreate_certs_tool_options = {}\nactive_pcr_banks = sha256\n",
                conf.display(),
                options.display()
            ),
        )?;
        let output = Command::new("swtpm_setup")
            .args(["--tpm2", "--create-ek-cert", "--overwrite"])
            .arg("--tpmstate")
            .arg(state)
            .arg("--config")
            .arg(&setup)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run swtpm_setup: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "exit {}: {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout).trim(),
                String::from_utf8_lossy(&output.stderr).trim()
            ))
        }
    }
}

impl Default for SwtpmCa {
    fn default() -> Self {
        SwtpmCa::new()
    }
}

impl Drop for SwtpmCa {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
