//! The runs in a destination: their names, and their manifests as the shared
//! model reads them. Used by verify and snapshots (and by restore, prune and
//! incremental runs later); everything goes through a [`RunStore`].

use crate::store::{keys, RunStore, RunStoreError, StoreError};
use std::io::Read;
use tableau_backup_model::{manifest, run_name, Manifest};
use tokio_util::io::SyncIoBridge;

/// Largest manifest read (a run of a million objects writes about 600 MB).
pub const MAX_MANIFEST_BYTES: u64 = 1 << 30;

/// Why a run's manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// No manifest: the run is incomplete.
    #[error("run {0} has no manifest: it is incomplete (crashed, killed or still running)")]
    Missing(String),
    /// There is one, but it cannot be used.
    #[error("cannot read the manifest of {0}: {1}")]
    Unreadable(String, String),
}

/// Run folders in the destination, oldest first. Other folders are left out.
pub async fn list(store: &RunStore) -> Result<Vec<String>, RunStoreError> {
    let mut runs: Vec<String> = store
        .list_folders()
        .await?
        .into_iter()
        .filter(|f| run_name::is_run(f))
        .collect();
    run_name::sort(&mut runs);
    Ok(runs)
}

/// Read `<run>/manifest.json`, streamed and capped at [`MAX_MANIFEST_BYTES`].
pub async fn load_manifest(store: &RunStore, run: &str) -> Result<Manifest, ManifestError> {
    let unreadable = |why: String| ManifestError::Unreadable(run.to_string(), why);
    let key = keys::run_key(run, manifest::KEY).map_err(|e| unreadable(e.to_string()))?;
    let reader = match store.read(&key).await {
        Ok(r) => r,
        Err(RunStoreError::Store(StoreError::NotFound(_))) => return Err(ManifestError::Missing(run.into())),
        Err(e) => return Err(unreadable(e.to_string())),
    };
    let parsed = tokio::task::spawn_blocking(move || {
        let capped = Capped {
            inner: std::io::BufReader::with_capacity(256 * 1024, SyncIoBridge::new(reader)),
            left: MAX_MANIFEST_BYTES,
        };
        Manifest::from_reader(capped)
    })
    .await
    .map_err(|e| unreadable(format!("reader task failed: {e}")))?;
    parsed.map_err(|e| unreadable(e.to_string()))
}

/// The newest run that has a manifest.
pub async fn latest_with_manifest(store: &RunStore) -> Result<Option<String>, RunStoreError> {
    for run in list(store).await?.iter().rev() {
        let key = keys::run_key(run, manifest::KEY).map_err(|e| RunStoreError::Denied(e.to_string()))?;
        if store.head(&key).await?.is_some() {
            return Ok(Some(run.clone()));
        }
    }
    Ok(None)
}

/// A reader that fails once more than `left` bytes come through.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(format!(
                "the manifest is larger than {MAX_MANIFEST_BYTES} bytes"
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capped_reader_stops_at_the_cap() {
        let data = [b' '; 100];
        let mut ok = Capped {
            inner: &data[..],
            left: 100,
        };
        assert_eq!(std::io::copy(&mut ok, &mut std::io::sink()).unwrap(), 100);
        let mut over = Capped {
            inner: &data[..],
            left: 99,
        };
        assert!(std::io::copy(&mut over, &mut std::io::sink()).is_err());
    }
}
