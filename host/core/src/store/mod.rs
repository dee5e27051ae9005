//! Backup destinations: one interface over a local folder and S3.
//!
//! Keys given to a [`Store`] are relative to the destination root
//! (`<run>/workbooks/x.twbx`). Objects become visible only on
//! [`ObjectWriter::commit`]; an aborted or dropped writer leaves nothing behind
//! (a temp file is removed, a multipart upload is aborted).

mod destination;
mod keys;
mod local;
mod run;
mod s3;

pub use destination::Destination;
pub use keys::{validate_key, KeyError, MAX_KEY_BYTES};
pub use local::LocalStore;
pub use run::{PendingUpload, RunStore, RunStoreError, StoredObject, WriteLimits};
pub use s3::S3Store;

use bytes::Bytes;
use tokio::io::AsyncRead;

/// A failed store operation. Messages are meant for people and never carry secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("no object at {0}")]
    NotFound(String),
    #[error("{0}")]
    Backend(String),
}

/// An object's key (destination-relative) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    pub size: u64,
}

/// A reader over an object's bytes.
pub type ObjectReader = Box<dyn AsyncRead + Send + Unpin>;

/// A destination for backups.
pub enum Store {
    Local(LocalStore),
    S3(S3Store),
}

/// An object being written; see the module docs for visibility rules.
pub enum ObjectWriter {
    Local(local::LocalWriter),
    S3(s3::S3Writer),
}

impl Store {
    /// Connect to a destination and check it is usable (folder writable, bucket exists).
    pub async fn connect(dest: &Destination) -> Result<Store, StoreError> {
        match dest {
            Destination::Local(path) => Ok(Store::Local(LocalStore::open(path).await?)),
            Destination::S3 { bucket, prefix } => Ok(Store::S3(S3Store::connect(bucket, prefix).await?)),
        }
    }

    /// Start writing an object.
    pub async fn create(&self, key: &str) -> Result<ObjectWriter, StoreError> {
        match self {
            Store::Local(s) => s.create(key).await.map(ObjectWriter::Local),
            Store::S3(s) => s.create(key).await.map(ObjectWriter::S3),
        }
    }

    /// Open an object for reading.
    pub async fn read(&self, key: &str) -> Result<ObjectReader, StoreError> {
        match self {
            Store::Local(s) => s.read(key).await,
            Store::S3(s) => s.read(key).await,
        }
    }

    /// Every object whose key starts with `prefix`, sorted by key.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError> {
        let mut all = match self {
            Store::Local(s) => s.list(prefix).await?,
            Store::S3(s) => s.list(prefix).await?,
        };
        all.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(all)
    }

    /// Names of the top-level folders (runs), sorted.
    pub async fn list_folders(&self) -> Result<Vec<String>, StoreError> {
        let mut all = match self {
            Store::Local(s) => s.list_folders().await?,
            Store::S3(s) => s.list_folders().await?,
        };
        all.sort();
        Ok(all)
    }
}

impl ObjectWriter {
    /// Append bytes.
    pub async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError> {
        match self {
            ObjectWriter::Local(w) => w.write(chunk).await,
            ObjectWriter::S3(w) => w.write(chunk).await,
        }
    }

    /// Make the object durable and visible under its key.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            ObjectWriter::Local(w) => w.commit().await,
            ObjectWriter::S3(w) => w.commit().await,
        }
    }

    /// Throw the partial object away.
    pub async fn abort(self) {
        match self {
            ObjectWriter::Local(w) => w.abort().await,
            ObjectWriter::S3(w) => w.abort().await,
        }
    }
}
