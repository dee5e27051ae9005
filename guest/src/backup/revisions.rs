//! Revisions of workbooks and data sources (flows have no revision endpoints).
//!
//! The list of every item's revisions is stored whenever the kind is backed up
//! (`metadata_tableau/revisions.json`); with `job.revisions` the bytes of every
//! kept revision are stored too.

use std::cell::RefCell;

use serde_json::Value;

use super::array::ArrayWriter;
use super::content::ContentKind;
use super::found::Found;
use super::metadata::MetaError;
use super::per_object::{content_targets, each, Findings};
use super::Ctx;
use crate::tableau::json::{lenient_u64, string_at};
use crate::tableau::pager::Pager;
use crate::tableau::path_segment;
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
                listed
                    .borrow_mut()
                    .extend(revs.iter().filter_map(|v| RevisionRef::from_json(kind, &t.id, &t.name, v)));
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
