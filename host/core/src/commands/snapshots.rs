//! `snapshots`: the runs in a destination and their state.

use crate::config::SnapshotsConfig;
use crate::exit::Fatal;
use crate::runs::{self, ManifestError};
use crate::store::{self, keys, RunStore};
use std::collections::HashMap;
use tableau_backup_model::run_name;

/// One run as `snapshots` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The run folder.
    pub run: String,
    /// `complete`, `limited`, `partial`, `incomplete` (no manifest) or
    /// `unreadable (...)`; then, if any, the count of uploads the run left
    /// unfinished (a killed run's, or ones the store was down to abort).
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
    let left = leftovers(&store).await.map_err(failed)?;
    let mut out = Vec::new();
    for run in runs::list(&store).await.map_err(failed)? {
        let unfinished = left.get(run.as_str()).copied().unwrap_or(0);
        let mut snap = match runs::load_manifest(&store, &run).await {
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
                Snapshot {
                    status: "incomplete".into(),
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
        // A failed run's, or one a finished run could not abort (the store was down).
        if unfinished > 0 {
            snap.status = format!("{} ({unfinished} unfinished uploads left)", snap.status);
        }
        out.push(snap);
    }
    Ok(out)
}

/// Unfinished uploads (open multipart uploads, temp files) per run folder, in one
/// listing of the whole destination. A store that cannot (or may not) list
/// them gives none, with a warning.
async fn leftovers(store: &RunStore) -> Result<HashMap<String, u64>, store::RunStoreError> {
    let keys = match store.leftovers("").await {
        Ok(k) => k,
        Err(store::RunStoreError::Store(store::StoreError::Permanent(why))) => {
            tracing::warn!("{why}: unfinished uploads are not shown");
            Vec::new()
        }
        Err(e) => return Err(e),
    };
    let mut per_run = HashMap::new();
    for key in keys {
        if let Some((run, _)) = key.split_once('/') {
            *per_run.entry(run.to_string()).or_insert(0) += 1;
        }
    }
    Ok(per_run)
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
