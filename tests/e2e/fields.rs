//! Every list that takes it is asked for `fields=_all_` (issue 10): the metadata files
//! carry what Tableau returns only then, and a server refusing it gets the default set
//! once, with a note in the manifest.

use crate::backup_local::multi_page_site;
use crate::support::api::Api;
use crate::support::{self, only_run, read_json};
use serde_json::Value;
use std::collections::BTreeMap;
use tableau_sim::{Faults, Sim};

/// `(file, list path, outer, inner)` of every list with Tableau's `fields` parameter.
const LISTS: [(&str, &str, &str, &str); 6] = [
    ("workbooks", "workbooks", "workbooks", "workbook"),
    ("datasources", "datasources", "datasources", "datasource"),
    ("flows", "flows", "flows", "flow"),
    ("users", "users", "users", "user"),
    ("groups", "groups", "groups", "group"),
    ("projects", "projects", "projects", "project"),
];

fn by_id(items: Vec<Value>) -> BTreeMap<String, Value> {
    items
        .into_iter()
        .map(|mut v| {
            if let Some(o) = v.as_object_mut() {
                o.remove("members");
            }
            (v["id"].as_str().unwrap().to_string(), v)
        })
        .collect()
}

fn file(run: &std::path::Path, name: &str) -> Vec<Value> {
    read_json(&run.join(format!("metadata_tableau/{name}.json")))
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_list_is_backed_up_with_all_its_fields() {
    let sim = Sim::start(multi_page_site(21)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(&sim, dest.path().to_str().unwrap(), &["--page-size", "7"], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let run = only_run(dest.path());
    let api = Api::sign_in(&sim).await;
    for (name, path, outer, inner) in LISTS {
        let all = by_id(api.list(&format!("{path}?fields=_all_"), outer, inner).await);
        let default = by_id(api.list(path, outer, inner).await);
        assert_ne!(all, default, "{name}: _all_ adds fields to the default set");
        assert_eq!(by_id(file(&run, name)), all, "{name}.json holds the _all_ fields");
    }
    let workbooks = file(&run, "workbooks");
    assert!(workbooks.iter().all(|w| w.get("sheetCount").is_some()
        && w.get("location").is_some()
        && w["owner"]["email"].is_string()));
    // Group members too.
    let groups = file(&run, "groups");
    let group = groups.iter().find(|g| g["name"] != "All Users").unwrap();
    let id = group["id"].as_str().unwrap();
    let members = api
        .list(&format!("groups/{id}/users?fields=_all_"), "users", "user")
        .await;
    assert_eq!(group["members"].as_array().unwrap(), &members);
    let manifest = read_json(&run.join("manifest.json"));
    let field_notes: Vec<_> = manifest["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["message"].as_str().unwrap().contains("_all_"))
        .collect();
    assert!(field_notes.is_empty(), "no list fell back: {field_notes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_refusing_all_fields_gets_the_default_set_once_and_a_note() {
    let sim = Sim::start(
        multi_page_site(22).faults(Faults::default().reject_all_fields(&["GET workbooks", "GET groups"])),
    )
    .await
    .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let args = ["--page-size", "7", "--concurrency", "2"];
    let out = support::backup(&sim, dest.path().to_str().unwrap(), &args, &[]).await;
    assert_eq!(
        out.code,
        0,
        "a note does not make the run partial:\n{}",
        out.all()
    );
    let run = only_run(dest.path());
    let manifest = read_json(&run.join("manifest.json"));
    // Other notes (content types the site does not serve) are not about fields.
    let notes: Vec<&serde_json::Value> = manifest["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] != "default_permissions")
        .collect();
    let mut kinds: Vec<&str> = notes.iter().map(|n| n["kind"].as_str().unwrap()).collect();
    kinds.sort();
    assert_eq!(kinds, ["groups", "groups", "workbooks"], "{notes:?}");
    assert!(notes
        .iter()
        .all(|n| n["message"].as_str().unwrap().contains("_all_")));

    let api = Api::sign_in(&sim).await;
    let default = by_id(api.list("workbooks", "workbooks", "workbook").await);
    assert_eq!(by_id(file(&run, "workbooks")), default);
    let users = by_id(api.list("users?fields=_all_", "users", "user").await);
    assert_eq!(by_id(file(&run, "users")), users, "other lists keep _all_");
    // Refused once per list; the members of all groups count as one list (at most the
    // two first pages in flight at once asked before the refusal was known).
    let log = sim.log();
    let refused = |e: &str| log.endpoint_status(e, 400);
    assert_eq!(refused("GET workbooks"), 1, "{:?}", log.by_endpoint_status);
    assert_eq!(refused("GET groups"), 1, "{:?}", log.by_endpoint_status);
    let members = refused("GET groups/{id}/users");
    assert!((1..=2).contains(&members), "{:?}", log.by_endpoint_status);
}
