//! Reading a run's `manifest.json` (written by the guest) for verify and snapshots.
//!
//! Only the fields the host needs are read; unknown fields are ignored so newer
//! manifests stay readable.

use crate::store::{Store, StoreError};
use serde::Deserialize;
use tokio::io::AsyncReadExt;

/// The manifest's file name in every run folder; its presence marks a finished run.
pub const MANIFEST_KEY: &str = "manifest.json";

#[derive(Debug, Clone, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub status: String,
    #[serde(default)]
    pub started_at: String,
    #[serde(default)]
    pub finished_at: String,
    #[serde(default)]
    pub items: Vec<Entry>,
    #[serde(default)]
    pub metadata: Vec<Entry>,
    #[serde(default)]
    pub failures: Vec<serde_json::Value>,
}

/// A stored object the manifest vouches for.
#[derive(Debug, Clone, Deserialize)]
pub struct Entry {
    pub key: String,
    pub size: u64,
    pub sha256: String,
}

impl Manifest {
    /// Every object the manifest names (content and metadata).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.items.iter().chain(self.metadata.iter())
    }

    pub fn total_bytes(&self) -> u64 {
        self.entries().map(|e| e.size).sum()
    }
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("run {0} has no manifest: it is incomplete (crashed, killed or still running)")]
    Missing(String),
    #[error("cannot read the manifest of {0}: {1}")]
    Unreadable(String, String),
}

/// Load `<run>/manifest.json`.
pub async fn load(store: &Store, run: &str) -> Result<Manifest, ManifestError> {
    let key = format!("{run}/{MANIFEST_KEY}");
    let mut reader = match store.read(&key).await {
        Ok(r) => r,
        Err(StoreError::NotFound(_)) => return Err(ManifestError::Missing(run.into())),
        Err(e) => return Err(ManifestError::Unreadable(run.into(), e.to_string())),
    };
    let mut text = Vec::new();
    reader
        .read_to_end(&mut text)
        .await
        .map_err(|e| ManifestError::Unreadable(run.into(), e.to_string()))?;
    serde_json::from_slice(&text)
        .map_err(|e| ManifestError::Unreadable(run.into(), format!("invalid JSON: {e}")))
}

/// Run folders sorted oldest first (by the timestamp that ends their name).
pub fn sort_runs(runs: &mut [String]) {
    runs.sort_by(|a, b| {
        let ts = |s: &String| s.rsplit('_').next().unwrap_or("").to_string();
        ts(a).cmp(&ts(b)).then(a.cmp(b))
    });
}
