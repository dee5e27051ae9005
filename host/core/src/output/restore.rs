//! A restore's report: the id map and actions, the checklist, the verdict;
//! for people, or as one JSON document (`--json`).

use crate::commands::restore::Restored;
use crate::exit::Outcome;
use crate::runtime::{RestoreAction, RestoreEntry, Status};
use serde_json::json;

/// The exit code: 0 complete (a dry run too), 3 partial.
pub fn outcome(done: &Restored) -> Outcome {
    match done.report.status {
        Status::Complete => Outcome::Complete,
        Status::Partial => Outcome::Partial,
    }
}

fn action(a: RestoreAction, dry_run: bool) -> &'static str {
    match (a, dry_run) {
        (RestoreAction::Created, false) => "created",
        (RestoreAction::Created, true) => "create",
        (RestoreAction::Overwritten, false) => "overwritten",
        (RestoreAction::Overwritten, true) => "overwrite",
        (RestoreAction::Renamed, false) => "renamed",
        (RestoreAction::Renamed, true) => "rename",
        (RestoreAction::Matched, _) => "matched",
        (RestoreAction::Skipped, _) => "skipped",
        (RestoreAction::Failed, _) => "failed",
    }
}

/// Counts per action, in a fixed order, for the last line.
fn counts(entries: &[RestoreEntry], dry_run: bool) -> Vec<(&'static str, usize)> {
    [
        RestoreAction::Created,
        RestoreAction::Overwritten,
        RestoreAction::Renamed,
        RestoreAction::Matched,
        RestoreAction::Skipped,
        RestoreAction::Failed,
    ]
    .into_iter()
    .map(|a| {
        (
            action(a, dry_run),
            entries.iter().filter(|e| e.action == a).count(),
        )
    })
    .collect()
}

/// For people: one line per object, the checklist, the verdict last.
pub fn human(done: &Restored) -> String {
    let r = &done.report;
    let mut out = String::new();
    for e in &r.entries {
        let new = if e.new_id.is_empty() { "-" } else { &e.new_id };
        out.push_str(&format!(
            "{:<11} {:<19} {:?} {} -> {new}{}\n",
            action(e.action, r.dry_run),
            e.kind,
            e.name,
            e.old_id,
            if e.detail.is_empty() {
                String::new()
            } else {
                format!("  ({})", e.detail)
            }
        ));
    }
    if !r.checklist.is_empty() {
        out.push_str(&format!("\nTo do by hand ({}):\n", r.checklist.len()));
        for t in &r.checklist {
            let on = match (t.name.is_empty(), t.id.is_empty()) {
                (false, false) => format!("{} {:?} ({})", t.kind, t.name, t.id),
                (false, true) => format!("{} {:?}", t.kind, t.name),
                _ => format!("{} {}", t.kind, t.id),
            };
            out.push_str(&format!("  - {on}: {}\n", t.action));
        }
        out.push('\n');
    }
    let counts: Vec<String> = counts(&r.entries, r.dry_run)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(a, n)| format!("{n} {a}"))
        .collect();
    let verdict = match (r.dry_run, r.status) {
        (true, Status::Complete) => "restore plan (dry run, nothing written)",
        (true, Status::Partial) => "restore plan (dry run, nothing written) with FAILURES",
        (false, Status::Complete) => "restore complete",
        (false, Status::Partial) => "restore PARTIAL",
    };
    out.push_str(&format!(
        "{verdict}: {} from {} in {:.1}s; {} to do by hand\n",
        if counts.is_empty() {
            "nothing to do".to_string()
        } else {
            counts.join(", ")
        },
        done.from,
        done.elapsed.as_secs_f64(),
        r.checklist.len()
    ));
    out
}

/// For machines: the whole report.
pub fn to_json(done: &Restored) -> String {
    let r = &done.report;
    let entries: Vec<_> = r
        .entries
        .iter()
        .map(|e| {
            json!({"kind": e.kind, "old_id": e.old_id, "new_id": e.new_id, "name": e.name,
                   "action": action(e.action, false), "detail": e.detail})
        })
        .collect();
    let checklist: Vec<_> = r
        .checklist
        .iter()
        .map(|t| json!({"kind": t.kind, "id": t.id, "name": t.name, "action": t.action}))
        .collect();
    let counts: serde_json::Map<String, serde_json::Value> = counts(&r.entries, false)
        .into_iter()
        .map(|(a, n)| (a.to_string(), json!(n)))
        .collect();
    let doc = json!({
        "status": match r.status { Status::Complete => "complete", Status::Partial => "partial" },
        "dry_run": r.dry_run,
        "from": done.from,
        "run": r.run,
        "api_version": r.api_version,
        "counts": counts,
        "entries": entries,
        "checklist": checklist,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
