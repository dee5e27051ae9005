//! What the target site already has: projects, users, groups and content,
//! read once before anything is written, and kept up to date as the restore
//! creates things.

use std::collections::HashMap;

use serde_json::Value;

use crate::backup::content::ContentKind;
use crate::tableau::client::Client;
use crate::tableau::http::ApiError;
use crate::tableau::json::{lenient_string, string_at};
use crate::tableau::pager::Pager;

/// A project path: names from the top level down.
pub type Path = Vec<String>;

#[derive(Default)]
pub struct Target {
    /// Project id by path.
    pub projects: HashMap<Path, String>,
    /// User id by lower-case name (Tableau user names are case-insensitive).
    pub users: HashMap<String, String>,
    /// Group id by name.
    pub groups: HashMap<String, String>,
    /// Content id by (kind, project id, name).
    pub content: HashMap<(ContentKind, String, String), String>,
}

fn id(v: &Value) -> String {
    v.get("id").and_then(lenient_string).unwrap_or_default()
}

fn name(v: &Value) -> String {
    v.get("name").and_then(lenient_string).unwrap_or_default()
}

/// Paths of projects given as (id, name, parent id), parents resolved through the list;
/// a project whose parent is missing (or a cycle) is placed at the top.
pub fn paths(projects: &[(String, String, String)]) -> HashMap<String, Path> {
    let by_id: HashMap<&str, (&str, &str)> = projects
        .iter()
        .map(|(i, n, p)| (i.as_str(), (n.as_str(), p.as_str())))
        .collect();
    let mut out = HashMap::new();
    for (pid, _, _) in projects {
        let mut path = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut at = pid.as_str();
        while let Some((n, parent)) = by_id.get(at) {
            if !seen.insert(at) {
                break;
            }
            path.push(n.to_string());
            if parent.is_empty() {
                break;
            }
            at = parent;
        }
        path.reverse();
        out.insert(pid.clone(), path);
    }
    out
}

impl Target {
    pub async fn read(client: &Client, page_size: u32, kinds: &[ContentKind]) -> Result<Target, ApiError> {
        let mut t = Target::default();
        let projects = Pager::new(
            client,
            "GET projects",
            "projects",
            ("projects", "project"),
            page_size,
        )
        .collect_all()
        .await?;
        let rows: Vec<(String, String, String)> = projects
            .iter()
            .map(|p| (id(p), name(p), string_at(p, &["parentProjectId"])))
            .collect();
        for (pid, path) in paths(&rows) {
            t.projects.insert(path, pid);
        }
        for u in Pager::new(client, "GET users", "users", ("users", "user"), page_size)
            .collect_all()
            .await?
        {
            t.users.insert(name(&u).to_lowercase(), id(&u));
        }
        for g in Pager::new(client, "GET groups", "groups", ("groups", "group"), page_size)
            .collect_all()
            .await?
        {
            t.groups.insert(name(&g), id(&g));
        }
        for &kind in kinds {
            let (outer, inner) = kind.wrapper();
            let endpoint = format!("GET {outer}");
            for item in Pager::new(client, endpoint, outer, (outer, inner), page_size)
                .collect_all()
                .await?
            {
                let project = string_at(&item, &["project", "id"]);
                t.content.insert((kind, project, name(&item)), id(&item));
            }
        }
        Ok(t)
    }

    pub fn user(&self, name: &str) -> Option<&String> {
        self.users.get(&name.to_lowercase())
    }

    /// Whether `name` is free in the project for this kind.
    pub fn free(&self, kind: ContentKind, project: &str, name: &str) -> bool {
        !self
            .content
            .contains_key(&(kind, project.to_string(), name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_paths_with_the_same_names_stay_apart() {
        let row = |i: &str, n: &str, p: &str| (i.to_string(), n.to_string(), p.to_string());
        let got = paths(&[
            row("a", "Sales", ""),
            row("b", "Reports", "a"),
            row("c", "Finance", ""),
            row("d", "Reports", "c"),
            row("e", "Orphan", "gone"),
            row("x", "Loop", "y"),
            row("y", "Loop2", "x"),
        ]);
        assert_eq!(got["b"], ["Sales", "Reports"]);
        assert_eq!(got["d"], ["Finance", "Reports"]);
        assert_eq!(got["e"], ["Orphan"]);
        assert_eq!(got["x"], ["Loop2", "Loop"], "a cycle is cut where it closes");
    }
}
