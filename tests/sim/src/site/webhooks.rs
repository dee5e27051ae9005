//! Webhooks, derived from the seed: an event, an HTTPS destination and an owner.

use serde::Serialize;

use super::generator::K_WEBHOOK;
use super::model::ListKind;
use super::names::{fit, nth};
use super::Site;
use crate::util::{h, iso, luid};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub id: String,
    pub name: String,
    /// The event, e.g. `datasource-refresh-failed` (element `webhook-source-event-<event>`).
    pub event: &'static str,
    pub url: String,
    pub is_enabled: bool,
    pub owner_id: String,
    pub owner_name: String,
    pub created_at: String,
    pub updated_at: String,
}

/// `(event, element name)`.
pub(crate) const EVENTS: &[(&str, &str)] = &[
    (
        "datasource-refresh-failed",
        "webhook-source-event-datasource-refresh-failed",
    ),
    ("workbook-created", "webhook-source-event-workbook-created"),
    ("datasource-created", "webhook-source-event-datasource-created"),
    (
        "workbook-refresh-succeeded",
        "webhook-source-event-workbook-refresh-succeeded",
    ),
    ("view-deleted", "webhook-source-event-view-deleted"),
    ("admin-promoted", "webhook-source-event-admin-promoted"),
];

const NAMES: &[&str] = &[
    "Refresh failures → Slack",
    "New content audit",
    "Ops pager",
    "Télémétrie",
];

/// Webhook `i` (the site has `extras.webhooks`).
pub(crate) fn webhook(site: &Site, i: usize) -> Webhook {
    let hv = h(site.seed, K_WEBHOOK, i as u64, 1);
    let owner = site.user((hv % site.count(ListKind::Users) as u64) as usize);
    let created = 1_700_000_000 + ((hv >> 8) % 30_000_000) as i64;
    Webhook {
        id: luid(site.seed, K_WEBHOOK, i as u64),
        name: fit(nth(NAMES, 0, i), site.extras.max_name_chars, i),
        event: EVENTS[i % EVENTS.len()].0,
        url: format!("https://hooks.example.com/tableau/{i}?source=sim"),
        is_enabled: !(hv >> 40).is_multiple_of(4),
        owner_id: owner.id,
        owner_name: owner.name,
        created_at: iso(created),
        updated_at: iso(created + ((hv >> 44) % 1_000_000) as i64),
    }
}

/// The element name of an event.
pub(crate) fn event_element(event: &str) -> &'static str {
    EVENTS
        .iter()
        .find(|(e, _)| *e == event)
        .map_or("webhook-source-event-workbook-created", |(_, el)| el)
}
