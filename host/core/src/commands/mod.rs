//! The work each command does, from its resolved configuration to a result the
//! output module prints. Nothing here parses flags or prints.

pub mod backup;
pub mod restore;
pub mod snapshots;
pub mod verify;

use crate::config::{PolicyShowConfig, Request};
use crate::exit::Fatal;
use crate::guest::GuestSource;
use crate::policy::Policy;
use crate::runtime::EventSink;

/// What a command produced.
#[derive(Debug)]
pub enum Done {
    /// A backup with a manifest.
    Backup(backup::Finished),
    /// A restore that ran (complete, partial or a dry run).
    Restore(restore::Restored),
    /// A verified run.
    Verify(verify::Findings),
    /// The runs of a destination.
    Snapshots(Vec<snapshots::Snapshot>),
    /// The effective policy.
    Policy(PolicyShowConfig, Policy),
}

/// Do what `request` says.
pub async fn run(request: &Request, guest: &GuestSource<'_>, events: EventSink) -> Result<Done, Fatal> {
    Ok(match request {
        Request::Backup(config) => Done::Backup(backup::run(config, guest, events).await?),
        Request::Restore(config) => Done::Restore(restore::run(config, guest, events).await?),
        Request::Verify(config) => Done::Verify(verify::run(config).await?),
        Request::Snapshots(config) => Done::Snapshots(snapshots::run(config).await?),
        Request::PolicyShow(config) => {
            let policy = backup::effective_policy(config.policy.as_deref())?;
            Done::Policy(config.clone(), policy)
        }
    })
}
