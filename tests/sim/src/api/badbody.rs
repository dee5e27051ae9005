//! The bad-body fault: a successful response whose JSON/XML body is replaced by a truncated
//! copy, an HTML page, garbage, or an endless-looking (huge, streamed) list.

use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::Response;

use super::format::Fmt;
use super::{Resp, RespBody, SelfCounting, State};
use crate::faults::BadBody;

const CHUNK: usize = 64 << 10;

/// What a proxy or SSO portal answering in Tableau's place looks like.
const LOGIN_HTML: &str = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Sign In</title></head>\n<body><div id=\"login\"><h1>Sign in to continue</h1>\
<p>Your session has ended or this network requires authentication.</p>\
<form method=\"post\" action=\"/login\"><input name=\"username\" type=\"text\">\
<input name=\"password\" type=\"password\"><button type=\"submit\">Sign In</button></form>\
</div></body></html>\n";

/// The list wrapper and element names a response to `endpoint` would hold (users when it
/// is not a list).
fn names(endpoint: &str) -> (&'static str, &'static str) {
    let path = endpoint.split_once(' ').map_or(endpoint, |(_, p)| p);
    let first = path.split('/').next().unwrap_or("");
    if path.ends_with("/users") {
        return ("users", "user");
    }
    match first {
        "workbooks" => ("workbooks", "workbook"),
        "datasources" => ("datasources", "datasource"),
        "flows" => ("flows", "flow"),
        "groups" => ("groups", "group"),
        "projects" => ("projects", "project"),
        "subscriptions" => ("subscriptions", "subscription"),
        "customviews" => ("customViews", "customView"),
        "virtualConnections" => ("virtualConnections", "virtualConnection"),
        "sites" => ("sites", "site"),
        "tasks" => ("tasks", "task"),
        "favorites" => ("favorites", "favorite"),
        _ => ("users", "user"),
    }
}

const XML_DECL: &str = "<?xml version='1.0' encoding='UTF-8'?>";
const TS_OPEN: &str = "<tsResponse xmlns=\"http://tableau.com/api\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
xsi:schemaLocation=\"http://tableau.com/api https://help.tableau.com/samples/en-us/rest_api/ts-api_3_24.xsd\">";

/// A body that opens a list and breaks off into garbage.
pub(crate) fn malformed(fmt: Fmt, endpoint: &str) -> String {
    let (wrapper, item) = names(endpoint);
    match fmt {
        Fmt::Json => format!("{{\"{wrapper}\": {{\"{item}\": [ {{\"id\": #garbage,, }}]] <<not json"),
        Fmt::Xml => {
            format!("{XML_DECL}{TS_OPEN}<{wrapper}><{item} id=\"#garbage < & \"></{wrapper}x></tsResponse")
        }
    }
}

/// The opening of a huge list (syntactically valid so far) and the padding element that
/// repeats after it (each one complete, a comma after every JSON one).
pub(crate) fn huge_parts(fmt: Fmt, endpoint: &str) -> (String, String) {
    let (wrapper, item) = names(endpoint);
    let pad = "x".repeat(64);
    let id = "00000000-0000-4000-8000-000000000000";
    match fmt {
        Fmt::Json => (
            format!(
                "{{\"pagination\":{{\"pageNumber\":\"1\",\"pageSize\":\"100\",\
                 \"totalAvailable\":\"100\"}},\"{wrapper}\":{{\"{item}\":["
            ),
            format!("{{\"id\":\"{id}\",\"name\":\"padding\",\"description\":\"{pad}\"}},"),
        ),
        Fmt::Xml => (
            format!(
                "{XML_DECL}{TS_OPEN}<pagination pageNumber=\"1\" pageSize=\"100\" \
                 totalAvailable=\"100\"/><{wrapper}>"
            ),
            format!("<{item} id=\"{id}\" name=\"padding\" description=\"{pad}\"/>"),
        ),
    }
}

/// Replace the body of `resp` (a successful, buffered response to a matching endpoint) if
/// the fault still has bad bodies to give.
pub(crate) async fn apply(state: &Arc<State>, resp: Resp, fmt: Fmt, endpoint: &str) -> Resp {
    let eligible = resp.status().is_success()
        && resp.extensions().get::<SelfCounting>().is_none()
        && resp.body().size_hint().exact().is_some_and(|n| n > 0);
    if !eligible {
        return resp;
    }
    let Some((kind, huge_bytes)) = state.faults.take_bad_body() else {
        return resp;
    };
    state.log.bad_body();
    let (mut parts, body) = resp.into_parts();
    parts.headers.remove(CONTENT_LENGTH);
    let full = |b: Bytes| {
        http_body_util::Full::new(b)
            .map_err(|e: std::convert::Infallible| match e {})
            .boxed_unsync()
    };
    let (ctype, body): (Option<HeaderValue>, RespBody) = match kind {
        BadBody::TruncatedJson => {
            let real = body.collect().await.map(|c| c.to_bytes()).unwrap_or_default();
            (None, full(real.slice(..real.len() / 2)))
        }
        BadBody::Html => (
            Some(HeaderValue::from_static("text/html;charset=utf-8")),
            full(Bytes::from_static(LOGIN_HTML.as_bytes())),
        ),
        BadBody::Malformed => (
            Some(HeaderValue::from_static(fmt.content_type())),
            full(Bytes::from(malformed(fmt, endpoint))),
        ),
        BadBody::Huge => {
            let (prefix, unit) = huge_parts(fmt, endpoint);
            parts.extensions.insert(SelfCounting);
            (
                Some(HeaderValue::from_static(fmt.content_type())),
                HugeBody::new(prefix, unit, huge_bytes, state.clone()).boxed_unsync(),
            )
        }
    };
    if let Some(c) = ctype {
        parts.headers.insert(CONTENT_TYPE, c);
    }
    Response::from_parts(parts, body)
}

/// `prefix` then `len` bytes of `unit` repeated (the last one cut), generated chunk by
/// chunk from one shared buffer: flat memory whatever `len` is.
struct HugeBody {
    prefix: Option<Bytes>,
    /// `unit` repeated to at least `CHUNK + unit_len` bytes.
    units: Bytes,
    unit_len: usize,
    pos: u64,
    len: u64,
    state: Arc<State>,
}

impl HugeBody {
    fn new(prefix: String, unit: String, len: u64, state: Arc<State>) -> Self {
        let unit_len = unit.len().max(1);
        let units = unit.repeat(CHUNK / unit_len + 2);
        Self {
            prefix: Some(Bytes::from(prefix)).filter(|p| !p.is_empty()),
            units: Bytes::from(units),
            unit_len,
            pos: 0,
            len,
            state,
        }
    }

    fn remaining(&self) -> u64 {
        self.prefix.as_ref().map_or(0, |p| p.len() as u64) + (self.len - self.pos)
    }
}

impl Body for HugeBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        let bytes = if let Some(p) = this.prefix.take() {
            p
        } else if this.pos < this.len {
            let n = (CHUNK as u64).min(this.len - this.pos) as usize;
            let off = (this.pos % this.unit_len as u64) as usize;
            this.pos += n as u64;
            this.units.slice(off..off + n)
        } else {
            return Poll::Ready(None);
        };
        this.state
            .log
            .bytes_sent
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Poll::Ready(Some(Ok(Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        self.remaining() == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_json_is_a_valid_prefix() {
        let (prefix, unit) = huge_parts(Fmt::Json, "GET users");
        assert!(prefix.ends_with("\"users\":{\"user\":["), "{prefix}");
        // Close it after a few whole units: valid JSON.
        let mut doc = prefix.clone() + &unit.repeat(3);
        doc.pop();
        doc.push_str("]}}");
        let v: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(v["users"]["user"].as_array().unwrap().len(), 3);
        let (prefix, _) = huge_parts(Fmt::Json, "GET workbooks");
        assert!(prefix.ends_with("\"workbooks\":{\"workbook\":["));
        let (prefix, unit) = huge_parts(Fmt::Xml, "GET groups/{id}/users");
        assert!(prefix.ends_with("<users>") && unit.starts_with("<user "));
    }

    #[test]
    fn malformed_does_not_parse() {
        let m = malformed(Fmt::Json, "GET users");
        assert!(m.starts_with("{\"users\": {\"user\": [ {\"id\": "), "{m}");
        assert!(serde_json::from_str::<serde_json::Value>(&m).is_err());
        assert!(malformed(Fmt::Xml, "GET projects").contains("<projects><project id=\"#"));
    }
}
