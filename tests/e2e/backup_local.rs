//! A full backup into a local folder, checked byte for byte.

use crate::support::{self, assert_run_matches_site, only_run};
use tableau_sim::{Sim, SimConfig};

/// A site where every list spans several pages at `--page-size 7`.
pub fn multi_page_site(seed: u64) -> SimConfig {
    SimConfig::generated(seed)
        .workbooks(23)
        .datasources(15)
        .flows(9)
        .users(31)
        .groups(9)
        .projects(11)
        .content_sizes(1, 300_000)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_item_of_every_page_lands_in_the_folder_byte_for_byte() {
    let sim = Sim::start(multi_page_site(7)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(&sim, dest.path().to_str().unwrap(), &["--page-size", "7"], &[]).await;
    assert_eq!(out.code, 0, "backup should be complete:\n{}", out.all());
    assert!(
        out.last_line().starts_with("backup complete:"),
        "summary last: {:?}",
        out.last_line()
    );

    let run = only_run(dest.path());
    let name = run.file_name().unwrap().to_string_lossy().into_owned();
    let prefix = format!("backup_tableau_cloud_{}_", sim.site_content_url());
    assert!(name.starts_with(&prefix), "run folder {name}");
    let stamp = &name[prefix.len()..];
    assert_eq!(stamp.len(), 16, "UTC YYYYMMDDTHHMMSSZ: {stamp}");
    assert!(
        stamp.ends_with('Z') && stamp.as_bytes()[8] == b'T',
        "UTC YYYYMMDDTHHMMSSZ: {stamp}"
    );

    let manifest = assert_run_matches_site(&sim, &run, true);
    assert_eq!(manifest["status"], "complete");
    assert_eq!(manifest["failures"].as_array().unwrap().len(), 0);
    assert_eq!(manifest["site"]["content_url"], sim.site_content_url());
    assert_eq!(manifest["site"]["id"], sim.site_id().as_str());
    assert!(out
        .last_line()
        .contains(&format!("{} workbooks", sim.catalog().counts.workbooks)));

    // Several pages of every paginated list were read.
    let log = sim.log();
    assert!(
        log.count("GET workbooks") >= 4,
        "workbooks paged: {:?}",
        log.by_endpoint
    );
    assert!(log.count("GET users") >= 5, "users paged: {:?}", log.by_endpoint);

    // And the backup verifies.
    let v = support::run(&["verify", dest.path().to_str().unwrap()], &[]).await;
    assert_eq!(v.code, 0, "verify:\n{}", v.all());
    assert!(v.last_line().contains("intact"), "{}", v.last_line());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_extracts_gives_the_files_without_extracts() {
    let sim = Sim::start(multi_page_site(11)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(&sim, dest.path().to_str().unwrap(), &["--no-extracts"], &[]).await;
    // Without extracts the run is not a full backup, and says so.
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(
        out.last_line().contains("LIMITED (no extracts)"),
        "{}",
        out.last_line()
    );
    assert_run_matches_site(&sim, &only_run(dest.path()), false);
    assert!(sim.log().count("GET workbooks/{id}/content") > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_kinds_narrow_the_backup() {
    let sim = Sim::start(multi_page_site(3)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(
        &sim,
        dest.path().to_str().unwrap(),
        &["--kinds", "workbooks,users", "--max-workbooks", "5"],
        &[],
    )
    .await;
    // Everything asked for is there, but it is not a full backup: exit 4, and the
    // manifest, the summary, verify and snapshots all say so.
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(
        out.last_line()
            .contains("backup LIMITED (kinds users,workbooks; max-workbooks 5)"),
        "{}",
        out.last_line()
    );
    let run = only_run(dest.path());
    let manifest = support::read_json(&run.join("manifest.json"));
    assert_eq!(manifest["status"], "complete");
    assert_eq!(manifest["scope"]["full"], false);
    assert_eq!(
        manifest["scope"]["kinds"],
        serde_json::json!(["users", "workbooks"])
    );
    assert_eq!(manifest["scope"]["max_workbooks"], 5);
    let listed = sim.catalog().counts.workbooks as u64;
    assert_eq!(manifest["scope"]["skipped_by_limits"], listed - 5);
    let v = support::run(&["verify", dest.path().to_str().unwrap()], &[]).await;
    assert_eq!(v.code, 4, "verify:\n{}", v.all());
    assert!(v.last_line().contains("intact but LIMITED"), "{}", v.last_line());
    let snaps = support::run(&["snapshots", dest.path().to_str().unwrap()], &[]).await;
    assert!(snaps.stdout.contains(" limited "), "{}", snaps.stdout);
    let items = manifest["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert!(items.iter().all(|i| i["kind"] == "workbook"));
    let meta: Vec<&str> = manifest["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    assert!(meta.contains(&"metadata_tableau/users.json"), "{meta:?}");
    assert!(meta.contains(&"metadata_tableau/workbooks.json"), "{meta:?}");
    assert!(!meta.contains(&"metadata_tableau/groups.json"), "{meta:?}");
    // Metadata still lists every workbook even though only 5 files were fetched.
    let wbs = support::read_json(&run.join("metadata_tableau/workbooks.json"));
    assert_eq!(wbs.as_array().unwrap().len(), sim.catalog().counts.workbooks);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_backs_up_the_sample_site() {
    let dest = tempfile::tempdir().unwrap();
    let out = support::run(&["demo", "--dest", dest.path().to_str().unwrap()], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let run = only_run(dest.path());
    let manifest = support::read_json(&run.join("manifest.json"));
    assert_eq!(manifest["status"], "complete");
    // The real sample workbook comes back byte for byte.
    let sample = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/SampleWB.twbx"
    ))
    .unwrap();
    let wb = manifest["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"].as_str().unwrap().ends_with(".twbx") && i["size"] == sample.len() as u64)
        .expect("SampleWB.twbx in the backup");
    assert_eq!(
        std::fs::read(run.join(wb["key"].as_str().unwrap())).unwrap(),
        sample
    );
    assert!(
        out.last_line().contains(&dest.path().display().to_string()),
        "{}",
        out.last_line()
    );
}
