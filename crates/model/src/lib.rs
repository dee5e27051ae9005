//! What the tableau-backup guest and its host agree on, written once.
//!
//! - [`Kind`]: the kinds of Tableau objects a backup knows (the WIT `kind` enum),
//!   with their names as `--kinds` and the WIT spell them;
//! - [`run_name`]: the run folder's name (`backup_tableau_cloud_<site>_<UTC stamp>`);
//! - [`manifest`]: `manifest.json`, written by the guest, read by the host;
//! - [`loopback`]: which server hosts count as loopback (plain http is allowed only there);
//! - [`word`]: the safe ASCII spelling of an id or a site in a key or a run name.
//!
//! Pure data and rules: no I/O, and nothing that cannot build for wasm32-wasip2.

#![deny(missing_docs)]

mod kind;
pub mod loopback;
pub mod manifest;
pub mod run_name;
pub mod word;

pub use kind::Kind;
pub use manifest::Manifest;
