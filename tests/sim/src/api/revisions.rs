//! Revisions of workbooks and data sources: the paginated list (`datasource_revision.xml`)
//! and `revisions/{n}/content`, a download logged apart from the current version's.

use std::sync::Arc;

use super::content::{include_extract, stream, File};
use super::format::{Fmt, Node};
use super::lists::not_found;
use super::paged::{paged, List};
use super::render::b;
use super::{error, Resp, State};
use crate::site::model::ContentKind;
use crate::site::revisions::{revision_source, revisions, Revision};

fn node(r: &Revision) -> Node {
    Node::new("revision")
        .attr("publishedAt", &r.published_at)
        .attr("revisionNumber", r.number)
        .attr("deleted", b(r.deleted))
        .attr("current", b(r.current))
        .attr_opt("sizeInBytes", (!r.deleted).then_some(r.size))
        .child(
            Node::new("publisher")
                .attr("id", &r.publisher_id)
                .attr("name", &r.publisher_name),
        )
}

pub(crate) fn list(
    state: &State,
    kind: ContentKind,
    id: &str,
    endpoint: &str,
    q: Option<&str>,
    fmt: Fmt,
) -> Resp {
    let site = &state.site;
    let Some(item) = site.content_by_id(kind, id) else {
        return not_found(fmt, kind.singular(), id);
    };
    let revs = revisions(site, &item, site.content_index(kind, id));
    paged(state, q, fmt, List::new(endpoint, "revisions", revs.len()), |i| {
        node(&revs[i])
    })
}

fn revision_not_found(fmt: Fmt, kind: ContentKind, number: &str) -> Resp {
    error(
        fmt,
        404,
        "404024",
        "Resource Not Found",
        &format!(
            "The revision number '{number}' doesn't correspond to an existing {} revision.",
            kind.singular()
        ),
    )
}

/// The bytes of one revision; a deleted or unknown revision is 404024.
pub(crate) fn content(
    state: &Arc<State>,
    kind: ContentKind,
    id: &str,
    number: &str,
    q: Option<&str>,
    fmt: Fmt,
) -> Resp {
    let site = &state.site;
    let Some(item) = site.content_by_id(kind, id) else {
        return not_found(fmt, kind.singular(), id);
    };
    if state.faults.is_missing(id) {
        return not_found(fmt, kind.singular(), id);
    }
    let Ok(n) = number.parse::<u32>() else {
        return revision_not_found(fmt, kind, number);
    };
    let keep = include_extract(kind, q);
    let Some(src) = revision_source(site, &item, site.content_index(kind, id), n, keep) else {
        return revision_not_found(fmt, kind, number);
    };
    let file = File {
        kind,
        id,
        drop_key: (format!("{id}/revisions/{n}"), keep),
        name: &item.name,
        ext: item.files.ext(keep),
    };
    stream(state, file, src, fmt)
}
