//! The native host of tableau-backup. It holds no Tableau knowledge: the guest
//! component does the Tableau work; the host resolves configuration, enforces
//! the sandbox policy, supplies secrets and the store, and reports.
//!
//! One path for every command, as in ripgrep: flags ([`cli`]) resolve to a
//! typed configuration ([`config`]), the work ([`commands`]) turns it into a
//! result, and [`output`] prints it. Beneath: [`runtime`] runs the guest under
//! the [`policy`], [`store`] reaches the destination, [`runs`] reads run folders.

#![deny(missing_docs)]

pub mod cli;
pub mod commands;
pub mod config;
pub mod exit;
pub mod guest;
pub mod output;
pub mod policy;
pub mod redact;
pub mod runs;
pub mod runtime;
pub mod secrets;
pub mod store;
