//! A local folder as a destination.
//!
//! Objects are written to a hidden temp file beside their final path, synced,
//! then renamed into place, and the folder is synced after the rename (and every
//! new folder into its parent), so a crash never leaves a half-written object
//! under its real name nor loses a committed one.

use super::backend::{Backend, ObjectWriter};
use super::{ObjectMeta, ObjectReader, StoreError};
use bytes::Bytes;
use std::path::{Path, PathBuf};
use tokio::fs;
use tokio::io::{AsyncWriteExt, BufWriter};

/// Bytes gathered before each write to the file.
const WRITE_BUFFER: usize = 1 << 20;

/// Prefix of temp files; they are never listed.
pub const TEMP_PREFIX: &str = ".tbk-partial-";

/// A folder on the local file system.
pub struct LocalStore {
    root: PathBuf,
}

struct LocalWriter {
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
    /// Open (and create if needed) the folder.
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

    /// Create the folders down to `dir`, syncing each new one into its parent.
    async fn make_dirs(&self, dir: &Path) -> Result<(), StoreError> {
        if fs::metadata(dir).await.is_ok_and(|m| m.is_dir()) {
            return Ok(());
        }
        let mut missing = Vec::new();
        let mut at = dir;
        while at != self.root && !fs::metadata(at).await.is_ok_and(|m| m.is_dir()) {
            missing.push(at.to_path_buf());
            match at.parent() {
                Some(p) => at = p,
                None => break,
            }
        }
        for d in missing.iter().rev() {
            match fs::create_dir(d).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(io_err("cannot create folder", d, e)),
            }
            if let Some(parent) = d.parent() {
                sync_dir(parent).await?;
            }
        }
        Ok(())
    }

    /// A fresh temp path beside `target`.
    fn temp_beside(target: &Path) -> PathBuf {
        let dir = target.parent().expect("keys are validated and non-empty");
        let name_len = target.file_name().map_or(0, |n| n.len());
        // Short: the final name may already be near the file system's limit.
        dir.join(format!("{TEMP_PREFIX}{:016x}-{name_len}", rand_nonce()))
    }
}

/// fsync a folder, so the entries created or renamed in it survive a crash.
async fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    let d = fs::File::open(dir)
        .await
        .map_err(|e| io_err("cannot open folder", dir, e))?;
    d.sync_all()
        .await
        .map_err(|e| io_err("cannot sync folder", dir, e))
}

impl LocalStore {
    /// Files under `prefix`: the committed objects, or (`temps`) only the temp files.
    async fn walk(&self, prefix: &str, temps: bool) -> Result<Vec<ObjectMeta>, StoreError> {
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
                // The entry's type comes with the listing; only the files kept are stat'ed.
                let kind = entry
                    .file_type()
                    .await
                    .map_err(|e| io_err("cannot stat", &path, e))?;
                if kind.is_dir() {
                    stack.push(path);
                    continue;
                }
                if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) != temps {
                    continue;
                }
                let meta = entry
                    .metadata()
                    .await
                    .map_err(|e| io_err("cannot stat", &path, e))?;
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
}

#[async_trait::async_trait]
impl Backend for LocalStore {
    async fn create(&self, key: &str) -> Result<Box<dyn ObjectWriter>, StoreError> {
        let target = self.path(key);
        let dir = target.parent().expect("keys are validated and non-empty");
        self.make_dirs(dir).await?;
        let temp = Self::temp_beside(&target);
        let file = fs::File::create(&temp)
            .await
            .map_err(|e| io_err("cannot create", &temp, e))?;
        Ok(Box::new(LocalWriter {
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            temp,
            target,
        }))
    }

    async fn create_new(&self, key: &str, data: Bytes) -> Result<bool, StoreError> {
        let target = self.path(key);
        let dir = target.parent().expect("keys are validated and non-empty");
        self.make_dirs(dir).await?;
        let mut file = match fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .await
        {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
            Err(e) => return Err(io_err("cannot create", &target, e)),
        };
        let written = async {
            file.write_all(&data).await?;
            file.sync_all().await
        }
        .await;
        if let Err(e) = written {
            drop(file);
            let _ = fs::remove_file(&target).await;
            return Err(io_err("cannot write", &target, e));
        }
        sync_dir(dir).await?;
        Ok(true)
    }

    async fn read(&self, key: &str) -> Result<ObjectReader, StoreError> {
        let path = self.path(key);
        match fs::File::open(&path).await {
            Ok(f) if f.metadata().await.is_ok_and(|m| m.is_file()) => Ok(Box::new(f)),
            Ok(_) => Err(StoreError::NotFound(key.into())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StoreError::NotFound(key.into())),
            Err(e) => Err(io_err("cannot open", &path, e)),
        }
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StoreError> {
        let path = self.path(key);
        match fs::metadata(&path).await {
            Ok(m) if m.is_file() => Ok(Some(ObjectMeta {
                key: key.to_string(),
                size: m.len(),
            })),
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err("cannot stat", &path, e)),
        }
    }

    async fn leftovers(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .walk(prefix, true)
            .await?
            .into_iter()
            .map(|o| o.key)
            .collect())
    }

    async fn discard_leftovers(&self, prefix: &str) -> Result<u64, StoreError> {
        let temps = self.leftovers(prefix).await?;
        for key in &temps {
            let path = self.path(key);
            match fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("cannot delete", &path, e)),
            }
        }
        Ok(temps.len() as u64)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        self.walk(prefix, false).await
    }

    async fn list_folders(&self) -> Result<Vec<String>, StoreError> {
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

    async fn copy(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let source = self.path(from);
        if !fs::metadata(&source).await.is_ok_and(|m| m.is_file()) {
            return Err(StoreError::NotFound(from.into()));
        }
        let target = self.path(to);
        let dir = target.parent().expect("keys are validated and non-empty");
        self.make_dirs(dir).await?;
        let temp = Self::temp_beside(&target);
        // A hard link shares the bytes (objects are never modified in place);
        // where links are not possible, copy and sync.
        if fs::hard_link(&source, &temp).await.is_err() {
            let copied = async {
                fs::copy(&source, &temp).await?;
                fs::File::open(&temp).await?.sync_all().await
            }
            .await;
            if let Err(e) = copied {
                let _ = fs::remove_file(&temp).await;
                return Err(io_err("cannot copy into", &target, e));
            }
        }
        if let Err(e) = fs::rename(&temp, &target).await {
            let _ = fs::remove_file(&temp).await;
            return Err(io_err("cannot rename into", &target, e));
        }
        sync_dir(dir).await
    }

    async fn delete(&self, keys: &[String]) -> Result<(), StoreError> {
        let mut dirs = std::collections::BTreeSet::new();
        for key in keys {
            let path = self.path(key);
            match fs::remove_file(&path).await {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_err("cannot delete", &path, e)),
            }
            let mut at = path.parent();
            while let Some(dir) = at.filter(|d| *d != self.root && d.starts_with(&self.root)) {
                dirs.insert(dir.to_path_buf());
                at = dir.parent();
            }
        }
        // Folders left empty go too, deepest first; a non-empty one stays.
        for dir in dirs.iter().rev() {
            let _ = fs::remove_dir(dir).await;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl ObjectWriter for LocalWriter {
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        let file = self.file.as_mut().expect("writer used after commit");
        file.write_all(&chunk)
            .await
            .map_err(|e| io_err("cannot write", &self.target, e))
    }

    async fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
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
        match self.target.parent() {
            Some(dir) => sync_dir(dir).await,
            None => Ok(()),
        }
    }

    async fn abort(mut self: Box<Self>) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    async fn read_all(store: &LocalStore, key: &str) -> Vec<u8> {
        let mut out = Vec::new();
        store
            .read(key)
            .await
            .unwrap()
            .read_to_end(&mut out)
            .await
            .unwrap();
        out
    }

    #[tokio::test]
    async fn write_commit_copy_head_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).await.unwrap();
        let mut w = store.create("run1/a/b.bin").await.unwrap();
        w.write(Bytes::from_static(b"hello ")).await.unwrap();
        w.write(Bytes::from_static(b"world")).await.unwrap();
        assert!(
            store.head("run1/a/b.bin").await.unwrap().is_none(),
            "invisible before commit"
        );
        w.commit().await.unwrap();
        assert_eq!(store.head("run1/a/b.bin").await.unwrap().unwrap().size, 11);

        store.copy("run1/a/b.bin", "run2/a/b.bin").await.unwrap();
        assert_eq!(read_all(&store, "run2/a/b.bin").await, b"hello world");
        assert!(matches!(
            store.copy("run1/none", "run2/none").await,
            Err(StoreError::NotFound(_))
        ));

        store.delete(&["run1/a/b.bin".to_string()]).await.unwrap();
        assert!(store.head("run1/a/b.bin").await.unwrap().is_none());
        assert!(
            !dir.path().join("run1").exists(),
            "empty folders go with the last object"
        );
        assert_eq!(
            read_all(&store, "run2/a/b.bin").await,
            b"hello world",
            "the copy survives"
        );
        let keys: Vec<_> = store.list("").await.unwrap().into_iter().map(|o| o.key).collect();
        assert_eq!(keys, ["run2/a/b.bin"]);
    }

    #[tokio::test]
    async fn create_new_is_exclusive_and_aborts_leave_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).await.unwrap();
        assert!(store
            .create_new("r/claim", Bytes::from_static(b"1"))
            .await
            .unwrap());
        assert!(!store
            .create_new("r/claim", Bytes::from_static(b"2"))
            .await
            .unwrap());
        assert_eq!(read_all(&store, "r/claim").await, b"1");
        let mut w = store.create("r/x").await.unwrap();
        w.write(Bytes::from_static(b"partial")).await.unwrap();
        w.abort().await;
        let w = store.create("r/y").await.unwrap();
        drop(w);
        let names: Vec<_> = std::fs::read_dir(dir.path().join("r"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names, ["claim"]);
    }
}
