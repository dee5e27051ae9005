//! Running a child process to completion and reading its wall time and peak RSS.
//!
//! The child is reaped with `wait4(2)`, whose `rusage` belongs to that child alone
//! (`getrusage(RUSAGE_CHILDREN)` would report the maximum over every child so far).

use std::fs::File;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// A finished child.
pub struct Finished {
    pub status: ExitStatus,
    /// From spawn to exit.
    pub wall: Duration,
    /// Peak resident set size in bytes.
    pub peak_rss: u64,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `cmd` to completion; its stdout and stderr go to files in `logs`, then into the result.
pub fn run(mut cmd: Command, logs: &Path) -> Result<Finished> {
    let (out_path, err_path) = (logs.join("stdout.log"), logs.join("stderr.log"));
    cmd.stdin(Stdio::null())
        .stdout(File::create(&out_path)?)
        .stderr(File::create(&err_path)?);
    let start = Instant::now();
    // Reaped below by wait4 (std's Child::wait gives no rusage).
    let child = cmd
        .spawn()
        .with_context(|| format!("cannot start {:?}", cmd.get_program()))?;
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: valid pointers to locals; pid is our own unreaped child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e).context("wait4");
        }
    }
    let wall = start.elapsed();
    Ok(Finished {
        status: ExitStatus::from_raw(status),
        wall,
        peak_rss: max_rss_bytes(&usage),
        stdout: std::fs::read_to_string(&out_path).unwrap_or_default(),
        stderr: std::fs::read_to_string(&err_path).unwrap_or_default(),
    })
}

/// `ru_maxrss` is in KiB on Linux and in bytes on macOS.
fn max_rss_bytes(usage: &libc::rusage) -> u64 {
    let v = usage.ru_maxrss.max(0) as u64;
    if cfg!(target_os = "macos") {
        v
    } else {
        v * 1024
    }
}
