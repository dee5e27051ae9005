//! Running the guest: wasmtime set-up, the imports it gets, and its limits
//! (memory, CPU, wall clock, output), all set here for each run.

mod bindings;
mod engine;
mod guest_imports;
mod http;
mod state;
mod store_host;

pub use bindings::events::{Event, Item, Level};
pub use bindings::restore_types::{
    RestoreAction, RestoreEntry, RestoreJob, RestoreMode, RestoreReport, Todo,
};
pub use bindings::types::{BackupError, Job, Kind, KindCount, Limits, Report, Status, Timeouts};
pub use engine::GuestRuntime;
pub use http::TimeoutCaps;
pub use state::EventSink;

use crate::policy::http::OutboundPolicy;
use crate::policy::ResourcePolicy;
use crate::redact::Redactor;
use crate::secrets::Secret;
use crate::store::RunStore;
use bindings::Backup;
use state::HostState;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::{StoreLimitsBuilder, UpdateDeadline};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::WasiCtxBuilder;
use wasmtime_wasi_http::WasiHttpCtx;

/// Everything the host grants one run.
pub struct Grants {
    /// The store, through the run's grant.
    pub run: Arc<RunStore>,
    /// Secrets by name; only these are readable by the guest.
    pub secrets: HashMap<String, Secret>,
    /// Where the guest may send HTTP requests.
    pub outbound: OutboundPolicy,
    /// Ceilings on the guest's request timeouts.
    pub timeouts: TimeoutCaps,
    /// Memory, CPU, time and output limits.
    pub resources: ResourcePolicy,
    /// Where the guest's events go (already redacted).
    pub events: EventSink,
}

/// Why a run ended without a report from the guest.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The guest returned an error (no manifest was written).
    #[error("{}", describe(.0))]
    Guest(BackupError),
    /// The guest broke a limit or trapped; the host stopped it.
    #[error("the backup guest was stopped: {0}")]
    Stopped(String),
}

fn describe(e: &BackupError) -> String {
    match e {
        BackupError::InvalidJob(m) => format!("invalid job: {m}"),
        BackupError::Auth(m) => format!("sign-in failed: {m}"),
        BackupError::Unreachable(m) => format!("Tableau is unreachable: {m}"),
        BackupError::Protocol(m) => format!("unexpected answer from Tableau: {m}"),
        BackupError::Denied(m) => format!("denied by policy: {m}"),
        BackupError::Store(m) => format!("storage failed: {m}"),
    }
}

/// Which export to call, with its job.
enum Call {
    Backup(Job),
    Restore(RestoreJob),
}

/// What the export returned.
enum Returned {
    Backup(Report),
    Restore(RestoreReport),
}

impl GuestRuntime {
    /// Instantiate the guest, run one backup and tear it down.
    pub async fn run(&self, job: Job, grants: Grants) -> Result<Report, RunError> {
        match self.call(Call::Backup(job), grants).await? {
            Returned::Backup(r) => Ok(r),
            Returned::Restore(_) => unreachable!("a backup call returns a backup report"),
        }
    }

    /// Instantiate the guest, run one restore (under the same limits) and tear it down.
    pub async fn restore(&self, job: RestoreJob, grants: Grants) -> Result<RestoreReport, RunError> {
        match self.call(Call::Restore(job), grants).await? {
            Returned::Restore(r) => Ok(r),
            Returned::Backup(_) => unreachable!("a restore call returns a restore report"),
        }
    }

    async fn call(&self, call: Call, grants: Grants) -> Result<Returned, RunError> {
        let res = grants.resources.clone();
        let redactor = Redactor::new(grants.secrets.values());
        let output = MemoryOutputPipe::new(res.max_output_bytes as usize);
        let wasi = WasiCtxBuilder::new()
            .stdout(output.clone())
            .stderr(output.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limits = StoreLimitsBuilder::new()
            .memory_size((res.max_memory_mib as usize) << 20)
            .trap_on_grow_failure(true)
            .build();
        let state = HostState {
            wasi,
            table: Default::default(),
            http: WasiHttpCtx::new(),
            hooks: http::PolicyHooks::new(grants.outbound, grants.timeouts, redactor.clone()),
            limits,
            run: grants.run,
            secrets: grants.secrets,
            events: grants.events,
            redactor: redactor.clone(),
            cpu_ticks: 0,
        };
        let mut store = wasmtime::Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        let budget = res.max_cpu_secs.saturating_mul(1000) / engine::EPOCH_TICK.as_millis() as u64;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |mut ctx| {
            let used = &mut ctx.data_mut().cpu_ticks;
            *used += 1;
            if *used > budget {
                return Err(wasmtime::format_err!(
                    "CPU budget of {} s exhausted",
                    budget / 100
                ));
            }
            Ok(UpdateDeadline::Yield(1))
        });

        let deadline = Duration::from_secs(res.run_deadline_secs);
        let outcome = tokio::time::timeout(deadline, async {
            let instance = Backup::instantiate_async(&mut store, &self.component, &self.linker).await?;
            Ok::<_, wasmtime::Error>(match &call {
                Call::Backup(job) => instance.call_run(&mut store, job).await?.map(Returned::Backup),
                Call::Restore(job) => instance
                    .call_restore(&mut store, job)
                    .await?
                    .map(Returned::Restore),
            })
        })
        .await;
        log_guest_output(&output, &redactor);
        match outcome {
            Err(_) => Err(RunError::Stopped(format!(
                "run deadline of {} s exceeded",
                res.run_deadline_secs
            ))),
            Ok(Err(trap)) => Err(RunError::Stopped(explain_trap(&trap, &res))),
            Ok(Ok(Err(e))) => Err(RunError::Guest(scrub_error(e, &redactor))),
            Ok(Ok(Ok(Returned::Restore(mut r)))) => {
                // The same defence for what the report quotes from Tableau.
                for e in &mut r.entries {
                    e.detail = redactor.clean(&e.detail);
                }
                for t in &mut r.checklist {
                    t.action = redactor.clean(&t.action);
                }
                Ok(Returned::Restore(r))
            }
            Ok(Ok(Ok(report))) => Ok(report),
        }
    }
}

/// Defence in depth: an error text from the guest (which may quote Tableau's
/// answer) must not carry a secret to the user's terminal or log.
fn scrub_error(e: BackupError, redactor: &Redactor) -> BackupError {
    let scrub = |m: String| redactor.clean(&m);
    match e {
        BackupError::InvalidJob(m) => BackupError::InvalidJob(scrub(m)),
        BackupError::Auth(m) => BackupError::Auth(scrub(m)),
        BackupError::Unreachable(m) => BackupError::Unreachable(scrub(m)),
        BackupError::Protocol(m) => BackupError::Protocol(scrub(m)),
        BackupError::Denied(m) => BackupError::Denied(scrub(m)),
        BackupError::Store(m) => BackupError::Store(scrub(m)),
    }
}

/// A trap in words a user can act on.
fn explain_trap(trap: &wasmtime::Error, res: &ResourcePolicy) -> String {
    let text = format!("{trap:?}");
    if text.contains("CPU budget") {
        format!(
            "CPU budget of {} s exhausted (resources.max_cpu_secs)",
            res.max_cpu_secs
        )
    } else if text.contains("memory") && (text.contains("grow") || text.contains("limit")) {
        format!(
            "memory limit of {} MiB reached (resources.max_memory_mib)",
            res.max_memory_mib
        )
    } else {
        // The top context is wasmtime's "error while executing at wasm
        // backtrace"; the reason (a host trap's message) is the root cause.
        let why = trap.root_cause().to_string();
        let why = why.lines().next().unwrap_or("").trim();
        format!("guest trapped: {why}")
    }
}

/// The guest's stdout and stderr, redacted, as log lines (bounded in count and length).
fn log_guest_output(output: &MemoryOutputPipe, redactor: &Redactor) {
    let bytes = output.contents();
    for line in String::from_utf8_lossy(&bytes).lines().take(200) {
        let cut: String = redactor.clean(line).chars().take(500).collect();
        tracing::info!(target: "guest", "guest output: {cut}");
    }
}
