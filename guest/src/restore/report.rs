//! What a restore did: one entry per object (the id map), and the checklist of
//! what an admin must do by hand.

use crate::host;
use crate::tableau_backup::backup::restore_types::{RestoreAction, RestoreEntry, Todo};

#[derive(Default)]
pub struct Report {
    pub entries: Vec<RestoreEntry>,
    pub checklist: Vec<Todo>,
    pub dry_run: bool,
}

impl Report {
    pub fn new(dry_run: bool) -> Report {
        Report {
            dry_run,
            ..Report::default()
        }
    }

    /// Records what happened to one object and logs it.
    pub fn entry(
        &mut self,
        kind: &str,
        old_id: &str,
        new_id: &str,
        name: &str,
        action: RestoreAction,
        detail: impl Into<String>,
    ) {
        let detail = detail.into();
        let verb = match (action, self.dry_run) {
            (RestoreAction::Created, false) => "created",
            (RestoreAction::Created, true) => "would create",
            (RestoreAction::Overwritten, false) => "overwrote",
            (RestoreAction::Overwritten, true) => "would overwrite",
            (RestoreAction::Renamed, false) => "published renamed",
            (RestoreAction::Renamed, true) => "would publish renamed",
            (RestoreAction::Matched, _) => "matched",
            (RestoreAction::Skipped, _) => "skipped",
            (RestoreAction::Failed, _) => "FAILED",
        };
        let line = if detail.is_empty() {
            format!("{verb} {kind} {name:?}")
        } else {
            format!("{verb} {kind} {name:?}: {detail}")
        };
        if action == RestoreAction::Failed {
            host::error(line);
        } else {
            host::info(line);
        }
        self.entries.push(RestoreEntry {
            kind: kind.to_string(),
            old_id: old_id.to_string(),
            new_id: new_id.to_string(),
            name: name.to_string(),
            action,
            detail,
        });
    }

    /// Adds something to do by hand (once per kind, id and action).
    pub fn todo(&mut self, kind: &str, id: &str, name: &str, action: impl Into<String>) {
        let action = action.into();
        if self
            .checklist
            .iter()
            .any(|t| t.kind == kind && t.id == id && t.action == action)
        {
            return;
        }
        self.checklist.push(Todo {
            kind: kind.to_string(),
            id: id.to_string(),
            name: name.to_string(),
            action,
        });
    }

    pub fn failed(&self) -> usize {
        self.entries
            .iter()
            .filter(|e| e.action == RestoreAction::Failed)
            .count()
    }
}
