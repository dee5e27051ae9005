//! The run-scoped view of a store that the guest writes through.
//!
//! Every key is validated and placed under the run folder here, in one place;
//! sizes and SHA-256 are computed here as bytes arrive, so the manifest's
//! figures come from what was really stored, not from what the guest claims.

use super::{validate_key, ObjectWriter, Store, StoreError};
use bytes::Bytes;
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Limits the host puts on what one run may store.
#[derive(Debug, Clone, Copy)]
pub struct WriteLimits {
    pub max_object_bytes: u64,
    pub max_objects: u64,
}

/// Why a write was refused or failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RunStoreError {
    /// The policy forbids it (bad key, too big, too many).
    #[error("{0}")]
    Denied(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What was stored: run-relative key, size and SHA-256 (hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    pub size: u64,
    pub sha256: String,
}

/// A store scoped to one run folder.
pub struct RunStore {
    store: Arc<Store>,
    run: String,
    limits: WriteLimits,
    objects: AtomicU64,
    bytes: AtomicU64,
    /// Set by the first backend failure: after it nothing in this run is trusted,
    /// so every later write is refused and the run cannot end with a manifest.
    broken: std::sync::Mutex<Option<String>>,
    /// Writer tasks, so the run can wait for commits and aborts before exiting.
    tasks: tokio_util::task::TaskTracker,
    /// Uploads begun and not yet committed or aborted.
    open: Arc<AtomicU64>,
}

/// Uploads one run may have open at once: each holds a temp file or a multipart
/// upload, so a guest must not be able to open them without bound.
pub const MAX_OPEN_UPLOADS: u64 = 256;

/// An upload in progress: a channel into a task that hashes and writes.
pub struct PendingUpload {
    /// Chunks go here; `None` once the upload is finished or aborted.
    pub chunks: Option<mpsc::Sender<Bytes>>,
    commit: Option<oneshot::Sender<bool>>,
    done: Option<tokio::task::JoinHandle<Result<StoredObject, RunStoreError>>>,
    /// Set by the writer task when it fails, for the stream to report.
    pub failure: Arc<std::sync::Mutex<Option<String>>>,
}

/// How many chunks may wait between the guest and the backend.
const CHANNEL_CHUNKS: usize = 16;

impl RunStore {
    pub fn new(store: Arc<Store>, run: String, limits: WriteLimits) -> Self {
        Self {
            store,
            run,
            limits,
            objects: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            broken: std::sync::Mutex::new(None),
            tasks: tokio_util::task::TaskTracker::new(),
            open: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Refuse further writes: the backend failed once, the run is not trustworthy.
    fn mark_broken(&self, why: &str) {
        let mut broken = self.broken.lock().unwrap();
        if broken.is_none() {
            tracing::error!("the destination failed; stopping this run: {why}");
            *broken = Some(why.to_string());
        }
    }

    fn check_broken(&self) -> Result<(), RunStoreError> {
        match self.broken.lock().unwrap().as_ref() {
            Some(why) => {
                Err(StoreError::Backend(format!("the destination failed earlier in this run: {why}")).into())
            }
            None => Ok(()),
        }
    }

    /// Wait (bounded) for every writer task to commit or abort, e.g. before exit.
    pub async fn drain(&self, limit: std::time::Duration) {
        self.tasks.close();
        if tokio::time::timeout(limit, self.tasks.wait()).await.is_err() {
            tracing::warn!("some uploads were still being committed or aborted at exit");
        }
    }

    pub fn run(&self) -> &str {
        &self.run
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// Bytes committed so far in this run.
    pub fn bytes_written(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// Objects committed so far in this run.
    pub fn objects_written(&self) -> u64 {
        self.objects.load(Ordering::Relaxed)
    }

    /// Map a run-relative key to a destination key, or refuse it.
    pub fn scoped_key(&self, key: &str) -> Result<String, RunStoreError> {
        validate_key(key)
            .map_err(|e| RunStoreError::Denied(format!("key {:?} refused: {e}", truncate(key))))?;
        let full = format!("{}/{key}", self.run);
        validate_key(&full)
            .map_err(|e| RunStoreError::Denied(format!("key {:?} refused: {e}", truncate(key))))?;
        Ok(full)
    }

    /// Start an upload. Bytes sent into `chunks` are hashed and written by a task.
    pub async fn begin(self: &Arc<Self>, key: &str) -> Result<PendingUpload, RunStoreError> {
        let full = self.scoped_key(key)?;
        self.check_broken()?;
        if self.objects.load(Ordering::Relaxed) >= self.limits.max_objects {
            return Err(RunStoreError::Denied(format!(
                "object limit reached: a run may store at most {} objects",
                self.limits.max_objects
            )));
        }
        if self.open.fetch_add(1, Ordering::SeqCst) >= MAX_OPEN_UPLOADS {
            self.open.fetch_sub(1, Ordering::SeqCst);
            return Err(RunStoreError::Denied(format!(
                "too many uploads open at once (at most {MAX_OPEN_UPLOADS})"
            )));
        }
        let open = OpenGuard(self.open.clone());
        let writer = self.store.create(&full).await?;
        let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
        let (commit_tx, commit_rx) = oneshot::channel();
        let failure = Arc::new(std::sync::Mutex::new(None));
        let run = self.clone();
        let key = key.to_string();
        let task_failure = failure.clone();
        let task = self.tasks.spawn(async move {
            let _open = open;
            pump(run, key, writer, rx, commit_rx, task_failure).await
        });
        Ok(PendingUpload {
            chunks: Some(tx),
            commit: Some(commit_tx),
            done: Some(task),
            failure,
        })
    }

    /// Store a small object in one call.
    pub async fn put(self: &Arc<Self>, key: &str, data: Vec<u8>) -> Result<StoredObject, RunStoreError> {
        let mut up = self.begin(key).await?;
        if let Some(tx) = up.chunks.as_ref() {
            // A send fails only if the writer task already failed; finish reports why.
            let _ = tx.send(Bytes::from(data)).await;
        }
        up.finish().await
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
    run: Arc<RunStore>,
    key: String,
    mut writer: ObjectWriter,
    mut rx: mpsc::Receiver<Bytes>,
    mut commit: oneshot::Receiver<bool>,
    failure: Arc<std::sync::Mutex<Option<String>>>,
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
                    if let Err(e) = accept(&run, &key, &mut writer, &mut hasher, &mut size, c).await {
                        return fail(writer, e, &failure).await;
                    }
                }
                break decision;
            }
        };
        match chunk {
            Some(c) => {
                if let Err(e) = accept(&run, &key, &mut writer, &mut hasher, &mut size, c).await {
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
        return Err(RunStoreError::Denied(format!("upload of {key:?} was aborted")));
    }
    if let Err(e) = writer.commit().await {
        run.mark_broken(&e.to_string());
        *failure.lock().unwrap() = Some(e.to_string());
        return Err(e.into());
    }
    run.objects.fetch_add(1, Ordering::Relaxed);
    run.bytes.fetch_add(size, Ordering::Relaxed);
    Ok(StoredObject {
        key,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Hash, size-check and write one chunk.
async fn accept(
    run: &RunStore,
    key: &str,
    writer: &mut ObjectWriter,
    hasher: &mut Sha256,
    size: &mut u64,
    chunk: Bytes,
) -> Result<(), RunStoreError> {
    *size += chunk.len() as u64;
    if *size > run.limits.max_object_bytes {
        let why = format!(
            "object {key:?} exceeds the size limit of {} bytes",
            run.limits.max_object_bytes
        );
        tracing::warn!(target: "policy", "store write denied: {why}");
        return Err(RunStoreError::Denied(why));
    }
    hasher.update(&chunk);
    writer.write(chunk).await.map_err(|e| {
        run.mark_broken(&e.to_string());
        e.into()
    })
}

async fn fail(
    writer: ObjectWriter,
    err: RunStoreError,
    failure: &std::sync::Mutex<Option<String>>,
) -> Result<StoredObject, RunStoreError> {
    *failure.lock().unwrap() = Some(err.to_string());
    writer.abort().await;
    Err(err)
}

/// Counts an upload as open until its writer task ends (or it never starts).
struct OpenGuard(Arc<AtomicU64>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Keys in error messages are cut short so a 10,000-character key can't flood a log.
fn truncate(key: &str) -> String {
    const MAX: usize = 120;
    if key.len() <= MAX {
        return key.to_string();
    }
    let mut end = MAX;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &key[..end])
}
