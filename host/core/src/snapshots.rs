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

/// An incomplete run has no manifest; its folder name still says when it began
/// (`..._20261128T051200Z` -> `2026-11-28T05:12:00Z`).
fn started_from_name(run: &str) -> String {
    let stamp = run.rsplit('_').next().unwrap_or("");
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    match time::PrimitiveDateTime::parse(stamp, format) {
        Ok(t) => t
            .assume_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|_| "-".into()),
        Err(_) => "-".into(),
    }
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
