//! Host bindings for the `tableau-backup:backup/backup` world.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "backup",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "tableau-backup:backup/store.upload": crate::runtime::store_host::Upload,
    },
});

pub use tableau_backup::backup::{events, secrets, store, types};
