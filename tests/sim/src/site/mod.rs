//! The site: an immutable base (generated or sample) plus what clients published or created.

pub mod alerts;
pub mod catalog;
mod catalog_extras;
mod catalog_perms;
pub mod connections;
pub mod content;
pub(crate) mod cvdef;
pub mod dqw;
pub(crate) mod drift;
pub(crate) mod extras;
pub mod flow_tasks;
pub(crate) mod generator;
pub mod model;
mod names;
pub(crate) mod overlay;
pub mod perms;
pub mod revisions;
pub(crate) mod sample;
mod store;
mod views;
pub mod webhooks;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use crate::config::{SimConfig, SiteSpec};
pub use catalog::{Catalog, CatalogItem, Counts};
pub use catalog_extras::{
    CatalogConnection, CatalogCustomView, CatalogProject, CatalogRevision, CatalogView,
};
pub use catalog_perms::{DefaultPermissionRule, PermissionRule};
use content::ContentSource;
use model::*;
pub(crate) use names::slug;
use store::Store;
pub(crate) use store::{Job, Upload};

/// A read-only source of site records, addressed by list index.
pub(crate) trait Source: Send + Sync {
    fn info(&self) -> &SiteInfo;
    fn count(&self, k: ListKind) -> usize;
    fn project(&self, i: usize) -> Project;
    fn user(&self, i: usize) -> User;
    fn group(&self, i: usize) -> Group;
    fn members(&self, g: usize) -> Members;
    fn content(&self, k: ContentKind, i: usize) -> ContentItem;
    fn subscription(&self, i: usize) -> Subscription;
    fn custom_view(&self, i: usize) -> CustomView;
    fn task(&self, i: usize) -> Task;
    fn vconn(&self, i: usize) -> VirtualConnection;
    fn favorites(&self, user: usize) -> Vec<FavRef>;
    fn find(&self, k: ListKind, id: &str) -> Option<usize>;
    fn view_ref(&self, wb: usize, sheet: usize) -> ViewRef;

    /// Number of views of workbook `wb`.
    fn view_count(&self, wb: usize) -> usize {
        self.content(ContentKind::Workbook, wb).views.len()
    }

    /// Indices of the content of kind `k` in project `p`.
    fn content_in_project(&self, k: ContentKind, p: &str) -> Vec<usize> {
        (0..self.count(k.list()))
            .filter(|&i| self.content(k, i).project_id == p)
            .collect()
    }

    /// `(items, views)` of kind `k` in project `p`.
    fn content_stats(&self, k: ContentKind, p: &str) -> (usize, usize) {
        let idx = self.content_in_project(k, p);
        let views = idx.iter().map(|&i| self.content(k, i).views.len()).sum();
        (idx.len(), views)
    }

    /// Number of direct child projects of project `p`.
    fn child_projects(&self, p: &str) -> usize {
        (0..self.count(ListKind::Projects))
            .filter(|&i| self.project(i).parent_id.as_deref() == Some(p))
            .count()
    }
}

pub(crate) struct Site {
    base: Box<dyn Source>,
    store: RwLock<Store>,
    dir: tempfile::TempDir,
    pub seed: u64,
    pub extras: extras::Extras,
    /// Serialises publish / create-project (check for a name clash, then insert).
    pub publish_lock: tokio::sync::Mutex<()>,
}

fn kidx(k: ContentKind) -> usize {
    match k {
        ContentKind::Workbook => 0,
        ContentKind::Datasource => 1,
        ContentKind::Flow => 2,
    }
}

impl Site {
    pub fn new(cfg: &SimConfig) -> anyhow::Result<Self> {
        let (base, seed): (Box<dyn Source>, u64) = match &cfg.site {
            SiteSpec::Sample => (
                Box::new(sample::SampleSite::new(
                    &cfg.site_content_url,
                    &cfg.site_name,
                    &cfg.pat_name,
                )),
                0x5A3B1E,
            ),
            SiteSpec::Generated(g) => (
                Box::new(generator::GeneratedSite::new(
                    g,
                    &cfg.site_content_url,
                    &cfg.site_name,
                    &cfg.pat_name,
                )),
                g.seed,
            ),
        };
        Ok(Self {
            base,
            store: RwLock::new(Store::default()),
            dir: tempfile::Builder::new().prefix("tableau-sim-").tempdir()?,
            seed,
            extras: extras::Extras::of(cfg),
            publish_lock: tokio::sync::Mutex::new(()),
        })
    }

    pub fn info(&self) -> &SiteInfo {
        self.base.info()
    }

    /// The user every PAT signs in as.
    pub fn admin(&self) -> User {
        self.base.user(0)
    }

    pub fn count(&self, k: ListKind) -> usize {
        let s = self.store.read().unwrap();
        self.base.count(k)
            + match k {
                ListKind::Projects => s.projects.len(),
                _ => k.content().map_or(0, |c| s.published[kidx(c)].len()),
            }
            + match k {
                ListKind::Users => s.overlay.users.len(),
                ListKind::Groups => s.overlay.groups.len(),
                ListKind::Subscriptions => s.overlay.subscriptions.len(),
                ListKind::CustomViews => s.overlay.custom_views.len(),
                ListKind::Tasks => s.overlay.tasks.len(),
                _ => 0,
            }
    }

    /// Records in the immutable base (published or created ones not counted).
    pub fn base_count(&self, k: ListKind) -> usize {
        self.base.count(k)
    }

    pub fn project(&self, i: usize) -> Project {
        let n = self.base.count(ListKind::Projects);
        let s = self.store.read().unwrap();
        if i < n {
            let p = self.base.project(i);
            s.overlay.project_overrides.get(&p.id).cloned().unwrap_or(p)
        } else {
            s.projects[i - n].clone()
        }
    }

    pub fn project_by_id(&self, id: &str) -> Option<Project> {
        if self.is_removed(id) {
            return None;
        }
        if let Some(i) = self.base.find(ListKind::Projects, id) {
            return Some(self.project(i));
        }
        let s = self.store.read().unwrap();
        s.projects.iter().find(|p| p.id == id).cloned()
    }

    pub fn user_index(&self, id: &str) -> Option<usize> {
        self.find_index(ListKind::Users, id)
    }

    pub fn user_by_id(&self, id: &str) -> Option<User> {
        self.user_index(id).map(|i| self.user(i))
    }

    pub fn group_index(&self, id: &str) -> Option<usize> {
        self.find_index(ListKind::Groups, id)
    }

    pub fn content(&self, k: ContentKind, i: usize) -> ContentItem {
        let n = self.base.count(k.list());
        let s = self.store.read().unwrap();
        if i < n {
            let item = self.base.content(k, i);
            match s.overrides.get(&item.id) {
                Some(o) => o.clone(),
                None => item,
            }
        } else {
            s.published[kidx(k)][i - n].clone()
        }
    }

    pub fn content_by_id(&self, k: ContentKind, id: &str) -> Option<ContentItem> {
        if self.is_removed(id) {
            return None;
        }
        if let Some(i) = self.base.find(k.list(), id) {
            return Some(self.content(k, i));
        }
        let s = self.store.read().unwrap();
        s.published[kidx(k)].iter().find(|c| c.id == id).cloned()
    }

    /// Index of a base record by id (not for projects or content, which can be added to);
    /// `None` once the drift fault deleted it.
    pub fn index_of(&self, k: ListKind, id: &str) -> Option<usize> {
        self.base.find(k, id).filter(|_| !self.is_removed(id))
    }

    /// Index of a base content item by id (published items have none).
    pub fn content_index(&self, k: ContentKind, id: &str) -> Option<usize> {
        self.index_of(k.list(), id)
    }

    pub fn custom_view_by_id(&self, id: &str) -> Option<CustomView> {
        self.find_index(ListKind::CustomViews, id)
            .map(|i| self.custom_view(i))
    }

    pub fn vconn(&self, i: usize) -> VirtualConnection {
        self.base.vconn(i)
    }

    pub fn vconn_by_id(&self, id: &str) -> Option<VirtualConnection> {
        self.index_of(ListKind::VirtualConnections, id)
            .map(|i| self.base.vconn(i))
    }

    pub fn view_ref(&self, wb: usize, sheet: usize) -> ViewRef {
        if wb < self.base.count(ListKind::Workbooks) && self.read_store(|s| s.overrides.is_empty()) {
            return self.base.view_ref(wb, sheet);
        }
        let w = self.content(ContentKind::Workbook, wb);
        w.views[sheet.min(w.views.len().saturating_sub(1))].clone()
    }

    /// `(workbooks, views, datasources, child projects)` in a project.
    pub fn project_counts(&self, p: &Project) -> (usize, usize, usize, usize) {
        let (mut wbs, mut views) = self.base.content_stats(ContentKind::Workbook, &p.id);
        let (mut ds, _) = self.base.content_stats(ContentKind::Datasource, &p.id);
        let mut children = self.base.child_projects(&p.id);
        let s = self.store.read().unwrap();
        for w in s.published[0].iter().filter(|c| c.project_id == p.id) {
            wbs += 1;
            views += w.views.len();
        }
        ds += s.published[1].iter().filter(|c| c.project_id == p.id).count();
        children += s
            .projects
            .iter()
            .filter(|c| c.parent_id.as_deref() == Some(&p.id))
            .count();
        (wbs, views, ds, children)
    }

    /// All content of a kind in a project (base with overrides, then published).
    pub fn content_in_project(&self, k: ContentKind, project_id: &str) -> Vec<ContentItem> {
        let mut v: Vec<ContentItem> = self
            .base
            .content_in_project(k, project_id)
            .into_iter()
            .map(|i| self.content(k, i))
            .collect();
        let s = self.store.read().unwrap();
        v.extend(
            s.published[kidx(k)]
                .iter()
                .filter(|c| c.project_id == project_id)
                .cloned(),
        );
        v.retain(|c| !s.removed.ids.contains(&c.id));
        v
    }

    /// Bytes of an item's download.
    pub fn source(item: &ContentItem, include_extract: bool) -> ContentSource {
        ContentSource::of(&item.files, include_extract)
    }

    /// Ids made missing by `count` (evenly over workbooks, then data sources, then flows).
    pub fn missing_by_count(&self, count: usize) -> HashSet<String> {
        let mut out = HashSet::new();
        let mut left = count;
        for k in ContentKind::ALL {
            let n = self.base.count(k.list());
            let take = left.min(n);
            for j in 0..take {
                out.insert(self.base.content(k, j * n / take).id);
            }
            left -= take;
        }
        out
    }

    // ---- mutations (publish, create project, uploads, jobs) ----

    /// Run `f` with the store locked for reading.
    pub fn read_store<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        f(&self.store.read().unwrap())
    }

    /// Run `f` with the store locked for writing.
    pub fn with_store<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        f(&mut self.store.write().unwrap())
    }

    /// A fresh file path in the simulator's temp dir.
    pub fn new_path(&self, prefix: &str) -> PathBuf {
        let n = self.with_store(|s| s.next());
        self.dir.path().join(format!("{prefix}-{n}.bin"))
    }

    /// A fresh LUID for something created at runtime.
    pub fn new_id(&self, kind: u8) -> String {
        let n = self.with_store(|s| s.next());
        crate::util::luid(self.seed ^ 0xFEED_F00D, kind | 0x80, n)
    }

    pub fn add_project(&self, p: Project) {
        self.with_store(|s| s.projects.push(p));
    }

    /// Store a published item: replaces an item with the same id (keeping its list position).
    pub fn put_content(&self, item: ContentItem) {
        let in_base = self.base.find(item.kind.list(), &item.id).is_some();
        self.with_store(|s| {
            if in_base {
                s.overrides.insert(item.id.clone(), item);
                return;
            }
            let list = &mut s.published[kidx(item.kind)];
            match list.iter_mut().find(|c| c.id == item.id) {
                Some(slot) => *slot = item,
                None => list.push(item),
            }
        })
    }

    pub fn upload(&self, id: &str) -> Option<Upload> {
        self.store.read().unwrap().uploads.get(id).cloned()
    }

    pub fn job(&self, id: &str) -> Option<Job> {
        self.store.read().unwrap().jobs.get(id).cloned()
    }
}

/// A published file kept in the temp dir.
pub(crate) fn file_payload(path: PathBuf) -> Payload {
    Payload::File(Arc::new(path))
}
