//! Webhooks (`GET webhooks`, `GET webhooks/{id}`, `webhook_get.xml`) and flow run tasks
//! (`GET tasks/runFlow`): neither is paginated.

use hyper::StatusCode;

use super::format::{Fmt, Node};
use super::lists::not_found;
use super::render::{b, schedule};
use super::{ok, Resp, State};
use crate::site::flow_tasks::{flow_task, FlowTask};
use crate::site::webhooks::{event_element, webhook, Webhook};

fn webhook_node(w: &Webhook) -> Node {
    Node::new("webhook")
        .attr("id", &w.id)
        .attr("name", &w.name)
        .attr("isEnabled", b(w.is_enabled))
        .attr("createdAt", &w.created_at)
        .attr("updatedAt", &w.updated_at)
        .child(Node::new("webhook-source").child(Node::new(event_element(w.event))))
        .child(
            Node::new("webhook-destination").child(
                Node::new("webhook-destination-http")
                    .attr("method", "POST")
                    .attr("url", &w.url),
            ),
        )
        .child(
            Node::new("owner")
                .attr("id", &w.owner_id)
                .attr("name", &w.owner_name),
        )
}

pub(crate) fn webhooks(state: &State, fmt: Fmt) -> Resp {
    let site = &state.site;
    let all = (0..site.extras.webhooks).map(|i| webhook_node(&webhook(site, i)));
    ok(fmt, StatusCode::OK, &[Node::new("webhooks").children(all)])
}

pub(crate) fn get_webhook(state: &State, id: &str, fmt: Fmt) -> Resp {
    let site = &state.site;
    match (0..site.extras.webhooks)
        .map(|i| webhook(site, i))
        .find(|w| w.id == id)
    {
        Some(w) => ok(fmt, StatusCode::OK, &[webhook_node(&w)]),
        None => not_found(fmt, "webhook", id),
    }
}

fn flow_task_node(t: &FlowTask) -> Node {
    Node::new("task").child(
        Node::new("flowRun")
            .attr("id", &t.id)
            .attr("priority", t.priority)
            .attr("consecutiveFailedCount", t.consecutive_failed)
            .attr("type", "RunFlowTask")
            .child(schedule(&t.schedule))
            .child(
                Node::new("flow")
                    .attr("id", &t.flow_id)
                    .attr("name", &t.flow_name),
            )
            .child(
                Node::new("flowRunSpec")
                    .attr("flowId", &t.flow_id)
                    .child(
                        Node::new("flowOutputSteps").child(
                            Node::new("flowOutputStep")
                                .attr("id", &t.output_step_id)
                                .attr("name", "Output"),
                        ),
                    )
                    .child(Node::new("flowParameterSpecs")),
            ),
    )
}

pub(crate) fn flow_tasks(state: &State, fmt: Fmt) -> Resp {
    let site = &state.site;
    let all = (0..site.extras.flow_tasks).map(|i| flow_task_node(&flow_task(site, i)));
    ok(fmt, StatusCode::OK, &[Node::new("tasks").children(all)])
}
