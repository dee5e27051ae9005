//! Everything a command shows a person: the backup summary, verify's findings,
//! the snapshots table, the policy, the one-line error; and the log set-up and
//! the progress lines on stderr. The only module that prints.

mod logging;
mod progress;
mod restore;

pub use logging::init_logging;
pub use progress::log_sink;

use crate::commands::backup::Finished;
use crate::commands::snapshots::Snapshot;
use crate::commands::verify::Findings;
use crate::commands::Done;
use crate::exit::{Fatal, Outcome};
use crate::runtime::Status;
use std::process::ExitCode;
use tableau_backup_model::Kind;

/// Print what a command produced, or its error, and pick the exit code.
pub fn finish(result: Result<Done, Fatal>) -> ExitCode {
    match result {
        Ok(Done::Backup(done)) => {
            println!("{}", summary(&done));
            backup_outcome(&done).into()
        }
        Ok(Done::Restore(done)) => {
            if done.json {
                println!("{}", restore::to_json(&done));
            } else {
                print!("{}", restore::human(&done));
            }
            restore::outcome(&done).into()
        }
        Ok(Done::Verify(f)) => {
            print!("{}", findings(&f));
            f.outcome().into()
        }
        Ok(Done::Snapshots(s)) => {
            print!("{}", table(&s));
            Outcome::Complete.into()
        }
        Ok(Done::Policy(config, policy)) => {
            println!("# The Tableau server is always allowed: {}", config.server_url);
            print!("{}", policy.to_toml());
            Outcome::Complete.into()
        }
        Err(e) => fail(e),
    }
}

/// Print a fatal error as one line and turn it into an exit code.
pub fn fail(fatal: Fatal) -> ExitCode {
    eprintln!("error: {}", fatal.message);
    fatal.outcome.into()
}

fn backup_outcome(done: &Finished) -> Outcome {
    match done.report.status {
        Status::Partial => Outcome::Partial,
        Status::Complete if !done.scope.full => Outcome::Limited,
        Status::Complete => Outcome::Complete,
    }
}

/// The backup's one-line summary, printed last.
pub fn summary(done: &Finished) -> String {
    let r = &done.report;
    let files: u64 = r.counts.iter().map(|c| c.stored).sum();
    let counts: Vec<String> = r
        .counts
        .iter()
        .filter(|c| c.listed > 0 || c.stored > 0 || c.failed > 0)
        .map(|c| format!("{} {}", c.listed, Kind::from(c.kind).name()))
        .collect();
    let status = match backup_outcome(done) {
        Outcome::Partial => "PARTIAL".to_string(),
        Outcome::Limited => format!("LIMITED ({})", done.scope.limits().join("; ")),
        _ => "complete".to_string(),
    };
    format!(
        "backup {status}: {files} files, {} failures, {} in {:.1}s -> {} ({})",
        r.failures,
        human_bytes(r.bytes),
        done.elapsed.as_secs_f64(),
        done.location,
        counts.join(", ")
    )
}

/// verify's lines: one per problem, then the verdict.
fn findings(f: &Findings) -> String {
    let mut out = String::new();
    for k in &f.missing {
        out.push_str(&format!("missing     {k}\n"));
    }
    for k in &f.corrupt {
        out.push_str(&format!("corrupt     {k}\n"));
    }
    for k in &f.unexpected {
        out.push_str(&format!("unexpected  {k}\n"));
    }
    for failure in &f.failures {
        let what = if failure.id.is_empty() {
            failure.kind.clone()
        } else {
            format!("{} {:?} ({})", failure.kind, failure.name, failure.id)
        };
        out.push_str(&format!("not backed up  {what}: {}\n", failure.error));
    }
    let verdict = match f.outcome() {
        Outcome::Complete => "intact".to_string(),
        Outcome::Partial => format!(
            "intact but PARTIAL ({} items were not backed up)",
            f.failures.len()
        ),
        Outcome::Limited => format!("intact but LIMITED ({})", f.limits.join("; ")),
        _ => "DAMAGED".to_string(),
    };
    out.push_str(&format!(
        "verify {}: {verdict}: {} objects checked ({}), {} missing, {} corrupt, {} unexpected\n",
        f.run,
        f.checked,
        human_bytes(f.bytes),
        f.missing.len(),
        f.corrupt.len(),
        f.unexpected.len()
    ));
    out
}

/// The snapshots table.
fn table(snaps: &[Snapshot]) -> String {
    let width = snaps.iter().map(|s| s.run.len()).max().unwrap_or(3).max(3);
    let mut out = format!(
        "{:<width$}  {:<10}  {:<20}  {:>7}  {:>8}  {:>10}\n",
        "RUN", "STATUS", "STARTED", "ITEMS", "FAILURES", "SIZE"
    );
    for s in snaps {
        out.push_str(&format!(
            "{:<width$}  {:<10}  {:<20}  {:>7}  {:>8}  {:>10}\n",
            s.run,
            s.status,
            s.started_at,
            s.items,
            s.failures,
            human_bytes(s.bytes)
        ));
    }
    out
}

/// Bytes in binary units, e.g. `1.5 MiB`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_binary_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 << 30), "5.0 GiB");
    }
}
