//! Routes of the restore-side writes (PUT, POST, DELETE other than publish, create project
//! and uploads), with their normalised log names, and their dispatch.

use hyper::{Method, Request};

use super::auth::SessionInfo;
use super::format::Fmt;
use super::multipart::ReqBody;
use super::{cvpublish, grants, principals, schedules, updates, Resp, State};
use crate::site::model::ContentKind;
use crate::site::perms::{default_type, GranteeKind, Resource};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Write {
    UpdateContent(ContentKind, String),
    /// Workbooks, data sources, flows and views.
    AddTags(Resource, String),
    DeleteTag(Resource, String, String),
    AddPermissions(Resource, String),
    DeletePermission(Resource, String, Rule),
    /// Project id and canonical content type.
    AddDefaultPermissions(String, &'static str),
    DeleteDefaultPermission(String, &'static str, Rule),
    UpdateProject(String),
    DeleteProject(String),
    AddUser,
    UpdateUser(String),
    CreateGroup,
    AddGroupUser(String),
    AddFavorite(String),
    CreateSubscription,
    CreateTask,
    PublishCustomView,
}

/// The rule a `DELETE .../permissions/{users|groups}/{id}/{capability}/{mode}` names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rule {
    pub grantee: GranteeKind,
    pub grantee_id: String,
    pub capability: String,
    pub mode: String,
}

fn is(seg: &str, word: &str) -> bool {
    seg.eq_ignore_ascii_case(word)
}

fn rule(g: &str, id: &str, cap: &str, mode: &str) -> Option<(Rule, &'static str)> {
    let (grantee, seg) = if is(g, "users") {
        (GranteeKind::User, "users")
    } else if is(g, "groups") {
        (GranteeKind::Group, "groups")
    } else {
        return None;
    };
    Some((
        Rule {
            grantee,
            grantee_id: id.to_string(),
            capability: cap.to_string(),
            mode: mode.to_string(),
        },
        seg,
    ))
}

/// A write route under `sites/{site}/` and its log name (without the method).
pub(crate) fn route(method: &Method, tail: &[&str]) -> Option<(Write, String)> {
    let put = method == Method::PUT;
    let post = method == Method::POST;
    let delete = method == Method::DELETE;
    let content_kind = |s: &str| ContentKind::ALL.into_iter().find(|k| is(s, k.plural()));
    let resource = |s: &str| Resource::ALL.into_iter().find(|r| is(s, r.plural()));
    let taggable =
        |s: &str| resource(s).filter(|r| !matches!(r, Resource::Project | Resource::VirtualConnection));
    let id = |s: &&str| s.to_string();
    Some(match tail {
        [u] if post && is(u, "users") => (Write::AddUser, "users".into()),
        [g] if post && is(g, "groups") => (Write::CreateGroup, "groups".into()),
        [s] if post && is(s, "subscriptions") => (Write::CreateSubscription, "subscriptions".into()),
        [c] if post && is(c, "customviews") => (Write::PublishCustomView, "customviews".into()),
        [t, e] if post && is(t, "tasks") && is(e, "extractRefreshes") => {
            (Write::CreateTask, "tasks/extractRefreshes".into())
        }
        [u, i] if put && is(u, "users") => (Write::UpdateUser(id(i)), "users/{id}".into()),
        [f, i] if put && is(f, "favorites") => (Write::AddFavorite(id(i)), "favorites/{id}".into()),
        [g, i, u] if post && is(g, "groups") && is(u, "users") => {
            (Write::AddGroupUser(id(i)), "groups/{id}/users".into())
        }
        [p, i] if put && is(p, "projects") => (Write::UpdateProject(id(i)), "projects/{id}".into()),
        [p, i] if delete && is(p, "projects") => (Write::DeleteProject(id(i)), "projects/{id}".into()),
        [k, i] if put => {
            let k = content_kind(k)?;
            (Write::UpdateContent(k, id(i)), format!("{}/{{id}}", k.plural()))
        }
        [k, i, t] if put && is(t, "tags") => {
            let r = taggable(k)?;
            (Write::AddTags(r, id(i)), format!("{}/{{id}}/tags", r.plural()))
        }
        [k, i, t, l] if delete && is(t, "tags") => {
            let r = taggable(k)?;
            (
                Write::DeleteTag(r, id(i), percent_decode(l)),
                format!("{}/{{id}}/tags/{{label}}", r.plural()),
            )
        }
        [k, i, p] if put && is(p, "permissions") => {
            let r = resource(k)?;
            (
                Write::AddPermissions(r, id(i)),
                format!("{}/{{id}}/permissions", r.plural()),
            )
        }
        [k, i, p, g, gid, cap, mode] if delete && is(p, "permissions") => {
            let r = resource(k)?;
            let (rule, seg) = rule(g, gid, cap, mode)?;
            (
                Write::DeletePermission(r, id(i), rule),
                format!(
                    "{}/{{id}}/permissions/{seg}/{{granteeId}}/{{capability}}/{{mode}}",
                    r.plural()
                ),
            )
        }
        [p, i, d, t] if put && is(p, "projects") && is(d, "default-permissions") => {
            let t = default_type(t)?;
            (
                Write::AddDefaultPermissions(id(i), t),
                format!("projects/{{id}}/default-permissions/{t}"),
            )
        }
        [p, i, d, t, g, gid, cap, mode] if delete && is(p, "projects") && is(d, "default-permissions") => {
            let t = default_type(t)?;
            let (rule, seg) = rule(g, gid, cap, mode)?;
            (
                Write::DeleteDefaultPermission(id(i), t, rule),
                format!(
                    "projects/{{id}}/default-permissions/{t}/{seg}/{{granteeId}}/{{capability}}/{{mode}}"
                ),
            )
        }
        _ => return None,
    })
}

/// `%20` and friends in a path segment (tag labels).
fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// The `major.minor` of `/api/{v}/` (`/api/exp/` counts as the newest).
pub(crate) fn api_version(path: &str) -> (u32, u32) {
    let v = path.split('/').filter(|s| !s.is_empty()).nth(1).unwrap_or("");
    let mut it = v.split('.');
    match (
        it.next().and_then(|a| a.parse().ok()),
        it.next().and_then(|b| b.parse().ok()),
    ) {
        (Some(a), Some(b)) => (a, b),
        _ => (u32::MAX, 0),
    }
}

pub(crate) async fn dispatch(
    state: &State,
    w: Write,
    req: Request<ReqBody>,
    fmt: Fmt,
    session: &SessionInfo,
) -> Resp {
    let path = req.uri().path().to_string();
    match w {
        Write::UpdateContent(k, id) => updates::update_content(state, k, &id, req, fmt).await,
        Write::AddTags(r, id) => updates::add_tags(state, r, &id, req, fmt).await,
        Write::DeleteTag(r, id, label) => updates::delete_tag(state, r, &id, &label, fmt),
        Write::UpdateProject(id) => updates::update_project(state, &id, req, fmt).await,
        Write::DeleteProject(id) => updates::delete_project(state, &id, fmt),
        Write::AddPermissions(r, id) => grants::add(state, r, &id, req, fmt).await,
        Write::DeletePermission(r, id, rule) => grants::delete(state, r, &id, &rule, fmt),
        Write::AddDefaultPermissions(p, t) => grants::add_default(state, &p, t, req, fmt, &path).await,
        Write::DeleteDefaultPermission(p, t, rule) => grants::delete_default(state, &p, t, &rule, fmt, &path),
        Write::AddUser => principals::add_user(state, req, fmt).await,
        Write::UpdateUser(id) => principals::update_user(state, &id, req, fmt).await,
        Write::CreateGroup => principals::create_group(state, req, fmt).await,
        Write::AddGroupUser(id) => principals::add_group_user(state, &id, req, fmt).await,
        Write::AddFavorite(id) => principals::add_favorite(state, &id, req, fmt).await,
        Write::CreateSubscription => schedules::create_subscription(state, req, fmt).await,
        Write::CreateTask => schedules::create_task(state, req, fmt, api_version(&path)).await,
        Write::PublishCustomView => cvpublish::publish(state, req, fmt, session, api_version(&path)).await,
    }
}
