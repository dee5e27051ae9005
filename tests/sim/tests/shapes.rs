//! Response shapes against the captured samples in tests/fixtures/: every element path and
//! attribute name a sample has must be in the simulator's answer (a few documented
//! exceptions aside).

mod common;

use std::collections::BTreeSet;

use common::shape::covers_sample;
use common::*;
use serde_json::Value;
use tableau_sim::{Sim, SimConfig};

/// A sample embedded from tests/fixtures/.
macro_rules! fixture {
    ($name:literal) => {
        include_str!(concat!("../../fixtures/", $name))
    };
}

/// Assert `ours` covers the sample, except `allowed` ("path" or "path@attr").
macro_rules! covers {
    ($name:literal, $ours:expr, $allowed:expr $(,)?) => {
        covers_sample($name, fixture!($name), $ours, $allowed)
    };
}

async fn xml_get(c: &Client, path: &str) -> String {
    let (st, t) = c.get_xml(path).await;
    assert_eq!(st, 200, "{path}: {t}");
    t
}

async fn id_of(c: &Client, path: &str, wrapper: &str, item: &str, name: &str) -> String {
    let all = c.walk(path, wrapper, item, 100).await;
    all.iter()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {path}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn list_and_detail_shapes_match_the_samples() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let wbs = xml_get(&c, "workbooks").await;
    covers!("workbook_get.xml", &wbs, &[]);
    covers!(
        "workbook_get_all_fields.xml",
        &xml_get(&c, "workbooks?fields=_all_").await,
        &[]
    );
    let wb = id_of(&c, "workbooks", "workbooks", "workbook", "SampleWB").await;
    covers!(
        "workbook_get_by_id.xml",
        &xml_get(&c, &format!("workbooks/{wb}")).await,
        &[],
    );
    let ds = xml_get(&c, "datasources").await;
    covers!("datasource_get.xml", &ds, &[]);
    covers!(
        "datasource_get_all_fields.xml",
        &xml_get(&c, "datasources?fields=_all_").await,
        &[]
    );
    covers!("flow_get.xml", &xml_get(&c, "flows").await, &[]);
    let users = xml_get(&c, "users").await;
    covers!("user_get.xml", &users, &[]);
    // idpConfigurationId arrived in API 3.25; the simulator speaks 3.24.
    covers!(
        "user_get_all_fields.xml",
        &xml_get(&c, "users?fields=_all_").await,
        &["users/user@idpConfigurationId"],
    );
    let groups = xml_get(&c, "groups").await;
    covers!("group_get.xml", &groups, &[]);
    covers!(
        "group_get_all_fields.xml",
        &xml_get(&c, "groups?fields=_all_").await,
        &[]
    );
    let all_users = id_of(&c, "groups", "groups", "group", "All Users").await;
    covers!(
        "group_populate_users.xml",
        &xml_get(&c, &format!("groups/{all_users}/users")).await,
        &[],
    );
    let projects = xml_get(&c, "projects").await;
    covers!("project_get.xml", &projects, &[]);
    covers!(
        "project_get_all_fields.xml",
        &xml_get(&c, "projects?fields=_all_").await,
        &[]
    );
    // Tableau Cloud schedules are inline (frequency, frequencyDetails), not server
    // schedules referenced by id and name.
    covers!(
        "subscription_get.xml",
        &xml_get(&c, "subscriptions").await,
        &[
            "subscriptions/subscription/schedule@id",
            "subscriptions/subscription/schedule@name",
        ],
    );
    covers!("custom_view_get.xml", &xml_get(&c, "customviews").await, &[]);
    let alice = id_of(&c, "users", "users", "user", "alice@example.com").await;
    // Collections as favorites come with API 3.28.
    covers!(
        "favorites_get.xml",
        &xml_get(&c, &format!("favorites/{alice}")).await,
        &[
            "favorites/favorite/collection",
            "favorites/favorite/collection/owner",
        ],
    );
    covers!(
        "tasks_with_interval.xml",
        &xml_get(&c, "tasks/extractRefreshes").await,
        &[],
    );
    covers!(
        "virtual_connections_get.xml",
        &xml_get(&c, "virtualConnections").await,
        &[],
    );
    let vc = id_of(
        &c,
        "virtualConnections",
        "virtualConnections",
        "virtualConnection",
        "vconn",
    )
    .await;
    covers!(
        "virtual_connections_download.xml",
        &xml_get(&c, &format!("virtualConnections/{vc}")).await,
        &[],
    );
    covers!("site_get_by_id.xml", &xml_get(&c, "").await, &[]);
}

#[tokio::test]
async fn auth_and_serverinfo_shapes() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let h = http();
    let t = h
        .get(format!("{}/api/2.4/serverInfo", sim.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    covers!("server_info_get.xml", &t, &[]);
    let url = format!("{}/api/3.24/auth/signin", sim.base_url());
    let body = |secret: &str| {
        format!(
            r#"<tsRequest><credentials personalAccessTokenName="backup-bot" personalAccessTokenSecret="{secret}"><site contentUrl="demo"/></credentials></tsRequest>"#
        )
    };
    let t = h
        .post(&url)
        .body(body("sim-secret"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    covers!("auth_sign_in.xml", &t, &[]);
    let t = h
        .post(&url)
        .body(body("bad"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    covers!("auth_sign_in_error.xml", &t, &[]);
}

#[tokio::test]
async fn publish_shapes() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let project = id_of(&c, "projects", "projects", "project", "default").await;
    let send = |method: reqwest::Method, path: String, ctype: String, body: Vec<u8>| {
        let c = &c;
        async move {
            let r = c
                .http
                .request(method, c.url(&path))
                .header("X-Tableau-Auth", &c.token)
                .header("Content-Type", ctype)
                .body(body)
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            r.text().await.unwrap()
        }
    };
    let t = send(
        reqwest::Method::POST,
        "fileUploads".into(),
        "text/xml".into(),
        vec![],
    )
    .await;
    covers!("fileupload_initialize.xml", &t, &[]);
    let id = t.split("uploadSessionId=\"").nth(1).unwrap();
    let id = &id[..id.find('"').unwrap()];
    let (ct, body) = multipart(&[
        ("request_payload", None, "text/xml", b""),
        (
            "tableau_file",
            Some("file"),
            "application/octet-stream",
            b"PK\x03\x04abc",
        ),
    ]);
    let t = send(reqwest::Method::PUT, format!("fileUploads/{id}"), ct, body).await;
    covers!("fileupload_append.xml", &t, &[]);
    for (kind, sample, ext) in [
        ("workbook", fixture!("workbook_publish.xml"), "twbx"),
        ("datasource", fixture!("datasource_publish.xml"), "tdsx"),
        ("flow", fixture!("flow_publish.xml"), "tflx"),
    ] {
        let payload =
            format!(r#"<tsRequest><{kind} name="New {kind}"><project id="{project}"/></{kind}></tsRequest>"#);
        let part = format!("tableau_{kind}");
        let file_name = format!("x.{ext}");
        let (ct, body) = multipart(&[
            ("request_payload", None, "text/xml", payload.as_bytes()),
            (
                &part,
                Some(&file_name),
                "application/octet-stream",
                b"PK\x03\x04zz",
            ),
        ]);
        let t = send(reqwest::Method::POST, format!("{kind}s"), ct, body).await;
        covers_sample(kind, sample, &t, &[]);
    }
    let t = send(
        reqwest::Method::POST,
        "projects".into(),
        "text/xml".into(),
        format!(r#"<tsRequest><project name="Test Project" description="d" parentProjectId="{project}"/></tsRequest>"#).into_bytes(),
    )
    .await;
    covers!("project_create.xml", &t, &[]);
}

#[tokio::test]
async fn custom_view_download_shape() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let cv = id_of(&c, "customviews", "customViews", "customView", "Europe only").await;
    let r = c
        .http
        .get(format!(
            "{}/api/exp/sites/{}/customviews/{cv}/content",
            c.base, c.site_id
        ))
        .header("X-Tableau-Auth", &c.token)
        .send()
        .await
        .unwrap();
    let ours: Value = r.json().await.unwrap();
    let sample: Value = serde_json::from_str(fixture!("custom_view_download.json")).unwrap();
    let keys = |v: &Value| -> BTreeSet<String> { v[0].as_object().unwrap().keys().cloned().collect() };
    assert_eq!(keys(&ours), keys(&sample));
}
