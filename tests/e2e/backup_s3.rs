//! A full backup into a real S3-protocol server (s3s-fs over HTTP, SigV4 and
//! checksums verified), checked byte for byte on the server's disk.

use crate::backup_local::multi_page_site;
use crate::support::s3::{Fault, S3Server};
use crate::support::seaweed::Seaweed;
use crate::support::{self, assert_run_matches_site, only_run};
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

/// The generated site with its hostile names (long, non-ASCII, reserved
/// characters; s3s-fs cannot store those keys) into SeaweedFS, which checks
/// signatures; read back byte for byte and verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_names_land_in_seaweedfs_and_verify() {
    let sim = Sim::start(multi_page_site(31).big_items(1, 19 << 20))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let s3 = Seaweed::start("backups").await;
    eprintln!(
        "SeaweedFS {} ready in {:.1?}",
        support::seaweed::VERSION,
        started.elapsed()
    );
    let dest = "s3://backups/n";
    let out = support::backup(&sim, dest, &["--page-size", "7"], &s3.env()).await;
    assert_eq!(out.code, 0, "backup to SeaweedFS:\n{}\n{}", out.all(), s3.log());

    let copy = tempfile::tempdir().unwrap();
    assert!(s3.download("backups", "n/", copy.path()).await > 10);
    let run = only_run(copy.path());
    let manifest = assert_run_matches_site(&sim, &run, true);
    let keys: Vec<&str> = manifest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    let run_name = run.file_name().unwrap().to_str().unwrap();
    let longest = keys
        .iter()
        .map(|k| "n/".len() + run_name.len() + 1 + k.len())
        .max()
        .unwrap();
    assert!(
        longest > 200,
        "the site has long names (longest key {longest} bytes)"
    );
    assert!(keys.iter().any(|k| !k.is_ascii()), "the site has non-ASCII names");
    assert_eq!(s3.open_multipart_uploads("backups", "n/").await, 0);

    let v = support::run(&["verify", dest], &s3.env()).await;
    assert_eq!(v.code, 0, "verify over SeaweedFS:\n{}", v.all());
    assert!(v.last_line().contains("intact"), "{}", v.last_line());
    let snaps = support::run(&["snapshots", dest], &s3.env()).await;
    assert_eq!(snaps.code, 0, "{}", snaps.all());
    assert!(snaps.stdout.contains("complete"), "{}", snaps.stdout);

    // Signatures are checked: the wrong secret is refused.
    let mut env = s3.env();
    env.retain(|(k, _)| k != "AWS_SECRET_ACCESS_KEY");
    env.push(("AWS_SECRET_ACCESS_KEY".into(), "wrong-secret".into()));
    let denied = support::run(&["snapshots", dest], &env).await;
    assert_eq!(denied.code, 1, "{}", denied.all());
}

/// A site with one item of several multipart parts.
fn site_with_a_big_item(seed: u64) -> tableau_sim::SimConfig {
    multi_page_site(seed)
        .site_content_url("s")
        .max_name_chars(10)
        .big_items(1, 20 << 20)
}

/// Run a backup into `s3` whose store fails by `fault`. With `recover`, the
/// store comes back as soon as the run reports the destination failed (so its
/// aborts and its clean-up can land); without, only after the process exited.
async fn backup_with_failing_store(sim: &Sim, s3: &S3Server, fault: Fault, recover: bool) -> support::Output {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
    s3.arm(fault);
    let args = support::backup_args(sim, "s3://backups/n", &[]);
    let mut env = s3.env();
    env.extend(support::secret_env(sim.pat_secret()));
    let mut child = support::command(&args, &env).spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let stdout = tokio::spawn(async move {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s).await;
        s
    });
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let run = async {
        let mut stderr = String::new();
        while let Some(line) = lines.next_line().await.unwrap() {
            if recover && line.contains("the destination failed") {
                s3.recover();
            }
            stderr.push_str(&line);
            stderr.push('\n');
        }
        let code = child.wait().await.unwrap().code().unwrap_or(-1);
        (code, stderr)
    };
    let (code, stderr) = tokio::time::timeout(std::time::Duration::from_secs(240), run)
        .await
        .expect("the failed run ends");
    s3.recover();
    let out = support::Output {
        code,
        stdout: stdout.await.unwrap(),
        stderr,
    };
    assert!(s3.fault_fired(), "the store never failed:\n{}", out.all());
    assert_eq!(out.code, 1, "the run must fail:\n{}", out.all());
    assert!(out.stderr.contains("error: storage failed"), "{}", out.stderr);
    let manifests = walk_names(&s3.bucket_dir("backups"), "manifest.json");
    assert_eq!(manifests, 0, "a failed run has no manifest");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_store_failing_midway_fails_the_run_without_a_manifest_or_open_uploads() {
    let sim = Sim::start(site_with_a_big_item(12)).await.unwrap();
    let s3 = S3Server::start("backups").await;
    // The store goes down as the first part is uploaded, and comes back once
    // the run has failed: the host aborts the upload it began.
    backup_with_failing_store(&sim, &s3, Fault::FirstPart, true).await;
    assert_eq!(s3.open_multipart_uploads(), 0, "multipart uploads were aborted");
    let snaps = support::run(&["snapshots", "s3://backups/n"], &s3.env()).await;
    assert_eq!(snaps.code, 0, "{}", snaps.all());
    assert!(snaps.stdout.contains("incomplete"), "{}", snaps.stdout);
    assert!(!snaps.stdout.contains("unfinished"), "{}", snaps.stdout);

    // The next run completes.
    let out = support::backup(&sim, "s3://backups/n", &[], &s3.env()).await;
    assert_eq!(out.code, 0, "{}", out.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_id_never_arrived_is_aborted_before_the_run_exits() {
    let sim = Sim::start(site_with_a_big_item(13)).await.unwrap();
    let s3 = S3Server::start("backups").await;
    // The upload is created but its answer is lost: the host never learns its
    // id, so only its clean-up of the run folder (a listing) can abort it.
    let out = backup_with_failing_store(&sim, &s3, Fault::CreateAnswerLost, true).await;
    assert_eq!(
        s3.open_multipart_uploads(),
        0,
        "the clean-up aborted the upload:\n{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("removed 1 unfinished uploads"),
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_the_store_was_down_to_abort_are_shown_by_snapshots() {
    let sim = Sim::start(site_with_a_big_item(14)).await.unwrap();
    let s3 = S3Server::start("backups").await;
    // The store stays down until the process exited: the run says what it
    // could not clean up, and `snapshots` shows it once the store is back.
    let out = backup_with_failing_store(&sim, &s3, Fault::CreateAnswerLost, false).await;
    assert!(
        out.stderr.contains("could not remove the unfinished uploads"),
        "{}",
        out.stderr
    );
    assert_eq!(s3.open_multipart_uploads(), 1);
    let snaps = support::run(&["snapshots", "s3://backups/n"], &s3.env()).await;
    assert_eq!(snaps.code, 0, "{}", snaps.all());
    assert!(
        snaps.stdout.contains("incomplete (1 unfinished uploads left)"),
        "{}",
        snaps.stdout
    );
    // A later run completes and leaves the other run's upload alone (that run
    // could still be going); deleting the run would remove it.
    let out = support::backup(&sim, "s3://backups/n", &[], &s3.env()).await;
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(s3.open_multipart_uploads(), 1);
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
