//! Revisions: lists (paginated, both formats) match the catalog; 1 to 10 per item, some
//! deleted; every kept revision downloads its own deterministic bytes (the current one the
//! item's), a deleted one is 404024; revision downloads are logged apart.

mod common;

use std::collections::BTreeSet;

use common::shape::covers;
use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tableau_sim::{CatalogRevision, ContentKind, Sim, SimConfig};

async fn get_bytes(c: &Client, path: &str) -> (u16, Vec<u8>, String) {
    let r = c.get(path).await;
    let st = r.status().as_u16();
    let disp = r
        .headers()
        .get("content-disposition")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (st, r.bytes().await.unwrap().to_vec(), disp)
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn plural(k: ContentKind) -> &'static str {
    match k {
        ContentKind::Workbook => "workbooks",
        ContentKind::Datasource => "datasources",
        ContentKind::Flow => "flows",
    }
}

/// (number, deleted, current, publishedAt, publisher id, size) as listed.
fn listed(v: &Value) -> (u32, bool, bool, String, String, Option<u64>) {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    (
        s("revisionNumber").parse().unwrap(),
        s("deleted") == "true",
        s("current") == "true",
        s("publishedAt"),
        v["publisher"]["id"].as_str().unwrap().to_string(),
        v["sizeInBytes"].as_str().map(|x| x.parse().unwrap()),
    )
}

fn expected(r: &CatalogRevision) -> (u32, bool, bool, String, String, Option<u64>) {
    let x = &r.revision;
    (
        x.number,
        x.deleted,
        x.current,
        x.published_at.clone(),
        x.publisher_id.clone(),
        (!x.deleted).then_some(x.size),
    )
}

#[tokio::test]
async fn lists_match_the_catalog_and_every_kept_revision_downloads() {
    for cfg in [
        SimConfig::sample(),
        SimConfig::generated(8)
            .workbooks(12)
            .datasources(8)
            .content_sizes(600, 40_000),
    ] {
        let sim = Sim::start(cfg).await.unwrap();
        let c = sign_in(&sim).await;
        let cat = sim.catalog();
        let mut counts = BTreeSet::new();
        let mut deleted = 0;
        let mut downloads = 0;
        for item in cat.items.iter().filter(|i| i.kind != ContentKind::Flow) {
            let path = format!("{}/{}/revisions", plural(item.kind), item.id);
            let got: Vec<_> = c
                .walk(&path, "revisions", "revision", 3)
                .await
                .iter()
                .map(listed)
                .collect();
            let want: Vec<_> = cat.revisions_of(&item.id).into_iter().map(expected).collect();
            assert_eq!(got, want, "{path}");
            assert!((1..=10).contains(&got.len()));
            assert!(got.last().unwrap().2, "the last is current");
            counts.insert(got.len());
            let mut hashes = BTreeSet::new();
            for r in cat.revisions_of(&item.id) {
                let n = r.revision.number;
                let (st, body, disp) = get_bytes(&c, &format!("{path}/{n}/content")).await;
                if r.revision.deleted {
                    deleted += 1;
                    let (_, j) = c.get_json(&format!("{path}/{n}/content")).await;
                    assert_eq!((st, j["error"]["code"].as_str()), (404, Some("404024")), "{j}");
                    assert!(String::from_utf8_lossy(&body).contains("<error code=\"404024\">"));
                    assert!(sim.revision_content(item.kind, &item.id, n, true).is_none());
                    continue;
                }
                downloads += 1;
                assert_eq!(st, 200, "{path}/{n}");
                assert_eq!(body.len() as u64, r.revision.size);
                let (want_sha, len) = sim.revision_sha256(item.kind, &item.id, n, true).unwrap();
                assert_eq!((sha(&body), body.len() as u64), (want_sha, len));
                assert!(
                    disp.starts_with(&format!("name=\"tableau_{}\"", item.kind_name())),
                    "{disp}"
                );
                if r.revision.current {
                    assert_eq!(body, sim.content(item.kind, &item.id, true));
                }
                assert!(hashes.insert(sha(&body)), "revisions of {} differ", item.id);
            }
        }
        assert!(
            counts.contains(&1) && counts.contains(&10) && counts.len() > 2,
            "{counts:?}"
        );
        assert!(deleted > 0);
        let log = sim.log();
        let revs = log.count("GET workbooks/{id}/revisions/{n}/content")
            + log.count("GET datasources/{id}/revisions/{n}/content");
        // Each deleted revision was asked for twice (bytes, then JSON).
        assert_eq!(revs, (downloads + 2 * deleted) as u64);
        assert_eq!(log.count("GET workbooks/{id}/content"), 0, "logged apart");
    }
}

trait KindName {
    fn kind_name(&self) -> &'static str;
}

impl KindName for tableau_sim::CatalogItem {
    fn kind_name(&self) -> &'static str {
        match self.kind {
            ContentKind::Workbook => "workbook",
            ContentKind::Datasource => "datasource",
            ContentKind::Flow => "flow",
        }
    }
}

#[tokio::test]
async fn bytes_are_deterministic_and_extracts_can_be_left_out() {
    let cfg = || {
        SimConfig::generated(9)
            .workbooks(8)
            .datasources(8)
            .content_sizes(2_000, 90_000)
    };
    let (a, b) = (Sim::start(cfg()).await.unwrap(), Sim::start(cfg()).await.unwrap());
    let cat = a.catalog();
    let old = cat
        .revisions
        .iter()
        .find(|r| !r.revision.current && !r.revision.deleted && cat.item(&r.item_id).unwrap().has_extracts)
        .expect("an older kept revision of an item with an extract");
    let n = old.revision.number;
    let with = a.revision_content(old.kind, &old.item_id, n, true).unwrap();
    assert_eq!(
        Some(with.clone()),
        b.revision_content(old.kind, &old.item_id, n, true)
    );
    let without = a.revision_content(old.kind, &old.item_id, n, false).unwrap();
    assert!(without.len() < with.len());
    let c = sign_in(&a).await;
    let path = format!(
        "{}/{}/revisions/{n}/content?includeExtract=false",
        plural(old.kind),
        old.item_id
    );
    let (st, body, _) = get_bytes(&c, &path).await;
    assert_eq!((st, body), (200, without));
    // Unknown revisions, items, and flows (which have no revisions).
    let item = &old.item_id;
    let kind = plural(old.kind);
    for (path, code) in [
        (format!("{kind}/{item}/revisions/99/content"), "404024"),
        (format!("{kind}/{item}/revisions/x/content"), "404024"),
        ("workbooks/nope/revisions".to_string(), "404006"),
    ] {
        let (st, v) = c.get_json(&path).await;
        assert_eq!((st, v["error"]["code"].as_str()), (404, Some(code)), "{path}");
    }
    let flow = cat.of_kind(ContentKind::Flow).next().unwrap();
    let (st, v) = c.get_json(&format!("flows/{}/revisions", flow.id)).await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("404003")));
}

#[tokio::test]
async fn revision_shapes_match_the_samples() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    for (kind, sample) in [
        (ContentKind::Workbook, "workbook_revision.xml"),
        (ContentKind::Datasource, "datasource_revision.xml"),
    ] {
        let item = cat
            .of_kind(kind)
            .find(|i| cat.revisions_of(&i.id).len() > 2)
            .unwrap();
        let (st, t) = c
            .get_xml(&format!("{}/{}/revisions", plural(kind), item.id))
            .await;
        assert_eq!(st, 200);
        covers(sample, &t, &[]);
    }
    // One revision: an object in JSON.
    let one = cat
        .items
        .iter()
        .find(|i| cat.revisions_of(&i.id).len() == 1)
        .unwrap();
    let (_, v) = c
        .get_json(&format!("{}/{}/revisions", plural(one.kind), one.id))
        .await;
    assert!(v["revisions"]["revision"].is_object(), "{v}");
    assert_eq!(v["pagination"]["totalAvailable"], "1");
}
