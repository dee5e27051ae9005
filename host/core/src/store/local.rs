//! A local folder as a destination.
//!
//! Objects are written to a hidden temp file beside their final path, synced,
//! then renamed into place, so a crash never leaves a half-written object under
//! its real name.

use super::{ObjectMeta, ObjectReader, StoreError};
use bytes::Bytes;
use std::path::{Path, PathBuf};
use tokio::fs;
use tokio::io::{AsyncWriteExt, BufWriter};

/// Bytes gathered before each write to the file.
const WRITE_BUFFER: usize = 1 << 20;

/// Prefix of temp files; they are never listed.
const TEMP_PREFIX: &str = ".tbk-partial-";

pub struct LocalStore {
    root: PathBuf,
}

pub struct LocalWriter {
    /// Buffered: the guest sends 64 KiB frames, and each tokio file write is a
    /// trip to the blocking pool.
    file: Option<BufWriter<fs::File>>,
    temp: PathBuf,
    target: PathBuf,
}

fn io_err(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Backend(format!("{what} {}: {e}", path.display()))
}

impl LocalStore {
    pub async fn open(root: &Path) -> Result<Self, StoreError> {
        fs::create_dir_all(root)
            .await
            .map_err(|e| io_err("cannot create destination folder", root, e))?;
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    pub async fn create(&self, key: &str) -> Result<LocalWriter, StoreError> {
        let target = self.path(key);
        let dir = target.parent().expect("keys are validated and non-empty");
        fs::create_dir_all(dir)
            .await
            .map_err(|e| io_err("cannot create folder", dir, e))?;
        let name = target.file_name().expect("validated key").to_string_lossy();
        let nonce: u64 = rand_nonce();
        // Keep the temp name short: the final name may already be near the limit.
        let temp = dir.join(format!("{TEMP_PREFIX}{nonce:016x}-{}", name.len()));
        let file = fs::File::create(&temp)
            .await
            .map_err(|e| io_err("cannot create", &temp, e))?;
        Ok(LocalWriter {
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            temp,
            target,
        })
    }

    pub async fn read(&self, key: &str) -> Result<ObjectReader, StoreError> {
        let path = self.path(key);
        match fs::File::open(&path).await {
            Ok(f) => Ok(Box::new(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::NotFound(key.into())),
            Err(e) => Err(io_err("cannot open", &path, e)),
        }
    }

    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        // Walk only the folder the prefix names, then filter by the full prefix.
        let base = match prefix.rfind('/') {
            Some(i) => &prefix[..i],
            None => "",
        };
        let mut out = Vec::new();
        let mut stack = vec![self.root.join(base)];
        while let Some(dir) = stack.pop() {
            let mut entries = match fs::read_dir(&dir).await {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_err("cannot list", &dir, e)),
            };
            while let Some(entry) = entries
                .next_entry()
                .await
                .map_err(|e| io_err("cannot list", &dir, e))?
            {
                let path = entry.path();
                let meta = entry
                    .metadata()
                    .await
                    .map_err(|e| io_err("cannot stat", &path, e))?;
                if meta.is_dir() {
                    stack.push(path);
                    continue;
                }
                if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                    continue;
                }
                let Ok(rel) = path.strip_prefix(&self.root) else {
                    continue;
                };
                let key = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                if key.starts_with(prefix) {
                    out.push(ObjectMeta {
                        key,
                        size: meta.len(),
                    });
                }
            }
        }
        Ok(out)
    }

    pub async fn list_folders(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        let mut entries = fs::read_dir(&self.root)
            .await
            .map_err(|e| io_err("cannot list", &self.root, e))?;
        while let Some(entry) = entries
            .next_entry()
            .await
            .map_err(|e| io_err("cannot list", &self.root, e))?
        {
            if entry.file_type().await.map(|t| t.is_dir()).unwrap_or(false) {
                out.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        Ok(out)
    }
}

impl LocalWriter {
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        let file = self.file.as_mut().expect("writer used after commit");
        file.write_all(&chunk)
            .await
            .map_err(|e| io_err("cannot write", &self.target, e))
    }

    pub async fn commit(mut self) -> Result<(), StoreError> {
        let mut file = self.file.take().expect("writer committed twice");
        let synced = async {
            file.flush().await?;
            file.get_mut().sync_all().await
        }
        .await;
        drop(file);
        if let Err(e) = synced {
            let _ = fs::remove_file(&self.temp).await;
            return Err(io_err("cannot write", &self.target, e));
        }
        if let Err(e) = fs::rename(&self.temp, &self.target).await {
            let _ = fs::remove_file(&self.temp).await;
            return Err(io_err("cannot rename into", &self.target, e));
        }
        // Make the rename itself durable.
        if let Some(dir) = self.target.parent() {
            if let Ok(d) = fs::File::open(dir).await {
                let _ = d.sync_all().await;
            }
        }
        Ok(())
    }

    pub async fn abort(mut self) {
        self.file.take();
        let _ = fs::remove_file(&self.temp).await;
    }
}

impl Drop for LocalWriter {
    fn drop(&mut self) {
        // Dropped without commit or abort (e.g. the run was cancelled).
        if self.file.take().is_some() {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

fn rand_nonce() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}
