//! tableau-backup's guest: all the backup logic, as a wasm32-wasip2 component.
//!
//! It reaches Tableau only through `wasi:http` (via wstd) and its host only through
//! the `tableau-backup:backup` WIT package. This file is the export glue.

mod backup;
mod host;
mod restore;
mod tableau;

wit_bindgen::generate!({
    world: "backup-guest",
    path: "../wit",
    // The store hands out wasi:io streams; mapping them to wasip2's types lets
    // wstd's AsyncOutputStream wrap them (same wit-bindgen version as wasip2).
    with: {
        "wasi:io/streams@0.2.12": wasip2::io::streams,
        "wasi:io/error@0.2.12": wasip2::io::error,
        "wasi:io/poll@0.2.12": wasip2::io::poll,
    },
});

// The WIT `kind` and the shared model's `Kind` convert both ways.
tableau_backup_model::kind_conversions!(tableau_backup::backup::types::Kind);

struct Component;

impl Guest for Component {
    /// The export is synchronous; the backup runs on wstd's single-threaded reactor.
    fn run(job: Job) -> Result<Report, BackupError> {
        wstd::runtime::block_on(backup::run(job))
    }

    fn restore(job: RestoreJob) -> Result<RestoreReport, BackupError> {
        wstd::runtime::block_on(restore::run(job))
    }
}

export!(Component);
