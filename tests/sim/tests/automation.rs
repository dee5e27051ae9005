//! Data alerts, webhooks, flow run tasks, data quality warnings and custom view definitions:
//! match the catalog, cover the samples, in both formats.

mod common;

use std::collections::BTreeSet;

use common::shape::{covers, covers_sample, fixture};
use common::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tableau_sim::{ContentKind, Sim, SimConfig};

fn s(v: &Value, k: &str) -> String {
    v[k].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn data_alerts_match_the_catalog() {
    let sim = Sim::start(SimConfig::generated(5).with_gen(|g| g.data_alerts = 23))
        .await
        .unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    assert_eq!(cat.data_alerts.len(), 23);
    let listed = c.walk("dataAlerts", "dataAlerts", "dataAlert", 10).await;
    let ids: Vec<String> = listed.iter().map(|a| s(a, "id")).collect();
    let want: Vec<String> = cat.data_alerts.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids, want);
    for (a, want) in listed.iter().zip(&cat.data_alerts) {
        assert_eq!(s(a, "subject"), want.subject);
        assert_eq!(s(&a["view"], "id"), want.view_id);
        assert!(cat.views.iter().any(|v| v.id == want.view_id));
        assert!(a.get("recipients").is_none(), "the list has no recipients");
        let (st, one) = c.get_json(&format!("dataAlerts/{}", want.id)).await;
        assert_eq!(st, 200);
        let alert = &one["dataAlerts"]["dataAlert"];
        let recipients: Vec<String> = as_list(&alert["recipients"]["recipient"])
            .iter()
            .map(|r| s(r, "id"))
            .collect();
        assert_eq!(recipients, want.recipients);
    }
    let (st, v) = c.get_json("dataAlerts/nope").await;
    assert_eq!((st, v["error"]["code"].as_str()), (404, Some("409023")));
}

#[tokio::test]
async fn webhooks_flow_tasks_and_warnings_match_the_catalog() {
    let sim = Sim::start(SimConfig::generated(5).datasources(20).flows(9))
        .await
        .unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    let (_, v) = c.get_json("webhooks").await;
    assert!(v.get("pagination").is_none());
    let hooks = as_list(&v["webhooks"]["webhook"]);
    assert_eq!(hooks.len(), cat.webhooks.len());
    for (h, want) in hooks.iter().zip(&cat.webhooks) {
        assert_eq!(s(h, "id"), want.id);
        assert_eq!(
            s(&h["webhook-destination"]["webhook-destination-http"], "url"),
            want.url
        );
        let event = format!("webhook-source-event-{}", want.event);
        assert!(h["webhook-source"].get(&event).is_some(), "{h}");
        let (_, one) = c.get_json(&format!("webhooks/{}", want.id)).await;
        assert_eq!(one["webhook"]["name"], want.name.as_str());
    }
    let (_, v) = c.get_json("tasks/runFlow").await;
    let tasks = as_list(&v["tasks"]["task"]);
    assert_eq!(tasks.len(), cat.flow_tasks.len());
    assert!(!tasks.is_empty());
    for (t, want) in tasks.iter().zip(&cat.flow_tasks) {
        let run = &t["flowRun"];
        assert_eq!(s(run, "id"), want.id);
        assert_eq!(s(&run["flow"], "id"), want.flow_id);
        assert_eq!(s(&run["schedule"], "frequency"), want.schedule.frequency);
        assert!(cat.of_kind(ContentKind::Flow).any(|f| f.id == want.flow_id));
    }
    // Warnings: one request per data source and flow finds exactly the catalog's.
    let mut found = Vec::new();
    for item in cat.items.iter().filter(|i| i.kind != ContentKind::Workbook) {
        let t = if item.kind == ContentKind::Flow {
            "flow"
        } else {
            "datasource"
        };
        let (st, v) = c.get_json(&format!("dataQualityWarnings/{t}/{}", item.id)).await;
        assert_eq!(st, 200);
        found.extend(
            as_list(&v["dataQualityWarningList"]["dataQualityWarning"])
                .iter()
                .map(|w| (s(w, "id"), s(w, "contentId"))),
        );
    }
    let want: Vec<_> = cat
        .data_quality_warnings
        .iter()
        .map(|w| (w.id.clone(), w.content_id.clone()))
        .collect();
    assert_eq!(found, want);
    let types: BTreeSet<&str> = cat.data_quality_warnings.iter().map(|w| w.content_type).collect();
    assert_eq!(types, BTreeSet::from(["DATASOURCE", "FLOW"]));
    // Up to 12 (the default): every third of 20 data sources (7), every fourth of 9 flows (3).
    assert_eq!(cat.counts.data_quality_warnings, 10);
}

#[tokio::test]
async fn custom_view_definitions_match_the_catalog_and_differ() {
    let sim = Sim::start(SimConfig::generated(5)).await.unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    let mut hashes = BTreeSet::new();
    for cv in &cat.custom_views {
        let r = c
            .http
            .get(format!(
                "{}/api/exp/sites/{}/customviews/{}/content",
                c.base, c.site_id, cv.id
            ))
            .header("X-Tableau-Auth", &c.token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body = r.bytes().await.unwrap();
        assert_eq!(hex::encode(Sha256::digest(&body)), cv.definition_sha256);
        assert_eq!(Some(body.to_vec()), sim.custom_view_definition(&cv.id));
        let entries: Value = serde_json::from_slice(&body).unwrap();
        let entries = entries.as_array().unwrap();
        assert_eq!(entries[0]["isSourceView"], true);
        assert!(entries[1..].iter().all(|e| e["isSourceView"] == false));
        hashes.insert(cv.definition_sha256.clone());
    }
    assert_eq!(hashes.len(), cat.custom_views.len(), "every definition differs");
}

#[tokio::test]
async fn shapes_match_the_samples_and_the_sample_site_has_each() {
    let sim = Sim::start(SimConfig::sample()).await.unwrap();
    let c = sign_in(&sim).await;
    let cat = sim.catalog();
    assert_eq!(
        (
            cat.data_alerts.len(),
            cat.webhooks.len(),
            cat.flow_tasks.len(),
            cat.data_quality_warnings.len()
        ),
        (2, 2, 1, 2)
    );
    let (_, t) = c.get_xml("dataAlerts").await;
    covers("data_alerts_get.xml", &t, &[]);
    let (_, t) = c.get_xml(&format!("dataAlerts/{}", cat.data_alerts[0].id)).await;
    covers("data_alerts_get_by_id.xml", &t, &[]);
    let (_, t) = c.get_xml("webhooks").await;
    // The sample's event differs; each webhook has its own.
    covers(
        "webhook_get.xml",
        &t,
        &["webhooks/webhook/webhook-source/webhook-source-event-datasource-created"],
    );
    // The sample is the create response (one `task`); the list wraps them in `tasks`.
    // Cloud schedules are inline, not server schedules with ids and names.
    let (_, t) = c.get_xml("tasks/runFlow").await;
    let wrapped = fixture("tasks_create_flow_task.xml")
        .replace("<task>", "<tasks><task>")
        .replace("</task>", "</task></tasks>");
    let schedule = "tasks/task/flowRun/schedule";
    let allowed: Vec<String> = [
        "id",
        "name",
        "state",
        "priority",
        "createdAt",
        "updatedAt",
        "type",
    ]
    .iter()
    .map(|a| format!("{schedule}@{a}"))
    .collect();
    let allowed: Vec<&str> = allowed.iter().map(String::as_str).collect();
    covers_sample("tasks_create_flow_task.xml", &wrapped, &t, &allowed);
    let ds = &cat.data_quality_warnings[0].content_id;
    let (_, t) = c.get_xml(&format!("dataQualityWarnings/datasource/{ds}")).await;
    covers("dqw_by_content_type.xml", &t, &[]);
    // JSON quirks: one flow task is an object, an empty warning list is {}.
    let (_, v) = c.get_json("tasks/runFlow").await;
    assert!(v["tasks"]["task"].is_object(), "{v}");
    let quiet = cat
        .of_kind(ContentKind::Datasource)
        .find(|d| !cat.data_quality_warnings.iter().any(|w| w.content_id == d.id))
        .unwrap();
    let (_, v) = c
        .get_json(&format!("dataQualityWarnings/datasource/{}", quiet.id))
        .await;
    assert_eq!(v["dataQualityWarningList"], serde_json::json!({}));
}
