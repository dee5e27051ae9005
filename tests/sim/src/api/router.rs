//! URL -> route and a normalised endpoint name for the request log.

use hyper::Method;

use crate::site::model::{ContentKind, ListKind};
use crate::site::perms::{default_type, Resource};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    ServerInfo,
    SignIn,
    SignOut,
    CurrentSession,
    /// `GET sites` (Cloud: only the signed-in site).
    Sites,
    /// `GET sites/{id}`.
    Site(String),
    /// Under `sites/{site}/`.
    Scoped(String, Scoped),
    NotFound,
    MethodNotAllowed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Scoped {
    List(ListKind),
    Get(ListKind, String),
    Content(ContentKind, String),
    Publish(ContentKind),
    GroupUsers(String),
    Favorites(String),
    Tasks,
    CreateProject,
    UploadInit,
    UploadAppend(String),
    Job(String),
    CustomViewContent(String),
    Permissions(Resource, String),
    /// Project id and the canonical content type.
    DefaultPermissions(String, &'static str),
    Views,
    WorkbookViews(String),
    View(String),
    Revisions(ContentKind, String),
    /// Item id and revision number (as sent).
    RevisionContent(ContentKind, String, String),
    Connections(ContentKind, String),
    DataAlerts,
    DataAlert(String),
    Webhooks,
    Webhook(String),
    FlowTasks,
    /// Content type and content id.
    QualityWarnings(String, String),
    /// A restore-side write (see `write_router.rs`).
    Write(super::write_router::Write),
}

fn is(seg: &str, word: &str) -> bool {
    seg.eq_ignore_ascii_case(word)
}

fn version_ok(v: &str) -> bool {
    let mut it = v.split('.');
    matches!((it.next(), it.next(), it.next()), (Some(a), Some(b), None)
        if !a.is_empty() && !b.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit()))
}

/// The list named by a URL segment, with its canonical spelling.
fn list_segment(seg: &str) -> Option<(ListKind, &'static str)> {
    [
        (ListKind::Workbooks, "workbooks"),
        (ListKind::Datasources, "datasources"),
        (ListKind::Flows, "flows"),
        (ListKind::Users, "users"),
        (ListKind::Groups, "groups"),
        (ListKind::Projects, "projects"),
        (ListKind::Subscriptions, "subscriptions"),
        (ListKind::CustomViews, "customviews"),
        (ListKind::VirtualConnections, "virtualConnections"),
    ]
    .into_iter()
    .find(|(_, name)| is(seg, name))
}

/// Route a request; the second value is the endpoint name for the log.
pub(crate) fn route(method: &Method, path: &str) -> (Route, String) {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let m = method.as_str();
    let unknown = (Route::NotFound, format!("{m} <unknown>"));
    if segs.len() < 3 || !is(segs[0], "api") {
        return unknown;
    }
    let exp = is(segs[1], "exp");
    if !exp && !version_ok(segs[1]) {
        return unknown;
    }
    let rest = &segs[2..];
    let get = method == Method::GET;
    let post = method == Method::POST;
    let (route, name): (Route, String) = match rest {
        [s] if is(s, "serverinfo") => (
            if get {
                Route::ServerInfo
            } else {
                Route::MethodNotAllowed
            },
            "serverinfo".into(),
        ),
        [a, s] if is(a, "auth") && is(s, "signin") => (
            if post {
                Route::SignIn
            } else {
                Route::MethodNotAllowed
            },
            "auth/signin".into(),
        ),
        [a, s] if is(a, "auth") && is(s, "signout") => (
            if post {
                Route::SignOut
            } else {
                Route::MethodNotAllowed
            },
            "auth/signout".into(),
        ),
        [a, s] if is(a, "sessions") && is(s, "current") && get => {
            (Route::CurrentSession, "sessions/current".into())
        }
        [s] if is(s, "sites") && get => (Route::Sites, "sites".into()),
        [s, id] if is(s, "sites") && get => (Route::Site(id.to_string()), "sites/{id}".into()),
        [s, site, tail @ ..] if is(s, "sites") && !tail.is_empty() => match scoped(method, tail) {
            Some((r, n)) => (Route::Scoped(site.to_string(), r), n),
            None => return unknown,
        },
        _ => return unknown,
    };
    // `/api/exp/` only serves custom views.
    if exp && !name.starts_with("customviews") {
        return unknown;
    }
    (route, format!("{m} {name}"))
}

fn scoped(method: &Method, tail: &[&str]) -> Option<(Scoped, String)> {
    let get = method == Method::GET;
    let post = method == Method::POST;
    let put = method == Method::PUT;
    let content_kind = |s: &str| ContentKind::ALL.into_iter().find(|k| is(s, k.plural()));
    let revisable = |s: &str| content_kind(s).filter(|k| *k != ContentKind::Flow);
    let resource = |s: &str| Resource::ALL.into_iter().find(|r| is(s, r.plural()));
    let id = |s: &&str| s.to_string();
    if get {
        if let Some(r) = extra_get(tail, content_kind, revisable, resource) {
            return Some(r);
        }
    } else if let Some((w, name)) = super::write_router::route(method, tail) {
        return Some((Scoped::Write(w), name));
    }
    Some(match tail {
        [t, e] if is(t, "tasks") && is(e, "extractRefreshes") && get => {
            (Scoped::Tasks, "tasks/extractRefreshes".into())
        }
        [f] if is(f, "fileUploads") && post => (Scoped::UploadInit, "fileUploads".into()),
        [f, id] if is(f, "fileUploads") && put => {
            (Scoped::UploadAppend(id.to_string()), "fileUploads/{id}".into())
        }
        [j, id] if is(j, "jobs") && get => (Scoped::Job(id.to_string()), "jobs/{id}".into()),
        [f, id] if is(f, "favorites") && get => (Scoped::Favorites(id.to_string()), "favorites/{id}".into()),
        [g, id, u] if is(g, "groups") && is(u, "users") && get => {
            (Scoped::GroupUsers(id.to_string()), "groups/{id}/users".into())
        }
        [c, i, x] if is(c, "customviews") && is(x, "content") && get => (
            Scoped::CustomViewContent(id(i)),
            "customviews/{id}/content".into(),
        ),
        [k, id, x] if is(x, "content") && get => {
            let k = content_kind(k)?;
            (
                Scoped::Content(k, id.to_string()),
                format!("{}/{{id}}/content", k.plural()),
            )
        }
        [k] if post => {
            if is(k, "projects") {
                (Scoped::CreateProject, "projects".into())
            } else {
                let k = content_kind(k)?;
                (Scoped::Publish(k), k.plural().to_string())
            }
        }
        [k] if get => {
            let (l, name) = list_segment(k)?;
            (Scoped::List(l), name.to_string())
        }
        [k, id] if get => {
            let (l, name) = list_segment(k)?;
            if matches!(l, ListKind::Groups | ListKind::Projects) {
                return None;
            }
            (Scoped::Get(l, id.to_string()), format!("{name}/{{id}}"))
        }
        _ => return None,
    })
}

/// The read-only endpoints of permissions, views, revisions, connections, alerts,
/// webhooks, flow tasks and data quality warnings.
fn extra_get(
    tail: &[&str],
    content_kind: impl Fn(&str) -> Option<ContentKind>,
    revisable: impl Fn(&str) -> Option<ContentKind>,
    resource: impl Fn(&str) -> Option<Resource>,
) -> Option<(Scoped, String)> {
    let id = |s: &&str| s.to_string();
    Some(match tail {
        [v] if is(v, "views") => (Scoped::Views, "views".into()),
        [v, i] if is(v, "views") => (Scoped::View(id(i)), "views/{id}".into()),
        [w, i, v] if is(w, "workbooks") && is(v, "views") => {
            (Scoped::WorkbookViews(id(i)), "workbooks/{id}/views".into())
        }
        [k, i, p] if is(p, "permissions") => {
            let r = resource(k)?;
            (
                Scoped::Permissions(r, id(i)),
                format!("{}/{{id}}/permissions", r.plural()),
            )
        }
        [p, i, d, t] if is(p, "projects") && is(d, "default-permissions") => {
            let t = default_type(t)?;
            (
                Scoped::DefaultPermissions(id(i), t),
                format!("projects/{{id}}/default-permissions/{t}"),
            )
        }
        [k, i, r] if is(r, "revisions") => {
            let k = revisable(k)?;
            (
                Scoped::Revisions(k, id(i)),
                format!("{}/{{id}}/revisions", k.plural()),
            )
        }
        [k, i, r, n, c] if is(r, "revisions") && is(c, "content") => {
            let k = revisable(k)?;
            (
                Scoped::RevisionContent(k, id(i), id(n)),
                format!("{}/{{id}}/revisions/{{n}}/content", k.plural()),
            )
        }
        [k, i, c] if is(c, "connections") => {
            let k = content_kind(k)?;
            (
                Scoped::Connections(k, id(i)),
                format!("{}/{{id}}/connections", k.plural()),
            )
        }
        [a] if is(a, "dataAlerts") => (Scoped::DataAlerts, "dataAlerts".into()),
        [a, i] if is(a, "dataAlerts") => (Scoped::DataAlert(id(i)), "dataAlerts/{id}".into()),
        [w] if is(w, "webhooks") => (Scoped::Webhooks, "webhooks".into()),
        [w, i] if is(w, "webhooks") => (Scoped::Webhook(id(i)), "webhooks/{id}".into()),
        [t, f] if is(t, "tasks") && is(f, "runFlow") => (Scoped::FlowTasks, "tasks/runFlow".into()),
        [d, t, i] if is(d, "dataQualityWarnings") => (
            Scoped::QualityWarnings(id(t), id(i)),
            "dataQualityWarnings/{type}/{id}".into(),
        ),
        _ => return None,
    })
}

/// Whether a request counts as a write for the log: not GET/HEAD, not sign-in/out.
pub(crate) fn is_write(method: &Method, endpoint: &str) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
        && !endpoint.ends_with(" auth/signin")
        && !endpoint.ends_with(" auth/signout")
}

/// The path segment standing where the endpoint name has its first `{id}`.
pub(crate) fn path_id(path: &str, endpoint: &str) -> Option<String> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let tail = segs
        .iter()
        .position(|s| is(s, "sites"))
        .map(|p| &segs[(p + 2).min(segs.len())..])?;
    let name = endpoint.split_once(' ')?.1;
    name.split('/')
        .zip(tail)
        .find(|(t, _)| *t == "{id}")
        .map(|(_, s)| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(m: Method, p: &str) -> (Route, String) {
        route(&m, p)
    }

    #[test]
    fn routes() {
        assert_eq!(r(Method::GET, "/api/2.4/serverInfo").0, Route::ServerInfo);
        assert_eq!(r(Method::GET, "/api/3.24/serverinfo").1, "GET serverinfo");
        assert_eq!(r(Method::POST, "/api/3.24/auth/signin").0, Route::SignIn);
        let (route, name) = r(Method::GET, "/api/3.24/sites/S/workbooks/W/content");
        assert_eq!(
            route,
            Route::Scoped("S".into(), Scoped::Content(ContentKind::Workbook, "W".into()))
        );
        assert_eq!(name, "GET workbooks/{id}/content");
        assert_eq!(
            r(Method::GET, "/api/3.24/sites/S/virtualconnections").1,
            "GET virtualConnections"
        );
        assert_eq!(
            r(Method::GET, "/api/exp/sites/S/customviews/C/content").1,
            "GET customviews/{id}/content"
        );
        assert_eq!(r(Method::GET, "/api/exp/sites/S/workbooks").0, Route::NotFound);
        assert_eq!(r(Method::GET, "/api/x/serverinfo").0, Route::NotFound);
        assert_eq!(r(Method::GET, "/api/3.24/sites/S/nope").1, "GET <unknown>");
        assert_eq!(
            r(Method::PUT, "/api/3.24/sites/S/fileUploads/U").1,
            "PUT fileUploads/{id}"
        );
        assert_eq!(r(Method::GET, "/api/3.24/sites/S").0, Route::Site("S".into()));
        let name = |p: &str| r(Method::GET, &format!("/api/3.24/sites/S/{p}")).1;
        assert_eq!(name("views/V/permissions"), "GET views/{id}/permissions");
        assert_eq!(
            name("virtualconnections/V/permissions"),
            "GET virtualConnections/{id}/permissions"
        );
        assert_eq!(
            name("projects/P/default-permissions/virtualconnections"),
            "GET projects/{id}/default-permissions/virtualConnections"
        );
        assert_eq!(name("projects/P/default-permissions/nope"), "GET <unknown>");
        assert_eq!(
            name("datasources/D/revisions/3/content"),
            "GET datasources/{id}/revisions/{n}/content"
        );
        assert_eq!(name("flows/F/revisions"), "GET <unknown>");
        assert_eq!(name("flows/F/connections"), "GET flows/{id}/connections");
        assert_eq!(name("workbooks/W/views"), "GET workbooks/{id}/views");
        assert_eq!(name("tasks/runFlow"), "GET tasks/runFlow");
        assert_eq!(
            name("dataQualityWarnings/datasource/D"),
            "GET dataQualityWarnings/{type}/{id}"
        );
        assert_eq!(name("dataAlerts/A"), "GET dataAlerts/{id}");
    }
}
