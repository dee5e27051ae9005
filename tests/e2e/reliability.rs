//! Tableau Cloud's real behaviour, driven through the simulator's faults: the
//! backup completes when it can, says exactly what failed when it can't, and a
//! broken run never looks like a good backup.

use crate::backup_local::multi_page_site;
use crate::support::{self, assert_run_matches_site, only_run, read_json};
use std::time::Duration;
use tableau_sim::{DropMode, Faults, Sim, SimConfig};

pub fn small_site(seed: u64) -> SimConfig {
    SimConfig::generated(seed)
        .workbooks(12)
        .datasources(6)
        .flows(3)
        .users(15)
        .groups(4)
        .projects(5)
        .content_sizes(100_000, 400_000)
}

async fn backup_ok(sim: &Sim, extra: &[&str]) -> tempfile::TempDir {
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(sim, dest.path().to_str().unwrap(), extra, &[]).await;
    assert_eq!(
        out.code,
        0,
        "the backup should complete despite the faults:\n{}",
        out.all()
    );
    assert_run_matches_site(sim, &only_run(dest.path()), true);
    dest
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_storm_with_retry_after_is_waited_out() {
    let sim = Sim::start(small_site(1).faults(Faults::default().rate_limit_burst(4).retry_after(1)))
        .await
        .unwrap();
    backup_ok(&sim, &[]).await;
    let log = sim.log();
    assert_eq!(log.rate_limited.len(), 4, "{:?}", log.rate_limited);
    for event in &log.rate_limited {
        let waited = event.wait_before_retry().expect("a request followed the 429");
        assert!(
            waited >= Duration::from_millis(950),
            "Retry-After: 1 must be honoured, waited {waited:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_without_retry_after_backs_off_and_completes() {
    let sim = Sim::start(small_site(2).faults(Faults::default().rate_limit_every(5)))
        .await
        .unwrap();
    backup_ok(&sim, &[]).await;
    assert!(
        sim.log().status(429) >= 5,
        "the storm happened: {:?}",
        sim.log().by_status
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_bursts_are_retried() {
    for status in [500, 502, 503] {
        let sim = Sim::start(small_site(3).faults(Faults::default().server_errors(status, 3)))
            .await
            .unwrap();
        backup_ok(&sim, &[]).await;
        assert_eq!(sim.log().status(status), 3, "{status} burst");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_expiry_midway_signs_in_once_more() {
    // Measure a clean run, then let the session die halfway through the next one.
    let sim = Sim::start(small_site(4)).await.unwrap();
    backup_ok(&sim, &[]).await;
    let calls = sim.log().total_requests;
    sim.reset_log();
    // Every session dies after that many calls: two thirds leaves the second
    // session well short of it, whatever requests the expiry makes repeat.
    sim.set_faults(Faults::default().session_expire_after_calls(calls * 2 / 3));
    backup_ok(&sim, &[]).await;
    let log = sim.log();
    assert_eq!(log.sign_ins, 2, "exactly one re-sign-in: {:?}", log.by_endpoint);
    assert!(log.status(401) >= 1, "a request saw the expired session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_download_is_restarted_cleanly() {
    let sim =
        Sim::start(small_site(5).faults(Faults::default().drop_after_bytes(60_000, DropMode::OncePerItem)))
            .await
            .unwrap();
    backup_ok(&sim, &[]).await;
    assert!(
        sim.log().dropped_downloads >= 10,
        "drops happened: {}",
        sim.log().dropped_downloads
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_concurrency_limit_is_survived() {
    let sim = Sim::start(small_site(6).faults(
        // Slow bodies, so downloads overlap and the guest's concurrency shows.
        Faults::default().max_concurrent_downloads(2).slow_body(1_000_000),
    ))
    .await
    .unwrap();
    backup_ok(&sim, &["--concurrency", "6"]).await;
    // Attempts, not admissions: the guest really asked for more than 2 at once
    // (the simulator answered those 429), waited, and still got every item.
    let log = sim.log();
    // Content downloads (custom view definitions are `/content` too, but no item).
    let item_download = |e: &str| e.ends_with("{id}/content") && !e.starts_with("GET customviews");
    let attempts: u64 = log
        .by_endpoint
        .iter()
        .filter(|(e, _)| item_download(e))
        .map(|(_, n)| n)
        .sum();
    let refused: u64 = log
        .by_endpoint_status
        .iter()
        .filter(|(e, _)| item_download(e))
        .map(|(_, by)| by.get(&429).copied().unwrap_or(0))
        .sum();
    let items = sim.catalog().items.len() as u64;
    assert!(
        refused >= 1,
        "more than 2 downloads were attempted at once: {:?}",
        log.by_endpoint_status
    );
    assert_eq!(
        attempts,
        items + refused,
        "every item once, plus the refused attempts"
    );
    assert!(log.peak_concurrent_downloads <= 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_that_404s_is_listed_in_failures_and_the_rest_is_kept() {
    let site = small_site(7);
    let sim = Sim::start(site).await.unwrap();
    let victim = sim
        .catalog()
        .items
        .iter()
        .find(|i| i.kind == tableau_sim::ContentKind::Workbook)
        .unwrap()
        .clone();
    sim.set_faults(Faults::default().missing_content(&[victim.id.as_str()], 0));
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(&sim, dest.path().to_str().unwrap(), &[], &[]).await;
    assert_eq!(out.code, 3, "partial:\n{}", out.all());
    assert!(
        out.last_line().starts_with("backup PARTIAL"),
        "{}",
        out.last_line()
    );
    let run = only_run(dest.path());
    let manifest = assert_run_matches_site(&sim, &run, true);
    assert_eq!(manifest["status"], "partial");
    let failures = manifest["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["id"], victim.id.as_str());
    assert_eq!(failures[0]["kind"], "workbook");
    assert!(
        failures[0]["error"].as_str().unwrap().contains("404"),
        "{failures:?}"
    );
    // The metadata still lists the workbook that could not be downloaded.
    let wbs = read_json(&run.join("metadata_tableau/workbooks.json"));
    assert!(wbs
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w["id"] == victim.id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inflated_total_available_ends_the_list_cleanly() {
    let sim = Sim::start(multi_page_site(8).faults(Faults::default().inflate_total_available(9)))
        .await
        .unwrap();
    backup_ok(&sim, &["--page-size", "7"]).await;
    assert!(sim.log().status(400) >= 1, "400006 past the real end was seen");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_leaves_no_manifest_and_the_next_run_completes() {
    // Slow enough that the kill lands mid-run.
    let sim = Sim::start(small_site(9).faults(Faults::default().latency_ms(40)))
        .await
        .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let d = dest.path().to_str().unwrap();
    let args = support::backup_args(&sim, d, &["--concurrency", "1"]);
    let mut child = support::command(&args, &support::secret_env(sim.pat_secret()))
        .spawn()
        .unwrap();
    // Wait until the run has stored some content, then SIGKILL it.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let stored = support::run_dirs(dest.path())
            .first()
            .map(|r| {
                std::fs::read_dir(r.join("workbooks"))
                    .map(|d| d.count())
                    .unwrap_or(0)
            })
            .unwrap_or(0);
        if stored >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run never started storing content"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.start_kill().unwrap();
    let status = child.wait().await.unwrap();
    assert!(!status.success());
    let killed = only_run(dest.path());
    assert!(
        !killed.join("manifest.json").exists(),
        "a killed run must not have a manifest"
    );

    let snaps = support::run(&["snapshots", d], &[]).await;
    assert_eq!(snaps.code, 0, "{}", snaps.all());
    let line = snaps
        .stdout
        .lines()
        .find(|l| l.contains(killed.file_name().unwrap().to_str().unwrap()))
        .unwrap();
    assert!(line.contains("incomplete"), "{}", snaps.stdout);
    let v = support::run(&["verify", d, killed.file_name().unwrap().to_str().unwrap()], &[]).await;
    assert_eq!(v.code, 1, "verify refuses an incomplete run:\n{}", v.all());
    assert!(v.stderr.contains("incomplete"), "{}", v.stderr);

    // The next run works, and snapshots shows both.
    sim.set_faults(Faults::default());
    let out = support::backup(&sim, d, &[], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let snaps = support::run(&["snapshots", d], &[]).await;
    assert!(
        snaps.stdout.contains("incomplete") && snaps.stdout.contains("complete "),
        "{}",
        snaps.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_download_stalled_past_the_between_bytes_timeout_fails_that_item_only() {
    let sim = Sim::start(small_site(13)).await.unwrap();
    let victim = sim
        .catalog()
        .items
        .iter()
        .find(|i| i.kind == tableau_sim::ContentKind::Datasource)
        .unwrap()
        .clone();
    sim.set_faults(Faults::default().stall_content(&[victim.id.as_str()], 10_000, 120.0));
    let dest = tempfile::tempdir().unwrap();
    let d = dest.path().to_str().unwrap();
    let out = support::backup(&sim, d, &["--between-bytes-timeout", "1"], &[]).await;
    assert_eq!(out.code, 3, "partial:\n{}", out.all());
    let run = only_run(dest.path());
    let manifest = read_json(&run.join("manifest.json"));
    let failures = manifest["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0]["id"], victim.id.as_str());
    let error = failures[0]["error"].as_str().unwrap().to_lowercase();
    assert!(
        error.contains("timeout") || error.contains("timed out"),
        "{error}"
    );
    // Everything else is there, byte for byte, and no partial file of the victim.
    let items = manifest["items"].as_array().unwrap();
    assert_eq!(items.len(), sim.catalog().items.len() - 1);
    assert!(std::fs::read_dir(run.join("published_data_sources"))
        .unwrap()
        .flatten()
        .all(|e| !e.file_name().to_string_lossy().starts_with(&victim.id)));
    assert!(
        sim.log().stalled_downloads >= 2,
        "the stalled download was retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_from_the_network_are_clear_failures_never_empty_files() {
    use tableau_sim::BadBody;
    for kind in [
        BadBody::TruncatedJson,
        BadBody::Html,
        BadBody::Malformed,
        BadBody::Huge,
    ] {
        let sim = Sim::start(small_site(14).faults(Faults::default().bad_body(&["GET groups"], kind)))
            .await
            .unwrap();
        let dest = tempfile::tempdir().unwrap();
        let out = support::backup(&sim, dest.path().to_str().unwrap(), &[], &[]).await;
        assert_eq!(out.code, 3, "{kind:?}: partial, not a crash:\n{}", out.all());
        assert!(!out.stderr.contains("panicked"), "{kind:?}: {}", out.stderr);
        let run = only_run(dest.path());
        let manifest = read_json(&run.join("manifest.json"));
        let failures = manifest["failures"].as_array().unwrap();
        let groups = failures
            .iter()
            .find(|f| f["kind"] == "groups")
            .unwrap_or_else(|| panic!("{kind:?}: {failures:?}"));
        let error = groups["error"].as_str().unwrap();
        assert!(
            error.contains("groups"),
            "{kind:?}: the error names the endpoint: {error}"
        );
        assert!(
            !run.join("metadata_tableau/groups.json").exists(),
            "{kind:?}: no empty or broken groups.json"
        );
        // The other lists are intact.
        let users = read_json(&run.join("metadata_tableau/users.json"));
        assert_eq!(users.as_array().unwrap().len(), sim.catalog().counts.users);
    }
}

/// Hostile server input (issue 9 item 10): the run goes on, the list fails, no trap.
fn assert_users_list_failed(sim: &Sim, dest: &std::path::Path, out: &support::Output, why: &str) {
    assert_eq!(out.code, 3, "partial, not a crash:\n{}", out.all());
    assert!(!out.all().contains("trap"), "{}", out.all());
    let run = only_run(dest);
    let manifest = read_json(&run.join("manifest.json"));
    let failures = manifest["failures"].as_array().unwrap();
    let users = failures
        .iter()
        .find(|f| f["kind"] == "users")
        .unwrap_or_else(|| panic!("{failures:?}"));
    assert!(users["error"].as_str().unwrap().contains(why), "{users}");
    assert!(!run.join("metadata_tableau/users.json").exists());
    let groups = read_json(&run.join("metadata_tableau/groups.json"));
    assert_eq!(groups.as_array().unwrap().len(), sim.catalog().counts.groups);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_of_u64_max_gives_up_on_that_list_without_overflow() {
    // The 429 comes after the request already took over a second (the latency), so
    // `elapsed + Retry-After` overflows a `Duration` unless the sum saturates.
    let faults = Faults::default()
        .rate_limit_burst(1)
        .retry_after(u64::MAX)
        .only_endpoints(&["GET users"])
        .latency_ms(1100);
    let sim = Sim::start(small_site(15).faults(faults)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(&sim, dest.path().to_str().unwrap(), &["--kinds", "users"], &[]).await;
    assert_eq!(out.code, 3, "partial, not a crash:\n{}", out.all());
    let manifest = read_json(&only_run(dest.path()).join("manifest.json"));
    let failure = &manifest["failures"][0];
    assert_eq!(failure["kind"], "users", "{manifest}");
    assert!(failure["error"].as_str().unwrap().contains("limit"), "{failure}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_page_too_big_for_guest_memory_fails_that_list_never_traps() {
    use tableau_sim::BadBody;
    let faults = Faults::default()
        .bad_body(&["GET users"], BadBody::Huge)
        .huge_body_bytes(60 << 20);
    let sim = Sim::start(small_site(16).faults(faults)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(&sim, dest.path().to_str().unwrap(), &[], &[]).await;
    assert_users_list_failed(&sim, dest.path(), &out, "32 MiB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_deleted_before_their_details_are_read_are_recorded_as_vanished() {
    // Once the (single) first page of groups and of virtual connections was served, two
    // of each are deleted: their members and detail answer 404.
    let faults = Faults::default()
        .drift_after_page(1, 2)
        .drift_endpoints(&["GET groups", "GET virtualConnections"]);
    let sim = Sim::start(small_site(17).faults(faults)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(&sim, dest.path().to_str().unwrap(), &[], &[]).await;
    assert_eq!(out.code, 0, "vanished objects are not failures:\n{}", out.all());
    let run = only_run(dest.path());
    let manifest = read_json(&run.join("manifest.json"));
    let removed = sim.catalog().removed;
    assert_eq!(removed.len(), 4, "{removed:?}");
    let vanished = manifest["vanished"].as_array().unwrap();
    let mut got: Vec<(String, String)> = vanished
        .iter()
        .map(|v| {
            assert!(v["reason"].as_str().unwrap().contains("404"), "{v}");
            assert!(!v["name"].as_str().unwrap().is_empty(), "{v}");
            (
                v["id"].as_str().unwrap().to_string(),
                format!("{}/{}", v["kind"].as_str().unwrap(), v["part"].as_str().unwrap()),
            )
        })
        .collect();
    got.sort();
    let mut parts: Vec<&str> = got.iter().map(|(_, p)| p.as_str()).collect();
    parts.sort();
    assert_eq!(
        parts,
        [
            "groups/members",
            "groups/members",
            // A gone virtual connection has no rules to read either.
            "virtualConnection/permissions",
            "virtualConnection/permissions",
            "virtual_connections/detail",
            "virtual_connections/detail"
        ]
    );
    let mut ids: Vec<&str> = got.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids, removed.iter().map(String::as_str).collect::<Vec<_>>());
    // They stay in their files as listed, without the part (never an empty list).
    let groups = read_json(&run.join("metadata_tableau/groups.json"));
    for g in groups.as_array().unwrap() {
        let gone = removed.iter().any(|id| g["id"] == id.as_str());
        assert_eq!(g.get("members").is_none(), gone, "{g}");
    }
    let vcs = read_json(&run.join("metadata_tableau/virtual_connections.json"));
    for vc in vcs.as_array().unwrap() {
        let gone = removed.iter().any(|id| vc["id"] == id.as_str());
        assert_eq!(vc.get("detail").is_none(), gone, "{vc}");
    }
    assert_eq!(vcs.as_array().unwrap().len(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_deleted_while_a_list_is_paged_never_hide_the_ones_still_there() {
    use tableau_sim::ContentKind;
    // After page 2 of the workbooks, 3 of page 1 are deleted: 3 later workbooks slide
    // back into page 2, unseen by an offset walk, and the final total matches the ids
    // seen. Only the re-read finds them.
    let faults = Faults::default()
        .drift_after_page(2, 3)
        .drift_endpoints(&["GET workbooks"]);
    let sim = Sim::start(multi_page_site(18).faults(faults)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(&sim, dest.path().to_str().unwrap(), &["--page-size", "7"], &[]).await;
    let catalog = sim.catalog();
    assert_eq!(catalog.removed.len(), 3, "the drift happened");
    let run = only_run(dest.path());
    let listed: Vec<String> = read_json(&run.join("metadata_tableau/workbooks.json"))
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["id"].as_str().unwrap().to_string())
        .collect();
    let manifest = read_json(&run.join("manifest.json"));
    let stored: Vec<&str> = manifest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    for w in catalog.of_kind(ContentKind::Workbook) {
        assert!(
            listed.contains(&w.id),
            "{} still exists but is not in workbooks.json",
            w.id
        );
        if w.downloadable {
            assert!(
                stored.contains(&w.id.as_str()),
                "{} still exists but was not stored",
                w.id
            );
        }
    }
    // The deleted ones were listed before they went; their downloads are the failures.
    let failed: Vec<&str> = manifest["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    let mut removed: Vec<&str> = catalog.removed.iter().map(String::as_str).collect();
    removed.sort();
    let mut failed_sorted = failed.clone();
    failed_sorted.sort();
    assert_eq!(failed_sorted, removed, "{}", out.all());
    assert_eq!(out.code, 3, "{}", out.all());
    assert!(sim.log().count("GET workbooks") > 4, "the list was read again");
}
