//! Lists: pagination edges, totalAvailable inflation, JSON quirks, every list vs the catalog.

mod common;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use tableau_sim::{Faults, Sim, SimConfig};

fn pagination(v: &Value) -> (String, String, String) {
    let p = &v["pagination"];
    let s = |k: &str| p[k].as_str().unwrap().to_string();
    (s("pageNumber"), s("pageSize"), s("totalAvailable"))
}

#[tokio::test]
async fn pagination_edges() {
    let sim = Sim::start(SimConfig::generated(3).workbooks(250)).await.unwrap();
    let c = sign_in(&sim).await;
    // Default page size 100.
    let (st, v) = c.get_json("workbooks").await;
    assert_eq!(st, 200);
    assert_eq!(pagination(&v), ("1".into(), "100".into(), "250".into()));
    assert_eq!(as_list(&v["workbooks"]["workbook"]).len(), 100);
    // Last partial page.
    let (_, v) = c.get_json("workbooks?pageNumber=3").await;
    assert_eq!(as_list(&v["workbooks"]["workbook"]).len(), 50);
    // Past the end: 400006.
    let (st, v) = c.get_json("workbooks?pageNumber=4").await;
    assert_eq!((st, v["error"]["code"].as_str()), (400, Some("400006")));
    // Max 1000; larger is an error.
    let (st, v) = c.get_json("workbooks?pageSize=1000").await;
    assert_eq!(st, 200);
    assert_eq!(pagination(&v).1, "1000");
    assert_eq!(as_list(&v["workbooks"]["workbook"]).len(), 250);
    let (st, v) = c.get_json("workbooks?pageSize=1001").await;
    assert_eq!((st, v["error"]["code"].as_str()), (400, Some("400007")));
    let (st, _) = c.get_json("workbooks?pageNumber=0").await;
    assert_eq!(st, 400);
    let (st, _) = c.get_json("workbooks?pageSize=abc").await;
    assert_eq!(st, 400);
    // XML error shape for a bad page size.
    let (st, t) = c.get_xml("users?pageSize=5000").await;
    assert_eq!(st, 400);
    assert!(t.contains("<error code=\"400007\">"), "{t}");
    // Pages are disjoint and cover the list.
    let all = c.walk("workbooks", "workbooks", "workbook", 7).await;
    let ids: HashSet<_> = all.iter().map(|w| w["id"].clone()).collect();
    assert_eq!((all.len(), ids.len()), (250, 250));
}

#[tokio::test]
async fn inflated_total_available() {
    // Like TSC #1304: 409 advertised, 400 real -> 400006 on page 5.
    let cfg = SimConfig::generated(4)
        .users(400)
        .faults(Faults::default().inflate_total_available(9));
    let sim = Sim::start(cfg).await.unwrap();
    let c = sign_in(&sim).await;
    let (_, v) = c.get_json("users").await;
    assert_eq!(pagination(&v).2, "409");
    let (st, v) = c.get_json("users?pageNumber=4").await;
    assert_eq!(st, 200);
    assert_eq!(as_list(&v["users"]["user"]).len(), 100);
    let (st, v) = c.get_json("users?pageNumber=5").await;
    assert_eq!((st, v["error"]["code"].as_str()), (400, Some("400006")));
    assert_eq!(c.walk("users", "users", "user", 100).await.len(), 400);
    // Switched off at runtime.
    sim.set_faults(Faults::default());
    assert_eq!(pagination(&c.get_json("users").await.1).2, "400");
}

#[tokio::test]
async fn json_quirks() {
    let sim = Sim::start(SimConfig::generated(5).flows(1).datasources(0).workbooks(2))
        .await
        .unwrap();
    let c = sign_in(&sim).await;
    // One element: an object, not an array; numbers and booleans are strings.
    let (_, v) = c.get_json("flows").await;
    assert!(v["flows"]["flow"].is_object(), "{v}");
    assert_eq!(pagination(&v), ("1".into(), "100".into(), "1".into()));
    // Empty collection: {}.
    let (_, v) = c.get_json("datasources").await;
    assert_eq!(v["datasources"], serde_json::json!({}));
    assert_eq!(pagination(&v).2, "0");
    // Two: an array; attributes are strings.
    let (_, v) = c.get_json("workbooks").await;
    let w = &v["workbooks"]["workbook"];
    assert!(w.is_array());
    assert!(w[0]["size"].is_string() && w[0]["showTabs"].is_string());
    assert!(w[0]["tags"].is_object());
    // XML is the default.
    let (_, t) = c.get_xml("datasources").await;
    assert!(t.contains("<datasources/>"), "{t}");
}

#[tokio::test]
async fn every_list_matches_the_catalog() {
    let sim = Sim::start(SimConfig::generated(11)).await.unwrap();
    let cat = sim.catalog();
    let n = &cat.counts;
    let c = sign_in(&sim).await;
    let walk = |p: &'static str, w: &'static str, i: &'static str| {
        let c = &c;
        async move { c.walk(p, w, i, 33).await }
    };
    let wbs = walk("workbooks", "workbooks", "workbook").await;
    assert_eq!(wbs.len(), n.workbooks);
    assert_eq!(
        walk("datasources", "datasources", "datasource").await.len(),
        n.datasources
    );
    assert_eq!(walk("flows", "flows", "flow").await.len(), n.flows);
    let users = walk("users", "users", "user").await;
    assert_eq!(users.len(), n.users);
    let groups = walk("groups?fields=_all_", "groups", "group").await;
    assert_eq!(groups.len(), n.groups);
    let projects = walk("projects", "projects", "project").await;
    assert_eq!(projects.len(), n.projects);
    assert_eq!(
        walk("subscriptions", "subscriptions", "subscription").await.len(),
        n.subscriptions
    );
    assert_eq!(
        walk("customviews", "customViews", "customView").await.len(),
        n.custom_views
    );
    let vcs = walk("virtualConnections", "virtualConnections", "virtualConnection").await;
    assert_eq!(vcs.len(), n.virtual_connections);
    // Group members.
    let mut members = 0;
    for g in &groups {
        let id = g["id"].as_str().unwrap();
        let m = c.walk(&format!("groups/{id}/users"), "users", "user", 50).await;
        assert_eq!(m.len().to_string(), g["userCount"].as_str().unwrap());
        members += m.len();
    }
    assert_eq!(members, n.group_members);
    assert_eq!(groups[0]["name"], "All Users");
    // Favorites per user (not paginated).
    let mut favs = 0;
    for u in &users {
        let (st, v) = c
            .get_json(&format!("favorites/{}", u["id"].as_str().unwrap()))
            .await;
        assert_eq!(st, 200);
        assert!(v.get("pagination").is_none());
        favs += as_list(&v["favorites"]["favorite"]).len();
    }
    assert_eq!(favs, n.favorites);
    // Tasks: one response, no pagination.
    let (_, v) = c.get_json("tasks/extractRefreshes").await;
    assert!(v.get("pagination").is_none());
    assert_eq!(as_list(&v["tasks"]["task"]).len(), n.extract_refresh_tasks);
    // Nested projects with parents listed; every content item's project exists.
    let pids: HashSet<_> = projects.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert!(projects.iter().any(|p| p.get("parentProjectId").is_some()));
    for p in &projects {
        if let Some(parent) = p["parentProjectId"].as_str() {
            assert!(pids.contains(parent));
        }
    }
    for w in &wbs {
        assert!(pids.contains(w["project"]["id"].as_str().unwrap()));
        let item = cat.item(w["id"].as_str().unwrap()).unwrap();
        assert_eq!(w["name"], item.name.as_str());
        assert_eq!(w["updatedAt"], item.updated_at.as_str());
    }
    // Realistic names: duplicates across projects, unicode, slashes, "..".
    let names: Vec<&str> = wbs.iter().map(|w| w["name"].as_str().unwrap()).collect();
    let distinct: HashSet<_> = names.iter().collect();
    assert!(distinct.len() < names.len(), "expected duplicate names");
    assert!(names.iter().any(|n| n.contains('/')));
    assert!(names.contains(&".."));
    assert!(names.iter().any(|n| !n.is_ascii()));
    assert!(names.iter().any(|n| n.chars().count() > 200));
    // But unique within a project.
    let pairs: HashSet<_> = wbs
        .iter()
        .map(|w| (w["project"]["id"].clone(), w["name"].clone()))
        .collect();
    assert_eq!(pairs.len(), wbs.len());
}

#[tokio::test]
async fn details_and_sample_site() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    assert_eq!(cat.counts.workbooks, 3);
    // Workbook by id, with views.
    let wb = &cat.of_kind(tableau_sim::ContentKind::Workbook).next().unwrap();
    let (st, v) = c.get_json(&format!("workbooks/{}", wb.id)).await;
    assert_eq!(st, 200);
    assert_eq!(v["workbook"]["name"], "SampleWB");
    assert!(v["workbook"]["views"]["view"].is_array());
    // Virtual connection detail: `content` is a JSON string.
    let (_, v) = c.get_json("virtualConnections").await;
    let vc = &v["virtualConnections"]["virtualConnection"];
    assert!(vc.is_object(), "one element -> object: {v}");
    let (st, v) = c
        .get_json(&format!("virtualConnections/{}", vc["id"].as_str().unwrap()))
        .await;
    assert_eq!(st, 200);
    let content = v["virtualConnection"]["content"].as_str().unwrap();
    let parsed: Value = serde_json::from_str(content).unwrap();
    assert!(parsed["policyCollection"].is_object());
    // Favorites: alice has 4 kinds, bob one (an object).
    let users = c.walk("users", "users", "user", 100).await;
    let id_of = |name: &str| {
        users.iter().find(|u| u["name"] == name).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (_, v) = c
        .get_json(&format!("favorites/{}", id_of("alice@example.com")))
        .await;
    let favs = as_list(&v["favorites"]["favorite"]);
    assert_eq!(favs.len(), 4);
    for k in ["workbook", "datasource", "project", "view"] {
        assert!(favs.iter().any(|f| f.get(k).is_some()), "{k}");
    }
    let (_, v) = c
        .get_json(&format!("favorites/{}", id_of("bob@example.com")))
        .await;
    assert!(v["favorites"]["favorite"].is_object());
    let (_, v) = c
        .get_json(&format!("favorites/{}", id_of("nora.never@example.com")))
        .await;
    assert_eq!(v["favorites"], serde_json::json!({}));
    let (st, _) = c.get_json("favorites/not-a-user").await;
    assert_eq!(st, 404);
    // Subscriptions and custom views; the /api/exp/ custom view download.
    let (_, v) = c.get_json("subscriptions").await;
    assert_eq!(as_list(&v["subscriptions"]["subscription"]).len(), 2);
    let (_, v) = c.get_json("customviews").await;
    let cvs = as_list(&v["customViews"]["customView"]);
    let r = c
        .http
        .get(format!(
            "{}/api/exp/sites/{}/customviews/{}/content",
            c.base,
            c.site_id,
            cvs[0]["id"].as_str().unwrap()
        ))
        .header("X-Tableau-Auth", &c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let arr: Value = r.json().await.unwrap();
    assert_eq!(arr[0]["isSourceView"], true);
    assert!(arr[0]["tcv"].as_str().unwrap().len() > 20);
    // Filter and sort.
    let (_, v) = c.get_json("workbooks?filter=name:eq:SampleWB").await;
    assert_eq!(as_list(&v["workbooks"]["workbook"]).len(), 2);
    assert_eq!(pagination(&v).2, "2");
    let (_, v) = c.get_json("projects?filter=topLevelProject:eq:false").await;
    assert_eq!(as_list(&v["projects"]["project"]).len(), 2);
    let (_, v) = c.get_json("datasources?sort=name:desc").await;
    assert_eq!(v["datasources"]["datasource"][0]["name"], "World Indicators");
    let (_, v) = c
        .get_json("workbooks?filter=updatedAt:gt:2024-07-02T00:00:00Z")
        .await;
    assert_eq!(as_list(&v["workbooks"]["workbook"]).len(), 2);
}

#[tokio::test]
async fn big_site_pages_are_fast() {
    let t0 = Instant::now();
    let cfg = SimConfig::generated(9).workbooks(10_000).users(50_000);
    let sim = Sim::start(cfg).await.unwrap();
    assert!(t0.elapsed() < Duration::from_secs(1), "start {:?}", t0.elapsed());
    let c = sign_in(&sim).await;
    let mut worst = Duration::ZERO;
    for path in [
        "users?pageSize=1000&pageNumber=50",
        "users?pageSize=100&pageNumber=499",
        "workbooks?pageSize=1000&pageNumber=10",
        "workbooks?pageNumber=73",
        "groups",
        "projects",
    ] {
        for _ in 0..3 {
            let t = Instant::now();
            let (st, v) = c.get_json(path).await;
            let dt = t.elapsed();
            assert_eq!(st, 200, "{path}: {v}");
            worst = worst.max(dt);
        }
    }
    eprintln!("slowest page: {worst:?}");
    assert!(worst < Duration::from_millis(400), "slowest page {worst:?}");
    let (_, v) = c.get_json("users?pageSize=1000&pageNumber=50").await;
    assert_eq!(as_list(&v["users"]["user"]).len(), 1000);
    assert_eq!(pagination(&v).2, "50000");
    let (st, _) = c.get_json("users?pageSize=1000&pageNumber=51").await;
    assert_eq!(st, 400);
}
