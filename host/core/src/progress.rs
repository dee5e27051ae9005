//! Turning the guest's events into log lines on stderr.

use crate::runtime::{Event, EventSink, Kind, Level};

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

/// An event sink that logs through `tracing`.
pub fn log_sink() -> EventSink {
    Box::new(|event| match event {
        Event::Log((level, message)) => match level {
            Level::Debug => tracing::debug!(target: "guest", "{message}"),
            Level::Info => tracing::info!(target: "guest", "{message}"),
            Level::Warn => tracing::warn!(target: "guest", "{message}"),
            Level::Error => tracing::error!(target: "guest", "{message}"),
        },
        Event::Listed((kind, n)) => {
            tracing::info!(target: "guest", "listed {n} {}", kind_name(kind))
        }
        Event::Stored(item) => {
            tracing::debug!(target: "guest", "stored {} ({} bytes)", item.key, item.size)
        }
        Event::Failed((item, why)) => {
            tracing::warn!(target: "guest", "{} {:?} ({}) failed: {why}", kind_name(item.kind), item.name, item.id)
        }
    })
}
