//! The catalog's other records: projects with their permission mode, views, revisions,
//! connections and custom view definitions.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::connections::{connections, Connection};
use super::cvdef::definition;
use super::model::{ContentKind, ListKind};
use super::revisions::{revisions, Revision};
use super::Site;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CatalogProject {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    /// `ManagedByOwner`, `LockedToProject` or `LockedToProjectWithoutNested`.
    pub content_permissions: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CatalogView {
    pub id: String,
    pub name: String,
    pub workbook_id: String,
    pub project_id: String,
}

/// A revision of a workbook or data source. Its bytes: [`crate::Sim::revision_content`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CatalogRevision {
    pub kind: ContentKind,
    pub item_id: String,
    /// Extension of its download with the extract.
    pub ext: String,
    #[serde(flatten)]
    pub revision: Revision,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CatalogConnection {
    pub kind: ContentKind,
    pub item_id: String,
    #[serde(flatten)]
    pub connection: Connection,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CatalogCustomView {
    pub id: String,
    pub name: String,
    pub view_id: String,
    pub workbook_id: String,
    pub owner_id: String,
    pub shared: bool,
    /// Hex SHA-256 and length of its definition's download.
    pub definition_sha256: String,
    pub definition_size: u64,
}

impl Site {
    pub(crate) fn catalog_projects(&self) -> Vec<CatalogProject> {
        (0..self.count(ListKind::Projects))
            .map(|i| self.project(i))
            .filter(|p| !self.is_removed(&p.id))
            .map(|p| CatalogProject {
                id: p.id,
                name: p.name,
                parent_id: p.parent_id,
                content_permissions: p.content_permissions.to_string(),
            })
            .collect()
    }

    pub(crate) fn catalog_views(&self) -> Vec<CatalogView> {
        self.view_index()
            .into_iter()
            .map(|(wb, s)| {
                let w = self.content(ContentKind::Workbook, wb);
                let v = &w.views[s];
                CatalogView {
                    id: v.id.clone(),
                    name: v.name.clone(),
                    workbook_id: w.id.clone(),
                    project_id: w.project_id.clone(),
                }
            })
            .filter(|v| !self.is_removed(&v.id))
            .collect()
    }

    /// Revisions and connections of every (not deleted) item.
    pub(crate) fn catalog_history(&self) -> (Vec<CatalogRevision>, Vec<CatalogConnection>) {
        let (mut revs, mut conns) = (Vec::new(), Vec::new());
        for k in ContentKind::ALL {
            for i in 0..self.count(k.list()) {
                let c = self.content(k, i);
                if self.is_removed(&c.id) {
                    continue;
                }
                let index = (i < self.base_count(k.list())).then_some(i);
                if k != ContentKind::Flow {
                    revs.extend(revisions(self, &c, index).into_iter().map(|r| CatalogRevision {
                        kind: k,
                        item_id: c.id.clone(),
                        ext: c.files.ext.to_string(),
                        revision: r,
                    }));
                }
                conns.extend(
                    connections(self, &c, index)
                        .into_iter()
                        .map(|x| CatalogConnection {
                            kind: k,
                            item_id: c.id.clone(),
                            connection: x,
                        }),
                );
            }
        }
        (revs, conns)
    }

    pub(crate) fn catalog_custom_views(&self) -> Vec<CatalogCustomView> {
        (0..self.count(ListKind::CustomViews))
            .map(|i| self.custom_view(i))
            .filter(|c| !self.is_removed(&c.id))
            .map(|c| {
                let def = definition(self, &c);
                CatalogCustomView {
                    definition_sha256: hex::encode(Sha256::digest(&def)),
                    definition_size: def.len() as u64,
                    id: c.id,
                    name: c.name,
                    view_id: c.view.id,
                    workbook_id: c.workbook_id,
                    owner_id: c.owner_id,
                    shared: c.shared,
                }
            })
            .collect()
    }
}
