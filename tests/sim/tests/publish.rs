//! Restore endpoints: single-request and chunked publish round trips, overwrite, limits,
//! create project, publish jobs.

mod common;

use common::*;
use serde_json::Value;
use tableau_sim::{ContentKind, Sim, SimConfig, MAX_SINGLE_PUBLISH};

fn bytes(n: usize, seed: u8) -> Vec<u8> {
    let mut v: Vec<u8> = b"PK\x03\x04".to_vec();
    v.extend((0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)));
    v
}

async fn publish(
    c: &Client,
    kind: &str,
    query: &str,
    payload: &str,
    file: Option<(&str, &[u8])>,
    json: bool,
) -> (u16, Value) {
    let singular = kind.trim_end_matches('s');
    let part = format!("tableau_{singular}");
    let mut parts: Vec<(&str, Option<&str>, &str, &[u8])> =
        vec![("request_payload", None, "text/xml", payload.as_bytes())];
    if let Some((name, data)) = file {
        parts.push((&part, Some(name), "application/octet-stream", data));
    }
    let (ctype, body) = multipart(&parts);
    let mut req = c
        .http
        .post(c.url(&format!("{kind}{query}")))
        .header("X-Tableau-Auth", &c.token)
        .header("Content-Type", ctype)
        .body(body);
    if json {
        req = req.header("Accept", "application/json");
    }
    let r = req.send().await.unwrap();
    let st = r.status().as_u16();
    let text = r.text().await.unwrap();
    let v = if json {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    } else {
        Value::String(text)
    };
    (st, v)
}

fn wb_payload(name: &str, project: &str) -> String {
    format!(
        r#"<tsRequest><workbook name="{name}" showTabs="true"><project id="{project}"/></workbook></tsRequest>"#
    )
}

async fn download(c: &Client, kind: &str, id: &str) -> Vec<u8> {
    let r = c.get(&format!("{kind}/{id}/content")).await;
    assert_eq!(r.status(), 200);
    r.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn single_request_round_trip_and_overwrite() {
    let sim = Sim::start(SimConfig::empty(1)).await.unwrap();
    let c = sign_in(&sim).await;
    let (_, v) = c.get_json("projects").await;
    let default = v["projects"]["project"]["id"].as_str().unwrap().to_string();
    let file = bytes(300_000, 1);
    let name = "Sales / Q3 — Données 📊";
    let (st, v) = publish(
        &c,
        "workbooks",
        "?workbookType=twbx&overwrite=false",
        &wb_payload(name, &default),
        Some(("Sales.twbx", &file)),
        true,
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let id = v["workbook"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["workbook"]["name"], name);
    assert_eq!(v["workbook"]["project"]["id"], default.as_str());
    assert_eq!(download(&c, "workbooks", &id).await, file);
    assert_eq!(sim.content(ContentKind::Workbook, &id, true), file);
    let cat = sim.catalog();
    let item = cat.item(&id).unwrap();
    assert_eq!((item.ext.as_str(), item.size), ("twbx", file.len() as u64));
    // Listed now.
    let (_, v) = c.get_json("workbooks").await;
    assert_eq!(v["workbooks"]["workbook"]["id"], id.as_str());
    // Same name, same project, overwrite=false: 409.
    let file2 = bytes(1000, 2);
    let (st, v) = publish(
        &c,
        "workbooks",
        "?workbookType=twbx",
        &wb_payload(name, &default),
        Some(("x.twbx", &file2)),
        true,
    )
    .await;
    assert_eq!(st, 409, "{v}");
    assert!(v["error"]["code"].as_str().unwrap().starts_with("409"));
    // overwrite=true keeps the id and replaces the bytes.
    let (st, v) = publish(
        &c,
        "workbooks",
        "?workbookType=twbx&overwrite=true",
        &wb_payload(name, &default),
        Some(("x.twbx", &file2)),
        true,
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["workbook"]["id"], id.as_str());
    assert_eq!(download(&c, "workbooks", &id).await, file2);
    assert_eq!(sim.catalog().counts.workbooks, 1);
    // A .twb (XML) published without workbookType: extension from the filename.
    let twb = b"<?xml version='1.0'?><workbook/>".to_vec();
    let (st, v) = publish(
        &c,
        "workbooks",
        "",
        &wb_payload("Plain", &default),
        Some(("Plain.twb", &twb)),
        false,
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let text = v.as_str().unwrap();
    assert!(text.contains("<workbook id=\""), "{text}");
    let plain = sim
        .catalog()
        .items
        .into_iter()
        .find(|i| i.name == "Plain")
        .unwrap();
    assert_eq!(plain.ext, "twb");
    let r = c.get(&format!("workbooks/{}/content", plain.id)).await;
    assert_eq!(r.headers()["content-type"], "application/xml");
    assert_eq!(
        r.headers()["content-disposition"],
        "name=\"tableau_workbook\"; filename=\"Plain.twb\""
    );
}

#[tokio::test]
async fn overwrite_a_generated_item_and_publish_flows() {
    let sim = Sim::start(SimConfig::generated(8).workbooks(5).flows(0))
        .await
        .unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    let wb = cat.of_kind(ContentKind::Workbook).next().unwrap().clone();
    let file = bytes(5000, 9);
    let payload = wb_payload(&xml_escape(&wb.name), &wb.project_id);
    let (st, _) = publish(&c, "workbooks", "", &payload, Some(("a.twbx", &file)), true).await;
    assert_eq!(st, 409);
    let (st, v) = publish(
        &c,
        "workbooks",
        "?overwrite=true",
        &payload,
        Some(("a.twbx", &file)),
        true,
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["workbook"]["id"], wb.id.as_str());
    assert_eq!(download(&c, "workbooks", &wb.id).await, file);
    assert_eq!(sim.catalog().counts.workbooks, 5);
    // A flow (.tfl), JSON answer with flowOutputSteps first.
    let flow = b"PK\x03\x04flow".to_vec();
    let payload = format!(
        r#"<tsRequest><flow name="Prep it"><project id="{}"/></flow></tsRequest>"#,
        wb.project_id
    );
    let (st, v) = publish(
        &c,
        "flows",
        "?flowType=tfl&overwrite=true",
        &payload,
        Some(("Prep it.tfl", &flow)),
        true,
    )
    .await;
    assert_eq!(st, 201, "{v}");
    assert!(v.get("flowOutputSteps").is_some());
    let id = v["flow"]["id"].as_str().unwrap();
    assert_eq!(v["flow"]["fileType"], "tfl");
    assert_eq!(download(&c, "flows", id).await, flow);
    // Unknown project: 404; bad file type: 400.
    let (st, _) = publish(
        &c,
        "flows",
        "",
        &payload.replace(&wb.project_id, "nope"),
        Some(("x.tfl", &flow)),
        true,
    )
    .await;
    assert_eq!(st, 404);
    let (st, _) = publish(&c, "flows", "?flowType=twbx", &payload, Some(("x", &flow)), true).await;
    assert_eq!(st, 400);
    // form-data is not what Tableau takes.
    let r = c
        .http
        .post(c.url("flows"))
        .header("X-Tableau-Auth", &c.token)
        .header("Content-Type", "multipart/form-data; boundary=x")
        .body("--x--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[tokio::test]
async fn chunked_upload_round_trip() {
    let sim = Sim::start(SimConfig::empty(2)).await.unwrap();
    let c = sign_in(&sim).await;
    let (_, v) = c.get_json("projects").await;
    let project = v["projects"]["project"]["id"].as_str().unwrap().to_string();
    let r = c
        .http
        .post(c.url("fileUploads"))
        .header("X-Tableau-Auth", &c.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let t = r.text().await.unwrap();
    assert!(t.contains("fileSize=\"0\""), "{t}");
    let upload = t.split("uploadSessionId=\"").nth(1).unwrap();
    let upload = upload[..upload.find('"').unwrap()].to_string();
    let file = bytes(3 * 1024 * 1024 + 123, 5);
    for chunk in file.chunks(1024 * 1024) {
        let (ctype, body) = multipart(&[
            ("request_payload", None, "text/xml", b""),
            ("tableau_file", Some("file"), "application/octet-stream", chunk),
        ]);
        let r = c
            .http
            .put(c.url(&format!("fileUploads/{upload}")))
            .header("X-Tableau-Auth", &c.token)
            .header("Accept", "application/json")
            .header("Content-Type", ctype)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["fileUpload"]["uploadSessionId"], upload.as_str());
    }
    let payload =
        format!(r#"<tsRequest><datasource name="Big DS"><project id="{project}"/></datasource></tsRequest>"#);
    let (st, v) = publish(
        &c,
        "datasources",
        &format!("?uploadSessionId={upload}&datasourceType=tdsx&overwrite=true"),
        &payload,
        None,
        true,
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let id = v["datasource"]["id"].as_str().unwrap();
    assert_eq!(download(&c, "datasources", id).await, file);
    // The session is used up.
    let (st, _) = publish(
        &c,
        "datasources",
        &format!("?uploadSessionId={upload}&datasourceType=tdsx&overwrite=true"),
        &payload,
        None,
        true,
    )
    .await;
    assert_eq!(st, 404);
    let log = sim.log();
    assert_eq!(log.count("PUT fileUploads/{id}"), 4);
    assert_eq!(log.count("POST fileUploads"), 1);
}

#[tokio::test]
async fn single_request_limit_is_400011() {
    assert_eq!(MAX_SINGLE_PUBLISH, 64 << 20);
    let mut cfg = SimConfig::empty(3);
    cfg.max_single_publish = 1 << 20;
    let sim = Sim::start(cfg).await.unwrap();
    let c = sign_in(&sim).await;
    let (_, v) = c.get_json("projects").await;
    let project = v["projects"]["project"]["id"].as_str().unwrap().to_string();
    let payload = wb_payload("Too big", &project);
    // Just over the limit (the file part alone).
    let file = bytes((1 << 20) + 10, 1);
    let (st, v) = publish(&c, "workbooks", "", &payload, Some(("b.twbx", &file)), true).await;
    assert_eq!((st, v["error"]["code"].as_str()), (400, Some("400011")), "{v}");
    // Far over (the body is drained, the client still reads the error).
    let file = bytes(5 << 20, 1);
    let (st, v) = publish(&c, "workbooks", "", &payload, Some(("b.twbx", &file)), true).await;
    assert_eq!((st, v["error"]["code"].as_str()), (400, Some("400011")), "{v}");
    // At the limit it is fine.
    let file = bytes((1 << 20) - 4, 1);
    let (st, _) = publish(&c, "workbooks", "", &payload, Some(("b.twbx", &file)), true).await;
    assert_eq!(st, 201);
}

#[tokio::test]
async fn create_project_and_publish_as_job() {
    let sim = Sim::start(SimConfig::empty(4)).await.unwrap();
    let c = sign_in(&sim).await;
    let create = |body: String| {
        let c = &c;
        async move {
            let r = c
                .http
                .post(c.url("projects"))
                .header("X-Tableau-Auth", &c.token)
                .header("Accept", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let st = r.status().as_u16();
            (st, r.json::<Value>().await.unwrap())
        }
    };
    let (st, v) = create(
        r#"<tsRequest><project name="Finance" description="Money" contentPermissions="LockedToProject"/></tsRequest>"#.into(),
    )
    .await;
    assert_eq!(st, 201, "{v}");
    let parent = v["project"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["project"]["contentPermissions"], "LockedToProject");
    let (st, v) = create(format!(
        r#"{{"project":{{"name":"..","parentProjectId":"{parent}"}}}}"#
    ))
    .await;
    assert_eq!(st, 201, "{v}");
    let child = v["project"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["project"]["parentProjectId"], parent.as_str());
    // Same name under the same parent: 409; under another parent: fine.
    let (st, v) = create(format!(
        r#"<tsRequest><project name=".." parentProjectId="{parent}"/></tsRequest>"#
    ))
    .await;
    assert_eq!(st, 409, "{v}");
    let (st, _) = create(r#"<tsRequest><project name=".."/></tsRequest>"#.into()).await;
    assert_eq!(st, 201);
    let (st, _) = create(r#"<tsRequest><project name="x" parentProjectId="nope"/></tsRequest>"#.into()).await;
    assert_eq!(st, 404);
    assert_eq!(sim.catalog().counts.projects, 4);
    // Publish into the new project as a job.
    let file = bytes(100, 3);
    let (st, v) = publish(
        &c,
        "workbooks",
        "?asJob=true",
        &wb_payload("In child", &child),
        Some(("In child.twbx", &file)),
        true,
    )
    .await;
    assert_eq!(st, 202, "{v}");
    let job = v["job"]["id"].as_str().unwrap();
    let wb = v["job"]["workbook"]["id"].as_str().unwrap().to_string();
    let (st, v) = c.get_json(&format!("jobs/{job}")).await;
    assert_eq!(st, 200);
    assert_eq!(v["job"]["finishCode"], "0");
    assert_eq!(download(&c, "workbooks", &wb).await, file);
    let (_, v) = c.get_json("projects?filter=name:eq:Finance&fields=_all_").await;
    assert_eq!(v["projects"]["project"]["contentsCounts"]["projectCount"], "1");
}
