//! Views: the site's list (paginated, fields) and a workbook's (not paginated) match the
//! catalog and the workbooks' own views; shapes match the samples.

mod common;

use std::collections::BTreeSet;

use common::shape::covers;
use common::*;
use tableau_sim::{ContentKind, Sim, SimConfig};

#[tokio::test]
async fn views_match_the_catalog_and_the_workbooks() {
    let sim = Sim::start(SimConfig::generated(6).workbooks(40)).await.unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    let listed = c.walk("views?fields=_all_", "views", "view", 37).await;
    let got: Vec<(String, String)> = listed
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().into(),
                v["workbook"]["id"].as_str().unwrap().into(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = cat
        .views
        .iter()
        .map(|v| (v.id.clone(), v.workbook_id.clone()))
        .collect();
    assert_eq!(got, want);
    assert_eq!(cat.counts.views, want.len());
    assert!(listed.iter().all(|v| v["usage"]["totalViewCount"].is_string()));
    for wb in cat.of_kind(ContentKind::Workbook).take(5) {
        let (st, v) = c.get_json(&format!("workbooks/{}/views", wb.id)).await;
        assert_eq!(st, 200);
        assert!(v.get("pagination").is_none());
        let ids: Vec<String> = as_list(&v["views"]["view"])
            .iter()
            .map(|x| x["id"].as_str().unwrap().into())
            .collect();
        let (_, d) = c.get_json(&format!("workbooks/{}", wb.id)).await;
        let own: Vec<String> = as_list(&d["workbook"]["views"]["view"])
            .iter()
            .map(|x| x["id"].as_str().unwrap().into())
            .collect();
        assert_eq!(ids, own);
        let (st, one) = c.get_json(&format!("views/{}", ids[0])).await;
        assert_eq!(
            (st, one["view"]["workbook"]["id"].as_str()),
            (200, Some(wb.id.as_str()))
        );
    }
    // Sorting and filtering work on views too.
    let (_, v) = c.get_json("views?sort=name:asc&pageSize=1000").await;
    let names: Vec<String> = as_list(&v["views"]["view"])
        .iter()
        .map(|x| x["name"].as_str().unwrap().into())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let (st, v) = c.get_json("views/nope").await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("404011")));
    let kinds: BTreeSet<String> = listed
        .iter()
        .map(|v| v["sheetType"].as_str().unwrap().into())
        .collect();
    assert!(kinds.len() > 1, "{kinds:?}");
}

#[tokio::test]
async fn view_shapes_match_the_samples() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let wb = sim
        .catalog()
        .of_kind(ContentKind::Workbook)
        .next()
        .unwrap()
        .id
        .clone();
    let (_, t) = c.get_xml(&format!("workbooks/{wb}/views")).await;
    covers("workbook_populate_views.xml", &t, &[]);
    let (_, t) = c
        .get_xml(&format!(
            "workbooks/{wb}/views?fields=_default_&includeUsageStatistics=true"
        ))
        .await;
    assert!(t.contains("<usage totalViewCount="), "{t}");
    let (_, t) = c
        .get_xml("views?fields=_default_&includeUsageStatistics=true")
        .await;
    assert!(
        t.contains("<usage totalViewCount=") && !t.contains("viewUrlName"),
        "{t}"
    );
}
