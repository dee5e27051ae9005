//! The `fields` parameter: Tableau's default field set (`_default_`) holds no more than the
//! samples captured without `fields`, `_all_` covers the `*_all_fields.xml` samples, named
//! fields add to the default, unknown names are 400, and the fault refusing `_all_`.

mod common;

use common::shape::{covers, within};
use common::*;
use tableau_sim::{Faults, Sim, SimConfig};

async fn xml(c: &Client, path: &str) -> String {
    let (st, t) = c.get_xml(path).await;
    assert_eq!(st, 200, "{path}: {t}");
    t
}

#[tokio::test]
async fn default_field_sets_are_the_samples_and_all_adds_the_rest() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    // (list, sample without fields, what the default has beyond that sample, _all_ sample)
    let cases: [(&str, &str, &[&str], Option<&str>); 7] = [
        (
            "workbooks",
            "workbook_get.xml",
            // In the default set per the REST reference (ENDPOINTS.md), not in the old sample.
            &[
                "workbooks/workbook@encryptExtracts",
                "workbooks/workbook@defaultViewId",
                "workbooks/workbook/dataAccelerationConfig",
                "workbooks/workbook/tags/tag",
            ],
            Some("workbook_get_all_fields.xml"),
        ),
        (
            "datasources",
            "datasource_get.xml",
            &[
                "datasources/datasource@isCertified",
                "datasources/datasource@certificationNote",
            ],
            Some("datasource_get_all_fields.xml"),
        ),
        ("flows", "flow_get.xml", &[], None),
        ("users", "user_get.xml", &[], Some("user_get_all_fields.xml")),
        (
            "groups",
            "group_get.xml",
            &["groups/group@minimumSiteRole"],
            Some("group_get_all_fields.xml"),
        ),
        (
            "projects",
            "project_get.xml",
            &["projects/project@controllingPermissionsProjectId"],
            Some("project_get_all_fields.xml"),
        ),
        ("views", "view_get.xml", &[], Some("view_get_all_fields.xml")),
    ];
    for (list, sample, extra, all) in cases {
        let default = xml(&c, &format!("{list}?fields=_default_")).await;
        covers(sample, &default, &["views/view/tags/tag"]);
        within(sample, &default, extra);
        if let Some(all_sample) = all {
            let full = xml(&c, &format!("{list}?fields=_all_")).await;
            // idpConfigurationId arrived in API 3.25; the simulator speaks 3.24.
            covers(all_sample, &full, &["users/user@idpConfigurationId"]);
        }
    }
    // Group members: `group_populate_users.xml`.
    let (_, v) = c.get_json("groups?fields=_all_").await;
    let all_users = as_list(&v["groups"]["group"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let members = xml(&c, &format!("groups/{all_users}/users?fields=_default_")).await;
    covers("group_populate_users.xml", &members, &[]);
    within("group_populate_users.xml", &members, &[]);
}

#[tokio::test]
async fn defaults_lack_what_only_all_returns_in_both_formats() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let (_, d) = c.get_json("workbooks?fields=_default_").await;
    let (_, a) = c.get_json("workbooks?fields=_all_").await;
    let (d, a) = (
        &as_list(&d["workbooks"]["workbook"])[0],
        &as_list(&a["workbooks"]["workbook"])[0],
    );
    for k in ["sheetCount", "hasExtracts", "location", "shareDescription"] {
        assert!(d.get(k).is_none() && a.get(k).is_some(), "{k}: {d} / {a}");
    }
    assert!(d["owner"].get("email").is_none() && a["owner"]["email"].is_string());
    assert_eq!(d["id"], a["id"]);
    // Without the parameter: the default set, as Tableau answers.
    for list in [
        "workbooks",
        "datasources",
        "flows",
        "users",
        "groups",
        "projects",
        "views",
    ] {
        let (_, bare) = c.get_json(list).await;
        let (_, default) = c.get_json(&format!("{list}?fields=_default_")).await;
        assert_eq!(bare, default, "{list}");
    }
    assert_eq!(d["project"]["id"], a["project"]["id"]);
    let (_, d) = c.get_json("projects?fields=_default_").await;
    assert!(as_list(&d["projects"]["project"])
        .iter()
        .all(|p| p.get("contentsCounts").is_none() && p.get("contentPermissions").is_some()));
    let (_, g) = c.get_json("groups?fields=_default_").await;
    assert!(as_list(&g["groups"]["group"])
        .iter()
        .all(|g| g.get("userCount").is_none()));
    let (_, u) = c.get_json("users?fields=_default_").await;
    assert!(as_list(&u["users"]["user"])
        .iter()
        .all(|u| u.get("domain").is_none() && u.get("authSetting").is_none()));
    // Named fields add to the default, or stand alone.
    let (st, v) = c
        .get_json("workbooks?fields=_default_,sheetCount,owner.email")
        .await;
    assert_eq!(st, 200);
    let w = &as_list(&v["workbooks"]["workbook"])[0];
    assert!(w["sheetCount"].is_string() && w["owner"]["email"].is_string() && w.get("location").is_none());
    let (_, v) = c.get_json("users?fields=id,name").await;
    let u = &as_list(&v["users"]["user"])[0];
    assert_eq!(u.as_object().unwrap().len(), 2, "{u}");
    // Filtering and sorting see every field, whatever fields= returns.
    let (_, v) = c
        .get_json("projects?fields=_default_&filter=topLevelProject:eq:false")
        .await;
    assert_eq!(as_list(&v["projects"]["project"]).len(), 2);
    // Lists that take no fields parameter ignore it.
    let (st, _) = c.get_json("subscriptions?fields=_all_").await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn unknown_fields_are_400_in_both_formats() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    for path in [
        "workbooks?fields=bogus",
        "users?fields=_default_,owner.nope",
        "views?fields=sizzle",
    ] {
        let (st, v) = c.get_json(path).await;
        assert_eq!(
            (st, v["error"]["code"].as_str()),
            (400, Some("400000")),
            "{path}: {v}"
        );
        let (st, t) = c.get_xml(path).await;
        assert_eq!(st, 400);
        assert!(t.contains("<error code=\"400000\">"), "{t}");
    }
}

#[tokio::test]
async fn the_fault_refuses_all_fields_so_a_client_can_fall_back() {
    let cfg = SimConfig::sample().faults(Faults::default().reject_all_fields(&["GET workbooks"]));
    let sim = Sim::start(cfg).await.unwrap();
    let c = sign_in(&sim).await;
    let (st, v) = c.get_json("workbooks?fields=_all_").await;
    assert_eq!((st, v["error"]["code"].as_str()), (400, Some("400000")), "{v}");
    let (st, t) = c.get_xml("workbooks?fields=_default_,_all_").await;
    assert_eq!(st, 400, "{t}");
    // The fallback works, other endpoints are untouched.
    assert_eq!(c.get_json("workbooks?fields=_default_").await.0, 200);
    assert_eq!(c.get_json("workbooks").await.0, 200);
    assert_eq!(c.get_json("users?fields=_all_").await.0, 200);
    sim.set_faults(Faults::default().reject_all_fields(&[""]));
    assert_eq!(c.get_json("users?fields=_all_").await.0, 400);
    assert_eq!(sim.log().endpoint_status("GET users", 400), 1);
}
