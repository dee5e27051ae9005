//! The catalog's permission rules: every explicit rule and every project default, one
//! capability per entry.

use serde::Serialize;

use super::model::{ContentKind, ListKind};
use super::perms::{explicit, Grant, GranteeKind, Mode, Resource, DEFAULT_PERMISSION_TYPES};
use super::Site;

/// One explicit rule: a capability allowed or denied to a user or group on a resource.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PermissionRule {
    pub resource: Resource,
    pub resource_id: String,
    pub grantee: GranteeKind,
    pub grantee_id: String,
    pub capability: String,
    pub mode: Mode,
}

/// One default rule of a project for a content type (`workbooks`, `dataroles`, ...).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DefaultPermissionRule {
    pub project_id: String,
    pub content_type: String,
    pub grantee: GranteeKind,
    pub grantee_id: String,
    pub capability: String,
    pub mode: Mode,
}

fn flatten<T>(grants: Vec<Grant>, mut make: impl FnMut(&Grant, &str, Mode) -> T) -> impl Iterator<Item = T> {
    grants.into_iter().flat_map(move |g| {
        g.capabilities
            .iter()
            .map(|(c, m)| make(&g, c, *m))
            .collect::<Vec<_>>()
    })
}

impl Site {
    /// Every explicit rule of the site (what the permissions endpoints return).
    pub(crate) fn permission_rules(&self) -> Vec<PermissionRule> {
        let mut out = Vec::new();
        let mut add = |res: Resource, id: &str, grants: Vec<Grant>| {
            out.extend(flatten(grants, |g, c, m| PermissionRule {
                resource: res,
                resource_id: id.to_string(),
                grantee: g.grantee,
                grantee_id: g.grantee_id.clone(),
                capability: c.to_string(),
                mode: m,
            }))
        };
        for i in 0..self.base_count(ListKind::Projects) {
            let p = self.project(i);
            if !self.is_removed(&p.id) {
                add(Resource::Project, &p.id, explicit(self, Resource::Project, i));
            }
        }
        for (k, res) in [
            (ContentKind::Workbook, Resource::Workbook),
            (ContentKind::Datasource, Resource::Datasource),
            (ContentKind::Flow, Resource::Flow),
        ] {
            for i in 0..self.base_count(k.list()) {
                let c = self.content(k, i);
                if self.is_removed(&c.id) {
                    continue;
                }
                add(res, &c.id, explicit(self, res, i));
                if k == ContentKind::Workbook && self.project_unlocked(&c.project_id) {
                    for (s, v) in c.views.iter().enumerate() {
                        if !self.is_removed(&v.id) {
                            add(Resource::View, &v.id, explicit(self, Resource::View, i * 256 + s));
                        }
                    }
                }
            }
        }
        for i in 0..self.base_count(ListKind::VirtualConnections) {
            let v = self.vconn(i);
            if !self.is_removed(&v.id) {
                add(
                    Resource::VirtualConnection,
                    &v.id,
                    explicit(self, Resource::VirtualConnection, i),
                );
            }
        }
        // Rule sets a write touched replace the derived ones (published items included).
        let written = self.overlay(|o| o.grants.clone());
        out.retain(|r| !written.contains_key(&(r.resource, r.resource_id.clone())));
        let mut keys: Vec<_> = written.keys().cloned().collect();
        keys.sort();
        for key in keys {
            if self.is_removed(&key.1) || self.explicit_rules(key.0, &key.1).is_none() {
                continue;
            }
            out.extend(flatten(written[&key].clone(), |g, c, m| PermissionRule {
                resource: key.0,
                resource_id: key.1.clone(),
                grantee: g.grantee,
                grantee_id: g.grantee_id.clone(),
                capability: c.to_string(),
                mode: m,
            }));
        }
        out
    }

    /// Every default rule of every project, for the types the site serves.
    pub(crate) fn default_permission_rules(&self) -> Vec<DefaultPermissionRule> {
        let mut out = Vec::new();
        for i in 0..self.count(ListKind::Projects) {
            let p = self.project(i);
            for t in DEFAULT_PERMISSION_TYPES {
                if self.extras.unserved.iter().any(|u| u.eq_ignore_ascii_case(t)) {
                    continue;
                }
                let Some(target) = self.default_rules(&p.id, t) else {
                    continue;
                };
                out.extend(flatten(target.grants, |g, c, m| DefaultPermissionRule {
                    project_id: p.id.clone(),
                    content_type: t.to_string(),
                    grantee: g.grantee,
                    grantee_id: g.grantee_id.clone(),
                    capability: c.to_string(),
                    mode: m,
                }));
            }
        }
        out
    }
}
