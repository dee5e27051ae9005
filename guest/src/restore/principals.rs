//! Users and groups: each of the backup's matched on the target by name, or,
//! with `create-principals`, created (users with their site role and auth
//! setting, groups with their minimum site role and members).

use http::Method;
use serde_json::{json, Value};

use super::projects::{is_planned, planned};
use super::Restore;
use crate::tableau::json::{lenient_string, string_at};
use crate::tableau::path_segment;
use crate::tableau_backup::backup::restore_types::RestoreAction;

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(lenient_string).unwrap_or_default()
}

impl Restore<'_> {
    /// The target's id of the backup's user `old`, creating the user when allowed.
    pub async fn user(&mut self, old: &str) -> Option<String> {
        if let Some(new) = self.users.get(old) {
            return new.clone();
        }
        let new = self.map_user(old).await;
        self.users.insert(old.to_string(), new.clone());
        new
    }

    async fn map_user(&mut self, old: &str) -> Option<String> {
        let user = self.source.by_id("users", old).await?;
        let name = text(&user, "name");
        if let Some(id) = self.target.user(&name) {
            let id = id.clone();
            self.report
                .entry("user", old, &id, &name, RestoreAction::Matched, "");
            return Some(id);
        }
        if !self.create_principals {
            self.report.entry(
                "user",
                old,
                "",
                &name,
                RestoreAction::Skipped,
                "not on the target (--create-principals creates it)",
            );
            self.report.todo(
                "user",
                old,
                &name,
                "not on the target site: add the user, then restore with --mode overwrite to give \
                 their items and permissions back",
            );
            return None;
        }
        let site_role = text(&user, "siteRole");
        let mut body = json!({"user": {"name": name, "siteRole": site_role}});
        let auth = text(&user, "authSetting");
        if !auth.is_empty() {
            body["user"]["authSetting"] = Value::String(auth);
        }
        if self.dry_run {
            self.report.entry(
                "user",
                old,
                "",
                &name,
                RestoreAction::Created,
                format!("site role {site_role}"),
            );
            return Some(planned(old));
        }
        match self
            .client
            .write_json("POST users", Method::POST, "users", &body, false)
            .await
        {
            Ok(resp) => {
                let id = string_at(&resp, &["user", "id"]);
                self.target.users.insert(name.to_lowercase(), id.clone());
                self.report.entry(
                    "user",
                    old,
                    &id,
                    &name,
                    RestoreAction::Created,
                    format!("site role {site_role}"),
                );
                self.report.todo(
                    "user",
                    &id,
                    &name,
                    "created by the restore: the user signs in with their identity provider or \
                     Tableau ID; passwords and personal access tokens cannot be restored",
                );
                Some(id)
            }
            Err(e) => {
                self.report
                    .entry("user", old, "", &name, RestoreAction::Failed, e.to_string());
                None
            }
        }
    }

    /// The target's id of the backup's group `old`, creating it (and adding its
    /// members) when allowed.
    pub async fn group(&mut self, old: &str) -> Option<String> {
        if let Some(new) = self.groups.get(old) {
            return new.clone();
        }
        let new = self.map_group(old).await;
        self.groups.insert(old.to_string(), new.clone());
        new
    }

    async fn map_group(&mut self, old: &str) -> Option<String> {
        let group = self.source.by_id("groups", old).await?;
        let name = text(&group, "name");
        if let Some(id) = self.target.groups.get(&name) {
            let id = id.clone();
            self.report
                .entry("group", old, &id, &name, RestoreAction::Matched, "");
            return Some(id);
        }
        if !self.create_principals {
            self.report.entry(
                "group",
                old,
                "",
                &name,
                RestoreAction::Skipped,
                "not on the target (--create-principals creates it)",
            );
            self.report.todo(
                "group",
                old,
                &name,
                "not on the target site: its permission rules were not applied",
            );
            return None;
        }
        let mut body = json!({"group": {"name": name}});
        let role = text(&group, "minimumSiteRole");
        if !role.is_empty() {
            body["group"]["minimumSiteRole"] = Value::String(role);
        }
        let new = if self.dry_run {
            Some(planned(old))
        } else {
            match self
                .client
                .write_json("POST groups", Method::POST, "groups", &body, false)
                .await
            {
                Ok(resp) => Some(string_at(&resp, &["group", "id"])),
                Err(e) => {
                    self.report
                        .entry("group", old, "", &name, RestoreAction::Failed, e.to_string());
                    return None;
                }
            }
        };
        let members: Vec<String> = group
            .get("members")
            .and_then(Value::as_array)
            .map(|m| m.iter().map(|u| text(u, "id")).collect())
            .unwrap_or_default();
        let mut added = 0;
        for member in &members {
            let Some(user) = Box::pin(self.user(member)).await else {
                continue;
            };
            let Some(gid) = new.as_ref().filter(|g| !is_planned(g)) else {
                continue;
            };
            let rest = format!("groups/{}/users", path_segment(gid));
            let body = json!({"user": {"id": user}});
            match self
                .client
                .write_json("POST groups/{id}/users", Method::POST, &rest, &body, false)
                .await
            {
                Ok(_) => added += 1,
                Err(e) => self
                    .report
                    .todo("group", gid, &name, format!("add member {user}: {e}")),
            }
        }
        let id = new.clone().filter(|g| !is_planned(g)).unwrap_or_default();
        if let Some(gid) = &new {
            self.target.groups.insert(name.clone(), gid.clone());
        }
        self.report.entry(
            "group",
            old,
            &id,
            &name,
            RestoreAction::Created,
            format!("{added} of {} members added", members.len()),
        );
        new
    }

    /// Every user and group of the backup (a whole-site restore).
    pub async fn all_principals(&mut self) {
        let users: Vec<String> = self
            .source
            .list("users")
            .await
            .iter()
            .map(|u| text(u, "id"))
            .collect();
        for u in users {
            self.user(&u).await;
        }
        let groups: Vec<String> = self
            .source
            .list("groups")
            .await
            .iter()
            .map(|g| text(g, "id"))
            .collect();
        for g in groups {
            self.group(&g).await;
        }
    }
}
