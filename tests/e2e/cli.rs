//! The command line itself: help, policy show, usage errors.

use crate::support;

#[tokio::test]
async fn help_documents_commands_flags_and_environment() {
    let top = support::run(&["--help"], &[]).await;
    assert_eq!(top.code, 0);
    for cmd in ["backup", "verify", "snapshots", "policy", "demo", "Exit codes"] {
        assert!(top.stdout.contains(cmd), "--help mentions {cmd}:\n{}", top.stdout);
    }
    let backup = support::run(&["backup", "--help"], &[]).await;
    for item in [
        "TABLEAU_SERVER",
        "TABLEAU_SITE",
        "TABLEAU_TOKEN_NAME",
        "TABLEAU_BACKUP_DEST",
        "--token-secret-from",
        "--no-extracts",
        "--max-workbooks",
        "--kinds",
        "--policy",
        "--guest",
        "--log-format",
    ] {
        assert!(
            backup.stdout.contains(item),
            "backup --help mentions {item}:\n{}",
            backup.stdout
        );
    }
}

#[tokio::test]
async fn policy_show_prints_the_effective_policy() {
    let out = support::run(
        &["policy", "show", "--server", "https://10ay.online.tableau.com"],
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("https://10ay.online.tableau.com"));
    assert!(out.stdout.contains("max_memory_mib = 256"), "{}", out.stdout);
    assert!(out.stdout.contains("\"tableau-token-secret\""), "{}", out.stdout);

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("policy.toml");
    std::fs::write(
        &file,
        "[resources]\nmax_memory_mib = 64\n[http]\nallow_hosts = [\"sso.example.com\"]\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let out = show_with(f).await;
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains("max_memory_mib = 64") && out.stdout.contains("sso.example.com"),
        "{}",
        out.stdout
    );

    std::fs::write(&file, "[resources]\nmax_memory = 64\n").unwrap();
    let out = show_with(f).await;
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("invalid policy file") && out.stderr.contains("max_memory"),
        "{}",
        out.stderr
    );
}

/// `policy show` for a Cloud server with a policy file.
async fn show_with(policy: &str) -> support::Output {
    let args = [
        "policy",
        "show",
        "--server",
        "https://x.online.tableau.com",
        "--policy",
        policy,
    ];
    support::run(&args, &[]).await
}
