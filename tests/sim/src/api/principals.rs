//! People and their favorites: `POST users`, `PUT users/{id}`, `POST groups`,
//! `POST groups/{id}/users`, `PUT favorites/{userId}`. Added users and groups are listed
//! after the base ones; "All Users" holds every added user.

use hyper::{Request, StatusCode};

use super::body::{self, id_of, s};
use super::format::{Fmt, Node};
use super::lists::not_found;
use super::multipart::ReqBody;
use super::updates::{bad, conflict, element};
use super::{error, ok, render, Resp, State};
use crate::site::generator::{K_GROUP, K_USER};
use crate::site::model::{ContentKind, FavRef, Group, ListKind, User};

/// Site roles a user (or a group's minimum) can be given on Tableau Cloud.
const SITE_ROLES: [&str; 9] = [
    "Creator",
    "Explorer",
    "ExplorerCanPublish",
    "SiteAdministratorCreator",
    "SiteAdministratorExplorer",
    "Unlicensed",
    "Viewer",
    "ReadOnly",
    "SiteAdministrator",
];

const AUTH_SETTINGS: [&str; 5] = ["ServerDefault", "SAML", "OpenID", "TableauIDWithMFA", "TableauID"];

fn one_of(list: &[&'static str], v: &str) -> Option<&'static str> {
    list.iter().find(|x| x.eq_ignore_ascii_case(v)).copied()
}

#[allow(clippy::result_large_err)] // the error is the finished response, returned as is
fn role(fmt: Fmt, v: &str) -> Result<&'static str, Resp> {
    one_of(&SITE_ROLES, v).ok_or_else(|| bad(fmt, &format!("Invalid site role '{v}'.")))
}

#[allow(clippy::result_large_err)] // the error is the finished response, returned as is
fn auth(fmt: Fmt, v: &str) -> Result<&'static str, Resp> {
    one_of(&AUTH_SETTINGS, v).ok_or_else(|| bad(fmt, &format!("Invalid authSetting '{v}'.")))
}

/// `{"user":{"name","siteRole","authSetting"?}}` -> 201 with the new user; 409000 when a
/// user of that name exists (case-insensitive), 400000 for a bad site role or auth setting.
pub(crate) async fn add_user(state: &State, req: Request<ReqBody>, fmt: Fmt) -> Resp {
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let e = match element(&v, "user", fmt) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let Some(name) = s(e, "name").filter(|n| !n.trim().is_empty()) else {
        return bad(fmt, "The user name is missing.");
    };
    let site_role = match role(fmt, &s(e, "siteRole").unwrap_or_default()) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let auth_setting = match s(e, "authSetting") {
        Some(a) => match auth(fmt, &a) {
            Ok(a) => a,
            Err(r) => return r,
        },
        None => "ServerDefault",
    };
    let site = &state.site;
    let _lock = site.publish_lock.lock().await;
    let taken = (0..site.count(ListKind::Users))
        .map(|i| site.user(i))
        .any(|u| u.name.eq_ignore_ascii_case(&name) && !site.is_removed(&u.id));
    if taken {
        return conflict(
            fmt,
            "409000",
            &format!("The user '{name}' is already a member of the site."),
        );
    }
    let u = User {
        id: site.new_id(K_USER),
        email: if name.contains('@') {
            name.clone()
        } else {
            String::new()
        },
        full_name: s(e, "fullName").unwrap_or_default(),
        name,
        site_role,
        auth_setting,
        last_login: None,
        external_auth_user_id: String::new(),
        language: "en",
        locale: "",
        domain: "TABID_WITH_MFA",
    };
    site.overlay_mut(|o| o.users.push(u.clone()));
    ok(fmt, StatusCode::CREATED, &[render::user("user", &u)])
}

/// `{"user":{"siteRole"?,"authSetting"?,"fullName"?,"email"?,"name"?}}` -> 200 with the user.
pub(crate) async fn update_user(state: &State, id: &str, req: Request<ReqBody>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(i) = site.user_index(id) else {
        return not_found(fmt, "user", id);
    };
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let e = match element(&v, "user", fmt) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let mut u = site.user(i);
    if let Some(r) = s(e, "siteRole") {
        match role(fmt, &r) {
            Ok(r) => u.site_role = r,
            Err(r) => return r,
        }
    }
    if let Some(a) = s(e, "authSetting") {
        match auth(fmt, &a) {
            Ok(a) => u.auth_setting = a,
            Err(r) => return r,
        }
    }
    if let Some(n) = s(e, "fullName") {
        u.full_name = n;
    }
    if let Some(m) = s(e, "email") {
        u.email = m;
    }
    if let Some(n) = s(e, "name").filter(|n| !n.trim().is_empty()) {
        u.name = n;
    }
    let base = site.base_count(ListKind::Users);
    site.overlay_mut(|o| {
        if i < base {
            o.user_overrides.insert(u.id.clone(), u.clone());
        } else {
            o.users[i - base] = u.clone();
        }
    });
    ok(fmt, StatusCode::OK, &[render::user("user", &u)])
}

/// `{"group":{"name","minimumSiteRole"?}}` -> 201; 409009 on a name clash (case-insensitive).
pub(crate) async fn create_group(state: &State, req: Request<ReqBody>, fmt: Fmt) -> Resp {
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let e = match element(&v, "group", fmt) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let Some(name) = s(e, "name").filter(|n| !n.trim().is_empty()) else {
        return bad(fmt, "The group name is missing.");
    };
    let min_role = match s(e, "minimumSiteRole") {
        Some(r) => match role(fmt, &r) {
            Ok(r) => Some(r),
            Err(r) => return r,
        },
        None => None,
    };
    let site = &state.site;
    let _lock = site.publish_lock.lock().await;
    let taken = (0..site.count(ListKind::Groups))
        .map(|i| site.group(i))
        .any(|g| g.name.eq_ignore_ascii_case(&name) && !site.is_removed(&g.id));
    if taken {
        return conflict(fmt, "409009", &format!("A group named '{name}' already exists."));
    }
    let g = Group {
        id: site.new_id(K_GROUP),
        name,
        domain: "local",
        minimum_site_role: min_role,
    };
    site.overlay_mut(|o| o.groups.push(g.clone()));
    // Like group_create.xml: the grant-license settings echoed next to the group.
    let node = render::group(&g, 0)
        .attr_opt("siteRole", min_role)
        .attr_opt("grantLicenseMode", min_role.map(|_| "onLogin"));
    ok(fmt, StatusCode::CREATED, &[node])
}

/// `{"user":{"id"}}` -> 200 with the user; 409011 if already a member.
pub(crate) async fn add_group_user(state: &State, group_id: &str, req: Request<ReqBody>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(g) = site.group_index(group_id) else {
        return not_found(fmt, "group", group_id);
    };
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let Some(uid) = id_of(&v, "user") else {
        return bad(fmt, "The request has no user id.");
    };
    let Some(u) = site.user_index(&uid) else {
        return not_found(fmt, "user", &uid);
    };
    let _lock = site.publish_lock.lock().await;
    let m = site.members(g);
    if (0..m.len()).any(|t| m.get(t) == u) {
        return conflict(
            fmt,
            "409011",
            &format!("The user '{uid}' is already a member of the group."),
        );
    }
    site.overlay_mut(|o| o.members.entry(g).or_default().push(u));
    ok(fmt, StatusCode::OK, &[render::user("user", &site.user(u))])
}

/// `{"favorite":{"label","workbook"|"view"|"datasource"|"flow"|"project":{"id"}}}` -> 200 with
/// the user's favorites. Adding one already there changes nothing.
pub(crate) async fn add_favorite(state: &State, user_id: &str, req: Request<ReqBody>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(u) = site.user_index(user_id) else {
        return not_found(fmt, "user", user_id);
    };
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let e = match element(&v, "favorite", fmt) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let target = if let Some(id) = id_of(e, "view") {
        match site.view_by_id(&id) {
            Some((wb, _, sheet)) => (FavRef::View(wb, sheet), site.view_ref(wb, sheet).name),
            None => {
                return error(
                    fmt,
                    404,
                    "404011",
                    "Resource Not Found",
                    &format!("The view '{id}' could not be found."),
                )
            }
        }
    } else if let Some(id) = id_of(e, "project") {
        match site.project_index(&id) {
            Some(p) => (FavRef::Project(p), site.project(p).name),
            None => return not_found(fmt, "project", &id),
        }
    } else {
        let Some((k, id)) = ContentKind::ALL
            .into_iter()
            .find_map(|k| id_of(e, k.singular()).map(|id| (k, id)))
        else {
            return bad(
                fmt,
                "The favorite names no workbook, view, data source, flow or project.",
            );
        };
        match site.content_list_index(k, &id) {
            Some(i) => (FavRef::Content(k, i), site.content(k, i).name),
            None => return not_found(fmt, k.singular(), &id),
        }
    };
    let (fav, name) = target;
    let label = s(e, "label").filter(|l| !l.is_empty()).unwrap_or(name);
    if !site.favorites(u).iter().any(|(_, f)| *f == fav) {
        site.overlay_mut(|o| o.favorites.entry(u).or_default().push((label, fav)));
    }
    let favs = site
        .favorites(u)
        .into_iter()
        .map(|(l, f)| render::favorite(site, f, l));
    ok(fmt, StatusCode::OK, &[Node::new("favorites").children(favs)])
}
