//! `verify` finds a flipped byte, a truncated object, a missing object and an
//! unexpected one, in a local folder and in S3; `snapshots` lists runs.

use crate::reliability::small_site;
use crate::support::{self, only_run, read_json, s3::S3Server};
use std::path::Path;
use tableau_sim::Sim;

/// Damage three content files of a run folder; return their keys.
fn damage(run: &Path) -> (String, String, String) {
    let manifest = read_json(&run.join("manifest.json"));
    let keys: Vec<String> = manifest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap().to_string())
        .collect();
    let (flip, cut, gone) = (keys[0].clone(), keys[1].clone(), keys[2].clone());
    let mut bytes = std::fs::read(run.join(&flip)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    std::fs::write(run.join(&flip), bytes).unwrap();
    let bytes = std::fs::read(run.join(&cut)).unwrap();
    std::fs::write(run.join(&cut), &bytes[..bytes.len() - 1]).unwrap();
    std::fs::remove_file(run.join(&gone)).unwrap();
    std::fs::write(run.join("workbooks/stray.twbx"), b"not in the manifest").unwrap();
    (flip, cut, gone)
}

fn assert_damage_reported(out: &support::Output, flip: &str, cut: &str, gone: &str) {
    assert_eq!(out.code, 1, "verify must fail:\n{}", out.all());
    let line = |prefix: &str, key: &str| {
        out.stdout
            .lines()
            .any(|l| l.starts_with(prefix) && l.contains(key))
    };
    assert!(line("corrupt", flip), "flipped byte in {flip}:\n{}", out.stdout);
    assert!(line("corrupt", cut), "truncated {cut}:\n{}", out.stdout);
    assert!(line("missing", gone), "missing {gone}:\n{}", out.stdout);
    assert!(line("unexpected", "workbooks/stray.twbx"), "{}", out.stdout);
    assert!(
        out.last_line().contains("DAMAGED") && out.last_line().contains("1 missing, 2 corrupt, 1 unexpected"),
        "{}",
        out.last_line()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_detects_damage_in_a_local_folder() {
    let sim = Sim::start(small_site(21)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let d = dest.path().to_str().unwrap();
    assert_eq!(support::backup(&sim, d, &[], &[]).await.code, 0);
    let ok = support::run(&["verify", d], &[]).await;
    assert_eq!(ok.code, 0, "{}", ok.all());
    let (flip, cut, gone) = damage(&only_run(dest.path()));
    let out = support::run(&["verify", d], &[]).await;
    assert_damage_reported(&out, &flip, &cut, &gone);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_detects_damage_in_s3() {
    let sim = Sim::start(small_site(22).site_content_url("s").max_name_chars(10))
        .await
        .unwrap();
    let s3 = S3Server::start("backups").await;
    let dest = "s3://backups/n";
    let out = support::backup(&sim, dest, &[], &s3.env()).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let ok = support::run(&["verify", dest], &s3.env()).await;
    assert_eq!(ok.code, 0, "{}", ok.all());
    // s3s-fs keeps each object as a plain file: damage them behind the server's back.
    let (flip, cut, gone) = damage(&only_run(&s3.bucket_dir("backups").join("n")));
    let out = support::run(&["verify", dest], &s3.env()).await;
    assert_damage_reported(&out, &flip, &cut, &gone);
}

/// A local backup of `site` (with `extra` flags) that must end with `code`.
async fn local_backup(sim: &Sim, extra: &[&str], code: i32) -> (tempfile::TempDir, std::path::PathBuf) {
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(sim, dest.path().to_str().unwrap(), extra, &[]).await;
    assert_eq!(out.code, code, "{}", out.all());
    let run = only_run(dest.path());
    (dest, run)
}

/// `verify <dest>`, bounded: a verify that hangs fails the test.
async fn verify(dest: &Path) -> support::Output {
    let args = ["verify", dest.to_str().unwrap()];
    tokio::time::timeout(std::time::Duration::from_secs(120), support::run(&args, &[]))
        .await
        .expect("verify must not hang")
}

fn write_manifest(run: &Path, manifest: &serde_json::Value) {
    std::fs::write(
        run.join("manifest.json"),
        serde_json::to_vec_pretty(manifest).unwrap(),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_refuses_manifest_keys_outside_the_run_and_never_reads_them() {
    let sim = Sim::start(small_site(23)).await.unwrap();
    let (dest, run) = local_backup(&sim, &[], 0).await;
    // Another run folder holding a FIFO: opening it for reading blocks until a
    // writer comes, so a verify that reads it hangs (and the test times out).
    let other = format!("backup_tableau_cloud_{}_20200101T000000Z", sim.site_content_url());
    std::fs::create_dir_all(dest.path().join(&other).join("workbooks")).unwrap();
    let fifo = dest.path().join(&other).join("workbooks/secret.twbx");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());

    let mut manifest = read_json(&run.join("manifest.json"));
    let zero = "../../../../dev/zero".to_string();
    let elsewhere = format!("../{other}/workbooks/secret.twbx");
    manifest["items"][0]["key"] = zero.clone().into();
    manifest["items"][1]["key"] = elsewhere.clone().into();
    write_manifest(&run, &manifest);

    let out = verify(dest.path()).await;
    assert_eq!(out.code, 1, "{}", out.all());
    for key in [&zero, &elsewhere] {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with("corrupt") && l.contains(&format!("{key:?}: key refused"))),
            "{key} must be refused, not read:\n{}",
            out.stdout
        );
    }
    // The two objects the manifest no longer names are reported too.
    assert_eq!(
        out.stdout.lines().filter(|l| l.starts_with("unexpected")).count(),
        2,
        "{}",
        out.stdout
    );
    assert!(out.last_line().contains("DAMAGED"), "{}", out.last_line());
    assert!(out.last_line().contains("2 corrupt"), "{}", out.last_line());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_reports_a_damaged_metadata_file_and_a_truncated_manifest() {
    let sim = Sim::start(small_site(24)).await.unwrap();
    let (dest, run) = local_backup(&sim, &[], 0).await;

    // One flipped byte in a metadata file.
    let users = run.join("metadata_tableau/users.json");
    let mut bytes = std::fs::read(&users).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&users, bytes).unwrap();
    let out = verify(dest.path()).await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("corrupt") && l.contains("metadata_tableau/users.json: SHA-256 differs")),
        "{}",
        out.stdout
    );
    assert!(
        out.last_line().contains("DAMAGED") && out.last_line().contains("1 corrupt"),
        "{}",
        out.last_line()
    );

    // The manifest cut in half: one clear line, no verdict.
    let manifest = std::fs::read(run.join("manifest.json")).unwrap();
    std::fs::write(run.join("manifest.json"), &manifest[..manifest.len() / 2]).unwrap();
    let out = verify(dest.path()).await;
    assert_eq!(out.code, 1, "{}", out.all());
    let name = run.file_name().unwrap().to_str().unwrap();
    let errors: Vec<&str> = out.stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{}", out.stderr);
    assert!(
        errors[0].starts_with(&format!(
            "error: cannot read the manifest of {name}: invalid manifest"
        )),
        "{}",
        errors[0]
    );
    assert!(!out.stdout.contains("intact"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verifying_a_partial_run_exits_3_and_lists_what_was_not_backed_up() {
    let sim = Sim::start(small_site(25)).await.unwrap();
    let victims: Vec<String> = sim.catalog().items.iter().take(2).map(|i| i.id.clone()).collect();
    let ids: Vec<&str> = victims.iter().map(String::as_str).collect();
    sim.set_faults(tableau_sim::Faults::default().missing_content(&ids, 0));
    let (dest, _run) = local_backup(&sim, &[], 3).await;
    let out = verify(dest.path()).await;
    assert_eq!(out.code, 3, "intact but partial:\n{}", out.all());
    for id in &victims {
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with("not backed up") && l.contains(id.as_str())),
            "{id}:\n{}",
            out.stdout
        );
    }
    assert!(
        out.last_line()
            .contains("intact but PARTIAL (2 items were not backed up)"),
        "{}",
        out.last_line()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verifying_a_limited_run_exits_4() {
    let sim = Sim::start(small_site(26)).await.unwrap();
    let (dest, _run) = local_backup(&sim, &["--max-workbooks", "1"], 4).await;
    let out = verify(dest.path()).await;
    assert_eq!(out.code, 4, "intact but limited:\n{}", out.all());
    assert!(
        out.last_line().contains("intact but LIMITED ("),
        "{}",
        out.last_line()
    );
    assert!(
        !out.stdout
            .lines()
            .any(|l| l.starts_with("corrupt ") || l.starts_with("missing ")),
        "{}",
        out.stdout
    );
}
