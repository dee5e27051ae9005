//! The backup a restore reads: the run's manifest and its metadata files, each
//! checked against the manifest (size and SHA-256) before it is believed.

use std::collections::HashMap;

use serde_json::Value;

use crate::host::Reader;
use crate::tableau::json::lenient_string;
use tableau_backup_model::manifest::{self, Manifest};

/// Metadata files larger than this are refused (they are read whole).
const MAX_METADATA_BYTES: u64 = 512 << 20;

/// One run folder of the destination.
pub struct Source {
    run: String,
    pub manifest: Manifest,
    /// Metadata files already read, by file name (`users`).
    cache: HashMap<String, Vec<Value>>,
    /// Metadata files that could not be trusted, with why.
    damaged: Vec<(String, String)>,
}

impl Source {
    /// Reads and parses `<run>/manifest.json`.
    pub async fn open(run: &str) -> Result<Source, String> {
        let key = format!("{run}/{}", manifest::KEY);
        let mut reader = Reader::open(&key).map_err(|e| format!("cannot open {key}: {e}"))?;
        let bytes = reader
            .read_rest(MAX_METADATA_BYTES)
            .await
            .map_err(|e| format!("cannot read {key}: {e}"))?;
        let manifest =
            Manifest::from_slice(&bytes).map_err(|e| format!("{key} is not a usable manifest: {e}"))?;
        Ok(Source {
            run: run.to_string(),
            manifest,
            cache: HashMap::new(),
            damaged: Vec::new(),
        })
    }

    /// The objects of metadata file `name`; empty when the run has none. A file
    /// whose bytes differ from the manifest is not used: it is noted in
    /// [`Source::damaged`] and read as empty, so the restore goes on without it.
    pub async fn list(&mut self, name: &str) -> &[Value] {
        if !self.cache.contains_key(name) {
            let objects = match self.read_metadata(name).await {
                Ok(v) => v,
                Err(why) => {
                    self.damaged.push((name.to_string(), why));
                    Vec::new()
                }
            };
            self.cache.insert(name.to_string(), objects);
        }
        &self.cache[name]
    }

    async fn read_metadata(&self, name: &str) -> Result<Vec<Value>, String> {
        let Some(entry) = self.manifest.metadata.iter().find(|m| m.kind == name) else {
            return Ok(Vec::new());
        };
        let key = format!("{}/{}", self.run, entry.key);
        let mut reader = Reader::open(&key).map_err(|e| format!("cannot open {key}: {e}"))?;
        let bytes = reader
            .read_rest(entry.size.min(MAX_METADATA_BYTES))
            .await
            .map_err(|e| format!("cannot read {key}: {e}"))?;
        let (size, sha256) = reader.finish();
        if size != entry.size || sha256 != entry.sha256 {
            return Err(format!(
                "{key} does not match the manifest ({size} bytes, SHA-256 {sha256}; the manifest \
                 says {} bytes, {})",
                entry.size, entry.sha256
            ));
        }
        match serde_json::from_slice(&bytes) {
            Ok(Value::Array(items)) => Ok(items),
            Ok(_) => Err(format!("{key} is not a JSON array")),
            Err(e) => Err(format!("{key} is not valid JSON: {e}")),
        }
    }

    /// The object with `id` in metadata file `name`.
    pub async fn by_id(&mut self, name: &str, id: &str) -> Option<Value> {
        self.list(name)
            .await
            .iter()
            .find(|o| o.get("id").and_then(lenient_string).as_deref() == Some(id))
            .cloned()
    }

    /// Metadata files that did not match the manifest, with why.
    pub fn damaged(&self) -> &[(String, String)] {
        &self.damaged
    }

    /// Destination-relative key of a run-relative one.
    pub fn key(&self, rel: &str) -> String {
        format!("{}/{rel}", self.run)
    }
}
