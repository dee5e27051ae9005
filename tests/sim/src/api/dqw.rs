//! `GET dataQualityWarnings/{contentType}/{contentId}` (not paginated), shaped like
//! `dqw_by_content_type.xml`; data sources and flows carry warnings.

use hyper::StatusCode;

use super::format::{Fmt, Node};
use super::lists::not_found;
use super::render::b;
use super::{ok, Resp, State};
use crate::site::dqw::{warning_on, QualityWarning};
use crate::site::model::ContentKind;

fn node(state: &State, w: &QualityWarning) -> Node {
    Node::new("dataQualityWarning")
        .attr("id", &w.id)
        .attr("userDisplayName", &w.user_display_name)
        .attr("contentId", &w.content_id)
        .attr("contentType", w.content_type)
        .attr("message", &w.message)
        .attr("type", w.kind)
        .attr("isActive", b(w.is_active))
        .attr("createdAt", &w.created_at)
        .attr("updatedAt", &w.updated_at)
        .attr("isSevere", b(w.is_severe))
        .child(Node::new("site").attr("id", &state.site.info().id))
        .child(Node::new("owner").attr("id", &w.owner_id))
}

pub(crate) fn list(state: &State, content_type: &str, id: &str, fmt: Fmt) -> Resp {
    let site = &state.site;
    let kind = match content_type.to_ascii_lowercase().as_str() {
        "datasource" => ContentKind::Datasource,
        "flow" => ContentKind::Flow,
        _ => return not_found(fmt, content_type, id),
    };
    if site.content_by_id(kind, id).is_none() {
        return not_found(fmt, kind.singular(), id);
    }
    let warnings = site
        .content_index(kind, id)
        .and_then(|i| warning_on(site, kind, i));
    ok(
        fmt,
        StatusCode::OK,
        &[Node::new("dataQualityWarningList").children(warnings.iter().map(|w| node(state, w)))],
    )
}
