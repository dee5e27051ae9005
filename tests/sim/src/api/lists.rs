//! List endpoints (paginated like Tableau, or not where Tableau is not) and get-by-id.

use hyper::StatusCode;

use super::format::{Fmt, Node};
use super::{error, ok, query, render, Resp, State};
use crate::site::model::ListKind;

/// 404 for a missing resource. Codes other than 404005/404006/404048 are approximations.
pub(crate) fn not_found(fmt: Fmt, what: &str, id: &str) -> Resp {
    let code = match what {
        "workbook" => "404006",
        "datasource" => "404011",
        "flow" => "404059",
        "user" => "404002",
        "group" => "404012",
        "project" => "404005",
        "subscription" => "404025",
        "customView" => "404048",
        "virtualConnection" => "404093",
        "uploadSession" => "404026",
        "job" => "404031",
        _ => "404000",
    };
    error(
        fmt,
        404,
        code,
        "Resource Not Found",
        &format!("The {what} '{id}' could not be found."),
    )
}

/// A paginated list: `pagination` + `<wrapper>` holding the page's elements.
fn paged(
    state: &State,
    q: Option<&str>,
    fmt: Fmt,
    wrapper: &'static str,
    total: usize,
    node: impl Fn(usize) -> Node,
) -> Resp {
    let page = match query::page(q) {
        Ok(p) => p,
        Err((code, detail)) => return page_error(fmt, code, &detail),
    };
    let conds = match query::filters(q) {
        Ok(c) => c,
        Err(d) => return error(fmt, 400, "400000", "Bad Request", &d),
    };
    let (items, real): (Vec<Node>, usize) = if conds.is_empty() && query::param(q, "sort").is_none() {
        match query::slice(page, total) {
            Ok(r) => (r.map(&node).collect(), total),
            Err((code, detail)) => return page_error(fmt, code, &detail),
        }
    } else {
        // Filtering and sorting look at every element; only used when asked for.
        let mut all: Vec<Node> = (0..total)
            .map(&node)
            .filter(|n| query::matches(n, &conds))
            .collect();
        query::sort(&mut all, q);
        let len = all.len();
        match query::slice(page, len) {
            Ok(r) => (all.drain(r).collect(), len),
            Err((code, detail)) => return page_error(fmt, code, &detail),
        }
    };
    let advertised = real as u64 + state.faults.inflate();
    ok(
        fmt,
        StatusCode::OK,
        &[
            render::pagination(page.number, page.size, advertised),
            Node::new(wrapper).children(items),
        ],
    )
}

fn page_error(fmt: Fmt, code: &str, detail: &str) -> Resp {
    let summary = if code == "400006" {
        "Invalid page number"
    } else {
        "Invalid page size"
    };
    error(fmt, 400, code, summary, detail)
}

pub(crate) fn list(state: &State, kind: ListKind, q: Option<&str>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let total = site.count(kind);
    if let Some(k) = kind.content() {
        return paged(state, q, fmt, k.plural(), total, |i| {
            render::content(site, &site.content(k, i), false)
        });
    }
    match kind {
        ListKind::Users => paged(state, q, fmt, "users", total, |i| {
            render::user("user", &site.user(i))
        }),
        ListKind::Groups => paged(state, q, fmt, "groups", total, |i| {
            render::group(&site.group(i), site.members(i).len())
        }),
        ListKind::Projects => paged(state, q, fmt, "projects", total, |i| {
            render::project(site, &site.project(i))
        }),
        ListKind::Subscriptions => paged(state, q, fmt, "subscriptions", total, |i| {
            render::subscription(&site.subscription(i))
        }),
        ListKind::CustomViews => paged(state, q, fmt, "customViews", total, |i| {
            render::custom_view(&site.custom_view(i))
        }),
        ListKind::VirtualConnections => paged(state, q, fmt, "virtualConnections", total, |i| {
            render::vconn(site, &site.vconn(i))
        }),
        _ => tasks(state, fmt),
    }
}

pub(crate) fn get(state: &State, kind: ListKind, id: &str, fmt: Fmt) -> Resp {
    let site = &state.site;
    let node = if let Some(k) = kind.content() {
        site.content_by_id(k, id)
            .map(|c| render::content(site, &c, true))
            .ok_or(k.singular())
    } else {
        match kind {
            ListKind::Users => site
                .user_by_id(id)
                .map(|u| render::user("user", &u))
                .ok_or("user"),
            ListKind::Subscriptions => site
                .index_of(kind, id)
                .map(|i| render::subscription(&site.subscription(i)))
                .ok_or("subscription"),
            ListKind::CustomViews => site
                .custom_view_by_id(id)
                .map(|c| render::custom_view(&c))
                .ok_or("customView"),
            ListKind::VirtualConnections => site
                .vconn_by_id(id)
                .map(|v| render::vconn_detail(site, &v))
                .ok_or("virtualConnection"),
            _ => Err("resource"),
        }
    };
    match node {
        Ok(n) => ok(fmt, StatusCode::OK, &[n]),
        Err(what) => not_found(fmt, what, id),
    }
}

pub(crate) fn group_users(state: &State, id: &str, q: Option<&str>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(g) = site.group_index(id) else {
        return not_found(fmt, "group", id);
    };
    let members = site.members(g);
    paged(state, q, fmt, "users", members.len(), |t| {
        render::user("user", &site.user(members.get(t)))
    })
}

/// Favorites of one user: not paginated (like the captured sample).
pub(crate) fn favorites(state: &State, user_id: &str, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(u) = site.user_index(user_id) else {
        return not_found(fmt, "user", user_id);
    };
    let favs = site.favorites(u).into_iter().map(|f| render::favorite(site, f));
    ok(fmt, StatusCode::OK, &[Node::new("favorites").children(favs)])
}

/// Extract refresh tasks: every task in one response, no pagination.
pub(crate) fn tasks(state: &State, fmt: Fmt) -> Resp {
    let site = &state.site;
    let n = site.count(ListKind::Tasks);
    ok(
        fmt,
        StatusCode::OK,
        &[Node::new("tasks").children((0..n).map(|i| render::task(&site.task(i))))],
    )
}

/// `GET sites`: Tableau Cloud lists only the signed-in site.
pub(crate) fn sites(state: &State, q: Option<&str>, fmt: Fmt) -> Resp {
    paged(state, q, fmt, "sites", 1, |_| render::site(&state.site))
}
