//! One restore: read the backup's manifest through a read-only store, read the
//! target site, then bring back principals, projects, content (data sources,
//! then flows, then workbooks) and permissions, in that order, recording what
//! happened to every object. One failing item never stops the rest.

mod content;
mod custom_views;
mod extras;
mod permissions;
mod principals;
mod projects;
mod publish;
mod report;
mod source;
mod target;

use std::collections::{HashMap, HashSet};

use self::projects::{parse_path, show, Tree};
use self::report::Report;
use self::source::Source;
use self::target::{Path, Target};
use crate::backup::content::ContentKind;
use crate::backup::{api_error, connect_error};
use crate::host;
use crate::tableau::client::{Client, Credentials};
use crate::tableau::http::{Http, ServerUrl, Timeouts};
use crate::tableau::retry::Policy;
use crate::tableau_backup::backup::restore_types::{RestoreJob, RestoreMode, RestoreReport};
use crate::tableau_backup::backup::types::{BackupError, Status};
use tableau_backup_model::manifest::{Item, ItemKind};
use tableau_backup_model::Kind;

/// Content in restore order: what a workbook connects to is published first.
const ORDER: [ContentKind; 3] = [ContentKind::Datasource, ContentKind::Flow, ContentKind::Workbook];

pub fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 30 => format!("{:.1} GiB", n as f64 / (1u64 << 30) as f64),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// The state of one restore.
pub struct Restore<'a> {
    client: &'a Client,
    source: Source,
    target: Target,
    report: Report,
    tree: Tree,
    dry_run: bool,
    create_principals: bool,
    mode: RestoreMode,
    revision: Option<u32>,
    /// No `projects` or `items` filter: the whole backup.
    full: bool,
    project_map: Vec<(Path, Path)>,
    /// Backup projects whose own settings and rules are restored (not only
    /// matched or created as the parent of something).
    selected_projects: HashSet<String>,
    /// Old id -> new id (`None`: could not be made).
    projects: HashMap<String, Option<String>>,
    users: HashMap<String, Option<String>>,
    groups: HashMap<String, Option<String>>,
    /// Content: old id -> id on the target (published or matched).
    items: HashMap<String, String>,
    /// Content published by this restore: old id -> new id.
    published: HashMap<String, String>,
}

/// The job, checked.
struct Plan {
    server: ServerUrl,
    kinds: Vec<Kind>,
    projects: Vec<String>,
    items: Vec<String>,
    project_map: Vec<(Path, Path)>,
}

impl Plan {
    fn from_job(job: &RestoreJob) -> Result<Plan, String> {
        let server = ServerUrl::parse(&job.server)?;
        if job.token_name.trim().is_empty() {
            return Err("the personal access token name is empty".to_string());
        }
        if job.run.is_empty() {
            return Err("no run to restore from".to_string());
        }
        if !(1..=1000).contains(&job.page_size) {
            return Err(format!(
                "page size {} is outside Tableau's 1..=1000",
                job.page_size
            ));
        }
        if job.revision.is_some() && job.items.len() != 1 {
            return Err("--revision needs exactly one --item".to_string());
        }
        let mut project_map = Vec::new();
        for (old, new) in &job.project_map {
            let (old, new) = (parse_path(old), parse_path(new));
            if old.is_empty() || new.is_empty() {
                return Err("a project map needs a path on both sides (OLD=NEW)".to_string());
            }
            project_map.push((old, new));
        }
        // Longest prefix first, so `A/B=X` wins over `A=Y`.
        project_map.sort_by_key(|(old, _)| std::cmp::Reverse(old.len()));
        Ok(Plan {
            server,
            kinds: job.kinds.iter().map(|&k| k.into()).collect(),
            projects: job.projects.clone(),
            items: job.items.clone(),
            project_map,
        })
    }

    fn wants(&self, kind: Kind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

fn kind_of(k: ItemKind) -> ContentKind {
    match k {
        ItemKind::Workbook => ContentKind::Workbook,
        ItemKind::Datasource => ContentKind::Datasource,
        ItemKind::Flow => ContentKind::Flow,
    }
}

pub async fn run(job: RestoreJob) -> Result<RestoreReport, BackupError> {
    let plan = Plan::from_job(&job).map_err(BackupError::InvalidJob)?;
    let mut source = Source::open(&job.run).await.map_err(BackupError::Store)?;
    let secret = host::secret(&job.token_secret_name)?;
    let http = Http::new(
        plan.server.clone(),
        Timeouts {
            connect_ms: job.timeouts.connect_ms,
            first_byte_ms: job.timeouts.first_byte_ms,
            between_bytes_ms: job.timeouts.between_bytes_ms,
        },
        &job.tool_version,
    );
    let creds = Credentials {
        token_name: job.token_name.clone(),
        secret,
        site: job.site.clone(),
    };
    let client = Client::connect(http, creds, Policy::default())
        .await
        .map_err(connect_error)?;
    host::info(format!(
        "{} run '{}' into site '{}'",
        if job.dry_run {
            "planning a restore of"
        } else {
            "restoring"
        },
        job.run,
        job.site
    ));
    let tree = Tree::new(source.list("projects").await);
    let target = Target::read(&client, job.page_size, &ORDER)
        .await
        .map_err(api_error)?;
    let mut r = Restore {
        client: &client,
        source,
        target,
        report: Report::new(job.dry_run),
        tree,
        dry_run: job.dry_run,
        create_principals: job.create_principals,
        mode: job.mode,
        revision: job.revision,
        full: plan.projects.is_empty() && plan.items.is_empty(),
        project_map: plan.project_map.clone(),
        selected_projects: HashSet::new(),
        projects: HashMap::new(),
        users: HashMap::new(),
        groups: HashMap::new(),
        items: HashMap::new(),
        published: HashMap::new(),
    };
    let outcome = r.restore(&plan).await;
    client.sign_out().await;
    outcome?;
    let status = if r.report.failed() > 0 || !r.source.damaged().is_empty() {
        Status::Partial
    } else {
        Status::Complete
    };
    let api_version = client.api_version().to_string();
    let report = r.report;
    Ok(RestoreReport {
        status,
        run: job.run,
        dry_run: job.dry_run,
        entries: report.entries,
        checklist: report.checklist,
        api_version,
    })
}

impl Restore<'_> {
    async fn restore(&mut self, plan: &Plan) -> Result<(), BackupError> {
        // Which projects are restored in their own right.
        if self.full {
            self.selected_projects = self.tree.by_id.keys().cloned().collect();
        } else {
            for p in &plan.projects {
                let ids = if self.tree.by_id.contains_key(p) {
                    self.tree.under(&self.tree.paths[p].clone())
                } else {
                    self.tree.under(&parse_path(p))
                };
                if ids.is_empty() {
                    return Err(BackupError::InvalidJob(format!(
                        "the backup has no project {p:?} (give its path, like Sales/Reports, or its LUID)"
                    )));
                }
                self.selected_projects.extend(ids);
            }
        }
        let items = self.select_items(plan)?;

        if self.full && (plan.wants(Kind::Users) || plan.wants(Kind::Groups)) {
            self.all_principals().await;
        }
        if plan.wants(Kind::Projects) {
            let mut selected: Vec<String> = self.selected_projects.iter().cloned().collect();
            // Parents first: shorter paths first.
            selected.sort_by_key(|id| {
                (
                    self.tree.paths.get(id).map_or(0, Vec::len),
                    show(&self.tree.paths[id]),
                )
            });
            for id in selected {
                self.project(&id).await;
            }
        }
        for kind in ORDER {
            for item in items.iter().filter(|i| kind_of(i.kind) == kind) {
                self.item(kind, item).await;
            }
        }
        if plan.wants(Kind::CustomViews) {
            self.custom_views().await;
        }
        if plan.wants(Kind::Favorites) {
            self.favorites().await;
        }
        if plan.wants(Kind::Subscriptions) {
            self.subscriptions().await;
        }
        if plan.wants(Kind::ExtractRefreshTasks) {
            self.extract_refresh_tasks().await;
        }
        if plan.wants(Kind::Permissions) {
            self.permissions().await;
        }
        if plan.wants(Kind::DefaultPermissions) {
            self.default_permissions().await;
        }
        self.not_restored(plan).await;
        for (file, why) in self.source.damaged().to_vec() {
            self.report.todo(
                "backup",
                "",
                &file,
                format!("the metadata file was not used: {why}"),
            );
        }
        Ok(())
    }

    /// The content items of the backup this restore covers.
    fn select_items(&self, plan: &Plan) -> Result<Vec<Item>, BackupError> {
        let wanted = |k: ItemKind| {
            plan.wants(match k {
                ItemKind::Workbook => Kind::Workbooks,
                ItemKind::Datasource => Kind::Datasources,
                ItemKind::Flow => Kind::Flows,
            })
        };
        let mut out: Vec<Item> = Vec::new();
        for item in &self.source.manifest.items {
            if !wanted(item.kind) {
                continue;
            }
            if !plan.projects.is_empty() && !self.selected_projects.contains(&item.project_id) {
                continue;
            }
            if !plan.items.is_empty() && !plan.items.iter().any(|i| *i == item.id || *i == item.name) {
                continue;
            }
            out.push(item.clone());
        }
        for want in &plan.items {
            if !self
                .source
                .manifest
                .items
                .iter()
                .any(|i| i.id == *want || i.name == *want)
            {
                return Err(BackupError::InvalidJob(format!(
                    "the backup has no workbook, data source or flow with the id or name {want:?}"
                )));
            }
        }
        if self.revision.is_some() && out.len() != 1 {
            return Err(BackupError::InvalidJob(format!(
                "--revision needs exactly one item, but {:?} names {} (give its LUID)",
                plan.items.first().map(String::as_str).unwrap_or(""),
                out.len()
            )));
        }
        Ok(out)
    }

    /// What the backup has that this restore does not bring back.
    async fn not_restored(&mut self, plan: &Plan) {
        if !self.full {
            return;
        }
        for (file, what) in [
            ("data_alerts", "data-driven alerts"),
            ("webhooks", "webhooks"),
            ("virtual_connections", "virtual connections"),
        ] {
            let n = self.source.list(file).await.len();
            if n > 0 {
                self.report.todo(
                    file,
                    "",
                    what,
                    format!("{n} {what} in the backup are not re-created by this version: re-create them by hand from metadata_tableau/{file}.json"),
                );
            }
        }
        if self.revision.is_none()
            && !self.source.manifest.revisions.is_empty()
            && plan.wants(Kind::Revisions)
        {
            self.report.todo(
                "revisions",
                "",
                "revision history",
                "only the current version of each item is published; older revisions are in the backup (restore one with --item and --revision N)",
            );
        }
    }

    /// A backup project's path, for messages.
    pub fn project_path(&self, old: &str) -> String {
        self.tree
            .paths
            .get(old)
            .map(show)
            .unwrap_or_else(|| old.to_string())
    }
}
