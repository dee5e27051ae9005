//! `backup`: one function from a resolved [`BackupConfig`] to a finished run.
//! It reads the secret, loads the policy and the guest, claims a run folder,
//! turns the configuration into the guest's `Job` and the host's `Grants`, runs
//! the guest and waits for the store. It prints nothing.

use crate::config::{self, BackupConfig, SandboxConfig, SiteConfig};
use crate::exit::Fatal;
use crate::guest::GuestSource;
use crate::policy::http::OutboundPolicy;
use crate::policy::{Policy, TOKEN_SECRET_NAME};
use crate::runs;
use crate::runtime::{
    BackupError, EventSink, Grants, GuestRuntime, Job, Limits, Report, RunError, TimeoutCaps, Timeouts,
};
use crate::secrets::Secret;
use crate::store::{self, Access, Backend, RunStore, WriteLimits};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tableau_backup_model::manifest::{self, Scope};
use tableau_backup_model::{run_name, Kind};

/// A backup that produced a manifest.
#[derive(Debug)]
pub struct Finished {
    /// The guest's report.
    pub report: Report,
    /// `<dest>/<run>`.
    pub location: String,
    /// What the run was asked to cover (`full` is false for a limited run).
    pub scope: Scope,
    /// Wall time of the whole command.
    pub elapsed: Duration,
}

/// The policy in force: the file's, or the defaults.
pub fn effective_policy(path: Option<&std::path::Path>) -> Result<Policy, Fatal> {
    match path {
        Some(p) => Policy::load(p).map_err(|e| Fatal::usage(format!("{e:#}"))),
        None => Ok(Policy::default()),
    }
}

/// What every guest run needs before it starts: the PAT secret, the policy in
/// force (which must grant the secret), and the compiled guest.
pub(crate) fn sandbox(
    site: &SiteConfig,
    sandbox: &SandboxConfig,
    guest: &GuestSource<'_>,
) -> Result<(Secret, Policy, GuestRuntime), Fatal> {
    let secret = site.token_secret.read().map_err(Fatal::usage)?;
    let policy = effective_policy(sandbox.policy.as_deref())?;
    if !policy.secrets.allow.iter().any(|n| n == TOKEN_SECRET_NAME) {
        return Err(Fatal::usage(format!(
            "the policy does not grant the token secret ({TOKEN_SECRET_NAME:?}) to the guest"
        )));
    }
    let runtime = match &sandbox.guest {
        Some(path) => GuestSource::File(path.clone()).load()?,
        None => guest.load()?,
    };
    Ok((secret, policy, runtime))
}

/// Run one backup.
pub async fn run(
    config: &BackupConfig,
    guest: &GuestSource<'_>,
    events: EventSink,
) -> Result<Finished, Fatal> {
    let started = Instant::now();
    let (secret, policy, runtime) = sandbox(&config.site, &config.sandbox, guest)?;
    let backend = store::connect(&config.dest)
        .await
        .map_err(|e| Fatal::failed(e.to_string()))?;
    let limits = WriteLimits {
        max_object_bytes: policy.store.max_object_bytes,
        max_objects: policy.store.max_objects,
    };
    let run = claim_run(&backend, &config.site.site, limits).await?;
    let run_name = match run.access() {
        Access::Backup { run } => run.clone(),
        _ => unreachable!("claim_run grants a backup"),
    };
    tracing::debug!("run folder {}/{run_name}", config.dest);

    let earlier = if config.scope.revisions {
        earlier_runs(&run, &run_name).await
    } else {
        Vec::new()
    };
    let job = job(config, &run_name, earlier);
    let grants = grants(
        &config.site,
        &config.timeouts,
        &policy,
        run.clone(),
        secret,
        events,
    );
    let outcome = runtime.run(job, grants).await;
    // Commits and aborts finish before the command reports anything.
    run.drain(Duration::from_secs(60)).await;
    // Then what the writers could not abort (an upload whose id never arrived).
    clean_up(&run, &run_name).await;
    match outcome {
        Ok(report) => Ok(Finished {
            report,
            location: format!("{}/{run_name}", config.dest),
            scope: scope(config),
            elapsed: started.elapsed(),
        }),
        Err(RunError::Guest(BackupError::InvalidJob(m))) => Err(Fatal::usage(format!("invalid job: {m}"))),
        Err(e) => Err(Fatal::failed(format!(
            "{e}; no backup was made (run folder {run_name} has no manifest)"
        ))),
    }
}

/// How long a backup keeps trying to remove what it left unfinished.
const CLEAN_UP_LIMIT: Duration = Duration::from_secs(30);

/// Abort the multipart uploads (or temp files) the run left open, so a failed
/// run leaves nothing billed behind; when the store does not answer, say so:
/// `snapshots` shows what is left.
async fn clean_up(run: &RunStore, run_name: &str) {
    match run.discard_own_leftovers(CLEAN_UP_LIMIT).await {
        Ok(0) => {}
        Ok(n) => tracing::info!("removed {n} unfinished uploads the run left in {run_name}"),
        Err(e) => tracing::warn!(
            "could not remove the unfinished uploads of {run_name}: {e}; `snapshots` lists any left, \
             deleting the run removes them (as does a bucket lifecycle rule)"
        ),
    }
}

/// The scope the configuration asks for, by the manifest's rule for `full`.
fn scope(config: &BackupConfig) -> Scope {
    let s = &config.scope;
    Scope {
        // In backup order, as the guest records them.
        kinds: Kind::ALL
            .into_iter()
            .filter(|k| s.kinds.is_empty() || s.kinds.contains(k))
            .collect(),
        include_extracts: s.include_extracts,
        max_workbooks: s.max_workbooks,
        max_datasources: s.max_datasources,
        max_flows: s.max_flows,
        skipped_by_limits: 0,
        revisions: s.revisions,
        full: false,
    }
    .with_full()
}

/// What the guest is asked to do.
fn job(config: &BackupConfig, run_name: &str, earlier_runs: Vec<String>) -> Job {
    let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
    Job {
        server: config.site.server.clone(),
        site: config.site.site.clone(),
        token_name: config.site.token_name.clone(),
        token_secret_name: TOKEN_SECRET_NAME.to_string(),
        kinds: config.scope.kinds.iter().map(|&k| k.into()).collect(),
        include_extracts: config.scope.include_extracts,
        revisions: config.scope.revisions,
        earlier_runs,
        limits: Limits {
            max_workbooks: config.scope.max_workbooks,
            max_datasources: config.scope.max_datasources,
            max_flows: config.scope.max_flows,
        },
        timeouts: Timeouts {
            connect_ms: ms(config.timeouts.connect),
            first_byte_ms: ms(config.timeouts.first_byte),
            between_bytes_ms: ms(config.timeouts.between_bytes),
        },
        concurrency: config.concurrency,
        page_size: config.page_size,
        run_name: run_name.to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
    }
}

/// Earlier runs offered to the guest to copy revisions from.
pub const MAX_EARLIER_RUNS: usize = 5;

/// Runs of the same site as `this` (same name but for the time stamp) that
/// have a manifest, newest first, at most [`MAX_EARLIER_RUNS`]; `this` is
/// never one. The guest reads their manifests and copies what it can.
async fn earlier_runs(store: &RunStore, this: &str) -> Vec<String> {
    let Some(site) = run_name::site(this) else {
        return Vec::new();
    };
    let runs = match runs::list(store).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!("cannot list earlier runs ({e}): every revision will be downloaded");
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for run in runs.iter().rev() {
        if out.len() == MAX_EARLIER_RUNS {
            break;
        }
        if run == this || run_name::site(run) != Some(site) {
            continue;
        }
        let Ok(key) = store::keys::run_key(run, manifest::KEY) else {
            continue;
        };
        match store.head(&key).await {
            Ok(Some(_)) => out.push(run.clone()),
            Ok(None) => {}
            Err(e) => tracing::warn!("cannot look for the manifest of {run}: {e}"),
        }
    }
    tracing::debug!("earlier runs to copy revisions from: {out:?}");
    out
}

/// What the host lets the guest touch for this run (a backup or a restore).
pub(crate) fn grants(
    site: &SiteConfig,
    timeouts: &config::Timeouts,
    policy: &Policy,
    run: Arc<RunStore>,
    secret: Secret,
    events: EventSink,
) -> Grants {
    Grants {
        run,
        secrets: HashMap::from([(TOKEN_SECRET_NAME.to_string(), secret)]),
        outbound: OutboundPolicy::new(site.origin.clone(), &policy.http.allow_hosts),
        timeouts: TimeoutCaps {
            connect: timeouts.connect,
            first_byte: timeouts.first_byte,
            between_bytes: timeouts.between_bytes,
        },
        resources: policy.resources.clone(),
        events,
    }
}

/// Name the run and claim its folder atomically: two runs started in the same
/// second never share one. The later waits for the next second rather than
/// bend the name's format.
async fn claim_run(
    backend: &Arc<dyn Backend>,
    site: &str,
    limits: WriteLimits,
) -> Result<Arc<RunStore>, Fatal> {
    for _ in 0..5 {
        let now = time::OffsetDateTime::now_utc();
        let name = run_name::new(site, now);
        let run = Arc::new(RunStore::new(
            backend.clone(),
            Access::Backup { run: name.clone() },
            limits,
        ));
        let marker = serde_json::json!({
            "run": name,
            "started_at": tableau_backup_model::manifest::rfc3339(now.unix_timestamp().max(0) as u64),
            "tool_version": env!("CARGO_PKG_VERSION"),
        });
        let claimed = run
            .claim(run_name::STARTED_KEY, marker.to_string().into_bytes())
            .await
            .map_err(|e| Fatal::failed(format!("cannot create run folder {name}: {e}")))?;
        if claimed {
            return Ok(run);
        }
        tokio::time::sleep(Duration::from_millis(1000 - u64::from(now.millisecond()))).await;
    }
    Err(Fatal::failed("cannot find a free run folder name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn earlier_runs_are_this_sites_with_a_manifest_newest_first() {
        let dir = tempfile::tempdir().unwrap();
        let run = |site: &str, day: u32| format!("backup_tableau_cloud_{site}_202612{day:02}T000000Z");
        let with_manifest = |name: &str| {
            std::fs::create_dir_all(dir.path().join(name)).unwrap();
            std::fs::write(dir.path().join(name).join(manifest::KEY), b"{}").unwrap();
        };
        for day in 1..=7 {
            with_manifest(&run("demo", day));
        }
        with_manifest(&run("demo_b", 8));
        with_manifest(&run("other", 9));
        with_manifest("not_a_run");
        // A run without a manifest (crashed) and the new run itself.
        std::fs::create_dir_all(dir.path().join(run("demo", 10))).unwrap();
        std::fs::write(dir.path().join(run("demo", 10)).join("started.json"), b"{}").unwrap();
        with_manifest(&run("demo", 11));
        let backend: Arc<dyn Backend> = Arc::new(store::LocalStore::open(dir.path()).await.unwrap());
        let limits = WriteLimits {
            max_object_bytes: 1,
            max_objects: 1,
        };
        let this = run("demo", 11);
        let store = RunStore::new(backend, Access::Backup { run: this.clone() }, limits);
        let got = earlier_runs(&store, &this).await;
        let want: Vec<String> = [7, 6, 5, 4, 3].iter().map(|&d| run("demo", d)).collect();
        assert_eq!(got, want);
    }

    #[tokio::test]
    async fn two_runs_started_in_the_same_second_get_their_own_folders() {
        let dir = tempfile::tempdir().unwrap();
        let backend: Arc<dyn Backend> = Arc::new(store::LocalStore::open(dir.path()).await.unwrap());
        let limits = WriteLimits {
            max_object_bytes: 1,
            max_objects: 1,
        };
        let (a, b) = tokio::join!(
            claim_run(&backend, "site", limits),
            claim_run(&backend, "site", limits)
        );
        let name = |r: Arc<RunStore>| match r.access() {
            Access::Backup { run } => run.clone(),
            _ => unreachable!(),
        };
        let (a, b) = (name(a.unwrap()), name(b.unwrap()));
        assert_ne!(a, b);
        for run in [&a, &b] {
            assert!(dir.path().join(run).join(run_name::STARTED_KEY).is_file());
        }
    }
}
