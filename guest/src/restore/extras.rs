//! Favorites, subscriptions and extract refresh tasks of what this restore
//! published, re-created with users and items remapped. What points at a view
//! (the restore does not map view ids) is listed for the checklist instead.

use http::Method;
use serde_json::{json, Value};

use super::Restore;
use crate::tableau::json::{lenient_string, string_at};
use crate::tableau::path_segment;
use crate::tableau_backup::backup::restore_types::RestoreAction;

const TARGETS: [&str; 4] = ["workbook", "datasource", "flow", "project"];

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(lenient_string).unwrap_or_default()
}

impl Restore<'_> {
    /// The target id of a backup workbook, data source, flow or project this restore brought back.
    fn mapped_target(&self, kind: &str, old: &str) -> Option<String> {
        match kind {
            "project" if self.selected_projects.contains(old) => self.projects.get(old).cloned().flatten(),
            "project" => None,
            _ => self.published.get(old).cloned(),
        }
    }

    /// Sends one create (`call`: endpoint name, method, site-relative path) and records it.
    async fn post(&mut self, kind: &str, old: &str, name: &str, call: (&str, Method, &str), body: Value) {
        let (endpoint, method, rest) = call;
        if self.dry_run {
            self.report.entry(kind, old, "", name, RestoreAction::Created, "");
            return;
        }
        match self.client.write_json(endpoint, method, rest, &body, false).await {
            Ok(resp) => {
                let id = resp
                    .as_object()
                    .and_then(|o| o.values().next())
                    .map(|v| string_at(v, &["id"]))
                    .unwrap_or_default();
                self.report
                    .entry(kind, old, &id, name, RestoreAction::Created, "");
            }
            Err(e) => self
                .report
                .entry(kind, old, "", name, RestoreAction::Failed, e.to_string()),
        }
    }

    pub async fn favorites(&mut self) {
        let entries: Vec<Value> = self.source.list("favorites").await.to_vec();
        let mut on_views = 0;
        for e in entries {
            let old_user = string_at(&e, &["user", "id"]);
            let list = e
                .get("favorites")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            for f in list {
                let label = text(&f, "label");
                if f.get("view").is_some() {
                    on_views += 1;
                    continue;
                }
                let Some((kind, new)) = TARGETS.iter().find_map(|k| {
                    let old = string_at(&f, &[k, "id"]);
                    (!old.is_empty())
                        .then(|| self.mapped_target(k, &old).map(|n| (*k, n)))
                        .flatten()
                }) else {
                    continue;
                };
                let Some(user) = self.user(&old_user).await else {
                    continue;
                };
                let rest = format!("favorites/{}", path_segment(&user));
                let body = json!({"favorite": {"label": label, kind: {"id": new}}});
                self.post(
                    "favorite",
                    &old_user,
                    &label,
                    ("PUT favorites/{id}", Method::PUT, &rest),
                    body,
                )
                .await;
            }
        }
        if on_views > 0 && self.full {
            self.report.todo("favorites", "", "favorites of views", format!("{on_views} favorites of views are not re-created (view ids are not mapped): see metadata_tableau/favorites.json"));
        }
    }

    pub async fn subscriptions(&mut self) {
        let entries: Vec<Value> = self.source.list("subscriptions").await.to_vec();
        let mut on_views = 0;
        for s in entries {
            let old = text(&s, "id");
            let subject = text(&s, "subject");
            let content = s.get("content").cloned().unwrap_or(Value::Null);
            if text(&content, "type") != "Workbook" {
                on_views += 1;
                continue;
            }
            let Some(workbook) = self.mapped_target("workbook", &text(&content, "id")) else {
                continue;
            };
            let Some(user) = self.user(&string_at(&s, &["user", "id"])).await else {
                self.report.todo(
                    "subscription",
                    &old,
                    &subject,
                    "its user is not on the target: not re-created",
                );
                continue;
            };
            let mut sub = json!({"subject": subject, "content": {"id": workbook, "type": "Workbook"}, "user": {"id": user}});
            for k in [
                "message",
                "attachImage",
                "attachPdf",
                "pageOrientation",
                "pageSizeOption",
                "suspended",
            ] {
                if let Some(v) = s.get(k) {
                    sub[k] = v.clone();
                }
            }
            if let Some(v) = content.get("sendIfViewEmpty") {
                sub["content"]["sendIfViewEmpty"] = v.clone();
            }
            let mut body = json!({"subscription": sub});
            if let Some(schedule) = s.get("schedule") {
                body["schedule"] = schedule.clone();
            }
            self.post(
                "subscription",
                &old,
                &subject,
                ("POST subscriptions", Method::POST, "subscriptions"),
                body,
            )
            .await;
        }
        if on_views > 0 && self.full {
            self.report.todo("subscriptions", "", "subscriptions to views", format!("{on_views} subscriptions to views are not re-created (view ids are not mapped): see metadata_tableau/subscriptions.json"));
        }
    }

    pub async fn extract_refresh_tasks(&mut self) {
        let entries: Vec<Value> = self.source.list("extract_refresh_tasks").await.to_vec();
        for e in entries {
            let task = e.get("extractRefresh").cloned().unwrap_or(e.clone());
            let old = text(&task, "id");
            let Some((kind, new)) = ["workbook", "datasource"].iter().find_map(|k| {
                let id = string_at(&task, &[k, "id"]);
                (!id.is_empty())
                    .then(|| self.mapped_target(k, &id).map(|n| (*k, n)))
                    .flatten()
            }) else {
                continue;
            };
            let kind_of_refresh = match text(&task, "type").as_str() {
                t @ ("FullRefresh" | "IncrementalRefresh") => t.to_string(),
                _ => "FullRefresh".to_string(),
            };
            let mut body = json!({"extractRefresh": {"type": kind_of_refresh, kind: {"id": new}}});
            if let Some(schedule) = task.get("schedule") {
                let mut s = json!({});
                for k in ["frequency", "frequencyDetails"] {
                    if let Some(v) = schedule.get(k) {
                        s[k] = v.clone();
                    }
                }
                body["schedule"] = s;
            }
            let name = format!("{kind} {new}");
            self.post(
                "extract-refresh-task",
                &old,
                &name,
                (
                    "POST tasks/extractRefreshes",
                    Method::POST,
                    "tasks/extractRefreshes",
                ),
                body,
            )
            .await;
        }
    }
}
