//! The sandbox: what the guest component imports, and hostile guests that try
//! to reach past the policy. Each attempt must be refused with a clear error,
//! the host must keep running, and nothing may land outside the run folder.

use crate::backup_local::multi_page_site;
use crate::support::{self, Output};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
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
        "tableau-backup:backup/store@0.3.0",
        "tableau-backup:backup/secrets@0.3.0",
    ] {
        assert!(
            imports.iter().any(|i| i == needed),
            "{needed} not imported: {imports:?}"
        );
    }
}

/// Run the hostile guest with one attack.
async fn attack(sim: &Sim, dest: &Path, name: &str, policy: Option<&str>) -> Output {
    attack_at(&sim.base_url(), dest, name, policy, "pat-secret").await
}

/// Run the hostile guest with one attack against `server`, holding `secret`.
async fn attack_at(server: &str, dest: &Path, name: &str, policy: Option<&str>, secret: &str) -> Output {
    let guest = hostile_guest().to_str().unwrap().to_string();
    let mut extra = vec!["--guest".to_string(), guest];
    let policy_file = dest.join("policy.toml");
    if let Some(p) = policy {
        std::fs::write(&policy_file, p).unwrap();
        extra.push("--policy".into());
        extra.push(policy_file.to_str().unwrap().into());
    }
    let d = dest.join("backups");
    let mut args = vec![
        "backup",
        "--server",
        server,
        "--site",
        name,
        "--token-name",
        "t",
        "--dest",
        d.to_str().unwrap(),
    ];
    args.extend(extra.iter().map(String::as_str));
    support::run(&args, &support::secret_env(secret)).await
}

fn assert_denied(out: &Output, want: &str) {
    assert_eq!(out.code, 1, "the attack must fail the run:\n{}", out.all());
    assert!(!out.all().contains("ESCAPED"), "sandbox escape:\n{}", out.all());
    assert!(out.stderr.contains(want), "expected {want:?} in:\n{}", out.stderr);
}

/// The host's refusal log lines.
fn policy_lines(out: &Output) -> Vec<&str> {
    out.stderr
        .lines()
        .filter(|l| l.contains(" WARN ") && l.contains("denied"))
        .collect()
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

    // Other spellings of loopback and of the metadata service, userinfo, IPv6,
    // IPv4-mapped and NAT64: none is the configured server.
    let out = attack(&sim, dir.path(), "http-probes", None).await;
    assert_denied(&out, "HttpRequestDenied");
    assert!(!out.stderr.contains("GOT THROUGH"), "{}", out.stderr);
    let port = sim.port();
    for host in [
        "169.254.169.254:80".to_string(),
        format!("169.254.169.254:{port}"),
        format!("::1:{port}"),
        format!("::ffff:127.0.0.1:{port}"),
        "::ffff:169.254.169.254:80".to_string(),
        format!("2130706433:{port}"),
        "2130706433:80".to_string(),
        format!("0177.0.0.1:{port}"),
        "0177.0.0.1:80".to_string(),
        "64:ff9b::a00:1:80".to_string(),
        "fd00:ec2::254:80".to_string(),
    ] {
        let want = format!("http://{host} is not the Tableau server");
        assert!(
            policy_lines(&out).iter().any(|l| l.contains(&want)),
            "{want}:\n{}",
            out.stderr
        );
    }

    // The same addresses listed in the policy (over https): each is refused on
    // the address it resolves to, judged by the IPv4 address it carries.
    let listed = [
        ("::ffff:127.0.0.1", "::ffff:127.0.0.1"),
        ("::ffff:a9fe:a9fe", "::ffff:169.254.169.254"),
        ("64:ff9b::a00:1", "64:ff9b::a00:1"),
        ("64:ff9b::a9fe:a9fe", "64:ff9b::a9fe:a9fe"),
        ("2002:a00:1::", "2002:a00:1::"),
        ("::a00:1", "::a00:1"),
        ("fd00:ec2::254", "fd00:ec2::254"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
    ];
    let allow: Vec<String> = listed.iter().map(|(h, _)| format!("{h:?}")).collect();
    let policy = format!("[http]\nallow_hosts = [{}]\n", allow.join(", "));
    let out = attack(&sim, dir.path(), "http-probes-listed", Some(&policy)).await;
    assert_denied(&out, "HttpRequestDenied");
    assert!(!out.stderr.contains("GOT THROUGH"), "{}", out.stderr);
    for (host, resolved) in listed {
        let want = format!("{host} resolves to {resolved}, a non-public address");
        assert!(
            policy_lines(&out).iter().any(|l| l.contains(&want)),
            "{want}:\n{}",
            out.stderr
        );
    }
}

/// A server that answers every request with a redirect to `location`, or
/// (without one) with 200; counts the requests it got.
async fn redirecting_server(location: Option<String>) -> (String, Arc<AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let count = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let count = count.clone();
            let location = location.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(&chunk[..n]),
                    }
                }
                count.fetch_add(1, Ordering::SeqCst);
                let answer = match &location {
                    Some(l) => format!(
                        "HTTP/1.1 302 Found\r\nLocation: {l}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                    ),
                    None => "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok".into(),
                };
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (url, hits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_to_other_targets_are_never_followed() {
    let dir = tempfile::tempdir().unwrap();
    let (elsewhere, elsewhere_hits) = redirecting_server(None).await;
    let (server, server_hits) = redirecting_server(Some(format!("{elsewhere}/steal"))).await;

    // The real guest, signing in at a server that redirects everything elsewhere.
    let d = dir.path().join("real");
    let out = support::run(
        &[
            "backup",
            "--server",
            &server,
            "--site",
            "s",
            "--token-name",
            "t",
            "--dest",
            d.to_str().unwrap(),
        ],
        &support::secret_env("pat-secret"),
    )
    .await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        server_hits.load(Ordering::SeqCst) >= 1,
        "the guest asked the server"
    );
    assert_eq!(
        elsewhere_hits.load(Ordering::SeqCst),
        0,
        "neither host nor guest followed the redirect:\n{}",
        out.all()
    );

    // A guest following it by hand is refused by the host.
    let out = attack_at(&server, dir.path(), "http-redirect", None, "pat-secret").await;
    assert_denied(&out, "HttpRequestDenied");
    assert!(out.stderr.contains("redirect answer: 302"), "{}", out.stderr);
    assert!(out.stderr.contains("not the Tableau server"), "{}", out.stderr);
    assert_eq!(elsewhere_hits.load(Ordering::SeqCst), 0);

    // And to the metadata service.
    let (server, _) = redirecting_server(Some("http://169.254.169.254/latest/meta-data/iam/".into())).await;
    let out = attack_at(&server, dir.path(), "http-redirect", None, "pat-secret").await;
    assert_denied(&out, "HttpRequestDenied");
    assert!(
        out.stderr
            .contains("http://169.254.169.254:80 is not the Tableau server"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_store_keys_and_sizes_are_policed() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();

    let out = attack(&sim, dir.path(), "secret-other", None).await;
    assert_denied(&out, "aws-secret-access-key");

    let out = attack(&sim, dir.path(), "key-escape", None).await;
    assert_denied(&out, "refused");
    assert!(!dir.path().join("escape").exists() && !dir.path().join("backups/escape").exists());

    let out = attack(&sim, dir.path(), "upload-flood", None).await;
    assert_denied(&out, "too many uploads open at once (at most 32)");

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
async fn hostile_keys_and_prefixes_are_refused_by_the_host() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = attack(&sim, dir.path(), "key-hostile", None).await;
    assert_denied(&out, "every hostile key was refused");
    assert!(!out.stderr.contains("ACCEPTED"), "{}", out.stderr);
    // What the host said (its policy log line) and what the guest got back.
    let cases = [
        (
            "backslash",
            "key contains the character '\\\\', which is not allowed",
        ),
        (
            "create-backslash",
            "key contains the character '\\\\', which is not allowed",
        ),
        ("colon", "key contains the character ':', which is not allowed"),
        ("trailing-dot", "key has a segment ending in '.' or ' '"),
        ("trailing-dot-dir", "key has a segment ending in '.' or ' '"),
        ("started", "it is the host's run marker"),
        ("partial", "reserved for the store's temporary files"),
        ("long", "key is 1011 bytes long, the limit is 900"),
        ("dotdot", "key has an empty, '.' or '..' path segment"),
        ("list-dotdot", "list of \"../\" refused"),
        ("list-inner-dotdot", "list of \"x/../\" refused"),
        ("list-dotdot-end", "list of \"x/..\" refused"),
        ("open-dotdot", "read of \"../etc/passwd\" refused"),
        ("open-inner-dotdot", "read of \"x/../../../etc/passwd\" refused"),
    ];
    let policy = policy_lines(&out);
    for (label, why) in cases {
        assert!(
            policy
                .iter()
                .any(|l| l.contains("store request denied") && l.contains(why)),
            "{label}: the host logs {why:?}:\n{}",
            out.stderr
        );
        let answer = out
            .stderr
            .lines()
            .find(|l| l.contains(&format!("answer {label}: ")))
            .unwrap_or_else(|| panic!("{label}: no answer in\n{}", out.stderr));
        // The guest prints the error with `{:?}`: quotes and backslashes escaped.
        let escaped = why.replace('\\', "\\\\").replace('"', "\\\"");
        assert!(
            answer.contains("Denied(") && answer.contains(&escaped),
            "{label}: the guest got {answer}"
        );
    }
    // The guest's own manifest is its to write; nothing else landed.
    assert!(out.stderr.contains("answer manifest: stored"), "{}", out.stderr);
    let run = support::only_run(&dir.path().join("backups"));
    let mut stored: Vec<_> = walk(&run)
        .into_iter()
        .map(|p| p.strip_prefix(&run).unwrap().to_string_lossy().into_owned())
        .collect();
    stored.sort();
    assert_eq!(stored, ["manifest.json", "started.json"]);
    assert!(!dir.path().join("etc").exists() && !dir.path().join("x").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_past_check_write_stops_the_run_and_the_host_survives() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = attack(&sim, dir.path(), "write-oversize", None).await;
    assert_eq!(out.code, 1, "the run is stopped:\n{}", out.all());
    assert!(
        !out.all().contains("stored "),
        "an oversize write was accepted:\n{}",
        out.all()
    );
    assert!(
        out.stderr.contains(
            "the guest wrote 8388608 bytes into an upload, more than the 65536 check-write granted"
        ),
        "a clear reason:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("error: the backup guest was stopped"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let stored: Vec<_> = walk(&dir.path().join("backups"))
        .into_iter()
        .filter(|p| !p.ends_with(tableau_backup_model::run_name::STARTED_KEY))
        .collect();
    assert!(stored.is_empty(), "nothing stored: {stored:?}");
}

/// The shapes a secret takes in text, written independently of the host's redactor.
fn secret_forms(raw: &str) -> Vec<String> {
    let url: String = raw
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let json = serde_json::to_string(raw).unwrap();
    let json = json.trim_matches('"').to_string();
    let b64 = {
        use std::io::Write;
        let mut cmd = std::process::Command::new("base64")
            .arg("-w0")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        cmd.stdin.take().unwrap().write_all(raw.as_bytes()).unwrap();
        String::from_utf8(cmd.wait_with_output().unwrap().stdout).unwrap()
    };
    let forms = vec![raw.to_string(), url, json, b64];
    let distinct: std::collections::HashSet<_> = forms.iter().collect();
    assert_eq!(
        distinct.len(),
        forms.len(),
        "the test secret must differ in every form"
    );
    forms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_guest_cannot_leak_the_secret_through_any_path() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let secret = r#"p4t-S3cr/t+"q\z &=k"#;
    let out = attack_at(&sim.base_url(), dir.path(), "leak-secret", None, secret).await;
    assert_eq!(out.code, 1, "{}", out.all());
    // Each path was tried and reached the host's log.
    for tried in [
        "the secret is <redacted>",
        "forms: <redacted> <redacted> <redacted> <redacted>",
        "stdout: <redacted>",
        "stderr: <redacted>",
        "failed because <redacted>",
        "name <redacted>",
        "not-granted-<redacted>",
        "object named after the secret refused",
        "it contains a secret",
        "outbound request to",
    ] {
        assert!(out.all().contains(tried), "{tried:?} not in:\n{}", out.all());
    }
    assert!(
        !out.all().contains("stored an object named after the secret"),
        "{}",
        out.all()
    );
    let files = walk(dir.path());
    for form in secret_forms(secret) {
        assert!(
            !out.stdout.contains(&form),
            "secret ({form}) in stdout:\n{}",
            out.stdout
        );
        assert!(
            !out.stderr.contains(&form),
            "secret ({form}) in stderr:\n{}",
            out.stderr
        );
        for f in &files {
            let name = f.to_string_lossy();
            assert!(!name.contains(&form), "secret ({form}) in a file name: {name}");
            let bytes = std::fs::read(f).unwrap();
            assert!(
                !bytes.windows(form.len()).any(|w| w == form.as_bytes()),
                "secret ({form}) in {name}"
            );
        }
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_reads_the_backup_but_cannot_write_to_it() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("backups");
    let out = support::backup(&sim, dest.to_str().unwrap(), &[], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let run = support::only_run(&dest);
    let before: Vec<(PathBuf, Vec<u8>)> = walk(&run)
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    let guest = hostile_guest().to_str().unwrap().to_string();
    let server = sim.base_url();
    let args = [
        "restore",
        "--server",
        &server,
        "--site",
        "restore-write",
        "--token-name",
        "t",
        "--from",
        dest.to_str().unwrap(),
        "--guest",
        &guest,
    ];
    let out = support::run(&args, &support::secret_env("pat-secret")).await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        !out.all().contains("ESCAPED"),
        "the restore wrote to the backup:\n{}",
        out.all()
    );
    for what in ["put restored.txt", "create restored.txt", "copy"] {
        assert!(out.stderr.contains(what), "{what} was refused:\n{}", out.stderr);
    }
    // Not one byte of the backup changed, nothing was added.
    let after: Vec<(PathBuf, Vec<u8>)> = walk(&run)
        .into_iter()
        .map(|p| (p.clone(), std::fs::read(&p).unwrap()))
        .collect();
    assert_eq!(before, after);
    assert_eq!(support::run_dirs(&dest).len(), 1);
}
