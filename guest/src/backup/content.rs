//! Content files (workbooks, data sources, flows): streamed frame by frame from
//! Tableau straight into the store, never buffered whole.

use http_body_util::BodyExt;
use serde_json::Value;
use wstd::http::{Body, Response};

use super::names;
use crate::host::{self, StoreErr, Upload};
use crate::tableau::client::{sleep, Client};
use crate::tableau::http::header;
use crate::tableau::json::string_at;
use crate::tableau::path_segment;
use tableau_backup_model::manifest::{self, ItemKind};
use tableau_backup_model::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// Why an item was not stored.
#[derive(Debug)]
pub enum DownloadError {
    /// This item failed; the run goes on.
    Item(String),
    /// The store's backend failed: the run cannot be trusted.
    Fatal(String),
}

/// Why one attempt failed.
enum Attempt {
    /// The transfer broke midway: start over with a fresh upload.
    Broken(String),
    /// The server sent an empty file; asking again would not help.
    Empty,
    /// The server sent a web page instead of a file (a proxy or login page).
    NotAFile(String),
    Store(StoreErr),
}

/// Downloads one item into the store. A transfer that breaks is restarted from
/// scratch (the partial upload is aborted, never glued to the next attempt).
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
    let mut restarts = 0;
    loop {
        let resp = client
            .get_stream(&endpoint, &path)
            .await
            .map_err(|e| DownloadError::Item(e.to_string()))?;
        match store_body(item, resp).await {
            Ok(stored) => return Ok(stored),
            Err(Attempt::Store(e)) if e.is_backend() => {
                return Err(DownloadError::Fatal(format!(
                    "{e} while storing {} {}",
                    item.kind.manifest_kind(),
                    item.id
                )))
            }
            Err(Attempt::Store(e)) => return Err(DownloadError::Item(e.to_string())),
            Err(Attempt::Empty) => {
                return Err(DownloadError::Item(format!("{endpoint} returned an empty file")))
            }
            Err(Attempt::NotAFile(ct)) => {
                return Err(DownloadError::Item(format!(
                    "{endpoint} returned {ct} instead of a file"
                )))
            }
            Err(Attempt::Broken(m)) if restarts < client.policy().max_retries => {
                let wait = client.backoff(restarts);
                restarts += 1;
                host::debug(format!(
                    "{endpoint} for {}: transfer broke ({m}); restarting in {:.1} s",
                    item.id,
                    wait.as_secs_f64()
                ));
                sleep(wait).await;
            }
            Err(Attempt::Broken(m)) => {
                return Err(DownloadError::Item(format!(
                    "{endpoint}: transfer broke: {m} (after {} attempts)",
                    restarts + 1
                )))
            }
        }
    }
}

/// One attempt: picks the key from the response, then copies frame by frame.
async fn store_body(item: &ContentItem, resp: Response<Body>) -> Result<manifest::Item, Attempt> {
    let filename = header(&resp, "content-disposition").and_then(|h| names::disposition_filename(&h));
    let content_type = header(&resp, "content-type")
        .map(|ct| ct.trim().to_string())
        .filter(|ct| !ct.is_empty())
        .unwrap_or_else(|| "application/octet-stream".to_string());
    if content_type.to_ascii_lowercase().starts_with("text/html") {
        return Err(Attempt::NotAFile(content_type));
    }
    let declared = resp.body().content_length();
    let mut body = resp.into_body().into_boxed_body();

    // The extension may depend on the first bytes, so read them before creating
    // the object (one frame: at most 64 KiB).
    let first = loop {
        match body.frame().await {
            None => return Err(Attempt::Empty),
            Some(Err(e)) => return Err(Attempt::Broken(format!("{e:#}"))),
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) if !data.is_empty() => break data,
                _ => continue,
            },
        }
    };
    let ext = choose_extension(item.kind, filename.as_deref(), &first);
    let key = names::content_key(item.kind.folder(), &item.id, &item.name, ext);

    // Dropping `upload` on any early return aborts it.
    let mut upload = Upload::create(&key, &content_type).map_err(Attempt::Store)?;
    upload.write(&first).await.map_err(Attempt::Store)?;
    let mut received = first.len() as u64;
    drop(first);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| Attempt::Broken(format!("{e:#}")))?;
        if let Ok(data) = frame.into_data() {
            received += data.len() as u64;
            upload.write(&data).await.map_err(Attempt::Store)?;
        }
    }
    if let Some(expected) = declared {
        if received < expected {
            return Err(Attempt::Broken(format!(
                "body ended after {received} of {expected} bytes"
            )));
        }
    }
    let info = upload.finish().await.map_err(Attempt::Store)?;
    Ok(manifest::Item {
        kind: item.kind.manifest_kind(),
        id: item.id.clone(),
        name: item.name.clone(),
        project_id: item.project_id.clone(),
        updated_at: item.updated_at.clone(),
        key,
        size: info.size,
        sha256: info.sha256,
        content_type,
        filename,
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
