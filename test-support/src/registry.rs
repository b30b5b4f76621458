//! A real OCI registry for tests: Debian's `docker-registry` (distribution
//! 2.8, which has no referrers API) on a free loopback port, with its
//! storage in a temporary directory, stopped when the handle is dropped
//! (also when the test panics). Images are pushed into it from a layout
//! with `skopeo copy`.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The registry binary Debian's `docker-registry` package installs.
pub const DOCKER_REGISTRY: &str = "docker-registry";

/// Whether `docker-registry` and `skopeo` are installed (see
/// [`crate::tools_available`]: a SKIP line, or a panic under `CI=true`).
pub fn tools_available(untested: &str) -> bool {
    crate::tools_available(
        &[(DOCKER_REGISTRY, "--version"), ("skopeo", "--version")],
        "registry tests",
        untested,
    )
}

/// A running `docker-registry` on `127.0.0.1:port`.
#[derive(Debug)]
pub struct Registry {
    child: Child,
    port: u16,
    root: PathBuf,
}

/// How long a registry may take to answer `GET /v2/`.
const START_TIMEOUT: Duration = Duration::from_secs(20);

impl Registry {
    /// Starts a registry storing its data under `dir` (which must exist),
    /// on a free loopback port; retries with another port when the chosen
    /// one was taken between choosing and binding.
    ///
    /// # Panics
    ///
    /// When no registry answers after a few attempts.
    #[allow(clippy::panic, clippy::expect_used)]
    pub fn start(dir: &Path) -> Registry {
        let mut last = String::new();
        for attempt in 0..5 {
            let port = free_port();
            let root = dir.join(format!("registry-{attempt}"));
            std::fs::create_dir_all(root.join("storage")).expect("registry storage");
            let config = root.join("config.yml");
            std::fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                    root.join("storage").display()
                ),
            )
            .expect("registry config");
            let log = std::fs::File::create(root.join("registry.log")).expect("registry log");
            let child = Command::new(DOCKER_REGISTRY)
                .arg("serve")
                .arg(&config)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log handle"))
                .stderr(log)
                .spawn()
                .expect("starting docker-registry");
            let mut registry = Registry { child, port, root };
            match registry.wait_ready() {
                Ok(()) => return registry,
                Err(why) => last = why,
            }
            // Dropped here: killed and reaped before the next attempt.
        }
        panic!("docker-registry did not start: {last}");
    }

    /// Polls `GET /v2/` until it answers 200, the child exits, or the
    /// start timeout passes.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                let log =
                    std::fs::read_to_string(self.root.join("registry.log")).unwrap_or_default();
                return Err(format!("exited with {status}: {log}"));
            }
            if get_status(self.port, "/v2/") == Some(200) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "no answer on port {} within {START_TIMEOUT:?}",
            self.port
        ))
    }

    /// `127.0.0.1:PORT`, the registry's host for image references.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The port the registry listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Pushes the image `tag` of the layout `layout` to `REPO:TAG` with
    /// `skopeo copy` (plain HTTP: `--dest-tls-verify=false`).
    ///
    /// # Panics
    ///
    /// When skopeo fails.
    pub fn push(&self, layout: &Path, tag: &str, repo: &str) {
        crate::oci::run(
            Command::new("skopeo")
                .args(["copy", "--quiet", "--dest-tls-verify=false"])
                .arg(format!("oci:{}:{tag}", layout.display()))
                .arg(format!("docker://{}/{repo}:{tag}", self.host())),
        );
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        // By pid: only this child, never a broad match.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port the kernel reports free on 127.0.0.1 (it may be taken again
/// before the registry binds it: [`Registry::start`] retries).
#[allow(clippy::expect_used)]
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// The status code of `GET path` on `127.0.0.1:port`, or `None` when there
/// is no HTTP answer (yet).
pub fn get_status(port: u16, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::unwrap_used)]
    fn registry_starts_answers_and_stops() {
        if !tools_available("the docker-registry harness") {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let port;
        {
            let registry = Registry::start(tmp.path());
            port = registry.port();
            assert_eq!(get_status(port, "/v2/"), Some(200));
            assert_eq!(get_status(port, "/v2/nothing/manifests/latest"), Some(404));
        }
        assert_eq!(
            get_status(port, "/v2/"),
            None,
            "the registry outlived its handle"
        );
    }

    #[test]
    #[allow(clippy::unwrap_used)]
    fn a_pushed_image_keeps_its_digest() {
        if !tools_available("pushing to the docker-registry harness")
            || !crate::oci::tools_available("pushing an umoci image")
        {
            return;
        }
        let tmp = tempfile::tempdir().unwrap();
        let layout = tmp.path().join("L");
        crate::oci::build_image(&layout, "v1", &[("/f", b"x")]);
        let registry = Registry::start(tmp.path());
        registry.push(&layout, "v1", "team/app");
        let local = crate::oci::skopeo_inspect(&layout, "v1");
        let out = crate::oci::run(
            Command::new("skopeo")
                .args(["inspect", "--tls-verify=false"])
                .arg(format!("docker://{}/team/app:v1", registry.host())),
        );
        let remote: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(remote["Digest"], local["Digest"]);
    }
}
