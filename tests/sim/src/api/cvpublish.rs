//! `POST customviews` (under `/api/exp/` or `/api/{v}/`, 3.18+): a `multipart/mixed` body
//! with `request_payload` (`{"customView":{"name","shared"?,"workbook":{"id"},"owner":{"id"}?}}`,
//! JSON or XML) and `tableau_customview`, the definition (the JSON array `GET
//! customviews/{id}/content` returns), or `?uploadSessionId=`. The view is the workbook's
//! view named by the definition's `isSourceView` entry (else its first view); the
//! definition downloads again byte for byte.

use bytes::Bytes;
use hyper::{Request, StatusCode};

use super::auth::SessionInfo;
use super::body::{self, flag, id_of, s};
use super::format::Fmt;
use super::lists::not_found;
use super::multipart::ReqBody;
use super::updates::bad;
use super::{error, not_found_uri, ok, publish, query, render, Resp, State};
use crate::site::generator::K_CUSTOM_VIEW;
use crate::site::model::{ContentKind, CustomView};
use crate::util::{iso, now_secs};

/// The `viewName` of the definition's source view.
fn source_view(def: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(def).ok()?;
    v.as_array()?
        .iter()
        .find(|e| e["isSourceView"] == true)
        .and_then(|e| e["viewName"].as_str())
        .map(str::to_string)
}

pub(crate) async fn publish(
    state: &State,
    req: Request<ReqBody>,
    fmt: Fmt,
    session: &SessionInfo,
    version: (u32, u32),
) -> Resp {
    if version < (3, 18) {
        return not_found_uri(fmt, req.uri().path());
    }
    let q = req.uri().query().map(str::to_string);
    let parts = match publish::parts(state, req, fmt).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let payload = parts
        .iter()
        .find(|p| p.name == "request_payload")
        .and_then(|p| body::parse(&p.body, None).ok());
    let Some(cv) = payload.as_ref().and_then(|v| v.get("customView")) else {
        return bad(fmt, "The request_payload part is missing or has no customView.");
    };
    let Some(name) = s(cv, "name").filter(|n| !n.trim().is_empty()) else {
        return bad(fmt, "The custom view name is missing.");
    };
    let site = &state.site;
    let Some(wb_id) = id_of(cv, "workbook") else {
        return bad(fmt, "The custom view names no workbook.");
    };
    let Some(wb) = site.content_by_id(ContentKind::Workbook, &wb_id) else {
        return not_found(fmt, "workbook", &wb_id);
    };
    let owner_id = id_of(cv, "owner").unwrap_or_else(|| session.user_id.clone());
    let Some(owner) = site.user_by_id(&owner_id) else {
        return not_found(fmt, "user", &owner_id);
    };
    let def: Bytes = match query::param(q.as_deref(), "uploadSessionId") {
        Some(uid) => match site.with_store(|s| s.uploads.remove(&uid)) {
            Some(u) => match std::fs::read(&u.path) {
                Ok(b) => Bytes::from(b),
                Err(e) => return error(fmt, 500, "500000", "Internal Server Error", &e.to_string()),
            },
            None => return not_found(fmt, "uploadSession", &uid),
        },
        None => match parts.iter().find(|p| p.name == "tableau_customview") {
            Some(p) => p.body.clone(),
            None => {
                return bad_file(fmt, "no tableau_customview part and no uploadSessionId");
            }
        },
    };
    let wanted = source_view(&def);
    let Some(view) = wanted
        .as_ref()
        .and_then(|n| wb.views.iter().find(|v| &v.name == n))
        .or(wb.views.first())
        .cloned()
    else {
        return bad(fmt, "The workbook has no views.");
    };
    let now = iso(now_secs());
    let c = CustomView {
        id: site.new_id(K_CUSTOM_VIEW),
        name,
        created_at: now.clone(),
        updated_at: now.clone(),
        last_accessed_at: now,
        shared: flag(cv, "shared").unwrap_or(false),
        view,
        workbook_id: wb.id.clone(),
        workbook_name: wb.name.clone(),
        owner_id: owner.id,
        owner_name: owner.name,
    };
    site.overlay_mut(|o| {
        o.cv_definitions.insert(c.id.clone(), def);
        o.custom_views.push(c.clone());
    });
    ok(fmt, StatusCode::CREATED, &[render::custom_view(&c)])
}

fn bad_file(fmt: Fmt, why: &str) -> Resp {
    error(
        fmt,
        400,
        "400011",
        "Bad Request",
        &format!("There was a problem publishing the file: {why}."),
    )
}
