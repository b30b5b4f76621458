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
            let dir = std::env::temp_dir().join(format!(
                "vouch-swtpm-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = std::fs::remove_dir_all(&dir);
            if let Err(e) = std::fs::create_dir_all(&dir) {
                panic!("creating {}: {e}", dir.display());
            }
            let Some(port) = free_port_pair() else {
                panic!("no free pair of loopback ports for swtpm");
            };
            let guard = Swtpm {
                tcti: format!("swtpm:host=127.0.0.1,port={port}"),
                dir,
                port,
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
