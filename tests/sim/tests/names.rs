//! `max_name_chars`: every generated name fits, names stay unique where Tableau needs them
//! to, and the default keeps the long hostile names.

mod common;

use std::collections::{HashMap, HashSet};

use serde_json::Value;
use tableau_sim::{Sim, SimConfig};

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn site(max: Option<usize>) -> SimConfig {
    let cfg = SimConfig::generated(11)
        .projects(40)
        .workbooks(300)
        .datasources(120)
        .flows(40)
        .users(120)
        .groups(30)
        .with_gen(|g| {
            g.custom_views = 60;
            g.virtual_connections = 12;
        });
    match max {
        Some(n) => cfg.max_name_chars(n),
        None => cfg,
    }
}

struct Names {
    /// (kind, project id, name) of every workbook, data source and flow.
    content: Vec<(String, String, String)>,
    /// (parent id, name) of every project.
    projects: Vec<(String, String)>,
    users: Vec<String>,
    full_names: Vec<String>,
    groups: Vec<String>,
    /// (workbook id, view name).
    views: Vec<(String, String)>,
    custom_views: Vec<String>,
    vconns: Vec<String>,
}

async fn names(sim: &Sim) -> Names {
    let c = common::sign_in(sim).await;
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let mut content = Vec::new();
    let mut views = Vec::new();
    for (path, item) in [
        ("workbooks", "workbook"),
        ("datasources", "datasource"),
        ("flows", "flow"),
    ] {
        for v in c.walk(path, path, item, 1000).await {
            content.push((item.to_string(), s(&v["project"], "id"), s(&v, "name")));
        }
    }
    for wb in sim.catalog().items.iter().filter(|i| i.ext.starts_with("twb")) {
        let (st, v) = c.get_json(&format!("workbooks/{}", wb.id)).await;
        assert_eq!(st, 200);
        for view in common::as_list(&v["workbook"]["views"]["view"]) {
            views.push((wb.id.clone(), s(&view, "name")));
        }
    }
    let projects = c
        .walk("projects", "projects", "project", 1000)
        .await
        .iter()
        .map(|p| (s(p, "parentProjectId"), s(p, "name")))
        .collect();
    let users = c.walk("users", "users", "user", 1000).await;
    let groups = c.walk("groups", "groups", "group", 1000).await;
    let cvs = c.walk("customviews", "customViews", "customView", 1000).await;
    let vcs = c
        .walk(
            "virtualConnections",
            "virtualConnections",
            "virtualConnection",
            1000,
        )
        .await;
    Names {
        content,
        projects,
        users: users.iter().map(|u| s(u, "name")).collect(),
        full_names: users.iter().map(|u| s(u, "fullName")).collect(),
        groups: groups.iter().map(|g| s(g, "name")).collect(),
        views,
        custom_views: cvs.iter().map(|v| s(v, "name")).collect(),
        vconns: vcs.iter().map(|v| s(v, "name")).collect(),
    }
}

fn assert_unique<T: std::hash::Hash + Eq + std::fmt::Debug>(what: &str, items: impl IntoIterator<Item = T>) {
    let mut seen = HashSet::new();
    for i in items {
        assert!(seen.insert(format!("{i:?}")), "{what}: duplicate {i:?}");
    }
}

#[tokio::test]
async fn short_names_fit_and_stay_unique() {
    for max in [10usize, 12, 24] {
        let sim = Sim::start(site(Some(max))).await.unwrap();
        let n = names(&sim).await;
        let all = n
            .content
            .iter()
            .map(|c| &c.2)
            .chain(n.projects.iter().map(|p| &p.1))
            .chain(&n.users)
            .chain(&n.full_names)
            .chain(&n.groups)
            .chain(n.views.iter().map(|v| &v.1))
            .chain(&n.custom_views)
            .chain(&n.vconns);
        let mut cut = 0;
        for name in all {
            assert!(chars(name) <= max, "{max}: {name:?} is {} chars", chars(name));
            assert!(!name.is_empty());
            cut += usize::from(name.contains('~'));
        }
        assert!(cut > 50, "{max}: only {cut} names were cut");
        // Unique where Tableau requires it (and where they are unique without the knob).
        assert_unique("content", &n.content);
        assert_unique("projects", &n.projects);
        assert_unique("users", &n.users);
        assert_unique("groups", &n.groups);
        assert_unique("views of a workbook", &n.views);
        assert_unique("custom views", &n.custom_views);
        assert_unique("virtual connections", &n.vconns);
        // The catalog agrees with the lists.
        let catalog: HashMap<_, _> = sim.catalog().items.into_iter().map(|i| (i.id, i.name)).collect();
        assert!(catalog.values().all(|name| chars(name) <= max));
        assert_eq!(catalog.len(), n.content.len());
    }
}

#[tokio::test]
async fn default_names_are_long_and_hostile() {
    let sim = Sim::start(site(None)).await.unwrap();
    let n = names(&sim).await;
    let longest = n.content.iter().map(|c| chars(&c.2)).max().unwrap();
    assert!(longest > 200, "{longest}");
    assert!(n.content.iter().all(|c| !c.2.contains('~')));
    assert_unique("content", &n.content);
    assert_unique("projects", &n.projects);
    // Same seed, same site: the knob changes names only.
    let short = Sim::start(site(Some(16))).await.unwrap();
    let (a, b) = (sim.catalog(), short.catalog());
    assert_eq!(a.counts, b.counts);
    for (x, y) in a.items.iter().zip(&b.items) {
        assert_eq!((&x.id, x.size, &x.ext), (&y.id, y.size, &y.ext));
        if chars(&x.name) <= 16 {
            assert_eq!(x.name, y.name);
        } else {
            let prefix: String = y.name.split('~').next().unwrap().to_string();
            assert!(x.name.starts_with(&prefix), "{:?} / {:?}", x.name, y.name);
        }
    }
}

#[test]
fn config_file_and_builder_agree() {
    let from_toml = SimConfig::from_toml_str("seed = 3\n[generated]\nmax_name_chars = 30\n").unwrap();
    let built = SimConfig::generated(3).max_name_chars(30);
    match (&from_toml.site, &built.site) {
        (tableau_sim::SiteSpec::Generated(a), tableau_sim::SiteSpec::Generated(b)) => {
            assert_eq!(a.max_name_chars, Some(30));
            assert_eq!(a, b);
        }
        _ => panic!("generated sites expected"),
    }
}
