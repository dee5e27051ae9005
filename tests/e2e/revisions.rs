//! `--revisions`: every kept revision of every workbook and data source is
//! stored once and hash-matches the simulator; a second run copies what the
//! first stored (no download, request counts) and still verifies; with or
//! without extracts; through a local folder and through S3.

use crate::backup_local::multi_page_site;
use crate::support::{self, folder_of, only_run, read_json, run_dirs, s3::S3Server, sha256_file};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::time::Instant;
use tableau_sim::{ContentKind, Faults, Sim, SimConfig};

/// Endpoints (as the simulator logs them) of revision downloads.
const REVISION_DOWNLOADS: [&str; 2] = [
    "GET workbooks/{id}/revisions/{n}/content",
    "GET datasources/{id}/revisions/{n}/content",
];

fn site(seed: u64) -> SimConfig {
    multi_page_site(seed).workbooks(9).datasources(6).flows(3)
}

fn kind_name(kind: ContentKind) -> &'static str {
    match kind {
        ContentKind::Workbook => "workbook",
        ContentKind::Datasource => "datasource",
        ContentKind::Flow => "flow",
    }
}

/// Revision downloads the simulator served (and how many of them were 404s).
fn revision_downloads(sim: &Sim) -> (u64, u64) {
    let log = sim.log();
    let all = REVISION_DOWNLOADS.iter().map(|e| log.count(e)).sum();
    let missing = REVISION_DOWNLOADS
        .iter()
        .map(|e| log.endpoint_status(e, 404))
        .sum();
    (all, missing)
}

/// What a run must hold of the revisions.
struct Expect<'a> {
    include_extract: bool,
    /// The run every older revision was copied from (`None`: all downloaded).
    copied_from: Option<&'a str>,
    /// Items whose content download failed: their current revision has a file of its own.
    failed_items: HashSet<String>,
}

/// Checks a run's manifest against the simulator's catalog: one entry per
/// non-deleted revision of every workbook and data source (none for deleted
/// ones), its bytes on disk hash-match the simulator's, current ones are the
/// content file, older ones sit under `revisions/<folder>/<luid>/<n>.<ext>`.
/// Returns the number of revision files (older revisions).
fn assert_revisions(sim: &Sim, run: &Path, want: &Expect) -> u64 {
    let manifest = read_json(&run.join("manifest.json"));
    assert_eq!(manifest["scope"]["revisions"], true, "scope.revisions");
    let catalog = sim.catalog();
    let content: HashMap<&str, &str> = manifest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["id"].as_str().unwrap(), i["key"].as_str().unwrap()))
        .collect();
    let entries = manifest["revisions"].as_array().expect("manifest.revisions");
    let find = |kind: ContentKind, id: &str, n: u32| -> Vec<&Value> {
        entries
            .iter()
            .filter(|e| e["kind"] == kind_name(kind) && e["item_id"] == id && e["number"] == n)
            .collect()
    };
    let (mut kept, mut files, mut deleted) = (0usize, 0u64, 0usize);
    for r in &catalog.revisions {
        assert_ne!(r.kind, ContentKind::Flow, "flows have no revisions");
        let rev = &r.revision;
        let found = find(r.kind, &r.item_id, rev.number);
        let what = format!("{:?} {} revision {}", r.kind, r.item_id, rev.number);
        if rev.deleted {
            deleted += 1;
            assert!(found.is_empty(), "{what} is deleted, yet in the manifest");
            continue;
        }
        kept += 1;
        assert_eq!(found.len(), 1, "{what}: one manifest entry");
        let e = found[0];
        assert_eq!(e["current"], rev.current, "{what}: current");
        assert_eq!(e["published_at"], rev.published_at.as_str(), "{what}");
        assert_eq!(e["publisher_id"], rev.publisher_id.as_str(), "{what}");
        assert_eq!(e["publisher_name"], rev.publisher_name.as_str(), "{what}");
        let key = e["key"].as_str().unwrap();
        let own_file = !rev.current || want.failed_items.contains(&r.item_id);
        if own_file {
            files += 1;
            let item = catalog.item(&r.item_id).unwrap();
            let ext = if want.include_extract {
                &item.ext
            } else {
                &item.ext_without_extract
            };
            let ext = if rev.current {
                // Sniffed from its own bytes, like a content file.
                ext.as_str()
            } else {
                // An older revision keeps the item's kind of file.
                key.rsplit('.').next().unwrap()
            };
            assert!(
                key.starts_with(&format!(
                    "revisions/{}/{}/{}.",
                    folder_of(r.kind),
                    r.item_id,
                    rev.number
                )),
                "{what}: key {key}"
            );
            assert!(key.ends_with(&format!(".{ext}")), "{what}: key {key}, ext {ext}");
            let copied = if rev.current { None } else { want.copied_from };
            assert_eq!(e["copied_from"].as_str(), copied, "{what}: copied_from");
        } else {
            assert_eq!(
                Some(&key),
                content.get(r.item_id.as_str()),
                "{what}: the content file"
            );
            assert_eq!(e["copied_from"], Value::Null, "{what}: copied_from");
        }
        let (sha, len) = sim
            .revision_sha256(r.kind, &r.item_id, rev.number, want.include_extract)
            .unwrap_or_else(|| panic!("{what}: the simulator has no bytes"));
        assert_eq!(
            sha256_file(&run.join(key)),
            (sha.clone(), len),
            "{what}: bytes of {key}"
        );
        assert_eq!(e["sha256"], sha.as_str(), "{what}: manifest sha256");
        assert_eq!(e["size"], len, "{what}: manifest size");
    }
    assert!(
        kept > 20 && deleted > 0,
        "the site has revisions: {kept} kept, {deleted} deleted"
    );
    assert_eq!(entries.len(), kept, "no other revision entries");
    assert_eq!(manifest["totals"]["revisions"], files, "totals.revisions");
    files
}

fn run_name(run: &Path) -> String {
    run.file_name().unwrap().to_string_lossy().into_owned()
}

/// Flip one byte of a file (hard links share it: call last).
fn flip_a_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x55;
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_are_stored_once_then_copied_not_downloaded() {
    let sim = Sim::start(site(41)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let d = dest.path().to_str().unwrap();

    let t = Instant::now();
    let first = support::backup(&sim, d, &["--revisions"], &[]).await;
    let first_secs = t.elapsed().as_secs_f64();
    assert_eq!(first.code, 0, "first run:\n{}", first.all());
    let run1 = only_run(dest.path());
    let expect = Expect {
        include_extract: true,
        copied_from: None,
        failed_items: HashSet::new(),
    };
    let files = assert_revisions(&sim, &run1, &expect);
    let (downloads, missing) = revision_downloads(&sim);
    assert_eq!(
        downloads, files,
        "one download per older revision, none for current ones"
    );
    assert_eq!(missing, 0, "deleted revisions are not asked for");
    let v = support::run(&["verify", d], &[]).await;
    assert_eq!(v.code, 0, "verify of the first run:\n{}", v.all());

    sim.reset_log();
    let t = Instant::now();
    let second = support::backup(&sim, d, &["--revisions"], &[]).await;
    let second_secs = t.elapsed().as_secs_f64();
    assert_eq!(second.code, 0, "second run:\n{}", second.all());
    let runs = run_dirs(dest.path());
    assert_eq!(runs.len(), 2);
    let run2 = &runs[1];
    let name1 = run_name(&run1);
    let expect = Expect {
        copied_from: Some(&name1),
        ..expect
    };
    assert_eq!(assert_revisions(&sim, run2, &expect), files);
    assert_eq!(
        revision_downloads(&sim),
        (0, 0),
        "the second run downloads no revision"
    );
    eprintln!(
        "revisions: {files} files; first run {downloads} revision downloads in {first_secs:.1} s, \
         second run 0 in {second_secs:.1} s ({} requests in all)",
        sim.log().total_requests
    );
    let v = support::run(&["verify", d], &[]).await;
    assert_eq!(v.code, 0, "verify of the second run:\n{}", v.all());
    let v = support::run(&["verify", d, &name1], &[]).await;
    assert_eq!(v.code, 0, "the first run is untouched:\n{}", v.all());

    // verify reads revision files: a damaged one is found.
    let m = read_json(&run2.join("manifest.json"));
    let key = m["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["current"] == false)
        .unwrap()["key"]
        .as_str()
        .unwrap()
        .to_string();
    flip_a_byte(&run2.join(&key));
    let v = support::run(&["verify", d], &[]).await;
    assert_eq!(v.code, 1, "a damaged revision file:\n{}", v.all());
    assert!(v.all().contains(&key), "verify names {key}:\n{}", v.all());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_without_extracts_are_not_copied_into_a_run_with_them() {
    let sim = Sim::start(site(43)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let d = dest.path().to_str().unwrap();
    let first = support::backup(&sim, d, &["--revisions", "--no-extracts"], &[]).await;
    assert_eq!(
        first.code,
        4,
        "a run without extracts is limited:\n{}",
        first.all()
    );
    let run1 = only_run(dest.path());
    let expect = Expect {
        include_extract: false,
        copied_from: None,
        failed_items: HashSet::new(),
    };
    let files = assert_revisions(&sim, &run1, &expect);
    assert_eq!(revision_downloads(&sim), (files, 0));
    let v = support::run(&["verify", d], &[]).await;
    assert_eq!(v.code, 4, "intact, limited:\n{}", v.all());

    // Bytes differ with extracts: nothing is copied from the run without them.
    sim.reset_log();
    let second = support::backup(&sim, d, &["--revisions"], &[]).await;
    assert_eq!(second.code, 0, "{}", second.all());
    let run2 = &run_dirs(dest.path())[1];
    let expect = Expect {
        include_extract: true,
        ..expect
    };
    assert_eq!(assert_revisions(&sim, run2, &expect), files);
    assert_eq!(revision_downloads(&sim), (files, 0), "all downloaded again");
    let v = support::run(&["verify", d], &[]).await;
    assert_eq!(v.code, 0, "{}", v.all());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_current_revision_whose_content_download_failed_is_downloaded_on_its_own() {
    let sim = Sim::start(site(47)).await.unwrap();
    // The first two workbook downloads answer 400 (not retried): two items fail.
    sim.set_faults(
        Faults::default()
            .server_errors(400, 2)
            .only_endpoints(&["GET workbooks/{id}/content"]),
    );
    let dest = tempfile::tempdir().unwrap();
    let d = dest.path().to_str().unwrap();
    let out = support::backup(&sim, d, &["--revisions", "--concurrency", "1"], &[]).await;
    assert_eq!(out.code, 3, "two workbooks failed:\n{}", out.all());
    let run = only_run(dest.path());
    let m = read_json(&run.join("manifest.json"));
    let failed: HashSet<String> = m["failures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "workbook")
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(failed.len(), 2, "{}", m["failures"]);
    assert_eq!(m["failures"].as_array().unwrap().len(), 2, "only those");
    let expect = Expect {
        include_extract: true,
        copied_from: None,
        failed_items: failed,
    };
    let files = assert_revisions(&sim, &run, &expect);
    assert_eq!(revision_downloads(&sim), (files, 0), "the two current ones too");
    let v = support::run(&["verify", d], &[]).await;
    assert_eq!(v.code, 3, "intact, partial:\n{}", v.all());
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revisions_are_copied_inside_s3_too() {
    let sim = Sim::start(site(53).site_content_url("s").max_name_chars(10))
        .await
        .unwrap();
    let s3 = S3Server::start("backups").await;
    let dest = "s3://backups/r";
    let first = support::backup(&sim, dest, &["--revisions"], &s3.env()).await;
    assert_eq!(first.code, 0, "{}", first.all());
    let root = s3.bucket_dir("backups").join("r");
    let run1 = only_run(&root);
    let expect = Expect {
        include_extract: true,
        copied_from: None,
        failed_items: HashSet::new(),
    };
    let files = assert_revisions(&sim, &run1, &expect);
    assert_eq!(revision_downloads(&sim), (files, 0));

    sim.reset_log();
    let second = support::backup(&sim, dest, &["--revisions"], &s3.env()).await;
    assert_eq!(second.code, 0, "{}", second.all());
    let run2 = &run_dirs(&root)[1];
    let name1 = run_name(&run1);
    let expect = Expect {
        copied_from: Some(&name1),
        ..expect
    };
    assert_eq!(assert_revisions(&sim, run2, &expect), files);
    assert_eq!(revision_downloads(&sim), (0, 0), "CopyObject, no download");
    let v = support::run(&["verify", dest], &s3.env()).await;
    assert_eq!(v.code, 0, "{}", v.all());
    assert_eq!(s3.open_multipart_uploads(), 0);
    sim.shutdown().await;
}
