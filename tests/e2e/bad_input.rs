//! Bad input gets one clear error line, a non-zero exit, and no manifest.

use crate::backup_local::multi_page_site;
use crate::support::{self, run_dirs, s3::S3Server};
use tableau_sim::Sim;

fn error_line(out: &support::Output) -> String {
    let errors: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "exactly one error line expected:\n{}", out.all());
    errors[0].to_string()
}

/// A backup of site "x" at `url` into `dest`, when no simulator is behind `url`.
async fn backup_to(url: &str, dest: &std::path::Path) -> support::Output {
    let d = dest.to_str().unwrap();
    let args = [
        "backup",
        "--server",
        url,
        "--site",
        "x",
        "--token-name",
        "t",
        "--dest",
        d,
    ];
    support::run(&args, &support::secret_env("s")).await
}

fn no_manifest_anywhere(dest: &std::path::Path) {
    for run in run_dirs(dest) {
        assert!(
            !run.join("manifest.json").exists(),
            "{} must not look like a backup",
            run.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pat_secret() {
    let sim = Sim::start(multi_page_site(1)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let args = support::backup_args(&sim, dest.path().to_str().unwrap(), &[]);
    let out = support::run(&args, &support::secret_env("not-the-secret")).await;
    assert_eq!(out.code, 1, "{}", out.all());
    let line = error_line(&out);
    assert!(line.contains("sign-in failed"), "{line}");
    assert!(line.contains(sim.pat_name()), "names the token: {line}");
    assert!(!out.all().contains("not-the-secret"), "secret leaked");
    no_manifest_anywhere(dest.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_site() {
    let sim = Sim::start(multi_page_site(1)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let mut args = support::backup_args(&sim, dest.path().to_str().unwrap(), &[]);
    let site = args.iter().position(|a| a == "--site").unwrap() + 1;
    args[site] = "no-such-site".into();
    let out = support::run(&args, &support::secret_env(sim.pat_secret())).await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(error_line(&out).contains("no-such-site"), "{}", out.stderr);
    no_manifest_anywhere(dest.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dest = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let out = backup_to(&url, dest.path()).await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        error_line(&out).to_lowercase().contains("unreachable"),
        "{}",
        out.stderr
    );
    no_manifest_anywhere(dest.path());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_that_does_not_exist() {
    let sim = Sim::start(multi_page_site(1)).await.unwrap();
    let s3 = S3Server::start("backups").await;
    let out = support::backup(&sim, "s3://no-such-bucket/x", &[], &s3.env()).await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(error_line(&out).contains("does not exist"), "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_s3_credentials() {
    let sim = Sim::start(multi_page_site(1)).await.unwrap();
    let s3 = S3Server::start("backups").await;
    let env: Vec<_> = s3
        .env()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"))
        .collect();
    let out = support::backup(&sim, "s3://backups/x", &[], &env).await;
    // README: 1 = failed, no backup was made (the credential chain is tried at
    // run time and may fail transiently, so this is not a usage error).
    assert_eq!(out.code, 1, "{}", out.all());
    let line = error_line(&out);
    assert!(line.to_lowercase().contains("credential"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_timeouts_are_refused_before_anything_is_attempted() {
    let sim = Sim::start(multi_page_site(1)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let d = dest.path().join("b");
    for flag in [
        "--connect-timeout",
        "--first-byte-timeout",
        "--between-bytes-timeout",
    ] {
        let out = support::backup(&sim, d.to_str().unwrap(), &[flag, "0"], &[]).await;
        assert_eq!(out.code, 2, "{flag} 0:\n{}", out.all());
        let line = error_line(&out);
        assert!(line.contains(&format!("{flag} must be at least 1")), "{line}");
    }
    assert_eq!(sim.log().sign_ins, 0, "nothing was attempted");
    assert!(run_dirs(&d).is_empty(), "no run folder");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_errors_exit_2() {
    let sim = Sim::start(multi_page_site(1)).await.unwrap();
    let cases: [(&str, &[&str], &str); 3] = [
        ("s3://Bad_Bucket/x", &[], "malformed S3 destination"),
        ("gs://bucket/x", &[], "unsupported destination scheme"),
        (
            "./unused",
            &["--token-secret-from", "hunter2"],
            "invalid secret source",
        ),
    ];
    for (dest, extra, want) in cases {
        let out = support::backup(&sim, dest, extra, &[]).await;
        assert_eq!(out.code, 2, "{extra:?}:\n{}", out.all());
        assert!(out.stderr.contains(want), "{extra:?}: {}", out.stderr);
    }
    // Plain http to a non-loopback host.
    let out = support::run(
        &[
            "backup",
            "--server",
            "http://tableau.example.com",
            "--site",
            "s",
            "--token-name",
            "t",
        ],
        &support::secret_env("x"),
    )
    .await;
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(error_line(&out).contains("use https"), "{}", out.stderr);
    // The secret's variable is not set.
    let out = support::run(
        &[
            "backup",
            "--server",
            &sim.base_url(),
            "--site",
            "s",
            "--token-name",
            "t",
        ],
        &[],
    )
    .await;
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        error_line(&out).contains("TABLEAU_TOKEN_SECRET is not set"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_does_not_speak_tls_is_a_clear_error_not_a_crash() {
    // Accepts TCP, answers garbage: the TLS handshake must fail cleanly.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            use tokio::io::AsyncWriteExt;
            let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let dest = tempfile::tempdir().unwrap();
    let url = format!("https://127.0.0.1:{port}");
    let out = backup_to(&url, dest.path()).await;
    assert!(
        !out.stderr.contains("panicked"),
        "the host must not crash:\n{}",
        out.stderr
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        error_line(&out).to_lowercase().contains("unreachable"),
        "{}",
        out.stderr
    );
    no_manifest_anywhere(dest.path());
}
