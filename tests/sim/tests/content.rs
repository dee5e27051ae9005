//! Content downloads: bytes, headers, extensions, includeExtract.

mod common;

use common::*;
use tableau_sim::{ContentKind, Sim, SimConfig};

const SAMPLE_WB: &[u8] = include_bytes!("../../fixtures/SampleWB.twbx");
const WORLD: &[u8] = include_bytes!("../../fixtures/World Indicators.tdsx");
const SAMPLE_DS: &[u8] = include_bytes!("../../fixtures/SampleDS.tds");
const SAMPLE_FLOW: &[u8] = include_bytes!("../../fixtures/SampleFlow.tfl");

fn header(r: &reqwest::Response, k: &str) -> String {
    r.headers()
        .get(k)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn sample_site_serves_the_real_files() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    for item in &cat.items {
        let r = c
            .get(&format!("{}/{}/content", item.kind.plural(), item.id))
            .await;
        assert_eq!(r.status(), 200, "{}", item.name);
        let disp = header(&r, "content-disposition");
        let ctype = header(&r, "content-type");
        let len = header(&r, "content-length");
        let body = r.bytes().await.unwrap();
        let expected: &[u8] = match (item.kind, item.ext.as_str()) {
            (ContentKind::Workbook, _) => SAMPLE_WB,
            (ContentKind::Datasource, "tdsx") => WORLD,
            (ContentKind::Datasource, _) => SAMPLE_DS,
            (ContentKind::Flow, _) => SAMPLE_FLOW,
        };
        assert_eq!(&body[..], expected, "{}", item.name);
        assert_eq!(len, expected.len().to_string());
        assert_eq!(body, sim.content(item.kind, &item.id, true));
        let prefix = format!("name=\"tableau_{}\"; filename=\"", item.kind.singular());
        assert!(disp.starts_with(&prefix), "{disp}");
        assert!(disp.contains(&format!(".{}", item.ext)), "{disp}");
        if item.ext == "tds" {
            assert_eq!(ctype, "application/xml");
        } else {
            // Zips, including SampleFlow.tfl (Prep .tfl files are zips).
            assert_eq!(ctype, "application/octet-stream");
        }
    }
    // Non-ASCII name: percent-encoded in filename (as Tableau does) and RFC 5987 filename*.
    let wb = cat.items.iter().find(|i| i.name.contains('📈')).unwrap();
    let r = c.get(&format!("workbooks/{}/content", wb.id)).await;
    let enc = "R%C3%A9gional%20%2F%20Sales%20%F0%9F%93%88.twbx";
    assert_eq!(
        header(&r, "content-disposition"),
        format!("name=\"tableau_workbook\"; filename=\"{enc}\"; filename*=UTF-8''{enc}")
    );
    // Unknown id: 404 with a tsResponse error.
    let (st, v) = c.get_json("workbooks/nope/content").await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("404006")));
}

#[tokio::test]
async fn generated_content_and_include_extract() {
    let sim = Sim::start(
        SimConfig::generated(21)
            .workbooks(60)
            .datasources(60)
            .flows(20)
            .content_sizes(2_000, 300_000),
    )
    .await
    .unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    let mut seen = std::collections::HashSet::new();
    for item in &cat.items {
        for include in [true, false] {
            let q = if include { "" } else { "?includeExtract=false" };
            let r = c
                .get(&format!("{}/{}/content{q}", item.kind.plural(), item.id))
                .await;
            assert_eq!(r.status(), 200);
            let disp = header(&r, "content-disposition");
            let ctype = header(&r, "content-type");
            let body = r.bytes().await.unwrap();
            let (ext, size) = if include {
                (&item.ext, item.size)
            } else {
                (&item.ext_without_extract, item.size_without_extract)
            };
            seen.insert((item.kind, item.ext.clone(), ext.clone(), item.has_extracts));
            assert_eq!(body.len() as u64, size, "{} {include}", item.id);
            assert!(disp.ends_with(&format!(".{ext}\"")) || disp.ends_with(&format!(".{ext}")));
            assert_eq!(body, sim.content(item.kind, &item.id, include));
            if ext.ends_with('x') {
                assert!(body.starts_with(b"PK\x03\x04"));
                assert_eq!(ctype, "application/octet-stream");
            } else {
                assert!(body.starts_with(b"<?xml"));
                assert_eq!(ctype, "application/xml");
            }
            if !include && item.has_extracts {
                assert!(size < item.size, "no extract is smaller");
            }
            if item.kind == ContentKind::Flow {
                assert_eq!(ext, &item.ext, "flows ignore includeExtract");
            }
        }
    }
    // Every extension rule shows up.
    let rules: std::collections::HashSet<_> = seen
        .iter()
        .map(|(k, e, e2, x)| (*k, e.as_str(), e2.as_str(), *x))
        .collect();
    for rule in [
        (ContentKind::Workbook, "twbx", "twbx", true),
        (ContentKind::Workbook, "twbx", "twbx", false),
        (ContentKind::Workbook, "twb", "twb", false),
        (ContentKind::Datasource, "tdsx", "tds", true),
        (ContentKind::Datasource, "tds", "tds", false),
        (ContentKind::Flow, "tflx", "tflx", false),
        (ContentKind::Flow, "tfl", "tfl", false),
    ] {
        assert!(rules.contains(&rule), "missing {rule:?}");
    }
    // sha256 helper agrees with the bytes.
    let item = &cat.items[0];
    let (sha, n) = sim.content_sha256(item.kind, &item.id, true).unwrap();
    assert_eq!(n, item.size);
    assert_eq!(sha.len(), 64);
}
