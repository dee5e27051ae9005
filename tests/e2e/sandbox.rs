//! The sandbox: what the guest component imports, and hostile guests that try
//! to reach past the policy. Each attempt must be refused with a clear error,
//! the host must keep running, and nothing may land outside the run folder.

use crate::backup_local::multi_page_site;
use crate::support::{self, Output};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use tableau_sim::{Sim, SimConfig};

/// `<target>/`, from the integration test's tmp dir `<target>/tmp`.
fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The real guest, as build.rs built it for the binary.
fn real_guest() -> PathBuf {
    let guests = tableau_backup_guest_build::guest_target_dir(&target_dir());
    tableau_backup_guest_build::wasm_path(&guests, "tableau-backup-guest")
}

/// Build the hostile guest once per test run, the way build.rs builds the real one.
fn hostile_guest() -> &'static Path {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        let workspace = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let guests = tableau_backup_guest_build::guest_target_dir(&target_dir());
        tableau_backup_guest_build::build(workspace, "hostile-guest", &guests)
            .unwrap_or_else(|why| panic!("{why}"))
    })
}

#[test]
fn the_guest_imports_only_wasi_and_our_own_package() {
    let wasm = std::fs::read(real_guest()).expect("build.rs built the guest");
    let runtime = tableau_backup_host::runtime::GuestRuntime::new(&wasm).unwrap();
    let imports = runtime.imports();
    for import in &imports {
        assert!(
            import.starts_with("wasi:") || import.starts_with("tableau-backup:backup/"),
            "unexpected import {import} in {imports:?}"
        );
    }
    for needed in [
        "wasi:http/outgoing-handler@0.2.12",
        "tableau-backup:backup/store@0.1.0",
        "tableau-backup:backup/secrets@0.1.0",
    ] {
        assert!(
            imports.iter().any(|i| i == needed),
            "{needed} not imported: {imports:?}"
        );
    }
}

/// Run the hostile guest with one attack.
async fn attack(sim: &Sim, dest: &Path, name: &str, policy: Option<&str>) -> Output {
    let guest = hostile_guest().to_str().unwrap().to_string();
    let mut extra = vec!["--guest".to_string(), guest];
    let policy_file = dest.join("policy.toml");
    if let Some(p) = policy {
        std::fs::write(&policy_file, p).unwrap();
        extra.push("--policy".into());
        extra.push(policy_file.to_str().unwrap().into());
    }
    let url = sim.base_url();
    let d = dest.join("backups");
    let mut args = vec![
        "backup",
        "--server",
        &url,
        "--site",
        name,
        "--token-name",
        "t",
        "--dest",
        d.to_str().unwrap(),
    ];
    args.extend(extra.iter().map(String::as_str));
    support::run(&args, &support::secret_env("pat-secret")).await
}

fn assert_denied(out: &Output, want: &str) {
    assert_eq!(out.code, 1, "the attack must fail the run:\n{}", out.all());
    assert!(!out.all().contains("ESCAPED"), "sandbox escape:\n{}", out.all());
    assert!(out.stderr.contains(want), "expected {want:?} in:\n{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_http_is_limited_to_the_tableau_server() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    for name in ["http-other-host", "http-other-port", "http-metadata"] {
        let out = attack(&sim, dir.path(), name, None).await;
        assert_denied(&out, "HttpRequestDenied");
        assert!(
            out.stderr.contains("not the Tableau server"),
            "{name}: the host logs why:\n{}",
            out.stderr
        );
    }
    // A listed name that resolves to a private address is refused after DNS.
    let out = attack(
        &sim,
        dir.path(),
        "http-private-name",
        Some("[http]\nallow_hosts = [\"localhost\"]\n"),
    )
    .await;
    assert_denied(&out, "HttpRequestDenied");
    assert!(out.stderr.contains("non-public address"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_store_keys_and_sizes_are_policed() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    let out = attack(&sim, dir.path(), "leak-secret", None).await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        !out.all().contains("pat-secret"),
        "a guest leaked the secret:\n{}",
        out.all()
    );
    assert!(out.all().contains("the secret is <redacted>"), "{}", out.all());

    let out = attack(&sim, dir.path(), "secret-other", None).await;
    assert_denied(&out, "aws-secret-access-key");

    let out = attack(&sim, dir.path(), "key-escape", None).await;
    assert_denied(&out, "refused");
    assert!(!dir.path().join("escape").exists() && !dir.path().join("backups/escape").exists());
    assert!(!Path::new("/etc/x").exists());

    let out = attack(&sim, dir.path(), "upload-flood", None).await;
    assert_denied(&out, "too many uploads open at once");

    let out = attack(
        &sim,
        dir.path(),
        "size-limit",
        Some("[store]\nmax_object_bytes = 1048576\n"),
    )
    .await;
    assert_denied(&out, "exceeds the size limit");
    // Only the host's own run markers: nothing the guest tried to store.
    let leftovers: Vec<_> = walk(&dir.path().join("backups"))
        .into_iter()
        .filter(|p| !p.ends_with("policy.toml") && !p.ends_with(tableau_backup_model::run_name::STARTED_KEY))
        .collect();
    assert!(leftovers.is_empty(), "nothing stored: {leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_cpu_and_output_limits_stop_the_guest() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    let out = attack(
        &sim,
        dir.path(),
        "memory",
        Some("[resources]\nmax_memory_mib = 64\n"),
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("memory limit of 64 MiB"), "{}", out.stderr);

    let out = attack(&sim, dir.path(), "spin", Some("[resources]\nmax_cpu_secs = 1\n")).await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("CPU budget of 1 s"), "{}", out.stderr);

    let out = attack(&sim, dir.path(), "flood-stdout", None).await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.len() < 1 << 20,
        "guest output is capped, got {} bytes",
        out.stderr.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_secret_never_appears_in_logs_reports_or_objects() {
    let secret = "PAT-s3cr3t-0f-the-backup-bot-7d1f";
    let sim = Sim::start(multi_page_site(9).pat("backup-bot", secret))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = support::backup(&sim, dir.path().to_str().unwrap(), &["-vv"], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(!out.all().contains(secret), "secret in the output");
    let files = walk(dir.path());
    assert!(files.len() > 10);
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "secret in {}",
            f.display()
        );
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}
