//! Builds the guest component for wasm32-wasip2 and hands it to `main.rs` to embed.
//!
//! Only this small binary crate embeds it, so a guest edit never recompiles the
//! host library. `TABLEAU_BACKUP_GUEST_WASM=path` embeds a prebuilt component
//! instead. The build itself is `tableau-backup-guest-build`, shared with the tests.

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let dest = out_dir.join("guest.wasm");
    println!("cargo:rerun-if-env-changed=TABLEAU_BACKUP_GUEST_WASM");
    if let Ok(prebuilt) = env::var("TABLEAU_BACKUP_GUEST_WASM") {
        println!("cargo:rerun-if-changed={prebuilt}");
        std::fs::copy(&prebuilt, &dest).unwrap_or_else(|e| panic!("cannot copy {prebuilt}: {e}"));
        return;
    }

    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().expect("host/ sits in the workspace");
    for watched in [
        "guest/src",
        "guest/Cargo.toml",
        "crates/model",
        "wit",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", workspace.join(watched).display());
    }
    // OUT_DIR is <target>/<profile>/build/<pkg>-<hash>/out.
    let target_root = out_dir
        .ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out_dir.clone());
    let guest_target = tableau_backup_guest_build::guest_target_dir(&target_root);
    match tableau_backup_guest_build::build(workspace, "tableau-backup-guest", &guest_target) {
        Ok(built) => {
            std::fs::copy(&built, &dest).unwrap_or_else(|e| panic!("cannot copy {}: {e}", built.display()));
        }
        Err(why) => {
            eprintln!("error: {why}");
            panic!("{why}");
        }
    }
}
