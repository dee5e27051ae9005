//! Data quality warnings on data sources (every third) and flows (every fourth), up to
//! `extras.dqws` of them, data sources first.

use serde::Serialize;

use super::generator::K_DQW;
use super::model::{ContentKind, ListKind};
use super::Site;
use crate::util::{h, iso, luid, parse_iso};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct QualityWarning {
    pub id: String,
    /// `DATASOURCE` or `FLOW`.
    pub content_type: &'static str,
    pub content_id: String,
    /// `type`: WARNING, DEPRECATED, STALE, SENSITIVE_DATA, MAINTENANCE.
    pub kind: &'static str,
    pub message: String,
    pub is_active: bool,
    pub is_severe: bool,
    pub created_at: String,
    pub updated_at: String,
    pub owner_id: String,
    pub user_display_name: String,
}

const TYPES: &[&str] = &["WARNING", "DEPRECATED", "STALE", "SENSITIVE_DATA", "MAINTENANCE"];

/// The rank of an item among the warned ones, if it is one of the candidates.
fn rank(site: &Site, kind: ContentKind, i: usize) -> Option<usize> {
    let ds_targets = site.base_count(ListKind::Datasources).div_ceil(3);
    match kind {
        ContentKind::Datasource if i.is_multiple_of(3) => Some(i / 3),
        ContentKind::Flow if i.is_multiple_of(4) => Some(ds_targets + i / 4),
        _ => None,
    }
}

/// The warning on content item `i` of `kind`, if it has one.
pub(crate) fn warning_on(site: &Site, kind: ContentKind, i: usize) -> Option<QualityWarning> {
    if i >= site.base_count(kind.list()) {
        return None;
    }
    let r = rank(site, kind, i).filter(|&r| r < site.extras.dqws)?;
    let item = site.content(kind, i);
    let hv = h(site.seed, K_DQW, r as u64, 1);
    let owner = site.user((hv % site.count(ListKind::Users) as u64) as usize);
    let at = parse_iso(&item.updated_at) + ((hv >> 8) % 86_400) as i64;
    Some(QualityWarning {
        id: luid(site.seed, K_DQW, r as u64),
        content_type: if kind == ContentKind::Flow {
            "FLOW"
        } else {
            "DATASOURCE"
        },
        content_id: item.id,
        kind: TYPES[r % TYPES.len()],
        message: format!(
            "Check before use: {} (#{r})",
            ["late refresh", "schema change", "données partielles"][r % 3]
        ),
        is_active: !(hv >> 20).is_multiple_of(5),
        is_severe: (hv >> 24).is_multiple_of(3),
        created_at: iso(at),
        updated_at: iso(at + 3600),
        owner_id: owner.id,
        user_display_name: owner.full_name,
    })
}

/// Every warning of the site.
pub(crate) fn all(site: &Site) -> Vec<QualityWarning> {
    let mut out = Vec::new();
    for kind in [ContentKind::Datasource, ContentKind::Flow] {
        for i in 0..site.base_count(kind.list()) {
            out.extend(warning_on(site, kind, i));
        }
    }
    out
}
