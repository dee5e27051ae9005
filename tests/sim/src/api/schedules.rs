//! Tableau Cloud writes with an inline schedule: `POST subscriptions` and
//! `POST tasks/extractRefreshes` (API 3.20+). The schedule checks are the ones observed on
//! Cloud (ENDPOINTS 3.9): times on 5-minute boundaries, Hourly and Daily need a weekDay
//! interval, Hourly an end, Weekly a weekDay, Monthly a monthDay; otherwise 409004.

use hyper::{Request, StatusCode};
use serde_json::Value;

use super::body::{self, flag, id_of, list, s};
use super::format::{Fmt, Node};
use super::lists::not_found;
use super::multipart::ReqBody;
use super::updates::{bad, element};
use super::{error, not_found_uri, ok, render, Resp, State};
use crate::site::generator::{K_SUBSCRIPTION, K_TASK};
use crate::site::model::{ContentKind, Schedule, Subscription, Task};
use crate::util::{iso, now_secs};

const FREQUENCIES: [&str; 4] = ["Hourly", "Daily", "Weekly", "Monthly"];
const INTERVAL_KEYS: [&str; 4] = ["hours", "minutes", "weekDay", "monthDay"];
const ORIENTATIONS: [&str; 2] = ["Portrait", "Landscape"];
const PAGE_SIZES: [&str; 14] = [
    "A3",
    "A4",
    "A5",
    "B4",
    "B5",
    "Executive",
    "Folio",
    "Ledger",
    "Legal",
    "Letter",
    "Note",
    "Quarto",
    "Tabloid",
    "Unspecified",
];
const TASK_TYPES: [&str; 3] = ["FullRefresh", "IncrementalRefresh", "RefreshExtractTask"];

fn pick(list: &[&'static str], v: &str) -> Option<&'static str> {
    list.iter().find(|x| x.eq_ignore_ascii_case(v)).copied()
}

fn invalid_schedule(fmt: Fmt, detail: &str) -> Resp {
    error(fmt, 409, "409004", "Invalid schedule", detail)
}

/// `HH:MM:SS` on a 5-minute boundary.
fn on_boundary(t: &str) -> bool {
    let p: Vec<u32> = t.split(':').filter_map(|x| x.parse().ok()).collect();
    matches!(p[..], [h, m, s] if h < 24 && m < 60 && m % 5 == 0 && s == 0)
}

/// A Cloud inline schedule from `{"frequency","frequencyDetails":{"start","end"?,"intervals":{"interval":[..]}}}`.
#[allow(clippy::result_large_err)] // the error is the finished response, returned as is
fn schedule(v: Option<&Value>, fmt: Fmt) -> Result<Schedule, Resp> {
    let Some(v) = v else {
        return Err(invalid_schedule(fmt, "The request has no schedule."));
    };
    let f = s(v, "frequency").unwrap_or_default();
    let Some(frequency) = pick(&FREQUENCIES, &f) else {
        return Err(invalid_schedule(fmt, &format!("Invalid frequency '{f}'.")));
    };
    let d = v.get("frequencyDetails").cloned().unwrap_or_default();
    let start = s(&d, "start").unwrap_or_default();
    if !on_boundary(&start) {
        return Err(invalid_schedule(
            fmt,
            &format!("The start time '{start}' is not HH:MM:SS on a 5-minute boundary."),
        ));
    }
    let end = s(&d, "end");
    if let Some(e) = &end {
        if !on_boundary(e) {
            return Err(invalid_schedule(
                fmt,
                &format!("The end time '{e}' is not HH:MM:SS on a 5-minute boundary."),
            ));
        }
    }
    let mut intervals = Vec::new();
    for i in list(d.get("intervals").and_then(|x| x.get("interval"))) {
        for key in INTERVAL_KEYS {
            if let Some(x) = s(i, key) {
                intervals.push((key, x));
            }
        }
    }
    let has = |k: &str| intervals.iter().any(|(x, _)| *x == k);
    let need = match frequency {
        "Hourly" if end.is_none() => Some("an Hourly schedule needs an end time"),
        "Hourly" | "Daily" | "Weekly" if !has("weekDay") => {
            Some("the schedule needs at least one weekDay interval")
        }
        "Monthly" if !has("monthDay") => Some("a Monthly schedule needs a monthDay interval"),
        _ => None,
    };
    if let Some(n) = need {
        return Err(invalid_schedule(fmt, &format!("Invalid schedule: {n}.")));
    }
    let today = iso(now_secs());
    Ok(Schedule {
        frequency,
        next_run_at: format!("{}T{start}Z", &today[..10]),
        start,
        end,
        intervals,
    })
}

/// `{"subscription":{"subject","message"?,"attachImage"?,"attachPdf"?,"pageOrientation"?,
/// "pageSizeOption"?,"content":{"id","type":"View"|"Workbook","sendIfViewEmpty"?},"user":{"id"}},
/// "schedule":{..}}` -> 201 with the subscription.
pub(crate) async fn create_subscription(state: &State, req: Request<ReqBody>, fmt: Fmt) -> Resp {
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let e = match element(&v, "subscription", fmt) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let site = &state.site;
    let Some(subject) = s(e, "subject").filter(|x| !x.is_empty()) else {
        return bad(fmt, "The subscription subject is missing.");
    };
    let content = e.get("content").cloned().unwrap_or_default();
    let cid = s(&content, "id").unwrap_or_default();
    let ctype = s(&content, "type").unwrap_or_default();
    let content_type = match pick(&["View", "Workbook"], &ctype) {
        Some("View") => {
            if site.view_by_id(&cid).is_none() {
                return error(
                    fmt,
                    404,
                    "404011",
                    "Resource Not Found",
                    &format!("The view '{cid}' could not be found."),
                );
            }
            "View"
        }
        Some(_) => {
            if site.content_by_id(ContentKind::Workbook, &cid).is_none() {
                return not_found(fmt, "workbook", &cid);
            }
            "Workbook"
        }
        None => {
            return bad(
                fmt,
                &format!("Invalid content type '{ctype}' (View or Workbook)."),
            )
        }
    };
    let Some(uid) = id_of(e, "user") else {
        return bad(fmt, "The subscription names no user.");
    };
    let Some(user) = site.user_by_id(&uid) else {
        return not_found(fmt, "user", &uid);
    };
    // Cloud: `schedule` next to `subscription`; accepted inside it too.
    let sched = match schedule(v.get("schedule").or_else(|| e.get("schedule")), fmt) {
        Ok(x) => x,
        Err(r) => return r,
    };
    // An invalid value: the error's detail.
    let opt = |k: &str, list: &[&'static str], default: &'static str| -> Result<&'static str, String> {
        match s(e, k) {
            Some(x) => pick(list, &x).ok_or_else(|| format!("Invalid {k} '{x}'.")),
            None => Ok(default),
        }
    };
    let (page_orientation, page_size_option) = match (
        opt("pageOrientation", &ORIENTATIONS, "Portrait"),
        opt("pageSizeOption", &PAGE_SIZES, "Letter"),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(d), _) | (_, Err(d)) => return bad(fmt, &d),
    };
    let sub = Subscription {
        id: site.new_id(K_SUBSCRIPTION),
        subject,
        message: s(e, "message").unwrap_or_default(),
        attach_image: flag(e, "attachImage").unwrap_or(true),
        attach_pdf: flag(e, "attachPdf").unwrap_or(false),
        suspended: flag(e, "suspended").unwrap_or(false),
        page_orientation,
        page_size_option,
        content_id: cid,
        content_type,
        send_if_view_empty: flag(&content, "sendIfViewEmpty").unwrap_or(true),
        schedule: sched,
        user_id: user.id,
        user_name: user.name,
    };
    site.overlay_mut(|o| o.subscriptions.push(sub.clone()));
    ok(fmt, StatusCode::CREATED, &[render::subscription(&sub)])
}

/// `{"extractRefresh":{"type"?,"workbook"|"datasource":{"id"}},"schedule":{..}}` -> 200 with
/// `extractRefresh` and `schedule` side by side (like tasks_create_extract_task.xml).
pub(crate) async fn create_task(state: &State, req: Request<ReqBody>, fmt: Fmt, version: (u32, u32)) -> Resp {
    if version < (3, 20) {
        return not_found_uri(fmt, req.uri().path());
    }
    let v = match body::read(req, fmt).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let e = match element(&v, "extractRefresh", fmt) {
        Ok(e) => e,
        Err(r) => return r,
    };
    let site = &state.site;
    let target = if let Some(id) = id_of(e, "workbook") {
        if site.content_by_id(ContentKind::Workbook, &id).is_none() {
            return not_found(fmt, "workbook", &id);
        }
        ("workbook", id)
    } else if let Some(id) = id_of(e, "datasource") {
        if site.content_by_id(ContentKind::Datasource, &id).is_none() {
            return not_found(fmt, "datasource", &id);
        }
        ("datasource", id)
    } else {
        return bad(fmt, "The extract refresh names no workbook or data source.");
    };
    let t = s(e, "type").unwrap_or_else(|| "FullRefresh".into());
    let Some(task_type) = pick(&TASK_TYPES, &t) else {
        return bad(fmt, &format!("Invalid extract refresh type '{t}'."));
    };
    let sched = match schedule(v.get("schedule").or_else(|| e.get("schedule")), fmt) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let task = Task {
        id: site.new_id(K_TASK),
        priority: 50,
        consecutive_failed: 0,
        task_type,
        schedule: sched,
        target,
    };
    site.overlay_mut(|o| o.tasks.push(task.clone()));
    let now = iso(now_secs());
    let refresh = Node::new("extractRefresh")
        .attr("id", &task.id)
        .attr("type", task.task_type)
        .child(Node::new(task.target.0).attr("id", &task.target.1));
    let mut sched = render::schedule(&task.schedule);
    sched.attrs.insert(0, ("updatedAt", now.clone()));
    sched.attrs.insert(0, ("createdAt", now));
    ok(fmt, StatusCode::OK, &[refresh, sched])
}
