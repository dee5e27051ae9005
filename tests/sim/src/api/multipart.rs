//! Request bodies: reading with a size cap, and `multipart/mixed` parsing.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use memchr::memmem;

/// Bodies left unread by a handler are drained in the background up to this many bytes;
/// past it the connection is given up (hyper closes it after the response).
const DRAIN_CAP: u64 = 1 << 30;

/// A request body. When a handler drops it unread (most endpoints ignore the body, and
/// error paths return before reading it), the rest is drained in the background, so the
/// response is followed by a clean keep-alive connection. Without this, hyper closes the
/// connection when the body has not fully arrived yet, e.g. a sign-out sent with an
/// empty `Transfer-Encoding: chunked` body whose last chunk comes after the headers
/// (hyper clients streaming a body, wasi:http), and the client sees
/// "connection closed before message completed".
pub(crate) struct ReqBody {
    inner: Option<Incoming>,
    /// `Expect: 100-continue` without a read: the client must not send the body.
    drain: bool,
}

impl ReqBody {
    pub(crate) fn new(inner: Incoming, drain: bool) -> Self {
        Self {
            inner: Some(inner),
            drain,
        }
    }
}

impl Body for ReqBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        match self.get_mut().inner.as_mut() {
            Some(b) => Pin::new(b).poll_frame(cx),
            None => Poll::Ready(None),
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

impl Drop for ReqBody {
    fn drop(&mut self) {
        let Some(mut body) = self.inner.take() else {
            return;
        };
        if !self.drain || body.is_end_stream() {
            return;
        }
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        rt.spawn(async move {
            let mut total = 0u64;
            while let Some(Ok(frame)) = body.frame().await {
                if let Ok(d) = frame.into_data() {
                    total += d.len() as u64;
                    if total > DRAIN_CAP {
                        return;
                    }
                }
            }
        });
    }
}

/// The body was larger than the cap (it was read to the end and discarded).
#[derive(Debug)]
pub(crate) struct TooLarge;

/// Read a body of at most `cap` bytes. A larger body is drained (so the client can read
/// the error response) and reported. Connection errors count as too large.
pub(crate) async fn read_body(mut body: ReqBody, cap: u64) -> Result<Bytes, TooLarge> {
    let mut buf = BytesMut::new();
    let mut total = 0u64;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(TooLarge);
        };
        if let Ok(data) = frame.into_data() {
            total += data.len() as u64;
            if total <= cap {
                buf.extend_from_slice(&data);
            } else if total > cap + (1 << 30) {
                // Stop draining absurd bodies; the connection closes.
                body.drain = false;
                return Err(TooLarge);
            } else {
                buf = BytesMut::new();
            }
        }
    }
    if total > cap {
        Err(TooLarge)
    } else {
        Ok(buf.freeze())
    }
}

#[derive(Debug)]
pub(crate) struct Part {
    pub name: String,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub body: Bytes,
}

/// The boundary of a `multipart/*` content type, and whether it is `multipart/mixed`.
pub(crate) fn boundary(content_type: &str) -> Option<(String, bool)> {
    let lower = content_type.to_ascii_lowercase();
    if !lower.starts_with("multipart/") {
        return None;
    }
    let mixed = lower.starts_with("multipart/mixed");
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| (v.trim().trim_matches('"').to_string(), mixed))
    })
}

/// Split a multipart body into parts (part bodies are zero-copy slices).
pub(crate) fn parse(body: &Bytes, boundary: &str) -> Result<Vec<Part>, String> {
    let delim = format!("--{boundary}");
    let next_delim = format!("\r\n--{boundary}");
    let d = delim.as_bytes();
    let mut pos = memmem::find(body, d).ok_or("no multipart boundary in the body")? + d.len();
    let mut parts = Vec::new();
    loop {
        let rest = &body[pos..];
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        let rest_start = pos + if rest.starts_with(b"\r\n") { 2 } else { 0 };
        let head_end = memmem::find(&body[rest_start..], b"\r\n\r\n")
            .ok_or("multipart part without a header end")?
            + rest_start;
        let headers = std::str::from_utf8(&body[rest_start..head_end])
            .map_err(|_| "multipart headers are not UTF-8")?;
        let data_start = head_end + 4;
        let data_end = memmem::find(&body[data_start..], next_delim.as_bytes())
            .ok_or("multipart part without a closing boundary")?
            + data_start;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            body: body.slice(data_start..data_end),
        };
        for line in headers.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-disposition") {
                part.name = disposition_param(v, "name").unwrap_or_default();
                part.filename = disposition_param(v, "filename");
            } else if k.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(v.trim().to_string());
            }
        }
        parts.push(part);
        pos = data_end + next_delim.len();
        if pos > body.len() {
            return Err("truncated multipart body".into());
        }
    }
}

fn disposition_param(v: &str, key: &str) -> Option<String> {
    v.split(';').find_map(|p| {
        let (k, val) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| val.trim().trim_matches('"').to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_parts() {
        let body = Bytes::from_static(
            b"--XX\r\nContent-Disposition: name=\"request_payload\"\r\nContent-Type: text/xml\r\n\r\n<tsRequest/>\r\n\
--XX\r\nContent-Disposition: form-data; name=\"tableau_workbook\"; filename=\"a b.twbx\"\r\n\
Content-Type: application/octet-stream\r\n\r\nPK\x03\x04\r\n--X\r\n--XX--\r\n",
        );
        let (b, mixed) = boundary("multipart/mixed; boundary=\"XX\"").unwrap();
        assert!(mixed);
        let parts = parse(&body, &b).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "request_payload");
        assert_eq!(&parts[0].body[..], b"<tsRequest/>");
        assert_eq!(parts[1].filename.as_deref(), Some("a b.twbx"));
        assert_eq!(&parts[1].body[..], b"PK\x03\x04\r\n--X");
        assert!(boundary("application/json").is_none());
    }
}
