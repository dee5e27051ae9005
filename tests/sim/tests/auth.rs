//! serverinfo, sign-in (XML and JSON), token checks, one session per PAT, site segment.

mod common;

use common::*;
use tableau_sim::{Sim, SimConfig};

#[tokio::test]
async fn serverinfo_needs_no_auth_and_ignores_case() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let h = http();
    for path in [
        "/api/2.4/serverInfo",
        "/api/3.24/serverinfo",
        "/api/3.27/SERVERINFO",
    ] {
        let r = h.get(format!("{}{path}", sim.base_url())).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let t = r.text().await.unwrap();
        assert!(t.contains("<tsResponse xmlns=\"http://tableau.com/api\""), "{t}");
        assert!(t.contains("<restApiVersion>3.24</restApiVersion>"), "{t}");
    }
    let v: serde_json::Value = h
        .get(format!("{}/api/3.24/serverinfo", sim.base_url()))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["serverInfo"]["restApiVersion"], "3.24");
    assert!(v["serverInfo"]["productVersion"]["value"].is_string());
}

#[tokio::test]
async fn sign_in_xml_and_json() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    assert_eq!(
        (sim.pat_name(), sim.pat_secret(), sim.site_content_url()),
        ("backup-bot", "sim-secret", "demo")
    );
    let h = http();
    let url = format!("{}/api/3.24/auth/signin", sim.base_url());
    // XML body, XML answer (what TSC sends and parses).
    let xml = r#"<tsRequest><credentials personalAccessTokenName="backup-bot" personalAccessTokenSecret="sim-secret"><site contentUrl="demo" /></credentials></tsRequest>"#;
    let r = h
        .post(&url)
        .header("Content-Type", "application/xml")
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t = r.text().await.unwrap();
    for needle in [
        "<credentials token=\"",
        "estimatedTimeToExpiration=\"",
        &format!("<site id=\"{}\" contentUrl=\"demo\"/>", sim.site_id()),
        "<user id=\"",
    ] {
        assert!(t.contains(needle), "{needle} in {t}");
    }
    // JSON body, JSON answer.
    let c = sign_in(&sim).await;
    assert_eq!(c.site_id, sim.site_id());
    assert_eq!(c.user_id, sim.catalog().user_id);
    let (st, _) = c.get_json("workbooks").await;
    assert_eq!(st, 200);
    assert_eq!(sim.log().sign_ins, 2);
}

#[tokio::test]
async fn bad_credentials_are_401001() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let h = http();
    let url = format!("{}/api/3.24/auth/signin", sim.base_url());
    for body in [
        signin_json("backup-bot", "wrong", "demo"),
        signin_json("someone", "sim-secret", "demo"),
        signin_json("backup-bot", "sim-secret", "other-site"),
        r#"{"credentials":{"name":"admin","password":"pw","site":{"contentUrl":"demo"}}}"#.into(),
    ] {
        let r = h
            .post(&url)
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{body}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "401001", "{body}");
    }
    let r = h.post(&url).body("<tsRequest/>").send().await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn token_checks() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let h = http();
    // Missing header: 401000.
    let r = h
        .get(c.url("workbooks"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "401000");
    // Unknown token: 401002 (XML error like the sample).
    let r = h
        .get(c.url("workbooks"))
        .header("X-Tableau-Auth", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let t = r.text().await.unwrap();
    assert!(t.contains("<error code=\"401002\"><summary>"), "{t}");
    // Sign out: 204, then the token is dead.
    let r = h
        .post(format!("{}/api/3.24/auth/signout", c.base))
        .header("X-Tableau-Auth", &c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let (st, v) = c.get_json("workbooks").await;
    assert_eq!((st, v["error"]["code"].as_str()), (401, Some("401002")));
    // The admin endpoint can end sessions too.
    let c = sign_in(&sim).await;
    sim.expire_sessions();
    assert_eq!(c.get_json("projects").await.0, 401);
}

#[tokio::test]
async fn one_session_per_pat() {
    let sim = Sim::start(SimConfig::sample().extra_pat("worker-2", "s2"))
        .await
        .unwrap();
    let first = sign_in(&sim).await;
    let other = sign_in_as(&sim, "worker-2", "s2").await;
    assert_eq!(first.get_json("users").await.0, 200);
    let second = sign_in(&sim).await;
    assert_ne!(first.token, second.token);
    let (st, v) = first.get_json("users").await;
    assert_eq!((st, v["error"]["code"].as_str()), (401, Some("401002")));
    assert_eq!(second.get_json("users").await.0, 200);
    // Another PAT keeps its own session.
    assert_eq!(other.get_json("users").await.0, 200);
}

#[tokio::test]
async fn site_segment_must_be_the_luid() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let get = |site: String| {
        let c = &c;
        async move {
            let r = c
                .http
                .get(format!("{}/api/3.24/sites/{site}/workbooks", c.base))
                .header("X-Tableau-Auth", &c.token)
                .header("Accept", "application/json")
                .send()
                .await
                .unwrap();
            let st = r.status().as_u16();
            let v: serde_json::Value = r.json().await.unwrap();
            (st, v["error"]["code"].as_str().unwrap_or("").to_string())
        }
    };
    assert_eq!(get("demo".into()).await, (404, "404000".into()));
    assert_eq!(
        get("00000000-0000-4000-8000-000000000000".into()).await,
        (403, "403000".into())
    );
    assert_eq!(get(c.site_id.clone()).await.0, 200);
    // Site details by LUID, or by content URL with ?key=contentUrl.
    let (st, v) = c.get_json("").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["site"]["contentUrl"], "demo");
    let r = c
        .http
        .get(format!("{}/api/3.24/sites/demo?key=contentUrl", c.base))
        .header("X-Tableau-Auth", &c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Unknown resources: 404003 like Tableau.
    let (st, v) = c.get_json("no-such-thing").await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("404003")));
}
