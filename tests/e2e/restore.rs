//! `restore`: a whole site restored into an empty one backs up the same
//! (projects, items, bytes, tags, descriptions, owners, permissions after
//! remapping); one deleted workbook comes back and nothing else is written;
//! `--revision N` publishes revision N's bytes; the modes; `--dry-run` writes
//! nothing; from a local folder and from S3.

use crate::support::{self, only_run, read_json, run_dirs, s3::S3Server, secret_env, Output};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use tableau_sim::{ContentKind, Sim, SimConfig};

/// Site A: nested projects whose names repeat under different parents, item
/// names that repeat across projects (more items than the name pool), the
/// simulator's hostile names, rules with Allow and Deny.
fn site_a(seed: u64) -> SimConfig {
    SimConfig::generated(seed)
        .workbooks(40)
        .datasources(12)
        .flows(5)
        .users(12)
        .groups(5)
        .projects(24)
        .content_sizes(1, 60_000)
}

/// `restore` into `sim` from `from`, plus flags.
pub async fn restore(sim: &Sim, from: &str, extra: &[&str], env: &[(String, String)]) -> Output {
    let mut args: Vec<String> = ["restore", "--from", from, "--server", &sim.base_url()]
        .into_iter()
        .chain(["--site", sim.site_content_url(), "--token-name", sim.pat_name()])
        .map(String::from)
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let mut env = env.to_vec();
    env.extend(secret_env(sim.pat_secret()));
    support::run(&args, &env).await
}

/// `restore --json`: the exit code and the report.
async fn restore_json(sim: &Sim, from: &str, extra: &[&str], env: &[(String, String)]) -> (Output, Value) {
    let mut flags = vec!["--json"];
    flags.extend_from_slice(extra);
    let out = restore(sim, from, &flags, env).await;
    let report = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("--json prints one JSON document ({e}):\n{}", out.all()));
    (out, report)
}

fn text(v: &Value, key: &str) -> String {
    match v.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn list(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        _ => Vec::new(),
    }
}

fn metadata(run: &Path, name: &str) -> Vec<Value> {
    let path = run.join("metadata_tableau").join(format!("{name}.json"));
    if !path.exists() {
        return Vec::new();
    }
    read_json(&path).as_array().cloned().unwrap_or_default()
}

/// An item as a user compares it: sha256, description, tags, owner name, showTabs.
type ItemShape = (String, String, BTreeSet<String>, String, String);

/// Custom views by (workbook, name): (definition sha256, owner name, shared) of each.
type ViewShapes = BTreeMap<(String, String), BTreeSet<(String, String, String)>>;

/// A backup as a user compares two sites: by paths and names, never ids.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    /// Project paths with description and contentPermissions.
    projects: BTreeMap<String, (String, String)>,
    /// (kind, project path, name) -> (sha256, description, tags, owner name, showTabs).
    items: BTreeMap<(String, String, String), ItemShape>,
    /// (object, grantee, capability, mode) of the explicit rules of projects and content.
    rules: BTreeSet<(String, String, String, String)>,
    /// (project path, content type, grantee, capability, mode).
    defaults: BTreeSet<(String, String, String, String, String)>,
    /// Group name -> member names.
    groups: BTreeMap<String, BTreeSet<String>>,
    /// (workbook, custom view name) -> (definition sha256, owner name, shared).
    custom_views: ViewShapes,
    /// (user, target) favorites, (user, subject, workbook) subscriptions and
    /// (target, type, frequency) extract refresh tasks, where the target is a
    /// workbook, data source, flow or project (not a view).
    favorites: BTreeSet<(String, String)>,
    subscriptions: BTreeSet<(String, String, String)>,
    tasks: BTreeSet<(String, String, String)>,
}

fn paths(run: &Path) -> HashMap<String, String> {
    let projects = metadata(run, "projects");
    let by_id: HashMap<String, (String, String)> = projects
        .iter()
        .map(|p| (text(p, "id"), (text(p, "name"), text(p, "parentProjectId"))))
        .collect();
    by_id
        .keys()
        .map(|id| {
            let mut parts = Vec::new();
            let mut at = id.clone();
            while let Some((name, parent)) = by_id.get(&at) {
                parts.push(name.clone());
                if parent.is_empty() || parts.len() > by_id.len() {
                    break;
                }
                at = parent.clone();
            }
            parts.reverse();
            (id.clone(), parts.join(" / "))
        })
        .collect()
}

fn shape(run: &Path) -> Shape {
    let manifest = read_json(&run.join("manifest.json"));
    let paths = paths(run);
    let users: HashMap<String, String> = metadata(run, "users")
        .iter()
        .map(|u| (text(u, "id"), text(u, "name").to_lowercase()))
        .collect();
    let groups_by_id: HashMap<String, String> = metadata(run, "groups")
        .iter()
        .map(|g| (text(g, "id"), text(g, "name")))
        .collect();
    let grantee = |rule: &Value| -> String {
        if let Some(u) = rule.get("user") {
            format!("user {}", users.get(&text(u, "id")).cloned().unwrap_or_default())
        } else if let Some(g) = rule.get("group") {
            format!(
                "group {}",
                groups_by_id.get(&text(g, "id")).cloned().unwrap_or_default()
            )
        } else {
            String::new()
        }
    };
    let projects = metadata(run, "projects")
        .iter()
        .map(|p| {
            (
                paths[&text(p, "id")].clone(),
                (text(p, "description"), text(p, "contentPermissions")),
            )
        })
        .collect();
    let mut items = BTreeMap::new();
    let mut object_of = HashMap::new();
    for (kind, file) in [
        ("workbook", "workbooks"),
        ("datasource", "datasources"),
        ("flow", "flows"),
    ] {
        let meta: HashMap<String, Value> = metadata(run, file)
            .into_iter()
            .map(|m| (text(&m, "id"), m))
            .collect();
        for item in manifest["items"].as_array().unwrap() {
            if item["kind"] != kind {
                continue;
            }
            let id = text(item, "id");
            let m = &meta[&id];
            let project = paths.get(&text(item, "project_id")).cloned().unwrap_or_default();
            let tags = list(m.pointer("/tags/tag"))
                .iter()
                .map(|t| text(t, "label"))
                .collect();
            let owner = users.get(&text(&m["owner"], "id")).cloned().unwrap_or_default();
            let key = (kind.to_string(), project.clone(), text(item, "name"));
            object_of.insert(id, format!("{kind} {project} / {}", text(item, "name")));
            let show_tabs = if kind == "workbook" {
                text(m, "showTabs")
            } else {
                String::new()
            };
            let old = items.insert(
                key.clone(),
                (
                    text(item, "sha256"),
                    text(m, "description"),
                    tags,
                    owner,
                    show_tabs,
                ),
            );
            assert!(
                old.is_none(),
                "two items with the same kind, project and name: {key:?}"
            );
        }
    }
    let mut rules = BTreeSet::new();
    for e in metadata(run, "permissions") {
        let kind = text(&e, "type");
        let object = match kind.as_str() {
            "project" => format!("project {}", paths[&text(&e, "id")]),
            "workbook" | "datasource" | "flow" => match object_of.get(&text(&e, "id")) {
                Some(o) => o.clone(),
                None => continue,
            },
            _ => continue,
        };
        for rule in list(e.pointer("/permissions/granteeCapabilities")) {
            for cap in list(rule.pointer("/capabilities/capability")) {
                rules.insert((
                    object.clone(),
                    grantee(&rule),
                    text(&cap, "name"),
                    text(&cap, "mode"),
                ));
            }
        }
    }
    let mut defaults = BTreeSet::new();
    for e in metadata(run, "default_permissions") {
        let project = paths[&text(&e, "id")].clone();
        if let Some(Value::Object(per_type)) = e.get("defaultPermissions") {
            for (t, block) in per_type {
                let block = block.get("permissions").unwrap_or(block);
                for rule in list(block.get("granteeCapabilities")) {
                    for cap in list(rule.pointer("/capabilities/capability")) {
                        defaults.insert((
                            project.clone(),
                            t.clone(),
                            grantee(&rule),
                            text(&cap, "name"),
                            text(&cap, "mode"),
                        ));
                    }
                }
            }
        }
    }
    let groups = metadata(run, "groups")
        .iter()
        .map(|g| {
            let members = list(g.get("members"))
                .iter()
                .map(|u| text(u, "name").to_lowercase())
                .collect();
            (text(g, "name"), members)
        })
        .collect();
    let cv_meta: HashMap<String, Value> = metadata(run, "custom_views")
        .into_iter()
        .map(|c| (text(&c, "id"), c))
        .collect();
    let mut custom_views = ViewShapes::new();
    for d in manifest["custom_view_definitions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        let Some(workbook) = object_of.get(&text(&d, "workbook_id")) else {
            continue;
        };
        let m = cv_meta.get(&text(&d, "id")).cloned().unwrap_or(Value::Null);
        let owner = users.get(&text(&m["owner"], "id")).cloned().unwrap_or_default();
        custom_views
            .entry((workbook.clone(), text(&d, "name")))
            .or_default()
            .insert((text(&d, "sha256"), owner, text(&m, "shared")));
    }
    for (id, path) in &paths {
        object_of.insert(id.clone(), format!("project {path}"));
    }
    let mut favorites = BTreeSet::new();
    for e in metadata(run, "favorites") {
        let user = users.get(&text(&e["user"], "id")).cloned().unwrap_or_default();
        for f in list(e.get("favorites")) {
            for k in ["workbook", "datasource", "flow", "project"] {
                if let Some(o) = f.get(k).and_then(|t| object_of.get(&text(t, "id"))) {
                    favorites.insert((user.clone(), o.clone()));
                }
            }
        }
    }
    let mut subscriptions = BTreeSet::new();
    for sub in metadata(run, "subscriptions") {
        if let Some(o) = object_of.get(&text(&sub["content"], "id")) {
            let user = users.get(&text(&sub["user"], "id")).cloned().unwrap_or_default();
            subscriptions.insert((user, text(&sub, "subject"), o.clone()));
        }
    }
    let mut tasks = BTreeSet::new();
    for t in metadata(run, "extract_refresh_tasks") {
        let t = t.get("extractRefresh").cloned().unwrap_or(t);
        for k in ["workbook", "datasource"] {
            if let Some(o) = t.get(k).and_then(|x| object_of.get(&text(x, "id"))) {
                tasks.insert((o.clone(), text(&t, "type"), text(&t["schedule"], "frequency")));
            }
        }
    }
    Shape {
        projects,
        items,
        rules,
        defaults,
        groups,
        custom_views,
        favorites,
        subscriptions,
        tasks,
    }
}

/// The run folder a fresh backup of `sim` made under `dest`.
async fn back_up(sim: &Sim, dest: &Path, extra: &[&str]) -> PathBuf {
    let before = run_dirs(dest);
    let out = support::backup(sim, dest.to_str().unwrap(), extra, &[]).await;
    assert_eq!(out.code, 0, "the backup should be complete:\n{}", out.all());
    run_dirs(dest)
        .into_iter()
        .find(|d| !before.contains(d))
        .expect("a new run folder")
}

fn entries<'a>(report: &'a Value, kind: &str, action: &str) -> Vec<&'a Value> {
    report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind && e["action"] == action)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_whole_site_restored_into_an_empty_site_backs_up_the_same() {
    let a = Sim::start(site_a(41)).await.unwrap();
    let b = Sim::start(SimConfig::empty(42)).await.unwrap();
    let dest_a = tempfile::tempdir().unwrap();
    let dest_b = tempfile::tempdir().unwrap();
    let run_a = back_up(&a, dest_a.path(), &[]).await;
    let want = shape(&run_a);
    // The site is as awkward as promised.
    let names: Vec<&str> = want
        .projects
        .keys()
        .map(|p| p.rsplit(" / ").next().unwrap())
        .collect();
    let distinct: BTreeSet<&&str> = names.iter().collect();
    assert!(
        distinct.len() < names.len(),
        "some project names repeat under different parents: {names:?}"
    );
    let mut by_name: HashMap<(&str, &str), BTreeSet<&str>> = HashMap::new();
    for (kind, project, name) in want.items.keys() {
        by_name.entry((kind, name)).or_default().insert(project);
    }
    assert!(
        by_name.values().any(|p| p.len() > 1),
        "an item name repeats in two projects"
    );
    assert!(want.rules.iter().any(|r| r.3 == "Deny") && want.rules.iter().any(|r| r.3 == "Allow"));

    // What B had before: a restore adds rules, it never removes the target's own.
    let before_b = shape(&back_up(&b, dest_b.path(), &[]).await);
    let (out, report) =
        restore_json(&b, dest_a.path().to_str().unwrap(), &["--create-principals"], &[]).await;
    assert_eq!(out.code, 0, "the restore should be complete:\n{}", out.all());
    assert_eq!(report["status"], "complete");
    let published = entries(&report, "workbook", "created").len()
        + entries(&report, "datasource", "created").len()
        + entries(&report, "flow", "created").len();
    assert_eq!(published, want.items.len(), "every item was created");
    // The id map: every created object has its new LUID, and it is not the old one
    // (rules and favorites have no LUID of their own).
    for e in report["entries"].as_array().unwrap() {
        let own_id = !matches!(
            e["kind"].as_str(),
            Some("permissions" | "default-permissions" | "favorite")
        );
        if e["action"] == "created" && own_id {
            assert!(!text(e, "new_id").is_empty() && e["new_id"] != e["old_id"], "{e}");
        }
    }

    let run_b = back_up(&b, dest_b.path(), &[]).await;
    let got = shape(&run_b);
    assert_eq!(
        got.projects, want.projects,
        "project tree, descriptions, contentPermissions"
    );
    assert_eq!(
        got.items.keys().collect::<Vec<_>>(),
        want.items.keys().collect::<Vec<_>>(),
        "the same items in the same projects under the same names"
    );
    for (key, w) in &want.items {
        assert_eq!(
            &got.items[key], w,
            "bytes, description, tags, owner, showTabs of {key:?}"
        );
    }
    let want_rules: BTreeSet<_> = want.rules.union(&before_b.rules).cloned().collect();
    let missing: Vec<_> = want_rules.difference(&got.rules).collect();
    assert!(missing.is_empty(), "rules of A missing on B: {missing:#?}");
    let extra: Vec<_> = got.rules.difference(&want_rules).collect();
    assert!(
        extra.is_empty(),
        "rules on B that neither A nor B had: {extra:#?}"
    );
    let want_defaults: BTreeSet<_> = want.defaults.union(&before_b.defaults).cloned().collect();
    let missing: Vec<_> = want_defaults.difference(&got.defaults).collect();
    let extra: Vec<_> = got.defaults.difference(&want_defaults).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "default permissions: missing on B {missing:#?}, only on B {extra:#?}"
    );
    for (group, members) in &want.groups {
        if group == "All Users" {
            continue;
        }
        assert_eq!(got.groups.get(group), Some(members), "members of group {group}");
    }
    assert!(!want.custom_views.is_empty(), "A has custom views");
    assert_eq!(
        got.custom_views, want.custom_views,
        "custom views: definitions, owners, shared"
    );
    // What must be done by hand is there: the connections with credentials.
    let connections = metadata(&run_a, "connections");
    let with_user = connections
        .iter()
        .flat_map(|c| list(c.get("connections")))
        .filter(|c| !text(c, "userName").is_empty() || text(c, "embedPassword") == "true")
        .count();
    let todo = report["checklist"].as_array().unwrap();
    assert!(
        with_user == 0 || todo.iter().any(|t| t["kind"] == "connection"),
        "{with_user} connections with credentials, checklist: {todo:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_deleted_workbook_comes_back_and_nothing_else_is_written() {
    let a = Sim::start(site_a(43)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    let run1 = back_up(&a, dest.path(), &[]).await;
    let before = shape(&run1);
    // A workbook with tags and explicit rules, if there is one.
    let manifest = read_json(&run1.join("manifest.json"));
    let workbooks: Vec<&Value> = manifest["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "workbook")
        .collect();
    let ruled: BTreeSet<String> = metadata(&run1, "permissions")
        .iter()
        .filter(|e| {
            e["type"] == "workbook" && !list(e.pointer("/permissions/granteeCapabilities")).is_empty()
        })
        .map(|e| text(e, "id"))
        .collect();
    let tagged: BTreeSet<String> = metadata(&run1, "workbooks")
        .iter()
        .filter(|w| !list(w.pointer("/tags/tag")).is_empty())
        .map(|w| text(w, "id"))
        .collect();
    let wb = workbooks
        .iter()
        .find(|w| ruled.contains(&text(w, "id")) && tagged.contains(&text(w, "id")))
        .or(workbooks.first())
        .unwrap();
    let id = text(wb, "id");
    assert!(a.remove_item(ContentKind::Workbook, &id));
    a.reset_log();

    let (out, report) = restore_json(&a, dest.path().to_str().unwrap(), &["--item", &id], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let created = entries(&report, "workbook", "created");
    assert_eq!(created.len(), 1, "{report:#}");
    let new_id = text(created[0], "new_id");
    // Nothing but the publish and the writes to the new workbook.
    for w in a.log().writes() {
        // The publish, its custom views (POST customviews names the workbook in its body), and writes to it.
        let ok = matches!(w.endpoint.as_str(), "POST workbooks" | "POST customviews")
            || w.id.as_deref() == Some(new_id.as_str());
        assert!(ok, "a write to something else: {w:?}");
        assert!(w.status < 300, "{w:?}");
    }
    // And a backup made now is the one made before: bytes, tags, owner, rules.
    let run2 = back_up(&a, dest.path(), &[]).await;
    assert_eq!(shape(&run2), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_plans_without_one_write_and_the_modes_do_what_they_say() {
    let a = Sim::start(site_a(44).workbooks(6).datasources(3).flows(2))
        .await
        .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let from = dest.path().to_str().unwrap().to_string();
    back_up(&a, dest.path(), &[]).await;
    let items = a.catalog().items.len();
    let workbooks = |sim: &Sim| -> Vec<tableau_sim::CatalogItem> {
        sim.catalog()
            .items
            .into_iter()
            .filter(|i| i.kind == ContentKind::Workbook)
            .collect()
    };

    // Everything exists already: skip-existing (the default) publishes nothing.
    a.reset_log();
    let (out, report) = restore_json(&a, &from, &["--dry-run", "--mode", "overwrite"], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(report["dry_run"], true);
    assert!(
        a.log().writes().is_empty(),
        "a dry run wrote: {:?}",
        a.log().writes()
    );
    assert_eq!(report["counts"]["overwritten"], items, "{report:#}");
    let human = restore(&a, &from, &["--dry-run", "--mode", "rename"], &[]).await;
    assert!(
        human
            .last_line()
            .starts_with("restore plan (dry run, nothing written):"),
        "{}",
        human.all()
    );
    assert!(human.stdout.contains("rename "), "{}", human.stdout);
    assert!(
        a.log().writes().is_empty(),
        "a dry run wrote: {:?}",
        a.log().writes()
    );

    let (out, report) = restore_json(&a, &from, &[], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(report["counts"]["skipped"], items, "{report:#}");
    assert!(
        !a.log().writes().iter().any(|w| w.endpoint.starts_with("POST ")),
        "skip-existing published: {:?}",
        a.log().write_counts()
    );

    let before = workbooks(&a).len();
    let (out, report) = restore_json(&a, &from, &["--mode", "overwrite", "--kinds", "workbooks"], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let over = entries(&report, "workbook", "overwritten");
    assert_eq!(over.len(), before);
    for e in over {
        assert_eq!(e["new_id"], e["old_id"], "an overwrite keeps the item: {e}");
    }
    assert_eq!(workbooks(&a).len(), before, "no new workbooks");

    let (out, report) = restore_json(&a, &from, &["--mode", "rename", "--kinds", "workbooks"], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let renamed = entries(&report, "workbook", "renamed");
    assert_eq!(renamed.len(), before);
    let now = workbooks(&a);
    assert_eq!(now.len(), 2 * before);
    for e in renamed {
        let w = now.iter().find(|w| w.id == text(e, "new_id")).unwrap();
        assert_eq!(w.name, format!("{} (restored)", text(e, "name")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_revision_is_published_as_the_current_version() {
    let a = Sim::start(site_a(45).workbooks(4).datasources(2).flows(0))
        .await
        .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let run = back_up(&a, dest.path(), &["--revisions"]).await;
    let manifest = read_json(&run.join("manifest.json"));
    let rev = manifest["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["current"] == false && r["kind"] == "workbook")
        .expect("a workbook with an older revision")
        .clone();
    let id = text(&rev, "item_id");
    let n = rev["number"].as_u64().unwrap().to_string();
    let (out, report) = restore_json(
        &a,
        dest.path().to_str().unwrap(),
        &["--item", &id, "--revision", &n],
        &[],
    )
    .await;
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(entries(&report, "workbook", "overwritten").len(), 1, "{report:#}");
    assert_eq!(
        a.content_sha256(ContentKind::Workbook, &id, true).map(|(h, _)| h),
        Some(text(&rev, "sha256")),
        "the workbook's content is now revision {n}"
    );
    // A revision the backup does not have is refused clearly.
    let (out, report) = restore_json(
        &a,
        dest.path().to_str().unwrap(),
        &["--item", &id, "--revision", "999"],
        &[],
    )
    .await;
    assert_eq!(out.code, 3, "{}", out.all());
    let failed = entries(&report, "workbook", "failed");
    assert!(
        text(failed[0], "detail").contains("revision 999 is not in this backup"),
        "{report:#}"
    );
}

/// Backs up a small site into `dest` (under `root` on disk), flips a byte of
/// one workbook there, restores into an empty site; the workbook is refused
/// with `why`, everything else is restored byte for byte.
async fn corrupt_one_and_restore(dest: &str, root: &Path, env: &[(String, String)], why: &[&str]) {
    // s3s-fs keeps objects as files: names fit a file system (SeaweedFS tests take the rest).
    let a = Sim::start(site_a(46).workbooks(5).datasources(3).flows(1).max_name_chars(10))
        .await
        .unwrap();
    let b = Sim::start(SimConfig::empty(47)).await.unwrap();
    let out = support::backup(&a, dest, &[], env).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let run = only_run(root);
    let manifest = read_json(&run.join("manifest.json"));
    let victim = manifest["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "workbook" && i["size"].as_u64() > Some(0))
        .unwrap()
        .clone();
    let file = run.join(text(&victim, "key"));
    let mut bytes = std::fs::read(&file).unwrap();
    bytes[0] ^= 0xff;
    std::fs::write(&file, bytes).unwrap();

    let (out, report) = restore_json(&b, dest, &["--create-principals"], env).await;
    assert_eq!(out.code, 3, "one item failed, the rest restored:\n{}", out.all());
    assert_eq!(report["status"], "partial");
    let failed = entries(&report, "workbook", "failed");
    assert_eq!(failed.len(), 1, "{report:#}");
    assert_eq!(failed[0]["old_id"], victim["id"]);
    let detail = text(failed[0], "detail");
    assert!(why.iter().any(|w| detail.contains(w)), "{detail}");
    assert!(
        detail.contains(&text(&victim, "key")),
        "the error names the object: {detail}"
    );
    let total = manifest["items"].as_array().unwrap().len();
    let restored = b.catalog().items;
    assert_eq!(restored.len(), total - 1, "everything but the corrupt workbook");
    let published: BTreeSet<String> = restored
        .iter()
        .filter_map(|i| b.content_sha256(i.kind, &i.id, true).map(|(h, _)| h))
        .collect();
    for item in manifest["items"].as_array().unwrap() {
        let there = published.contains(&text(item, "sha256"));
        assert_eq!(there, item["id"] != victim["id"], "{item}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_file_in_a_folder_is_refused_by_its_hash_and_the_rest_is_restored() {
    let dest = tempfile::tempdir().unwrap();
    let d = dest.path().to_str().unwrap();
    corrupt_one_and_restore(d, dest.path(), &[], &["does not match the manifest"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_object_in_s3_is_refused_and_the_rest_is_restored() {
    let s3 = S3Server::start("backups").await;
    let root = s3.bucket_dir("backups").join("tableau");
    // The SDK's checksum of the object or our hash: either refuses it.
    let why = ["does not match the manifest", "may be damaged"];
    corrupt_one_and_restore("s3://backups/tableau", &root, &s3.env(), &why).await;
}

/// Peak resident memory (VmHWM, KiB) of the binary running `args`, read from
/// /proc while it runs, and its output.
async fn peak_rss_kib(args: &[String], env: &[(String, String)]) -> (Output, u64) {
    let child = support::command(args, env).spawn().unwrap();
    let pid = child.id().unwrap();
    let status = format!("/proc/{pid}/status");
    let watcher = tokio::spawn(async move {
        let mut peak = 0u64;
        loop {
            let Ok(text) = std::fs::read_to_string(&status) else {
                return peak;
            };
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok());
            match hwm {
                Some(kib) => peak = peak.max(kib),
                None => return peak, // exited: a zombie has no memory lines
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    });
    let out = child.wait_with_output().await.unwrap();
    let peak = watcher.await.unwrap();
    let out = Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    (out, peak)
}

fn restore_args(sim: &Sim, from: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = ["restore", "--from", from, "--server", &sim.base_url()]
        .into_iter()
        .chain(["--site", sim.site_content_url(), "--token-name", sim.pat_name()])
        .map(String::from)
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mb_data_source_goes_through_an_upload_session_in_flat_memory() {
    const BIG: u64 = 200 << 20;
    let a = Sim::start(
        SimConfig::generated(48)
            .workbooks(0)
            .datasources(2)
            .flows(0)
            .big_items(1, BIG),
    )
    .await
    .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let from = dest.path().to_str().unwrap().to_string();
    back_up(&a, dest.path(), &[]).await;
    let small = Sim::start(SimConfig::empty(49)).await.unwrap();
    let big = Sim::start(SimConfig::empty(50)).await.unwrap();
    let env = secret_env(a.pat_secret());
    let flags = ["--kinds", "projects,datasources"];
    // Baseline: the same restore without the big file.
    let catalog = a.catalog();
    let small_one = catalog.items.iter().find(|i| i.size < BIG).unwrap().id.clone();
    let big_one = catalog.items.iter().find(|i| i.size >= BIG).unwrap().id.clone();
    let mut args = restore_args(&small, &from, &flags);
    args.extend(["--item".to_string(), small_one]);
    let (out, base_kib) = peak_rss_kib(&args, &env).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let mut args = restore_args(&big, &from, &flags);
    args.extend(["--item".to_string(), big_one.clone()]);
    let (out, big_kib) = peak_rss_kib(&args, &env).await;
    assert_eq!(out.code, 0, "{}", out.all());
    println!(
        "peak RSS of the host: {base_kib} KiB restoring a small data source, {big_kib} KiB restoring 200 MiB"
    );

    let log = big.log();
    let appends = log.count("PUT fileUploads/{id}");
    assert!(
        appends >= BIG / (5 << 20),
        "{appends} appends: {:?}",
        log.write_counts()
    );
    let restored = big.catalog().items;
    assert_eq!(restored.len(), 1);
    assert_eq!(
        big.content_sha256(ContentKind::Datasource, &restored[0].id, true),
        a.content_sha256(ContentKind::Datasource, &big_one, true),
        "the same 200 MiB"
    );
    // Flat: the big file never sits in the host's memory (nor the guest's,
    // which lives inside it). Not a timing: a bound with room for allocator noise.
    assert!(
        big_kib < base_kib + 64 * 1024,
        "peak RSS {big_kib} KiB for 200 MiB vs {base_kib} KiB for a small file"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_create_principals_missing_owners_are_listed_and_no_one_is_added() {
    let a = Sim::start(site_a(51).workbooks(6).datasources(2).flows(1))
        .await
        .unwrap();
    let b = Sim::start(SimConfig::empty(52)).await.unwrap();
    let dest = tempfile::tempdir().unwrap();
    back_up(&a, dest.path(), &[]).await;
    let (out, report) = restore_json(&b, dest.path().to_str().unwrap(), &[], &[]).await;
    assert_eq!(out.code, 0, "{}", out.all());
    let writes = b.log().write_counts();
    assert!(
        !writes.contains_key("POST users") && !writes.contains_key("POST groups"),
        "{writes:?}"
    );
    assert!(!entries(&report, "user", "skipped").is_empty(), "{report:#}");
    let todo = report["checklist"].as_array().unwrap();
    assert!(
        todo.iter().any(|t| t["kind"] == "owner"),
        "owners not on the target are listed: {todo:#?}"
    );
    assert!(
        todo.iter().any(|t| t["kind"] == "permission"),
        "rules of missing grantees are listed: {todo:#?}"
    );
    // Every item came back, owned by the restoring user.
    assert_eq!(b.catalog().items.len(), a.catalog().items.len());
    let human = restore(&b, dest.path().to_str().unwrap(), &["--dry-run"], &[]).await;
    assert!(human.stdout.contains("To do by hand"), "{}", human.stdout);
}
