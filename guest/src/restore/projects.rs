//! The project tree: each project of the backup is found on the target by its
//! path (names from the top down, so `Sales/Reports` and `Finance/Reports` stay
//! apart), mapped with `project-map`, or created parent first with its
//! description and `contentPermissions`.

use http::Method;
use serde_json::{json, Value};

use super::target::{paths, Path};
use super::Restore;
use crate::tableau::json::{lenient_string, string_at};
use crate::tableau::path_segment;
use crate::tableau_backup::backup::restore_types::RestoreAction;

/// Id given to something a dry run would create, so what goes into it can be
/// planned: unique per backup id, never sent to Tableau.
pub fn planned(old: &str) -> String {
    format!("(planned {old})")
}

pub fn is_planned(id: &str) -> bool {
    id.starts_with("(planned ")
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(lenient_string).unwrap_or_default()
}

/// `a/b/c` as a path; empty parts are dropped.
pub fn parse_path(s: &str) -> Path {
    s.split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn show(path: &Path) -> String {
    path.join("/")
}

/// Backup projects by id, with their paths.
#[derive(Default)]
pub struct Tree {
    pub by_id: std::collections::HashMap<String, Value>,
    pub paths: std::collections::HashMap<String, Path>,
}

impl Tree {
    pub fn new(projects: &[Value]) -> Tree {
        let rows: Vec<(String, String, String)> = projects
            .iter()
            .map(|p| (text(p, "id"), text(p, "name"), text(p, "parentProjectId")))
            .collect();
        Tree {
            by_id: projects.iter().map(|p| (text(p, "id"), p.clone())).collect(),
            paths: paths(&rows),
        }
    }

    /// Ids of the projects whose path is `path` or below it.
    pub fn under(&self, path: &Path) -> Vec<String> {
        self.paths
            .iter()
            .filter(|(_, p)| p.starts_with(path))
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// `id` and its ancestors, top first.
    pub fn chain(&self, id: &str) -> Vec<String> {
        let mut out = vec![id.to_string()];
        let mut at = id.to_string();
        while let Some(p) = self.by_id.get(&at) {
            let parent = text(p, "parentProjectId");
            if parent.is_empty() || out.contains(&parent) || !self.by_id.contains_key(&parent) {
                break;
            }
            out.push(parent.clone());
            at = parent;
        }
        out.reverse();
        out
    }
}

impl Restore<'_> {
    /// The backup path `path` as it is to be on the target (`project-map` applied).
    pub fn mapped(&self, path: &Path) -> Path {
        for (old, new) in &self.project_map {
            if path.starts_with(old) {
                let mut out = new.clone();
                out.extend_from_slice(&path[old.len()..]);
                return out;
            }
        }
        path.clone()
    }

    /// The target id of the backup's project `old`, creating it (and its parents)
    /// when the target lacks it. `None` when it could not be made.
    pub async fn project(&mut self, old: &str) -> Option<String> {
        if let Some(new) = self.projects.get(old) {
            return new.clone();
        }
        let mut made = None;
        for id in self.tree.chain(old) {
            made = match self.projects.get(&id) {
                Some(new) => new.clone(),
                None => {
                    let new = self.ensure_project(&id).await;
                    self.projects.insert(id.clone(), new.clone());
                    new
                }
            };
            if made.is_none() {
                break;
            }
        }
        self.projects.insert(old.to_string(), made.clone());
        made
    }

    async fn ensure_project(&mut self, old: &str) -> Option<String> {
        let Some(p) = self.tree.by_id.get(old).cloned() else {
            self.report.todo(
                "project",
                old,
                "",
                "the backup has no record of this project (projects not backed up?): its content was not restored",
            );
            return None;
        };
        let path = self.mapped(&self.tree.paths[old].clone());
        let shown = show(&path);
        let selected = self.selected_projects.contains(old);
        if let Some(id) = self.target.projects.get(&path).cloned() {
            if selected && !self.dry_run {
                self.update_project(&id, &p, &shown).await;
            }
            self.report
                .entry("project", old, &id, &shown, RestoreAction::Matched, "");
            return Some(id);
        }
        let parent = if path.len() > 1 {
            let parent_path = path[..path.len() - 1].to_vec();
            match self.target.projects.get(&parent_path) {
                Some(id) => Some(id.clone()),
                None => {
                    self.report.entry(
                        "project",
                        old,
                        "",
                        &shown,
                        RestoreAction::Failed,
                        format!("its parent {} is not on the target", show(&parent_path)),
                    );
                    return None;
                }
            }
        } else {
            None
        };
        let mut body = json!({"project": {
            "name": path.last().cloned().unwrap_or_default(),
            "description": text(&p, "description"),
        }});
        let perms = text(&p, "contentPermissions");
        if !perms.is_empty() {
            body["project"]["contentPermissions"] = Value::String(perms);
        }
        if let Some(parent) = &parent {
            body["project"]["parentProjectId"] = Value::String(parent.clone());
        }
        if self.dry_run || parent.as_deref().is_some_and(is_planned) {
            self.target.projects.insert(path, planned(old));
            self.report
                .entry("project", old, "", &shown, RestoreAction::Created, "");
            return Some(planned(old));
        }
        match self
            .client
            .write_json("POST projects", Method::POST, "projects", &body, false)
            .await
        {
            Ok(resp) => {
                let id = string_at(&resp, &["project", "id"]);
                self.target.projects.insert(path, id.clone());
                self.report
                    .entry("project", old, &id, &shown, RestoreAction::Created, "");
                Some(id)
            }
            Err(e) => {
                self.report
                    .entry("project", old, "", &shown, RestoreAction::Failed, e.to_string());
                None
            }
        }
    }

    /// A selected project that already exists gets the backup's description
    /// and `contentPermissions`.
    async fn update_project(&mut self, id: &str, p: &Value, shown: &str) {
        let mut body = json!({"project": {"description": text(p, "description")}});
        let perms = text(p, "contentPermissions");
        if !perms.is_empty() {
            body["project"]["contentPermissions"] = Value::String(perms);
        }
        let rest = format!("projects/{}", path_segment(id));
        if let Err(e) = self
            .client
            .write_json("PUT projects/{id}", Method::PUT, &rest, &body, true)
            .await
        {
            self.report.todo(
                "project",
                id,
                shown,
                format!("set the description and content permissions by hand ({e})"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_and_chains_run_top_down() {
        assert_eq!(parse_path("/Sales//Reports/"), ["Sales", "Reports"]);
        let p = |i: &str, n: &str, parent: &str| json!({"id": i, "name": n, "parentProjectId": parent});
        let tree = Tree::new(&[p("a", "Sales", ""), p("b", "Reports", "a"), p("c", "Q1", "b")]);
        assert_eq!(tree.chain("c"), ["a", "b", "c"]);
        let mut under = tree.under(&parse_path("Sales/Reports"));
        under.sort();
        assert_eq!(under, ["b", "c"]);
    }
}
