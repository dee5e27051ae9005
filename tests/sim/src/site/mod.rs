//! The site: an immutable base (generated or sample) plus what clients published or created.

pub mod content;
pub(crate) mod generator;
pub mod model;
mod names;
pub(crate) mod sample;
mod store;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use serde::Serialize;

use crate::config::{SimConfig, SiteSpec};
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

/// What the site holds, for tests to compare a backup against.
#[derive(Clone, Debug, Serialize)]
pub struct Catalog {
    pub site_id: String,
    pub site_content_url: String,
    /// The LUID of the user every PAT signs in as (a site administrator).
    pub user_id: String,
    pub items: Vec<CatalogItem>,
    pub counts: Counts,
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
}

impl Catalog {
    pub fn item(&self, id: &str) -> Option<&CatalogItem> {
        self.items.iter().find(|i| i.id == id)
    }

    pub fn of_kind(&self, kind: ContentKind) -> impl Iterator<Item = &CatalogItem> {
        self.items.iter().filter(move |i| i.kind == kind)
    }
}

pub(crate) struct Site {
    base: Box<dyn Source>,
    store: RwLock<Store>,
    dir: tempfile::TempDir,
    pub seed: u64,
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
    }

    pub fn project(&self, i: usize) -> Project {
        let n = self.base.count(ListKind::Projects);
        if i < n {
            self.base.project(i)
        } else {
            self.store.read().unwrap().projects[i - n].clone()
        }
    }

    pub fn project_by_id(&self, id: &str) -> Option<Project> {
        if let Some(i) = self.base.find(ListKind::Projects, id) {
            return Some(self.base.project(i));
        }
        let s = self.store.read().unwrap();
        s.projects.iter().find(|p| p.id == id).cloned()
    }

    pub fn user(&self, i: usize) -> User {
        self.base.user(i)
    }

    pub fn user_index(&self, id: &str) -> Option<usize> {
        self.base.find(ListKind::Users, id)
    }

    pub fn user_by_id(&self, id: &str) -> Option<User> {
        self.user_index(id).map(|i| self.base.user(i))
    }

    pub fn group(&self, i: usize) -> Group {
        self.base.group(i)
    }

    pub fn group_index(&self, id: &str) -> Option<usize> {
        self.base.find(ListKind::Groups, id)
    }

    pub fn members(&self, g: usize) -> Members {
        self.base.members(g)
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
        if let Some(i) = self.base.find(k.list(), id) {
            return Some(self.content(k, i));
        }
        let s = self.store.read().unwrap();
        s.published[kidx(k)].iter().find(|c| c.id == id).cloned()
    }

    /// Index of a base record by id (not for projects or content, which can be added to).
    pub fn index_of(&self, k: ListKind, id: &str) -> Option<usize> {
        self.base.find(k, id)
    }

    pub fn subscription(&self, i: usize) -> Subscription {
        self.base.subscription(i)
    }

    pub fn custom_view(&self, i: usize) -> CustomView {
        self.base.custom_view(i)
    }

    pub fn custom_view_by_id(&self, id: &str) -> Option<CustomView> {
        self.base
            .find(ListKind::CustomViews, id)
            .map(|i| self.base.custom_view(i))
    }

    pub fn task(&self, i: usize) -> Task {
        self.base.task(i)
    }

    pub fn vconn(&self, i: usize) -> VirtualConnection {
        self.base.vconn(i)
    }

    pub fn vconn_by_id(&self, id: &str) -> Option<VirtualConnection> {
        self.base
            .find(ListKind::VirtualConnections, id)
            .map(|i| self.base.vconn(i))
    }

    pub fn favorites(&self, user: usize) -> Vec<FavRef> {
        self.base.favorites(user)
    }

    pub fn view_ref(&self, wb: usize, sheet: usize) -> ViewRef {
        self.base.view_ref(wb, sheet)
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

    pub fn catalog(&self, missing: &HashSet<String>) -> Catalog {
        let mut items = Vec::new();
        for k in ContentKind::ALL {
            for i in 0..self.count(k.list()) {
                let c = self.content(k, i);
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
        let users = self.count(ListKind::Users);
        let groups = self.count(ListKind::Groups);
        let counts = Counts {
            projects: self.count(ListKind::Projects),
            users,
            groups,
            group_members: (0..groups).map(|g| self.members(g).len()).sum(),
            workbooks: self.count(ListKind::Workbooks),
            datasources: self.count(ListKind::Datasources),
            flows: self.count(ListKind::Flows),
            subscriptions: self.count(ListKind::Subscriptions),
            custom_views: self.count(ListKind::CustomViews),
            favorites: (0..users).map(|u| self.favorites(u).len()).sum(),
            extract_refresh_tasks: self.count(ListKind::Tasks),
            virtual_connections: self.count(ListKind::VirtualConnections),
        };
        let info = self.info();
        Catalog {
            site_id: info.id.clone(),
            site_content_url: info.content_url.clone(),
            user_id: self.admin().id,
            items,
            counts,
        }
    }

    // ---- mutations (publish, create project, uploads, jobs) ----

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
