//! Connections of workbooks, data sources and flows: match the catalog, cover the samples,
//! hold embedded and not embedded passwords and OAuth, and never a password.

mod common;

use std::collections::BTreeSet;

use common::shape::covers;
use common::*;
use serde_json::Value;
use tableau_sim::{ContentKind, Sim, SimConfig};

fn plural(k: ContentKind) -> &'static str {
    match k {
        ContentKind::Workbook => "workbooks",
        ContentKind::Datasource => "datasources",
        ContentKind::Flow => "flows",
    }
}

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn connections_match_the_catalog_and_carry_no_password() {
    for cfg in [
        SimConfig::sample(),
        SimConfig::generated(4).workbooks(20).datasources(15),
    ] {
        let sim = Sim::start(cfg).await.unwrap();
        let c = sign_in(&sim).await;
        let cat = sim.catalog();
        let mut seen = Vec::new();
        for item in &cat.items {
            let path = format!("{}/{}/connections", plural(item.kind), item.id);
            let (st, v) = c.get_json(&path).await;
            assert_eq!(st, 200, "{path}");
            assert!(v.get("pagination").is_none());
            let got: Vec<_> = as_list(&v["connections"]["connection"])
                .iter()
                .map(|x| {
                    (
                        s(x, "id"),
                        s(x, "type"),
                        s(x, "serverAddress"),
                        s(x, "serverPort"),
                        s(x, "userName"),
                        s(x, "embedPassword") == "true",
                        x.get("authenticationType").is_some(),
                        x.get("datasource").map(|d| s(d, "id")),
                    )
                })
                .collect();
            let want: Vec<_> = cat
                .connections_of(&item.id)
                .iter()
                .map(|x| {
                    let k = &x.connection;
                    (
                        k.id.clone(),
                        k.kind.clone(),
                        k.server_address.clone(),
                        k.server_port.clone(),
                        k.user_name.clone(),
                        k.embed_password,
                        k.oauth,
                        k.datasource.as_ref().map(|d| d.0.clone()),
                    )
                })
                .collect();
            assert_eq!(got, want, "{path}");
            let (_, xml) = c.get_xml(&path).await;
            for text in [v.to_string(), xml] {
                let lower = text.to_lowercase();
                assert!(
                    !lower.contains(" password=") && !lower.contains("\"password\""),
                    "{text}"
                );
            }
            seen.extend(got);
        }
        let embeds: BTreeSet<bool> = seen.iter().map(|x| x.5).collect();
        assert_eq!(embeds.len(), 2, "embedded and not embedded passwords");
        assert!(seen.iter().any(|x| x.6), "an OAuth connection");
        assert!(
            seen.iter().any(|x| x.7.is_some()),
            "a workbook on a published data source"
        );
        assert!(
            cat.items.iter().any(|i| cat.connections_of(&i.id).is_empty()),
            "an item without any"
        );
    }
}

#[tokio::test]
async fn connection_shapes_match_the_samples() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    for (kind, sample) in [
        (ContentKind::Workbook, "workbook_populate_connections.xml"),
        (ContentKind::Datasource, "datasource_populate_connections.xml"),
        (ContentKind::Flow, "flow_populate_connections.xml"),
    ] {
        let want_ds = kind == ContentKind::Workbook;
        let item = cat
            .of_kind(kind)
            .find(|i| {
                let cs = cat.connections_of(&i.id);
                !cs.is_empty() && (!want_ds || cs.iter().any(|x| x.connection.datasource.is_some()))
            })
            .unwrap();
        let (_, t) = c
            .get_xml(&format!("{}/{}/connections", plural(kind), item.id))
            .await;
        covers(sample, &t, &[]);
    }
    let (st, v) = c.get_json("datasources/nope/connections").await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("404011")));
    assert_eq!(sim.log().count("GET datasources/{id}/connections"), 2);
}
