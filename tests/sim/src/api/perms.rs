//! Permissions: `GET {projects|workbooks|datasources|flows|virtualConnections|views}/{id}/permissions`
//! and `GET projects/{id}/default-permissions/{type}`, shaped like the
//! `*_populate_permissions.xml` samples (not paginated).

use hyper::StatusCode;

use super::format::{Fmt, Node};
use super::lists::not_found;
use super::{error, not_found_uri, ok, Resp, State};
use crate::site::perms::{Grant, Resource, Target};

fn grantee_capabilities(g: &Grant) -> Node {
    Node::new("granteeCapabilities")
        .child(Node::new(g.grantee.name()).attr("id", &g.grantee_id))
        .child(
            Node::new("capabilities").children(
                g.capabilities
                    .iter()
                    .map(|(c, m)| Node::new("capability").attr("name", c).attr("mode", m.name())),
            ),
        )
}

/// `<permissions><{element} id name><owner/></{element}><granteeCapabilities/>...`
pub(crate) fn permissions(element: &'static str, t: &Target) -> Node {
    Node::new("permissions")
        .child(
            Node::new(element)
                .attr("id", &t.id)
                .attr("name", &t.name)
                .child(Node::new("owner").attr("id", &t.owner_id)),
        )
        .children(t.grants.iter().map(grantee_capabilities))
}

pub(crate) fn explicit(state: &State, res: Resource, id: &str, fmt: Fmt) -> Resp {
    match state.site.explicit_rules(res, id) {
        Some(t) => ok(fmt, StatusCode::OK, &[permissions(res.singular(), &t)]),
        None if res == Resource::View => error(
            fmt,
            404,
            "404011",
            "Resource Not Found",
            &format!("The view '{id}' could not be found."),
        ),
        None => not_found(fmt, res.singular(), id),
    }
}

/// A type the site does not serve answers like an unknown URI (404003).
pub(crate) fn defaults(state: &State, project_id: &str, t: &str, fmt: Fmt, path: &str) -> Resp {
    if state
        .site
        .extras
        .unserved
        .iter()
        .any(|u| u.eq_ignore_ascii_case(t))
    {
        return not_found_uri(fmt, path);
    }
    match state.site.default_rules(project_id, t) {
        Some(target) => ok(fmt, StatusCode::OK, &[permissions("project", &target)]),
        None => not_found(fmt, "project", project_id),
    }
}
