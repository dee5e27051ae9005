//! What the lists teach the kinds read after them (favorites need the users,
//! permissions the projects, content and views), and how those kinds list what
//! an earlier list of this run did not (`--kinds permissions` alone).

use serde_json::Value;

use super::content::{ContentItem, ContentKind};
use super::Ctx;
use crate::tableau::http::ApiError;
use crate::tableau::json::string_at;
use crate::tableau::pager::Pager;

/// A listed object: its id and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    pub id: String,
    pub name: String,
}

impl Ref {
    pub fn from_json(v: &Value) -> Ref {
        Ref {
            id: string_at(v, &["id"]),
            name: string_at(v, &["name"]),
        }
    }
}

/// A project and its permission mode.
#[derive(Debug, Clone)]
pub struct ProjectRef {
    pub id: String,
    pub name: String,
    /// `ManagedByOwner`, `LockedToProject`, `LockedToProjectWithoutNested`.
    pub content_permissions: String,
}

/// A view and where it lives.
#[derive(Debug, Clone)]
pub struct ViewRef {
    pub id: String,
    pub name: String,
    pub project_id: String,
}

/// A custom view and the view it customizes.
#[derive(Debug, Clone)]
pub struct CustomViewRef {
    pub id: String,
    pub name: String,
    pub view_id: String,
    pub workbook_id: String,
}

/// What one list teaches the later kinds. `None`: not listed in this run yet.
#[derive(Default)]
pub struct Found {
    pub users: Option<Vec<Ref>>,
    pub projects: Option<Vec<ProjectRef>>,
    pub virtual_connections: Option<Vec<Ref>>,
    pub views: Option<Vec<ViewRef>>,
    pub custom_views: Option<Vec<CustomViewRef>>,
    /// Workbooks, data sources and flows to download, in listing order.
    pub content: Vec<ContentItem>,
    /// The content lists that ran (their items are in `content`).
    pub content_listed: Vec<ContentKind>,
    /// Items of content lists that did not run, listed for the per-item kinds only.
    pub content_index: Vec<ContentItem>,
    /// The kinds in `content_index`.
    pub content_indexed: Vec<ContentKind>,
    pub site_name: Option<String>,
    /// Filled by the revisions list, read by the revision bytes.
    pub revisions: Vec<super::revisions::RevisionRef>,
}

impl ProjectRef {
    pub fn from_json(v: &Value) -> ProjectRef {
        ProjectRef {
            id: string_at(v, &["id"]),
            name: string_at(v, &["name"]),
            content_permissions: string_at(v, &["contentPermissions"]),
        }
    }

    /// Whether items in it may carry rules of their own (views included).
    pub fn unlocked(&self) -> bool {
        !self.content_permissions.starts_with("LockedToProject")
    }
}

impl ViewRef {
    pub fn from_json(v: &Value) -> ViewRef {
        ViewRef {
            id: string_at(v, &["id"]),
            name: string_at(v, &["name"]),
            project_id: string_at(v, &["project", "id"]),
        }
    }
}

impl CustomViewRef {
    pub fn from_json(v: &Value) -> CustomViewRef {
        CustomViewRef {
            id: string_at(v, &["id"]),
            name: string_at(v, &["name"]),
            view_id: string_at(v, &["view", "id"]),
            workbook_id: string_at(v, &["workbook", "id"]),
        }
    }
}

/// Every item of a list, read only to learn ids (Tableau's default fields).
async fn list_all(
    ctx: &Ctx<'_>,
    path: &str,
    wrap: (&'static str, &'static str),
) -> Result<Vec<Value>, ApiError> {
    let mut p = Pager::new(ctx.client, format!("GET {path}"), path, wrap, ctx.page_size);
    if path != "virtualConnections" {
        p = p.sorted("createdAt:asc");
    }
    p.collect_all().await
}

impl Found {
    /// The users, listed now if the users list did not run.
    pub async fn users(&mut self, ctx: &Ctx<'_>) -> Result<Vec<Ref>, ApiError> {
        if self.users.is_none() {
            let all = Pager::new(ctx.client, "GET users", "users", ("users", "user"), ctx.page_size)
                .sorted("name:asc")
                .collect_all()
                .await?;
            self.users = Some(all.iter().map(Ref::from_json).collect());
        }
        Ok(self.users.clone().unwrap_or_default())
    }

    pub async fn projects(&mut self, ctx: &Ctx<'_>) -> Result<Vec<ProjectRef>, ApiError> {
        if self.projects.is_none() {
            let all = list_all(ctx, "projects", ("projects", "project")).await?;
            self.projects = Some(all.iter().map(ProjectRef::from_json).collect());
        }
        Ok(self.projects.clone().unwrap_or_default())
    }

    pub async fn virtual_connections(&mut self, ctx: &Ctx<'_>) -> Result<Vec<Ref>, ApiError> {
        if self.virtual_connections.is_none() {
            let all = list_all(
                ctx,
                "virtualConnections",
                ("virtualConnections", "virtualConnection"),
            )
            .await?;
            self.virtual_connections = Some(all.iter().map(Ref::from_json).collect());
        }
        Ok(self.virtual_connections.clone().unwrap_or_default())
    }

    pub async fn views(&mut self, ctx: &Ctx<'_>) -> Result<Vec<ViewRef>, ApiError> {
        if self.views.is_none() {
            let all = list_all(ctx, "views", ("views", "view")).await?;
            self.views = Some(all.iter().map(ViewRef::from_json).collect());
        }
        Ok(self.views.clone().unwrap_or_default())
    }

    pub async fn custom_views(&mut self, ctx: &Ctx<'_>) -> Result<Vec<CustomViewRef>, ApiError> {
        if self.custom_views.is_none() {
            let all = Pager::new(
                ctx.client,
                "GET customviews",
                "customviews",
                ("customViews", "customView"),
                ctx.page_size,
            )
            .collect_all()
            .await?;
            self.custom_views = Some(all.iter().map(CustomViewRef::from_json).collect());
        }
        Ok(self.custom_views.clone().unwrap_or_default())
    }

    /// Every item of a content kind, listed now if its list did not run.
    pub async fn items(&mut self, ctx: &Ctx<'_>, kind: ContentKind) -> Result<Vec<ContentItem>, ApiError> {
        if self.content_listed.contains(&kind) {
            return Ok(self.content.iter().filter(|i| i.kind == kind).cloned().collect());
        }
        if !self.content_indexed.contains(&kind) {
            self.content_indexed.push(kind);
            let (outer, inner) = kind.wrapper();
            let all = list_all(ctx, outer, (outer, inner)).await?;
            self.content_index
                .extend(all.iter().map(|v| ContentItem::from_json(kind, v)));
        }
        Ok(self
            .content_index
            .iter()
            .filter(|i| i.kind == kind)
            .cloned()
            .collect())
    }
}
