//! The storage backend trait: what a destination can do, whatever it is.
//!
//! Keys are destination-relative (`<run>/workbooks/x.twbx`) and have passed
//! [`super::keys`] before a backend sees them. A backend adds no policy: who may
//! write, read or delete what is [`super::RunStore`]'s job.

use super::{ObjectMeta, ObjectReader, StoreError};
use bytes::Bytes;

/// A destination: a local folder, an S3 bucket and prefix.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    /// Start writing an object. Nothing is visible under `key` until
    /// [`ObjectWriter::commit`]; an aborted or dropped writer leaves nothing behind.
    async fn create(&self, key: &str) -> Result<Box<dyn ObjectWriter>, StoreError>;

    /// Write a small object only if nothing is stored under `key` yet, atomically
    /// (exclusive create; `If-None-Match: *` on S3). `Ok(false)`: it exists.
    async fn create_new(&self, key: &str, data: Bytes) -> Result<bool, StoreError>;

    /// Stream an object's bytes.
    async fn read(&self, key: &str) -> Result<ObjectReader, StoreError>;

    /// An object's size, or `None` if there is none under `key`.
    async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, StoreError>;

    /// Every object whose key starts with `prefix`, in any order.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, StoreError>;

    /// Names of the top-level folders, in any order.
    async fn list_folders(&self) -> Result<Vec<String>, StoreError>;

    /// Copy an object inside the destination without moving its bytes through
    /// this process where the backend can (S3 `CopyObject`, a hard link).
    async fn copy(&self, from: &str, to: &str) -> Result<(), StoreError>;

    /// Delete objects; keys that do not exist are not an error.
    async fn delete(&self, keys: &[String]) -> Result<(), StoreError>;

    /// Writes under `prefix` that were begun and never committed nor aborted (a
    /// killed run's temp files, its open multipart uploads). Never listed by
    /// [`Backend::list`]; reported by `snapshots`, removed by [`Backend::discard_leftovers`].
    async fn leftovers(&self, prefix: &str) -> Result<Vec<String>, StoreError>;

    /// Remove what [`Backend::leftovers`] reports under `prefix`.
    async fn discard_leftovers(&self, prefix: &str) -> Result<u64, StoreError>;
}

/// An object being written.
#[async_trait::async_trait]
pub trait ObjectWriter: Send {
    /// Append bytes.
    async fn write(&mut self, chunk: Bytes) -> Result<(), StoreError>;
    /// Make the object durable and visible under its key.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
    /// Throw the partial object away (and, on S3, abort the multipart upload).
    async fn abort(self: Box<Self>);
}
