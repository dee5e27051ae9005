//! Flow run tasks (`tasks/runFlow`), derived from the seed: a flow, an inline Cloud
//! schedule and the output step it runs.

use serde::Serialize;

use super::generator::{schedule, K_FLOW_TASK};
use super::model::{ContentKind, ListKind, Schedule};
use super::Site;
use crate::util::{h, luid};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlowTask {
    pub id: String,
    pub priority: u32,
    pub consecutive_failed: u32,
    pub schedule: Schedule,
    pub flow_id: String,
    pub flow_name: String,
    pub output_step_id: String,
}

/// Flow task `i` (the site has `extras.flow_tasks`).
pub(crate) fn flow_task(site: &Site, i: usize) -> FlowTask {
    let hv = h(site.seed, K_FLOW_TASK, i as u64, 1);
    let flows = site.base_count(ListKind::Flows).max(1) as u64;
    let flow = site.content(ContentKind::Flow, (hv % flows) as usize);
    FlowTask {
        id: luid(site.seed, K_FLOW_TASK, i as u64),
        priority: 50,
        consecutive_failed: ((hv >> 8) % 3) as u32,
        schedule: schedule(h(site.seed, K_FLOW_TASK, i as u64, 2)),
        flow_id: flow.id,
        flow_name: flow.name,
        output_step_id: luid(site.seed, K_FLOW_TASK, (1 << 32) | i as u64),
    }
}
