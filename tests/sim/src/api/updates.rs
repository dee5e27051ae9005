//! Updates of existing items: `PUT {workbooks|datasources|flows}/{id}` (name, description,
//! showTabs, owner, project), tags (`PUT .../{id}/tags`, `DELETE .../{id}/tags/{label}`),
//! `PUT projects/{id}` and `DELETE projects/{id}`. Base and published items alike: a base
//! item's new state is kept as an override, so every later GET shows it.

use hyper::{Request, StatusCode};
use serde_json::Value;

use super::body::{self, id_of, list, s};
use super::format::Fmt;
use super::lists::not_found;
use super::multipart::ReqBody;
use super::{empty, error, ok, render, Resp, State};
use crate::site::model::{ContentKind, ListKind};
use crate::site::perms::Resource;
use crate::util::{iso, now_secs};

pub(crate) fn bad(fmt: Fmt, detail: &str) -> Resp {
    error(fmt, 400, "400000", "Bad Request", detail)
}

pub(crate) fn conflict(fmt: Fmt, code: &str, detail: &str) -> Resp {
    error(fmt, 409, code, "Resource Conflict", detail)
}

/// The object under `key` of a request body, or 400.
#[allow(clippy::result_large_err)] // the error is the finished response, returned as is
pub(crate) fn element<'a>(v: &'a Value, key: &str, fmt: Fmt) -> Result<&'a Value, Resp> {
    v.get(key)
        .filter(|x| x.is_object())
        .ok_or_else(|| bad(fmt, &format!("The request body has no '{key}' element.")))
}

pub(crate) async fn update_content(
    state: &State,
    kind: ContentKind,
    id: &str,
    req: Request<ReqBody>,
    fmt: Fmt,
) -> Resp {
    let site = &state.site;
    let Some(mut item) = site.content_by_id(kind, id) else {
        return not_found(fmt, kind.singular(), id);
    };
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let e = match element(&v, kind.singular(), fmt) {
        Ok(e) => e,
        Err(r) => return r,
    };
    if let Some(owner) = id_of(e, "owner") {
        if site.user_by_id(&owner).is_none() {
            return not_found(fmt, "user", &owner);
        }
        item.owner_id = owner;
    }
    if let Some(p) = id_of(e, "project") {
        if site.project_by_id(&p).is_none() {
            return not_found(fmt, "project", &p);
        }
        item.project_id = p;
    }
    if let Some(n) = s(e, "name") {
        if n.trim().is_empty() {
            return bad(fmt, "The name must not be empty.");
        }
        item.name = n;
    }
    if let Some(d) = s(e, "description") {
        item.description = d;
    }
    if kind == ContentKind::Workbook {
        if let Some(t) = body::flag(e, "showTabs") {
            item.show_tabs = t;
        }
    }
    let _lock = site.publish_lock.lock().await;
    let clash = site
        .content_in_project(kind, &item.project_id)
        .into_iter()
        .any(|c| c.id != item.id && c.name == item.name);
    if clash {
        return conflict(
            fmt,
            "409006",
            &format!(
                "A {} named '{}' already exists in the project.",
                kind.singular(),
                item.name
            ),
        );
    }
    item.updated_at = iso(now_secs());
    site.put_content(item.clone());
    ok(fmt, StatusCode::OK, &[render::content(site, &item, false)])
}

fn content_kind(r: Resource) -> Option<ContentKind> {
    match r {
        Resource::Workbook => Some(ContentKind::Workbook),
        Resource::Datasource => Some(ContentKind::Datasource),
        Resource::Flow => Some(ContentKind::Flow),
        _ => None,
    }
}

/// Change the tags of a workbook, data source, flow or view; `None`: unknown id.
fn edit_tags(state: &State, r: Resource, id: &str, f: impl FnOnce(&mut Vec<String>)) -> Option<Vec<String>> {
    let site = &state.site;
    match content_kind(r) {
        Some(k) => {
            let mut item = site.content_by_id(k, id)?;
            f(&mut item.tags);
            let tags = item.tags.clone();
            site.put_content(item);
            Some(tags)
        }
        None => {
            site.view_by_id(id)?;
            Some(site.overlay_mut(|o| {
                let t = o.view_tags.entry(id.to_string()).or_default();
                f(t);
                t.clone()
            }))
        }
    }
}

fn unknown(fmt: Fmt, r: Resource, id: &str) -> Resp {
    match r {
        Resource::View => error(
            fmt,
            404,
            "404011",
            "Resource Not Found",
            &format!("The view '{id}' could not be found."),
        ),
        _ => not_found(fmt, r.singular(), id),
    }
}

/// `{"tags":{"tag":[{"label":"x"}]}}`; answers with every tag the item now has.
pub(crate) async fn add_tags(state: &State, r: Resource, id: &str, req: Request<ReqBody>, fmt: Fmt) -> Resp {
    let exists = match content_kind(r) {
        Some(k) => state.site.content_by_id(k, id).is_some(),
        None => state.site.view_by_id(id).is_some(),
    };
    if !exists {
        return unknown(fmt, r, id);
    }
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let labels: Vec<String> = list(v.get("tags").and_then(|t| t.get("tag")))
        .into_iter()
        .filter_map(|t| s(t, "label"))
        .filter(|l| !l.is_empty())
        .collect();
    if labels.is_empty() {
        return bad(fmt, "The request has no tags.tag[].label.");
    }
    let tags = edit_tags(state, r, id, |t| {
        for l in labels {
            if !t.contains(&l) {
                t.push(l);
            }
        }
    });
    match tags {
        Some(t) => ok(fmt, StatusCode::OK, &[render::tags(&t)]),
        None => unknown(fmt, r, id),
    }
}

/// 204 whether or not the item had the tag.
pub(crate) fn delete_tag(state: &State, r: Resource, id: &str, label: &str, fmt: Fmt) -> Resp {
    match edit_tags(state, r, id, |t| t.retain(|x| x != label)) {
        Some(_) => empty(StatusCode::NO_CONTENT),
        None => unknown(fmt, r, id),
    }
}

const CONTENT_PERMISSIONS: [&str; 3] = [
    "ManagedByOwner",
    "LockedToProject",
    "LockedToProjectWithoutNested",
];

/// `{"project":{"name","description","parentProjectId","contentPermissions","owner":{"id"}}}`;
/// `parentProjectId: ""` moves it to the top level.
pub(crate) async fn update_project(state: &State, id: &str, req: Request<ReqBody>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(mut p) = site.project_by_id(id) else {
        return not_found(fmt, "project", id);
    };
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let e = match element(&v, "project", fmt) {
        Ok(e) => e,
        Err(r) => return r,
    };
    if let Some(n) = s(e, "name") {
        if n.trim().is_empty() {
            return bad(fmt, "The project name must not be empty.");
        }
        p.name = n;
    }
    if let Some(d) = s(e, "description") {
        p.description = d;
    }
    if let Some(c) = s(e, "contentPermissions") {
        match CONTENT_PERMISSIONS.into_iter().find(|x| *x == c) {
            Some(c) => p.content_permissions = c,
            None => return bad(fmt, &format!("Invalid contentPermissions '{c}'.")),
        }
    }
    if let Some(o) = id_of(e, "owner") {
        if site.user_by_id(&o).is_none() {
            return not_found(fmt, "user", &o);
        }
        p.owner_id = o;
    }
    if let Some(parent) = s(e, "parentProjectId") {
        if parent.is_empty() {
            p.parent_id = None;
        } else {
            // The new parent must exist and not be the project or one of its descendants.
            let mut cur = Some(parent.clone());
            while let Some(c) = cur {
                if c == p.id {
                    return bad(fmt, "A project cannot be moved under itself.");
                }
                let Some(pp) = site.project_by_id(&c) else {
                    return not_found(fmt, "project", &c);
                };
                cur = pp.parent_id;
            }
            p.parent_id = Some(parent);
        }
    }
    let _lock = site.publish_lock.lock().await;
    let clash = (0..site.count(ListKind::Projects))
        .map(|i| site.project(i))
        .any(|x| x.id != p.id && x.parent_id == p.parent_id && x.name == p.name && !site.is_removed(&x.id));
    if clash {
        return conflict(
            fmt,
            "409006",
            &format!("A project named '{}' already exists here.", p.name),
        );
    }
    p.updated_at = iso(now_secs());
    site.put_project(p.clone());
    ok(fmt, StatusCode::OK, &[render::project(site, &p)])
}

/// 204; the project's content and child projects go with it. The default project stays.
pub(crate) fn delete_project(state: &State, id: &str, fmt: Fmt) -> Resp {
    let site = &state.site;
    if site.project_by_id(id).is_none() {
        return not_found(fmt, "project", id);
    }
    if site.project(0).id == id {
        return error(
            fmt,
            403,
            "403000",
            "Forbidden",
            "The default project cannot be deleted.",
        );
    }
    site.remove_by_id(ListKind::Projects, id);
    empty(StatusCode::NO_CONTENT)
}
