//! Permission rules, derived from the seed and list indices: explicit rules on projects,
//! content, virtual connections and views, and each project's default rules per content
//! type. Index patterns make even the small sample site hold every case: items without
//! rules, group and user grantees, Allow and Deny.

use serde::Serialize;

use super::generator::K_PERM;
use super::model::{ContentKind, ListKind};
use super::Site;
use crate::util::h;

/// What explicit rules are set on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Resource {
    Project,
    Workbook,
    Datasource,
    Flow,
    VirtualConnection,
    View,
}

impl Resource {
    pub const ALL: [Resource; 6] = [
        Self::Project,
        Self::Workbook,
        Self::Datasource,
        Self::Flow,
        Self::VirtualConnection,
        Self::View,
    ];

    /// URL segment: `projects`, `workbooks`, ..., `virtualConnections`, `views`.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Project => "projects",
            Self::Workbook => "workbooks",
            Self::Datasource => "datasources",
            Self::Flow => "flows",
            Self::VirtualConnection => "virtualConnections",
            Self::View => "views",
        }
    }

    /// Element name in a permissions response.
    pub fn singular(self) -> &'static str {
        match self {
            Self::Project => "project",
            Self::Workbook => "workbook",
            Self::Datasource => "datasource",
            Self::Flow => "flow",
            Self::VirtualConnection => "virtualConnection",
            Self::View => "view",
        }
    }

    pub(crate) fn capabilities(self) -> &'static [&'static str] {
        match self {
            Self::Project => &["Read", "Write"],
            Self::Workbook => WORKBOOK_CAPS,
            Self::Datasource => &[
                "Read",
                "Connect",
                "ExportXml",
                "Write",
                "SaveAs",
                "ChangeHierarchy",
                "Delete",
                "ChangePermissions",
            ],
            Self::Flow => &[
                "Read",
                "ExportXml",
                "Execute",
                "WebAuthoringForFlows",
                "Write",
                "ChangeHierarchy",
                "Delete",
                "ChangePermissions",
            ],
            Self::VirtualConnection => VCONN_CAPS,
            Self::View => &[
                "Read",
                "Filter",
                "ViewComments",
                "AddComment",
                "ExportImage",
                "ExportData",
                "ShareView",
                "ViewUnderlyingData",
                "WebAuthoring",
                "Delete",
                "ChangePermissions",
            ],
        }
    }
}

const WORKBOOK_CAPS: &[&str] = &[
    "Read",
    "Filter",
    "ViewComments",
    "AddComment",
    "ExportImage",
    "ExportData",
    "ShareView",
    "ViewUnderlyingData",
    "WebAuthoring",
    "Write",
    "ExportXml",
    "ChangeHierarchy",
    "Delete",
    "ChangePermissions",
];
const VCONN_CAPS: &[&str] = &[
    "Read",
    "Connect",
    "Write",
    "ChangeHierarchy",
    "Delete",
    "ChangePermissions",
];
const ASSET_CAPS: &[&str] = &["Read", "Write", "ChangeHierarchy", "Delete", "ChangePermissions"];

/// Capabilities Tableau has besides the ones the generator hands out, accepted in writes.
fn extra_caps(element: &str) -> &'static [&'static str] {
    match element {
        "project" => &["ProjectLeader"],
        "workbook" | "workbooks" => &["ExtractRefresh", "CreateRefreshMetrics", "RunExplainData"],
        "view" => &["CreateRefreshMetrics", "RunExplainData"],
        "datasource" | "datasources" => &["ExtractRefresh", "SaveAs"],
        _ => &[],
    }
}

/// The static name of a capability valid on `caps` (plus Tableau's others for `element`).
pub(crate) fn valid_capability(
    caps: &'static [&'static str],
    element: &str,
    name: &str,
) -> Option<&'static str> {
    caps.iter()
        .chain(extra_caps(element))
        .find(|c| **c == name)
        .copied()
}

/// The content types of `projects/{id}/default-permissions/{type}`.
pub const DEFAULT_PERMISSION_TYPES: [&str; 9] = [
    "workbooks",
    "datasources",
    "flows",
    "dataroles",
    "lenses",
    "metrics",
    "virtualConnections",
    "databases",
    "tables",
];

/// The canonical spelling of a default-permission type (any case).
pub(crate) fn default_type(seg: &str) -> Option<&'static str> {
    DEFAULT_PERMISSION_TYPES
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(seg))
}

pub(crate) fn default_caps(t: &str) -> &'static [&'static str] {
    match t {
        "workbooks" => WORKBOOK_CAPS,
        "datasources" => Resource::Datasource.capabilities(),
        "flows" => Resource::Flow.capabilities(),
        "virtualConnections" => VCONN_CAPS,
        "databases" | "tables" => &["Read", "Write", "ChangePermissions"],
        _ => ASSET_CAPS,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GranteeKind {
    User,
    Group,
}

impl GranteeKind {
    /// Element name: `user` or `group`.
    pub fn name(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Mode {
    Allow,
    Deny,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Self::Allow => "Allow",
            Self::Deny => "Deny",
        }
    }
}

/// One `granteeCapabilities` element: a user or group and its capabilities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Grant {
    pub grantee: GranteeKind,
    pub grantee_id: String,
    pub capabilities: Vec<(&'static str, Mode)>,
}

/// Picks grantees among the site's users and groups.
struct Picker<'a> {
    site: &'a Site,
    hv: u64,
    out: Vec<Grant>,
}

impl Picker<'_> {
    /// A group other than "All Users" when there is one. Generated groups only:
    /// a generated rule must not change grantee when a restore adds groups.
    fn group(&self, n: u64) -> String {
        let g = self.site.base_count(ListKind::Groups);
        let i = if g > 1 {
            1 + ((self.hv >> n) % (g as u64 - 1)) as usize
        } else {
            0
        };
        self.site.group(i).id
    }

    /// A user other than the PAT owner when there is one (generated users only).
    fn user(&self, n: u64) -> String {
        let u = self.site.base_count(ListKind::Users);
        let i = if u > 1 {
            1 + ((self.hv >> n) % (u as u64 - 1)) as usize
        } else {
            0
        };
        self.site.user(i).id
    }

    /// Add capabilities for a grantee (merged with an earlier grant to the same one).
    fn grant(&mut self, grantee: GranteeKind, id: String, caps: Vec<(&'static str, Mode)>) {
        if let Some(g) = self
            .out
            .iter_mut()
            .find(|g| g.grantee == grantee && g.grantee_id == id)
        {
            for (c, m) in caps {
                if !g.capabilities.iter().any(|(x, _)| *x == c) {
                    g.capabilities.push((c, m));
                }
            }
        } else if !caps.is_empty() {
            self.out.push(Grant {
                grantee,
                grantee_id: id,
                capabilities: caps,
            });
        }
    }
}

/// Read plus a hash-chosen few more of `caps`, all Allow.
fn allows(caps: &[&'static str], hv: u64) -> Vec<(&'static str, Mode)> {
    let mut v = vec![(caps[0], Mode::Allow)];
    v.extend(
        caps.iter()
            .enumerate()
            .skip(1)
            .filter(|(i, _)| (hv >> (i * 3)) & 1 == 1)
            .map(|(_, c)| (*c, Mode::Allow)),
    );
    v
}

/// One capability other than Read, denied.
fn deny(caps: &[&'static str], hv: u64) -> Vec<(&'static str, Mode)> {
    let i = if caps.len() > 1 {
        1 + (hv % (caps.len() as u64 - 1)) as usize
    } else {
        0
    };
    vec![(caps[i], Mode::Deny)]
}

/// Rules by shape: 0 none, 1 a group, 2 a group and a user denied one capability,
/// 3 "All Users", a group with Allow and Deny, and a user.
fn shaped(site: &Site, hv: u64, shape: usize, caps: &[&'static str]) -> Vec<Grant> {
    let mut p = Picker {
        site,
        hv,
        out: Vec::new(),
    };
    match shape {
        1 => p.grant(GranteeKind::Group, p.group(3), allows(caps, hv >> 7)),
        2 => {
            p.grant(GranteeKind::Group, p.group(5), allows(caps, hv >> 9));
            p.grant(GranteeKind::User, p.user(11), deny(caps, hv >> 13));
        }
        3 => {
            p.grant(GranteeKind::Group, site.group(0).id, vec![(caps[0], Mode::Allow)]);
            let mut mixed = allows(caps, hv >> 17);
            let d = deny(caps, hv >> 19);
            mixed.retain(|(c, _)| *c != d[0].0);
            mixed.extend(d);
            p.grant(GranteeKind::Group, p.group(23), mixed);
            p.grant(GranteeKind::User, p.user(29), allows(caps, hv >> 31));
        }
        _ => {}
    }
    p.out
}

/// Explicit rules of the `index`-th resource of its list (views: workbook index × 256 +
/// sheet). Items published at runtime have none.
pub(crate) fn explicit(site: &Site, res: Resource, index: usize) -> Vec<Grant> {
    let hv = h(site.seed, K_PERM, index as u64, res as u64);
    // Offsets so that the first item of each list differs (the sample site has one flow).
    let offset = match res {
        Resource::Datasource => 1,
        Resource::Flow => 2,
        Resource::VirtualConnection => 3,
        _ => 0,
    };
    shaped(site, hv, (index + offset) % 4, res.capabilities())
}

/// Default rules of project `index` for content type `t`: workbooks, data sources and
/// flows always grant "All Users" something; the other types are sometimes empty.
pub(crate) fn defaults(site: &Site, index: usize, t: &str) -> Vec<Grant> {
    let ti = DEFAULT_PERMISSION_TYPES.iter().position(|x| *x == t).unwrap_or(0);
    let hv = h(site.seed, K_PERM, index as u64, 0x100 + ti as u64);
    let caps = default_caps(t);
    let shape = (index + ti) % 3;
    if ti >= 3 {
        return shaped(site, hv, [0, 1, 2][shape], caps);
    }
    let mut grants = vec![Grant {
        grantee: GranteeKind::Group,
        grantee_id: site.group(0).id,
        capabilities: caps.iter().take(3).map(|c| (*c, Mode::Allow)).collect(),
    }];
    for g in shaped(site, hv, [0, 2, 1][shape], caps) {
        if !grants
            .iter()
            .any(|x| x.grantee == g.grantee && x.grantee_id == g.grantee_id)
        {
            grants.push(g);
        }
    }
    grants
}

/// What a permissions response is about: its element (name, owner) and rules.
pub(crate) struct Target {
    pub id: String,
    pub name: String,
    pub owner_id: String,
    pub grants: Vec<Grant>,
}

impl Site {
    /// Whether a project's content may carry its own rules (`ManagedByOwner`).
    pub fn project_unlocked(&self, project_id: &str) -> bool {
        self.project_by_id(project_id)
            .is_none_or(|p| p.content_permissions == "ManagedByOwner")
    }

    /// The explicit rules of a resource; `None` for an unknown id. Views have rules only
    /// in unlocked projects; items published at runtime have none.
    pub(crate) fn explicit_rules(&self, res: Resource, id: &str) -> Option<Target> {
        let mut t = self.computed_rules(res, id)?;
        if let Some(g) = self.overlay(|o| o.grants.get(&(res, id.to_string())).cloned()) {
            t.grants = g;
        }
        Some(t)
    }

    /// The rules derived from the seed (before any write).
    fn computed_rules(&self, res: Resource, id: &str) -> Option<Target> {
        let target = |name: String, owner_id: String, grants: Vec<Grant>| Target {
            id: id.to_string(),
            name,
            owner_id,
            grants,
        };
        match res {
            Resource::Project => {
                let p = self.project_by_id(id)?;
                let grants = self
                    .index_of(ListKind::Projects, id)
                    .map(|i| explicit(self, res, i))
                    .unwrap_or_default();
                Some(target(p.name, p.owner_id, grants))
            }
            Resource::Workbook | Resource::Datasource | Resource::Flow => {
                let k = match res {
                    Resource::Workbook => ContentKind::Workbook,
                    Resource::Datasource => ContentKind::Datasource,
                    _ => ContentKind::Flow,
                };
                let c = self.content_by_id(k, id)?;
                let grants = self
                    .content_index(k, id)
                    .map(|i| explicit(self, res, i))
                    .unwrap_or_default();
                Some(target(c.name, c.owner_id, grants))
            }
            Resource::VirtualConnection => {
                let i = self.index_of(ListKind::VirtualConnections, id)?;
                // (virtual connections are never added at runtime)
                let v = self.vconn(i);
                Some(target(v.name, v.owner_id, explicit(self, res, i)))
            }
            Resource::View => {
                let (wb, item, sheet) = self.view_by_id(id)?;
                let own =
                    wb < self.base_count(ListKind::Workbooks) && self.project_unlocked(&item.project_id);
                let grants = if own {
                    explicit(self, res, wb * 256 + sheet)
                } else {
                    Vec::new()
                };
                Some(target(item.views[sheet].name.clone(), item.owner_id, grants))
            }
        }
    }

    /// A project's default rules for content type `t`; `None` for an unknown project.
    pub(crate) fn default_rules(&self, project_id: &str, t: &str) -> Option<Target> {
        let p = self.project_by_id(project_id)?;
        let written = self.overlay(|o| {
            o.default_grants
                .get(&(project_id.to_string(), t.to_string()))
                .cloned()
        });
        let grants = written.unwrap_or_else(|| {
            self.index_of(ListKind::Projects, project_id)
                .map(|i| defaults(self, i, t))
                .unwrap_or_default()
        });
        Some(Target {
            id: p.id,
            name: p.name,
            owner_id: p.owner_id,
            grants,
        })
    }
}
