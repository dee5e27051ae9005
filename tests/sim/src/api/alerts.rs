//! Data-driven alerts: `GET dataAlerts` (paginated) and `GET dataAlerts/{id}` (with the
//! recipients), shaped like `data_alerts_get.xml` and `data_alerts_get_by_id.xml`.

use hyper::StatusCode;

use super::format::{Fmt, Node};
use super::paged::{paged, List};
use super::render::b;
use super::{error, ok, Resp, State};
use crate::site::alerts::{alert_index, data_alert, DataAlert};

fn node(a: &DataAlert, detail: bool) -> Node {
    let n = Node::new("dataAlert")
        .attr("id", &a.id)
        .attr("subject", &a.subject)
        .attr("creatorId", &a.creator_id)
        .attr("createdAt", &a.created_at)
        .attr("updatedAt", &a.updated_at)
        .attr("frequency", a.frequency)
        .attr("public", b(a.public))
        .child(
            Node::new("owner")
                .attr("id", &a.owner_id)
                .attr("name", &a.owner_name),
        )
        .child(
            Node::new("view")
                .attr("id", &a.view_id)
                .attr("name", &a.view_name)
                .child(
                    Node::new("workbook")
                        .attr("id", &a.workbook_id)
                        .attr("name", &a.workbook_name),
                )
                .child(
                    Node::new("project")
                        .attr("id", &a.project_id)
                        .attr("name", &a.project_name),
                ),
        );
    if !detail {
        return n;
    }
    n.child(
        Node::new("recipients").children(a.recipients.iter().map(|r| Node::new("recipient").attr("id", r))),
    )
}

pub(crate) fn list(state: &State, endpoint: &str, q: Option<&str>, fmt: Fmt) -> Resp {
    let site = &state.site;
    let list = List::new(endpoint, "dataAlerts", site.extras.data_alerts).drifting("dataAlerts");
    paged(state, q, fmt, list, |i| node(&data_alert(site, i), false))
}

/// One alert: Tableau answers it as a one-element list, recipients included.
pub(crate) fn get(state: &State, id: &str, fmt: Fmt) -> Resp {
    let site = &state.site;
    let Some(i) = alert_index(site, id) else {
        return error(
            fmt,
            404,
            "409023",
            "Resource Not Found",
            &format!("The data-driven alert ID '{id}' specified in the URI is invalid."),
        );
    };
    ok(
        fmt,
        StatusCode::OK,
        &[
            super::render::pagination(1, 100, 1),
            Node::new("dataAlerts").child(node(&data_alert(site, i), true)),
        ],
    )
}
