//! Revisions of workbooks and data sources: 1 to `max_revisions` per item, some of the older
//! ones deleted. An older revision's bytes are generated from its own key (same kind of
//! file as the item, a different size); the current revision's bytes are the item's.

use serde::Serialize;

use super::content::{ContentSource, Generator};
use super::generator::{content_code, K_REVISION};
use super::model::{ContentItem, ListKind};
use super::Site;
use crate::util::{h, iso, parse_iso};

/// Older revisions are at most this big (with the extract).
const MAX_OLD_REVISION: u64 = 4 << 20;

/// One revision as the revisions list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub number: u32,
    pub published_at: String,
    pub deleted: bool,
    pub current: bool,
    pub publisher_id: String,
    pub publisher_name: String,
    /// Bytes of its download with the extract.
    pub size: u64,
}

/// How many revisions item `index` has: the most, one, or something between.
fn count(site: &Site, item: &ContentItem, index: usize) -> u32 {
    let max = site.extras.max_revisions.max(1) as u64;
    let hv = h(
        site.seed,
        K_REVISION,
        index as u64,
        content_code(item.kind) as u64,
    );
    let n = match index % 4 {
        0 => max,
        1 => 1,
        _ => 2 + hv % max.saturating_sub(1).max(1),
    };
    n.clamp(1, max) as u32
}

fn key(site: &Site, item: &ContentItem, index: usize, number: u32, include_extract: bool) -> u64 {
    let idx = ((content_code(item.kind) as u64) << 40) | index as u64;
    h(
        site.seed,
        K_REVISION,
        idx,
        number as u64 * 2 + include_extract as u64,
    )
}

/// The generated file of an older revision.
fn old_file(
    site: &Site,
    item: &ContentItem,
    index: usize,
    number: u32,
    n: u32,
    include_extract: bool,
) -> Generator {
    let full = item.files.size.min(MAX_OLD_REVISION) * (50 + 50 * number as u64 / n as u64) / 100;
    let strip = !include_extract && item.has_extracts;
    let (ext, size) = if strip {
        (item.files.ext_no_extract, full / 10)
    } else {
        (item.files.ext, full)
    };
    Generator::new(key(site, item, index, number, !strip), ext, size)
}

/// The revisions of an item (`index`: its base list index; an item published at runtime
/// has only its current one).
pub(crate) fn revisions(site: &Site, item: &ContentItem, index: Option<usize>) -> Vec<Revision> {
    let owner = site.user_by_id(&item.owner_id);
    let (owner_id, owner_name) = owner.map_or((item.owner_id.clone(), String::new()), |u| (u.id, u.name));
    let Some(index) = index else {
        return vec![Revision {
            number: 1,
            published_at: item.updated_at.clone(),
            deleted: false,
            current: true,
            publisher_id: owner_id,
            publisher_name: owner_name,
            size: item.files.size,
        }];
    };
    let n = count(site, item, index);
    let (t0, t1) = (parse_iso(&item.created_at), parse_iso(&item.updated_at));
    let users = site.count(ListKind::Users) as u64;
    (1..=n)
        .map(|r| {
            let current = r == n;
            let at = if current || n == 1 {
                item.updated_at.clone()
            } else {
                iso(t0 + (t1 - t0) * (r as i64 - 1) / (n as i64 - 1))
            };
            let (publisher_id, publisher_name) = if current {
                (owner_id.clone(), owner_name.clone())
            } else {
                let u = site.user((key(site, item, index, r, false) % users.max(1)) as usize);
                (u.id, u.name)
            };
            Revision {
                number: r,
                published_at: at,
                deleted: !current && (r as usize + index).is_multiple_of(3),
                current,
                publisher_id,
                publisher_name,
                size: if current {
                    item.files.size
                } else {
                    old_file(site, item, index, r, n, true).len()
                },
            }
        })
        .collect()
}

/// The bytes of revision `number`; `None` when there is no such revision or it was deleted.
pub(crate) fn revision_source(
    site: &Site,
    item: &ContentItem,
    index: Option<usize>,
    number: u32,
    include_extract: bool,
) -> Option<ContentSource> {
    let revs = revisions(site, item, index);
    let r = revs.iter().find(|r| r.number == number && !r.deleted)?;
    if r.current {
        return Some(Site::source(item, include_extract));
    }
    let n = revs.len() as u32;
    Some(ContentSource::Gen(old_file(
        site,
        item,
        index?,
        number,
        n,
        include_extract,
    )))
}
