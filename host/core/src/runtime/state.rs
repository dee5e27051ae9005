//! The data a guest instance's `Store` carries, and the WASI views over it.

use super::bindings::events::Event;
use super::http::PolicyHooks;
use crate::redact::Redactor;
use crate::secrets::Secret;
use crate::store::RunStore;
use std::collections::HashMap;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime::StoreLimits;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Receives the guest's progress and log events.
pub type EventSink = Box<dyn FnMut(Event) + Send>;

/// What one guest instance's wasmtime `Store` holds.
pub struct HostState {
    pub(super) wasi: WasiCtx,
    pub(super) table: ResourceTable,
    pub(super) http: WasiHttpCtx,
    pub(super) hooks: PolicyHooks,
    pub(super) limits: StoreLimits,
    pub(super) run: Arc<RunStore>,
    /// Only the secrets the policy grants; nothing else is reachable.
    pub(super) secrets: HashMap<String, Secret>,
    pub(super) events: EventSink,
    /// Scrubs the granted secrets from every guest-controlled text the host logs.
    pub(super) redactor: Redactor,
    /// Guest CPU time used so far, in epoch ticks.
    pub(super) cpu_ticks: u64,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
