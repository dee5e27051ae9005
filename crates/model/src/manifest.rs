//! `manifest.json`: the record of one run, written last by the guest (its
//! presence marks a finished run) and read by the host (verify, snapshots, and
//! later restore, prune and incremental runs).
//!
//! Deterministic: [`Manifest::seal`] sorts every list, so two runs of the same
//! site compare cleanly. Readers ignore fields they don't know, so a newer tool's
//! additions stay readable; `format_version` changes only when an older reader
//! would misunderstand the file.

use crate::Kind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The manifest's key in every run folder.
pub const KEY: &str = "manifest.json";
/// The `format` field's value.
pub const FORMAT: &str = "tableau-backup-manifest";
/// The `format_version` this crate writes and the newest it reads.
///
/// 2 added `scope` (a limited run is not a full backup), `vanished` and
/// `notes`; a version 1 manifest reads as a full run with none of them.
/// 3 added `revisions`, `custom_view_definitions` and `scope.revisions` (an
/// older verify would call their files unexpected).
pub const FORMAT_VERSION: u32 = 3;

/// One run's manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written by this version.
    pub format_version: u32,
    /// The tool's version.
    pub tool_version: String,
    /// The run folder's name.
    pub run: String,
    /// The Tableau server's base URL.
    pub server: String,
    /// The REST API version used.
    pub api_version: String,
    /// The site backed up.
    pub site: Site,
    /// RFC 3339, UTC.
    pub started_at: String,
    /// RFC 3339, UTC.
    pub finished_at: String,
    /// `partial` exactly when `failures` is not empty.
    pub status: Status,
    /// What the run was asked to cover; `scope.full` is false for a limited run.
    #[serde(default)]
    pub scope: Scope,
    /// Content files stored.
    pub items: Vec<Item>,
    /// Metadata files stored.
    pub metadata: Vec<Metadata>,
    /// Revision files stored (with `scope.revisions`): every kept revision of
    /// every workbook and data source backed up.
    #[serde(default)]
    pub revisions: Vec<Revision>,
    /// Custom view definition files stored.
    #[serde(default)]
    pub custom_view_definitions: Vec<Definition>,
    /// What could not be backed up, and why.
    pub failures: Vec<Failure>,
    /// Objects listed that were gone when their details were read (deleted
    /// during the run); not failures, but never silently missing.
    #[serde(default)]
    pub vanished: Vec<Vanished>,
    /// What the run had to do differently from the usual, for the reader to know
    /// (a list fetched with Tableau's default fields after `fields=_all_` was refused).
    #[serde(default)]
    pub notes: Vec<Note>,
    /// Sums over the lists above.
    pub totals: Totals,
}

/// The site of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    /// The site's LUID.
    pub id: String,
    /// The content URL (`/site/<x>/`).
    pub content_url: String,
    /// `null` when the site details were not fetched.
    pub name: Option<String>,
}

/// What a run covers. A full backup: every kind, with extracts, no `max-*`
/// cap (a cap makes a run limited even where it left nothing out: the next
/// run of the same command may).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scope {
    /// Kinds backed up (their `--kinds` names); every kind for a full backup.
    pub kinds: Vec<Kind>,
    /// Workbooks and data sources downloaded with their extracts.
    pub include_extracts: bool,
    /// `--max-workbooks`, if set.
    pub max_workbooks: Option<u64>,
    /// `--max-datasources`, if set.
    pub max_datasources: Option<u64>,
    /// `--max-flows`, if set.
    pub max_flows: Option<u64>,
    /// Content items listed but left out by a cap.
    pub skipped_by_limits: u64,
    /// The bytes of every kept revision were stored (`--revisions`). Not part of
    /// `full`: the revision lists are, the older bytes are an opt-in.
    #[serde(default)]
    pub revisions: bool,
    /// Every kind, extracts, no cap.
    pub full: bool,
}

impl Default for Scope {
    /// A version 1 manifest recorded no scope: it was a full run or nobody can tell.
    fn default() -> Self {
        Scope {
            kinds: Kind::ALL.to_vec(),
            include_extracts: true,
            max_workbooks: None,
            max_datasources: None,
            max_flows: None,
            skipped_by_limits: 0,
            revisions: false,
            full: true,
        }
    }
}

impl Scope {
    /// `full` from the rest: every kind, extracts, no cap.
    pub fn with_full(mut self) -> Scope {
        let every_kind = Kind::ALL.iter().all(|k| self.kinds.contains(k));
        let capped =
            self.max_workbooks.is_some() || self.max_datasources.is_some() || self.max_flows.is_some();
        self.full = every_kind && self.include_extracts && !capped;
        self
    }

    /// What limited the run, in words (`kinds users, workbooks; no extracts`);
    /// empty for a full run.
    pub fn limits(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !Kind::ALL.iter().all(|k| self.kinds.contains(k)) {
            let names: Vec<&str> = self.kinds.iter().map(|k| k.name()).collect();
            out.push(format!("kinds {}", names.join(",")));
        }
        if !self.include_extracts {
            out.push("no extracts".to_string());
        }
        for (name, cap) in [
            ("max-workbooks", self.max_workbooks),
            ("max-datasources", self.max_datasources),
            ("max-flows", self.max_flows),
        ] {
            if let Some(n) = cap {
                out.push(format!("{name} {n}"));
            }
        }
        if self.skipped_by_limits > 0 {
            out.push(format!("{} items left out by caps", self.skipped_by_limits));
        }
        out
    }
}

/// Whether everything listed was backed up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// No failures.
    Complete,
    /// Some items failed; the rest is good.
    Partial,
}

impl Status {
    /// `complete` or `partial`, as in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Complete => "complete",
            Status::Partial => "partial",
        }
    }
}

/// The kind of a content file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A workbook (`.twbx` / `.twb`).
    Workbook,
    /// A published data source (`.tdsx` / `.tds`).
    Datasource,
    /// A Prep flow (`.tflx` / `.tfl`).
    Flow,
}

impl ItemKind {
    /// `workbook`, `datasource` or `flow`, as in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Workbook => "workbook",
            ItemKind::Datasource => "datasource",
            ItemKind::Flow => "flow",
        }
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored content file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// The item's LUID.
    pub id: String,
    /// Its name in Tableau.
    pub name: String,
    /// Its project's LUID.
    pub project_id: String,
    /// Tableau's `updatedAt`.
    pub updated_at: String,
    /// Run-relative key of the stored file.
    pub key: String,
    /// Bytes, as the host counted them.
    pub size: u64,
    /// SHA-256 (lower-case hex), as the host computed it.
    pub sha256: String,
    /// The download's `Content-Type`.
    pub content_type: String,
    /// The file name the server sent, `null` without a Content-Disposition.
    pub filename: Option<String>,
}

/// A stored revision of a workbook or data source.
///
/// Its bytes never change, so a later run copies them from the earlier run
/// that has them (`copied_from`). The current revision is the item's content
/// file of the same run (`key` is the item's key), stored once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// `workbook` or `datasource`.
    pub kind: ItemKind,
    /// The item's LUID.
    pub item_id: String,
    /// The item's name when backed up.
    pub item_name: String,
    /// Tableau's `revisionNumber`.
    pub number: u32,
    /// Whether this is the item's current revision.
    pub current: bool,
    /// Tableau's `publishedAt`.
    pub published_at: String,
    /// The publisher's LUID.
    pub publisher_id: String,
    /// The publisher's name.
    pub publisher_name: String,
    /// Run-relative key of the stored file.
    pub key: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 (lower-case hex).
    pub sha256: String,
    /// The run the bytes were copied from, `null` when downloaded by this run.
    pub copied_from: Option<String>,
}

/// A stored custom view definition (`customviews/{id}/content`, as Tableau sent it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Definition {
    /// The custom view's LUID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The view it customizes.
    pub view_id: String,
    /// That view's workbook.
    pub workbook_id: String,
    /// Run-relative key of the stored file.
    pub key: String,
    /// Bytes, as the host counted them.
    pub size: u64,
    /// SHA-256 (lower-case hex), as the host computed it.
    pub sha256: String,
}

/// A stored metadata file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The file name without extension (`users`, `custom_views`).
    pub kind: String,
    /// Run-relative key.
    pub key: String,
    /// Objects in the file.
    pub count: u64,
    /// Bytes, as the host counted them.
    pub size: u64,
    /// SHA-256 (lower-case hex), as the host computed it.
    pub sha256: String,
}

/// Something that could not be backed up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// An item kind (`workbook`) or a metadata file (`users`).
    pub kind: String,
    /// The item's LUID; empty for a whole list.
    pub id: String,
    /// The item's name; empty for a whole list.
    pub name: String,
    /// Why, in words.
    pub error: String,
}

/// An object that was listed but gone when its details were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vanished {
    /// A metadata file (`groups`) or an item kind (`workbook`).
    pub kind: String,
    /// The object's LUID.
    pub id: String,
    /// Its name, as listed.
    pub name: String,
    /// What could not be read (`members`, `detail`, `favorites`, `content`).
    pub part: String,
    /// Tableau's answer, in words.
    pub reason: String,
}

/// Something the run did differently, for whoever reads the backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// The metadata file or item kind it concerns.
    pub kind: String,
    /// What happened.
    pub message: String,
}

/// Sums over the manifest's lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Content files.
    pub items: u64,
    /// Revision files (the current revisions, which are content files, are
    /// counted in `items`).
    #[serde(default)]
    pub revisions: u64,
    /// Custom view definition files.
    #[serde(default)]
    pub definitions: u64,
    /// Metadata files.
    pub metadata_files: u64,
    /// Content and metadata bytes (the manifest cannot count itself).
    pub bytes: u64,
    /// Entries in `failures`.
    pub failures: u64,
}

/// An object the manifest vouches for: content or metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Run-relative key.
    pub key: &'a str,
    /// Bytes.
    pub size: u64,
    /// SHA-256, lower-case hex.
    pub sha256: &'a str,
}

/// Why bytes are not a manifest this version can read.
#[derive(Debug)]
pub enum ReadError {
    /// Not JSON, or not a manifest's shape.
    Invalid(serde_json::Error),
    /// `format` is not [`FORMAT`].
    NotAManifest(String),
    /// Written by a newer, incompatible version.
    TooNew(u32),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Invalid(e) => write!(f, "invalid manifest: {e}"),
            ReadError::NotAManifest(format) => write!(f, "not a tableau-backup manifest (format {format:?})"),
            ReadError::TooNew(v) => write!(
                f,
                "manifest format_version {v} is newer than this tool reads ({FORMAT_VERSION}); upgrade tableau-backup"
            ),
        }
    }
}

impl std::error::Error for ReadError {}

impl Manifest {
    /// Sort every list, then fill in `totals` and `status` from them.
    pub fn seal(mut self) -> Manifest {
        self.items.sort_by(|a, b| (a.kind, &a.key).cmp(&(b.kind, &b.key)));
        self.metadata.sort_by(|a, b| a.key.cmp(&b.key));
        self.revisions
            .sort_by(|a, b| (a.kind, &a.item_id, a.number).cmp(&(b.kind, &b.item_id, b.number)));
        self.custom_view_definitions.sort_by(|a, b| a.key.cmp(&b.key));
        self.failures
            .sort_by(|a, b| (&a.kind, &a.id, &a.name).cmp(&(&b.kind, &b.id, &b.name)));
        self.vanished
            .sort_by(|a, b| (&a.kind, &a.id, &a.part).cmp(&(&b.kind, &b.id, &b.part)));
        self.scope = self.scope.clone().with_full();
        self.totals = Totals {
            items: self.items.len() as u64,
            revisions: self.revision_files().count() as u64,
            definitions: self.custom_view_definitions.len() as u64,
            metadata_files: self.metadata.len() as u64,
            bytes: self.entries().map(|e| e.size).sum(),
            failures: self.failures.len() as u64,
        };
        self.status = if self.failures.is_empty() {
            Status::Complete
        } else {
            Status::Partial
        };
        self
    }

    /// Whether nothing failed.
    pub fn is_complete(&self) -> bool {
        self.status == Status::Complete
    }

    /// `complete`, `limited` (nothing failed, but not a full backup) or `partial`.
    pub fn verdict(&self) -> &'static str {
        match (self.status, self.scope.full) {
            (Status::Partial, _) => "partial",
            (Status::Complete, false) => "limited",
            (Status::Complete, true) => "complete",
        }
    }

    /// Every object the manifest names, once each: content, revisions (but
    /// those that are a content file of the run: the current ones, as a rule),
    /// definitions, then metadata.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'_>> {
        let items = self.items.iter().map(|i| Entry {
            key: &i.key,
            size: i.size,
            sha256: &i.sha256,
        });
        let revisions = self.revision_files().map(|r| Entry {
            key: &r.key,
            size: r.size,
            sha256: &r.sha256,
        });
        let definitions = self.custom_view_definitions.iter().map(|d| Entry {
            key: &d.key,
            size: d.size,
            sha256: &d.sha256,
        });
        let metadata = self.metadata.iter().map(|m| Entry {
            key: &m.key,
            size: m.size,
            sha256: &m.sha256,
        });
        items.chain(revisions).chain(definitions).chain(metadata)
    }

    /// The revisions with a file of their own: all but those whose key is a
    /// content file of this run (a current revision whose item's download
    /// failed was downloaded on its own, and has one).
    pub fn revision_files(&self) -> impl Iterator<Item = &Revision> {
        let content: std::collections::HashSet<&str> = self.items.iter().map(|i| i.key.as_str()).collect();
        self.revisions
            .iter()
            .filter(move |r| !content.contains(r.key.as_str()))
    }

    /// Bytes of every object the manifest names.
    pub fn total_bytes(&self) -> u64 {
        self.entries().map(|e| e.size).sum()
    }

    /// The file's bytes: pretty JSON and a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        // Plain structs with string keys: serializing cannot fail.
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Parse a manifest from a reader, without holding its text whole.
    pub fn from_reader(reader: impl std::io::Read) -> Result<Manifest, ReadError> {
        let m: Manifest = serde_json::from_reader(reader).map_err(ReadError::Invalid)?;
        m.checked()
    }

    /// Parse a manifest from bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Manifest, ReadError> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(ReadError::Invalid)?;
        m.checked()
    }

    fn checked(self) -> Result<Manifest, ReadError> {
        if self.format != FORMAT {
            return Err(ReadError::NotAManifest(self.format));
        }
        if self.format_version > FORMAT_VERSION {
            return Err(ReadError::TooNew(self.format_version));
        }
        Ok(self)
    }
}

/// `2026-11-28T05:12:00Z` for seconds since the Unix epoch.
pub fn rfc3339(unix_secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_secs.min(i64::MAX as u64) as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: ItemKind, key: &str) -> Item {
        Item {
            kind,
            id: "i".into(),
            name: "n".into(),
            project_id: String::new(),
            updated_at: String::new(),
            key: key.into(),
            size: 10,
            sha256: "00".into(),
            content_type: "application/octet-stream".into(),
            filename: None,
        }
    }

    fn sample(failures: Vec<Failure>) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            tool_version: "0.1.0".into(),
            run: "run".into(),
            server: "https://x".into(),
            api_version: "3.24".into(),
            site: Site {
                id: "s".into(),
                content_url: "demo".into(),
                name: None,
            },
            started_at: rfc3339(0),
            finished_at: rfc3339(1),
            status: Status::Complete,
            scope: Scope::default(),
            items: vec![
                item(ItemKind::Workbook, "workbooks/b"),
                item(ItemKind::Datasource, "d/a"),
                item(ItemKind::Workbook, "workbooks/a"),
            ],
            metadata: vec![Metadata {
                kind: "users".into(),
                key: "metadata_tableau/users.json".into(),
                count: 2,
                size: 5,
                sha256: "ff".into(),
            }],
            revisions: vec![],
            custom_view_definitions: vec![],
            failures,
            vanished: vec![],
            notes: vec![],
            totals: Totals::default(),
        }
        .seal()
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_842_720), "2026-11-28T05:12:00Z");
        assert_eq!(rfc3339(u64::MAX), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn sealed_is_sorted_and_totalled() {
        let m = sample(vec![]);
        let keys: Vec<_> = m.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["workbooks/a", "workbooks/b", "d/a"]);
        assert_eq!(m.totals.bytes, 35);
        assert_eq!(m.total_bytes(), 35);
        assert_eq!(m.status, Status::Complete);
        let v: serde_json::Value = serde_json::from_slice(&m.to_json()).unwrap();
        assert_eq!(v["format"], "tableau-backup-manifest");
        assert_eq!(v["format_version"], FORMAT_VERSION);
        assert_eq!(v["scope"]["full"], true);
        assert_eq!(m.verdict(), "complete");
        assert_eq!(v["status"], "complete");
        assert_eq!(v["items"][0]["kind"], "workbook");
        assert_eq!(v["items"][0]["filename"], serde_json::Value::Null);
        assert_eq!(v["totals"]["metadata_files"], 1);
    }

    #[test]
    fn round_trips_through_json() {
        let failure = Failure {
            kind: "workbook".into(),
            id: "w1".into(),
            name: "Sales".into(),
            error: "HTTP 404".into(),
        };
        let m = sample(vec![failure]);
        assert_eq!(m.status, Status::Partial);
        let bytes = m.to_json();
        assert_eq!(Manifest::from_slice(&bytes).unwrap(), m);
        assert_eq!(Manifest::from_reader(&bytes[..]).unwrap(), m);
    }

    #[test]
    fn a_limited_scope_is_not_a_full_backup() {
        let mut m = sample(vec![]);
        m.scope.kinds = vec![Kind::Users, Kind::Workbooks];
        m.scope.max_workbooks = Some(5);
        let m = m.seal();
        assert!(!m.scope.full);
        assert_eq!(m.verdict(), "limited");
        assert_eq!(m.scope.limits(), ["kinds users,workbooks", "max-workbooks 5"]);
        let mut caps_that_did_not_bite = sample(vec![]);
        caps_that_did_not_bite.scope.max_flows = Some(100);
        assert!(!caps_that_did_not_bite.seal().scope.full);
        let mut no_extracts = sample(vec![]);
        no_extracts.scope.include_extracts = false;
        assert_eq!(no_extracts.seal().verdict(), "limited");
    }

    #[test]
    fn revisions_are_entries_unless_they_are_a_content_file() {
        let rev = |number: u32, current: bool, key: &str| Revision {
            kind: ItemKind::Workbook,
            item_id: "i".into(),
            item_name: "n".into(),
            number,
            current,
            published_at: String::new(),
            publisher_id: String::new(),
            publisher_name: String::new(),
            key: key.into(),
            size: 7,
            sha256: "ab".into(),
            copied_from: None,
        };
        let mut m = sample(vec![]);
        m.revisions = vec![
            rev(2, true, "workbooks/a"),
            rev(1, false, "revisions/workbooks/i/1.twbx"),
            // Its item's download failed: downloaded on its own.
            rev(3, true, "revisions/workbooks/j/3.twbx"),
        ];
        let m = m.seal();
        let keys: Vec<_> = m.entries().map(|e| e.key).collect();
        assert_eq!(
            keys.iter().filter(|k| **k == "workbooks/a").count(),
            1,
            "once: {keys:?}"
        );
        assert!(keys.contains(&"revisions/workbooks/i/1.twbx"));
        assert!(keys.contains(&"revisions/workbooks/j/3.twbx"));
        assert_eq!(m.totals.revisions, 2);
        assert_eq!(m.totals.bytes, 35 + 14);
    }

    #[test]
    fn a_version_1_manifest_reads_as_a_full_run() {
        let mut v: serde_json::Value = serde_json::from_slice(&sample(vec![]).to_json()).unwrap();
        let o = v.as_object_mut().unwrap();
        for added in ["scope", "vanished", "notes"] {
            o.remove(added);
        }
        o.insert("format_version".into(), serde_json::json!(1));
        let m = Manifest::from_slice(v.to_string().as_bytes()).unwrap();
        assert!(m.scope.full && m.vanished.is_empty() && m.notes.is_empty());
    }

    #[test]
    fn unknown_fields_are_ignored_but_other_formats_refused() {
        let mut v: serde_json::Value = serde_json::from_slice(&sample(vec![]).to_json()).unwrap();
        v["added_by_a_newer_tool"] = serde_json::json!({"x": 1});
        assert!(Manifest::from_slice(v.to_string().as_bytes()).is_ok());
        v["format_version"] = serde_json::json!(FORMAT_VERSION + 1);
        let err = Manifest::from_slice(v.to_string().as_bytes()).unwrap_err();
        assert!(matches!(err, ReadError::TooNew(_)), "{err}");
        v["format"] = serde_json::json!("something-else");
        assert!(matches!(
            Manifest::from_slice(v.to_string().as_bytes()),
            Err(ReadError::NotAManifest(_))
        ));
        assert!(matches!(Manifest::from_slice(b"{"), Err(ReadError::Invalid(_))));
    }
}
