//! One backup run: validate the job, sign in, store the metadata lists, download
//! the content, and write the manifest last.

pub mod array;
pub mod content;
pub mod definitions;
pub mod fetch;
pub mod found;
pub mod metadata;
pub mod names;
pub mod per_object;
pub mod revisions;

use std::cell::Cell;
use std::time::{SystemTime, UNIX_EPOCH};

use futures::StreamExt;

use self::content::{ContentItem, ContentKind};
use self::fetch::DownloadError;
use self::found::Found;
use self::metadata::MetaError;
use crate::host::{self, StoreErr};
use crate::tableau::client::{Client, ConnectError, Credentials};
use crate::tableau::http::{ApiError, ApiErrorKind, Http, ServerUrl, Timeouts};
use crate::tableau::retry::Policy;
use crate::tableau_backup::backup::types::{BackupError, Job, KindCount, Report, Status};
use tableau_backup_model::manifest;
use tableau_backup_model::Kind;

/// What every phase needs.
pub struct Ctx<'a> {
    pub client: &'a Client,
    pub page_size: u32,
    /// Requests in flight at once (downloads, per-group / per-user lookups).
    pub concurrency: usize,
    /// Group members are asked for `fields=_all_` until one group's were refused.
    pub members_all_fields: Cell<bool>,
}

/// The job, validated.
struct Plan {
    server: ServerUrl,
    lists: Vec<Kind>,
    page_size: u32,
    concurrency: usize,
    include_extracts: bool,
    /// Store revision bytes (`job.revisions`).
    revisions: bool,
    /// Earlier runs of this destination, newest first (`job.earlier-runs`).
    earlier_runs: Vec<String>,
    max_workbooks: Option<u64>,
    max_datasources: Option<u64>,
    max_flows: Option<u64>,
}

impl Plan {
    fn from_job(job: &Job) -> Result<Plan, String> {
        let server = ServerUrl::parse(&job.server)?;
        if job.token_name.trim().is_empty() {
            return Err("the personal access token name is empty".to_string());
        }
        if job.token_secret_name.is_empty() {
            return Err("the token secret name is empty".to_string());
        }
        if !(1..=1000).contains(&job.page_size) {
            return Err(format!(
                "page size {} is outside Tableau's 1..=1000",
                job.page_size
            ));
        }
        if job.concurrency == 0 {
            return Err("concurrency must be at least 1".to_string());
        }
        let wanted: Vec<Kind> = job.kinds.iter().map(|&k| k.into()).collect();
        let lists = Kind::ALL
            .into_iter()
            .filter(|k| wanted.is_empty() || wanted.contains(k))
            .collect();
        Ok(Plan {
            server,
            lists,
            page_size: job.page_size,
            concurrency: job.concurrency as usize,
            include_extracts: job.include_extracts,
            revisions: job.revisions,
            earlier_runs: job.earlier_runs.clone(),
            max_workbooks: job.limits.max_workbooks,
            max_datasources: job.limits.max_datasources,
            max_flows: job.limits.max_flows,
        })
    }

    fn limit(&self, kind: ContentKind) -> Option<u64> {
        match kind {
            ContentKind::Workbook => self.max_workbooks,
            ContentKind::Datasource => self.max_datasources,
            ContentKind::Flow => self.max_flows,
        }
    }
}

/// Everything the manifest and the report are built from.
struct Tally {
    items: Vec<manifest::Item>,
    metadata: Vec<manifest::Metadata>,
    revisions: Vec<manifest::Revision>,
    definitions: Vec<manifest::Definition>,
    failures: Vec<manifest::Failure>,
    counts: Vec<KindCount>,
    site_name: Option<String>,
    /// Content items listed but left out by a `max-*` cap.
    skipped_by_limits: u64,
    vanished: Vec<manifest::Vanished>,
    notes: Vec<manifest::Note>,
}

impl Tally {
    fn new(lists: &[Kind]) -> Tally {
        Tally {
            items: Vec::new(),
            metadata: Vec::new(),
            revisions: Vec::new(),
            definitions: Vec::new(),
            failures: Vec::new(),
            counts: lists
                .iter()
                .map(|&k| KindCount {
                    kind: k.into(),
                    listed: 0,
                    stored: 0,
                    failed: 0,
                })
                .collect(),
            site_name: None,
            skipped_by_limits: 0,
            vanished: Vec::new(),
            notes: Vec::new(),
        }
    }

    fn count(&mut self, kind: Kind) -> Option<&mut KindCount> {
        self.counts.iter_mut().find(|c| Kind::from(c.kind) == kind)
    }

    fn fail(&mut self, kind: Kind, failure: manifest::Failure) {
        host::failed(kind, &failure.id, &failure.name, &failure.error);
        if let Some(c) = self.count(kind) {
            c.failed += 1;
        }
        self.failures.push(failure);
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn store_error(e: StoreErr) -> BackupError {
    match e {
        StoreErr::Denied(_) => BackupError::Denied(e.to_string()),
        _ => BackupError::Store(e.to_string()),
    }
}

pub(crate) fn connect_error(e: ConnectError) -> BackupError {
    match e {
        ConnectError::Auth(m) => BackupError::Auth(m),
        ConnectError::Api(e) => api_error(e),
    }
}

/// For failures that stop the run before anything was listed.
pub(crate) fn api_error(e: ApiError) -> BackupError {
    let message = e.to_string();
    match e.kind {
        ApiErrorKind::Denied(_) => BackupError::Denied(message),
        ApiErrorKind::Network(_) => BackupError::Unreachable(message),
        ApiErrorKind::Status { status, .. } if status >= 500 || status == 429 || status == 408 => {
            BackupError::Unreachable(message)
        }
        ApiErrorKind::Status { .. } | ApiErrorKind::Protocol(_) => BackupError::Protocol(message),
    }
}

/// Runs one backup; the manifest is written only if the run can be trusted.
pub async fn run(job: Job) -> Result<Report, BackupError> {
    let plan = Plan::from_job(&job).map_err(BackupError::InvalidJob)?;
    let secret = host::secret(&job.token_secret_name)?;
    let started_at = manifest::rfc3339(now_secs());
    host::info(format!(
        "backing up site '{}' of {} into run '{}'",
        job.site,
        plan.server.as_str(),
        job.run_name
    ));

    let timeouts = Timeouts {
        connect_ms: job.timeouts.connect_ms,
        first_byte_ms: job.timeouts.first_byte_ms,
        between_bytes_ms: job.timeouts.between_bytes_ms,
    };
    let http = Http::new(plan.server.clone(), timeouts, &job.tool_version);
    let creds = Credentials {
        token_name: job.token_name.clone(),
        secret,
        site: job.site.clone(),
    };
    let client = Client::connect(http, creds, Policy::default())
        .await
        .map_err(connect_error)?;

    let outcome = back_up(&client, &plan).await;
    client.sign_out().await;
    let tally = outcome?;

    host::info("writing the manifest".to_string());
    let manifest = manifest::Manifest {
        format: manifest::FORMAT.to_string(),
        format_version: manifest::FORMAT_VERSION,
        tool_version: job.tool_version.clone(),
        run: job.run_name.clone(),
        server: job.server.clone(),
        api_version: client.api_version().to_string(),
        site: manifest::Site {
            id: client.site_id().to_string(),
            content_url: job.site.clone(),
            name: tally.site_name.clone(),
        },
        started_at,
        finished_at: manifest::rfc3339(now_secs()),
        status: manifest::Status::Complete,
        items: tally.items,
        metadata: tally.metadata,
        revisions: tally.revisions,
        custom_view_definitions: tally.definitions,
        scope: manifest::Scope {
            kinds: plan.lists.clone(),
            include_extracts: plan.include_extracts,
            max_workbooks: plan.max_workbooks,
            max_datasources: plan.max_datasources,
            max_flows: plan.max_flows,
            skipped_by_limits: tally.skipped_by_limits,
            revisions: plan.revisions,
            full: false,
        },
        failures: tally.failures,
        vanished: tally.vanished,
        notes: tally.notes,
        totals: manifest::Totals::default(),
    }
    .seal();
    let info = host::put(manifest::KEY, "application/json", &manifest.to_json()).map_err(store_error)?;
    let bytes = manifest.totals.bytes + info.size;
    host::info(format!(
        "backup {}: {} content files, {} metadata files, {} bytes, {} failures",
        if manifest.is_complete() {
            "complete"
        } else {
            "partial"
        },
        manifest.totals.items,
        manifest.totals.metadata_files,
        bytes,
        manifest.totals.failures
    ));
    Ok(Report {
        status: if manifest.is_complete() {
            Status::Complete
        } else {
            Status::Partial
        },
        run_name: job.run_name,
        manifest_key: manifest::KEY.to_string(),
        counts: tally.counts,
        bytes,
        failures: manifest.totals.failures,
        api_version: client.api_version().to_string(),
    })
}

/// The metadata lists, then the content downloads.
async fn back_up(client: &Client, plan: &Plan) -> Result<Tally, BackupError> {
    let ctx = Ctx {
        client,
        page_size: plan.page_size,
        concurrency: plan.concurrency,
        members_all_fields: Cell::new(true),
    };
    let mut tally = Tally::new(&plan.lists);
    let mut found = Found::default();

    for &kind in &plan.lists {
        host::info(format!("listing {}", metadata::file(kind)));
        match metadata::back_up(&ctx, kind, &mut found).await {
            Ok(listed) => {
                let entry = listed.entry;
                host::listed(kind, listed.count);
                host::stored(kind, "", "", &entry.key, entry.size);
                if let Some(c) = tally.count(kind) {
                    c.listed = listed.count;
                }
                tally.metadata.push(entry);
                tally.definitions.extend(listed.definitions);
                tally.notes.extend(listed.notes);
                tally.vanished.extend(listed.vanished);
                for failure in listed.failures {
                    tally.fail(kind, failure);
                }
            }
            Err(MetaError::Store(e)) if e.is_backend() => return Err(store_error(e)),
            Err(e) => {
                let error = e.to_string();
                tally.fail(
                    kind,
                    manifest::Failure {
                        kind: metadata::file(kind),
                        id: String::new(),
                        name: String::new(),
                        error,
                    },
                );
            }
        }
    }
    tally.site_name = found.site_name.take();

    let listed = found.content.len();
    let items = apply_limits(plan, std::mem::take(&mut found.content));
    tally.skipped_by_limits = (listed - items.len()) as u64;
    if items.is_empty() {
        return Ok(tally);
    }
    host::info(format!(
        "downloading {} content files, up to {} at a time",
        items.len(),
        plan.concurrency
    ));
    let mut downloads = futures::stream::iter(items.iter())
        .map(|item| async move {
            let result = content::download(client, item, plan.include_extracts).await;
            (item, result)
        })
        .buffer_unordered(plan.concurrency);
    while let Some((item, result)) = downloads.next().await {
        let kind = item.kind.kind();
        match result {
            Ok(stored) => {
                host::stored(kind, &stored.id, &stored.name, &stored.key, stored.size);
                if let Some(c) = tally.count(kind) {
                    c.stored += 1;
                }
                tally.items.push(stored);
            }
            Err(DownloadError::Fatal(m)) => {
                host::error(m.clone());
                return Err(BackupError::Store(m));
            }
            Err(DownloadError::Item(error) | DownloadError::Missing(error)) => {
                tally.fail(
                    kind,
                    manifest::Failure {
                        kind: item.kind.manifest_kind().to_string(),
                        id: item.id.clone(),
                        name: item.name.clone(),
                        error,
                    },
                );
            }
        }
    }
    if plan.revisions {
        revisions::store_bytes(&ctx, plan, &found.revisions, &items, &mut tally).await?;
    }
    Ok(tally)
}

/// Keeps the first `limits.max-*` items of each kind, in listing order.
fn apply_limits(plan: &Plan, items: Vec<ContentItem>) -> Vec<ContentItem> {
    let mut taken = [0u64; 3];
    items
        .into_iter()
        .filter(|item| {
            let slot = &mut taken[item.kind as usize];
            let keep = plan.limit(item.kind).is_none_or(|max| *slot < max);
            if keep {
                *slot += 1;
            }
            keep
        })
        .collect()
}
