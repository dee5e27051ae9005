//! Views: `GET views` (paginated, `fields`), `GET workbooks/{id}/views` (not paginated),
//! `GET views/{id}`; elements shaped like `view_get.xml` / `view_get_all_fields.xml`.

use hyper::StatusCode;

use super::fields;
use super::format::{Fmt, Node};
use super::lists::not_found;
use super::paged::{paged, selection, List};
use super::render::{b, owner, project_ref, size_mb, tags};
use super::{error, ok, query, Resp, State};
use crate::site::model::{ContentItem, ContentKind};
use crate::site::Site;
use crate::util::h;

fn sheet_type(sheet: usize) -> &'static str {
    match sheet % 5 {
        0 => "dashboard",
        4 => "story",
        _ => "worksheet",
    }
}

/// Every field of view `sheet` of workbook `wb`.
fn node(site: &Site, wb: &ContentItem, sheet: usize) -> Node {
    let v = &wb.views[sheet];
    let url_name = v.content_url.rsplit('/').next().unwrap_or_default();
    let views = h(site.seed, 7, wb.web_num, sheet as u64) % 5000;
    Node::new("view")
        .attr("id", &v.id)
        .attr("name", &v.name)
        .attr("contentUrl", &v.content_url)
        .attr("createdAt", &wb.created_at)
        .attr("updatedAt", &wb.updated_at)
        .attr("sheetType", sheet_type(sheet))
        .attr("favoritesTotal", 0)
        .attr("viewUrlName", url_name)
        .child(
            Node::new("workbook")
                .attr("id", &wb.id)
                .attr("name", &wb.name)
                .attr("contentUrl", &wb.content_url)
                .attr("showTabs", b(wb.show_tabs))
                .attr("size", size_mb(wb.files.size))
                .attr("createdAt", &wb.created_at)
                .attr("updatedAt", &wb.updated_at)
                .attr("sheetCount", wb.views.len())
                .attr("hasExtracts", b(wb.has_extracts))
                .child(tags(&wb.tags)),
        )
        .child(owner(site, &wb.owner_id))
        .child(project_ref(site, &wb.project_id))
        .child(tags(&site.view_tags(&v.id)))
        .child(Node::new("usage").attr("totalViewCount", views))
        .child(
            Node::new("location")
                .attr("id", &wb.project_id)
                .attr("type", "Project"),
        )
}

/// `includeUsageStatistics=true` adds `usage` to any field set.
fn usage(q: Option<&str>) -> bool {
    query::param(q, "includeUsageStatistics").is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

pub(crate) fn site_views(state: &State, endpoint: &str, q: Option<&str>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let index = site.view_index();
    let mut list = List::new(endpoint, "views", index.len())
        .drifting("views")
        .fields(&fields::VIEWS);
    if usage(q) {
        list = list.also("usage");
    }
    paged(state, q, fmt, list, |i| {
        let (wb, sheet) = index[i];
        node(site, &site.content(ContentKind::Workbook, wb), sheet)
    })
}

pub(crate) fn workbook_views(state: &State, id: &str, endpoint: &str, q: Option<&str>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(wb) = site.content_by_id(ContentKind::Workbook, id) else {
        return not_found(fmt, "workbook", id);
    };
    let sel = match selection(state, q, fmt, endpoint, Some(&fields::VIEWS)) {
        Ok(s) if usage(q) => s.with_child("usage"),
        Ok(s) => s,
        Err(resp) => return *resp,
    };
    let views = (0..wb.views.len()).map(|s| sel.prune(node(site, &wb, s)));
    ok(fmt, StatusCode::OK, &[Node::new("views").children(views)])
}

pub(crate) fn view(state: &State, id: &str, fmt: Fmt) -> Resp {
    match state.site.view_by_id(id) {
        Some((_, wb, sheet)) => ok(fmt, StatusCode::OK, &[node(&state.site, &wb, sheet)]),
        None => error(
            fmt,
            404,
            "404011",
            "Resource Not Found",
            &format!("The view '{id}' could not be found."),
        ),
    }
}
