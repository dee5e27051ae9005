//! Content downloads, streamed chunk by chunk (flat memory), with the download faults:
//! concurrency limit, missing items, dropped connections, slow bodies, stalls.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use hyper::header::{HeaderValue, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tokio::io::{AsyncRead, ReadBuf};

use super::format::Fmt;
use super::lists::not_found;
use super::{full, query, rate_limited, Resp, SelfCounting, State};
use crate::site::content::{ContentSource, Generator};
use crate::site::cvdef;
use crate::site::model::ContentKind;
use crate::site::Site;

const CHUNK: u64 = 256 << 10;

/// RFC 5987 attr-char: what may stay unescaped in `filename*`.
const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// The download's `Content-Disposition`, shaped like Tableau's: `name="tableau_workbook";
/// filename="Name.ext"` (Tableau's REST samples, TSC's test mocks, a Cloud flow download in
/// TSC #1338; no `attachment`). A name that is not plain printable ASCII (non-ASCII, `"`,
/// `\`, control characters) is sent percent-encoded (UTF-8) in `filename` (TSC #1395: a
/// Japanese name came out of TSC as the hex of its UTF-8) and again as RFC 5987
/// `filename*=UTF-8''...` (which newer servers send; TSC #1312), the one to decode.
pub(crate) fn disposition(kind: ContentKind, name: &str, ext: &str) -> String {
    let file = format!("{name}.{ext}");
    let part = kind.singular();
    let plain = file
        .chars()
        .all(|c| matches!(c, ' '..='~') && c != '"' && c != '\\');
    if plain {
        format!("name=\"tableau_{part}\"; filename=\"{file}\"")
    } else {
        let enc = utf8_percent_encode(&file, ATTR_CHAR);
        format!("name=\"tableau_{part}\"; filename=\"{enc}\"; filename*=UTF-8''{enc}")
    }
}

/// Whether a download request keeps the extract (flows have no `includeExtract`).
pub(crate) fn include_extract(kind: ContentKind, q: Option<&str>) -> bool {
    kind == ContentKind::Flow
        || query::param(q, "includeExtract").is_none_or(|v| !v.eq_ignore_ascii_case("false"))
}

pub(crate) fn download(state: &Arc<State>, kind: ContentKind, id: &str, q: Option<&str>, fmt: Fmt) -> Resp {
    let Some(item) = state.site.content_by_id(kind, id) else {
        return not_found(fmt, kind.singular(), id);
    };
    if state.faults.is_missing(id) {
        return not_found(fmt, kind.singular(), id);
    }
    let include_extract = include_extract(kind, q);
    let file = File {
        kind,
        id,
        drop_key: (id.to_string(), include_extract),
        name: &item.name,
        ext: item.files.ext(include_extract),
    };
    stream(state, file, Site::source(&item, include_extract), fmt)
}

/// What a download sends, for its headers and faults.
pub(crate) struct File<'a> {
    pub kind: ContentKind,
    /// The item's id (the stall fault names items).
    pub id: &'a str,
    /// What a once-per-item drop remembers.
    pub drop_key: (String, bool),
    pub name: &'a str,
    pub ext: &'a str,
}

/// Stream `src` as a download, with the download faults.
pub(crate) fn stream(state: &Arc<State>, file: File, src: ContentSource, fmt: Fmt) -> Resp {
    let n = state.log.download_started();
    let guard = DownloadGuard(state.clone());
    if state.faults.max_downloads().is_some_and(|max| n > max) {
        return rate_limited(state);
    }
    state.log.download_counted(n);
    let len = src.len();
    let ctype = if src.starts_with_zip() || !matches!(file.ext, "twb" | "tds" | "tfl") {
        "application/octet-stream"
    } else {
        "application/xml"
    };
    let body_src = match &src {
        ContentSource::Gen(g) => Src::Gen(g.clone()),
        ContentSource::Static(b) => Src::Static(b),
        ContentSource::File(p, _) => match std::fs::File::open(p.as_path()) {
            Ok(f) => Src::File(tokio::fs::File::from_std(f)),
            Err(e) => return super::error(fmt, 500, "500000", "Internal Server Error", &e.to_string()),
        },
    };
    let stall = state.faults.stall_point(file.id, len);
    let (drop_id, drop_extract) = &file.drop_key;
    let body = DownloadBody {
        src: body_src,
        pos: 0,
        len,
        stall_at: stall.map(|(at, _)| at),
        stall_for: stall.map(|(_, d)| d).unwrap_or_default(),
        drop_at: state
            .faults
            .drop_point(drop_id, *drop_extract)
            .filter(|&d| d < len),
        bps: state.faults.slow_bps().filter(|&b| b > 0),
        sleep: None,
        drop_armed: false,
        state: state.clone(),
        _guard: guard,
    };
    let mut r = Response::new(body.boxed_unsync());
    *r.status_mut() = StatusCode::OK;
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(ctype));
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    if let Ok(v) = HeaderValue::from_str(&disposition(file.kind, file.name, file.ext)) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    r.extensions_mut().insert(SelfCounting);
    r
}

/// Releases the download slot when the body is done or dropped.
struct DownloadGuard(Arc<State>);

impl Drop for DownloadGuard {
    fn drop(&mut self) {
        self.0.log.download_ended();
    }
}

enum Src {
    Gen(Generator),
    Static(&'static [u8]),
    File(tokio::fs::File),
}

struct DownloadBody {
    src: Src,
    pos: u64,
    len: u64,
    /// Send nothing for `stall_for` once `pos` reaches this (the stall fault).
    stall_at: Option<u64>,
    stall_for: Duration,
    drop_at: Option<u64>,
    bps: Option<u64>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    drop_armed: bool,
    state: Arc<State>,
    _guard: DownloadGuard,
}

impl Body for DownloadBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        if let Some(s) = this.sleep.as_mut() {
            ready!(s.as_mut().poll(cx));
            this.sleep = None;
        }
        if this.pos >= this.len {
            return Poll::Ready(None);
        }
        if this.stall_at.is_some_and(|s| this.pos >= s) {
            // Pending hands hyper the chance to flush the headers and bytes so far; then
            // silence (a client that gives up closes the connection and drops this body).
            this.stall_at = None;
            this.state.log.stalled();
            let s = this.sleep.insert(Box::pin(tokio::time::sleep(this.stall_for)));
            ready!(s.as_mut().poll(cx));
            this.sleep = None;
        }
        if let Some(d) = this.drop_at {
            if this.pos >= d {
                if !this.drop_armed {
                    // Pause first so hyper flushes the headers and bytes sent so far.
                    this.drop_armed = true;
                    let mut s = Box::pin(tokio::time::sleep(Duration::from_millis(20)));
                    let _ = s.as_mut().poll(cx);
                    this.sleep = Some(s);
                    return Poll::Pending;
                }
                this.drop_at = None;
                this.len = this.pos;
                this.state.log.dropped();
                return Poll::Ready(Some(Err(io::Error::new(
                    io::ErrorKind::ConnectionAborted,
                    "tableau-sim: connection dropped by fault",
                ))));
            }
        }
        let mut want = CHUNK.min(this.len - this.pos);
        if let Some(d) = this.drop_at {
            want = want.min(d - this.pos);
        }
        if let Some(s) = this.stall_at {
            want = want.min(s - this.pos);
        }
        if let Some(bps) = this.bps {
            want = want.min((bps / 10).max(1));
        }
        let want = want as usize;
        let bytes = match &mut this.src {
            Src::Gen(g) => {
                let mut b = BytesMut::zeroed(want);
                g.fill(this.pos, &mut b);
                b.freeze()
            }
            Src::Static(s) => {
                let p = this.pos as usize;
                Bytes::from_static(&s[p..p + want])
            }
            Src::File(f) => {
                let mut buf = vec![0u8; want];
                let mut rb = ReadBuf::new(&mut buf);
                ready!(Pin::new(f).poll_read(cx, &mut rb))?;
                let n = rb.filled().len();
                if n == 0 {
                    return Poll::Ready(Some(Err(io::ErrorKind::UnexpectedEof.into())));
                }
                buf.truncate(n);
                Bytes::from(buf)
            }
        };
        let n = bytes.len() as u64;
        this.pos += n;
        this.state.log.bytes_sent.fetch_add(n, Ordering::Relaxed);
        if let (Some(bps), true) = (this.bps, this.pos < this.len) {
            this.sleep = Some(Box::pin(tokio::time::sleep(Duration::from_secs_f64(
                n as f64 / bps as f64,
            ))));
        }
        Poll::Ready(Some(Ok(Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        self.pos >= self.len
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.len - self.pos)
    }
}

/// `GET /api/exp/sites/{site}/customviews/{id}/content`: the definition's JSON array.
pub(crate) fn custom_view(state: &State, id: &str, fmt: Fmt) -> Resp {
    let Some(cv) = state.site.custom_view_by_id(id) else {
        return not_found(fmt, "customView", id);
    };
    full(
        StatusCode::OK,
        "application/octet-stream",
        cvdef::definition(&state.site, &cv),
    )
}

#[cfg(test)]
mod tests {
    use super::disposition;
    use crate::site::model::ContentKind;

    #[test]
    fn dispositions() {
        assert_eq!(
            disposition(ContentKind::Workbook, "Superstore", "twbx"),
            "name=\"tableau_workbook\"; filename=\"Superstore.twbx\""
        );
        assert_eq!(
            disposition(ContentKind::Flow, "Ops/Infra (v2), final", "tfl"),
            "name=\"tableau_flow\"; filename=\"Ops/Infra (v2), final.tfl\""
        );
        assert_eq!(
            disposition(ContentKind::Datasource, "a \"b\"", "tds"),
            "name=\"tableau_datasource\"; filename=\"a%20%22b%22.tds\"; filename*=UTF-8''a%20%22b%22.tds"
        );
        assert_eq!(
            disposition(ContentKind::Workbook, "Données", "twb"),
            "name=\"tableau_workbook\"; filename=\"Donn%C3%A9es.twb\"; filename*=UTF-8''Donn%C3%A9es.twb"
        );
    }
}
