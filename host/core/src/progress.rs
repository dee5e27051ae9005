//! Turning the guest's events into log lines on stderr.

use crate::runtime::{Event, EventSink, Kind, Level};
use std::time::{Duration, Instant};

/// Human name of a kind, as in `--kinds`.
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Workbooks => "workbooks",
        Kind::Datasources => "datasources",
        Kind::Flows => "flows",
        Kind::Users => "users",
        Kind::Groups => "groups",
        Kind::Favorites => "favorites",
        Kind::Subscriptions => "subscriptions",
        Kind::CustomViews => "custom-views",
        Kind::Projects => "projects",
        Kind::VirtualConnections => "virtual-connections",
        Kind::ExtractRefreshTasks => "extract-refresh-tasks",
        Kind::Site => "site",
    }
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
            if matches!(kind, Kind::Workbooks | Kind::Datasources | Kind::Flows) {
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
            crate::backup::human_bytes(self.bytes),
            self.failed
        );
    }
}
