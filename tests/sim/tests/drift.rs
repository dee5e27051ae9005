//! The paging-drift fault (issue 9): once page N of a list has been served, items of its
//! first page disappear, so later items slide back a page. A client paging by offset misses
//! them; the totalAvailable after the deletion shows it; a re-read or a keyset walk with a
//! stable sort sees every item still there.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;
use tableau_sim::{ContentKind, Faults, Sim, SimConfig};

fn total(v: &Value) -> usize {
    v["pagination"]["totalAvailable"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Page through `path` by offset; the ids seen and every page's totalAvailable.
async fn offset_walk(c: &Client, path: &str, size: usize) -> (Vec<String>, Vec<usize>) {
    let (mut ids, mut totals) = (Vec::new(), Vec::new());
    let sep = if path.contains('?') { '&' } else { '?' };
    for page in 1.. {
        let (st, v) = c
            .get_json(&format!("{path}{sep}pageSize={size}&pageNumber={page}"))
            .await;
        if st == 400 {
            break;
        }
        assert_eq!(st, 200, "{v}");
        let items = as_list(&v["workbooks"]["workbook"]);
        ids.extend(items.iter().map(|w| w["id"].as_str().unwrap().to_string()));
        totals.push(total(&v));
        if items.is_empty() || page * size >= total(&v) {
            break;
        }
    }
    (ids, totals)
}

fn live_ids(sim: &Sim) -> BTreeSet<String> {
    sim.catalog()
        .of_kind(ContentKind::Workbook)
        .map(|i| i.id.clone())
        .collect()
}

#[tokio::test]
async fn an_offset_walk_misses_items_and_the_totals_show_it() {
    let cfg = SimConfig::generated(3)
        .workbooks(250)
        .faults(Faults::default().drift_after_page(2, 3));
    let sim = Sim::start(cfg).await.unwrap();
    let before = live_ids(&sim);
    let c = sign_in(&sim).await;
    let (seen, totals) = offset_walk(&c, "workbooks", 100).await;
    assert_eq!(
        totals,
        [250, 250, 247],
        "the last page's total reflects the deletion"
    );
    let cat = sim.catalog();
    assert_eq!(cat.removed.len(), 3);
    assert_eq!(cat.counts.workbooks, 247);
    let live = live_ids(&sim);
    assert_eq!(live.len(), 247);
    assert!(cat
        .removed
        .iter()
        .all(|id| before.contains(id) && !live.contains(id)));
    // The deleted items were on page 1; three live items slid into page 2 unseen.
    let seen: BTreeSet<String> = seen.into_iter().collect();
    assert!(cat.removed.iter().all(|id| seen.contains(id)));
    assert_eq!(live.difference(&seen).count(), 3, "missed");
    // A re-read finds every item still there; the fault fires once per list.
    let (again, totals) = offset_walk(&c, "workbooks", 100).await;
    assert_eq!(totals, [247, 247, 247]);
    assert_eq!(again.into_iter().collect::<BTreeSet<_>>(), live);
    // Deleted items are gone everywhere.
    let gone = &cat.removed[0];
    assert_eq!(c.get_json(&format!("workbooks/{gone}")).await.0, 404);
    assert_eq!(c.get_json(&format!("workbooks/{gone}/content")).await.0, 404);
    assert_eq!(c.get_json(&format!("workbooks/{gone}/permissions")).await.0, 404);
    assert!(cat.revisions.iter().all(|r| &r.item_id != gone));
}

#[tokio::test]
async fn a_stable_sort_keeps_the_order_and_a_keyset_walk_sees_everything() {
    let cfg = SimConfig::generated(4).workbooks(120).faults(
        Faults::default()
            .drift_after_page(1, 2)
            .drift_endpoints(&["GET workbooks"]),
    );
    let sim = Sim::start(cfg).await.unwrap();
    let c = sign_in(&sim).await;
    // Keyset paging: sorted by createdAt, each page after the last createdAt seen.
    let mut seen = BTreeSet::new();
    let mut last: Option<String> = None;
    loop {
        let filter = last
            .as_ref()
            .map(|t| format!("&filter=createdAt:gt:{t}"))
            .unwrap_or_default();
        let (st, v) = c
            .get_json(&format!("workbooks?sort=createdAt:asc&pageSize=50{filter}"))
            .await;
        assert_eq!(st, 200, "{v}");
        let items = as_list(&v["workbooks"]["workbook"]);
        if items.is_empty() {
            break;
        }
        seen.extend(items.iter().map(|w| w["id"].as_str().unwrap().to_string()));
        last = items.last().map(|w| w["createdAt"].as_str().unwrap().to_string());
    }
    let cat = sim.catalog();
    assert_eq!(cat.removed.len(), 2, "the drift hit the sorted walk too");
    let live = live_ids(&sim);
    assert!(live.is_subset(&seen), "nothing still there was missed");
    // The sorted order is the same on every read.
    let (_, a) = c.get_json("workbooks?sort=createdAt:asc&pageSize=1000").await;
    let (_, b) = c.get_json("workbooks?sort=createdAt:asc&pageSize=1000").await;
    assert_eq!(a, b);
    assert_eq!(as_list(&a["workbooks"]["workbook"]).len(), 118);
    // Only the named endpoint drifts.
    let (_, v) = c.get_json("users?pageSize=10").await;
    assert_eq!(total(&v), cat.counts.users);
    assert_eq!(sim.catalog().removed.len(), 2);
}

#[tokio::test]
async fn other_lists_drift_too_and_setting_faults_rearms_it() {
    let cfg = SimConfig::generated(5)
        .users(30)
        .faults(Faults::default().drift_after_page(1, 1));
    let sim = Sim::start(cfg).await.unwrap();
    let c = sign_in(&sim).await;
    let (_, v) = c.get_json("users?pageSize=10").await;
    assert_eq!(total(&v), 30);
    let (_, v) = c.get_json("users?pageSize=10").await;
    assert_eq!(total(&v), 29);
    let gone = sim.catalog().removed[0].clone();
    assert_eq!(c.get_json(&format!("users/{gone}")).await.0, 404);
    assert_eq!(sim.catalog().counts.users, 29);
    sim.set_faults(Faults::default().drift_after_page(1, 1));
    c.get_json("users?pageSize=10").await;
    assert_eq!(total(&c.get_json("users?pageSize=10").await.1), 28);
    // The admin endpoint's catalog lists what is gone.
    let v: Value = reqwest::get(format!("{}/_sim/catalog", sim.base_url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["removed"].as_array().unwrap().len(), 2);
}
