//! Sizes of the records derived from the site rather than held by its source: revisions,
//! data alerts, webhooks, flow run tasks and data quality warnings.

use crate::config::{SimConfig, SiteSpec};

#[derive(Clone, Debug)]
pub(crate) struct Extras {
    /// Each workbook and data source has 1 to this many revisions.
    pub max_revisions: usize,
    pub data_alerts: usize,
    pub webhooks: usize,
    pub flow_tasks: usize,
    pub dqws: usize,
    pub max_name_chars: Option<usize>,
    /// Default-permission types answered like an unknown URI.
    pub unserved: Vec<String>,
}

impl Extras {
    pub fn of(cfg: &SimConfig) -> Self {
        let unserved = cfg.unserved_default_permissions.clone();
        match &cfg.site {
            SiteSpec::Sample => Self {
                max_revisions: 10,
                data_alerts: 2,
                webhooks: 2,
                flow_tasks: 1,
                dqws: 2,
                max_name_chars: None,
                unserved,
            },
            SiteSpec::Generated(g) => Self {
                max_revisions: g.max_revisions.max(1),
                data_alerts: if g.workbooks == 0 { 0 } else { g.data_alerts },
                webhooks: g.webhooks,
                flow_tasks: if g.flows == 0 { 0 } else { g.flow_run_tasks },
                dqws: g.data_quality_warnings,
                max_name_chars: g.max_name_chars,
                unserved,
            },
        }
    }
}
