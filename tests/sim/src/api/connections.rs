//! `GET {workbooks|datasources|flows}/{id}/connections` (not paginated), shaped like
//! `datasource_populate_connections.xml` and `workbook_populate_connections.xml`.

use hyper::StatusCode;

use super::format::{Fmt, Node};
use super::lists::not_found;
use super::render::b;
use super::{ok, Resp, State};
use crate::site::connections::{connections, Connection};
use crate::site::model::ContentKind;

fn node(c: &Connection) -> Node {
    let n = Node::new("connection")
        .attr("id", &c.id)
        .attr("type", &c.kind)
        .attr("embedPassword", b(c.embed_password))
        .attr("serverAddress", &c.server_address)
        .attr("serverPort", &c.server_port)
        .attr("userName", &c.user_name)
        .attr_opt("authenticationType", c.oauth.then_some("oauth"));
    match &c.datasource {
        Some((id, name)) => n.child(Node::new("datasource").attr("id", id).attr("name", name)),
        None => n,
    }
}

pub(crate) fn list(state: &State, kind: ContentKind, id: &str, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(item) = site.content_by_id(kind, id) else {
        return not_found(fmt, kind.singular(), id);
    };
    let conns = connections(site, &item, site.content_index(kind, id));
    ok(
        fmt,
        StatusCode::OK,
        &[Node::new("connections").children(conns.iter().map(node))],
    )
}
