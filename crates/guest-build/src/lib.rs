//! Build a guest component of this workspace for `wasm32-wasip2`, the one way
//! `host/build.rs` and the tests do it.
//!
//! The build is a nested `cargo build --release --locked` with its own target
//! dir (sharing the outer one would deadlock on its lock) and without the outer
//! build's flags and wrappers (they are meant for the host's target).
//!
//! Rustup installs the toolchain's targets from `rust-toolchain.toml` only when
//! auto-install is on; CI and these machines set `RUSTUP_AUTO_INSTALL=0`. So a
//! missing `wasm32-wasip2` target is added here with `rustup target add`, or,
//! without rustup, the build stops with one line that says what to install.

#![deny(missing_docs)]

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The guests' target triple.
pub const TARGET: &str = "wasm32-wasip2";

/// Environment the outer build sets that must not reach the nested one.
const OUTER_ONLY_ENV: [&str; 7] = [
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTC_WORKSPACE_WRAPPER",
];

/// Where the guests of an outer target dir are built: `<target>/guest`.
pub fn guest_target_dir(outer_target: &Path) -> PathBuf {
    outer_target.join("guest")
}

/// The component a build of `package` produces in `target_dir`.
pub fn wasm_path(target_dir: &Path, package: &str) -> PathBuf {
    target_dir
        .join(TARGET)
        .join("release")
        .join(format!("{}.wasm", package.replace('-', "_")))
}

/// Build `package` (a member of the workspace at `workspace`) into `target_dir`
/// and return the component's path. Installs the wasm target first if needed.
pub fn build(workspace: &Path, package: &str, target_dir: &Path) -> Result<PathBuf, String> {
    ensure_target(workspace)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(cargo);
    cmd.current_dir(workspace)
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            package,
            "--target",
            TARGET,
        ])
        .arg("--target-dir")
        .arg(target_dir);
    for var in OUTER_ONLY_ENV {
        cmd.env_remove(var);
    }
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run cargo to build {package}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "building {package} for {TARGET} failed (see cargo's output above)"
        ));
    }
    let wasm = wasm_path(target_dir, package);
    if !wasm.is_file() {
        return Err(format!("cargo built {package} but {} is missing", wasm.display()));
    }
    Ok(wasm)
}

/// Make sure the active toolchain has the `wasm32-wasip2` standard library.
pub fn ensure_target(workspace: &Path) -> Result<(), String> {
    if target_installed(workspace) {
        return Ok(());
    }
    let mut add = Command::new("rustup");
    add.current_dir(workspace).args(["target", "add", TARGET]);
    if let Some(toolchain) = std::env::var_os("RUSTUP_TOOLCHAIN") {
        add.arg("--toolchain").arg(toolchain);
    }
    let added = add
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if added && target_installed(workspace) {
        warn(&format!(
            "installed the {TARGET} target with `rustup target add {TARGET}` (the guest is built for it)"
        ));
        return Ok(());
    }
    Err(format!(
        "the {TARGET} target is not installed and could not be added; run `rustup target add {TARGET}` \
         (or install the Rust standard library for {TARGET} another way) and build again"
    ))
}

/// Whether the toolchain cargo uses has the target's standard library.
fn target_installed(workspace: &Path) -> bool {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| OsString::from("rustc"));
    let out = Command::new(rustc)
        .current_dir(workspace)
        .args(["--print", "target-libdir", "--target", TARGET])
        .stderr(Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let dir = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
            std::fs::read_dir(dir)
                .map(|mut entries| {
                    entries.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("libcore-")))
                })
                .unwrap_or(false)
        }
        _ => false,
    }
}

/// A warning cargo shows: a `cargo:warning=` line inside a build script,
/// stderr elsewhere (tests).
fn warn(message: &str) {
    if std::env::var_os("OUT_DIR").is_some() && std::env::var_os("CARGO_MANIFEST_DIR").is_some() {
        println!("cargo:warning={message}");
    } else {
        eprintln!("warning: {message}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let t = Path::new("/t");
        assert_eq!(guest_target_dir(t), Path::new("/t/guest"));
        assert_eq!(
            wasm_path(&guest_target_dir(t), "tableau-backup-guest"),
            Path::new("/t/guest/wasm32-wasip2/release/tableau_backup_guest.wasm")
        );
    }
}
