//! Restore-side writes: each write is read back through the normal GET endpoints (for a
//! generated and a published item where it applies), errors use Tableau's codes, the
//! request log lists writes, removed items vanish, an empty target site is empty, and the
//! write responses have the element and attribute names of the real samples.

mod common;

use common::shape::covers_sample;
use common::*;
use serde_json::{json, Value};
use tableau_sim::{ContentKind, GranteeKind, Mode, Resource, Sim, SimConfig};

macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../fixtures/", $name))
    };
}

fn small() -> SimConfig {
    SimConfig::generated(7).with_gen(|g| {
        g.projects = 4;
        g.workbooks = 6;
        g.datasources = 4;
        g.flows = 2;
        g.users = 8;
        g.groups = 3;
        g.subscriptions = 2;
        g.custom_views = 2;
        g.extract_refresh_tasks = 2;
    })
}

/// A request with a JSON (or XML) body; answers status and JSON.
async fn send(c: &Client, method: &str, path: &str, body: Option<(&str, String)>) -> (u16, Value) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut r = c
        .http
        .request(m, c.url(path))
        .header("X-Tableau-Auth", &c.token)
        .header("Accept", "application/json");
    if let Some((ctype, b)) = body {
        r = r.header("Content-Type", ctype).body(b);
    }
    let r = r.send().await.unwrap();
    let st = r.status().as_u16();
    let t = r.text().await.unwrap();
    (st, serde_json::from_str(&t).unwrap_or(Value::String(t)))
}

async fn put(c: &Client, path: &str, v: Value) -> (u16, Value) {
    send(c, "PUT", path, Some(("application/json", v.to_string()))).await
}

async fn post(c: &Client, path: &str, v: Value) -> (u16, Value) {
    send(c, "POST", path, Some(("application/json", v.to_string()))).await
}

async fn delete(c: &Client, path: &str) -> u16 {
    send(c, "DELETE", path, None).await.0
}

/// An XML write; answers status and the XML text.
async fn send_xml(c: &Client, method: &str, path: &str, body: &str) -> (u16, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let r = c
        .http
        .request(m, c.url(path))
        .header("X-Tableau-Auth", &c.token)
        .header("Content-Type", "application/xml")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn ids(v: &Value, wrapper: &str, item: &str) -> Vec<String> {
    as_list(&v[wrapper][item])
        .iter()
        .map(|x| x["id"].as_str().unwrap().to_string())
        .collect()
}

async fn first_id(c: &Client, list: &str, item: &str) -> String {
    let (_, v) = c.get_json(list).await;
    as_list(&v[list][item])[0]["id"].as_str().unwrap().to_string()
}

/// Publish a small workbook into `project`; returns its id.
async fn publish_wb(c: &Client, name: &str, project: &str, views: Value) -> String {
    let payload = json!({"workbook": {"name": name, "project": {"id": project}, "views": views}}).to_string();
    let file = b"PK\x03\x04 published workbook".to_vec();
    let (ctype, body) = multipart(&[
        ("request_payload", None, "application/json", payload.as_bytes()),
        (
            "tableau_workbook",
            Some("x.twbx"),
            "application/octet-stream",
            &file,
        ),
    ]);
    let r = c
        .http
        .post(c.url("workbooks?workbookType=twbx"))
        .header("X-Tableau-Auth", &c.token)
        .header("Accept", "application/json")
        .header("Content-Type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    v["workbook"]["id"].as_str().unwrap().to_string()
}

async fn projects(c: &Client) -> Vec<String> {
    let (_, v) = c.get_json("projects").await;
    ids(&v, "projects", "project")
}

#[tokio::test]
async fn content_updates_show_in_every_read() {
    let sim = Sim::start(small()).await.unwrap();
    let c = sign_in(&sim).await;
    let p = projects(&c).await;
    let user = as_list(&c.get_json("users").await.1["users"]["user"])[3]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let base = first_id(&c, "workbooks", "workbook").await;
    let published = publish_wb(&c, "Fresh", &p[0], json!({})).await;
    for (i, id) in [base, published].iter().enumerate() {
        let name = format!("Renamed {i}");
        let (st, v) = put(
            &c,
            &format!("workbooks/{id}"),
            json!({"workbook": {"name": name, "description": "d", "showTabs": true,
                "owner": {"id": user}, "project": {"id": p[2]}}}),
        )
        .await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["workbook"]["name"], name.as_str());
        let (_, v) = c.get_json(&format!("workbooks/{id}")).await;
        let w = &v["workbook"];
        assert_eq!(
            (w["name"].as_str(), w["description"].as_str()),
            (Some(name.as_str()), Some("d"))
        );
        assert_eq!(
            (w["showTabs"].as_str(), w["owner"]["id"].as_str()),
            (Some("true"), Some(user.as_str()))
        );
        assert_eq!(w["project"]["id"], p[2].as_str());
        let (_, v) = c
            .get_json(&format!(
                "workbooks?fields=_all_&filter=name:eq:{}",
                name.replace(' ', "%20")
            ))
            .await;
        assert_eq!(ids(&v, "workbooks", "workbook"), std::slice::from_ref(id));
        assert_eq!(sim.catalog().item(id).unwrap().project_id, p[2]);
    }
    let ds = first_id(&c, "datasources", "datasource").await;
    let (st, v) = put(
        &c,
        &format!("datasources/{ds}"),
        json!({"datasource": {"name": "DS2"}}),
    )
    .await;
    assert_eq!((st, v["datasource"]["name"].as_str()), (200, Some("DS2")));
    let fl = first_id(&c, "flows", "flow").await;
    let (st, _) = put(
        &c,
        &format!("flows/{fl}"),
        json!({"flow": {"owner": {"id": user}}}),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        c.get_json(&format!("flows/{fl}")).await.1["flow"]["owner"]["id"],
        user.as_str()
    );
    // Errors.
    let (st, v) = put(&c, "workbooks/nope", json!({"workbook": {"name": "x"}})).await;
    assert_eq!((st, code(&v)), (404, "404006"));
    let (st, v) = put(&c, "datasources/nope", json!({"datasource": {"name": "x"}})).await;
    assert_eq!((st, code(&v)), (404, "404011"));
    let (st, v) = put(&c, "flows/nope", json!({"flow": {"name": "x"}})).await;
    assert_eq!((st, code(&v)), (404, "404059"));
    let (st, v) = put(
        &c,
        &format!("datasources/{ds}"),
        json!({"datasource": {"owner": {"id": "u"}}}),
    )
    .await;
    assert_eq!((st, code(&v)), (404, "404002"));
    let (st, v) = put(
        &c,
        &format!("datasources/{ds}"),
        json!({"datasource": {"project": {"id": "p"}}}),
    )
    .await;
    assert_eq!((st, code(&v)), (404, "404005"));
    // A form body is refused like the other writes' wrong media types.
    let (st, v) = send(
        &c,
        "PUT",
        &format!("flows/{fl}"),
        Some(("multipart/form-data", "x".into())),
    )
    .await;
    assert_eq!((st, code(&v)), (415, "415000"));
    // No session: 401000.
    let r = c
        .http
        .put(c.url(&format!("flows/{fl}")))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn tags_are_added_listed_and_deleted() {
    let sim = Sim::start(small()).await.unwrap();
    let c = sign_in(&sim).await;
    let p = projects(&c).await;
    let base = first_id(&c, "workbooks", "workbook").await;
    let published = publish_wb(&c, "Tagged", &p[1], json!({})).await;
    let tags = json!({"tags": {"tag": [{"label": "a"}, {"label": "b c"}]}});
    for id in [&base, &published] {
        let (st, v) = put(&c, &format!("workbooks/{id}/tags"), tags.clone()).await;
        assert_eq!(st, 200, "{v}");
        let labels: Vec<Value> = as_list(&v["tags"]["tag"])
            .iter()
            .map(|t| t["label"].clone())
            .collect();
        assert!(
            labels.contains(&json!("a")) && labels.contains(&json!("b c")),
            "{v}"
        );
        let (_, v) = c.get_json("workbooks?pageSize=100").await;
        let w = as_list(&v["workbooks"]["workbook"])
            .into_iter()
            .find(|w| w["id"] == id.as_str())
            .unwrap();
        assert!(as_list(&w["tags"]["tag"]).iter().any(|t| t["label"] == "b c"));
        assert_eq!(delete(&c, &format!("workbooks/{id}/tags/b%20c")).await, 204);
        let (_, v) = c.get_json(&format!("workbooks/{id}")).await;
        assert!(!as_list(&v["workbook"]["tags"]["tag"])
            .iter()
            .any(|t| t["label"] == "b c"));
    }
    // Views (of the published workbook too) and data sources.
    let (_, v) = c.get_json(&format!("workbooks/{published}/views")).await;
    let view = as_list(&v["views"]["view"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, _) = put(&c, &format!("views/{view}/tags"), tags.clone()).await;
    assert_eq!(st, 200);
    let (_, v) = c.get_json(&format!("views/{view}")).await;
    assert_eq!(as_list(&v["view"]["tags"]["tag"]).len(), 2);
    let ds = first_id(&c, "datasources", "datasource").await;
    let (st, _) = put(&c, &format!("datasources/{ds}/tags"), tags.clone()).await;
    assert_eq!(st, 200);
    let (st, v) = put(&c, "views/nope/tags", tags).await;
    assert_eq!((st, code(&v)), (404, "404011"));
}

#[tokio::test]
async fn permission_writes_show_in_reads_and_the_catalog() {
    let sim = Sim::start(small()).await.unwrap();
    let c = sign_in(&sim).await;
    let p = projects(&c).await;
    let (_, users) = c.get_json("users").await;
    let user = as_list(&users["users"]["user"])[5]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, groups) = c.get_json("groups").await;
    let group = as_list(&groups["groups"]["group"])[1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let base = first_id(&c, "workbooks", "workbook").await;
    let published = publish_wb(&c, "Ruled", &p[0], json!({})).await;
    let body = json!({"permissions": {"granteeCapabilities": [
        {"user": {"id": user}, "capabilities": {"capability": [{"name": "Read", "mode": "Allow"}]}},
        {"group": {"id": group}, "capabilities": {"capability": {"name": "ExportXml", "mode": "Deny"}}}]}});
    for id in [&base, &published] {
        let before = sim.catalog().rules_on(Resource::Workbook, id).len();
        let (st, v) = put(&c, &format!("workbooks/{id}/permissions"), body.clone()).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(as_list(&v["permissions"]["granteeCapabilities"]).len(), 2);
        assert_eq!(v["permissions"]["workbook"]["id"], id.as_str());
        let (_, v) = c.get_json(&format!("workbooks/{id}/permissions")).await;
        let gcs = as_list(&v["permissions"]["granteeCapabilities"]);
        assert!(gcs.iter().any(|g| g["user"]["id"] == user.as_str()), "{v}");
        let cat = sim.catalog();
        let rules = cat.rules_on(Resource::Workbook, id);
        assert!(rules.iter().any(|r| r.grantee == GranteeKind::Group
            && r.grantee_id == group
            && r.capability == "ExportXml"
            && r.mode == Mode::Deny));
        assert!(rules.len() > before.min(rules.len() - 1));
        let st = delete(&c, &format!("workbooks/{id}/permissions/users/{user}/Read/Allow")).await;
        assert_eq!(st, 204);
        let (_, v) = c.get_json(&format!("workbooks/{id}/permissions")).await;
        let gone = as_list(&v["permissions"]["granteeCapabilities"])
            .iter()
            .all(|g| g["user"]["id"] != user.as_str() || !g.to_string().contains("\"Read\""));
        assert!(gone, "{v}");
    }
    // XML bodies too, on a project.
    let x = format!(
        "<tsRequest><permissions><granteeCapabilities><group id=\"{group}\"/><capabilities>\
         <capability name=\"Write\" mode=\"Allow\"/></capabilities></granteeCapabilities></permissions></tsRequest>"
    );
    let (st, t) = send_xml(&c, "PUT", &format!("projects/{}/permissions", p[1]), &x).await;
    assert_eq!(st, 200, "{t}");
    assert!(sim
        .catalog()
        .rules_on(Resource::Project, &p[1])
        .iter()
        .any(|r| r.grantee_id == group && r.capability == "Write"));
    // Errors: bad capability / mode 400009, unknown grantees 404002 / 404012.
    let bad = |cap: &str, mode: &str, who: Value| {
        json!({"permissions": {"granteeCapabilities": {"capabilities": {"capability": {"name": cap, "mode": mode}},
            "user": who}}})
    };
    let (st, v) = put(
        &c,
        &format!("workbooks/{base}/permissions"),
        bad("Fly", "Allow", json!({"id": user})),
    )
    .await;
    assert_eq!((st, code(&v)), (400, "400009"));
    let (st, v) = put(
        &c,
        &format!("workbooks/{base}/permissions"),
        bad("Read", "Maybe", json!({"id": user})),
    )
    .await;
    assert_eq!((st, code(&v)), (400, "400009"));
    let (st, v) = put(
        &c,
        &format!("workbooks/{base}/permissions"),
        bad("Read", "Allow", json!({"id": "x"})),
    )
    .await;
    assert_eq!((st, code(&v)), (404, "404002"));
    let g = json!({"permissions": {"granteeCapabilities": {"group": {"id": "x"},
        "capabilities": {"capability": {"name": "Read", "mode": "Allow"}}}}});
    let (st, v) = put(&c, &format!("workbooks/{base}/permissions"), g).await;
    assert_eq!((st, code(&v)), (404, "404012"));
    // Default permissions.
    let d = json!({"permissions": {"granteeCapabilities": {"group": {"id": group},
        "capabilities": {"capability": [{"name": "Connect", "mode": "Allow"}, {"name": "ExportXml", "mode": "Deny"}]}}}});
    let (st, v) = put(
        &c,
        &format!("projects/{}/default-permissions/datasources", p[2]),
        d,
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let (_, v) = c
        .get_json(&format!("projects/{}/default-permissions/datasources", p[2]))
        .await;
    assert!(v.to_string().contains("\"Connect\""), "{v}");
    assert!(sim
        .catalog()
        .default_permissions
        .iter()
        .any(|r| r.project_id == p[2]
            && r.content_type == "datasources"
            && r.grantee_id == group
            && r.capability == "ExportXml"));
    let path = format!(
        "projects/{}/default-permissions/datasources/groups/{group}/ExportXml/Deny",
        p[2]
    );
    assert_eq!(delete(&c, &path).await, 204);
    assert_eq!(delete(&c, &path).await, 404);
    let (st, v) = put(
        &c,
        &format!("projects/{}/default-permissions/lenses", p[2]),
        json!({}),
    )
    .await;
    assert_eq!((st, code(&v)), (404, "404003"));
}

#[tokio::test]
async fn projects_update_and_delete() {
    let sim = Sim::start(small()).await.unwrap();
    let c = sign_in(&sim).await;
    let p = projects(&c).await;
    let (st, v) = put(
        &c,
        &format!("projects/{}", p[3]),
        json!({"project": {"name": "Moved", "description": "m", "parentProjectId": p[1],
            "contentPermissions": "LockedToProject"}}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let (_, v) = c.get_json("projects?filter=name:eq:Moved").await;
    let pr = &v["projects"]["project"];
    assert_eq!(
        (pr["parentProjectId"].as_str(), pr["contentPermissions"].as_str()),
        (Some(p[1].as_str()), Some("LockedToProject"))
    );
    let (st, v) = put(&c, "projects/nope", json!({"project": {"name": "x"}})).await;
    assert_eq!((st, code(&v)), (404, "404005"));
    let (st, v) = put(
        &c,
        &format!("projects/{}", p[1]),
        json!({"project": {"contentPermissions": "Nope"}}),
    )
    .await;
    assert_eq!((st, code(&v)), (400, "400000"));
    // Delete: gone with its content and children.
    let wb = publish_wb(&c, "Doomed", &p[3], json!({})).await;
    assert_eq!(delete(&c, &format!("projects/{}", p[1])).await, 204);
    let left = projects(&c).await;
    assert!(!left.contains(&p[1]) && !left.contains(&p[3]), "{left:?}");
    let (st, v) = c.get_json(&format!("workbooks/{wb}")).await;
    assert_eq!((st, code(&v)), (404, "404006"));
    assert_eq!(delete(&c, &format!("projects/{}", p[1])).await, 404);
    assert_eq!(delete(&c, &format!("projects/{}", p[0])).await, 403);
}

#[tokio::test]
async fn users_groups_members_and_favorites() {
    let sim = Sim::start(small()).await.unwrap();
    let c = sign_in(&sim).await;
    let (st, v) = post(
        &c,
        "users",
        json!({"user": {"name": "new@example.com", "siteRole": "Viewer", "authSetting": "SAML"}}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let uid = v["user"]["id"].as_str().unwrap().to_string();
    let (_, v) = c.get_json(&format!("users/{uid}")).await;
    assert_eq!(
        (v["user"]["siteRole"].as_str(), v["user"]["authSetting"].as_str()),
        (Some("Viewer"), Some("SAML"))
    );
    assert_eq!(c.walk("users", "users", "user", 3).await.len(), 9);
    let (st, v) = post(
        &c,
        "users",
        json!({"user": {"name": "NEW@example.com", "siteRole": "Viewer"}}),
    )
    .await;
    assert_eq!((st, code(&v)), (409, "409000"));
    let (st, v) = post(&c, "users", json!({"user": {"name": "x", "siteRole": "King"}})).await;
    assert_eq!((st, code(&v)), (400, "400000"));
    let (st, v) = put(
        &c,
        &format!("users/{uid}"),
        json!({"user": {"siteRole": "Creator"}}),
    )
    .await;
    assert_eq!((st, v["user"]["siteRole"].as_str()), (200, Some("Creator")));
    let base_user = as_list(&c.get_json("users").await.1["users"]["user"])[2]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, _) = put(
        &c,
        &format!("users/{base_user}"),
        json!({"user": {"siteRole": "Explorer"}}),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        c.get_json(&format!("users/{base_user}")).await.1["user"]["siteRole"],
        "Explorer"
    );
    let (st, v) = put(&c, "users/nope", json!({"user": {"siteRole": "Creator"}})).await;
    assert_eq!((st, code(&v)), (404, "404002"));
    // Groups and members.
    let (st, v) = post(
        &c,
        "groups",
        json!({"group": {"name": "Restored", "minimumSiteRole": "Viewer"}}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let gid = v["group"]["id"].as_str().unwrap().to_string();
    let (st, v) = post(&c, "groups", json!({"group": {"name": "restored"}})).await;
    assert_eq!((st, code(&v)), (409, "409009"));
    for u in [&uid, &base_user] {
        let (st, v) = post(&c, &format!("groups/{gid}/users"), json!({"user": {"id": u}})).await;
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = post(&c, &format!("groups/{gid}/users"), json!({"user": {"id": uid}})).await;
    assert_eq!((st, code(&v)), (409, "409011"));
    let members = c.walk(&format!("groups/{gid}/users"), "users", "user", 100).await;
    assert_eq!(members.len(), 2);
    let (_, v) = c.get_json("groups?fields=_all_&filter=name:eq:Restored").await;
    assert_eq!(v["groups"]["group"]["userCount"], "2");
    // "All Users" holds the new user.
    let all = first_id(&c, "groups", "group").await;
    let all_members = c.walk(&format!("groups/{all}/users"), "users", "user", 100).await;
    assert!(all_members.iter().any(|u| u["id"] == uid.as_str()));
    // A base group gets a member too.
    let (_, g) = c.get_json("groups").await;
    let base_group = as_list(&g["groups"]["group"])[1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let _ = post(
        &c,
        &format!("groups/{base_group}/users"),
        json!({"user": {"id": uid}}),
    )
    .await;
    let m = c
        .walk(&format!("groups/{base_group}/users"), "users", "user", 100)
        .await;
    assert!(m.iter().any(|u| u["id"] == uid.as_str()));
    // Favorites: a published workbook, a base view, a project.
    let p = projects(&c).await;
    let wb = publish_wb(&c, "Fav", &p[0], json!({})).await;
    let view = first_id(&c, "views", "view").await;
    for (k, id) in [("workbook", &wb), ("view", &view), ("project", &p[1])] {
        let (st, v) = put(
            &c,
            &format!("favorites/{uid}"),
            json!({"favorite": {"label": format!("my {k}"), k: {"id": id}}}),
        )
        .await;
        assert_eq!(st, 200, "{v}");
    }
    let (_, v) = c.get_json(&format!("favorites/{uid}")).await;
    let favs = as_list(&v["favorites"]["favorite"]);
    assert_eq!(favs.len(), 3, "{v}");
    assert_eq!(favs[0]["label"], "my workbook");
    assert_eq!(favs[0]["workbook"]["id"], wb.as_str());
    assert_eq!(favs[1]["view"]["id"], view.as_str());
    let (st, v) = put(
        &c,
        &format!("favorites/{uid}"),
        json!({"favorite": {"label": "x", "flow": {"id": "nope"}}}),
    )
    .await;
    assert_eq!((st, code(&v)), (404, "404059"));
}

fn weekly() -> Value {
    json!({"frequency": "Weekly", "frequencyDetails": {"start": "08:00:00",
        "intervals": {"interval": [{"weekDay": "Monday"}, {"weekDay": "Friday"}]}}})
}

#[tokio::test]
async fn subscriptions_and_extract_refresh_tasks() {
    let sim = Sim::start(small()).await.unwrap();
    let c = sign_in(&sim).await;
    let p = projects(&c).await;
    let wb = publish_wb(&c, "Subscribed", &p[0], json!({})).await;
    let (st, v) = post(
        &c,
        "subscriptions",
        json!({"subscription": {"subject": "Weekly", "message": "hi", "attachPdf": "true",
            "content": {"id": wb, "type": "Workbook", "sendIfViewEmpty": "false"}, "user": {"id": c.user_id}},
            "schedule": weekly()}),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let sid = v["subscription"]["id"].as_str().unwrap().to_string();
    let subs = c
        .walk("subscriptions", "subscriptions", "subscription", 100)
        .await;
    let s = subs.iter().find(|s| s["id"] == sid.as_str()).unwrap();
    assert_eq!(
        (s["content"]["id"].as_str(), s["schedule"]["frequency"].as_str()),
        (Some(wb.as_str()), Some("Weekly"))
    );
    assert_eq!(c.get_json(&format!("subscriptions/{sid}")).await.0, 200);
    // Extract refresh tasks.
    let ds = first_id(&c, "datasources", "datasource").await;
    let (st, v) = post(
        &c,
        "tasks/extractRefreshes",
        json!({"extractRefresh": {"type": "FullRefresh", "datasource": {"id": ds}},
            "schedule": {"frequency": "Daily", "frequencyDetails": {"start": "06:05:00",
                "intervals": {"interval": [{"hours": "24"}, {"weekDay": "Monday"}]}}}}),
    )
    .await;
    assert_eq!(st, 200, "{v}");
    let tid = v["extractRefresh"]["id"].as_str().unwrap().to_string();
    let (_, v) = c.get_json("tasks/extractRefreshes").await;
    let t = as_list(&v["tasks"]["task"])
        .into_iter()
        .find(|t| t["extractRefresh"]["id"] == tid.as_str())
        .unwrap();
    assert_eq!(t["extractRefresh"]["datasource"]["id"], ds.as_str());
    assert_eq!(
        t["extractRefresh"]["schedule"]["frequencyDetails"]["start"],
        "06:05:00"
    );
    let task = |sched: Value| json!({"extractRefresh": {"workbook": {"id": wb}}, "schedule": sched});
    for bad in [
        json!({"frequency": "Daily", "frequencyDetails": {"start": "06:03:00", "intervals": {"interval": {"weekDay": "Monday"}}}}),
        json!({"frequency": "Daily", "frequencyDetails": {"start": "06:00:00", "intervals": {"interval": {"hours": "24"}}}}),
        json!({"frequency": "Hourly", "frequencyDetails": {"start": "06:00:00", "intervals": {"interval": {"weekDay": "Monday"}}}}),
        json!({"frequency": "Monthly", "frequencyDetails": {"start": "06:00:00"}}),
    ] {
        let (st, v) = post(&c, "tasks/extractRefreshes", task(bad.clone())).await;
        assert_eq!((st, code(&v)), (409, "409004"), "{bad}");
    }
    let monthly = json!({"frequency": "Monthly", "frequencyDetails": {"start": "23:30:00", "intervals": {"interval": {"monthDay": "15"}}}});
    assert_eq!(
        post(&c, "tasks/extractRefreshes", task(monthly.clone())).await.0,
        200
    );
    // Cloud's create-task method is 3.20+.
    let r = c
        .http
        .post(
            c.url("tasks/extractRefreshes")
                .replace("/api/3.24/", "/api/3.19/"),
        )
        .header("X-Tableau-Auth", &c.token)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(task(monthly).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn publish_cv(c: &Client, base: &str, payload: &str, def: &[u8]) -> (u16, Value) {
    let (ctype, body) = multipart(&[
        ("request_payload", None, "application/json", payload.as_bytes()),
        (
            "tableau_customview",
            Some("cv.json"),
            "application/octet-stream",
            def,
        ),
    ]);
    let r = c
        .http
        .post(format!("{base}/api/exp/sites/{}/customviews", c.site_id))
        .header("X-Tableau-Auth", &c.token)
        .header("Accept", "application/json")
        .header("Content-Type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    let st = r.status().as_u16();
    (st, r.json().await.unwrap())
}

#[tokio::test]
async fn custom_views_publish_and_download_byte_for_byte() {
    let sim = Sim::start(small()).await.unwrap();
    let c = sign_in(&sim).await;
    let p = projects(&c).await;
    let base_wb = first_id(&c, "workbooks", "workbook").await;
    let published = publish_wb(
        &c,
        "CV host",
        &p[0],
        json!({"view": [{"name": "Overview"}, {"name": "Detail"}]}),
    )
    .await;
    for wb in [&base_wb, &published] {
        let (_, v) = c.get_json(&format!("workbooks/{wb}/views")).await;
        let views = as_list(&v["views"]["view"]);
        let target = views.last().unwrap();
        let def = serde_json::to_vec(
            &json!([{"isSourceView": true, "viewName": target["name"], "tcv": "PD94bWw="}]),
        )
        .unwrap();
        let payload = json!({"customView": {"name": "Mine", "shared": true, "workbook": {"id": wb}, "owner": {"id": c.user_id}}}).to_string();
        let (st, v) = publish_cv(&c, &c.base, &payload, &def).await;
        assert_eq!(st, 201, "{v}");
        let id = v["customView"]["id"].as_str().unwrap().to_string();
        assert_eq!(v["customView"]["view"]["id"], target["id"]);
        let all = c.walk("customviews", "customViews", "customView", 100).await;
        assert!(all
            .iter()
            .any(|x| x["id"] == id.as_str() && x["shared"] == "true"));
        let r = c
            .http
            .get(format!(
                "{}/api/exp/sites/{}/customviews/{id}/content",
                c.base, c.site_id
            ))
            .header("X-Tableau-Auth", &c.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.bytes().await.unwrap().to_vec(), def);
        assert_eq!(sim.custom_view_definition(&id).unwrap(), def);
    }
    let payload = json!({"customView": {"name": "X", "workbook": {"id": "nope"}}}).to_string();
    let (st, v) = publish_cv(&c, &c.base, &payload, b"[]").await;
    assert_eq!((st, code(&v)), (404, "404006"));
}

#[tokio::test]
async fn hidden_views_are_recorded_and_not_published() {
    let sim = Sim::start(SimConfig::empty(2)).await.unwrap();
    let c = sign_in(&sim).await;
    let p = projects(&c).await;
    let wb = publish_wb(
        &c,
        "Hidden",
        &p[0],
        json!({"view": [{"name": "Shown"}, {"name": "Secret", "hidden": true}]}),
    )
    .await;
    assert_eq!(sim.hidden_views(&wb), ["Secret"]);
    let (_, v) = c.get_json(&format!("workbooks/{wb}/views")).await;
    let names: Vec<Value> = as_list(&v["views"]["view"])
        .iter()
        .map(|x| x["name"].clone())
        .collect();
    assert_eq!(names, [json!("Shown")]);
    // XML payloads too.
    let payload = format!(
        "<tsRequest><workbook name=\"X\"><project id=\"{}\"/><views><view name=\"A\" hidden=\"true\"/>\
         <view name=\"B\" hidden=\"true\"/></views></workbook></tsRequest>",
        p[0]
    );
    let (ctype, body) = multipart(&[
        ("request_payload", None, "text/xml", payload.as_bytes()),
        (
            "tableau_workbook",
            Some("x.twbx"),
            "application/octet-stream",
            b"PK\x03\x04",
        ),
    ]);
    let r = c
        .http
        .post(c.url("workbooks"))
        .header("X-Tableau-Auth", &c.token)
        .header("Accept", "application/json")
        .header("Content-Type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let id = v["workbook"]["id"].as_str().unwrap();
    assert_eq!(sim.hidden_views(id), ["A", "B"]);
}

#[tokio::test]
async fn the_log_lists_writes_and_removed_items_vanish() {
    let sim = Sim::start(small()).await.unwrap();
    let c = sign_in(&sim).await;
    let p = projects(&c).await;
    sim.reset_log();
    let _ = c.get_json("workbooks").await;
    let _ = c.get_json("users").await;
    assert!(sim.log().writes().is_empty());
    let base = first_id(&c, "workbooks", "workbook").await;
    let (st, _) = put(
        &c,
        &format!("workbooks/{base}"),
        json!({"workbook": {"description": "x"}}),
    )
    .await;
    assert_eq!(st, 200);
    let log = sim.log();
    assert_eq!(log.writes().len(), 1);
    let w = &log.writes()[0];
    assert_eq!(
        (w.method.as_str(), w.endpoint.as_str()),
        ("PUT", "PUT workbooks/{id}")
    );
    assert_eq!((w.id.as_deref(), w.status), (Some(base.as_str()), 200));
    assert_eq!(log.writes_to(&base).len(), 1);
    assert_eq!(log.write_counts()["PUT workbooks/{id}"], 1);
    // Remove a generated workbook, then "restore" it under the same name.
    let (_, v) = c.get_json(&format!("workbooks/{base}")).await;
    let (name, project) = (
        v["workbook"]["name"].as_str().unwrap().to_string(),
        v["workbook"]["project"]["id"].as_str().unwrap().to_string(),
    );
    let before = sim.catalog().counts.workbooks;
    assert!(sim.remove_item(ContentKind::Workbook, &base));
    assert!(!sim.remove_item(ContentKind::Workbook, &base));
    let (st, v) = c.get_json(&format!("workbooks/{base}")).await;
    assert_eq!((st, code(&v)), (404, "404006"));
    let all = c.walk("workbooks", "workbooks", "workbook", 100).await;
    assert!(all.iter().all(|w| w["id"] != base.as_str()));
    assert_eq!(all.len(), before - 1);
    assert_eq!(sim.catalog().counts.workbooks, before - 1);
    let again = publish_wb(&c, &name, &project, json!({})).await;
    assert_ne!(again, base);
    assert_eq!(
        c.walk("workbooks", "workbooks", "workbook", 100).await.len(),
        before
    );
    // Published items and projects can be removed too.
    assert!(sim.remove_item(ContentKind::Workbook, &again));
    assert_eq!(c.get_json(&format!("workbooks/{again}")).await.0, 404);
    assert!(sim.remove_project(&p[2]));
    assert!(!projects(&c).await.contains(&p[2]));
}

#[tokio::test]
async fn an_empty_target_site_next_to_a_full_one() {
    let full = Sim::start(small()).await.unwrap();
    let empty = Sim::start(SimConfig::empty(99)).await.unwrap();
    assert_ne!(full.site_id(), empty.site_id());
    let c = sign_in(&empty).await;
    let cat = empty.catalog();
    assert_eq!(cat.counts.projects, 1);
    assert_eq!((cat.counts.users, cat.counts.groups), (1, 1));
    assert!(cat.items.is_empty() && cat.views.is_empty() && cat.custom_views.is_empty());
    assert_eq!(
        (
            cat.counts.subscriptions,
            cat.counts.extract_refresh_tasks,
            cat.counts.favorites
        ),
        (0, 0, 0)
    );
    let (_, v) = c.get_json("groups").await;
    assert_eq!(v["groups"]["group"]["name"], "All Users");
    let (_, v) = c.get_json("users").await;
    assert_eq!(v["users"]["user"]["id"], c.user_id.as_str());
    assert_eq!(
        c.get_json("projects").await.1["projects"]["project"]["name"],
        "default"
    );
    for list in [
        "workbooks",
        "datasources",
        "flows",
        "subscriptions",
        "customviews",
    ] {
        let (st, v) = c.get_json(list).await;
        assert_eq!(
            (st, v["pagination"]["totalAvailable"].as_str()),
            (200, Some("0")),
            "{list}"
        );
    }
    assert_eq!(c.get_json("tasks/extractRefreshes").await.1["tasks"], json!({}));
    // Writes land in the empty site only.
    let (st, _) = post(&c, "groups", json!({"group": {"name": "G"}})).await;
    assert_eq!(st, 201);
    assert_eq!(empty.catalog().counts.groups, 2);
    assert_eq!(full.catalog().counts.groups, 3);
}

/// Assert the XML answer covers the sample (`allowed`: "path" or "path@attr" exceptions).
macro_rules! covers {
    ($name:literal, $ours:expr, $allowed:expr $(,)?) => {
        covers_sample($name, fixture!($name), $ours, $allowed)
    };
}

#[tokio::test]
async fn write_responses_match_the_samples() {
    let sim = Sim::start(small()).await.unwrap();
    let c = sign_in(&sim).await;
    let p = projects(&c).await;
    let (_, users) = c.get_json("users").await;
    let user = as_list(&users["users"]["user"])[4]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, groups) = c.get_json("groups").await;
    let group = as_list(&groups["groups"]["group"])[1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let wb = first_id(&c, "workbooks", "workbook").await;
    let ds = first_id(&c, "datasources", "datasource").await;
    let fl = first_id(&c, "flows", "flow").await;
    let view = first_id(&c, "views", "view").await;
    let x = |s: &str| format!("<tsRequest>{s}</tsRequest>");
    let put_x = |path: String, b: String| {
        let c = &c;
        async move {
            let (st, t) = send_xml(c, "PUT", &path, &b).await;
            assert!(st < 300, "{path}: {st} {t}");
            t
        }
    };
    let post_x = |path: String, b: String| {
        let c = &c;
        async move {
            let (st, t) = send_xml(c, "POST", &path, &b).await;
            assert!(st < 300, "{path}: {st} {t}");
            t
        }
    };
    let t = put_x(
        format!("workbooks/{wb}"),
        x("<workbook name=\"W2\" showTabs=\"true\"/>"),
    )
    .await;
    covers!(
        "workbook_update.xml",
        &t,
        &["workbook/dataAccelerationConfig@accelerateNow"]
    );
    let t = put_x(format!("datasources/{ds}"), x("<datasource name=\"D2\"/>")).await;
    covers!("datasource_update.xml", &t, &[]);
    let t = put_x(format!("flows/{fl}/tags"), x("<tags><tag label=\"t\"/></tags>")).await;
    assert!(t.contains("label=\"t\""));
    let t = put_x(format!("flows/{fl}"), x("<flow description=\"d\"/>")).await;
    covers!("flow_update.xml", &t, &[]);
    let tags = x("<tags><tag label=\"a\"/><tag label=\"b\"/></tags>");
    covers!(
        "workbook_add_tags.xml",
        &put_x(format!("workbooks/{wb}/tags"), tags.clone()).await,
        &[]
    );
    covers!(
        "datasource_add_tags.xml",
        &put_x(format!("datasources/{ds}/tags"), tags.clone()).await,
        &[]
    );
    covers!(
        "view_add_tags.xml",
        &put_x(format!("views/{view}/tags"), tags).await,
        &[]
    );
    let perms = x(&format!(
        "<permissions><granteeCapabilities><group id=\"{group}\"/><capabilities><capability name=\"Read\" mode=\"Deny\"/>\
         </capabilities></granteeCapabilities><granteeCapabilities><user id=\"{user}\"/><capabilities>\
         <capability name=\"Write\" mode=\"Allow\"/></capabilities></granteeCapabilities></permissions>"
    ));
    covers!(
        "workbook_update_permissions.xml",
        &put_x(format!("workbooks/{wb}/permissions"), perms.clone()).await,
        &[]
    );
    let (_, vcs) = c.get_json("virtualConnections").await;
    let vc = as_list(&vcs["virtualConnections"]["virtualConnection"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    covers!(
        "virtual_connection_add_permissions.xml",
        &put_x(format!("virtualConnections/{vc}/permissions"), perms).await,
        &[]
    );
    let dp = x(&format!(
        "<permissions><granteeCapabilities><group id=\"{group}\"/><capabilities><capability name=\"Read\" mode=\"Allow\"/>\
         <capability name=\"ExportXml\" mode=\"Deny\"/></capabilities></granteeCapabilities></permissions>"
    ));
    covers!(
        "project_update_datasource_default_permissions.xml",
        &put_x(format!("projects/{}/default-permissions/datasources", p[1]), dp).await,
        &[]
    );
    let t = put_x(
        format!("projects/{}", p[2]),
        x(&format!(
            "<project name=\"P2\" parentProjectId=\"{}\" contentPermissions=\"LockedToProject\"/>",
            p[1]
        )),
    )
    .await;
    covers!("project_update.xml", &t, &[]);
    let t = post_x(
        "users".into(),
        x("<user name=\"Cassie\" siteRole=\"Viewer\" authSetting=\"ServerDefault\"/>"),
    )
    .await;
    covers!("user_add.xml", &t, &[]);
    covers!(
        "user_update.xml",
        &put_x(
            format!("users/{user}"),
            x("<user siteRole=\"Viewer\" fullName=\"C\"/>")
        )
        .await,
        &[]
    );
    let t = post_x(
        "groups".into(),
        x("<group name=\"試供品\" minimumSiteRole=\"ExplorerCanPublish\"/>"),
    )
    .await;
    covers!("group_create.xml", &t, &[]);
    let gid = {
        let (_, v) = c
            .get_json("groups?filter=name:eq:%E8%A9%A6%E4%BE%9B%E5%93%81")
            .await;
        v["groups"]["group"]["id"].as_str().unwrap().to_string()
    };
    let t = post_x(
        format!("groups/{gid}/users"),
        x(&format!("<user id=\"{user}\"/>")),
    )
    .await;
    covers!("group_add_user.xml", &t, &[]);
    let t = put_x(
        format!("favorites/{user}"),
        x(&format!(
            "<favorite label=\"Superstore\"><workbook id=\"{wb}\"/></favorite>"
        )),
    )
    .await;
    covers!("favorites_add_workbook.xml", &t, &[]);
    let t = post_x(
        "subscriptions".into(),
        x(&format!(
            "<subscription subject=\"sub_name\"><content id=\"{wb}\" type=\"Workbook\"/><user id=\"{user}\"/></subscription>\
             <schedule frequency=\"Weekly\"><frequencyDetails start=\"08:00:00\"><intervals><interval weekDay=\"Monday\"/>\
             </intervals></frequencyDetails></schedule>"
        )),
    )
    .await;
    // Cloud subscriptions carry their schedule inline, not a server schedule's id and name.
    covers!(
        "subscription_create.xml",
        &t,
        &["subscription/schedule@id", "subscription/schedule@name"]
    );
    let t = post_x(
        "tasks/extractRefreshes".into(),
        x(&format!(
            "<extractRefresh type=\"FullRefresh\"><workbook id=\"{wb}\"/></extractRefresh><schedule frequency=\"Monthly\">\
             <frequencyDetails start=\"23:30:00\"><intervals><interval monthDay=\"15\"/></intervals></frequencyDetails></schedule>"
        )),
    )
    .await;
    covers!("tasks_create_extract_task.xml", &t, &[]);
    // Custom view publish answers like a custom view (custom_view_update.xml).
    let payload = x(&format!(
        "<customView name=\"Best\" shared=\"true\"><workbook id=\"{wb}\"/></customView>"
    ));
    let (ctype, body) = multipart(&[
        ("request_payload", None, "text/xml", payload.as_bytes()),
        (
            "tableau_customview",
            Some("cv.json"),
            "application/octet-stream",
            b"[]",
        ),
    ]);
    let r = c
        .http
        .post(format!("{}/api/exp/sites/{}/customviews", c.base, c.site_id))
        .header("X-Tableau-Auth", &c.token)
        .header("Content-Type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    covers!("custom_view_update.xml", &r.text().await.unwrap(), &[]);
}
