//! Permission rules: the explicit rules of restored projects, data sources,
//! flows and workbooks, and the default permissions of restored projects,
//! applied with every grantee remapped to the target's user or group. A rule
//! whose grantee is not on the target is listed, never given to someone else.

use http::Method;
use serde_json::{json, Value};

use super::Restore;
use crate::tableau::json::{lenient_string, string_at};
use crate::tableau::path_segment;
use crate::tableau_backup::backup::restore_types::RestoreAction;

/// `x` or `[x, ...]` as a list.
fn as_list(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::Array(a)) => a.clone(),
        Some(v @ Value::Object(_)) => vec![v.clone()],
        _ => Vec::new(),
    }
}

/// The `granteeCapabilities` of a permissions block (wrapped or not).
fn grantees(block: &Value) -> Vec<Value> {
    let inner = block.get("permissions").unwrap_or(block);
    as_list(inner.get("granteeCapabilities"))
}

fn segment(kind: &str) -> Option<&'static str> {
    match kind {
        "project" => Some("projects"),
        "workbook" => Some("workbooks"),
        "datasource" => Some("datasources"),
        "flow" => Some("flows"),
        _ => None,
    }
}

impl Restore<'_> {
    /// The rules with grantees remapped; missing grantees go to the checklist.
    async fn remap(&mut self, rules: Vec<Value>, on: &str, name: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for rule in rules {
            let caps = as_list(rule.pointer("/capabilities/capability"));
            let caps: Vec<Value> = caps
                .iter()
                .map(|c| json!({"name": string_at(c, &["name"]), "mode": string_at(c, &["mode"])}))
                .collect();
            if caps.is_empty() {
                continue;
            }
            let (who, old) = if let Some(u) = rule.get("user") {
                ("user", u.get("id").and_then(lenient_string).unwrap_or_default())
            } else if let Some(g) = rule.get("group") {
                ("group", g.get("id").and_then(lenient_string).unwrap_or_default())
            } else {
                continue;
            };
            let new = if who == "user" {
                self.user(&old).await
            } else {
                self.group(&old).await
            };
            match new {
                Some(id) => out.push(json!({who: {"id": id}, "capabilities": {"capability": caps}})),
                None => {
                    let grantee = if who == "user" {
                        self.user_name(&old).await
                    } else {
                        self.group_name(&old).await
                    };
                    self.report.todo(
                        "permission",
                        on,
                        name,
                        format!(
                            "{} rules of {who} {grantee} not applied: not on the target",
                            caps.len()
                        ),
                    );
                }
            }
        }
        out
    }

    async fn group_name(&mut self, old: &str) -> String {
        self.source
            .by_id("groups", old)
            .await
            .map(|g| string_at(&g, &["name"]))
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| old.to_string())
    }

    async fn put_rules(
        &mut self,
        kind: &str,
        old: &str,
        new: &str,
        name: &str,
        rest: String,
        rules: Vec<Value>,
    ) {
        let count: usize = rules
            .iter()
            .map(|r| as_list(r.pointer("/capabilities/capability")).len())
            .sum();
        if rules.is_empty() {
            return;
        }
        let detail = format!("{count} rules for {} grantees", rules.len());
        if self.dry_run {
            self.report
                .entry(kind, old, new, name, RestoreAction::Created, detail);
            return;
        }
        let body = json!({"permissions": {"granteeCapabilities": rules}});
        let endpoint = format!("PUT {}", kind_endpoint(&rest));
        match self
            .client
            .write_json(&endpoint, Method::PUT, &rest, &body, true)
            .await
        {
            Ok(_) => self
                .report
                .entry(kind, old, new, name, RestoreAction::Created, detail),
            Err(e) => self
                .report
                .entry(kind, old, new, name, RestoreAction::Failed, e.to_string()),
        }
    }

    /// Explicit rules of everything this restore published or selected.
    pub async fn permissions(&mut self) {
        let entries: Vec<Value> = self.source.list("permissions").await.to_vec();
        for e in entries {
            let kind = string_at(&e, &["type"]);
            let old = string_at(&e, &["id"]);
            let name = string_at(&e, &["name"]);
            let new = match kind.as_str() {
                "project" if self.selected_projects.contains(&old) => {
                    self.projects.get(&old).cloned().flatten()
                }
                "project" => None,
                _ => self.published.get(&old).cloned(),
            };
            let (Some(new), Some(seg)) = (new, segment(&kind)) else {
                if !matches!(kind.as_str(), "project" | "workbook" | "datasource" | "flow") && self.full {
                    let n = grantees(e.get("permissions").unwrap_or(&Value::Null)).len();
                    if n > 0 {
                        self.report.todo("permission", &old, &name, format!("{n} explicit rules of {kind} {name:?} are not restored: re-create them by hand"));
                    }
                }
                continue;
            };
            if super::projects::is_planned(&new) && !self.dry_run {
                continue;
            }
            let rules = grantees(e.get("permissions").unwrap_or(&Value::Null));
            let rules = self.remap(rules, &new, &name).await;
            let rest = format!("{seg}/{}/permissions", path_segment(&new));
            self.put_rules("permissions", &old, &new, &name, rest, rules)
                .await;
        }
    }

    /// Default permissions of the selected projects, per content type.
    pub async fn default_permissions(&mut self) {
        let entries: Vec<Value> = self.source.list("default_permissions").await.to_vec();
        for e in entries {
            let old = string_at(&e, &["id"]);
            if !self.selected_projects.contains(&old) {
                continue;
            }
            let Some(new) = self.projects.get(&old).cloned().flatten() else {
                continue;
            };
            let name = string_at(&e, &["name"]);
            let Some(Value::Object(per_type)) = e.get("defaultPermissions") else {
                continue;
            };
            for (content_type, block) in per_type.clone() {
                let rules = self.remap(grantees(&block), &new, &name).await;
                let rest = format!(
                    "projects/{}/default-permissions/{}",
                    path_segment(&new),
                    path_segment(&content_type)
                );
                let label = format!("{name} ({content_type})");
                self.put_rules("default-permissions", &old, &new, &label, rest, rules)
                    .await;
            }
        }
    }
}

/// `projects/{id}/permissions` for logs: ids replaced.
fn kind_endpoint(rest: &str) -> String {
    let parts: Vec<&str> = rest.split('/').collect();
    parts
        .iter()
        .enumerate()
        .map(|(i, p)| if i == 1 { "{id}" } else { p })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grantees_are_read_wrapped_or_not_and_one_or_many() {
        let one = json!({"granteeCapabilities": {"user": {"id": "u"}, "capabilities": {"capability": {"name": "Read", "mode": "Allow"}}}});
        assert_eq!(grantees(&one).len(), 1);
        let wrapped =
            json!({"permissions": {"granteeCapabilities": [{"group": {"id": "g"}}, {"user": {"id": "u"}}]}});
        assert_eq!(grantees(&wrapped).len(), 2);
        assert_eq!(
            kind_endpoint("projects/abc/default-permissions/workbooks"),
            "projects/{id}/default-permissions/workbooks"
        );
    }
}
