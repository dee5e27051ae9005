//! The kinds of Tableau objects a backup knows: the one list, in backup order.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A kind of Tableau object; mirrors the WIT `types.kind` enum case for case.
///
/// Both bindings (the guest's and the host's) convert to and from this type
/// through [`kind_conversions!`](crate::kind_conversions), whose matches are
/// exhaustive: a kind added to the WIT without being added here fails to compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Site details.
    Site,
    /// Projects (nested).
    Projects,
    /// Users with their site roles.
    Users,
    /// Groups with their members.
    Groups,
    /// Favorites of every user.
    Favorites,
    /// Subscriptions.
    Subscriptions,
    /// Custom views.
    CustomViews,
    /// Virtual connections with their detail.
    VirtualConnections,
    /// Extract refresh tasks.
    ExtractRefreshTasks,
    /// Workbook files and their metadata.
    Workbooks,
    /// Published data source files and their metadata.
    Datasources,
    /// Prep flow files and their metadata.
    Flows,
    /// Views of every workbook.
    Views,
    /// Explicit permission rules of projects, content, virtual connections and views.
    Permissions,
    /// Every project's default permissions and its `contentPermissions`.
    DefaultPermissions,
    /// Connections of workbooks, data sources and flows.
    Connections,
    /// Revision lists of workbooks and data sources (bytes with `revisions` on).
    Revisions,
    /// Each custom view's definition, one file each.
    CustomViewDefinitions,
    /// Data-driven alerts with their recipients.
    DataAlerts,
    /// Webhooks.
    Webhooks,
    /// Flow run tasks.
    FlowRunTasks,
    /// Data quality warnings of data sources and flows.
    DataQualityWarnings,
}

impl Kind {
    /// Every kind, in the order a backup takes them: users before favorites
    /// (which need them), the site-wide lists, then the content lists, then the
    /// kinds read per project, item or view (they use the lists before them).
    pub const ALL: [Kind; 22] = [
        Kind::Site,
        Kind::Projects,
        Kind::Users,
        Kind::Groups,
        Kind::Favorites,
        Kind::Subscriptions,
        Kind::CustomViews,
        Kind::VirtualConnections,
        Kind::ExtractRefreshTasks,
        Kind::FlowRunTasks,
        Kind::DataAlerts,
        Kind::Webhooks,
        Kind::Workbooks,
        Kind::Datasources,
        Kind::Flows,
        Kind::Views,
        Kind::Permissions,
        Kind::DefaultPermissions,
        Kind::Connections,
        Kind::Revisions,
        Kind::CustomViewDefinitions,
        Kind::DataQualityWarnings,
    ];

    /// The name in `--kinds`, the WIT and the manifest's `scope`: `custom-views`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Site => "site",
            Kind::Projects => "projects",
            Kind::Users => "users",
            Kind::Groups => "groups",
            Kind::Favorites => "favorites",
            Kind::Subscriptions => "subscriptions",
            Kind::CustomViews => "custom-views",
            Kind::VirtualConnections => "virtual-connections",
            Kind::ExtractRefreshTasks => "extract-refresh-tasks",
            Kind::Workbooks => "workbooks",
            Kind::Datasources => "datasources",
            Kind::Flows => "flows",
            Kind::Views => "views",
            Kind::Permissions => "permissions",
            Kind::DefaultPermissions => "default-permissions",
            Kind::Connections => "connections",
            Kind::Revisions => "revisions",
            Kind::CustomViewDefinitions => "custom-view-definitions",
            Kind::DataAlerts => "data-alerts",
            Kind::Webhooks => "webhooks",
            Kind::FlowRunTasks => "flow-run-tasks",
            Kind::DataQualityWarnings => "data-quality-warnings",
        }
    }

    /// Whether items of this kind have content files (not only metadata).
    pub fn is_content(self) -> bool {
        matches!(self, Kind::Workbooks | Kind::Datasources | Kind::Flows)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown kind name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind(pub String);

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        write!(f, "unknown kind {:?} (known: {})", self.0, names.join(", "))
    }
}

impl std::error::Error for UnknownKind {}

impl FromStr for Kind {
    type Err = UnknownKind;

    fn from_str(s: &str) -> Result<Kind, UnknownKind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| UnknownKind(s.to_string()))
    }
}

/// `From` both ways between [`Kind`] and a bindings' copy of the WIT enum
/// (`$wit` must have the same case names, as wit-bindgen and wasmtime generate them).
#[macro_export]
macro_rules! kind_conversions {
    ($wit:ty) => {
        impl ::core::convert::From<$crate::Kind> for $wit {
            fn from(k: $crate::Kind) -> Self {
                match k {
                    $crate::Kind::Site => <$wit>::Site,
                    $crate::Kind::Projects => <$wit>::Projects,
                    $crate::Kind::Users => <$wit>::Users,
                    $crate::Kind::Groups => <$wit>::Groups,
                    $crate::Kind::Favorites => <$wit>::Favorites,
                    $crate::Kind::Subscriptions => <$wit>::Subscriptions,
                    $crate::Kind::CustomViews => <$wit>::CustomViews,
                    $crate::Kind::VirtualConnections => <$wit>::VirtualConnections,
                    $crate::Kind::ExtractRefreshTasks => <$wit>::ExtractRefreshTasks,
                    $crate::Kind::Workbooks => <$wit>::Workbooks,
                    $crate::Kind::Datasources => <$wit>::Datasources,
                    $crate::Kind::Flows => <$wit>::Flows,
                    $crate::Kind::Views => <$wit>::Views,
                    $crate::Kind::Permissions => <$wit>::Permissions,
                    $crate::Kind::DefaultPermissions => <$wit>::DefaultPermissions,
                    $crate::Kind::Connections => <$wit>::Connections,
                    $crate::Kind::Revisions => <$wit>::Revisions,
                    $crate::Kind::CustomViewDefinitions => <$wit>::CustomViewDefinitions,
                    $crate::Kind::DataAlerts => <$wit>::DataAlerts,
                    $crate::Kind::Webhooks => <$wit>::Webhooks,
                    $crate::Kind::FlowRunTasks => <$wit>::FlowRunTasks,
                    $crate::Kind::DataQualityWarnings => <$wit>::DataQualityWarnings,
                }
            }
        }

        impl ::core::convert::From<$wit> for $crate::Kind {
            fn from(k: $wit) -> Self {
                match k {
                    <$wit>::Site => $crate::Kind::Site,
                    <$wit>::Projects => $crate::Kind::Projects,
                    <$wit>::Users => $crate::Kind::Users,
                    <$wit>::Groups => $crate::Kind::Groups,
                    <$wit>::Favorites => $crate::Kind::Favorites,
                    <$wit>::Subscriptions => $crate::Kind::Subscriptions,
                    <$wit>::CustomViews => $crate::Kind::CustomViews,
                    <$wit>::VirtualConnections => $crate::Kind::VirtualConnections,
                    <$wit>::ExtractRefreshTasks => $crate::Kind::ExtractRefreshTasks,
                    <$wit>::Workbooks => $crate::Kind::Workbooks,
                    <$wit>::Datasources => $crate::Kind::Datasources,
                    <$wit>::Flows => $crate::Kind::Flows,
                    <$wit>::Views => $crate::Kind::Views,
                    <$wit>::Permissions => $crate::Kind::Permissions,
                    <$wit>::DefaultPermissions => $crate::Kind::DefaultPermissions,
                    <$wit>::Connections => $crate::Kind::Connections,
                    <$wit>::Revisions => $crate::Kind::Revisions,
                    <$wit>::CustomViewDefinitions => $crate::Kind::CustomViewDefinitions,
                    <$wit>::DataAlerts => $crate::Kind::DataAlerts,
                    <$wit>::Webhooks => $crate::Kind::Webhooks,
                    <$wit>::FlowRunTasks => $crate::Kind::FlowRunTasks,
                    <$wit>::DataQualityWarnings => $crate::Kind::DataQualityWarnings,
                }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for k in Kind::ALL {
            assert_eq!(k.name().parse::<Kind>(), Ok(k));
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{}\"", k.name()));
        }
        let mut names: Vec<_> = Kind::ALL.iter().map(|k| k.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
        let err = "widgets".parse::<Kind>().unwrap_err().to_string();
        assert!(err.contains("widgets") && err.contains("custom-views"), "{err}");
    }

    #[test]
    fn lists_come_before_the_kinds_that_read_them() {
        let pos = |k| Kind::ALL.iter().position(|x| *x == k).unwrap();
        assert!(pos(Kind::Users) < pos(Kind::Favorites));
        let last_content = Kind::ALL.iter().rposition(|k| k.is_content()).unwrap();
        for per_item in [
            Kind::Views,
            Kind::Permissions,
            Kind::DefaultPermissions,
            Kind::Connections,
            Kind::Revisions,
            Kind::CustomViewDefinitions,
            Kind::DataQualityWarnings,
        ] {
            assert!(pos(per_item) > last_content, "{per_item}");
        }
        assert!(pos(Kind::Projects) < pos(Kind::DefaultPermissions));
        assert!(pos(Kind::CustomViews) < pos(Kind::CustomViewDefinitions));
    }
}
