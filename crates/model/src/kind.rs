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
}

impl Kind {
    /// Every kind, in the order a backup takes them: users before favorites
    /// (which need them), the content lists last (their downloads follow).
    pub const ALL: [Kind; 12] = [
        Kind::Site,
        Kind::Projects,
        Kind::Users,
        Kind::Groups,
        Kind::Favorites,
        Kind::Subscriptions,
        Kind::CustomViews,
        Kind::VirtualConnections,
        Kind::ExtractRefreshTasks,
        Kind::Workbooks,
        Kind::Datasources,
        Kind::Flows,
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
    fn favorites_come_after_users_and_content_last() {
        let pos = |k| Kind::ALL.iter().position(|x| *x == k).unwrap();
        assert!(pos(Kind::Users) < pos(Kind::Favorites));
        let first_content = Kind::ALL.iter().position(|k| k.is_content()).unwrap();
        assert!(Kind::ALL[first_content..].iter().all(|k| k.is_content()));
    }
}
