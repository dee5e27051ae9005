//! One download into the store: streamed frame by frame from Tableau straight
//! into an upload, never buffered whole. Content files, revisions and custom
//! view definitions all come through here.

use http_body_util::BodyExt;
use wstd::http::{Body, Response};

use super::names;
use crate::host::{self, StoreErr, Upload};
use crate::tableau::client::{sleep, Client};
use crate::tableau::http::header;

/// Why a download was not stored.
#[derive(Debug)]
pub enum DownloadError {
    /// This object failed; the run goes on.
    Item(String),
    /// The server answered 404: the object is gone (or never had this part).
    Missing(String),
    /// The store's backend failed: the run cannot be trusted.
    Fatal(String),
}

/// What was stored.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// Run-relative key.
    pub key: String,
    pub size: u64,
    pub sha256: String,
    /// The response's `Content-Type`.
    pub content_type: String,
    /// The file name of its `Content-Disposition`, if any.
    pub filename: Option<String>,
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

/// `GET path` into the store under `key_for(filename, first bytes)`. A transfer
/// that breaks is restarted from scratch (the partial upload is aborted, never
/// glued to the next attempt). `what` names the object in errors (`workbook <id>`).
pub async fn to_store(
    client: &Client,
    endpoint: &str,
    path: &str,
    what: &str,
    key_for: &dyn Fn(Option<&str>, &[u8]) -> String,
) -> Result<Fetched, DownloadError> {
    let mut restarts = 0;
    loop {
        let resp = client
            .get_stream(endpoint, path)
            .await
            .map_err(|e| match e.status() {
                Some(404) => DownloadError::Missing(e.to_string()),
                _ => DownloadError::Item(e.to_string()),
            })?;
        match store_body(resp, key_for).await {
            Ok(stored) => return Ok(stored),
            Err(Attempt::Store(e)) if e.is_backend() => {
                return Err(DownloadError::Fatal(format!("{e} while storing {what}")))
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
                    "{endpoint} for {what}: transfer broke ({m}); restarting in {:.1} s",
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
async fn store_body(
    resp: Response<Body>,
    key_for: &dyn Fn(Option<&str>, &[u8]) -> String,
) -> Result<Fetched, Attempt> {
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

    // The key may depend on the first bytes, so read them before creating the
    // object (one frame: at most 64 KiB).
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
    let key = key_for(filename.as_deref(), &first);

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
    Ok(Fetched {
        key,
        size: info.size,
        sha256: info.sha256,
        content_type,
        filename,
    })
}
