//! `restore`: from a resolved [`RestoreConfig`] to the guest's report. It picks
//! the run, opens the destination read-only, grants the guest the target
//! server and the token secret, and runs the guest's `restore` export. All the
//! Tableau work (matching, publishing, remapping) is the guest's.

use crate::commands::backup::{grants, sandbox};
use crate::config::{RestoreConfig, RestoreMode};
use crate::exit::Fatal;
use crate::guest::GuestSource;
use crate::policy::TOKEN_SECRET_NAME;
use crate::runs;
use crate::runtime::{self, BackupError, EventSink, RestoreJob, RestoreReport, RunError, Timeouts};
use crate::store::{self, keys, RunStore};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tableau_backup_model::manifest::Status;

/// A restore that ran.
#[derive(Debug)]
pub struct Restored {
    /// The guest's report.
    pub report: RestoreReport,
    /// Where the backup was read from.
    pub from: String,
    /// Print as JSON.
    pub json: bool,
    /// Wall time.
    pub elapsed: Duration,
}

/// Run one restore.
pub async fn run(
    config: &RestoreConfig,
    guest: &GuestSource<'_>,
    events: EventSink,
) -> Result<Restored, Fatal> {
    let started = Instant::now();
    let (secret, policy, runtime) = sandbox(&config.site, &config.sandbox, guest)?;
    let backend = store::connect(&config.from)
        .await
        .map_err(|e| Fatal::failed(e.to_string()))?;
    // Read-only: the guest can open and list, never create, put or copy.
    let store = Arc::new(RunStore::read_only(backend));
    let run = pick_run(&store, config.run.as_deref()).await?;
    tracing::info!("restoring from {}/{run}", config.from);
    let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
    let job = RestoreJob {
        server: config.site.server.clone(),
        site: config.site.site.clone(),
        token_name: config.site.token_name.clone(),
        token_secret_name: TOKEN_SECRET_NAME.to_string(),
        run: run.clone(),
        kinds: config.kinds.iter().map(|&k| k.into()).collect(),
        projects: config.projects.clone(),
        items: config.items.clone(),
        revision: config.revision,
        project_map: config.project_map.clone(),
        create_principals: config.create_principals,
        mode: match config.mode {
            RestoreMode::SkipExisting => runtime::RestoreMode::SkipExisting,
            RestoreMode::Overwrite => runtime::RestoreMode::Overwrite,
            RestoreMode::Rename => runtime::RestoreMode::Rename,
        },
        dry_run: config.dry_run,
        timeouts: Timeouts {
            connect_ms: ms(config.timeouts.connect),
            first_byte_ms: ms(config.timeouts.first_byte),
            between_bytes_ms: ms(config.timeouts.between_bytes),
        },
        page_size: config.page_size,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let grants = grants(&config.site, &config.timeouts, &policy, store, secret, events);
    match runtime.restore(job, grants).await {
        Ok(report) => Ok(Restored {
            report,
            from: format!("{}/{run}", config.from),
            json: config.json,
            elapsed: started.elapsed(),
        }),
        Err(RunError::Guest(BackupError::InvalidJob(m))) => {
            Err(Fatal::usage(format!("invalid restore: {m}")))
        }
        Err(e) => Err(Fatal::failed(format!("{e}; nothing was restored"))),
    }
}

/// The run named, or the newest whose manifest says complete.
async fn pick_run(store: &RunStore, named: Option<&str>) -> Result<String, Fatal> {
    if let Some(r) = named {
        keys::run_prefix(r).map_err(|e| Fatal::usage(format!("--run {r:?}: {e}")))?;
        let manifest = runs::load_manifest(store, r)
            .await
            .map_err(|e| Fatal::failed(format!("run {r}: {e}")))?;
        if manifest.status != Status::Complete {
            tracing::warn!("run {r} is partial: what failed in the backup cannot be restored");
        }
        return Ok(r.to_string());
    }
    let all = runs::list(store)
        .await
        .map_err(|e| Fatal::failed(e.to_string()))?;
    for r in all.iter().rev() {
        if let Ok(m) = runs::load_manifest(store, r).await {
            if m.status == Status::Complete {
                return Ok(r.clone());
            }
        }
    }
    Err(Fatal::failed(
        "no complete run in this destination (name a partial one with --run)",
    ))
}
