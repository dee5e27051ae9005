//! [`RunStore`]: the one policy layer between a command (or the guest) and a
//! backend. Its [`Access`] says what it may do: a backup writes only its own run
//! folder and reads earlier runs; verify, snapshots and restore only read; only
//! prune deletes, and only whole runs. Every key and prefix passes [`super::keys`]
//! here; sizes and SHA-256 are computed here (in [`super::upload`]) as bytes
//! arrive, so a manifest's figures come from what was stored, not from a claim.

use super::keys::shown as truncate;
use super::keys::{self, KeyError};
use super::ledger::{Ledger, WriteLimits};
use super::upload::{self, PendingUpload, StoredObject};
use super::{Backend, ObjectMeta, ObjectReader, RunStoreError, StoreError};
use bytes::Bytes;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tableau_backup_model::run_name;

/// What a [`RunStore`] may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// A backup: write into this run folder only; read the whole destination.
    Backup {
        /// The run folder's name.
        run: String,
    },
    /// Read the whole destination, write nothing (verify, snapshots, restore).
    ReadOnly,
    /// Read, and delete whole runs (prune).
    Prune,
}

/// Uploads one run may have open at once: each holds a temp file or a multipart
/// upload and up to ~9 MiB of host memory (16 queued 64 KiB chunks, then the
/// local 1 MiB write buffer or the 8 MiB S3 part), so a guest must not be able
/// to open them without bound. 32 leaves room for the 20 downloads Tableau
/// allows at once plus metadata streams, and bounds what a hostile guest can
/// make the host hold to about 300 MiB (256 would allow 2.3 GiB over S3).
pub const MAX_OPEN_UPLOADS: u64 = 32;

/// A destination seen through one grant.
pub struct RunStore {
    backend: Arc<dyn Backend>,
    access: Access,
    ledger: Arc<Ledger>,
}

fn refused(what: &str, key: &str, e: KeyError) -> RunStoreError {
    RunStoreError::Denied(format!("{what} {:?} refused: {e}", truncate(key)))
}

impl RunStore {
    /// A view of `backend` with `access`; `limits` bound a backup's writes.
    pub fn new(backend: Arc<dyn Backend>, access: Access, limits: WriteLimits) -> Self {
        Self {
            backend,
            access,
            ledger: Arc::new(Ledger::new(limits)),
        }
    }

    /// A read-only view (verify, snapshots, restore).
    pub fn read_only(backend: Arc<dyn Backend>) -> Self {
        let none = WriteLimits {
            max_object_bytes: 0,
            max_objects: 0,
        };
        Self::new(backend, Access::ReadOnly, none)
    }

    /// What this view may do.
    pub fn access(&self) -> &Access {
        &self.access
    }

    /// Wait (bounded) for every writer task to commit or abort, e.g. before exit.
    pub async fn drain(&self, limit: Duration) {
        self.ledger.tasks.close();
        if tokio::time::timeout(limit, self.ledger.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!("some uploads were still being committed or aborted at exit");
        }
    }

    /// After a backup, and after [`RunStore::drain`]: abort what this run left
    /// unfinished that its writers could not (a multipart upload whose creation
    /// answered with an error, so its id never arrived; an abort that failed),
    /// retrying for up to `limit` while the store is failing. Only this run's
    /// folder: other runs may still be writing theirs. Returns how many were
    /// removed; an error means some may be left, and `snapshots` shows them.
    pub async fn discard_own_leftovers(&self, limit: Duration) -> Result<u64, RunStoreError> {
        let Access::Backup { run } = &self.access else {
            return Err(RunStoreError::Denied(
                "only a backup cleans up its own run folder".into(),
            ));
        };
        let prefix = keys::run_prefix(run).map_err(|e| refused("run", run, e))?;
        let deadline = Instant::now() + limit;
        let mut delay = Duration::from_millis(500);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let err = match tokio::time::timeout(left, self.backend.discard_leftovers(&prefix)).await {
                Ok(Ok(n)) => return Ok(n),
                Ok(Err(e @ StoreError::Permanent(_))) => return Err(e.into()),
                Ok(Err(e)) => e,
                Err(_) => StoreError::Backend(format!(
                    "no answer from the destination within {}s",
                    limit.as_secs()
                )),
            };
            if Instant::now() + delay >= deadline {
                return Err(err.into());
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(8));
        }
    }

    /// Map a run-relative key to a destination key, if this grant may write it.
    pub fn scoped_key(&self, rel: &str) -> Result<String, RunStoreError> {
        let Access::Backup { run } = &self.access else {
            return Err(RunStoreError::Denied(format!(
                "write of {:?} refused: this store grant is read-only",
                truncate(rel)
            )));
        };
        keys::run_key(run, rel).map_err(|e| refused("key", rel, e))
    }

    /// Start an upload under a run-relative key. Bytes sent into its `chunks`
    /// are hashed and written by a task.
    pub async fn begin(self: &Arc<Self>, rel: &str) -> Result<PendingUpload, RunStoreError> {
        let full = self.scoped_key(rel)?;
        if rel == run_name::STARTED_KEY {
            return Err(RunStoreError::Denied(format!(
                "key {rel:?} refused: it is the host's run marker"
            )));
        }
        let ledger = &self.ledger;
        ledger.check_broken()?;
        ledger.check_room().map_err(RunStoreError::Denied)?;
        if ledger.open.fetch_add(1, Ordering::SeqCst) >= MAX_OPEN_UPLOADS {
            ledger.open.fetch_sub(1, Ordering::SeqCst);
            return Err(RunStoreError::Denied(format!(
                "too many uploads open at once (at most {MAX_OPEN_UPLOADS})"
            )));
        }
        let open = upload::OpenGuard::new(ledger.open.clone());
        let writer = self.backend.create(&full).await?;
        Ok(upload::start(ledger.clone(), rel.to_string(), writer, open))
    }

    /// Store a small object in one call.
    pub async fn put(self: &Arc<Self>, rel: &str, data: Vec<u8>) -> Result<StoredObject, RunStoreError> {
        let mut up = self.begin(rel).await?;
        if let Some(tx) = up.chunks.as_ref() {
            // A send fails only if the writer task already failed; finish reports why.
            let _ = tx.send(Bytes::from(data)).await;
        }
        up.finish().await
    }

    /// Claim a run folder: atomically create `<run>/<marker>` with `data`.
    /// `Ok(false)` when another run already holds the name.
    pub async fn claim(&self, marker: &str, data: Vec<u8>) -> Result<bool, RunStoreError> {
        let full = self.scoped_key(marker)?;
        Ok(self.backend.create_new(&full, Bytes::from(data)).await?)
    }

    /// Copy an object of an earlier run into this run, without its bytes passing
    /// through the guest; returns its size. The source must be an object inside
    /// another run folder of the destination (never a run marker nor a temp
    /// file); the copy counts toward the run's object and size limits like a
    /// write, is refused once the backend failed, and a backend failure while
    /// copying breaks the run like a failed write.
    pub async fn copy_in(&self, from: &str, rel: &str) -> Result<u64, RunStoreError> {
        let full = self.scoped_key(rel)?;
        let Access::Backup { run } = &self.access else {
            unreachable!("scoped_key grants backups only");
        };
        keys::validate_key(from).map_err(|e| refused("copy from", from, e))?;
        let denied =
            |why: &str| RunStoreError::Denied(format!("copy from {:?} refused: {why}", truncate(from)));
        let Some((source_run, source_rel)) = from.split_once('/') else {
            return Err(denied("not inside a run folder"));
        };
        if !run_name::is_run(source_run) {
            return Err(denied("not inside a run folder"));
        }
        if source_run == run {
            return Err(denied("it is in this run's own folder"));
        }
        if source_rel == run_name::STARTED_KEY || rel == run_name::STARTED_KEY {
            return Err(denied("the run marker is the host's"));
        }
        let ledger = &self.ledger;
        ledger.check_broken()?;
        ledger.check_room().map_err(RunStoreError::Denied)?;
        let broken = |e: StoreError| {
            if matches!(e, StoreError::Backend(_)) {
                ledger.mark_broken(&e.to_string());
            }
            RunStoreError::Store(e)
        };
        let Some(meta) = self.backend.head(from).await.map_err(broken)? else {
            return Err(RunStoreError::Store(StoreError::NotFound(from.to_string())));
        };
        if meta.size > ledger.limits.max_object_bytes {
            return Err(RunStoreError::Denied(format!(
                "object {:?} exceeds the size limit of {} bytes",
                truncate(rel),
                ledger.limits.max_object_bytes
            )));
        }
        self.backend.copy(from, &full).await.map_err(broken)?;
        ledger.committed();
        Ok(meta.size)
    }

    /// Read an object by destination-relative key.
    pub async fn read(&self, key: &str) -> Result<ObjectReader, RunStoreError> {
        keys::validate_key(key).map_err(|e| refused("read of", key, e))?;
        Ok(self.backend.read(key).await?)
    }

    /// An object's size, or `None`.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectMeta>, RunStoreError> {
        keys::validate_key(key).map_err(|e| refused("head of", key, e))?;
        Ok(self.backend.head(key).await?)
    }

    /// Objects whose destination-relative key starts with `prefix`, sorted by key.
    pub async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>, RunStoreError> {
        keys::validate_prefix(prefix).map_err(|e| refused("list of", prefix, e))?;
        let mut all = self.backend.list(prefix).await?;
        all.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(all)
    }

    /// Names of the top-level folders, sorted.
    pub async fn list_folders(&self) -> Result<Vec<String>, RunStoreError> {
        let mut all = self.backend.list_folders().await?;
        all.sort();
        Ok(all)
    }

    /// Delete a whole run folder (prune only). Returns the objects removed.
    pub async fn delete_run(&self, run: &str) -> Result<u64, RunStoreError> {
        if self.access != Access::Prune {
            return Err(RunStoreError::Denied(format!(
                "deleting run {:?} refused: only prune may delete",
                truncate(run)
            )));
        }
        if !run_name::is_run(run) {
            return Err(RunStoreError::Denied(format!(
                "deleting {:?} refused: not a run folder",
                truncate(run)
            )));
        }
        let prefix = keys::run_prefix(run).map_err(|e| refused("run", run, e))?;
        self.backend.discard_leftovers(&prefix).await?;
        let keys: Vec<String> = self
            .backend
            .list(&prefix)
            .await?
            .into_iter()
            .map(|o| o.key)
            .collect();
        self.backend.delete(&keys).await?;
        Ok(keys.len() as u64)
    }

    /// Uncommitted writes left under `prefix` by a run that was killed.
    pub async fn leftovers(&self, prefix: &str) -> Result<Vec<String>, RunStoreError> {
        keys::validate_prefix(prefix).map_err(|e| refused("list of", prefix, e))?;
        Ok(self.backend.leftovers(prefix).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{LocalStore, WriteLimits};

    const LIMITS: WriteLimits = WriteLimits {
        max_object_bytes: 1 << 20,
        max_objects: 100,
    };
    const RUN_A: &str = "backup_tableau_cloud_demo_20261201T000000Z";
    const RUN_B: &str = "backup_tableau_cloud_demo_20261202T000000Z";

    async fn backend(dir: &std::path::Path) -> Arc<dyn Backend> {
        Arc::new(LocalStore::open(dir).await.unwrap())
    }

    fn backup(b: &Arc<dyn Backend>, run: &str) -> Arc<RunStore> {
        Arc::new(RunStore::new(
            b.clone(),
            Access::Backup { run: run.into() },
            LIMITS,
        ))
    }

    #[tokio::test]
    async fn grants_separate_writing_reading_and_deleting() {
        let dir = tempfile::tempdir().unwrap();
        let b = backend(dir.path()).await;
        let a = backup(&b, RUN_A);
        let stored = a.put("workbooks/x.twbx", b"abc".to_vec()).await.unwrap();
        assert_eq!((stored.size, stored.key.as_str()), (3, "workbooks/x.twbx"));
        assert!(a.put("../escape", vec![]).await.is_err());
        assert!(a.delete_run(RUN_A).await.is_err(), "a backup may not delete");

        let later = backup(&b, RUN_B);
        later
            .copy_in(&format!("{RUN_A}/workbooks/x.twbx"), "workbooks/x.twbx")
            .await
            .unwrap();
        assert!(later.copy_in("../x", "y").await.is_err());

        let ro = Arc::new(RunStore::read_only(b.clone()));
        assert!(matches!(
            ro.put("x", vec![1]).await,
            Err(RunStoreError::Denied(_))
        ));
        assert!(ro.read("../etc/passwd").await.is_err());
        assert!(ro.list("../").await.is_err());
        assert_eq!(ro.list(&format!("{RUN_B}/")).await.unwrap().len(), 1);
        assert!(ro.delete_run(RUN_A).await.is_err(), "read-only may not delete");

        let prune = RunStore::new(b.clone(), Access::Prune, LIMITS);
        assert!(prune.delete_run("policy.toml").await.is_err(), "only run folders");
        // A killed run's temp file is reported, and goes with its run.
        std::fs::write(dir.path().join(RUN_A).join("workbooks/.tbk-partial-0000-3"), b"x").unwrap();
        let prefix = format!("{RUN_A}/");
        assert_eq!(ro.leftovers(&prefix).await.unwrap().len(), 1);
        // A killed run's temp file is reported, and goes with its run.
        std::fs::write(dir.path().join(RUN_A).join("workbooks/.tbk-partial-0000-3"), b"x").unwrap();
        let prefix = format!("{RUN_A}/");
        assert_eq!(ro.leftovers(&prefix).await.unwrap().len(), 1);
        assert_eq!(prune.delete_run(RUN_A).await.unwrap(), 1);
        assert!(!dir.path().join(RUN_A).exists(), "nothing of the run is left");
        assert!(!dir.path().join(RUN_A).exists(), "nothing of the run is left");
        assert_eq!(ro.list_folders().await.unwrap(), [RUN_B]);
        assert_eq!(
            ro.head(&format!("{RUN_B}/workbooks/x.twbx"))
                .await
                .unwrap()
                .unwrap()
                .size,
            3
        );
    }

    #[tokio::test]
    async fn copies_come_from_other_runs_only_and_count_as_writes() {
        let dir = tempfile::tempdir().unwrap();
        let b = backend(dir.path()).await;
        let a = backup(&b, RUN_A);
        assert!(a.claim(run_name::STARTED_KEY, b"{}".to_vec()).await.unwrap());
        a.put("workbooks/x.twbx", b"abc".to_vec()).await.unwrap();
        a.put("big", b"abcd".to_vec()).await.unwrap();
        std::fs::create_dir_all(dir.path().join("other")).unwrap();
        std::fs::write(dir.path().join("other/x"), b"x").unwrap();
        let limits = WriteLimits {
            max_object_bytes: 3,
            max_objects: 2,
        };
        let later = Arc::new(RunStore::new(
            b.clone(),
            Access::Backup { run: RUN_B.into() },
            limits,
        ));
        later.put("own", b"1".to_vec()).await.unwrap();
        let denied = |r: Result<u64, RunStoreError>| matches!(r, Err(RunStoreError::Denied(_)));
        assert!(denied(later.copy_in("other/x", "y").await), "not a run folder");
        assert!(denied(later.copy_in(RUN_A, "y").await), "a folder is no object");
        assert!(denied(
            later
                .copy_in(&format!("{RUN_A}/{}", run_name::STARTED_KEY), "y")
                .await
        ));
        assert!(denied(
            later
                .copy_in(&format!("{RUN_A}/workbooks/x.twbx"), run_name::STARTED_KEY)
                .await
        ));
        assert!(
            denied(later.copy_in(&format!("{RUN_B}/own"), "y").await),
            "own run"
        );
        assert!(
            denied(later.copy_in(&format!("{RUN_A}/big"), "y").await),
            "size limit"
        );
        assert!(matches!(
            later.copy_in(&format!("{RUN_A}/nothing"), "y").await,
            Err(RunStoreError::Store(StoreError::NotFound(_)))
        ));
        let size = later
            .copy_in(&format!("{RUN_A}/workbooks/x.twbx"), "revisions/w/x/1.twbx")
            .await
            .unwrap();
        assert_eq!(size, 3);
        assert_eq!(
            std::fs::read(dir.path().join(RUN_B).join("revisions/w/x/1.twbx")).unwrap(),
            b"abc"
        );
        assert!(
            denied(later.copy_in(&format!("{RUN_A}/workbooks/x.twbx"), "z").await),
            "the copy counted toward the object limit"
        );

        let c = backup(&b, "backup_tableau_cloud_demo_20261203T000000Z");
        c.ledger.mark_broken("disk gone");
        assert!(matches!(
            c.copy_in(&format!("{RUN_A}/workbooks/x.twbx"), "x").await,
            Err(RunStoreError::Store(StoreError::Backend(_)))
        ));
        let ro = RunStore::read_only(b.clone());
        assert!(denied(
            ro.copy_in(&format!("{RUN_A}/workbooks/x.twbx"), "x").await
        ));
    }

    #[tokio::test]
    async fn a_backup_removes_what_it_left_open_in_its_own_folder_only() {
        let dir = tempfile::tempdir().unwrap();
        let b = backend(dir.path()).await;
        for run in [RUN_A, RUN_B] {
            std::fs::create_dir_all(dir.path().join(run).join("workbooks")).unwrap();
            std::fs::write(dir.path().join(run).join("workbooks/.tbk-partial-0000-3"), b"x").unwrap();
        }
        let limit = Duration::from_secs(1);
        assert_eq!(backup(&b, RUN_A).discard_own_leftovers(limit).await.unwrap(), 1);
        let ro = RunStore::read_only(b.clone());
        assert!(ro.leftovers(&format!("{RUN_A}/")).await.unwrap().is_empty());
        assert_eq!(
            ro.leftovers(&format!("{RUN_B}/")).await.unwrap().len(),
            1,
            "another run's"
        );
        assert!(
            ro.discard_own_leftovers(limit).await.is_err(),
            "read-only removes nothing"
        );
    }

    #[tokio::test]
    async fn a_run_name_is_claimed_once() {
        let dir = tempfile::tempdir().unwrap();
        let b = backend(dir.path()).await;
        let a = backup(&b, RUN_A);
        assert!(a.claim(run_name::STARTED_KEY, b"{}".to_vec()).await.unwrap());
        assert!(!backup(&b, RUN_A)
            .claim(run_name::STARTED_KEY, b"{}".to_vec())
            .await
            .unwrap());
        assert!(
            a.put(run_name::STARTED_KEY, b"x".to_vec()).await.is_err(),
            "the guest cannot overwrite it"
        );
    }
}
