//! `tableau-backup verify`: re-read every object of a run and compare it with
//! the manifest (presence, size, SHA-256), and report objects it doesn't name.

use crate::exit::{Fatal, Outcome};
use crate::manifest::{self, ManifestError, MANIFEST_KEY};
use crate::store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use tokio::io::AsyncReadExt;

/// What verification found.
#[derive(Debug, Default)]
pub struct Findings {
    pub run: String,
    pub checked: u64,
    pub bytes: u64,
    pub missing: Vec<String>,
    pub corrupt: Vec<String>,
    pub unexpected: Vec<String>,
}

impl Findings {
    pub fn intact(&self) -> bool {
        self.missing.is_empty() && self.corrupt.is_empty() && self.unexpected.is_empty()
    }

    pub fn outcome(&self) -> Outcome {
        if self.intact() {
            Outcome::Complete
        } else {
            Outcome::Failed
        }
    }
}

/// Verify `run`, or the latest run with a manifest.
pub async fn verify(store: &Store, run: Option<&str>) -> Result<Findings, Fatal> {
    let run = match run {
        Some(r) => r.to_string(),
        None => latest_with_manifest(store).await?,
    };
    let manifest = manifest::load(store, &run).await.map_err(|e| match e {
        ManifestError::Missing(_) => Fatal::failed(e.to_string()),
        ManifestError::Unreadable(..) => Fatal::failed(e.to_string()),
    })?;
    let mut f = Findings {
        run: run.clone(),
        ..Default::default()
    };
    let mut named = HashSet::new();
    for entry in manifest.entries() {
        named.insert(entry.key.clone());
        let key = format!("{run}/{}", entry.key);
        match hash_object(store, &key).await {
            Ok((size, sha)) => {
                f.checked += 1;
                f.bytes += size;
                if size != entry.size {
                    f.corrupt.push(format!(
                        "{}: size {size}, manifest says {}",
                        entry.key, entry.size
                    ));
                } else if sha != entry.sha256 {
                    f.corrupt
                        .push(format!("{}: SHA-256 differs from the manifest", entry.key));
                }
            }
            Err(StoreError::NotFound(_)) => f.missing.push(entry.key.clone()),
            // An object the store cannot serve whole is as bad as a corrupt one.
            Err(e) => f.corrupt.push(format!("{}: unreadable: {e}", entry.key)),
        }
    }
    let listed = store
        .list(&format!("{run}/"))
        .await
        .map_err(|e| Fatal::failed(e.to_string()))?;
    for obj in listed {
        let rel = obj.key[run.len() + 1..].to_string();
        if rel != MANIFEST_KEY && !named.contains(&rel) {
            f.unexpected.push(rel);
        }
    }
    Ok(f)
}

async fn latest_with_manifest(store: &Store) -> Result<String, Fatal> {
    let mut runs = store
        .list_folders()
        .await
        .map_err(|e| Fatal::failed(e.to_string()))?;
    manifest::sort_runs(&mut runs);
    for run in runs.iter().rev() {
        if store.read(&format!("{run}/{MANIFEST_KEY}")).await.is_ok() {
            return Ok(run.clone());
        }
    }
    Err(Fatal::failed("no run with a manifest in this destination"))
}

/// Stream an object through SHA-256.
async fn hash_object(store: &Store, key: &str) -> Result<(u64, String), StoreError> {
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
    }
    Ok((size, hex::encode(hasher.finalize())))
}
