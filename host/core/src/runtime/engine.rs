//! The wasmtime engine and the compiled guest component.

use super::state::HostState;
use anyhow::Context;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::{Config, Engine};

/// How often the epoch advances; the unit of the guest's CPU budget.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// A compiled guest, ready to instantiate once per run.
pub struct GuestRuntime {
    pub(super) engine: Engine,
    pub(super) component: Component,
    pub(super) linker: Linker<HostState>,
    ticker_stop: Arc<AtomicBool>,
}

impl GuestRuntime {
    /// Compile a guest component (cached on disk by wasmtime when possible).
    pub fn new(wasm: &[u8]) -> anyhow::Result<Self> {
        // wasi-http's TLS client asks rustls for the process default provider;
        // with both ring and aws-lc-rs linked (by wasmtime and the AWS SDK) there
        // is none unless we choose. Err only means one is already installed.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        if let Ok(cache) = wasmtime::Cache::from_file(None) {
            config.cache(Some(cache));
        }
        let engine = Engine::new(&config).map_err(anyhow::Error::from)?;
        let component = Component::new(&engine, wasm)
            .map_err(anyhow::Error::from)
            .context("the guest is not a valid WebAssembly component")?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).map_err(anyhow::Error::from)?;
        // Our interfaces one by one: the world-level helper would add wasi:io twice.
        use super::bindings::{events, secrets, store, types};
        types::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s).map_err(anyhow::Error::from)?;
        secrets::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s).map_err(anyhow::Error::from)?;
        store::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s).map_err(anyhow::Error::from)?;
        events::add_to_linker::<_, HasSelf<_>>(&mut linker, |s| s).map_err(anyhow::Error::from)?;

        let ticker_stop = Arc::new(AtomicBool::new(false));
        let (e, stop) = (engine.clone(), ticker_stop.clone());
        std::thread::Builder::new()
            .name("epoch-ticker".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    e.increment_epoch();
                }
            })?;
        Ok(Self {
            engine,
            component,
            linker,
            ticker_stop,
        })
    }

    /// The guest's imports, as `namespace:package/interface@version` names.
    pub fn imports(&self) -> Vec<String> {
        let ty = self.component.component_type();
        ty.imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .collect()
    }
}

impl Drop for GuestRuntime {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}
