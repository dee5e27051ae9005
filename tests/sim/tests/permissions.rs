//! Permissions: explicit rules of every project, workbook, data source, flow, virtual
//! connection and view, and every project's default rules, match the catalog; shapes match
//! the samples; the site holds every case (no rules, users, groups, Allow, Deny, locked).

mod common;

use std::collections::BTreeSet;

use common::shape::covers;
use common::*;
use serde_json::Value;
use tableau_sim::{Catalog, Sim, SimConfig, DEFAULT_PERMISSION_TYPES};

/// (resource, resource id, grantee kind, grantee id, capability, mode)
type Rule = (String, String, String, String, String, String);

fn s(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The rules of a permissions response (JSON).
fn rules(v: &Value, resource: &str, id: &str) -> Vec<Rule> {
    let mut out = Vec::new();
    for gc in as_list(&v["permissions"]["granteeCapabilities"]) {
        let (kind, who) = if gc.get("user").is_some() {
            ("user", &gc["user"])
        } else {
            ("group", &gc["group"])
        };
        for cap in as_list(&gc["capabilities"]["capability"]) {
            out.push((
                resource.to_string(),
                id.to_string(),
                kind.to_string(),
                s(&who["id"]),
                s(&cap["name"]),
                s(&cap["mode"]),
            ));
        }
    }
    out
}

fn catalog_rules(cat: &Catalog) -> BTreeSet<Rule> {
    cat.permissions
        .iter()
        .map(|r| {
            let v = serde_json::to_value(r).unwrap();
            (
                s(&v["resource"]),
                s(&v["resource_id"]),
                s(&v["grantee"]),
                s(&v["grantee_id"]),
                s(&v["capability"]),
                s(&v["mode"]),
            )
        })
        .collect()
}

/// Every explicit rule, read over HTTP.
async fn served_rules(c: &Client) -> BTreeSet<Rule> {
    let mut out = BTreeSet::new();
    for (list, wrapper, item, resource) in [
        ("projects", "projects", "project", "project"),
        ("workbooks", "workbooks", "workbook", "workbook"),
        ("datasources", "datasources", "datasource", "datasource"),
        ("flows", "flows", "flow", "flow"),
        (
            "virtualConnections",
            "virtualConnections",
            "virtualConnection",
            "virtualConnection",
        ),
        ("views", "views", "view", "view"),
    ] {
        for x in c.walk(list, wrapper, item, 100).await {
            let id = s(&x["id"]);
            let (st, v) = c.get_json(&format!("{list}/{id}/permissions")).await;
            assert_eq!(st, 200, "{list}/{id}: {v}");
            assert_eq!(v["permissions"][resource]["id"], id.as_str(), "{v}");
            assert!(v["permissions"][resource]["owner"]["id"].is_string(), "{v}");
            out.extend(rules(&v, resource, &id));
        }
    }
    out
}

#[tokio::test]
async fn every_explicit_rule_matches_the_catalog_with_every_case() {
    for cfg in [
        SimConfig::sample(),
        SimConfig::generated(21).workbooks(30).projects(8),
    ] {
        let sim = Sim::start(cfg).await.unwrap();
        let c = sign_in(&sim).await;
        let cat = sim.catalog();
        let served = served_rules(&c).await;
        assert_eq!(served, catalog_rules(&cat));
        // Users and groups, Allow and Deny, resources with and without rules.
        let has = |f: &dyn Fn(&Rule) -> bool| served.iter().any(f);
        for kind in ["user", "group"] {
            for mode in ["Allow", "Deny"] {
                assert!(has(&|r| r.2 == kind && r.5 == mode), "{kind} {mode}");
            }
        }
        for res in ["project", "workbook", "datasource", "view"] {
            assert!(has(&|r| r.0 == res), "{res} with rules");
        }
        let bare = cat.items.iter().any(|i| !served.iter().any(|r| r.1 == i.id));
        assert!(bare, "an item without explicit rules");
        // Locked and unlocked projects; views have rules only where the project is unlocked.
        let modes: BTreeSet<&str> = cat
            .projects
            .iter()
            .map(|p| p.content_permissions.as_str())
            .collect();
        assert!(modes.contains("ManagedByOwner") && modes.len() > 1, "{modes:?}");
        for r in served.iter().filter(|r| r.0 == "view") {
            let v = cat.views.iter().find(|v| v.id == r.1).unwrap();
            let p = cat.projects.iter().find(|p| p.id == v.project_id).unwrap();
            assert_eq!(p.content_permissions, "ManagedByOwner");
        }
        // Grantees exist.
        let users: BTreeSet<String> = c
            .walk("users", "users", "user", 100)
            .await
            .iter()
            .map(|u| s(&u["id"]))
            .collect();
        let groups: BTreeSet<String> = c
            .walk("groups", "groups", "group", 100)
            .await
            .iter()
            .map(|g| s(&g["id"]))
            .collect();
        for r in &served {
            assert!(
                if r.2 == "user" {
                    users.contains(&r.3)
                } else {
                    groups.contains(&r.3)
                },
                "{r:?}"
            );
        }
    }
}

#[tokio::test]
async fn every_project_default_matches_the_catalog_and_unserved_types_are_noted() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    assert_eq!(cat.unserved_default_permissions, ["lenses", "metrics"]);
    let mut served = BTreeSet::new();
    for p in &cat.projects {
        for t in DEFAULT_PERMISSION_TYPES {
            let (st, v) = c
                .get_json(&format!("projects/{}/default-permissions/{t}", p.id))
                .await;
            if cat.unserved_default_permissions.iter().any(|u| u == t) {
                assert_eq!(
                    (st, v["error"]["code"].as_str()),
                    (404, Some("404003")),
                    "{t}: {v}"
                );
                continue;
            }
            assert_eq!(st, 200, "{t}: {v}");
            assert_eq!(v["permissions"]["project"]["id"], p.id.as_str());
            for r in rules(&v, t, &p.id) {
                served.insert((r.1, r.0, r.2, r.3, r.4, r.5));
            }
        }
    }
    let want: BTreeSet<_> = cat
        .default_permissions
        .iter()
        .map(|r| {
            let v = serde_json::to_value(r).unwrap();
            (
                s(&v["project_id"]),
                s(&v["content_type"]),
                s(&v["grantee"]),
                s(&v["grantee_id"]),
                s(&v["capability"]),
                s(&v["mode"]),
            )
        })
        .collect();
    assert_eq!(served, want);
    // Every served type has rules somewhere, and some project has none for some type.
    for t in DEFAULT_PERMISSION_TYPES
        .iter()
        .filter(|t| !["lenses", "metrics"].contains(t))
    {
        assert!(served.iter().any(|r| r.1 == *t), "{t}");
    }
    let p0 = &cat.projects[0].id;
    let empty = DEFAULT_PERMISSION_TYPES
        .iter()
        .any(|t| !served.iter().any(|r| &r.0 == p0 && r.1 == *t));
    assert!(empty);
    // Any spelling of the type; unknown projects and types.
    let (st, _) = c
        .get_json(&format!("projects/{p0}/default-permissions/VirtualConnections"))
        .await;
    assert_eq!(st, 200);
    let (st, v) = c.get_json("projects/nope/default-permissions/workbooks").await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("404005")));
    let (st, v) = c
        .get_json(&format!("projects/{p0}/default-permissions/gizmos"))
        .await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("404003")));
    // What the site serves is configurable.
    let mut cfg = SimConfig::sample();
    cfg.unserved_default_permissions = vec!["databases".into()];
    let sim = Sim::start(cfg).await.unwrap();
    let c = sign_in(&sim).await;
    let p0 = &sim.catalog().projects[0].id;
    assert_eq!(
        c.get_json(&format!("projects/{p0}/default-permissions/lenses"))
            .await
            .0,
        200
    );
    assert_eq!(
        c.get_json(&format!("projects/{p0}/default-permissions/databases"))
            .await
            .0,
        404
    );
}

#[tokio::test]
async fn permission_shapes_match_the_samples_in_xml_and_json() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    // A resource whose rules hold the grantee kinds the sample shows.
    let with_kinds = |res: tableau_sim::Resource, want: &[tableau_sim::GranteeKind]| {
        let ids: BTreeSet<&str> = cat
            .permissions
            .iter()
            .filter(|r| r.resource == res)
            .map(|r| r.resource_id.as_str())
            .collect();
        ids.into_iter()
            .find(|id| {
                let kinds: BTreeSet<_> = cat.rules_on(res, id).iter().map(|r| r.grantee).collect();
                want.iter().all(|k| kinds.contains(k))
            })
            .unwrap_or_else(|| panic!("{res:?} with rules for {want:?}"))
            .to_string()
    };
    use tableau_sim::GranteeKind::{Group, User};
    use tableau_sim::Resource as R;
    let both = &[User, Group][..];
    for (res, kinds, sample, allowed) in [
        (R::Workbook, both, "workbook_populate_permissions.xml", &[][..]),
        (R::Datasource, both, "datasource_populate_permissions.xml", &[]),
        (R::Project, &[Group], "project_populate_permissions.xml", &[]),
        (R::View, &[Group], "view_populate_permissions.xml", &[]),
        // Group sets as grantees are not modelled.
        (
            R::Flow,
            &[Group],
            "flow_populate_permissions.xml",
            &["permissions/granteeCapabilities/groupSet"],
        ),
    ] {
        let id = with_kinds(res, kinds);
        let (st, t) = c.get_xml(&format!("{}/{id}/permissions", res.plural())).await;
        assert_eq!(st, 200);
        covers(sample, &t, allowed);
    }
    let vc = with_kinds(R::VirtualConnection, both);
    let (_, t) = c.get_xml(&format!("virtualConnections/{vc}/permissions")).await;
    covers("virtual_connection_add_permissions.xml", &t, &[]);
    let p = &cat.default_permissions[0].project_id;
    for (t, sample) in [
        ("workbooks", "project_populate_workbook_default_permissions.xml"),
        (
            "virtualConnections",
            "project_populate_virtualconnection_default_permissions.xml",
        ),
    ] {
        let with_rules = cat
            .default_permissions
            .iter()
            .find(|r| r.content_type == t)
            .map_or(p.clone(), |r| r.project_id.clone());
        let (_, x) = c
            .get_xml(&format!("projects/{with_rules}/default-permissions/{t}"))
            .await;
        covers(sample, &x, &[]);
    }
    // JSON: one grantee is an object, no rules means no granteeCapabilities key.
    let bare = cat.items.iter().find(|i| {
        cat.rules_on(R::Workbook, &i.id).is_empty() && i.kind == tableau_sim::ContentKind::Workbook
    });
    if let Some(b) = bare {
        let (_, v) = c.get_json(&format!("workbooks/{}/permissions", b.id)).await;
        assert!(v["permissions"].get("granteeCapabilities").is_none(), "{v}");
    }
}

#[tokio::test]
async fn unknown_resources_are_404() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    for (path, code) in [
        ("projects/x/permissions", "404005"),
        ("workbooks/x/permissions", "404006"),
        ("views/x/permissions", "404011"),
        ("virtualConnections/x/permissions", "404093"),
    ] {
        let (st, v) = c.get_json(path).await;
        assert_eq!((st, v["error"]["code"].as_str()), (404, Some(code)), "{path}");
    }
    let log = sim.log();
    assert_eq!(log.count("GET views/{id}/permissions"), 1);
}
