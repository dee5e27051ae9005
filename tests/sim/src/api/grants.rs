//! Permission writes: `PUT {resource}/{id}/permissions` and
//! `PUT projects/{id}/default-permissions/{type}` add rules (answering with the rules
//! added, like `workbook_update_permissions.xml`), `DELETE .../{users|groups}/{id}/{cap}/{mode}`
//! removes one (204). The first write to a resource copies its derived rules, so later GETs
//! and the catalog show derived and written rules together.

use hyper::{Request, StatusCode};
use serde_json::Value;

use super::body::{self, list, s};
use super::format::Fmt;
use super::lists::not_found;
use super::multipart::ReqBody;
use super::perms::permissions;
use super::write_router::Rule;
use super::{empty, error, not_found_uri, ok, Resp, State};
use crate::site::perms::{default_caps, valid_capability, Grant, GranteeKind, Mode, Resource, Target};

fn invalid(fmt: Fmt, detail: &str) -> Resp {
    error(fmt, 400, "400009", "Bad Request", detail)
}

fn unknown_resource(fmt: Fmt, r: Resource, id: &str) -> Resp {
    if r == Resource::View {
        return error(
            fmt,
            404,
            "404011",
            "Resource Not Found",
            &format!("The view '{id}' could not be found."),
        );
    }
    not_found(fmt, r.singular(), id)
}

fn mode(m: &str) -> Option<Mode> {
    match m {
        "Allow" => Some(Mode::Allow),
        "Deny" => Some(Mode::Deny),
        _ => None,
    }
}

/// The grants of a `{"permissions":{"granteeCapabilities":[..]}}` body, checked: grantees
/// must exist (404002 user, 404012 group), capabilities and modes be valid (400009).
#[allow(clippy::result_large_err)] // the error is the finished response, returned as is
fn parse_grants(
    state: &State,
    v: &Value,
    caps: &'static [&'static str],
    element: &str,
    fmt: Fmt,
) -> Result<Vec<Grant>, Resp> {
    let p = v.get("permissions").ok_or_else(|| {
        error(
            fmt,
            400,
            "400000",
            "Bad Request",
            "The request has no permissions element.",
        )
    })?;
    let mut out: Vec<Grant> = Vec::new();
    for gc in list(p.get("granteeCapabilities")) {
        let (grantee, gid) = if let Some(u) = body::id_of(gc, "user") {
            if state.site.user_by_id(&u).is_none() {
                return Err(not_found(fmt, "user", &u));
            }
            (GranteeKind::User, u)
        } else if let Some(g) = body::id_of(gc, "group") {
            if state.site.group_index(&g).is_none() {
                return Err(not_found(fmt, "group", &g));
            }
            (GranteeKind::Group, g)
        } else {
            return Err(invalid(
                fmt,
                "A granteeCapabilities element names no user or group id.",
            ));
        };
        let mut capabilities = Vec::new();
        for c in list(gc.get("capabilities").and_then(|c| c.get("capability"))) {
            let name = s(c, "name").unwrap_or_default();
            let Some(name) = valid_capability(caps, element, &name) else {
                return Err(invalid(
                    fmt,
                    &format!("Invalid capability '{name}' for a {element}."),
                ));
            };
            let m = s(c, "mode").unwrap_or_default();
            let Some(m) = mode(&m) else {
                return Err(invalid(
                    fmt,
                    &format!("Invalid capability mode '{m}' (Allow or Deny)."),
                ));
            };
            capabilities.push((name, m));
        }
        if capabilities.is_empty() {
            return Err(invalid(fmt, "A granteeCapabilities element has no capability."));
        }
        merge(&mut out, grantee, &gid, &capabilities);
    }
    if out.is_empty() {
        return Err(invalid(fmt, "The request has no granteeCapabilities."));
    }
    Ok(out)
}

/// Add capabilities to a grantee's grant (a capability already there takes the new mode).
fn merge(grants: &mut Vec<Grant>, grantee: GranteeKind, id: &str, caps: &[(&'static str, Mode)]) {
    let g = match grants
        .iter_mut()
        .position(|g| g.grantee == grantee && g.grantee_id == id)
    {
        Some(i) => &mut grants[i],
        None => {
            grants.push(Grant {
                grantee,
                grantee_id: id.to_string(),
                capabilities: Vec::new(),
            });
            grants.last_mut().unwrap()
        }
    };
    for (c, m) in caps {
        match g.capabilities.iter_mut().find(|(x, _)| x == c) {
            Some(slot) => slot.1 = *m,
            None => g.capabilities.push((c, *m)),
        }
    }
}

/// Remove one rule; `false` if it was not there.
fn unmerge(grants: &mut Vec<Grant>, rule: &Rule) -> bool {
    let Some(m) = mode(&rule.mode) else {
        return false;
    };
    let Some(g) = grants
        .iter_mut()
        .find(|g| g.grantee == rule.grantee && g.grantee_id == rule.grantee_id)
    else {
        return false;
    };
    let before = g.capabilities.len();
    g.capabilities
        .retain(|(c, x)| !(*c == rule.capability && *x == m));
    let removed = g.capabilities.len() != before;
    grants.retain(|g| !g.capabilities.is_empty());
    removed
}

fn answer(fmt: Fmt, element: &'static str, t: &Target, added: Vec<Grant>) -> Resp {
    let t = Target {
        id: t.id.clone(),
        name: t.name.clone(),
        owner_id: t.owner_id.clone(),
        grants: added,
    };
    ok(fmt, StatusCode::OK, &[permissions(element, &t)])
}

fn no_rule(fmt: Fmt, rule: &Rule) -> Resp {
    error(
        fmt,
        404,
        "404000",
        "Resource Not Found",
        &format!(
            "No rule {} {} for {} '{}'.",
            rule.capability,
            rule.mode,
            rule.grantee.name(),
            rule.grantee_id
        ),
    )
}

pub(crate) async fn add(state: &State, r: Resource, id: &str, req: Request<ReqBody>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(target) = site.explicit_rules(r, id) else {
        return unknown_resource(fmt, r, id);
    };
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let added = match parse_grants(state, &v, r.capabilities(), r.singular(), fmt) {
        Ok(g) => g,
        Err(resp) => return resp,
    };
    let mut grants = target.grants.clone();
    for g in &added {
        merge(&mut grants, g.grantee, &g.grantee_id, &g.capabilities);
    }
    site.overlay_mut(|o| o.grants.insert((r, id.to_string()), grants));
    answer(fmt, r.singular(), &target, added)
}

pub(crate) fn delete(state: &State, r: Resource, id: &str, rule: &Rule, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(target) = site.explicit_rules(r, id) else {
        return unknown_resource(fmt, r, id);
    };
    let mut grants = target.grants;
    if !unmerge(&mut grants, rule) {
        return no_rule(fmt, rule);
    }
    site.overlay_mut(|o| o.grants.insert((r, id.to_string()), grants));
    empty(StatusCode::NO_CONTENT)
}

fn unserved(state: &State, t: &str) -> bool {
    state
        .site
        .extras
        .unserved
        .iter()
        .any(|u| u.eq_ignore_ascii_case(t))
}

pub(crate) async fn add_default(
    state: &State,
    project_id: &str,
    t: &'static str,
    req: Request<ReqBody>,
    fmt: Fmt,
    path: &str,
) -> Resp {
    if unserved(state, t) {
        return not_found_uri(fmt, path);
    }
    let site = &state.site;
    let Some(target) = site.default_rules(project_id, t) else {
        return not_found(fmt, "project", project_id);
    };
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let added = match parse_grants(state, &v, default_caps(t), t, fmt) {
        Ok(g) => g,
        Err(resp) => return resp,
    };
    let mut grants = target.grants.clone();
    for g in &added {
        merge(&mut grants, g.grantee, &g.grantee_id, &g.capabilities);
    }
    site.overlay_mut(|o| {
        o.default_grants
            .insert((project_id.to_string(), t.to_string()), grants)
    });
    answer(fmt, "project", &target, added)
}

pub(crate) fn delete_default(
    state: &State,
    project_id: &str,
    t: &'static str,
    rule: &Rule,
    fmt: Fmt,
    path: &str,
) -> Resp {
    if unserved(state, t) {
        return not_found_uri(fmt, path);
    }
    let site = &state.site;
    let Some(target) = site.default_rules(project_id, t) else {
        return not_found(fmt, "project", project_id);
    };
    let mut grants = target.grants;
    if !unmerge(&mut grants, rule) {
        return no_rule(fmt, rule);
    }
    site.overlay_mut(|o| {
        o.default_grants
            .insert((project_id.to_string(), t.to_string()), grants)
    });
    empty(StatusCode::NO_CONTENT)
}
