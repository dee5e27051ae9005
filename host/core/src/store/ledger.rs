//! What one run has written so far, and whether it can still be trusted: the
//! state a [`super::RunStore`] and its uploads' writer tasks share.

use super::StoreError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Limits the host puts on what one run may store.
#[derive(Debug, Clone, Copy)]
pub struct WriteLimits {
    /// Largest object, in bytes.
    pub max_object_bytes: u64,
    /// Most objects in the run.
    pub max_objects: u64,
}

/// The run's shared write state.
pub(super) struct Ledger {
    pub(super) limits: WriteLimits,
    /// Objects committed.
    pub(super) objects: AtomicU64,
    /// Uploads begun and not yet committed or aborted.
    pub(super) open: Arc<AtomicU64>,
    /// Writer tasks, so the run can wait for commits and aborts before exiting.
    pub(super) tasks: tokio_util::task::TaskTracker,
    /// Set by the first backend failure: after it nothing in this run is trusted,
    /// so every later write is refused and the run cannot end with a manifest.
    broken: Mutex<Option<String>>,
}

impl Ledger {
    pub(super) fn new(limits: WriteLimits) -> Self {
        Ledger {
            limits,
            objects: AtomicU64::new(0),
            open: Arc::new(AtomicU64::new(0)),
            tasks: tokio_util::task::TaskTracker::new(),
            broken: Mutex::new(None),
        }
    }

    /// Refuse further writes: the backend failed once, the run is not trustworthy.
    pub(super) fn mark_broken(&self, why: &str) {
        let mut broken = self.broken.lock().unwrap();
        if broken.is_none() {
            tracing::error!("the destination failed; stopping this run: {why}");
            *broken = Some(why.to_string());
        }
    }

    /// The backend failure that broke the run, as an error.
    pub(super) fn check_broken(&self) -> Result<(), StoreError> {
        match self.broken.lock().unwrap().as_ref() {
            Some(why) => Err(StoreError::Backend(format!(
                "the destination failed earlier in this run: {why}"
            ))),
            None => Ok(()),
        }
    }

    /// Refuse a new object once the run holds as many as it may.
    pub(super) fn check_room(&self) -> Result<(), String> {
        if self.objects.load(Ordering::Relaxed) >= self.limits.max_objects {
            return Err(format!(
                "object limit reached: a run may store at most {} objects",
                self.limits.max_objects
            ));
        }
        Ok(())
    }

    /// One more object committed.
    pub(super) fn committed(&self) {
        self.objects.fetch_add(1, Ordering::Relaxed);
    }
}
