//! The catalog: what the site holds, for tests to compare a backup against.

use std::collections::HashSet;

use serde::Serialize;

use super::alerts::{data_alert, DataAlert};
use super::catalog_extras::{
    CatalogConnection, CatalogCustomView, CatalogProject, CatalogRevision, CatalogView,
};
use super::catalog_perms::{DefaultPermissionRule, PermissionRule};
use super::dqw::{self, QualityWarning};
use super::flow_tasks::{flow_task, FlowTask};
use super::model::{ContentKind, ListKind};
use super::perms::Resource;
use super::webhooks::{webhook, Webhook};
use super::Site;

/// What the site holds, for tests to compare a backup against.
#[derive(Clone, Debug, Serialize)]
pub struct Catalog {
    pub site_id: String,
    pub site_content_url: String,
    /// The LUID of the user every PAT signs in as (a site administrator).
    pub user_id: String,
    pub items: Vec<CatalogItem>,
    pub counts: Counts,
    pub projects: Vec<CatalogProject>,
    pub views: Vec<CatalogView>,
    /// Every explicit rule (projects, workbooks, data sources, flows, virtual connections,
    /// and views in unlocked projects), one capability each.
    pub permissions: Vec<PermissionRule>,
    /// Every project's default rules for the types the site serves.
    pub default_permissions: Vec<DefaultPermissionRule>,
    /// Default-permission types the site does not serve (they answer 404003).
    pub unserved_default_permissions: Vec<String>,
    pub revisions: Vec<CatalogRevision>,
    pub connections: Vec<CatalogConnection>,
    pub custom_views: Vec<CatalogCustomView>,
    /// Data alerts with their recipients.
    pub data_alerts: Vec<DataAlert>,
    pub webhooks: Vec<Webhook>,
    pub flow_tasks: Vec<FlowTask>,
    pub data_quality_warnings: Vec<QualityWarning>,
    /// Ids the paging-drift fault deleted (no longer anywhere above).
    pub removed: Vec<String>,
}

/// One workbook, data source or flow.
#[derive(Clone, Debug, Serialize)]
pub struct CatalogItem {
    pub kind: ContentKind,
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub content_url: String,
    pub updated_at: String,
    pub has_extracts: bool,
    /// File extension of a download with `includeExtract=true` (the default).
    pub ext: String,
    pub size: u64,
    pub ext_without_extract: String,
    pub size_without_extract: u64,
    /// False when the missing-content fault makes its download 404.
    pub downloadable: bool,
}

/// Sizes of every list.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub projects: usize,
    pub users: usize,
    pub groups: usize,
    /// Sum over groups of their members (including "All Users").
    pub group_members: usize,
    pub workbooks: usize,
    pub datasources: usize,
    pub flows: usize,
    pub subscriptions: usize,
    pub custom_views: usize,
    /// Sum over users of their favorites.
    pub favorites: usize,
    pub extract_refresh_tasks: usize,
    pub virtual_connections: usize,
    pub views: usize,
    pub data_alerts: usize,
    pub webhooks: usize,
    pub flow_run_tasks: usize,
    pub data_quality_warnings: usize,
}

impl Catalog {
    pub fn item(&self, id: &str) -> Option<&CatalogItem> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn of_kind(&self, kind: ContentKind) -> impl Iterator<Item = &CatalogItem> {
        self.items.iter().filter(move |i| i.kind == kind)
    }

    /// Explicit rules on one resource.
    pub fn rules_on(&self, resource: Resource, id: &str) -> Vec<&PermissionRule> {
        self.permissions
            .iter()
            .filter(|r| r.resource == resource && r.resource_id == id)
            .collect()
    }

    /// Revisions of one item, oldest first.
    pub fn revisions_of(&self, item_id: &str) -> Vec<&CatalogRevision> {
        self.revisions.iter().filter(|r| r.item_id == item_id).collect()
    }

    /// Connections of one item.
    pub fn connections_of(&self, item_id: &str) -> Vec<&CatalogConnection> {
        self.connections.iter().filter(|c| c.item_id == item_id).collect()
    }
}

impl Site {
    pub fn catalog(&self, missing: &HashSet<String>) -> Catalog {
        let mut items = Vec::new();
        for k in ContentKind::ALL {
            for i in 0..self.count(k.list()) {
                let c = self.content(k, i);
                if self.is_removed(&c.id) {
                    continue;
                }
                items.push(CatalogItem {
                    kind: k,
                    downloadable: !missing.contains(&c.id),
                    id: c.id,
                    name: c.name,
                    project_id: c.project_id,
                    content_url: c.content_url,
                    updated_at: c.updated_at,
                    has_extracts: c.has_extracts,
                    ext: c.files.ext.to_string(),
                    size: c.files.size,
                    ext_without_extract: c.files.ext_no_extract.to_string(),
                    size_without_extract: c.files.size_no_extract,
                });
            }
        }
        // Lists as clients see them: without what the drift fault deleted.
        let live = |k: ListKind, key: &str| self.count(k) - self.removed_indices(key).len();
        let users = self.count(ListKind::Users);
        let groups = self.count(ListKind::Groups);
        let views = self.catalog_views();
        let (revisions, connections) = self.catalog_history();
        let x = &self.extras;
        let data_alerts: Vec<DataAlert> = (0..x.data_alerts)
            .map(|i| data_alert(self, i))
            .filter(|a| !self.is_removed(&a.id))
            .collect();
        let data_quality_warnings: Vec<QualityWarning> = dqw::all(self)
            .into_iter()
            .filter(|w| !self.is_removed(&w.content_id))
            .collect();
        let counts = Counts {
            projects: live(ListKind::Projects, "projects"),
            users: live(ListKind::Users, "users"),
            groups: live(ListKind::Groups, "groups"),
            group_members: (0..groups).map(|g| self.members(g).len()).sum(),
            workbooks: items.iter().filter(|i| i.kind == ContentKind::Workbook).count(),
            datasources: items.iter().filter(|i| i.kind == ContentKind::Datasource).count(),
            flows: items.iter().filter(|i| i.kind == ContentKind::Flow).count(),
            subscriptions: live(ListKind::Subscriptions, "subscriptions"),
            custom_views: live(ListKind::CustomViews, "customViews"),
            favorites: (0..users).map(|u| self.favorites(u).len()).sum(),
            extract_refresh_tasks: self.count(ListKind::Tasks),
            virtual_connections: live(ListKind::VirtualConnections, "virtualConnections"),
            views: views.len(),
            data_alerts: data_alerts.len(),
            webhooks: x.webhooks,
            flow_run_tasks: x.flow_tasks,
            data_quality_warnings: data_quality_warnings.len(),
        };
        let info = self.info();
        Catalog {
            site_id: info.id.clone(),
            site_content_url: info.content_url.clone(),
            user_id: self.admin().id,
            items,
            counts,
            projects: self.catalog_projects(),
            views,
            permissions: self.permission_rules(),
            default_permissions: self.default_permission_rules(),
            unserved_default_permissions: x.unserved.clone(),
            revisions,
            connections,
            custom_views: self.catalog_custom_views(),
            data_alerts,
            webhooks: (0..x.webhooks).map(|i| webhook(self, i)).collect(),
            flow_tasks: (0..x.flow_tasks).map(|i| flow_task(self, i)).collect(),
            data_quality_warnings,
            removed: self.removed_ids(),
        }
    }
}
