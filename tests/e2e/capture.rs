//! What a restore needs (issue 10): every permission rule, every project default,
//! every connection (never a password), every custom view definition byte for byte,
//! every alert with its recipients, webhook, flow task and data quality warning,
//! compared with the simulator's own catalog.

use crate::backup_local::multi_page_site;
use crate::support::{self, only_run, read_json, s3::S3Server, sha256_file};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use tableau_sim::{Sim, SimConfig};

/// A JSON collection as Tableau sends it: an array, one object, or nothing.
fn list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) if !o.is_empty() => vec![v],
        _ => Vec::new(),
    }
}

fn file(run: &Path, name: &str) -> Vec<Value> {
    read_json(&run.join(format!("metadata_tableau/{name}.json")))
        .as_array()
        .unwrap_or_else(|| panic!("{name}.json is not an array"))
        .clone()
}

type Rule = (String, String, String, String, String, String);

/// `(resource type, resource id, grantee kind, grantee id, capability, mode)` of
/// every rule in a `permissions` object.
fn rules(resource: &str, id: &str, permissions: &Value) -> Vec<Rule> {
    let mut out = Vec::new();
    for gc in list(&permissions["granteeCapabilities"]) {
        let (grantee, gid) = if gc["user"].is_object() {
            ("user", gc["user"]["id"].as_str().unwrap())
        } else {
            ("group", gc["group"]["id"].as_str().unwrap())
        };
        for cap in list(&gc["capabilities"]["capability"]) {
            out.push((
                resource.to_string(),
                id.to_string(),
                grantee.to_string(),
                gid.to_string(),
                cap["name"].as_str().unwrap().to_string(),
                cap["mode"].as_str().unwrap().to_string(),
            ));
        }
    }
    out
}

/// Every string in a JSON document, keys included, for leak checks.
fn keys_named(v: &Value, name: &str, found: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, v) in o {
                if k.eq_ignore_ascii_case(name) {
                    found.push(format!("{k}: {v}"));
                }
                keys_named(v, name, found);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| keys_named(v, name, found)),
        _ => {}
    }
}

fn assert_captured(sim: &Sim, run: &Path) {
    let catalog = sim.catalog();
    let manifest = read_json(&run.join("manifest.json"));
    assert_eq!(manifest["status"], "complete", "{:#}", manifest["failures"]);

    // Permissions: exactly the site's explicit rules.
    let mut got: BTreeSet<Rule> = BTreeSet::new();
    for e in file(run, "permissions") {
        let (t, id) = (e["type"].as_str().unwrap(), e["id"].as_str().unwrap());
        got.extend(rules(t, id, &e["permissions"]));
    }
    let want: BTreeSet<Rule> = catalog
        .permissions
        .iter()
        .map(|r| {
            (
                r.resource.singular().to_string(),
                r.resource_id.clone(),
                r.grantee.name().to_string(),
                r.grantee_id.clone(),
                r.capability.clone(),
                r.mode.name().to_string(),
            )
        })
        .collect();
    assert!(want.len() > 20, "the site has rules to compare: {}", want.len());
    assert!(want.iter().any(|r| r.5 == "Deny") && want.iter().any(|r| r.2 == "user"));
    assert!(want.iter().any(|r| r.0 == "view"), "view rules are in the site");
    assert_eq!(
        got, want,
        "permissions.json holds every explicit rule, nothing else"
    );

    // Project defaults, per served type; the unserved ones are noted.
    let mut got: BTreeSet<Rule> = BTreeSet::new();
    let defaults = file(run, "default_permissions");
    assert_eq!(defaults.len(), catalog.projects.len(), "one entry per project");
    for e in &defaults {
        let id = e["id"].as_str().unwrap();
        let project = catalog.projects.iter().find(|p| p.id == id).unwrap();
        assert_eq!(e["contentPermissions"], project.content_permissions.as_str());
        for (t, perms) in e["defaultPermissions"].as_object().unwrap() {
            got.extend(rules(t, id, perms));
        }
    }
    let want: BTreeSet<Rule> = catalog
        .default_permissions
        .iter()
        .map(|r| {
            (
                r.content_type.clone(),
                r.project_id.clone(),
                r.grantee.name().to_string(),
                r.grantee_id.clone(),
                r.capability.clone(),
                r.mode.name().to_string(),
            )
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want, "default_permissions.json holds every project default");
    let notes = manifest["notes"].to_string();
    for t in &catalog.unserved_default_permissions {
        assert!(
            notes.contains(&format!("default permissions for {t}")),
            "{t} noted: {notes}"
        );
    }

    // Connections: every one, and no password anywhere.
    let mut got = BTreeSet::new();
    for e in file(run, "connections") {
        for c in list(&e["connections"]) {
            got.insert((
                e["id"].as_str().unwrap().to_string(),
                c["id"].as_str().unwrap().to_string(),
            ));
            assert!(c.get("embedPassword").is_some(), "{c}");
        }
    }
    let want: BTreeSet<_> = catalog
        .connections
        .iter()
        .map(|c| (c.item_id.clone(), c.connection.id.clone()))
        .collect();
    assert!(catalog.connections.iter().any(|c| c.connection.embed_password));
    assert_eq!(got, want, "connections.json holds every connection");
    for entry in walkdir(run) {
        if entry.extension().is_some_and(|e| e == "json") {
            let mut found = Vec::new();
            keys_named(&read_json(&entry), "password", &mut found);
            assert!(found.is_empty(), "{}: {found:?}", entry.display());
        }
    }

    // Custom view definitions, byte for byte.
    let defs = manifest["custom_view_definitions"].as_array().unwrap();
    assert_eq!(defs.len(), catalog.custom_views.len());
    assert!(!defs.is_empty());
    for cv in &catalog.custom_views {
        let d = defs.iter().find(|d| d["id"] == cv.id.as_str()).unwrap();
        let key = d["key"].as_str().unwrap();
        assert_eq!(
            sha256_file(&run.join(key)),
            (cv.definition_sha256.clone(), cv.definition_size),
            "{key}"
        );
        assert_eq!(d["sha256"], cv.definition_sha256.as_str());
        assert_eq!(d["view_id"], cv.view_id.as_str());
    }

    // Alerts with recipients, webhooks, flow tasks, quality warnings.
    let alerts = file(run, "data_alerts");
    assert_eq!(alerts.len(), catalog.data_alerts.len());
    for a in &catalog.data_alerts {
        let got = alerts.iter().find(|x| x["id"] == a.id.as_str()).unwrap();
        let recipients: BTreeSet<&str> = list(&got["recipients"]["recipient"])
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        let want: BTreeSet<&str> = a.recipients.iter().map(String::as_str).collect();
        assert_eq!(recipients, want, "recipients of alert {}", a.id);
        assert_eq!(got["subject"], a.subject.as_str());
    }
    let hooks = file(run, "webhooks");
    let ids = |v: &[Value], path: &[&str]| -> BTreeSet<String> {
        v.iter()
            .map(|x| path.iter().fold(x, |x, k| &x[*k]).as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        ids(&hooks, &["id"]),
        catalog.webhooks.iter().map(|w| w.id.clone()).collect()
    );
    assert!(hooks
        .iter()
        .all(|h| h["webhook-destination"]["webhook-destination-http"]["url"].is_string()));
    let tasks = file(run, "flow_run_tasks");
    assert_eq!(
        ids(&tasks, &["flowRun", "id"]),
        catalog.flow_tasks.iter().map(|t| t.id.clone()).collect()
    );
    let mut warnings = BTreeSet::new();
    for e in file(run, "data_quality_warnings") {
        for w in list(&e["dataQualityWarnings"]) {
            warnings.insert(w["id"].as_str().unwrap().to_string());
        }
    }
    assert!(!catalog.data_quality_warnings.is_empty());
    assert_eq!(
        warnings,
        catalog
            .data_quality_warnings
            .iter()
            .map(|w| w.id.clone())
            .collect()
    );

    // Views with all their fields, and workbooks with the _all_ fields.
    assert_eq!(file(run, "views").len(), catalog.views.len());
    assert!(file(run, "workbooks")
        .iter()
        .all(|w| w.get("location").is_some() && w.get("sheetCount").is_some()));
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn site(seed: u64) -> SimConfig {
    multi_page_site(seed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permissions_defaults_connections_definitions_alerts_webhooks_tasks_and_warnings_are_captured() {
    let sim = Sim::start(site(31)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(&sim, dest.path().to_str().unwrap(), &["--page-size", "5"], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let run = only_run(dest.path());
    assert_captured(&sim, &run);
    let verify = support::run(&["verify", dest.path().to_str().unwrap()], &[]).await;
    assert_eq!(verify.code, 0, "{}", verify.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_site_through_s3_is_captured_too() {
    let sim = Sim::start(site(32).site_content_url("c").max_name_chars(10))
        .await
        .unwrap();
    let s3 = S3Server::start("backups").await;
    let dest = "s3://backups/capture";
    let out = support::backup(&sim, dest, &[], &s3.env()).await;
    assert_eq!(out.code, 0, "{}", out.all());
    // s3s-fs keeps each object as a plain file under the bucket's folder.
    assert_captured(&sim, &only_run(&s3.bucket_dir("backups").join("capture")));
    let verify = support::run(&["verify", dest], &s3.env()).await;
    assert_eq!(verify.code, 0, "{}", verify.all());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_object_kinds_alone_list_what_they_need() {
    // `--kinds permissions,connections` without the lists they read.
    let sim = Sim::start(site(33)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let out = support::backup(
        &sim,
        dest.path().to_str().unwrap(),
        &["--kinds", "permissions,connections"],
        &[],
    )
    .await;
    assert_eq!(out.code, 4, "a run of two kinds is limited:\n{}", out.all());
    let run = only_run(dest.path());
    let catalog = sim.catalog();
    let mut got = 0;
    for e in file(&run, "permissions") {
        got += rules(
            e["type"].as_str().unwrap(),
            e["id"].as_str().unwrap(),
            &e["permissions"],
        )
        .len();
    }
    assert_eq!(got, catalog.permissions.len());
    assert!(!run.join("metadata_tableau/workbooks.json").exists());
    assert!(!run.join("workbooks").exists(), "no content downloaded");
    let conns: usize = file(&run, "connections")
        .iter()
        .map(|e| list(&e["connections"]).len())
        .sum();
    assert_eq!(conns, catalog.connections.len());
}
