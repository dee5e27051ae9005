//! One HTTP exchange with Tableau: the server URL, request building, timeouts,
//! body reading, and the error type that names the endpoint.

use std::fmt;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use http::Method;
use http_body_util::{BodyExt, Empty};
use serde_json::Value;
use wstd::http::{Body, ErrorCode, Request, Response};

use super::json::TableauError;

/// Largest JSON response accepted (a 1000-item page is a few MB): parsed into a
/// `Value` (several times its size) it must fit the guest's memory, so a bigger
/// page fails its list instead of trapping the whole run.
const MAX_JSON_BYTES: usize = 32 << 20;
/// How much of an error response is read to find Tableau's error block.
const MAX_ERROR_BYTES: usize = 64 << 10;

/// A validated Tableau base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// `scheme://authority[/prefix]`, no trailing slash.
    base: String,
}

impl ServerUrl {
    /// Accepts `https://` anything, or `http://` only for a loopback host (the
    /// shared rule: 127.0.0.0/8, localhost, [::1]); no credentials, query or fragment.
    pub fn parse(raw: &str) -> Result<ServerUrl, String> {
        let raw = raw.trim();
        if raw.contains('#') {
            return Err(format!("server URL {raw:?} must not have a fragment"));
        }
        let uri: http::Uri = raw
            .parse()
            .map_err(|e| format!("server URL {raw:?} is not a valid URL: {e}"))?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| format!("server URL {raw:?} needs https://"))?
            .to_ascii_lowercase();
        let authority = uri
            .authority()
            .ok_or_else(|| format!("server URL {raw:?} has no host"))?;
        if authority.as_str().contains('@') {
            return Err("server URL must not contain credentials".to_string());
        }
        let host = authority.host().to_ascii_lowercase();
        if host.is_empty() {
            return Err(format!("server URL {raw:?} has no host"));
        }
        match scheme.as_str() {
            "https" => {}
            "http" if tableau_backup_model::loopback::is_loopback_host(&host) => {}
            "http" => {
                return Err(format!(
                    "server URL {raw:?} uses http://, which is only allowed to loopback \
                     (127.0.0.0/8, localhost, [::1]); use https://"
                ))
            }
            other => return Err(format!("server URL {raw:?} has unsupported scheme {other:?}")),
        }
        if uri.query().is_some() {
            return Err(format!("server URL {raw:?} must not have a query"));
        }
        let prefix = uri.path().trim_end_matches('/');
        Ok(ServerUrl {
            base: format!("{scheme}://{}{prefix}", authority.as_str()),
        })
    }

    /// Full URL for an absolute path (`/api/3.24/...`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn as_str(&self) -> &str {
        &self.base
    }
}

/// Per-request timeouts, in milliseconds; 0 leaves the host's default.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timeouts {
    pub connect_ms: u32,
    pub first_byte_ms: u32,
    pub between_bytes_ms: u32,
}

/// A request body. Not `Debug`: the sign-in body holds the PAT secret.
#[derive(Clone)]
pub enum ReqBody {
    /// No body. Sent as `http_body_util::Empty`: wstd's `Body::empty()` writes a
    /// zero-length chunk that races with the host dropping a GET's body.
    Empty,
    Json(Vec<u8>),
    /// Any other body (a `multipart/mixed` publish or append), held so that a
    /// request Tableau refused with 401 or 429 can be sent again.
    Raw {
        content_type: String,
        bytes: Bytes,
    },
}

/// Why a request got no response at all.
#[derive(Debug)]
pub enum SendError {
    /// The host refused the outbound request (allow-list): never retried.
    Denied(String),
    /// Our request could not be built or was rejected as malformed: never retried.
    Invalid(String),
    /// DNS, connect, TLS, timeouts, resets: retried.
    Network(String),
}

/// Sends requests to one Tableau server with the job's timeouts.
pub struct Http {
    server: ServerUrl,
    client: wstd::http::Client,
    user_agent: String,
}

impl Http {
    pub fn new(server: ServerUrl, timeouts: Timeouts, tool_version: &str) -> Http {
        let mut client = wstd::http::Client::new();
        let ms = |v: u32| wstd::time::Duration::from_millis(u64::from(v));
        if timeouts.connect_ms > 0 {
            client.set_connect_timeout(ms(timeouts.connect_ms));
        }
        if timeouts.first_byte_ms > 0 {
            client.set_first_byte_timeout(ms(timeouts.first_byte_ms));
        }
        if timeouts.between_bytes_ms > 0 {
            client.set_between_bytes_timeout(ms(timeouts.between_bytes_ms));
        }
        Http {
            server,
            client,
            user_agent: format!("tableau-backup/{tool_version}"),
        }
    }

    pub fn server(&self) -> &ServerUrl {
        &self.server
    }

    /// Sends one request; `path` is absolute (`/api/..`). `token` goes into
    /// `X-Tableau-Auth`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &ReqBody,
    ) -> Result<Response<Body>, SendError> {
        let mut builder = Request::builder()
            .method(method)
            .uri(self.server.url(path))
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, self.user_agent.as_str());
        if let Some(token) = token {
            builder = builder.header("X-Tableau-Auth", token);
        }
        let body = match body {
            ReqBody::Empty => Body::from_http_body(Empty::<Bytes>::new()),
            ReqBody::Json(bytes) => {
                builder = builder
                    .header(CONTENT_TYPE, "application/json")
                    .header(CONTENT_LENGTH, bytes.len());
                Body::from(bytes.clone())
            }
            ReqBody::Raw { content_type, bytes } => {
                builder = builder
                    .header(CONTENT_TYPE, content_type.as_str())
                    .header(CONTENT_LENGTH, bytes.len());
                Body::from(bytes.clone())
            }
        };
        // The token is in a header: never put the builder's error text (which
        // could echo a header value) into a message.
        let request = builder
            .body(body)
            .map_err(|_| SendError::Invalid(format!("cannot build a request for {path}")))?;
        self.client.send(request).await.map_err(classify_send_error)
    }
}

fn classify_send_error(err: wstd::http::Error) -> SendError {
    match err.downcast_ref::<ErrorCode>() {
        Some(ErrorCode::HttpRequestDenied) | Some(ErrorCode::DestinationIpProhibited) => {
            SendError::Denied(describe_error_code(err.downcast_ref::<ErrorCode>()))
        }
        Some(
            code @ (ErrorCode::HttpRequestUriInvalid
            | ErrorCode::HttpRequestUriTooLong
            | ErrorCode::HttpRequestMethodInvalid
            | ErrorCode::HttpRequestHeaderSize(_)
            | ErrorCode::HttpRequestHeaderSectionSize(_)
            | ErrorCode::TlsCertificateError),
        ) => SendError::Invalid(describe_error_code(Some(code))),
        Some(code) => SendError::Network(describe_error_code(Some(code))),
        // wstd's own message when the host rejects a timeout option: retrying is futile.
        None if format!("{err}").contains("does not support") => SendError::Invalid(format!("{err:#}")),
        None => SendError::Network(format!("{err:#}")),
    }
}

fn describe_error_code(code: Option<&ErrorCode>) -> String {
    let Some(code) = code else {
        return "request failed".to_string();
    };
    match code {
        ErrorCode::HttpRequestDenied => "the host does not allow this request".into(),
        ErrorCode::DestinationIpProhibited => "the host does not allow this destination".into(),
        ErrorCode::DnsTimeout => "DNS lookup timed out".into(),
        ErrorCode::DnsError(e) => format!(
            "DNS error{}",
            e.rcode.as_deref().map(|r| format!(" ({r})")).unwrap_or_default()
        ),
        ErrorCode::DestinationNotFound => "host not found".into(),
        ErrorCode::DestinationUnavailable => "host unavailable".into(),
        ErrorCode::DestinationIpUnroutable => "host unroutable".into(),
        ErrorCode::ConnectionRefused => "connection refused".into(),
        ErrorCode::ConnectionTerminated => "connection terminated".into(),
        ErrorCode::ConnectionTimeout => "connect timed out".into(),
        ErrorCode::ConnectionReadTimeout => "read timed out".into(),
        ErrorCode::ConnectionWriteTimeout => "write timed out".into(),
        ErrorCode::ConnectionLimitReached => "connection limit reached".into(),
        ErrorCode::TlsProtocolError => "TLS protocol error".into(),
        ErrorCode::TlsCertificateError => "TLS certificate rejected".into(),
        ErrorCode::TlsAlertReceived(_) => "TLS alert received".into(),
        ErrorCode::HttpResponseTimeout => "timed out waiting for the response".into(),
        ErrorCode::HttpResponseIncomplete => "incomplete response".into(),
        ErrorCode::HttpProtocolError => "HTTP protocol error".into(),
        ErrorCode::InternalError(Some(m)) => format!("internal error: {m}"),
        other => format!("{other:?}"),
    }
}

/// Why an endpoint failed, naming it (`GET workbooks/{id}/content`).
#[derive(Debug, Clone)]
pub struct ApiError {
    pub endpoint: String,
    pub kind: ApiErrorKind,
}

#[derive(Debug, Clone)]
pub enum ApiErrorKind {
    /// A non-success status that was not (or no longer) worth retrying.
    Status {
        status: u16,
        error: Option<TableauError>,
        note: Option<String>,
    },
    /// No usable response: connection failures, timeouts, broken bodies.
    Network(String),
    /// The host refused the request.
    Denied(String),
    /// The response could not be understood (not JSON, HTML, malformed).
    Protocol(String),
}

impl ApiError {
    pub fn new(endpoint: &str, kind: ApiErrorKind) -> ApiError {
        ApiError {
            endpoint: endpoint.to_string(),
            kind,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            ApiErrorKind::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Tableau's error code (`400006`), when the body had one.
    pub fn code(&self) -> Option<&str> {
        match &self.kind {
            ApiErrorKind::Status {
                error: Some(TableauError { code: Some(c), .. }),
                ..
            } => Some(c),
            _ => None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ep = &self.endpoint;
        match &self.kind {
            ApiErrorKind::Status { status, error, note } => {
                write!(f, "HTTP {status}")?;
                if let Some(code) = error.as_ref().and_then(|e| e.code.as_deref()) {
                    write!(f, " ({code})")?;
                }
                write!(f, " from {ep}")?;
                if let Some(msg) = error.as_ref().and_then(TableauError::message) {
                    write!(f, ": {msg}")?;
                }
                if let Some(note) = note {
                    write!(f, " ({note})")?;
                }
                Ok(())
            }
            ApiErrorKind::Network(m) => write!(f, "{ep} failed: {m}"),
            ApiErrorKind::Denied(m) => write!(f, "{ep} refused by the host: {m}"),
            ApiErrorKind::Protocol(m) => write!(f, "unexpected response from {ep}: {m}"),
        }
    }
}

/// Why reading a response body failed.
#[derive(Debug)]
pub enum ReadError {
    /// The transfer broke (reset, timeout): worth another attempt.
    Broken(String),
    /// The bytes arrived but are unusable: not worth another attempt.
    Protocol(String),
}

/// A response header as text (lossy, so non-ASCII file names survive).
pub fn header(resp: &Response<Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Reads a whole (small) body, failing once it exceeds `cap` bytes.
pub async fn read_capped(resp: Response<Body>, cap: usize) -> Result<Vec<u8>, ReadError> {
    let declared = resp.body().content_length();
    if declared.is_some_and(|n| n > cap as u64) {
        return Err(ReadError::Protocol(too_large(cap)));
    }
    let mut body = resp.into_body().into_boxed_body();
    let mut out = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ReadError::Broken(format!("{e:#}")))?;
        if let Ok(data) = frame.into_data() {
            if out.len().saturating_add(data.len()) > cap {
                return Err(ReadError::Protocol(too_large(cap)));
            }
            out.extend_from_slice(&data);
        }
    }
    if let Some(n) = declared {
        if (out.len() as u64) < n {
            return Err(ReadError::Broken(format!(
                "body ended after {} of {n} bytes",
                out.len()
            )));
        }
    }
    Ok(out)
}

fn too_large(cap: usize) -> String {
    format!("response larger than {} MiB, refused before parsing", cap >> 20)
}

/// Reads the start of an error response, for Tableau's error block.
pub async fn read_error_body(resp: Response<Body>) -> Vec<u8> {
    let mut body = resp.into_body().into_boxed_body();
    let mut out = Vec::new();
    while let Some(Ok(frame)) = body.frame().await {
        if let Ok(data) = frame.into_data() {
            let room = MAX_ERROR_BYTES.saturating_sub(out.len());
            out.extend_from_slice(&data[..data.len().min(room)]);
            if out.len() >= MAX_ERROR_BYTES {
                break;
            }
        }
    }
    out
}

/// Reads and parses a JSON response, refusing HTML/XML and malformed JSON.
pub async fn read_json(resp: Response<Body>) -> Result<Value, ReadError> {
    let content_type = header(&resp, "content-type").unwrap_or_default();
    let bytes = read_capped(resp, MAX_JSON_BYTES).await?;
    parse_json(&content_type, &bytes).map_err(ReadError::Protocol)
}

/// Parses a JSON body; the error says what came instead (never the body itself).
pub fn parse_json(content_type: &str, bytes: &[u8]) -> Result<Value, String> {
    let ct = content_type.to_ascii_lowercase();
    let looks_like_markup = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'<');
    if ct.contains("html") || ct.contains("xml") || looks_like_markup {
        let what = if ct.is_empty() {
            "markup".to_string()
        } else {
            ct.clone()
        };
        return Err(format!("expected JSON but got {what}"));
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("malformed JSON ({e})"))?;
    if !value.is_object() {
        return Err("expected a JSON object".to_string());
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls() {
        let ok = |s: &str| ServerUrl::parse(s).map(|u| u.as_str().to_string());
        assert_eq!(
            ok("https://10ay.online.tableau.com").unwrap(),
            "https://10ay.online.tableau.com"
        );
        assert_eq!(ok("https://tab.example.com/").unwrap(), "https://tab.example.com");
        assert_eq!(
            ok("https://x.example/tableau/").unwrap(),
            "https://x.example/tableau"
        );
        assert_eq!(ok("http://127.0.0.1:8080").unwrap(), "http://127.0.0.1:8080");
        assert_eq!(ok("http://localhost:1").unwrap(), "http://localhost:1");
        assert_eq!(ok("http://[::1]:9000").unwrap(), "http://[::1]:9000");
        assert!(ok("http://10ay.online.tableau.com").is_err());
        assert_eq!(ok("http://127.0.0.2").unwrap(), "http://127.0.0.2");
        assert!(ok("http://128.0.0.1").is_err());
        assert!(ok("ftp://x").is_err());
        assert!(ok("10ay.online.tableau.com").is_err());
        assert!(ok("https://user:pw@x.example").is_err());
        assert!(ok("https://x.example/?a=b").is_err());
        assert!(ok("").is_err());
        let u = ServerUrl::parse("http://127.0.0.1:5/").unwrap();
        assert_eq!(
            u.url("/api/3.24/serverinfo"),
            "http://127.0.0.1:5/api/3.24/serverinfo"
        );
    }

    #[test]
    fn json_bodies() {
        assert!(parse_json("application/json", br#"{"a":1}"#).is_ok());
        assert!(parse_json("", br#"{"a":1}"#).is_ok());
        assert!(parse_json("application/json", b"\xEF\xBB\xBF{}").is_ok());
        assert!(parse_json("text/html", b"<html></html>")
            .unwrap_err()
            .contains("text/html"));
        assert!(parse_json("", b"  <tsResponse/>").is_err());
        assert!(parse_json("application/json", b"{\"a\":")
            .unwrap_err()
            .contains("malformed"));
        assert!(parse_json("application/json", b"[1]").is_err());
    }

    #[test]
    fn error_messages_name_the_endpoint() {
        let e = ApiError::new(
            "GET workbooks/{id}/content",
            ApiErrorKind::Status {
                status: 404,
                error: Some(TableauError {
                    code: Some("404006".into()),
                    summary: Some("Resource not found".into()),
                    detail: None,
                }),
                note: None,
            },
        );
        assert_eq!(
            e.to_string(),
            "HTTP 404 (404006) from GET workbooks/{id}/content: Resource not found"
        );
        assert_eq!(e.code(), Some("404006"));
        assert_eq!(e.status(), Some(404));
    }
}
