//! Publishing one content file from the store: a single `multipart/mixed`
//! request for small files, an upload session (`fileUploads`, appends of a few
//! MB read from the store one at a time) for the rest, so no file is held
//! whole. The bytes are hashed as they are read; a file that does not match
//! the manifest is never committed.

use bytes::Bytes;
use http::Method;
use serde_json::Value;

use crate::backup::content::ContentKind;
use crate::host::Reader;
use crate::tableau::client::{sleep, Client};
use crate::tableau::http::ReqBody;
use crate::tableau::json::{lenient_string, string_at};
use crate::tableau::path_segment;

/// Files up to this size go in one request, read and checked before it is sent.
pub const SINGLE_MAX: u64 = 8 << 20;
/// Bytes per append of an upload session.
pub const CHUNK: usize = 5 << 20;
/// How long a publish job may run before the restore stops waiting.
const JOB_WAIT_SECS: u64 = 3600;

const BOUNDARY: &str = "tableau-backup-restore-8d6f0c1e4b2a";

/// An upload session id in a path: `:` is a legal path character and Tableau's
/// ids (`7720:170fe6...-1:0`) are sent with it as is, like TSC does.
fn session_segment(id: &str) -> String {
    path_segment(id).replace("%3A", ":")
}

/// What to publish and where from.
pub struct Publish<'a> {
    pub kind: ContentKind,
    /// Destination-relative store key.
    pub key: String,
    pub size: u64,
    pub sha256: String,
    /// `twbx`, `tds`...
    pub ext: String,
    /// `{"workbook": {...}}`.
    pub payload: &'a Value,
    pub name: &'a str,
    pub overwrite: bool,
}

/// The query parameter naming the file type, and the file part's name.
fn names(kind: ContentKind) -> (&'static str, &'static str) {
    match kind {
        ContentKind::Workbook => ("workbookType", "tableau_workbook"),
        ContentKind::Datasource => ("datasourceType", "tableau_datasource"),
        ContentKind::Flow => ("flowType", "tableau_flow"),
    }
}

/// A file name safe in a header: the item's name in ASCII, and the extension.
fn filename(name: &str, ext: &str) -> String {
    let base: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " -_.()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let base = base.trim_matches(|c: char| c == ' ' || c == '.');
    format!("{}.{ext}", if base.is_empty() { "file" } else { base })
}

pub fn part(out: &mut Vec<u8>, name: &str, filename: Option<&str>, content_type: &str, body: &[u8]) {
    out.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: name=\"{name}\"").as_bytes());
    if let Some(f) = filename {
        out.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
    }
    out.extend_from_slice(format!("\r\nContent-Type: {content_type}\r\n\r\n").as_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(b"\r\n");
}

pub fn multipart(parts: impl FnOnce(&mut Vec<u8>)) -> ReqBody {
    let mut out = Vec::new();
    parts(&mut out);
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    ReqBody::Raw {
        content_type: format!("multipart/mixed; boundary={BOUNDARY}"),
        bytes: Bytes::from(out),
    }
}

fn mismatch(p: &Publish, size: u64, sha256: &str) -> Option<String> {
    (size != p.size || sha256 != p.sha256).then(|| {
        format!(
            "the stored file {} does not match the manifest ({size} bytes, SHA-256 {sha256}; \
             the manifest says {} bytes, {}): not published",
            p.key, p.size, p.sha256
        )
    })
}

/// Publishes the file; returns the new (or overwritten) item's id.
pub async fn publish(client: &Client, p: &Publish<'_>) -> Result<String, String> {
    let (type_param, part_name) = names(p.kind);
    let (segment, _) = p.kind.wrapper();
    let payload = serde_json::to_vec(p.payload).map_err(|e| e.to_string())?;
    let mut reader = Reader::open(&p.key).map_err(|e| format!("cannot open {}: {e}", p.key))?;
    let endpoint = format!("POST {segment}");
    let query = format!("{type_param}={}&overwrite={}", p.ext, p.overwrite);
    let resp = if p.size <= SINGLE_MAX {
        let bytes = reader.read_rest(p.size).await.map_err(|e| e.to_string())?;
        let (size, sha) = reader.finish();
        if let Some(m) = mismatch(p, size, &sha) {
            return Err(m);
        }
        let fname = filename(p.name, &p.ext);
        let body = multipart(|out| {
            part(out, "request_payload", None, "application/json", &payload);
            part(out, part_name, Some(&fname), "application/octet-stream", &bytes);
        });
        client
            .write(
                &endpoint,
                Method::POST,
                &format!("{segment}?{query}"),
                &body,
                false,
            )
            .await
            .map_err(|e| e.to_string())?
    } else {
        let session = upload(client, reader, p).await?;
        let body = multipart(|out| part(out, "request_payload", None, "application/json", &payload));
        let rest = format!(
            "{segment}?{query}&uploadSessionId={}&asJob=true",
            session_segment(&session)
        );
        client
            .write(&endpoint, Method::POST, &rest, &body, false)
            .await
            .map_err(|e| e.to_string())?
    };
    let (_, singular) = p.kind.wrapper();
    if let Some(job) = resp.get("job") {
        let id = string_at(job, &["id"]);
        return wait_for_job(client, &id, singular).await;
    }
    let id = string_at(&resp, &[singular, "id"]);
    if id.is_empty() {
        return Err(format!("{endpoint} answered without a {singular} id"));
    }
    Ok(id)
}

/// Streams the file into an upload session, checking it against the manifest
/// before returning the session id.
async fn upload(client: &Client, mut reader: Reader, p: &Publish<'_>) -> Result<String, String> {
    let resp = client
        .write(
            "POST fileUploads",
            Method::POST,
            "fileUploads",
            &ReqBody::Empty,
            false,
        )
        .await
        .map_err(|e| e.to_string())?;
    let session = string_at(&resp, &["fileUpload", "uploadSessionId"]);
    if session.is_empty() {
        return Err("POST fileUploads answered without an uploadSessionId".to_string());
    }
    let rest = format!("fileUploads/{}", session_segment(&session));
    loop {
        let chunk = reader.chunk(CHUNK).await.map_err(|e| e.to_string())?;
        if chunk.is_empty() {
            break;
        }
        if reader.bytes_read() > p.size {
            return Err(format!(
                "{} is larger than the manifest says ({} bytes)",
                p.key, p.size
            ));
        }
        let body = multipart(|out| {
            part(out, "request_payload", None, "text/xml", b"");
            part(
                out,
                "tableau_file",
                Some("file"),
                "application/octet-stream",
                &chunk,
            );
        });
        // An append is not idempotent: a failed one fails the item (a re-run publishes it).
        client
            .write("PUT fileUploads/{id}", Method::PUT, &rest, &body, false)
            .await
            .map_err(|e| e.to_string())?;
    }
    let (size, sha) = reader.finish();
    if let Some(m) = mismatch(p, size, &sha) {
        return Err(m);
    }
    Ok(session)
}

/// Polls a publish job until it ends; its item's id on success.
async fn wait_for_job(client: &Client, id: &str, singular: &str) -> Result<String, String> {
    if id.is_empty() {
        return Err("the publish job has no id".to_string());
    }
    let rest = format!("jobs/{}", path_segment(id));
    let started = std::time::Instant::now();
    let mut wait = std::time::Duration::from_millis(200);
    loop {
        let resp = client
            .get_json("GET jobs/{id}", &rest)
            .await
            .map_err(|e| e.to_string())?;
        let job = resp.get("job").cloned().unwrap_or(Value::Null);
        let completed = string_at(&job, &["completedAt"]);
        if !completed.is_empty() {
            let code = job.get("finishCode").and_then(lenient_string).unwrap_or_default();
            if code != "0" {
                let notes = string_at(&job, &["notes"]);
                return Err(format!(
                    "the publish job {id} ended with finishCode {code} {notes}"
                ));
            }
            let item = string_at(&job, &[singular, "id"]);
            if item.is_empty() {
                return Err(format!(
                    "the publish job {id} finished without naming its {singular}"
                ));
            }
            return Ok(item);
        }
        if started.elapsed().as_secs() > JOB_WAIT_SECS {
            return Err(format!(
                "the publish job {id} did not finish within {JOB_WAIT_SECS} s"
            ));
        }
        sleep(wait).await;
        wait = (wait * 2).min(std::time::Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_in_headers_are_plain_ascii() {
        assert_eq!(filename("Sales \"Q1\"\r\n/..", "twbx"), "Sales _Q1____.twbx");
        assert_eq!(filename("", "tds"), "file.tds");
        assert_eq!(filename("Ümsatz", "tfl"), "_msatz.tfl");
    }
}
