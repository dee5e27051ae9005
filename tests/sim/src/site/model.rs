//! The site's data model: plain owned records, produced on demand by a source.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The three kinds of downloadable content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentKind {
    Workbook,
    Datasource,
    Flow,
}

impl ContentKind {
    pub const ALL: [ContentKind; 3] = [Self::Workbook, Self::Datasource, Self::Flow];

    /// URL segment: `workbooks`, `datasources`, `flows`.
    pub fn plural(self) -> &'static str {
        match self {
            Self::Workbook => "workbooks",
            Self::Datasource => "datasources",
            Self::Flow => "flows",
        }
    }

    /// XML element name: `workbook`, `datasource`, `flow`.
    pub fn singular(self) -> &'static str {
        match self {
            Self::Workbook => "workbook",
            Self::Datasource => "datasource",
            Self::Flow => "flow",
        }
    }

    pub(crate) fn list(self) -> ListKind {
        match self {
            Self::Workbook => ListKind::Workbooks,
            Self::Datasource => ListKind::Datasources,
            Self::Flow => ListKind::Flows,
        }
    }

    /// File extensions a publish of this kind accepts.
    pub fn publish_extensions(self) -> &'static [&'static str] {
        match self {
            Self::Workbook => &["twbx", "twb"],
            Self::Datasource => &["tdsx", "tds", "hyper", "tde", "parquet"],
            Self::Flow => &["tflx", "tfl"],
        }
    }
}

/// Every list the site serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum ListKind {
    Projects,
    Users,
    Groups,
    Workbooks,
    Datasources,
    Flows,
    Subscriptions,
    CustomViews,
    VirtualConnections,
    Tasks,
}

impl ListKind {
    pub fn content(self) -> Option<ContentKind> {
        match self {
            Self::Workbooks => Some(ContentKind::Workbook),
            Self::Datasources => Some(ContentKind::Datasource),
            Self::Flows => Some(ContentKind::Flow),
            _ => None,
        }
    }
}

/// Whether a file extension is a zip container.
pub fn is_packaged_ext(ext: &str) -> bool {
    matches!(ext, "twbx" | "tdsx" | "tflx")
}

/// Map a known extension to a static string.
pub fn static_ext(ext: &str) -> Option<&'static str> {
    [
        "twbx", "twb", "tdsx", "tds", "tflx", "tfl", "hyper", "tde", "parquet",
    ]
    .into_iter()
    .find(|e| e.eq_ignore_ascii_case(ext))
}

#[derive(Clone, Debug)]
pub struct SiteInfo {
    pub id: String,
    pub name: String,
    pub content_url: String,
}

#[derive(Clone, Debug)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub description: String,
    pub parent_id: Option<String>,
    pub owner_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub content_permissions: &'static str,
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub name: String,
    pub full_name: String,
    pub email: String,
    pub site_role: &'static str,
    pub auth_setting: &'static str,
    pub last_login: Option<String>,
    pub external_auth_user_id: String,
    pub language: &'static str,
    pub locale: &'static str,
    pub domain: &'static str,
}

#[derive(Clone, Debug)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub domain: &'static str,
    pub minimum_site_role: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct ViewRef {
    pub id: String,
    pub name: String,
    pub content_url: String,
}

/// Where a content item's bytes come from.
#[derive(Clone, Debug)]
pub enum Payload {
    /// Generated on the fly from a key (see `content.rs`).
    Generated { key: u64, key_no_extract: u64 },
    /// Embedded fixture bytes (same with or without extract).
    Static(&'static [u8]),
    /// A published file in the simulator's temp dir (same with or without extract).
    File(Arc<PathBuf>),
}

/// The downloadable file(s) of a content item.
#[derive(Clone, Debug)]
pub struct Files {
    pub ext: &'static str,
    pub size: u64,
    pub ext_no_extract: &'static str,
    pub size_no_extract: u64,
    pub payload: Payload,
}

impl Files {
    pub fn ext(&self, include_extract: bool) -> &'static str {
        if include_extract {
            self.ext
        } else {
            self.ext_no_extract
        }
    }

    pub fn size(&self, include_extract: bool) -> u64 {
        if include_extract {
            self.size
        } else {
            self.size_no_extract
        }
    }
}

/// A workbook, data source or flow.
#[derive(Clone, Debug)]
pub struct ContentItem {
    pub kind: ContentKind,
    pub id: String,
    pub name: String,
    pub description: String,
    pub content_url: String,
    /// Number used in `webpageUrl`.
    pub web_num: u64,
    pub project_id: String,
    pub owner_id: String,
    pub created_at: String,
    pub updated_at: String,
    pub tags: Vec<String>,
    pub has_extracts: bool,
    pub encrypt_extracts: bool,
    /// Workbooks: tabs shown; views (the first is the default view).
    pub show_tabs: bool,
    pub views: Vec<ViewRef>,
    /// Data sources: connection type and certification.
    pub ds_type: &'static str,
    pub is_certified: bool,
    pub certification_note: String,
    pub files: Files,
}

/// A Tableau Cloud inline schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Schedule {
    pub frequency: &'static str,
    pub next_run_at: String,
    pub start: String,
    pub end: Option<String>,
    /// `(attribute, value)` pairs, e.g. `("weekDay", "Monday")`, `("hours", "24")`.
    pub intervals: Vec<(&'static str, String)>,
}

#[derive(Clone, Debug)]
pub struct Subscription {
    pub id: String,
    pub subject: String,
    pub message: String,
    pub attach_image: bool,
    pub attach_pdf: bool,
    pub suspended: bool,
    pub page_orientation: &'static str,
    pub page_size_option: &'static str,
    pub content_id: String,
    pub content_type: &'static str,
    pub send_if_view_empty: bool,
    pub schedule: Schedule,
    pub user_id: String,
    pub user_name: String,
}

#[derive(Clone, Debug)]
pub struct CustomView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
    pub last_accessed_at: String,
    pub shared: bool,
    pub view: ViewRef,
    pub workbook_id: String,
    pub workbook_name: String,
    pub owner_id: String,
    pub owner_name: String,
}

#[derive(Clone, Debug)]
pub struct Task {
    pub id: String,
    pub priority: u32,
    pub consecutive_failed: u32,
    pub task_type: &'static str,
    pub schedule: Schedule,
    /// `("workbook" | "datasource", id)`.
    pub target: (&'static str, String),
}

#[derive(Clone, Debug)]
pub struct VirtualConnection {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
    pub has_extracts: bool,
    pub is_certified: bool,
    pub web_num: u64,
    pub project_id: String,
    pub owner_id: String,
    /// The `content` JSON document, as a string.
    pub content: String,
}

/// What a favorite points at (by list index, resolved when rendering).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FavRef {
    Content(ContentKind, usize),
    /// Workbook index and sheet number.
    View(usize, usize),
    Project(usize),
}

/// Members of a group: an arithmetic walk over the users, or an explicit list.
#[derive(Clone, Debug)]
pub enum Members {
    Walk {
        start: usize,
        step: usize,
        count: usize,
        modulus: usize,
    },
    List(Vec<usize>),
}

impl Members {
    pub fn len(&self) -> usize {
        match self {
            Self::Walk { count, .. } => *count,
            Self::List(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The user index of the `t`-th member.
    pub fn get(&self, t: usize) -> usize {
        match self {
            Self::Walk {
                start, step, modulus, ..
            } => ((*start as u128 + t as u128 * *step as u128) % *modulus as u128) as usize,
            Self::List(v) => v[t],
        }
    }
}
