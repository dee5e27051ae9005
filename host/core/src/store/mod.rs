//! Backup destinations: a [`Backend`] per kind of store (a local folder, S3),
//! and [`RunStore`], the one policy layer every command reaches them through.
//!
//! Keys are destination-relative (`<run>/workbooks/x.twbx`) and pass
//! [`keys`] first. Objects become visible only on [`ObjectWriter::commit`]; an
//! aborted or dropped writer leaves nothing behind (a temp file is removed, a
//! multipart upload is aborted).

mod backend;
mod destination;
pub mod keys;
mod ledger;
mod local;
mod run;
mod s3;
mod upload;

pub use backend::{Backend, ObjectWriter};
pub use destination::Destination;
pub use keys::{validate_key, validate_prefix, KeyError, MAX_KEY_BYTES};
pub use ledger::WriteLimits;
pub use local::{LocalStore, TEMP_PREFIX};
pub use run::{Access, RunStore, MAX_OPEN_UPLOADS};
pub use s3::S3Store;
pub use upload::{PendingUpload, StoredObject};

use std::sync::Arc;
use tokio::io::AsyncRead;

/// A failed store operation. Messages are meant for people and never carry secrets.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// Nothing under this key.
    #[error("no object at {0}")]
    NotFound(String),
    /// The backend failed (disk full, bucket gone, network...).
    #[error("{0}")]
    Backend(String),
    /// The backend cannot or may not do this (an S3 server without
    /// ListMultipartUploads, a missing permission): retrying will not help.
    #[error("{0}")]
    Permanent(String),
}

/// Why a store request was refused or failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RunStoreError {
    /// The grant or the policy forbids it (bad key, too big, too many, read-only).
    #[error("{0}")]
    Denied(String),
    /// The backend failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An object's key (destination-relative) and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Destination-relative key.
    pub key: String,
    /// Bytes.
    pub size: u64,
}

/// A reader over an object's bytes.
pub type ObjectReader = Box<dyn AsyncRead + Send + Unpin>;

/// Connect to a destination and check it is usable (folder writable, bucket exists).
pub async fn connect(dest: &Destination) -> Result<Arc<dyn Backend>, StoreError> {
    Ok(match dest {
        Destination::Local(path) => Arc::new(LocalStore::open(path).await?),
        Destination::S3 { bucket, prefix } => Arc::new(S3Store::connect(bucket, prefix).await?),
    })
}
