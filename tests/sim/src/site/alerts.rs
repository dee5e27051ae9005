//! Data-driven alerts, derived from the seed: each on a view of a workbook, with an owner
//! and recipients.

use serde::Serialize;

use super::generator::K_ALERT;
use super::model::{ContentKind, ListKind};
use super::names::{fit, nth};
use super::Site;
use crate::util::{h, iso, luid, luid_parts, parse_iso};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DataAlert {
    pub id: String,
    pub subject: String,
    pub creator_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub frequency: &'static str,
    pub public: bool,
    pub owner_id: String,
    pub owner_name: String,
    pub view_id: String,
    pub view_name: String,
    pub workbook_id: String,
    pub workbook_name: String,
    pub project_id: String,
    pub project_name: String,
    /// User ids (the owner first).
    pub recipients: Vec<String>,
}

const SUBJECTS: &[&str] = &[
    "Sales below target",
    "Churn ⚠️ above 5%",
    "Inventory low — 在庫",
    "Marge < 20 %",
    "Daily \"KPI\" & <threshold>",
];

const FREQUENCIES: &[&str] = &["Once", "Frequently", "Hourly", "Daily", "Weekly"];

/// Data alert `i` (the site has `extras.data_alerts`).
pub(crate) fn data_alert(site: &Site, i: usize) -> DataAlert {
    let hv = h(site.seed, K_ALERT, i as u64, 1);
    let wbs = site.base_count(ListKind::Workbooks).max(1) as u64;
    let wb = site.content(ContentKind::Workbook, (hv % wbs) as usize);
    let view = wb.views[((hv >> 8) as usize) % wb.views.len().max(1)].clone();
    let users = site.count(ListKind::Users) as u64;
    let owner = site.user(((hv >> 16) % users) as usize);
    let project = site.project_by_id(&wb.project_id);
    let mut recipients = vec![owner.id.clone()];
    for k in 0..((hv >> 24) % 3) {
        let u = site.user(((hv >> (28 + 4 * k)) % users) as usize).id;
        if !recipients.contains(&u) {
            recipients.push(u);
        }
    }
    let created = parse_iso(&wb.created_at) + ((hv >> 32) % 86_400) as i64;
    DataAlert {
        id: luid(site.seed, K_ALERT, i as u64),
        subject: fit(nth(SUBJECTS, 0, i), site.extras.max_name_chars, i),
        creator_id: owner.id.clone(),
        created_at: iso(created),
        updated_at: iso(created + ((hv >> 40) % 900_000) as i64),
        frequency: FREQUENCIES[((hv >> 48) % FREQUENCIES.len() as u64) as usize],
        public: (hv >> 52).is_multiple_of(2),
        owner_id: owner.id,
        owner_name: owner.name,
        view_id: view.id,
        view_name: view.name,
        workbook_id: wb.id,
        workbook_name: wb.name,
        project_id: wb.project_id.clone(),
        project_name: project.map(|p| p.name).unwrap_or_default(),
        recipients,
    }
}

/// The index of a data alert by id.
pub(crate) fn alert_index(site: &Site, id: &str) -> Option<usize> {
    let (k, i) = luid_parts(site.seed, id)?;
    let i = usize::try_from(i).ok()?;
    (k == K_ALERT
        && i < site.extras.data_alerts
        && luid(site.seed, K_ALERT, i as u64) == id
        && !site.is_removed(id))
    .then_some(i)
}
