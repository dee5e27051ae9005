//! Thin safe wrappers over the host's secrets, store and events.

use std::fmt;

use wstd::io::AsyncOutputStream;

use crate::tableau_backup::backup::events::{self, Event, Item, Level};
use crate::tableau_backup::backup::secrets::{self, SecretError};
use crate::tableau_backup::backup::store;
use crate::tableau_backup::backup::types::BackupError;
use tableau_backup_model::Kind;

pub use store::ObjectInfo;

/// The secret's value. The error names the secret, never its value.
pub fn secret(name: &str) -> Result<String, BackupError> {
    match secrets::get(name) {
        Ok(value) => Ok(value),
        Err(SecretError::Denied(m)) => Err(BackupError::Denied(format!(
            "the host does not grant the secret '{name}': {m}"
        ))),
        Err(SecretError::NotFound(m)) => Err(BackupError::Denied(format!(
            "the secret '{name}' has no value: {m}"
        ))),
    }
}

/// A store failure.
#[derive(Debug, Clone)]
pub enum StoreErr {
    /// Refused by policy (key, size, count): this object fails, the run goes on.
    Denied(String),
    NotFound(String),
    /// The backend broke: nothing written in this run can be trusted.
    Backend(String),
    /// Writing into the upload's stream failed.
    Stream(String),
}

impl StoreErr {
    pub fn is_backend(&self) -> bool {
        matches!(self, StoreErr::Backend(_))
    }
}

impl From<store::StoreError> for StoreErr {
    fn from(e: store::StoreError) -> Self {
        match e {
            store::StoreError::Denied(m) => StoreErr::Denied(m),
            store::StoreError::NotFound(m) => StoreErr::NotFound(m),
            store::StoreError::Backend(m) => StoreErr::Backend(m),
        }
    }
}

impl fmt::Display for StoreErr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreErr::Denied(m) => write!(f, "store refused: {m}"),
            StoreErr::NotFound(m) => write!(f, "store: not found: {m}"),
            StoreErr::Backend(m) => write!(f, "store backend failed: {m}"),
            StoreErr::Stream(m) => write!(f, "writing to the store failed: {m}"),
        }
    }
}

/// An object being written. Dropping it without `finish` aborts it, so a failed
/// or cancelled download never leaves a partial object behind.
pub struct Upload {
    // Field order matters for `Drop`: the stream goes before the upload.
    stream: Option<AsyncOutputStream>,
    upload: Option<store::Upload>,
}

impl Upload {
    pub fn create(key: &str, content_type: &str) -> Result<Upload, StoreErr> {
        let upload = store::create(key, content_type)?;
        match upload.body() {
            Ok(stream) => Ok(Upload {
                stream: Some(AsyncOutputStream::new(stream)),
                upload: Some(upload),
            }),
            Err(e) => {
                store::Upload::abort(upload);
                Err(e.into())
            }
        }
    }

    /// Writes all of `data`, waiting on the stream's pollable when the host's
    /// buffer is full (backpressure) instead of buffering here.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), StoreErr> {
        let stream = self
            .stream
            .as_ref()
            .ok_or_else(|| StoreErr::Stream("upload already closed".to_string()))?;
        stream
            .write_all(data)
            .await
            .map_err(|e| StoreErr::Stream(e.to_string()))?;
        Ok(())
    }

    /// Flushes, closes the stream, and commits the object.
    pub async fn finish(mut self) -> Result<ObjectInfo, StoreErr> {
        if let Some(stream) = self.stream.take() {
            stream
                .flush()
                .await
                .map_err(|e| StoreErr::Stream(e.to_string()))?;
        }
        let upload = self
            .upload
            .take()
            .ok_or_else(|| StoreErr::Stream("upload already closed".to_string()))?;
        Ok(store::Upload::finish(upload)?)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        drop(self.stream.take());
        if let Some(upload) = self.upload.take() {
            store::Upload::abort(upload);
        }
    }
}

/// Writes a small object in one call.
pub fn put(key: &str, content_type: &str, data: &[u8]) -> Result<ObjectInfo, StoreErr> {
    Ok(store::put(key, content_type, data)?)
}

fn log(level: Level, message: String) {
    events::emit(&Event::Log((level, message)));
}

pub fn debug(message: String) {
    log(Level::Debug, message);
}

pub fn info(message: String) {
    log(Level::Info, message);
}

pub fn warn(message: String) {
    log(Level::Warn, message);
}

pub fn error(message: String) {
    log(Level::Error, message);
}

pub fn listed(kind: Kind, count: u64) {
    events::emit(&Event::Listed((kind.into(), count)));
}

pub fn stored(kind: Kind, id: &str, name: &str, key: &str, size: u64) {
    events::emit(&Event::Stored(Item {
        kind: kind.into(),
        id: id.to_string(),
        name: name.to_string(),
        key: key.to_string(),
        size,
    }));
}

pub fn failed(kind: Kind, id: &str, name: &str, reason: &str) {
    events::emit(&Event::Failed((
        Item {
            kind: kind.into(),
            id: id.to_string(),
            name: name.to_string(),
            key: String::new(),
            size: 0,
        },
        reason.to_string(),
    )));
}

/// Opens an object for reading, by destination-relative key (an earlier run's).
pub fn open(key: &str) -> Result<wasip2::io::streams::InputStream, StoreErr> {
    Ok(store::open(key)?)
}

/// Copies an earlier run's object (`source`, destination-relative) to a
/// run-relative `key` inside the host; the returned size is the host's, the
/// hash is empty (the bytes never pass through the guest).
pub fn copy(source: &str, key: &str) -> Result<ObjectInfo, StoreErr> {
    Ok(store::copy(source, key)?)
}

/// An object being read from the store (an earlier run's, by destination-relative
/// key), counting its bytes and hashing them as they pass, so whoever reads it
/// can tell, at the end, whether it is what the manifest says.
pub struct Reader {
    stream: wstd::io::AsyncInputStream,
    key: String,
    read: u64,
    hasher: sha2::Sha256,
}

impl Reader {
    pub fn open(key: &str) -> Result<Reader, StoreErr> {
        Ok(Reader {
            stream: wstd::io::AsyncInputStream::new(store::open(key)?),
            key: key.to_string(),
            read: 0,
            hasher: sha2::Digest::new(),
        })
    }

    /// Up to `max` more bytes; fewer only at the end of the object; empty after it.
    pub async fn chunk(&mut self, max: usize) -> Result<Vec<u8>, StoreErr> {
        let mut buf = vec![0u8; max];
        let mut filled = 0;
        while filled < max {
            let n = self.stream.read(&mut buf[filled..]).await.map_err(|e| {
                StoreErr::Backend(format!(
                    "the store could not deliver {} intact ({e}): the object may be damaged",
                    self.key
                ))
            })?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        buf.truncate(filled);
        sha2::Digest::update(&mut self.hasher, &buf);
        self.read += filled as u64;
        Ok(buf)
    }

    /// The whole rest of the object, refused past `cap` bytes.
    pub async fn read_rest(&mut self, cap: u64) -> Result<Vec<u8>, StoreErr> {
        let mut out = Vec::new();
        loop {
            let chunk = self.chunk(1 << 20).await?;
            if chunk.is_empty() {
                return Ok(out);
            }
            if self.read > cap {
                return Err(StoreErr::Denied(format!(
                    "{} is larger than the {} bytes expected",
                    self.key, cap
                )));
            }
            out.extend_from_slice(&chunk);
        }
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// SHA-256 (lower-case hex) of what was read, and the byte count.
    pub fn finish(self) -> (u64, String) {
        let digest = sha2::Digest::finalize(self.hasher);
        let hex = digest.iter().map(|b| format!("{b:02x}")).collect();
        (self.read, hex)
    }
}
