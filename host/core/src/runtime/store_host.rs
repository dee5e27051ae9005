//! The `store` interface: uploads as `wasi:io` output-streams into a [`RunStore`].
//!
//! The output-stream feeds a bounded channel, so a guest writing faster than
//! the backend stores waits on the stream's pollable (real backpressure), and
//! no file is ever held whole in memory. A write larger than `check-write`
//! granted traps the guest: it would bypass that bound.

use super::bindings::store::{self, ObjectInfo, StoreError as WitStoreError};
use super::state::HostState;
use crate::store::{PendingUpload, RunStoreError, StoreError, StoredObject};
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use wasmtime::component::Resource;
use wasmtime_wasi::p2::{DynInputStream, DynOutputStream, OutputStream, Pollable, StreamError, StreamResult};

/// Bytes the guest may write per `check-write` permit.
const WRITE_PERMIT: usize = 64 * 1024;

/// The host side of the `upload` resource.
pub struct Upload {
    pending: PendingUpload,
    /// Shared with the output-stream; emptied on finish or abort to close it.
    sender: Arc<Mutex<Option<mpsc::Sender<Bytes>>>>,
    body_taken: bool,
}

/// The output-stream a guest writes an upload's bytes into.
struct UploadStream {
    sender: Arc<Mutex<Option<mpsc::Sender<Bytes>>>>,
    permit: Option<mpsc::OwnedPermit<Bytes>>,
    failure: Arc<Mutex<Option<String>>>,
}

impl UploadStream {
    fn failed(&self) -> StreamError {
        match self.failure.lock().unwrap().clone() {
            Some(why) => StreamError::LastOperationFailed(wasmtime::format_err!("{why}")),
            None => StreamError::Closed,
        }
    }
}

#[async_trait::async_trait]
impl Pollable for UploadStream {
    async fn ready(&mut self) {
        if self.permit.is_some() {
            return;
        }
        let sender = self.sender.lock().unwrap().clone();
        if let Some(sender) = sender {
            if let Ok(permit) = sender.reserve_owned().await {
                self.permit = Some(permit);
            }
        }
    }
}

impl OutputStream for UploadStream {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        if bytes.len() > WRITE_PERMIT {
            return Err(StreamError::Trap(wasmtime::format_err!(
                "the guest wrote {} bytes into an upload, more than the {WRITE_PERMIT} check-write granted",
                bytes.len()
            )));
        }
        match self.permit.take() {
            Some(permit) => {
                permit.send(bytes);
                Ok(())
            }
            None => Err(self.failed()),
        }
    }

    fn flush(&mut self) -> StreamResult<()> {
        // Durability is the job of `finish`, which commits the object.
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        if self.permit.is_some() {
            return Ok(WRITE_PERMIT);
        }
        match self.sender.lock().unwrap().as_ref() {
            Some(s) if !s.is_closed() => Ok(0),
            _ => Err(self.failed()),
        }
    }
}

impl HostState {
    /// A key must not carry a granted secret (in any encoding) into an object's
    /// name, where no redaction could reach it.
    fn check_no_secret(&self, key: &str) -> Result<(), RunStoreError> {
        if self.redactor.redact(key) != key {
            return Err(RunStoreError::Denied(format!(
                "key {:?} refused: it contains a secret",
                self.redactor.clean(key)
            )));
        }
        Ok(())
    }

    /// A store error for the guest; refusals are logged (redacted: keys are the guest's text).
    fn to_wit(&self, e: RunStoreError) -> WitStoreError {
        match e {
            RunStoreError::Denied(m) => {
                let m = self.redactor.clean(&m);
                tracing::warn!(target: "policy", "store request denied: {m}");
                WitStoreError::Denied(m)
            }
            RunStoreError::Store(StoreError::NotFound(k)) => WitStoreError::NotFound(k),
            RunStoreError::Store(StoreError::Backend(m) | StoreError::Permanent(m)) => {
                WitStoreError::Backend(m)
            }
        }
    }
}

fn info(o: StoredObject) -> ObjectInfo {
    ObjectInfo {
        key: o.key,
        size: o.size,
        sha256: o.sha256,
    }
}

impl store::Host for HostState {
    async fn create(
        &mut self,
        key: String,
        _content_type: String,
    ) -> wasmtime::Result<Result<Resource<Upload>, WitStoreError>> {
        if let Err(e) = self.check_no_secret(&key) {
            return Ok(Err(self.to_wit(e)));
        }
        match self.run.begin(&key).await {
            Ok(mut pending) => {
                let sender = Arc::new(Mutex::new(pending.chunks.take()));
                let upload = Upload {
                    pending,
                    sender,
                    body_taken: false,
                };
                Ok(Ok(self.table.push(upload)?))
            }
            Err(e) => Ok(Err(self.to_wit(e))),
        }
    }

    async fn put(
        &mut self,
        key: String,
        _content_type: String,
        data: Vec<u8>,
    ) -> wasmtime::Result<Result<ObjectInfo, WitStoreError>> {
        if let Err(e) = self.check_no_secret(&key) {
            return Ok(Err(self.to_wit(e)));
        }
        match self.run.put(&key, data).await {
            Ok(o) => Ok(Ok(info(o))),
            Err(e) => Ok(Err(self.to_wit(e))),
        }
    }

    async fn open(
        &mut self,
        key: String,
    ) -> wasmtime::Result<Result<Resource<DynInputStream>, WitStoreError>> {
        match self.run.read(&key).await {
            Ok(reader) => {
                let stream: DynInputStream = Box::new(wasmtime_wasi::p2::pipe::AsyncReadStream::new(reader));
                Ok(Ok(self.table.push(stream)?))
            }
            Err(e) => Ok(Err(self.to_wit(e))),
        }
    }

    async fn copy(
        &mut self,
        source: String,
        key: String,
    ) -> wasmtime::Result<Result<ObjectInfo, WitStoreError>> {
        for k in [&source, &key] {
            if let Err(e) = self.check_no_secret(k) {
                return Ok(Err(self.to_wit(e)));
            }
        }
        match self.run.copy_in(&source, &key).await {
            Ok(size) => Ok(Ok(ObjectInfo {
                key,
                size,
                sha256: String::new(),
            })),
            Err(e) => Ok(Err(self.to_wit(e))),
        }
    }

    async fn list(&mut self, prefix: String) -> wasmtime::Result<Result<Vec<ObjectInfo>, WitStoreError>> {
        match self.run.list(&prefix).await {
            Ok(objects) => Ok(Ok(objects
                .into_iter()
                .map(|o| ObjectInfo {
                    key: o.key,
                    size: o.size,
                    sha256: String::new(),
                })
                .collect())),
            Err(e) => Ok(Err(self.to_wit(e))),
        }
    }
}

impl store::HostUpload for HostState {
    async fn body(
        &mut self,
        this: Resource<Upload>,
    ) -> wasmtime::Result<Result<Resource<DynOutputStream>, WitStoreError>> {
        let upload = self.table.get_mut(&this)?;
        if upload.body_taken {
            return Ok(Err(WitStoreError::Denied(
                "body() may be called once per upload".into(),
            )));
        }
        upload.body_taken = true;
        let stream: DynOutputStream = Box::new(UploadStream {
            sender: upload.sender.clone(),
            permit: None,
            failure: upload.pending.failure.clone(),
        });
        Ok(Ok(self.table.push(stream)?))
    }

    async fn finish(
        &mut self,
        this: Resource<Upload>,
    ) -> wasmtime::Result<Result<ObjectInfo, WitStoreError>> {
        let mut upload = self.table.delete(this)?;
        upload.sender.lock().unwrap().take();
        let finished = upload.pending.finish().await;
        Ok(finished.map(info).map_err(|e| self.to_wit(e)))
    }

    async fn abort(&mut self, this: Resource<Upload>) -> wasmtime::Result<()> {
        let mut upload = self.table.delete(this)?;
        upload.sender.lock().unwrap().take();
        upload.pending.abort().await;
        Ok(())
    }

    async fn drop(&mut self, this: Resource<Upload>) -> wasmtime::Result<()> {
        // Neither finished nor aborted: the object is thrown away.
        let mut upload = self.table.delete(this)?;
        upload.sender.lock().unwrap().take();
        upload.pending.abort().await;
        Ok(())
    }
}
