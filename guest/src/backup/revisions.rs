//! Revisions of workbooks and data sources (flows have no revision endpoints).
//!
//! The list of every item's revisions is stored whenever the kind is backed up
//! (`metadata_tableau/revisions.json`); with `job.revisions` the bytes of every
//! kept revision are stored too.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::io::Read;

use futures::StreamExt;
use serde::Deserialize;
use serde_json::Value;
use wasip2::io::streams::{InputStream, StreamError};

use super::array::ArrayWriter;
use super::content::{choose_extension, ContentItem, ContentKind};
use super::fetch::{self, DownloadError};
use super::found::Found;
use super::metadata::{file, MetaError};
use super::names;
use super::per_object::{content_targets, each, Findings};
use super::{Ctx, Plan, Tally};
use crate::host;
use crate::tableau::json::{lenient_u64, string_at};
use crate::tableau::pager::Pager;
use crate::tableau::path_segment;
use crate::tableau_backup::backup::types::BackupError;
use tableau_backup_model::manifest::{self, ItemKind};
use tableau_backup_model::Kind;

/// One revision as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionRef {
    pub kind: ContentKind,
    pub item_id: String,
    pub item_name: String,
    pub number: u32,
    pub current: bool,
    /// Deleted revisions are listed but their bytes are gone.
    pub deleted: bool,
    pub published_at: String,
    pub publisher_id: String,
    pub publisher_name: String,
    /// `sizeInBytes`, when Tableau gives it.
    pub size: Option<u64>,
}

fn flag(v: &Value, key: &str) -> bool {
    matches!(v.get(key), Some(Value::Bool(true))) || string_at(v, &[key]) == "true"
}

impl RevisionRef {
    fn from_json(kind: ContentKind, item_id: &str, item_name: &str, v: &Value) -> Option<RevisionRef> {
        let number = v.get("revisionNumber").and_then(lenient_u64)?;
        Some(RevisionRef {
            kind,
            item_id: item_id.to_string(),
            item_name: item_name.to_string(),
            number: u32::try_from(number).ok()?,
            current: flag(v, "current"),
            deleted: flag(v, "deleted"),
            published_at: string_at(v, &["publishedAt"]),
            publisher_id: string_at(v, &["publisher", "id"]),
            publisher_name: string_at(v, &["publisher", "name"]),
            size: v.get("sizeInBytes").and_then(lenient_u64),
        })
    }
}

/// Lists the revisions of every workbook and data source into `out`, one entry
/// per item, and keeps them in `found.revisions` for the bytes; returns how
/// many revisions were listed.
pub async fn list(
    ctx: &Ctx<'_>,
    found: &mut Found,
    out: &mut ArrayWriter,
    findings: &mut Findings,
) -> Result<u64, MetaError> {
    let targets = content_targets(ctx, found, &[ContentKind::Workbook, ContentKind::Datasource]).await?;
    let listed: RefCell<Vec<RevisionRef>> = RefCell::new(Vec::new());
    each(ctx, out, Kind::Revisions, "revisions", targets, findings, |t| {
        let listed = &listed;
        async move {
            let kind = if t.segment == "workbooks" {
                ContentKind::Workbook
            } else {
                ContentKind::Datasource
            };
            let r = Pager::new(
                ctx.client,
                format!("GET {}/{{id}}/revisions", t.segment),
                format!("{}/{}/revisions", t.segment, path_segment(&t.id)),
                ("revisions", "revision"),
                ctx.page_size,
            )
            .keyed_by("revisionNumber")
            .collect_all()
            .await
            .map(|revs| {
                listed.borrow_mut().extend(
                    revs.iter()
                        .filter_map(|v| RevisionRef::from_json(kind, &t.id, &t.name, v)),
                );
                Some(Value::Array(revs))
            });
            (t, r)
        }
    })
    .await?;
    let listed = listed.into_inner();
    let count = listed.len() as u64;
    found.revisions = listed;
    Ok(count)
}

/// The most of an earlier run's manifest read. Only its revision entries are
/// kept (a few hundred bytes each), so this bounds the guest's memory too; a
/// bigger manifest is not used (its revisions are downloaded again).
pub const MAX_EARLIER_MANIFEST_BYTES: u64 = 128 << 20;

/// What this run needs of an earlier run's manifest (serde skips the rest
/// without keeping it).
#[derive(Deserialize)]
struct EarlierManifest {
    format: String,
    format_version: u32,
    site: EarlierSite,
    #[serde(default)]
    scope: EarlierScope,
    #[serde(default)]
    revisions: Vec<EarlierRevision>,
}

#[derive(Deserialize)]
struct EarlierSite {
    id: String,
}

#[derive(Deserialize, Default)]
struct EarlierScope {
    #[serde(default)]
    include_extracts: bool,
    #[serde(default)]
    revisions: bool,
}

/// A revision an earlier run stored, as its manifest lists it.
#[derive(Deserialize, Debug, Clone)]
struct EarlierRevision {
    kind: ItemKind,
    item_id: String,
    number: u32,
    /// Relative to that run's folder.
    key: String,
    size: u64,
    sha256: String,
}

/// The revisions an earlier run of this destination stored, to copy from.
pub struct Earlier {
    /// The run folder.
    run: String,
    stored: HashMap<(ItemKind, String, u32), EarlierRevision>,
}

impl Earlier {
    fn get(&self, rev: &RevisionRef) -> Option<&EarlierRevision> {
        self.stored
            .get(&(rev.kind.manifest_kind(), rev.item_id.clone(), rev.number))
    }
}

/// A synchronous, capped reader over a store stream, for serde. Blocking is
/// fine here: nothing else of the run is in flight while it reads.
struct StoreReader {
    stream: InputStream,
    chunk: Vec<u8>,
    at: usize,
    left: u64,
}

impl Read for StoreReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.chunk.len() {
            match self.stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Err(StreamError::Closed) => return Ok(0),
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(std::io::Error::other(e.to_debug_string()))
                }
            }
        }
        let n = out.len().min(self.chunk.len() - self.at);
        if n as u64 > self.left {
            return Err(std::io::Error::other(format!(
                "larger than {MAX_EARLIER_MANIFEST_BYTES} bytes"
            )));
        }
        self.left -= n as u64;
        out[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn read_earlier(run: &str) -> Result<EarlierManifest, String> {
    let stream = host::open(&format!("{run}/{}", manifest::KEY)).map_err(|e| e.to_string())?;
    let reader = StoreReader {
        stream,
        chunk: Vec::new(),
        at: 0,
        left: MAX_EARLIER_MANIFEST_BYTES,
    };
    let m: EarlierManifest = serde_json::from_reader(reader).map_err(|e| e.to_string())?;
    if m.format != manifest::FORMAT {
        return Err(format!("not a manifest (format {:?})", m.format));
    }
    if m.format_version > manifest::FORMAT_VERSION {
        return Err(format!(
            "format_version {} is newer than this guest reads",
            m.format_version
        ));
    }
    Ok(m)
}

/// The newest of `runs` (newest first) that stored revisions of this site with
/// the same extract setting (the bytes differ with and without extracts).
fn earlier(runs: &[String], site_id: &str, include_extracts: bool) -> Option<Earlier> {
    for run in runs {
        let m = match read_earlier(run) {
            Ok(m) => m,
            Err(why) => {
                host::warn(format!(
                    "cannot use the manifest of earlier run {run} for revisions: {why}"
                ));
                continue;
            }
        };
        let skip = if m.site.id != site_id {
            Some("another site")
        } else if !m.scope.revisions {
            Some("it stored no revision bytes")
        } else if m.scope.include_extracts != include_extracts {
            Some("its extract setting differs")
        } else {
            None
        };
        if let Some(why) = skip {
            host::debug(format!(
                "earlier run {run}: not copying revisions from it ({why})"
            ));
            continue;
        }
        let stored = m
            .revisions
            .into_iter()
            .map(|r| ((r.kind, r.item_id.clone(), r.number), r))
            .collect();
        return Some(Earlier {
            run: run.clone(),
            stored,
        });
    }
    None
}

/// `revisions/<folder>/<luid>/<number>.<ext>`: the same key for the same
/// revision in every run, whatever the item is called now.
pub fn revision_key(kind: ContentKind, item_id: &str, number: u32, ext: &str) -> String {
    format!(
        "revisions/{}/{}/{number}.{ext}",
        kind.folder(),
        names::safe_id(item_id)
    )
}

/// The last segment of a key (its file name).
fn file_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// How one revision ended.
enum Outcome {
    Stored(manifest::Revision),
    Vanished(manifest::Vanished),
    Failed(manifest::Failure),
}

fn record(
    rev: &RevisionRef,
    key: String,
    size: u64,
    sha256: String,
    copied_from: Option<String>,
) -> manifest::Revision {
    manifest::Revision {
        kind: rev.kind.manifest_kind(),
        item_id: rev.item_id.clone(),
        item_name: rev.item_name.clone(),
        number: rev.number,
        current: rev.current,
        published_at: rev.published_at.clone(),
        publisher_id: rev.publisher_id.clone(),
        publisher_name: rev.publisher_name.clone(),
        key,
        size,
        sha256,
        copied_from,
    }
}

/// Copies a revision from the earlier run; `Ok(None)` when it cannot be (the
/// caller downloads it instead), `Err` when the store's backend failed.
fn copy(
    rev: &RevisionRef,
    earlier: &Earlier,
    had: &EarlierRevision,
) -> Result<Option<manifest::Revision>, String> {
    let ext = choose_extension(rev.kind, Some(file_name(&had.key)), b"");
    let key = revision_key(rev.kind, &rev.item_id, rev.number, ext);
    let source = format!("{}/{}", earlier.run, had.key);
    match host::copy(&source, &key) {
        Ok(info) if info.size == had.size => Ok(Some(record(
            rev,
            key,
            had.size,
            had.sha256.clone(),
            Some(earlier.run.clone()),
        ))),
        Ok(info) => {
            host::warn(format!(
                "{source} has {} bytes, its manifest says {}: downloading revision {} of {} again",
                info.size, had.size, rev.number, rev.item_id
            ));
            Ok(None)
        }
        Err(e) if e.is_backend() => Err(format!("{e} while copying {source}")),
        Err(e) => {
            host::warn(format!(
                "cannot copy {source} ({e}): downloading revision {} of {} again",
                rev.number, rev.item_id
            ));
            Ok(None)
        }
    }
}

/// `GET {segment}/{id}/revisions/{n}/content` into the store.
async fn download(ctx: &Ctx<'_>, rev: &RevisionRef, include_extracts: bool) -> Result<Outcome, String> {
    let (segment, _) = rev.kind.wrapper();
    let endpoint = format!("GET {segment}/{{id}}/revisions/{{n}}/content");
    let mut path = format!(
        "{segment}/{}/revisions/{}/content",
        path_segment(&rev.item_id),
        rev.number
    );
    if !include_extracts {
        path.push_str("?includeExtract=false");
    }
    let what = format!(
        "revision {} of {} {}",
        rev.number,
        rev.kind.manifest_kind(),
        rev.item_id
    );
    let key_for = |filename: Option<&str>, first: &[u8]| {
        revision_key(
            rev.kind,
            &rev.item_id,
            rev.number,
            choose_extension(rev.kind, filename, first),
        )
    };
    match fetch::to_store(ctx.client, &endpoint, &path, &what, &key_for).await {
        Ok(got) => Ok(Outcome::Stored(record(rev, got.key, got.size, got.sha256, None))),
        Err(DownloadError::Fatal(m)) => Err(m),
        Err(DownloadError::Missing(m)) => Ok(Outcome::Vanished(manifest::Vanished {
            kind: rev.kind.manifest_kind().to_string(),
            id: rev.item_id.clone(),
            name: rev.item_name.clone(),
            part: format!("revision {}", rev.number),
            reason: m,
        })),
        Err(DownloadError::Item(m)) => Ok(Outcome::Failed(manifest::Failure {
            kind: file(Kind::Revisions),
            id: rev.item_id.clone(),
            name: rev.item_name.clone(),
            error: format!("revision {}: {m}", rev.number),
        })),
    }
}

/// The revisions whose bytes this run stores: every listed, non-deleted one of
/// the items that went to download (after the caps), once each. An item none
/// of whose revisions is flagged current gets its highest number as current.
fn wanted(listed: &[RevisionRef], items: &[ContentItem]) -> Vec<RevisionRef> {
    let in_scope: HashSet<(ContentKind, &str)> = items
        .iter()
        .filter(|i| matches!(i.kind, ContentKind::Workbook | ContentKind::Datasource))
        .map(|i| (i.kind, i.id.as_str()))
        .collect();
    let mut seen = HashSet::new();
    let mut out: Vec<RevisionRef> = listed
        .iter()
        .filter(|r| !r.deleted && in_scope.contains(&(r.kind, r.item_id.as_str())))
        .filter(|r| seen.insert((r.kind, r.item_id.clone(), r.number)))
        .cloned()
        .collect();
    let flagged: HashSet<(ContentKind, String)> = out
        .iter()
        .filter(|r| r.current)
        .map(|r| (r.kind, r.item_id.clone()))
        .collect();
    let mut highest: HashMap<(ContentKind, String), u32> = HashMap::new();
    for r in out
        .iter()
        .filter(|r| !flagged.contains(&(r.kind, r.item_id.clone())))
    {
        let n = highest.entry((r.kind, r.item_id.clone())).or_insert(r.number);
        *n = (*n).max(r.number);
    }
    for r in &mut out {
        if highest.get(&(r.kind, r.item_id.clone())) == Some(&r.number) {
            r.current = true;
        }
    }
    out
}

/// With `job.revisions`: the bytes of every kept revision of the items this run
/// downloaded. The current one is the item's content file of this run (stored
/// once); one an earlier run stored is copied from there; the rest is
/// downloaded. A vanished revision is recorded, a failed one fails alone; a
/// store backend failure ends the run.
pub(super) async fn store_bytes(
    ctx: &Ctx<'_>,
    plan: &Plan,
    listed: &[RevisionRef],
    items: &[ContentItem],
    tally: &mut Tally,
) -> Result<(), BackupError> {
    if !plan.lists.contains(&Kind::Revisions) {
        host::warn(
            "revision bytes need the revisions kind, which this run leaves out: none stored".to_string(),
        );
        return Ok(());
    }
    // The content files this run stored, by item.
    let content: HashMap<(ItemKind, &str), &manifest::Item> =
        tally.items.iter().map(|i| ((i.kind, i.id.as_str()), i)).collect();
    let mut todo = Vec::new();
    let mut current = Vec::new();
    for rev in wanted(listed, items) {
        let stored = rev
            .current
            .then(|| content.get(&(rev.kind.manifest_kind(), rev.item_id.as_str())))
            .flatten();
        match stored {
            Some(item) => current.push(record(
                &rev,
                item.key.clone(),
                item.size,
                item.sha256.clone(),
                None,
            )),
            None => todo.push(rev),
        }
    }
    let current_count = current.len();
    tally.revisions.extend(current);
    if todo.is_empty() {
        return Ok(());
    }
    let earlier = if plan.earlier_runs.is_empty() {
        None
    } else {
        earlier(&plan.earlier_runs, ctx.client.site_id(), plan.include_extracts)
    };
    let copyable = earlier
        .as_ref()
        .map_or(0, |e| todo.iter().filter(|r| e.get(r).is_some()).count());
    host::info(format!(
        "storing {} revisions: {copyable} copied from {}, the rest downloaded, up to {} at a time ({current_count} current ones are this run's content files)",
        todo.len(),
        earlier.as_ref().map_or("no earlier run", |e| e.run.as_str()),
        plan.concurrency
    ));
    let earlier = earlier.as_ref();
    let include_extracts = plan.include_extracts;
    let mut work = futures::stream::iter(todo.iter())
        .map(|rev| async move {
            if let Some((e, had)) = earlier.and_then(|e| e.get(rev).map(|had| (e, had))) {
                if let Some(r) = copy(rev, e, had)? {
                    return Ok(Outcome::Stored(r));
                }
            }
            download(ctx, rev, include_extracts).await
        })
        .buffer_unordered(plan.concurrency);
    let (mut copied, mut downloaded) = (0u64, 0u64);
    while let Some(outcome) = work.next().await {
        match outcome {
            Ok(Outcome::Stored(r)) => {
                if r.copied_from.is_some() {
                    copied += 1;
                } else {
                    downloaded += 1;
                }
                host::stored(Kind::Revisions, &r.item_id, &r.item_name, &r.key, r.size);
                if let Some(c) = tally.count(Kind::Revisions) {
                    c.stored += 1;
                }
                tally.revisions.push(r);
            }
            Ok(Outcome::Vanished(v)) => {
                host::warn(format!(
                    "{} {}: {} is gone ({}); recorded as vanished",
                    v.kind, v.id, v.part, v.reason
                ));
                tally.vanished.push(v);
            }
            Ok(Outcome::Failed(f)) => tally.fail(Kind::Revisions, f),
            Err(m) => {
                host::error(m.clone());
                return Err(BackupError::Store(m));
            }
        }
    }
    host::info(format!("revisions: {downloaded} downloaded, {copied} copied"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(id: &str, number: u32, current: bool, deleted: bool) -> RevisionRef {
        RevisionRef {
            kind: ContentKind::Workbook,
            item_id: id.into(),
            item_name: "n".into(),
            number,
            current,
            deleted,
            published_at: String::new(),
            publisher_id: String::new(),
            publisher_name: String::new(),
            size: None,
        }
    }

    fn item(kind: ContentKind, id: &str) -> ContentItem {
        ContentItem {
            kind,
            id: id.into(),
            name: "n".into(),
            project_id: String::new(),
            updated_at: String::new(),
        }
    }

    #[test]
    fn only_kept_revisions_of_downloaded_items() {
        let listed = [
            rev("a", 1, false, false),
            rev("a", 2, false, true),
            rev("a", 3, true, false),
            rev("a", 3, true, false),
            rev("capped", 1, true, false),
            rev("b", 1, false, false),
            rev("b", 2, false, false),
        ];
        let got = wanted(
            &listed,
            &[item(ContentKind::Workbook, "a"), item(ContentKind::Workbook, "b")],
        );
        let got: Vec<_> = got
            .iter()
            .map(|r| (r.item_id.as_str(), r.number, r.current))
            .collect();
        // No current flag on b: its highest number is current.
        assert_eq!(
            got,
            [("a", 1, false), ("a", 3, true), ("b", 1, false), ("b", 2, true)]
        );
        // A data source with the same id is another item.
        assert!(wanted(&listed, &[item(ContentKind::Datasource, "a")]).is_empty());
    }

    #[test]
    fn keys_are_stable_and_portable() {
        assert_eq!(
            revision_key(ContentKind::Datasource, "d1/../x", 4, "tdsx"),
            "revisions/published_data_sources/d1____x/4.tdsx"
        );
        assert_eq!(file_name("workbooks/w_Sales.twbx"), "w_Sales.twbx");
        let ext = choose_extension(ContentKind::Workbook, Some(file_name("workbooks/w_S.twb")), b"");
        assert_eq!(ext, "twb");
    }
}
