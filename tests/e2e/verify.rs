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
