//! `tableau-backup backup`: configure a run, open its folder, run the guest.

use crate::cli::{BackupArgs, KindArg};
use crate::exit::{Fatal, Outcome};
use crate::policy::http::{check_server_url, OutboundPolicy};
use crate::policy::{Policy, TOKEN_SECRET_NAME};
use crate::progress::{kind_name, log_sink};
use crate::runtime::{
    Grants, GuestRuntime, Job, Kind, Limits, Report, RunError, Status, TimeoutCaps, Timeouts,
};
use crate::secrets::Secret;
use crate::store::{RunStore, Store, WriteLimits};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The guest component to run.
pub enum GuestSource<'a> {
    Embedded(&'a [u8]),
    File(std::path::PathBuf),
}

impl GuestSource<'_> {
    pub fn load(&self) -> Result<GuestRuntime, Fatal> {
        let bytes;
        let wasm = match self {
            GuestSource::Embedded(b) => *b,
            GuestSource::File(path) => {
                bytes = std::fs::read(path)
                    .map_err(|e| Fatal::usage(format!("cannot read guest {}: {e}", path.display())))?;
                &bytes
            }
        };
        GuestRuntime::new(wasm).map_err(|e| Fatal::usage(format!("cannot load the guest component: {e:#}")))
    }
}

/// The policy in force: the file's, or the defaults.
pub fn effective_policy(path: Option<&std::path::Path>) -> Result<Policy, Fatal> {
    match path {
        Some(p) => Policy::load(p).map_err(|e| Fatal::usage(format!("{e:#}"))),
        None => Ok(Policy::default()),
    }
}

/// What a finished backup command reports.
pub struct Finished {
    pub report: Report,
    pub dest: String,
    pub elapsed: Duration,
}

/// Run one backup. `secret` is the PAT secret, already read from its source.
pub async fn run(args: &BackupArgs, secret: Secret, guest: &GuestSource<'_>) -> Result<Finished, Fatal> {
    let started = Instant::now();
    let server = check_server_url(&args.site.server).map_err(Fatal::usage)?;
    if args.site.token_name.trim().is_empty() {
        return Err(Fatal::usage(
            "the token name is empty (--token-name or TABLEAU_TOKEN_NAME)",
        ));
    }
    let policy = effective_policy(args.sandbox.policy.as_deref())?;
    if !policy.secrets.allow.iter().any(|n| n == TOKEN_SECRET_NAME) {
        return Err(Fatal::usage(format!(
            "the policy does not grant the token secret ({TOKEN_SECRET_NAME:?}) to the guest"
        )));
    }
    let runtime = match &args.sandbox.guest {
        Some(path) => GuestSource::File(path.clone()).load()?,
        None => guest.load()?,
    };
    let store = Store::connect(&args.dest)
        .await
        .map_err(|e| Fatal::failed(e.to_string()))?;
    let run_name = new_run_name(&store, &args.site.site).await?;
    tracing::debug!("run folder {}/{run_name}", args.dest);

    let run = Arc::new(RunStore::new(
        Arc::new(store),
        run_name.clone(),
        WriteLimits {
            max_object_bytes: policy.store.max_object_bytes,
            max_objects: policy.store.max_objects,
        },
    ));
    let timeouts = Timeouts {
        connect_ms: args.connect_timeout.saturating_mul(1000),
        first_byte_ms: args.first_byte_timeout.saturating_mul(1000),
        between_bytes_ms: args.between_bytes_timeout.saturating_mul(1000),
    };
    let caps = TimeoutCaps {
        connect: Duration::from_secs(args.connect_timeout.into()),
        first_byte: Duration::from_secs(args.first_byte_timeout.into()),
        between_bytes: Duration::from_secs(args.between_bytes_timeout.into()),
    };
    let job = Job {
        server: args.site.server.trim_end_matches('/').to_string(),
        site: args.site.site.clone(),
        token_name: args.site.token_name.clone(),
        token_secret_name: TOKEN_SECRET_NAME.to_string(),
        kinds: args.kinds.iter().map(|k| to_kind(*k)).collect(),
        include_extracts: !args.no_extracts,
        limits: Limits {
            max_workbooks: args.max_workbooks,
            max_datasources: args.max_datasources,
            max_flows: args.max_flows,
        },
        timeouts,
        concurrency: args.concurrency,
        page_size: args.page_size,
        run_name: run_name.clone(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let grants = Grants {
        run: run.clone(),
        secrets: HashMap::from([(TOKEN_SECRET_NAME.to_string(), secret)]),
        outbound: OutboundPolicy::new(server, &policy.http.allow_hosts),
        timeouts: caps,
        resources: policy.resources.clone(),
        events: log_sink(),
    };
    let outcome = runtime.run(job, grants).await;
    // Commits and aborts finish before the command reports anything.
    run.drain(Duration::from_secs(60)).await;
    match outcome {
        Ok(report) => Ok(Finished {
            report,
            dest: format!("{}/{run_name}", args.dest),
            elapsed: started.elapsed(),
        }),
        Err(RunError::Guest(crate::runtime::BackupError::InvalidJob(m))) => {
            Err(Fatal::usage(format!("invalid job: {m}")))
        }
        Err(e) => Err(Fatal::failed(format!(
            "{e}; no backup was made (run folder {run_name} has no manifest)"
        ))),
    }
}

impl Finished {
    pub fn outcome(&self) -> Outcome {
        match self.report.status {
            Status::Complete => Outcome::Complete,
            Status::Partial => Outcome::Partial,
        }
    }

    /// The one-line summary printed last.
    pub fn summary(&self) -> String {
        let r = &self.report;
        let files: u64 = r.counts.iter().map(|c| c.stored).sum();
        let counts: Vec<String> = r
            .counts
            .iter()
            .filter(|c| c.listed > 0 || c.stored > 0 || c.failed > 0)
            .map(|c| format!("{} {}", c.listed, kind_name(c.kind)))
            .collect();
        let status = match r.status {
            Status::Complete => "complete",
            Status::Partial => "PARTIAL",
        };
        format!(
            "backup {status}: {files} files, {} failures, {} in {:.1}s -> {} ({})",
            r.failures,
            human_bytes(r.bytes),
            self.elapsed.as_secs_f64(),
            self.dest,
            counts.join(", ")
        )
    }
}

/// `backup_tableau_cloud_<site>_<UTC YYYYMMDDTHHMMSSZ>`, unique in the destination.
async fn new_run_name(store: &Store, site: &str) -> Result<String, Fatal> {
    let site: String = site
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let site = if site.is_empty() {
        "default".to_string()
    } else {
        site
    };
    let existing = store
        .list_folders()
        .await
        .map_err(|e| Fatal::failed(e.to_string()))?;
    for _ in 0..3 {
        let now = time::OffsetDateTime::now_utc();
        let stamp = now
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .expect("static format");
        let name = format!("backup_tableau_cloud_{site}_{stamp}");
        if !existing.contains(&name) {
            return Ok(name);
        }
        // Two runs in one second: wait for the next second rather than bend the format.
        tokio::time::sleep(Duration::from_millis(1000 - now.millisecond() as u64)).await;
    }
    Err(Fatal::failed("cannot find a free run folder name"))
}

fn to_kind(k: KindArg) -> Kind {
    match k {
        KindArg::Workbooks => Kind::Workbooks,
        KindArg::Datasources => Kind::Datasources,
        KindArg::Flows => Kind::Flows,
        KindArg::Users => Kind::Users,
        KindArg::Groups => Kind::Groups,
        KindArg::Favorites => Kind::Favorites,
        KindArg::Subscriptions => Kind::Subscriptions,
        KindArg::CustomViews => Kind::CustomViews,
        KindArg::Projects => Kind::Projects,
        KindArg::VirtualConnections => Kind::VirtualConnections,
        KindArg::ExtractRefreshTasks => Kind::ExtractRefreshTasks,
        KindArg::Site => Kind::Site,
    }
}

/// Bytes in binary units, e.g. `1.5 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}
