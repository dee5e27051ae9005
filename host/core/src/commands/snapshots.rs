//! `snapshots`: the runs in a destination and their state.

use crate::config::SnapshotsConfig;
use crate::exit::Fatal;
use crate::runs::{self, ManifestError};
use crate::store::{self, keys, RunStore};
use tableau_backup_model::run_name;

/// One run as `snapshots` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The run folder.
    pub run: String,
    /// `complete`, `limited`, `partial`, `incomplete` (no manifest; with the
    /// count of uploads a killed run left unfinished) or `unreadable (...)`.
    pub status: String,
    /// RFC 3339, or `-`.
    pub started_at: String,
    /// Content files (or, for an incomplete run, objects found).
    pub items: u64,
    /// Entries in the manifest's failures.
    pub failures: u64,
    /// Bytes the manifest names (or, for an incomplete run, found).
    pub bytes: u64,
}

/// Every run in the destination, oldest first.
pub async fn run(config: &SnapshotsConfig) -> Result<Vec<Snapshot>, Fatal> {
    let backend = store::connect(&config.dest)
        .await
        .map_err(|e| Fatal::failed(e.to_string()))?;
    let store = RunStore::read_only(backend);
    let failed = |e: store::RunStoreError| Fatal::failed(e.to_string());
    let mut out = Vec::new();
    for run in runs::list(&store).await.map_err(failed)? {
        let snap = match runs::load_manifest(&store, &run).await {
            Ok(m) => Snapshot {
                status: m.verdict().to_string(),
                started_at: m.started_at.clone(),
                items: m.items.len() as u64,
                failures: m.failures.len() as u64,
                bytes: m.total_bytes(),
                run,
            },
            Err(ManifestError::Missing(_)) => {
                let prefix = keys::run_prefix(&run).map_err(|e| Fatal::failed(e.to_string()))?;
                let objects = store.list(&prefix).await.map_err(failed)?;
                let leftovers = store.leftovers(&prefix).await.map_err(failed)?;
                Snapshot {
                    status: match leftovers.len() {
                        0 => "incomplete".into(),
                        n => format!("incomplete ({n} unfinished uploads left)"),
                    },
                    started_at: started_from_name(&run),
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

/// An incomplete run has no manifest; its folder name still says when it began.
fn started_from_name(run: &str) -> String {
    run_name::started_at(run)
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn start_time_from_the_folder_name() {
        assert_eq!(
            super::started_from_name("backup_tableau_cloud_my_site_20261128T051200Z"),
            "2026-11-28T05:12:00Z"
        );
        assert_eq!(super::started_from_name("not-a-run"), "-");
    }
}
