//! Runtime state added by clients: published content, created projects, upload sessions, jobs.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::model::{ContentItem, ContentKind, Project};

#[derive(Default)]
pub(crate) struct Store {
    /// Newly published items per kind (workbooks, data sources, flows).
    pub published: [Vec<ContentItem>; 3],
    /// Base items replaced by an overwrite publish, by id.
    pub overrides: HashMap<String, ContentItem>,
    pub projects: Vec<Project>,
    pub uploads: HashMap<String, Upload>,
    pub jobs: HashMap<String, Job>,
    /// Items deleted by the paging-drift fault or `Sim::remove_item`.
    pub removed: Removed,
    /// People, metadata and rules added or changed by restore-side writes.
    pub overlay: super::overlay::Overlay,
    counter: u64,
}

impl Store {
    /// A fresh number for ids and file names.
    pub fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }
}

/// A chunked upload session: its file in the temp dir and bytes so far.
#[derive(Clone, Debug)]
pub(crate) struct Upload {
    pub path: PathBuf,
    pub len: u64,
}

/// An asynchronous publish job (finished by the time it is created).
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub id: String,
    pub kind: ContentKind,
    pub item_id: String,
    pub item_name: String,
    pub created_at: String,
}

/// Items deleted at runtime: list indices per list (sorted) and their ids.
#[derive(Default)]
pub(crate) struct Removed {
    pub by_list: HashMap<String, Vec<usize>>,
    pub ids: HashSet<String>,
}
