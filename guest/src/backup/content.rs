//! Content files (workbooks, data sources, flows): what to download and under
//! which key; the bytes stream through [`fetch`].

use serde_json::Value;

use super::fetch::{self, DownloadError};
use super::names;
use crate::tableau::client::Client;
use crate::tableau::json::string_at;
use crate::tableau::path_segment;
use tableau_backup_model::manifest::{self, ItemKind};
use tableau_backup_model::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContentKind {
    Workbook,
    Datasource,
    Flow,
}

impl ContentKind {
    pub fn kind(self) -> Kind {
        match self {
            ContentKind::Workbook => Kind::Workbooks,
            ContentKind::Datasource => Kind::Datasources,
            ContentKind::Flow => Kind::Flows,
        }
    }

    /// The manifest's item kind.
    pub fn manifest_kind(self) -> ItemKind {
        match self {
            ContentKind::Workbook => ItemKind::Workbook,
            ContentKind::Datasource => ItemKind::Datasource,
            ContentKind::Flow => ItemKind::Flow,
        }
    }

    /// Folder in the run for the files.
    pub fn folder(self) -> &'static str {
        match self {
            ContentKind::Workbook => "workbooks",
            ContentKind::Datasource => "published_data_sources",
            ContentKind::Flow => "prep_flows",
        }
    }

    /// The list's JSON wrapper; the outer name is also the URL segment.
    pub fn wrapper(self) -> (&'static str, &'static str) {
        match self {
            ContentKind::Workbook => ("workbooks", "workbook"),
            ContentKind::Datasource => ("datasources", "datasource"),
            ContentKind::Flow => ("flows", "flow"),
        }
    }

    /// (plain XML, packaged zip) extensions.
    fn extensions(self) -> (&'static str, &'static str) {
        match self {
            ContentKind::Workbook => ("twb", "twbx"),
            ContentKind::Datasource => ("tds", "tdsx"),
            ContentKind::Flow => ("tfl", "tflx"),
        }
    }

    /// Flows have no `includeExtract` parameter.
    fn takes_include_extract(self) -> bool {
        !matches!(self, ContentKind::Flow)
    }
}

/// A content object to download, from its list entry.
#[derive(Debug, Clone)]
pub struct ContentItem {
    pub kind: ContentKind,
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub updated_at: String,
}

impl ContentItem {
    pub fn from_json(kind: ContentKind, v: &Value) -> ContentItem {
        ContentItem {
            kind,
            id: string_at(v, &["id"]),
            name: string_at(v, &["name"]),
            project_id: string_at(v, &["project", "id"]),
            updated_at: string_at(v, &["updatedAt"]),
        }
    }
}

/// The file extension: the server's file name if it names one of this kind's
/// extensions, else sniffed from the first bytes (zip = packaged).
pub fn choose_extension(kind: ContentKind, filename: Option<&str>, first: &[u8]) -> &'static str {
    let (plain, packaged) = kind.extensions();
    match filename.and_then(names::extension) {
        Some(ext) if ext == plain => plain,
        Some(ext) if ext == packaged => packaged,
        _ if names::is_zip(first) => packaged,
        _ => plain,
    }
}

/// Downloads one item into the store (see [`fetch::to_store`]).
pub async fn download(
    client: &Client,
    item: &ContentItem,
    include_extracts: bool,
) -> Result<manifest::Item, DownloadError> {
    let (segment, _) = item.kind.wrapper();
    let endpoint = format!("GET {segment}/{{id}}/content");
    let mut path = format!("{segment}/{}/content", path_segment(&item.id));
    if item.kind.takes_include_extract() {
        path.push_str(if include_extracts {
            "?includeExtract=true"
        } else {
            "?includeExtract=false"
        });
    }
    let what = format!("{} {}", item.kind.manifest_kind(), item.id);
    let key_for = |filename: Option<&str>, first: &[u8]| {
        let ext = choose_extension(item.kind, filename, first);
        names::content_key(item.kind.folder(), &item.id, &item.name, ext)
    };
    // A listed item whose file is gone is a failure: its bytes are not in the backup.
    let got = fetch::to_store(client, &endpoint, &path, &what, &key_for)
        .await
        .map_err(|e| match e {
            DownloadError::Missing(m) => DownloadError::Item(m),
            e => e,
        })?;
    Ok(manifest::Item {
        kind: item.kind.manifest_kind(),
        id: item.id.clone(),
        name: item.name.clone(),
        project_id: item.project_id.clone(),
        updated_at: item.updated_at.clone(),
        key: got.key,
        size: got.size,
        sha256: got.sha256,
        content_type: got.content_type,
        filename: got.filename,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions() {
        let wb = ContentKind::Workbook;
        assert_eq!(choose_extension(wb, Some("Superstore.twbx"), b"<?xml"), "twbx");
        assert_eq!(choose_extension(wb, Some("Superstore.TWB"), b"PK\x03\x04"), "twb");
        assert_eq!(choose_extension(wb, None, b"PK\x03\x04...."), "twbx");
        assert_eq!(choose_extension(wb, None, b"<?xml version='1.0'"), "twb");
        // A file name with a foreign extension is not trusted.
        assert_eq!(choose_extension(wb, Some("x.exe"), b"<?xml"), "twb");
        assert_eq!(
            choose_extension(ContentKind::Datasource, None, b"PK\x03\x04"),
            "tdsx"
        );
        assert_eq!(choose_extension(ContentKind::Flow, Some("f.tfl"), b"{}"), "tfl");
    }

    #[test]
    fn items_from_lists() {
        let v = serde_json::json!({"id":"w1","name":"Sales","project":{"id":"p1"},"updatedAt":"2024-01-01T00:00:00Z"});
        let item = ContentItem::from_json(ContentKind::Workbook, &v);
        assert_eq!(item.project_id, "p1");
        assert_eq!(item.updated_at, "2024-01-01T00:00:00Z");
    }
}
