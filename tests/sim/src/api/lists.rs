//! List endpoints (paginated like Tableau, or not where Tableau is not) and get-by-id.

use hyper::StatusCode;

use super::fields;
use super::format::{Fmt, Node};
use super::paged::{paged, List};
use super::{error, ok, render, Resp, State};
use crate::site::model::{ContentKind, ListKind};

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

/// A top-level list (`endpoint`: its log name, e.g. "GET workbooks").
pub(crate) fn list(state: &State, kind: ListKind, endpoint: &str, q: Option<&str>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let total = site.count(kind);
    if let Some(k) = kind.content() {
        let set = match k {
            ContentKind::Workbook => &fields::WORKBOOKS,
            ContentKind::Datasource => &fields::DATASOURCES,
            ContentKind::Flow => &fields::FLOWS,
        };
        let list = List::new(endpoint, k.plural(), total)
            .drifting(k.plural())
            .fields(set);
        return paged(state, q, fmt, list, |i| {
            render::content(site, &site.content(k, i), false)
        });
    }
    let list = |wrapper: &'static str| List::new(endpoint, wrapper, total).drifting(wrapper);
    match kind {
        ListKind::Users => paged(state, q, fmt, list("users").fields(&fields::USERS), |i| {
            render::user("user", &site.user(i))
        }),
        ListKind::Groups => paged(state, q, fmt, list("groups").fields(&fields::GROUPS), |i| {
            render::group(&site.group(i), site.members(i).len())
        }),
        ListKind::Projects => paged(state, q, fmt, list("projects").fields(&fields::PROJECTS), |i| {
            render::project(site, &site.project(i))
        }),
        ListKind::Subscriptions => paged(state, q, fmt, list("subscriptions"), |i| {
            render::subscription(&site.subscription(i))
        }),
        ListKind::CustomViews => paged(state, q, fmt, list("customViews"), |i| {
            render::custom_view(&site.custom_view(i))
        }),
        ListKind::VirtualConnections => paged(state, q, fmt, list("virtualConnections"), |i| {
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
                .find_index(kind, id)
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

pub(crate) fn group_users(state: &State, id: &str, endpoint: &str, q: Option<&str>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(g) = site.group_index(id) else {
        return not_found(fmt, "group", id);
    };
    let members = site.members(g);
    let list = List::new(endpoint, "users", members.len()).fields(&fields::GROUP_USERS);
    paged(state, q, fmt, list, |t| {
        render::user("user", &site.user(members.get(t)))
    })
}

/// Favorites of one user: not paginated (like the captured sample).
pub(crate) fn favorites(state: &State, user_id: &str, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(u) = site.user_index(user_id) else {
        return not_found(fmt, "user", user_id);
    };
    let favs = site
        .favorites(u)
        .into_iter()
        .map(|(label, f)| render::favorite(site, f, label));
    ok(fmt, StatusCode::OK, &[Node::new("favorites").children(favs)])
}

/// Extract refresh tasks: every task in one response, no pagination.
pub(crate) fn tasks(state: &State, fmt: Fmt) -> Resp {
    let site = &state.site;
    let n = site.count(ListKind::Tasks);
    let tasks = (0..n)
        .map(|i| site.task(i))
        .filter(|t| !site.is_removed(&t.id))
        .map(|t| render::task(&t));
    ok(fmt, StatusCode::OK, &[Node::new("tasks").children(tasks)])
}

/// `GET sites`: Tableau Cloud lists only the signed-in site.
pub(crate) fn sites(state: &State, q: Option<&str>, fmt: Fmt) -> Resp {
    let list = List::new("GET sites", "sites", 1);
    paged(state, q, fmt, list, |_| render::site(&state.site))
}
