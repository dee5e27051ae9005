//! tableau-sim: a Tableau Cloud site simulator speaking the REST API (3.x), for tests,
//! demos and benchmarks. Start one with [`Sim::start`]; see README.md for the HTTP side.

mod api;
pub mod config;
pub mod faults;
pub mod log;
pub mod site;
mod util;

use std::io::Read;
use std::net::SocketAddr;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use config::{GenSpec, SimConfig, SiteSpec, SizeSpec, MAX_SINGLE_PUBLISH};
pub use faults::{BadBody, DropMode, Faults, CLOUD_MAX_CONCURRENT_DOWNLOADS, DEFAULT_HUGE_BODY_BYTES};
pub use log::{RateLimitEvent, RequestLog, WriteRequest};
pub use site::alerts::DataAlert;
pub use site::connections::Connection;
pub use site::content::ContentReader;
pub use site::dqw::QualityWarning;
pub use site::flow_tasks::FlowTask;
pub use site::model::{ContentKind, Schedule};
pub use site::perms::{GranteeKind, Mode, Resource, DEFAULT_PERMISSION_TYPES};
pub use site::revisions::Revision;
pub use site::webhooks::Webhook;
pub use site::{
    Catalog, CatalogConnection, CatalogCustomView, CatalogItem, CatalogProject, CatalogRevision, CatalogView,
    Counts, DefaultPermissionRule, PermissionRule,
};
pub use util::parse_size;

use api::State;

/// A running simulator on 127.0.0.1.
pub struct Sim {
    state: Arc<State>,
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Sim {
    /// Bind 127.0.0.1:`cfg.port` (0 = a free port) and serve on the current tokio runtime.
    pub async fn start(cfg: SimConfig) -> anyhow::Result<Sim> {
        let listener = TcpListener::bind(("127.0.0.1", cfg.port)).await?;
        let addr = listener.local_addr()?;
        let site = site::Site::new(&cfg)?;
        let faults = cfg.faults.clone();
        let state = Arc::new(State {
            cfg,
            site,
            faults: faults::FaultState::new(),
            log: log::Recorder::new(),
            sessions: api::Sessions::default(),
        });
        state.set_faults(faults);
        let (stop, stop_rx) = watch::channel(false);
        let task = tokio::spawn(serve(listener, state.clone(), stop_rx));
        Ok(Sim {
            state,
            addr,
            stop,
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn site_content_url(&self) -> &str {
        &self.state.cfg.site_content_url
    }

    pub fn pat_name(&self) -> &str {
        &self.state.cfg.pat_name
    }

    pub fn pat_secret(&self) -> &str {
        &self.state.cfg.pat_secret
    }

    /// The site LUID sign-in returns.
    pub fn site_id(&self) -> String {
        self.state.site.info().id.clone()
    }

    /// Replace the faults (their counters restart).
    pub fn set_faults(&self, f: Faults) {
        self.state.set_faults(f);
    }

    pub fn faults(&self) -> Faults {
        self.state.faults.get()
    }

    /// A snapshot of the request log.
    pub fn log(&self) -> RequestLog {
        self.state.log.snapshot()
    }

    pub fn reset_log(&self) {
        self.state.log.reset();
    }

    /// End every session: their tokens get 401002.
    pub fn expire_sessions(&self) {
        self.state.sessions.expire_all();
    }

    /// What the site holds now (including published content).
    pub fn catalog(&self) -> Catalog {
        self.state.site.catalog(&self.state.faults.missing_ids())
    }

    /// A reader over the bytes a download of this item returns; `None` for an unknown id.
    pub fn content_reader(
        &self,
        kind: ContentKind,
        id: &str,
        include_extract: bool,
    ) -> Option<ContentReader> {
        let item = self.state.site.content_by_id(kind, id)?;
        let include_extract = include_extract || kind == ContentKind::Flow;
        site::Site::source(&item, include_extract).reader().ok()
    }

    /// The bytes a download of this item returns. Panics for an unknown id; use
    /// [`Sim::content_reader`] or [`Sim::content_sha256`] for big items.
    pub fn content(&self, kind: ContentKind, id: &str, include_extract: bool) -> Vec<u8> {
        let mut r = self
            .content_reader(kind, id, include_extract)
            .unwrap_or_else(|| panic!("no {kind:?} with id {id}"));
        let mut v = Vec::with_capacity(r.len() as usize);
        r.read_to_end(&mut v).expect("reading content");
        v
    }

    /// Hex SHA-256 and length of the bytes a download returns (streamed, flat memory).
    pub fn content_sha256(
        &self,
        kind: ContentKind,
        id: &str,
        include_extract: bool,
    ) -> Option<(String, u64)> {
        sha256(self.content_reader(kind, id, include_extract)?)
    }

    /// A reader over the bytes of revision `number` of a workbook or data source (the
    /// current one: the item's bytes); `None` for an unknown item or revision, or a
    /// deleted one (its download is 404).
    pub fn revision_reader(
        &self,
        kind: ContentKind,
        id: &str,
        number: u32,
        include_extract: bool,
    ) -> Option<ContentReader> {
        let site = &self.state.site;
        let item = site.content_by_id(kind, id)?;
        let index = site.content_index(kind, id);
        site::revisions::revision_source(site, &item, index, number, include_extract)?
            .reader()
            .ok()
    }

    /// The bytes of revision `number` (see [`Sim::revision_reader`]).
    pub fn revision_content(
        &self,
        kind: ContentKind,
        id: &str,
        number: u32,
        include_extract: bool,
    ) -> Option<Vec<u8>> {
        let mut r = self.revision_reader(kind, id, number, include_extract)?;
        let mut v = Vec::with_capacity(r.len() as usize);
        r.read_to_end(&mut v).ok()?;
        Some(v)
    }

    /// Hex SHA-256 and length of revision `number`'s bytes (streamed).
    pub fn revision_sha256(
        &self,
        kind: ContentKind,
        id: &str,
        number: u32,
        include_extract: bool,
    ) -> Option<(String, u64)> {
        sha256(self.revision_reader(kind, id, number, include_extract)?)
    }

    /// The bytes `GET customviews/{id}/content` returns (a JSON array).
    pub fn custom_view_definition(&self, id: &str) -> Option<Vec<u8>> {
        let site = &self.state.site;
        Some(site::cvdef::definition(site, &site.custom_view_by_id(id)?))
    }

    /// Delete a workbook, data source or flow as if it had never existed (404 by id, gone
    /// from lists, views and the catalog), e.g. to restore it again. `false` if unknown.
    pub fn remove_item(&self, kind: ContentKind, id: &str) -> bool {
        self.state.site.remove_by_id(kind.list(), id)
    }

    /// Delete a project with its content and child projects (like `DELETE projects/{id}`).
    pub fn remove_project(&self, id: &str) -> bool {
        self.state.site.remove_by_id(site::model::ListKind::Projects, id)
    }

    /// Names of the views the publish of this workbook marked hidden
    /// (`"views":{"view":[{"name":..,"hidden":true}]}`); they are also left out of its views.
    pub fn hidden_views(&self, workbook_id: &str) -> Vec<String> {
        self.state.site.hidden_views(workbook_id)
    }

    /// Stop accepting, close connections, wait for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Hex SHA-256 and length of everything `r` yields (1 MiB at a time).
fn sha256(mut r: ContentReader) -> Option<(String, u64)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf).ok()?;
        if k == 0 {
            break;
        }
        h.update(&buf[..k]);
        n += k as u64;
    }
    Some((hex::encode(h.finalize()), n))
}

async fn serve(listener: TcpListener, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => return,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        state.log.connection();
        let state = state.clone();
        let mut stop = stop.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| api::handle(state.clone(), req));
            let conn = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), svc);
            tokio::select! {
                _ = conn => {}
                _ = stop.changed() => {}
            }
        });
    }
}
