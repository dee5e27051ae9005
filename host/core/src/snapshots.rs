//! `tableau-backup snapshots`: the runs in a destination and their state.

use crate::backup::human_bytes;
use crate::exit::Fatal;
use crate::manifest::{self, ManifestError};
use crate::store::Store;

/// One run as `snapshots` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub run: String,
    /// `complete`, `partial` or `incomplete` (no manifest).
    pub status: String,
    pub started_at: String,
    pub items: u64,
    pub failures: u64,
    pub bytes: u64,
}

pub async fn list(store: &Store) -> Result<Vec<Snapshot>, Fatal> {
    let mut runs = store
        .list_folders()
        .await
        .map_err(|e| Fatal::failed(e.to_string()))?;
    manifest::sort_runs(&mut runs);
    let mut out = Vec::new();
    for run in runs {
        let snap = match manifest::load(store, &run).await {
            Ok(m) => Snapshot {
                status: m.status.clone(),
                started_at: m.started_at.clone(),
                items: m.items.len() as u64,
                failures: m.failures.len() as u64,
                bytes: m.total_bytes(),
                run,
            },
            Err(ManifestError::Missing(_)) => {
                let objects = store
                    .list(&format!("{run}/"))
                    .await
                    .map_err(|e| Fatal::failed(e.to_string()))?;
                Snapshot {
                    status: "incomplete".into(),
                    started_at: "-".into(),
                    items: objects.len() as u64,
                    failures: 0,
                    bytes: objects.iter().map(|o| o.size).sum(),
                    run,
                }
            }
            Err(e @ ManifestError::Unreadable(..)) => Snapshot {
                status: format!("unreadable ({e})"),
                started_at: "-".into(),
                items: 0,
                failures: 0,
                bytes: 0,
                run,
            },
        };
        out.push(snap);
    }
    Ok(out)
}

/// The table printed by the command.
pub fn render(snaps: &[Snapshot]) -> String {
    let width = snaps.iter().map(|s| s.run.len()).max().unwrap_or(3).max(3);
    let mut out = format!(
        "{:<width$}  {:<10}  {:<20}  {:>7}  {:>8}  {:>10}\n",
        "RUN", "STATUS", "STARTED", "ITEMS", "FAILURES", "SIZE"
    );
    for s in snaps {
        out.push_str(&format!(
            "{:<width$}  {:<10}  {:<20}  {:>7}  {:>8}  {:>10}\n",
            s.run,
            s.status,
            s.started_at,
            s.items,
            s.failures,
            human_bytes(s.bytes)
        ));
    }
    out
}
