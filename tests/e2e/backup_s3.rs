//! A full backup into a real S3-protocol server (s3s-fs over HTTP, SigV4 and
//! checksums verified), checked byte for byte on the server's disk.

use crate::backup_local::multi_page_site;
use crate::support::{self, assert_run_matches_site, only_run, s3::S3Server};
use tableau_sim::Sim;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_item_lands_in_the_bucket_and_verifies() {
    // One item larger than a multipart part, so both upload paths are used.
    let sim = Sim::start(
        multi_page_site(5)
            .site_content_url("s")
            .max_name_chars(10)
            .big_items(1, 19 << 20),
    )
    .await
    .unwrap();
    let s3 = S3Server::start("backups").await;
    let dest = "s3://backups/n";
    let out = support::backup(&sim, dest, &["--page-size", "7"], &s3.env()).await;
    assert_eq!(out.code, 0, "backup to S3 should be complete:\n{}", out.all());
    assert!(out.last_line().contains(dest), "{}", out.last_line());

    let run = only_run(&s3.bucket_dir("backups").join("n"));
    let manifest = assert_run_matches_site(&sim, &run, true);
    assert_eq!(manifest["status"], "complete");
    assert!(manifest["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["size"].as_u64().unwrap() >= 19 << 20));
    assert_eq!(s3.open_multipart_uploads(), 0, "no multipart upload left open");

    let v = support::run(&["verify", dest], &s3.env()).await;
    assert_eq!(v.code, 0, "verify over S3:\n{}", v.all());
    let snaps = support::run(&["snapshots", dest], &s3.env()).await;
    assert_eq!(snaps.code, 0, "{}", snaps.all());
    assert!(snaps.stdout.contains("complete"), "{}", snaps.stdout);

    // The AWS secret never shows in output, logs or stored objects (the
    // bucket's files, s3s-fs's upload records included).
    let secret = support::s3::SECRET_KEY.as_bytes();
    for o in [&out, &v, &snaps] {
        assert!(!o.all().contains(support::s3::SECRET_KEY), "{}", o.all());
    }
    let files = all_files(&s3.bucket_dir("backups"));
    assert!(files.len() > 10, "{files:?}");
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(secret.len()).any(|w| w == secret),
            "the AWS secret is in {}",
            f.display()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_s3_credentials_fail_clearly() {
    let sim = Sim::start(multi_page_site(1)).await.unwrap();
    let s3 = S3Server::start("backups").await;
    let mut env = s3.env();
    env.retain(|(k, _)| k != "AWS_SECRET_ACCESS_KEY");
    env.push(("AWS_SECRET_ACCESS_KEY".into(), "wrong-secret".into()));
    let out = support::backup(&sim, "s3://backups/x", &[], &env).await;
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("error:"), "{}", out.stderr);
    assert!(
        !out.all().contains("wrong-secret"),
        "secret leaked: {}",
        out.all()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_failing_midway_fails_the_run_without_a_manifest_or_open_uploads() {
    let sim = Sim::start(
        multi_page_site(12)
            .site_content_url("s")
            .max_name_chars(10)
            .big_items(1, 96 << 20),
    )
    .await
    .unwrap();
    let mut s3 = S3Server::start("backups").await;
    let dest = "s3://backups/n";
    let args = support::backup_args(&sim, dest, &[]);
    let mut env = s3.env();
    env.extend(support::secret_env(sim.pat_secret()));
    let mut child = support::command(&args, &env).spawn().unwrap();

    // Stop the server once a multipart upload is under way; bring it back a few
    // seconds later, after the run has failed, so its aborts can land.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while s3.open_multipart_uploads() == 0 {
        if child.try_wait().unwrap().is_some() {
            let out = child.wait_with_output().await.unwrap();
            panic!(
                "the run ended before its multipart upload:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no multipart upload started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    s3.stop();
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    s3.restart().await;

    let out = child.wait_with_output().await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the run must fail:\n{stderr}");
    assert!(stderr.contains("error: storage failed"), "{stderr}");
    let manifests = walk_names(&s3.bucket_dir("backups"), "manifest.json");
    assert_eq!(manifests, 0, "a failed run has no manifest");
    assert_eq!(s3.open_multipart_uploads(), 0, "multipart uploads were aborted");

    // The next run completes.
    let out = support::backup(&sim, dest, &[], &s3.env()).await;
    assert_eq!(out.code, 0, "{}", out.all());
}

fn all_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return vec![];
    };
    rd.flatten()
        .flat_map(|e| {
            let p = e.path();
            if p.is_dir() {
                all_files(&p)
            } else {
                vec![p]
            }
        })
        .collect()
}

fn walk_names(dir: &std::path::Path, name: &str) -> usize {
    let Ok(rd) = std::fs::read_dir(dir) else { return 0 };
    rd.flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                walk_names(&p, name)
            } else {
                usize::from(p.file_name().is_some_and(|n| n == name))
            }
        })
        .sum()
}
