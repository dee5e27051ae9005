//! `verify`: re-read every object of a run and compare it with the manifest
//! (presence, size, SHA-256), and report objects it doesn't name.
//!
//! The manifest was written by the sandboxed guest, so nothing in it is
//! trusted: every key is validated and scoped to the run before it is read,
//! and the manifest itself is size-capped and stream-parsed.

use crate::config::VerifyConfig;
use crate::exit::{Fatal, Outcome};
use crate::runs;
use crate::store::{self, keys, RunStore, RunStoreError, StoreError};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use tableau_backup_model::manifest::{self, Failure, Status};
use tableau_backup_model::run_name;
use tokio::io::AsyncReadExt;

/// What verification found.
#[derive(Debug, Default)]
pub struct Findings {
    /// The run verified.
    pub run: String,
    /// The manifest's status (a partial run can be intact, but is not whole).
    pub status: Option<Status>,
    /// The manifest's failures.
    pub failures: Vec<Failure>,
    /// What limited the run (empty for a full one).
    pub limits: Vec<String>,
    /// Objects read.
    pub checked: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Named by the manifest, not stored.
    pub missing: Vec<String>,
    /// Stored, but not as the manifest says (or unreadable, or a refused key).
    pub corrupt: Vec<String>,
    /// Stored, not named by the manifest.
    pub unexpected: Vec<String>,
}

impl Findings {
    /// Every object is as the manifest says.
    pub fn intact(&self) -> bool {
        self.missing.is_empty() && self.corrupt.is_empty() && self.unexpected.is_empty()
    }

    /// Damaged: 1; intact: the run's own code (0 complete, 3 partial, 4 limited).
    pub fn outcome(&self) -> Outcome {
        if !self.intact() {
            Outcome::Failed
        } else if self.status == Some(Status::Partial) {
            Outcome::Partial
        } else if !self.limits.is_empty() {
            Outcome::Limited
        } else {
            Outcome::Complete
        }
    }
}

/// Verify the run the configuration names, or the latest with a manifest.
pub async fn run(config: &VerifyConfig) -> Result<Findings, Fatal> {
    let backend = store::connect(&config.dest)
        .await
        .map_err(|e| Fatal::failed(e.to_string()))?;
    let store = RunStore::read_only(backend);
    let failed = |e: RunStoreError| Fatal::failed(e.to_string());
    let run = match &config.run {
        Some(r) => {
            keys::run_prefix(r).map_err(|e| Fatal::usage(format!("run {r:?}: {e}")))?;
            r.clone()
        }
        None => runs::latest_with_manifest(&store)
            .await
            .map_err(failed)?
            .ok_or_else(|| Fatal::failed("no run with a manifest in this destination"))?,
    };
    let manifest = runs::load_manifest(&store, &run)
        .await
        .map_err(|e| Fatal::failed(e.to_string()))?;
    let mut f = Findings {
        run: run.clone(),
        status: Some(manifest.status),
        failures: manifest.failures.clone(),
        limits: if manifest.scope.full {
            Vec::new()
        } else {
            manifest.scope.limits()
        },
        ..Default::default()
    };
    let mut named = HashSet::new();
    for entry in manifest.entries() {
        let key = match keys::run_key(&run, entry.key) {
            Ok(k) => k,
            Err(e) => {
                f.corrupt.push(format!("{:?}: key refused: {e}", cut(entry.key)));
                continue;
            }
        };
        named.insert(entry.key.to_string());
        match hash_object(&store, &key, entry.size).await {
            Ok((size, sha)) => {
                f.checked += 1;
                f.bytes += size;
                if size > entry.size {
                    f.corrupt.push(format!(
                        "{}: larger than the {} bytes the manifest says",
                        entry.key, entry.size
                    ));
                } else if size != entry.size {
                    f.corrupt.push(format!(
                        "{}: size {size}, manifest says {}",
                        entry.key, entry.size
                    ));
                } else if sha != entry.sha256 {
                    f.corrupt
                        .push(format!("{}: SHA-256 differs from the manifest", entry.key));
                }
            }
            Err(RunStoreError::Store(StoreError::NotFound(_))) => f.missing.push(entry.key.to_string()),
            // An object the store cannot serve whole is as bad as a corrupt one.
            Err(e) => f.corrupt.push(format!("{}: unreadable: {e}", entry.key)),
        }
    }
    let prefix = keys::run_prefix(&run).map_err(|e| Fatal::usage(e.to_string()))?;
    for obj in store.list(&prefix).await.map_err(failed)? {
        let Some(rel) = keys::strip_run(&run, &obj.key) else {
            continue;
        };
        if rel != manifest::KEY && rel != run_name::STARTED_KEY && !named.contains(rel) {
            f.unexpected.push(rel.to_string());
        }
    }
    Ok(f)
}

/// A key from the manifest, cut for a message.
fn cut(key: &str) -> String {
    key.chars().take(120).collect()
}

/// Stream an object through SHA-256, stopping one buffer past the `expected`
/// size: an object larger than the manifest says (even an endless one) is
/// reported, never read to its end.
async fn hash_object(store: &RunStore, key: &str, expected: u64) -> Result<(u64, String), RunStoreError> {
    let mut reader = store.read(key).await?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = reader
            .read(&mut buf)
            .await
            .map_err(|e| StoreError::Backend(format!("reading {key}: {e}")))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
        if size > expected {
            break;
        }
    }
    Ok((size, hex::encode(hasher.finalize())))
}
