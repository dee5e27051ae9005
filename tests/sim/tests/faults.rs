//! Every fault mode, switched through the library API and the admin endpoint.

mod common;

use std::time::{Duration, Instant};

use common::*;
use tableau_sim::{BadBody, ContentKind, DropMode, Faults, Sim, SimConfig};

async fn small_site(min: u64, max: u64) -> Sim {
    Sim::start(
        SimConfig::generated(31)
            .workbooks(10)
            .datasources(5)
            .flows(2)
            .content_sizes(min, max),
    )
    .await
    .unwrap()
}

fn first_workbook(sim: &Sim) -> String {
    sim.catalog()
        .of_kind(ContentKind::Workbook)
        .next()
        .unwrap()
        .id
        .clone()
}

#[tokio::test]
async fn rate_limit_every_nth_with_retry_after() {
    let sim = small_site(1000, 2000).await;
    let c = sign_in(&sim).await;
    sim.set_faults(Faults::default().rate_limit_every(3).retry_after(1));
    assert_eq!(c.get("projects").await.status(), 200);
    assert_eq!(c.get("projects").await.status(), 200);
    let r = c.get("projects").await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(r.text().await.unwrap().contains("Too Many Requests"));
    // Honour Retry-After, then the retry succeeds.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(c.get("projects").await.status(), 200);
    let log = sim.log();
    assert_eq!(log.endpoint_status("GET projects", 429), 1);
    assert_eq!(log.rate_limited.len(), 1);
    let ev = &log.rate_limited[0];
    assert_eq!(ev.retry_after_secs, Some(1));
    assert_eq!(ev.endpoint, "GET projects");
    assert!(ev.wait_before_retry().unwrap() >= Duration::from_secs(1));
    assert!(ev.next_request_at.unwrap() >= ev.at);
}

#[tokio::test]
async fn rate_limit_burst_without_retry_after() {
    let sim = small_site(1000, 2000).await;
    let c = sign_in(&sim).await;
    sim.set_faults(Faults::default().rate_limit_burst(2));
    for _ in 0..2 {
        let r = c.get("users").await;
        assert_eq!(r.status(), 429);
        assert!(r.headers().get("retry-after").is_none());
    }
    assert_eq!(c.get("users").await.status(), 200);
    let log = sim.log();
    assert_eq!(log.status(429), 2);
    assert_eq!(log.rate_limited[0].retry_after_secs, None);
    // Sign-in can be rate limited too (it is an API call).
    sim.set_faults(Faults::default().rate_limit_burst(1));
    let r = http()
        .post(format!("{}/api/3.24/auth/signin", sim.base_url()))
        .body(signin_json("backup-bot", "sim-secret", "sim"))
        .header("Content-Type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
}

#[tokio::test]
async fn faults_limited_to_some_endpoints() {
    let sim = small_site(1000, 2000).await;
    let c = sign_in(&sim).await;
    let wb = first_workbook(&sim);
    sim.set_faults(
        Faults::default()
            .rate_limit_burst(1)
            .only_endpoints(&["/content"]),
    );
    assert_eq!(c.get("workbooks").await.status(), 200);
    let url = format!("workbooks/{wb}/content");
    assert_eq!(c.get(&url).await.status(), 429);
    assert_eq!(c.get(&url).await.status(), 200);
}

#[tokio::test]
async fn server_error_bursts() {
    let sim = small_site(1000, 2000).await;
    let c = sign_in(&sim).await;
    sim.set_faults(Faults::default().server_errors(500, 1));
    let (st, v) = c.get_json("groups").await;
    assert_eq!((st, v["error"]["code"].as_str()), (500, Some("500000")));
    assert_eq!(c.get("groups").await.status(), 200);
    sim.set_faults(Faults::default().server_errors(502, 1));
    let r = c.get("groups").await;
    assert_eq!(r.status(), 502);
    assert!(r.text().await.unwrap().contains("<html>"));
    sim.set_faults(Faults::default().server_errors(503, 2));
    assert_eq!(c.get("groups").await.status(), 503);
    assert_eq!(c.get("groups").await.status(), 503);
    assert_eq!(c.get("groups").await.status(), 200);
    sim.set_faults(Faults {
        server_error_every: Some(2),
        ..Faults::default()
    });
    let got: Vec<u16> = futures_seq(&c, 4).await;
    assert_eq!(got, [200, 503, 200, 503]);
}

async fn futures_seq(c: &Client, n: usize) -> Vec<u16> {
    let mut v = Vec::new();
    for _ in 0..n {
        v.push(c.get("groups").await.status().as_u16());
    }
    v
}

#[tokio::test]
async fn session_expiry_by_calls_and_time() {
    let sim = small_site(1000, 2000).await;
    sim.set_faults(Faults::default().session_expire_after_calls(3));
    let c = sign_in(&sim).await;
    for _ in 0..3 {
        assert_eq!(c.get("projects").await.status(), 200);
    }
    let (st, v) = c.get_json("projects").await;
    assert_eq!((st, v["error"]["code"].as_str()), (401, Some("401002")));
    // A new sign-in gets a fresh session.
    let c = sign_in(&sim).await;
    assert_eq!(c.get("projects").await.status(), 200);

    sim.set_faults(Faults::default().session_ttl_secs(0.3));
    let c = sign_in(&sim).await;
    assert_eq!(c.get("projects").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (st, v) = c.get_json("projects").await;
    assert_eq!((st, v["error"]["code"].as_str()), (401, Some("401002")));
}

#[tokio::test]
async fn dropped_connections() {
    let sim = small_site(100_000, 100_000).await;
    let c = sign_in(&sim).await;
    let wb = first_workbook(&sim);
    let url = format!("workbooks/{wb}/content");
    let expected = sim.content(ContentKind::Workbook, &wb, true);
    sim.set_faults(Faults::default().drop_after_bytes(1_000, DropMode::OncePerItem));
    let r = c.get(&url).await;
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.is_err(), "body cut short");
    // Once per item: the retry gets everything.
    let body = c.get(&url).await.bytes().await.unwrap();
    assert_eq!(body, expected);
    // ...but includeExtract=false is another file, cut once too.
    let r = c.get(&format!("{url}?includeExtract=false")).await;
    assert!(r.bytes().await.is_err());

    sim.set_faults(Faults::default().drop_after_bytes(5_000, DropMode::Always));
    for _ in 0..2 {
        assert!(c.get(&url).await.bytes().await.is_err());
    }
    assert_eq!(sim.log().dropped_downloads, 4);
}

#[tokio::test]
async fn concurrent_download_limit() {
    let sim = small_site(200_000, 200_000).await;
    let c = sign_in(&sim).await;
    let ids: Vec<String> = sim
        .catalog()
        .of_kind(ContentKind::Workbook)
        .map(|i| i.id.clone())
        .collect();
    sim.set_faults(
        Faults::default()
            .max_concurrent_downloads(2)
            .slow_body(400_000)
            .retry_after(3),
    );
    // Headers arrive at once; the slow bodies keep two slots busy.
    let r1 = c.get(&format!("workbooks/{}/content", ids[0])).await;
    let r2 = c.get(&format!("workbooks/{}/content", ids[1])).await;
    let r3 = c.get(&format!("workbooks/{}/content", ids[2])).await;
    assert_eq!((r1.status().as_u16(), r2.status().as_u16()), (200, 200));
    assert_eq!(r3.status(), 429);
    assert_eq!(r3.headers()["retry-after"], "3");
    let (b1, b2) = tokio::join!(r1.bytes(), r2.bytes());
    assert_eq!(b1.unwrap().len(), 200_000);
    assert_eq!(b2.unwrap().len(), 200_000);
    // Slots are free again (once the server has dropped the finished bodies).
    tokio::time::sleep(Duration::from_millis(50)).await;
    let r4 = c.get(&format!("workbooks/{}/content", ids[2])).await;
    assert_eq!(r4.status(), 200);
    drop(r4);
    let log = sim.log();
    assert_eq!(log.peak_concurrent_downloads, 2);
    assert_eq!(log.endpoint_status("GET workbooks/{id}/content", 429), 1);
    assert_eq!(tableau_sim::CLOUD_MAX_CONCURRENT_DOWNLOADS, 20);
}

#[tokio::test]
async fn slow_body_and_latency() {
    let sim = small_site(100_000, 100_000).await;
    let c = sign_in(&sim).await;
    let wb = first_workbook(&sim);
    sim.set_faults(Faults::default().slow_body(200_000));
    let t = Instant::now();
    let body = c
        .get(&format!("workbooks/{wb}/content"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(body.len(), 100_000);
    assert!(t.elapsed() >= Duration::from_millis(400), "{:?}", t.elapsed());

    sim.set_faults(Faults::default().latency_ms(150));
    let t = Instant::now();
    assert_eq!(c.get("projects").await.status(), 200);
    assert_eq!(c.get("projects").await.status(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn listed_but_missing_items() {
    let sim = small_site(1000, 2000).await;
    let c = sign_in(&sim).await;
    let ds = sim
        .catalog()
        .of_kind(ContentKind::Datasource)
        .next()
        .unwrap()
        .id
        .clone();
    sim.set_faults(Faults::default().missing_content(&[&ds], 3));
    let cat = sim.catalog();
    let missing: Vec<_> = cat.items.iter().filter(|i| !i.downloadable).collect();
    assert_eq!(missing.len(), 4);
    for m in &missing {
        // Still listed and readable...
        let (st, _) = c.get_json(&format!("{}/{}", m.kind.plural(), m.id)).await;
        assert_eq!(st, 200);
        // ...but the download is 404.
        let (st, v) = c.get_json(&format!("{}/{}/content", m.kind.plural(), m.id)).await;
        assert_eq!(st, 404, "{v}");
    }
    let all = c.walk("workbooks", "workbooks", "workbook", 100).await;
    assert_eq!(all.len(), 10);
}

#[tokio::test]
async fn admin_endpoint() {
    let sim = small_site(1000, 2000).await;
    let c = sign_in(&sim).await;
    let h = http();
    let admin = |p: &str| format!("{}/_sim/{p}", sim.base_url());
    let r = h
        .put(admin("faults"))
        .body(r#"{"rate_limit_burst": 1, "retry_after_secs": 2}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sim.faults().retry_after_secs, Some(2));
    let r = c.get("workbooks").await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(c.get("workbooks").await.status(), 200);
    let log: serde_json::Value = h.get(admin("log")).send().await.unwrap().json().await.unwrap();
    assert_eq!(log["by_endpoint"]["GET workbooks"], 2);
    assert_eq!(log["by_status"]["429"], 1);
    assert_eq!(log["sign_ins"], 1);
    assert_eq!(log["rate_limited"][0]["retry_after_secs"], 2);
    assert!(log["rate_limited"][0]["next_same_endpoint_at"].is_number());
    let cat: serde_json::Value = h
        .get(admin("catalog"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cat["counts"]["workbooks"], 10);
    let r = h.post(admin("log/reset")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(sim.log().total_requests, 0);
    // Bad fault JSON is refused; empty body clears faults.
    let r = h.put(admin("faults")).body("{\"nope\":1}").send().await.unwrap();
    assert_eq!(r.status(), 400);
    h.put(admin("faults")).body("").send().await.unwrap();
    assert_eq!(sim.faults(), Faults::default());
    let r = h.post(admin("sessions/expire")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(c.get("workbooks").await.status(), 401);
}

fn workbooks(sim: &Sim) -> Vec<String> {
    sim.catalog()
        .of_kind(ContentKind::Workbook)
        .map(|i| i.id.clone())
        .collect()
}

/// Read a body chunk by chunk: the bytes received and the error that ended it, if any.
async fn read_all(mut r: reqwest::Response) -> (Vec<u8>, Option<reqwest::Error>) {
    let mut got = Vec::new();
    loop {
        match r.chunk().await {
            Ok(Some(b)) => got.extend_from_slice(&b),
            Ok(None) => return (got, None),
            Err(e) => return (got, Some(e)),
        }
    }
}

#[tokio::test]
async fn stalled_download_trips_a_read_timeout_for_that_item_only() {
    let sim = small_site(100_000, 100_000).await;
    let c = sign_in(&sim).await;
    let ids = workbooks(&sim);
    sim.set_faults(Faults::default().stall_content(&[&ids[0]], 10_000, 3.0));
    // A client with a between-bytes (read) timeout.
    let timed = reqwest::Client::builder()
        .read_timeout(Duration::from_millis(500))
        .build()
        .unwrap();
    let get = |id: &str| {
        timed
            .get(c.url(&format!("workbooks/{id}/content")))
            .header("X-Tableau-Auth", &c.token)
            .send()
    };
    let t = Instant::now();
    let r = get(&ids[0]).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-length"], "100000");
    let (got, err) = read_all(r).await;
    let err = err.expect("the stalled body must time out");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(got, sim.content(ContentKind::Workbook, &ids[0], true)[..10_000]);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    // Every other item downloads normally through the same client, meanwhile.
    for id in &ids[1..4] {
        let (got, err) = read_all(get(id).await.unwrap()).await;
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got, sim.content(ContentKind::Workbook, id, true));
    }
    // The stall happens on every download of the item (retries too).
    let (_, err) = read_all(get(&ids[0]).await.unwrap()).await;
    assert!(err.is_some_and(|e| e.is_timeout()));
    assert_eq!(sim.log().stalled_downloads, 2);

    // A patient client gets everything after the stall.
    sim.set_faults(Faults::default().stall_content(&[&ids[0]], 10_000, 0.6));
    let t = Instant::now();
    let body = c
        .get(&format!("workbooks/{}/content", ids[0]))
        .await
        .bytes()
        .await
        .unwrap();
    assert!(t.elapsed() >= Duration::from_millis(600), "{:?}", t.elapsed());
    assert_eq!(body, sim.content(ContentKind::Workbook, &ids[0], true));

    // Stalling right after the headers: they arrive at once, the body after the stall.
    sim.set_faults(Faults::default().stall_content(&[&ids[1]], 0, 1.5));
    let t = Instant::now();
    let r = c.get(&format!("workbooks/{}/content", ids[1])).await;
    assert_eq!(r.status(), 200);
    assert!(t.elapsed() < Duration::from_millis(1200), "{:?}", t.elapsed());
    assert_eq!(r.bytes().await.unwrap().len(), 100_000);
    assert!(t.elapsed() >= Duration::from_millis(1500));

    // An item no bigger than stall_after_bytes stalls before its last byte.
    sim.set_faults(Faults::default().stall_content(&[&ids[2]], 10 << 20, 0.4));
    let t = Instant::now();
    let (got, err) = read_all(c.get(&format!("workbooks/{}/content", ids[2])).await).await;
    assert!(err.is_none());
    assert_eq!(got.len(), 100_000);
    assert!(t.elapsed() >= Duration::from_millis(400));
    assert_eq!(sim.log().stalled_downloads, 5);
}

/// `(status, content type, body)` of a GET with this Accept.
async fn fetch(c: &Client, path: &str, accept: &str) -> (u16, String, Vec<u8>) {
    let r = c
        .http
        .get(c.url(path))
        .header("X-Tableau-Auth", &c.token)
        .header("Accept", accept)
        .send()
        .await
        .unwrap();
    let ctype = r.headers()["content-type"].to_str().unwrap().to_string();
    let len: usize = r.headers()["content-length"].to_str().unwrap().parse().unwrap();
    let status = r.status().as_u16();
    let body = r.bytes().await.unwrap().to_vec();
    assert_eq!(len, body.len(), "Content-Length matches the body");
    (status, ctype, body)
}

const JSON: &str = "application/json";
const XML: &str = "application/xml";

fn parses(b: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(b).is_ok()
}

#[tokio::test]
async fn bad_bodies_truncated_html_malformed() {
    let sim = small_site(1000, 2000).await;
    let c = sign_in(&sim).await;
    let (_, _, real_json) = fetch(&c, "users?pageSize=5", JSON).await;
    let (_, _, real_xml) = fetch(&c, "users?pageSize=5", XML).await;
    assert!(parses(&real_json));

    // Truncated: the real body cut in half, every time (retries see it too).
    sim.set_faults(Faults::default().bad_body(&["GET users"], BadBody::TruncatedJson));
    for _ in 0..2 {
        let (st, ct, b) = fetch(&c, "users?pageSize=5", JSON).await;
        assert_eq!((st, ct.starts_with(JSON)), (200, true));
        assert_eq!(b, real_json[..real_json.len() / 2]);
        assert!(!parses(&b));
    }
    // XML clients get broken XML.
    let (st, ct, b) = fetch(&c, "users?pageSize=5", XML).await;
    assert_eq!((st, ct.starts_with(XML)), (200, true));
    assert_eq!(b, real_xml[..real_xml.len() / 2]);
    assert!(!String::from_utf8_lossy(&b).contains("</tsResponse>"));
    // Other endpoints, errors and downloads are untouched.
    let (st, _, b) = fetch(&c, "workbooks", JSON).await;
    assert!(st == 200 && parses(&b));
    let (st, v) = c.get_json("users/00000000-0000-0000-0000-000000000000").await;
    assert_eq!((st, v["error"]["code"].is_string()), (404, true));
    assert_eq!(sim.log().bad_bodies, 3);

    // HTML sign-in page, only the first two times.
    sim.set_faults(
        Faults::default()
            .bad_body(&["GET workbooks"], BadBody::Html)
            .bad_body_times(2),
    );
    for accept in [JSON, XML] {
        let (st, ct, b) = fetch(&c, "workbooks", accept).await;
        assert_eq!((st, ct.starts_with("text/html")), (200, true));
        assert!(String::from_utf8_lossy(&b).starts_with("<!DOCTYPE html>"));
    }
    let (st, _, b) = fetch(&c, "workbooks", JSON).await;
    assert!(st == 200 && parses(&b), "the third one is real");
    let wb = first_workbook(&sim);
    sim.set_faults(Faults::default().bad_body(&["GET workbooks"], BadBody::Html));
    let (st, ct, b) = fetch(&c, &format!("workbooks/{wb}/content"), JSON).await;
    assert_eq!((st, ct.as_str()), (200, "application/octet-stream"));
    assert_eq!(b, sim.content(ContentKind::Workbook, &wb, true));
    let (_, ct, _) = fetch(&c, &format!("workbooks/{wb}"), JSON).await;
    assert!(ct.starts_with("text/html"));

    // Malformed: the right content type, garbage inside; sign-in is an endpoint too.
    sim.set_faults(Faults::default().bad_body(&["GET users", "auth/signin"], BadBody::Malformed));
    let (st, ct, b) = fetch(&c, "users", JSON).await;
    assert_eq!((st, ct.starts_with(JSON)), (200, true));
    assert!(b.starts_with(br#"{"users": {"user": [ {"id": "#));
    assert!(!parses(&b));
    let (_, ct, b) = fetch(&c, "users", XML).await;
    assert!(ct.starts_with(XML));
    let b = String::from_utf8(b).unwrap();
    assert!(
        b.starts_with("<?xml") && b.contains("<users><user id=\"#garbage <"),
        "{b}"
    );
    let r = http()
        .post(format!("{}/api/3.24/auth/signin", sim.base_url()))
        .header("Accept", JSON)
        .header("Content-Type", JSON)
        .body(signin_json("backup-bot", "sim-secret", "sim"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(!parses(&r.bytes().await.unwrap()));
}

#[tokio::test]
async fn bad_body_huge_is_streamed() {
    let sim = small_site(1000, 2000).await;
    let c = sign_in(&sim).await;
    sim.set_faults(
        Faults::default()
            .bad_body(&["GET groups"], BadBody::Huge)
            .huge_body_bytes(3 << 20),
    );
    let (st, ct, b) = fetch(&c, "groups", JSON).await;
    assert_eq!((st, ct.starts_with(JSON)), (200, true));
    let head =
        br#"{"pagination":{"pageNumber":"1","pageSize":"100","totalAvailable":"100"},"groups":{"group":["#;
    assert!(b.starts_with(head));
    assert_eq!(b.len(), head.len() + (3 << 20));
    // Valid all the way, but never closed.
    let err = serde_json::from_slice::<serde_json::Value>(&b).unwrap_err();
    assert!(err.is_eof(), "{err}");
    let (_, ct, b) = fetch(&c, "groups", XML).await;
    assert!(ct.starts_with(XML));
    assert!(b.starts_with(b"<?xml") && b.len() > 3 << 20);
    assert!(std::str::from_utf8(&b[..4000])
        .unwrap()
        .contains("<groups><group id="));

    // The default: 200 MiB, announced up front, sent only as fast as it is read.
    sim.set_faults(Faults::default().bad_body(&["GET groups"], BadBody::Huge));
    sim.reset_log();
    let mut r = c.get("groups").await;
    let len: u64 = r.headers()["content-length"].to_str().unwrap().parse().unwrap();
    assert!(
        len > tableau_sim::DEFAULT_HUGE_BODY_BYTES && len < (201 << 20),
        "{len}"
    );
    let mut got = 0;
    while got < (1 << 20) {
        got += r.chunk().await.unwrap().unwrap().len();
    }
    drop(r);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = sim.log();
    assert!(log.bytes_sent < (100 << 20), "{}", log.bytes_sent);
    assert_eq!(log.bad_bodies, 1);
}

#[tokio::test]
async fn new_faults_over_the_admin_endpoint() {
    let sim = small_site(1000, 2000).await;
    let h = http();
    let url = format!("{}/_sim/faults", sim.base_url());
    let r = h
        .put(&url)
        .body(
            r#"{"stall_content_ids": ["a"], "stall_after_bytes": "1KiB", "stall_secs": 2.5,
                "bad_body_endpoints": ["GET users"], "bad_body": "malformed",
                "bad_body_times": 1}"#,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let want = Faults::default()
        .stall_content(&["a"], 1024, 2.5)
        .bad_body(&["GET users"], BadBody::Malformed)
        .bad_body_times(1);
    assert_eq!(sim.faults(), want);
    let v: serde_json::Value = h.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["bad_body"], "malformed");
    assert_eq!(v["huge_body_bytes"], 200 << 20);
    assert_eq!(v["stall_after_bytes"], 1024);
    let r = h.put(&url).body(r#"{"bad_body": "nope"}"#).send().await.unwrap();
    assert_eq!(r.status(), 400);
    for kind in ["truncated_json", "html", "huge"] {
        let body = format!(r#"{{"bad_body": "{kind}"}}"#);
        assert_eq!(h.put(&url).body(body).send().await.unwrap().status(), 200);
    }
}
