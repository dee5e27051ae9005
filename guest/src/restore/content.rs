//! Content items: each data source, flow and workbook published into its
//! project under its name (or as the mode says when the name is taken), then
//! given its owner, description, tags and `showTabs` back.

use http::Method;
use serde_json::{json, Value};

use super::publish::{self, Publish};
use super::Restore;
use crate::backup::content::ContentKind;
use crate::tableau::json::{lenient_string, string_at};
use crate::tableau::path_segment;
use crate::tableau_backup::backup::restore_types::{RestoreAction, RestoreMode};
use tableau_backup_model::manifest::Item;

/// The metadata file listing a kind.
pub fn metadata_file(kind: ContentKind) -> &'static str {
    kind.wrapper().0
}

fn ext(item: &Item) -> String {
    let last = item.key.rsplit('/').next().unwrap_or("");
    last.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

fn tags(meta: &Value) -> Vec<String> {
    let tag = meta.pointer("/tags/tag");
    let list = match tag {
        Some(Value::Array(a)) => a.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        _ => Vec::new(),
    };
    list.iter()
        .filter_map(|t| t.get("label").and_then(lenient_string))
        .collect()
}

/// `<name> (restored)`, `<name> (restored 2)`...
pub fn renamed(name: &str, n: u32) -> String {
    if n <= 1 {
        format!("{name} (restored)")
    } else {
        format!("{name} (restored {n})")
    }
}

impl Restore<'_> {
    /// Restores one stored item.
    pub async fn item(&mut self, kind: ContentKind, item: &Item) {
        let (_, singular) = kind.wrapper();
        let meta = self
            .source
            .by_id(metadata_file(kind), &item.id)
            .await
            .unwrap_or_else(|| json!({}));
        let old_project = if item.project_id.is_empty() {
            string_at(&meta, &["project", "id"])
        } else {
            item.project_id.clone()
        };
        if old_project.is_empty() {
            self.report.entry(
                singular,
                &item.id,
                "",
                &item.name,
                RestoreAction::Failed,
                "it was in no project (a personal space?): not restorable by the REST API",
            );
            return;
        }
        let Some(project) = self.project(&old_project).await else {
            self.report.entry(
                singular,
                &item.id,
                "",
                &item.name,
                RestoreAction::Failed,
                "its project could not be found or created on the target",
            );
            return;
        };
        // What to publish: the content file, or the stored revision asked for.
        let (key, size, sha256, what) = match self.revision {
            None => (item.key.clone(), item.size, item.sha256.clone(), String::new()),
            Some(n) => {
                match self
                    .source
                    .manifest
                    .revisions
                    .iter()
                    .find(|r| r.item_id == item.id && r.number == n && r.kind == item.kind)
                {
                    Some(r) => (r.key.clone(), r.size, r.sha256.clone(), format!("revision {n}: ")),
                    None => {
                        let kept: Vec<u32> = self
                            .source
                            .manifest
                            .revisions
                            .iter()
                            .filter(|r| r.item_id == item.id)
                            .map(|r| r.number)
                            .collect();
                        self.report.entry(singular, &item.id, "", &item.name, RestoreAction::Failed, format!("revision {n} is not in this backup (stored: {kept:?}; back up with --revisions)"));
                        return;
                    }
                }
            }
        };
        let existing = self
            .target
            .content
            .get(&(kind, project.clone(), item.name.clone()))
            .cloned();
        let mode = match (self.revision, self.mode) {
            // Publishing an old revision means replacing the current one.
            (Some(_), RestoreMode::SkipExisting) => RestoreMode::Overwrite,
            (_, m) => m,
        };
        let (name, overwrite, action) = match (&existing, mode) {
            (None, _) => (item.name.clone(), false, RestoreAction::Created),
            (Some(id), RestoreMode::SkipExisting) => {
                self.items.insert(item.id.clone(), id.clone());
                self.report.entry(
                    singular,
                    &item.id,
                    id,
                    &item.name,
                    RestoreAction::Skipped,
                    "already on the target (--mode overwrite or rename to publish it)",
                );
                return;
            }
            (Some(_), RestoreMode::Overwrite) => (item.name.clone(), true, RestoreAction::Overwritten),
            (Some(_), RestoreMode::Rename) => {
                let mut n = 1;
                while !self.target.free(kind, &project, &renamed(&item.name, n)) {
                    n += 1;
                }
                (renamed(&item.name, n), false, RestoreAction::Renamed)
            }
        };
        let detail = format!(
            "{what}{} into {}{}",
            crate::restore::human_bytes(size),
            self.project_path(&old_project),
            if name != item.name {
                format!(" as {name:?}")
            } else {
                String::new()
            }
        );
        if self.dry_run || super::projects::is_planned(&project) {
            self.report.entry(
                singular,
                &item.id,
                existing.as_deref().unwrap_or(""),
                &item.name,
                action,
                detail,
            );
            let planned = super::projects::planned(&item.id);
            self.target.content.insert((kind, project, name), planned.clone());
            self.published.insert(item.id.clone(), planned);
            return;
        }
        let mut payload = json!({singular: {"name": name, "project": {"id": project}}});
        if kind == ContentKind::Workbook {
            let show_tabs = meta
                .get("showTabs")
                .and_then(lenient_string)
                .is_some_and(|v| v == "true");
            payload[singular]["showTabs"] = Value::Bool(show_tabs);
        }
        let request = Publish {
            kind,
            key: self.source.key(&key),
            size,
            sha256,
            ext: ext(item),
            payload: &payload,
            name: &name,
            overwrite,
        };
        let new = match publish::publish(self.client, &request).await {
            Ok(id) => id,
            Err(e) => {
                self.report
                    .entry(singular, &item.id, "", &item.name, RestoreAction::Failed, e);
                return;
            }
        };
        self.target.content.insert((kind, project, name), new.clone());
        self.items.insert(item.id.clone(), new.clone());
        self.published.insert(item.id.clone(), new.clone());
        self.report
            .entry(singular, &item.id, &new, &item.name, action, detail);
        self.decorate(kind, &new, &item.name, &meta).await;
        self.connections_checklist(&item.id, &new, &item.name).await;
    }

    /// Owner, description and `showTabs` (one update), then tags.
    async fn decorate(&mut self, kind: ContentKind, new: &str, name: &str, meta: &Value) {
        let (segment, singular) = kind.wrapper();
        let mut update = json!({});
        let description = string_at(meta, &["description"]);
        if !description.is_empty() {
            update["description"] = Value::String(description);
        }
        if kind == ContentKind::Workbook {
            let show_tabs = string_at(meta, &["showTabs"]) == "true";
            update["showTabs"] = Value::Bool(show_tabs);
        }
        let owner = string_at(meta, &["owner", "id"]);
        if !owner.is_empty() {
            match self.user(&owner).await {
                Some(user) if user != self.client.user_id() => {
                    update["owner"] = json!({"id": user});
                }
                Some(_) => {}
                None => {
                    let owner_name = self.user_name(&owner).await;
                    self.report.todo("owner", new, name, format!("owner {owner_name} is not on the target: the item is owned by the restoring user; change the owner by hand"));
                }
            }
        }
        let rest = format!("{segment}/{}", path_segment(new));
        if update.as_object().is_some_and(|o| !o.is_empty()) {
            let body = json!({singular: update});
            let endpoint = format!("PUT {segment}/{{id}}");
            if let Err(e) = self
                .client
                .write_json(&endpoint, Method::PUT, &rest, &body, true)
                .await
            {
                self.report.todo(
                    singular,
                    new,
                    name,
                    format!("set owner, description and tabs by hand: {e}"),
                );
            }
        }
        let labels = tags(meta);
        if !labels.is_empty() {
            let tag: Vec<Value> = labels.iter().map(|l| json!({"label": l})).collect();
            let body = json!({"tags": {"tag": tag}});
            let endpoint = format!("PUT {segment}/{{id}}/tags");
            if let Err(e) = self
                .client
                .write_json(&endpoint, Method::PUT, &format!("{rest}/tags"), &body, true)
                .await
            {
                self.report.todo(
                    singular,
                    new,
                    name,
                    format!("add the tags {labels:?} by hand: {e}"),
                );
            }
        }
    }

    /// A user's name as the backup has it, for messages.
    pub async fn user_name(&mut self, old: &str) -> String {
        self.source
            .by_id("users", old)
            .await
            .map(|u| string_at(&u, &["name"]))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| old.to_string())
    }

    /// Credentials Tableau never returns: what to re-enter per connection.
    async fn connections_checklist(&mut self, old: &str, new: &str, name: &str) {
        let Some(entry) = self.source.by_id("connections", old).await else {
            return;
        };
        let list = match entry.get("connections") {
            Some(Value::Array(a)) => a.clone(),
            Some(Value::Object(o)) => match o.get("connection") {
                Some(Value::Array(a)) => a.clone(),
                Some(v) => vec![v.clone()],
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        for c in list {
            let server = string_at(&c, &["serverAddress"]);
            let port = string_at(&c, &["serverPort"]);
            let user = string_at(&c, &["userName"]);
            let auth = string_at(&c, &["authenticationType"]).to_ascii_lowercase();
            let embedded = string_at(&c, &["embedPassword"]) == "true";
            let at = if port.is_empty() {
                server.clone()
            } else {
                format!("{server}:{port}")
            };
            if auth.contains("oauth") {
                self.report.todo(
                    "connection",
                    new,
                    name,
                    format!("re-authorize the OAuth connection to {at} (user {user})"),
                );
            } else if embedded || !user.is_empty() {
                self.report.todo("connection", new, name, format!("re-enter the password of {user} for the connection to {at} (Tableau never returns passwords)"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_come_as_a_list_or_a_single_object() {
        assert_eq!(
            tags(&json!({"tags": {"tag": [{"label": "a"}, {"label": "b"}]}})),
            ["a", "b"]
        );
        assert_eq!(tags(&json!({"tags": {"tag": {"label": "a"}}})), ["a"]);
        assert!(tags(&json!({"tags": {}})).is_empty());
        assert_eq!(renamed("x", 1), "x (restored)");
        assert_eq!(renamed("x", 3), "x (restored 3)");
    }
}
