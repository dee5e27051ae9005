//! The HTTP API: shared state, request pipeline (log, latency, injected faults, auth) and
//! response helpers.

mod admin;
mod alerts;
mod auth;
mod automation;
mod badbody;
mod body;
mod connections;
mod content;
mod cvpublish;
mod dqw;
mod fields;
pub(crate) mod format;
mod grants;
mod lists;
mod multipart;
mod paged;
mod perms;
mod principals;
mod publish;
mod query;
mod render;
mod revisions;
mod router;
mod schedules;
mod updates;
mod views;
mod write_router;
mod xmlreq;

use std::convert::Infallible;
use std::io;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{combinators::UnsyncBoxBody, BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use hyper::{Request, Response, StatusCode};

use crate::config::SimConfig;
use crate::faults::{FaultState, Injected};
use crate::log::Recorder;
use crate::site::Site;
use format::{error_node, render, Fmt, Node};
use multipart::ReqBody;
use router::{Route, Scoped};

pub(crate) use auth::Sessions;

pub(crate) type RespBody = UnsyncBoxBody<Bytes, io::Error>;
pub(crate) type Resp = Response<RespBody>;

/// Everything a request handler can reach.
pub(crate) struct State {
    pub cfg: SimConfig,
    pub site: Site,
    pub faults: FaultState,
    pub log: Recorder,
    pub sessions: Sessions,
}

impl State {
    /// Replace the faults (resolving the missing-content count into ids).
    pub fn set_faults(&self, f: crate::faults::Faults) {
        let mut missing = self.site.missing_by_count(f.missing_content_count);
        missing.extend(f.missing_content_ids.iter().cloned());
        self.faults.set(f, missing);
    }
}

/// Marks a response whose body counts its own bytes into the log.
#[derive(Clone, Copy)]
pub(crate) struct SelfCounting;

pub(crate) fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Resp {
    let mut r = Response::new(
        Full::new(body.into())
            .map_err(|e: Infallible| match e {})
            .boxed_unsync(),
    );
    *r.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

/// A `tsResponse` with these children.
pub(crate) fn ok(fmt: Fmt, status: StatusCode, nodes: &[Node]) -> Resp {
    full(status, fmt.content_type(), render(fmt, nodes))
}

pub(crate) fn error(fmt: Fmt, status: u16, code: &str, summary: &str, detail: &str) -> Resp {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    ok(fmt, status, &[error_node(code, summary, detail)])
}

/// No body and no `Content-Type` (204 and the like).
pub(crate) fn empty(status: StatusCode) -> Resp {
    let mut r = Response::new(
        http_body_util::Empty::new()
            .map_err(|e: Infallible| match e {})
            .boxed_unsync(),
    );
    *r.status_mut() = status;
    r
}

pub(crate) fn not_found_uri(fmt: Fmt, path: &str) -> Resp {
    error(
        fmt,
        404,
        "404003",
        "Resource Not Found",
        &format!("Unknown resource '{path}' specified in URI."),
    )
}

const HTML_429: &str = "<!DOCTYPE html>\n<html><head><title>429 Too Many Requests</title></head>\
<body><h1>Too Many Requests</h1><p>You have sent too many requests in a given amount of time. \
Wait and try again later.</p><hr><p>Tableau Cloud</p></body></html>\n";

/// Tableau Cloud's 429 (an HTML page, Retry-After when configured).
pub(crate) fn rate_limited(state: &State) -> Resp {
    let mut r = full(StatusCode::TOO_MANY_REQUESTS, "text/html", HTML_429);
    if let Some(s) = state.faults.retry_after() {
        r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(s));
    }
    r
}

fn server_error(fmt: Fmt, status: u16) -> Resp {
    if status == 500 {
        return error(
            fmt,
            500,
            "500000",
            "Internal Server Error",
            "The server encountered an error and cannot complete your request.",
        );
    }
    let st = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let reason = st.canonical_reason().unwrap_or("Error");
    full(
        st,
        "text/html",
        format!(
            "<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1></center></body></html>\n"
        ),
    )
}

/// Serve one request.
pub(crate) async fn handle(state: Arc<State>, req: Request<Incoming>) -> Result<Resp, Infallible> {
    // An unread body is drained after the response (keep-alive), unless the client waits
    // for `100 Continue` (it then must not send the body at all).
    let expects_continue = req
        .headers()
        .get(hyper::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let req = req.map(|b| ReqBody::new(b, !expects_continue));
    let path = req.uri().path().to_string();
    if path == "/_sim" || path.starts_with("/_sim/") {
        return Ok(admin::handle(&state, req).await);
    }
    let fmt = Fmt::from_accept(
        req.headers()
            .get(hyper::header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    );
    let method = req.method().clone();
    let (route, endpoint) = router::route(&method, &path);
    state.log.arrived(&endpoint, state.log.elapsed());
    let latency = state.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let resp = match state.faults.decide(&endpoint) {
        Some(Injected::ServerError(s)) => server_error(fmt, s),
        Some(Injected::RateLimit) => rate_limited(&state),
        None => {
            let resp = dispatch(&state, route, req, fmt, &path, &endpoint).await;
            if state.faults.bad_body_matches(&endpoint) {
                badbody::apply(&state, resp, fmt, &endpoint).await
            } else {
                resp
            }
        }
    };
    let retry_after = resp
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let len = if resp.extensions().get::<SelfCounting>().is_some() {
        0
    } else {
        resp.body().size_hint().exact().unwrap_or(0)
    };
    let status = resp.status().as_u16();
    state.log.finished(&endpoint, status, len, retry_after);
    if router::is_write(&method, &endpoint) {
        let id = router::path_id(&path, &endpoint);
        state.log.wrote(method.as_str(), &endpoint, id, status);
    }
    Ok(resp)
}

async fn dispatch(
    state: &Arc<State>,
    route: Route,
    req: Request<ReqBody>,
    fmt: Fmt,
    path: &str,
    endpoint: &str,
) -> Resp {
    match route {
        Route::ServerInfo => auth::server_info(state, fmt),
        Route::SignIn => auth::sign_in(state, req, fmt).await,
        Route::SignOut => auth::sign_out(state, req.headers(), fmt),
        Route::NotFound => not_found_uri(fmt, path),
        Route::MethodNotAllowed => error(
            fmt,
            405,
            "405000",
            "Method Not Allowed",
            "The HTTP method is not supported for this resource.",
        ),
        Route::CurrentSession | Route::Sites | Route::Site(_) | Route::Scoped(..) => {
            let session = match auth::check(state, req.headers(), fmt) {
                Ok(s) => s,
                Err(resp) => return *resp,
            };
            match route {
                Route::CurrentSession => auth::current_session(state, &session, fmt),
                Route::Sites => lists::sites(state, req.uri().query(), fmt),
                Route::Site(id) => {
                    let by_url = query::param(req.uri().query(), "key")
                        .is_some_and(|k| k.eq_ignore_ascii_case("contentUrl"));
                    let site = state.site.info();
                    if id == site.id || (by_url && id == site.content_url) {
                        ok(fmt, StatusCode::OK, &[render::site(&state.site)])
                    } else {
                        auth::wrong_site(fmt, &id)
                    }
                }
                Route::Scoped(site, scoped) => {
                    if site != state.site.info().id {
                        return auth::wrong_site(fmt, &site);
                    }
                    scoped_route(state, scoped, req, fmt, &session, endpoint).await
                }
                _ => unreachable!(),
            }
        }
    }
}

async fn scoped_route(
    state: &Arc<State>,
    scoped: Scoped,
    req: Request<ReqBody>,
    fmt: Fmt,
    session: &auth::SessionInfo,
    endpoint: &str,
) -> Resp {
    let q = req.uri().query().map(str::to_string);
    let q = q.as_deref();
    match scoped {
        Scoped::List(kind) => lists::list(state, kind, endpoint, q, fmt),
        Scoped::Get(kind, id) => lists::get(state, kind, &id, fmt),
        Scoped::GroupUsers(id) => lists::group_users(state, &id, endpoint, q, fmt),
        Scoped::Favorites(id) => lists::favorites(state, &id, fmt),
        Scoped::Tasks => lists::tasks(state, fmt),
        Scoped::Content(kind, id) => content::download(state, kind, &id, q, fmt),
        Scoped::CustomViewContent(id) => content::custom_view(state, &id, fmt),
        Scoped::Publish(kind) => publish::publish(state, kind, req, fmt, session).await,
        Scoped::CreateProject => publish::create_project(state, req, fmt, session).await,
        Scoped::UploadInit => publish::upload_init(state, fmt),
        Scoped::UploadAppend(id) => publish::upload_append(state, &id, req, fmt).await,
        Scoped::Job(id) => publish::job(state, &id, fmt),
        Scoped::Permissions(res, id) => perms::explicit(state, res, &id, fmt),
        Scoped::DefaultPermissions(id, t) => perms::defaults(state, &id, t, fmt, req.uri().path()),
        Scoped::Views => views::site_views(state, endpoint, q, fmt),
        Scoped::WorkbookViews(id) => views::workbook_views(state, &id, endpoint, q, fmt),
        Scoped::View(id) => views::view(state, &id, fmt),
        Scoped::Revisions(kind, id) => revisions::list(state, kind, &id, endpoint, q, fmt),
        Scoped::RevisionContent(kind, id, n) => revisions::content(state, kind, &id, &n, q, fmt),
        Scoped::Connections(kind, id) => connections::list(state, kind, &id, fmt),
        Scoped::DataAlerts => alerts::list(state, endpoint, q, fmt),
        Scoped::DataAlert(id) => alerts::get(state, &id, fmt),
        Scoped::Webhooks => automation::webhooks(state, fmt),
        Scoped::Webhook(id) => automation::get_webhook(state, &id, fmt),
        Scoped::FlowTasks => automation::flow_tasks(state, fmt),
        Scoped::QualityWarnings(t, id) => dqw::list(state, &t, &id, fmt),
        Scoped::Write(w) => write_router::dispatch(state, w, req, fmt, session).await,
    }
}
