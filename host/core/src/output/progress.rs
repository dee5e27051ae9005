//! Turning the guest's events into log lines on stderr.

use super::human_bytes;
use crate::runtime::{Event, EventSink, Level};
use std::time::{Duration, Instant};
use tableau_backup_model::Kind;

fn kind_name(kind: crate::runtime::Kind) -> &'static str {
    Kind::from(kind).name()
}

/// How often a progress line is logged while content is downloading.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// An event sink that logs through `tracing`, with a progress line at most every
/// ten seconds while files are being stored (a long download is never silent).
pub fn log_sink() -> EventSink {
    let mut progress = Progress {
        last: Some(Instant::now()),
        ..Progress::default()
    };
    Box::new(move |event| match event {
        Event::Log((level, message)) => match level {
            Level::Debug => tracing::debug!(target: "guest", "{message}"),
            Level::Info => tracing::info!(target: "guest", "{message}"),
            Level::Warn => tracing::warn!(target: "guest", "{message}"),
            Level::Error => tracing::error!(target: "guest", "{message}"),
        },
        Event::Listed((kind, n)) => {
            if Kind::from(kind).is_content() {
                progress.content_listed += n;
            }
            tracing::info!(target: "guest", "listed {n} {}", kind_name(kind))
        }
        Event::Stored(item) => {
            tracing::debug!(target: "guest", "stored {} ({} bytes)", item.key, item.size);
            progress.stored += 1;
            progress.bytes += item.size;
            progress.tick();
        }
        Event::Failed((item, why)) => {
            progress.failed += 1;
            tracing::warn!(target: "guest", "{} {:?} ({}) failed: {why}", kind_name(item.kind), item.name, item.id)
        }
    })
}

/// Running totals for the progress line.
#[derive(Default)]
struct Progress {
    content_listed: u64,
    stored: u64,
    bytes: u64,
    failed: u64,
    last: Option<Instant>,
}

impl Progress {
    fn tick(&mut self) {
        let now = Instant::now();
        if self.last.is_some_and(|l| now.duration_since(l) < PROGRESS_EVERY) {
            return;
        }
        self.last = Some(now);
        tracing::info!(
            "progress: {} files stored ({} content items listed), {}, {} failures so far",
            self.stored,
            self.content_listed,
            human_bytes(self.bytes),
            self.failed
        );
    }
}
