//! One upload in progress: a bounded channel into a task that hashes, size-checks
//! and writes each chunk, then commits or aborts the object.

use super::keys::shown as truncate;
use super::ledger::Ledger;
use super::{ObjectWriter, RunStoreError, StoreError};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// What was stored: run-relative key, size and SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Run-relative key.
    pub key: String,
    /// Bytes written.
    pub size: u64,
    /// SHA-256 of those bytes, lower-case hex.
    pub sha256: String,
}

/// An upload in progress: a channel into a task that hashes and writes.
pub struct PendingUpload {
    /// Chunks go here; `None` once the upload is finished or aborted.
    pub chunks: Option<mpsc::Sender<Bytes>>,
    commit: Option<oneshot::Sender<bool>>,
    done: Option<tokio::task::JoinHandle<Result<StoredObject, RunStoreError>>>,
    /// Set by the writer task when it fails, for the stream to report.
    pub failure: Arc<Mutex<Option<String>>>,
}

/// How many chunks may wait between the guest and the backend.
const CHANNEL_CHUNKS: usize = 16;

/// Counts an upload as open until its writer task ends (or it never starts).
pub(super) struct OpenGuard(Arc<AtomicU64>);

impl OpenGuard {
    /// Take over one count already added to `open`.
    pub(super) fn new(open: Arc<AtomicU64>) -> Self {
        OpenGuard(open)
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Spawn the writer task of an upload (on the run's task tracker).
pub(super) fn start(
    run: Arc<Ledger>,
    key: String,
    writer: Box<dyn ObjectWriter>,
    open: OpenGuard,
) -> PendingUpload {
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    let (commit_tx, commit_rx) = oneshot::channel();
    let failure = Arc::new(Mutex::new(None));
    let task_failure = failure.clone();
    let tasks = run.tasks.clone();
    let task = tasks.spawn(async move {
        let _open = open;
        pump(run, key, writer, rx, commit_rx, task_failure).await
    });
    PendingUpload {
        chunks: Some(tx),
        commit: Some(commit_tx),
        done: Some(task),
        failure,
    }
}

impl PendingUpload {
    /// Close the stream, commit the object and return what was stored.
    pub async fn finish(&mut self) -> Result<StoredObject, RunStoreError> {
        self.chunks = None;
        if let Some(c) = self.commit.take() {
            let _ = c.send(true);
        }
        match self.done.take() {
            Some(task) => task
                .await
                .unwrap_or_else(|e| Err(StoreError::Backend(format!("writer task failed: {e}")).into())),
            None => Err(StoreError::Backend("upload already finished".into()).into()),
        }
    }

    /// Throw the partial object away.
    pub async fn abort(&mut self) {
        self.chunks = None;
        if let Some(c) = self.commit.take() {
            let _ = c.send(false);
        }
        if let Some(task) = self.done.take() {
            let _ = task.await;
        }
    }
}

impl Drop for PendingUpload {
    fn drop(&mut self) {
        // Dropping the commit sender makes the task abort the object.
        self.chunks = None;
        self.commit = None;
    }
}

async fn pump(
    run: Arc<Ledger>,
    key: String,
    mut writer: Box<dyn ObjectWriter>,
    mut rx: mpsc::Receiver<Bytes>,
    mut commit: oneshot::Receiver<bool>,
    failure: Arc<Mutex<Option<String>>>,
) -> Result<StoredObject, RunStoreError> {
    let mut hasher = Sha256::new();
    let mut size: u64 = 0;
    // The decision comes with `finish`/`abort`, or as an error when the upload is
    // dropped. Chunks already sent are always drained first: a stream handle the
    // guest still holds must not keep the object open.
    let decision = loop {
        let chunk = tokio::select! {
            biased;
            chunk = rx.recv() => chunk,
            decision = &mut commit => {
                rx.close();
                while let Ok(c) = rx.try_recv() {
                    if let Err(e) = accept(&run, &key, writer.as_mut(), &mut hasher, &mut size, c).await {
                        return fail(writer, e, &failure).await;
                    }
                }
                break decision;
            }
        };
        match chunk {
            Some(c) => {
                if let Err(e) = accept(&run, &key, writer.as_mut(), &mut hasher, &mut size, c).await {
                    // Record why before closing, so the stream reports the reason.
                    *failure.lock().unwrap() = Some(e.to_string());
                    rx.close();
                    return fail(writer, e, &failure).await;
                }
            }
            // All senders gone: wait for finish or abort.
            None => break (&mut commit).await,
        }
    };
    if decision != Ok(true) {
        writer.abort().await;
        return Err(RunStoreError::Denied(format!(
            "upload of {:?} was aborted",
            truncate(&key)
        )));
    }
    if let Err(e) = writer.commit().await {
        run.mark_broken(&e.to_string());
        *failure.lock().unwrap() = Some(e.to_string());
        return Err(e.into());
    }
    run.committed();
    Ok(StoredObject {
        key,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Hash, size-check and write one chunk.
async fn accept(
    run: &Ledger,
    key: &str,
    writer: &mut dyn ObjectWriter,
    hasher: &mut Sha256,
    size: &mut u64,
    chunk: Bytes,
) -> Result<(), RunStoreError> {
    *size += chunk.len() as u64;
    if *size > run.limits.max_object_bytes {
        // Logged (redacted) where the refusal reaches the guest.
        return Err(RunStoreError::Denied(format!(
            "object {:?} exceeds the size limit of {} bytes",
            truncate(key),
            run.limits.max_object_bytes
        )));
    }
    hasher.update(&chunk);
    writer.write(chunk).await.map_err(|e| {
        run.mark_broken(&e.to_string());
        e.into()
    })
}

async fn fail(
    writer: Box<dyn ObjectWriter>,
    err: RunStoreError,
    failure: &Mutex<Option<String>>,
) -> Result<StoredObject, RunStoreError> {
    *failure.lock().unwrap() = Some(err.to_string());
    writer.abort().await;
    Err(err)
}
