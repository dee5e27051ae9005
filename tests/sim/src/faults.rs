//! Fault knobs (switchable per run and at runtime) and their per-run counters.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Tableau Cloud's limit on concurrent long-running requests (downloads) per site.
pub const CLOUD_MAX_CONCURRENT_DOWNLOADS: usize = 20;

/// Default of [`Faults::huge_body_bytes`]: 200 MiB.
pub const DEFAULT_HUGE_BODY_BYTES: u64 = 200 << 20;

/// All fault knobs; `Default` injects nothing. Setting faults resets their counters.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Answer every Nth API request (that `only_endpoints` matches) with 429.
    pub rate_limit_every: Option<u64>,
    /// Answer the next K API requests with 429.
    pub rate_limit_burst: u64,
    /// Send `Retry-After: <seconds>` with every 429 (none when unset).
    pub retry_after_secs: Option<u64>,
    /// Content downloads beyond N at a time get 429 (Tableau Cloud: 20).
    pub max_concurrent_downloads: Option<usize>,
    /// Status of injected server errors: 500, 502 or 503 (0 means 503).
    pub server_error_status: u16,
    /// Answer the next K API requests with `server_error_status`.
    pub server_error_burst: u64,
    /// Answer every Nth API request with `server_error_status`.
    pub server_error_every: Option<u64>,
    /// Limit 429/5xx faults to requests whose endpoint name (e.g. "GET workbooks/{id}/content")
    /// contains one of these strings; empty means every request.
    pub only_endpoints: Vec<String>,
    /// A session dies (401002) after this many authenticated calls.
    pub session_expire_after_calls: Option<u64>,
    /// A session dies (401002) this many seconds after sign-in.
    pub session_ttl_secs: Option<f64>,
    /// Close the connection after this many body bytes of a content download.
    pub drop_after_bytes: Option<u64>,
    /// Drop once per item (the retry succeeds) or on every download.
    pub drop_mode: DropMode,
    /// Throttle content download bodies to this many bytes per second.
    pub slow_body_bytes_per_sec: Option<u64>,
    /// Added before answering every API request.
    pub latency_ms: u64,
    /// Content items listed normally but 404 on download.
    pub missing_content_ids: Vec<String>,
    /// This many more such items, spread evenly over the workbooks (then data sources, flows).
    pub missing_content_count: usize,
    /// Added to every `totalAvailable`; the page past the real end is then 400006.
    pub inflate_total_available: u64,
    /// Content items whose downloads stall: headers and the first `stall_after_bytes` body
    /// bytes, then nothing for `stall_secs`, then the rest (if the client is still there).
    /// Every download of them stalls (retries too), with or without the extract.
    pub stall_content_ids: Vec<String>,
    /// Body bytes sent before the stall. An item this big or smaller stalls before its
    /// last byte (an empty one never stalls).
    #[serde(with = "crate::util::size_serde")]
    pub stall_after_bytes: u64,
    /// Length of the stall in seconds (0 or less: no stall).
    pub stall_secs: f64,
    /// Replace the body of successful (2xx) responses to endpoints whose name contains one
    /// of these strings (e.g. "GET users"; "" matches every endpoint) with `bad_body`.
    /// Empty means off. Content downloads (`{workbooks,datasources,flows}/{id}/content`) are
    /// never affected; their faults are the download ones.
    pub bad_body_endpoints: Vec<String>,
    /// What the bad body looks like.
    pub bad_body: BadBody,
    /// Only the first N such responses get a bad body; `None`: every one (retries too).
    pub bad_body_times: Option<u64>,
    /// Size of the padding after the opening of a [`BadBody::Huge`] body (streamed, never
    /// held in memory) [default: 200 MiB].
    #[serde(with = "crate::util::size_serde")]
    pub huge_body_bytes: u64,
    /// Answer 400 to list requests with `fields=_all_` on endpoints whose name contains one
    /// of these ("" matches every endpoint), like a server that does not take the parameter.
    pub reject_all_fields_endpoints: Vec<String>,
    /// Paging drift: once page N of a top-level list has been served, delete
    /// `drift_delete` items of its first page, so later items slide back a page.
    pub drift_after_page: Option<usize>,
    /// Items deleted by the drift (at least 1).
    pub drift_delete: usize,
    /// Limit the drift to endpoints whose name contains one of these; empty: every list.
    pub drift_endpoints: Vec<String>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            rate_limit_every: None,
            rate_limit_burst: 0,
            retry_after_secs: None,
            max_concurrent_downloads: None,
            server_error_status: 0,
            server_error_burst: 0,
            server_error_every: None,
            only_endpoints: Vec::new(),
            session_expire_after_calls: None,
            session_ttl_secs: None,
            drop_after_bytes: None,
            drop_mode: DropMode::default(),
            slow_body_bytes_per_sec: None,
            latency_ms: 0,
            missing_content_ids: Vec::new(),
            missing_content_count: 0,
            inflate_total_available: 0,
            stall_content_ids: Vec::new(),
            stall_after_bytes: 0,
            stall_secs: 0.0,
            bad_body_endpoints: Vec::new(),
            bad_body: BadBody::default(),
            bad_body_times: None,
            huge_body_bytes: DEFAULT_HUGE_BODY_BYTES,
            reject_all_fields_endpoints: Vec::new(),
            drift_after_page: None,
            drift_delete: 1,
            drift_endpoints: Vec::new(),
        }
    }
}

/// A broken body sent (with a 2xx status) where the client expects a JSON or XML
/// `tsResponse`. JSON or XML follows the request's `Accept`, like real responses.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BadBody {
    /// The real body cut in half (`Content-Length` is the cut length): unclosed JSON/XML.
    #[default]
    TruncatedJson,
    /// `Content-Type: text/html` and an HTML sign-in page, like a proxy or SSO portal
    /// answering in Tableau's place.
    Html,
    /// The JSON (or XML) content type with a body that breaks off into garbage:
    /// `{"users": {"user": [ {"id": ` ... (XML: `<users><user id="` ...).
    Malformed,
    /// The JSON (or XML) content type with a syntactically valid opening
    /// (`{"pagination":...,"users":{"user":[`) followed by `huge_body_bytes` of padding
    /// objects, never closed; `Content-Length` is the full size.
    Huge,
}

impl BadBody {
    pub const ALL: [BadBody; 4] = [Self::TruncatedJson, Self::Html, Self::Malformed, Self::Huge];

    /// The name used in JSON, TOML and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::TruncatedJson => "truncated_json",
            Self::Html => "html",
            Self::Malformed => "malformed",
            Self::Huge => "huge",
        }
    }
}

impl fmt::Display for BadBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BadBody {
    type Err = String;

    /// `truncated_json` (or `truncated-json`, `truncated`), `html`, `malformed`, `huge`.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase().replace('-', "_");
        if t == "truncated" {
            return Ok(Self::TruncatedJson);
        }
        Self::ALL
            .into_iter()
            .find(|b| b.name() == t)
            .ok_or_else(|| format!("unknown bad body {s:?} (truncated_json, html, malformed, huge)"))
    }
}

#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DropMode {
    #[default]
    OncePerItem,
    Always,
}

impl Faults {
    pub fn rate_limit_every(mut self, n: u64) -> Self {
        self.rate_limit_every = Some(n);
        self
    }

    pub fn rate_limit_burst(mut self, k: u64) -> Self {
        self.rate_limit_burst = k;
        self
    }

    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    pub fn max_concurrent_downloads(mut self, n: usize) -> Self {
        self.max_concurrent_downloads = Some(n);
        self
    }

    pub fn server_errors(mut self, status: u16, burst: u64) -> Self {
        self.server_error_status = status;
        self.server_error_burst = burst;
        self
    }

    pub fn only_endpoints(mut self, names: &[&str]) -> Self {
        self.only_endpoints = names.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn session_expire_after_calls(mut self, n: u64) -> Self {
        self.session_expire_after_calls = Some(n);
        self
    }

    pub fn session_ttl_secs(mut self, secs: f64) -> Self {
        self.session_ttl_secs = Some(secs);
        self
    }

    pub fn drop_after_bytes(mut self, n: u64, mode: DropMode) -> Self {
        self.drop_after_bytes = Some(n);
        self.drop_mode = mode;
        self
    }

    pub fn slow_body(mut self, bytes_per_sec: u64) -> Self {
        self.slow_body_bytes_per_sec = Some(bytes_per_sec);
        self
    }

    pub fn latency_ms(mut self, ms: u64) -> Self {
        self.latency_ms = ms;
        self
    }

    pub fn missing_content(mut self, ids: &[&str], count: usize) -> Self {
        self.missing_content_ids = ids.iter().map(|s| s.to_string()).collect();
        self.missing_content_count = count;
        self
    }

    pub fn inflate_total_available(mut self, extra: u64) -> Self {
        self.inflate_total_available = extra;
        self
    }

    /// Downloads of these items send their headers and first `after_bytes` body bytes, then
    /// nothing for `secs` seconds, then the rest (every download of them, retries too).
    pub fn stall_content(mut self, ids: &[&str], after_bytes: u64, secs: f64) -> Self {
        self.stall_content_ids = ids.iter().map(|s| s.to_string()).collect();
        self.stall_after_bytes = after_bytes;
        self.stall_secs = secs;
        self
    }

    /// Successful responses to endpoints whose name contains one of `endpoints` get a
    /// `kind` body instead of their JSON/XML (every time, unless [`Faults::bad_body_times`]).
    pub fn bad_body(mut self, endpoints: &[&str], kind: BadBody) -> Self {
        self.bad_body_endpoints = endpoints.iter().map(|s| s.to_string()).collect();
        self.bad_body = kind;
        self
    }

    /// Only the first `n` matching responses get the bad body.
    pub fn bad_body_times(mut self, n: u64) -> Self {
        self.bad_body_times = Some(n);
        self
    }

    /// Padding bytes of a [`BadBody::Huge`] body (default 200 MiB).
    pub fn huge_body_bytes(mut self, n: u64) -> Self {
        self.huge_body_bytes = n;
        self
    }

    /// List requests with `fields=_all_` to endpoints whose name contains one of these
    /// (`""`: every endpoint) get 400.
    pub fn reject_all_fields(mut self, endpoints: &[&str]) -> Self {
        self.reject_all_fields_endpoints = endpoints.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Once page `page` of a list has been served, delete `delete` items of its first page.
    pub fn drift_after_page(mut self, page: usize, delete: usize) -> Self {
        self.drift_after_page = Some(page);
        self.drift_delete = delete;
        self
    }

    /// Limit the drift to endpoints whose name contains one of these.
    pub fn drift_endpoints(mut self, endpoints: &[&str]) -> Self {
        self.drift_endpoints = endpoints.iter().map(|s| s.to_string()).collect();
        self
    }
}

/// Whether `endpoint` contains one of `names`.
fn names_match(names: &[String], endpoint: &str) -> bool {
    names.iter().any(|e| endpoint.contains(e.as_str()))
}

/// Whether a content download endpoint, of the current version or a revision (never
/// given a bad body).
fn is_download(endpoint: &str) -> bool {
    ["workbooks", "datasources", "flows"]
        .iter()
        .any(|k| endpoint.starts_with(&format!("GET {k}/{{id}}/")) && endpoint.ends_with("/content"))
}

/// A fault decided for one request before it is handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Injected {
    ServerError(u16),
    RateLimit,
}

/// Faults plus their counters.
pub(crate) struct FaultState {
    inner: Mutex<Inner>,
}

struct Inner {
    faults: Faults,
    matched: u64,
    rate_burst_left: u64,
    error_burst_left: u64,
    dropped: HashSet<(String, bool)>,
    missing: HashSet<String>,
    bad_bodies_sent: u64,
    /// Lists the drift has already hit.
    drifted: HashSet<String>,
}

impl FaultState {
    pub fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                faults: Faults::default(),
                matched: 0,
                rate_burst_left: 0,
                error_burst_left: 0,
                dropped: HashSet::new(),
                missing: HashSet::new(),
                bad_bodies_sent: 0,
                drifted: HashSet::new(),
            }),
        }
    }

    /// Replace the faults; `missing` is the resolved set of missing content ids.
    pub fn set(&self, f: Faults, missing: HashSet<String>) {
        let mut g = self.inner.lock().unwrap();
        g.matched = 0;
        g.rate_burst_left = f.rate_limit_burst;
        g.error_burst_left = f.server_error_burst;
        g.dropped.clear();
        g.missing = missing;
        g.bad_bodies_sent = 0;
        g.drifted.clear();
        g.faults = f;
    }

    pub fn get(&self) -> Faults {
        self.inner.lock().unwrap().faults.clone()
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.inner.lock().unwrap().faults.latency_ms)
    }

    /// Decide a 429/5xx for a request to `endpoint` (counts the request).
    pub fn decide(&self, endpoint: &str) -> Option<Injected> {
        let mut g = self.inner.lock().unwrap();
        let f = &g.faults;
        if !f.only_endpoints.is_empty() && !f.only_endpoints.iter().any(|e| endpoint.contains(e)) {
            return None;
        }
        let status = match f.server_error_status {
            0 => 503,
            s => s,
        };
        let (rate_every, err_every) = (f.rate_limit_every, f.server_error_every);
        g.matched += 1;
        let n = g.matched;
        if g.error_burst_left > 0 {
            g.error_burst_left -= 1;
            return Some(Injected::ServerError(status));
        }
        if err_every.is_some_and(|e| e > 0 && n.is_multiple_of(e)) {
            return Some(Injected::ServerError(status));
        }
        if g.rate_burst_left > 0 {
            g.rate_burst_left -= 1;
            return Some(Injected::RateLimit);
        }
        if rate_every.is_some_and(|e| e > 0 && n.is_multiple_of(e)) {
            return Some(Injected::RateLimit);
        }
        None
    }

    pub fn is_missing(&self, id: &str) -> bool {
        self.inner.lock().unwrap().missing.contains(id)
    }

    pub fn missing_ids(&self) -> HashSet<String> {
        self.inner.lock().unwrap().missing.clone()
    }

    /// Where to cut this download, if anywhere (records once-per-item drops).
    pub fn drop_point(&self, id: &str, include_extract: bool) -> Option<u64> {
        let mut g = self.inner.lock().unwrap();
        let at = g.faults.drop_after_bytes?;
        match g.faults.drop_mode {
            DropMode::Always => Some(at),
            DropMode::OncePerItem => g.dropped.insert((id.to_string(), include_extract)).then_some(at),
        }
    }

    /// Where and how long this download stalls, if it does (`len`: its body length).
    pub fn stall_point(&self, id: &str, len: u64) -> Option<(u64, Duration)> {
        let g = self.inner.lock().unwrap();
        let f = &g.faults;
        if len == 0
            || f.stall_secs.is_nan()
            || f.stall_secs <= 0.0
            || !f.stall_content_ids.iter().any(|s| s == id)
        {
            return None;
        }
        let secs = Duration::try_from_secs_f64(f.stall_secs).unwrap_or(Duration::MAX);
        Some((f.stall_after_bytes.min(len - 1), secs))
    }

    /// Whether a request to `endpoint` is one `bad_body_endpoints` names (downloads never
    /// are). Does not count.
    pub fn bad_body_matches(&self, endpoint: &str) -> bool {
        let g = self.inner.lock().unwrap();
        !is_download(endpoint) && names_match(&g.faults.bad_body_endpoints, endpoint)
    }

    /// Take a bad body for a matching response: `(kind, huge_body_bytes)`, or `None` once
    /// `bad_body_times` are used up.
    pub fn take_bad_body(&self) -> Option<(BadBody, u64)> {
        let mut g = self.inner.lock().unwrap();
        if g.faults.bad_body_times.is_some_and(|n| g.bad_bodies_sent >= n) {
            return None;
        }
        g.bad_bodies_sent += 1;
        Some((g.faults.bad_body, g.faults.huge_body_bytes))
    }

    /// Whether `fields=_all_` gets 400 on this endpoint.
    pub fn rejects_all_fields(&self, endpoint: &str) -> bool {
        names_match(
            &self.inner.lock().unwrap().faults.reject_all_fields_endpoints,
            endpoint,
        )
    }

    /// How many items to delete now that `page` of list `key` (served by `endpoint`) went
    /// out: `Some` once per list, when the drift fault is on and `page` is its page.
    pub fn drift(&self, endpoint: &str, key: &str, page: usize) -> Option<usize> {
        let mut g = self.inner.lock().unwrap();
        let f = &g.faults;
        let on = f.drift_after_page == Some(page)
            && (f.drift_endpoints.is_empty() || names_match(&f.drift_endpoints, endpoint));
        let n = f.drift_delete.max(1);
        (on && g.drifted.insert(key.to_string())).then_some(n)
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.inner.lock().unwrap().faults.retry_after_secs
    }

    pub fn max_downloads(&self) -> Option<usize> {
        self.inner.lock().unwrap().faults.max_concurrent_downloads
    }

    pub fn slow_bps(&self) -> Option<u64> {
        self.inner.lock().unwrap().faults.slow_body_bytes_per_sec
    }

    pub fn inflate(&self) -> u64 {
        self.inner.lock().unwrap().faults.inflate_total_available
    }

    /// `(after_calls, ttl)` session limits.
    pub fn session_limits(&self) -> (Option<u64>, Option<f64>) {
        let g = self.inner.lock().unwrap();
        (g.faults.session_expire_after_calls, g.faults.session_ttl_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_and_bursts() {
        let s = FaultState::new();
        s.set(Faults::default().rate_limit_every(3), HashSet::new());
        let got: Vec<_> = (0..6).map(|_| s.decide("GET workbooks")).collect();
        assert_eq!(
            got,
            [
                None,
                None,
                Some(Injected::RateLimit),
                None,
                None,
                Some(Injected::RateLimit)
            ]
        );
        s.set(
            Faults::default().server_errors(502, 2).rate_limit_burst(1),
            HashSet::new(),
        );
        let got: Vec<_> = (0..4).map(|_| s.decide("x")).collect();
        assert_eq!(
            got,
            [
                Some(Injected::ServerError(502)),
                Some(Injected::ServerError(502)),
                Some(Injected::RateLimit),
                None
            ]
        );
        s.set(
            Faults::default().rate_limit_burst(5).only_endpoints(&["content"]),
            HashSet::new(),
        );
        assert_eq!(s.decide("GET workbooks"), None);
        assert_eq!(s.decide("GET workbooks/{id}/content"), Some(Injected::RateLimit));
    }

    #[test]
    fn drops_once_per_item() {
        let s = FaultState::new();
        s.set(
            Faults::default().drop_after_bytes(10, DropMode::OncePerItem),
            HashSet::new(),
        );
        assert_eq!(s.drop_point("a", true), Some(10));
        assert_eq!(s.drop_point("a", true), None);
        assert_eq!(s.drop_point("b", true), Some(10));
        s.set(
            Faults::default().drop_after_bytes(10, DropMode::Always),
            HashSet::new(),
        );
        assert_eq!(s.drop_point("a", true), Some(10));
        assert_eq!(s.drop_point("a", true), Some(10));
    }

    #[test]
    fn stall_points() {
        let s = FaultState::new();
        assert_eq!(s.stall_point("a", 100), None);
        s.set(Faults::default().stall_content(&["a"], 10, 1.5), HashSet::new());
        assert_eq!(s.stall_point("a", 100), Some((10, Duration::from_millis(1500))));
        assert_eq!(s.stall_point("a", 100), Some((10, Duration::from_millis(1500))));
        assert_eq!(s.stall_point("b", 100), None);
        // Before the last byte of a small item; never for an empty one.
        assert_eq!(s.stall_point("a", 5), Some((4, Duration::from_millis(1500))));
        assert_eq!(s.stall_point("a", 0), None);
        s.set(Faults::default().stall_content(&["a"], 10, 0.0), HashSet::new());
        assert_eq!(s.stall_point("a", 100), None);
    }

    #[test]
    fn bad_body_matching_and_times() {
        let s = FaultState::new();
        assert!(!s.bad_body_matches("GET users"));
        s.set(
            Faults::default()
                .bad_body(&["GET users", "GET workbooks"], BadBody::Html)
                .bad_body_times(2),
            HashSet::new(),
        );
        assert!(s.bad_body_matches("GET users"));
        assert!(!s.bad_body_matches("GET groups/{id}/users"));
        assert!(s.bad_body_matches("GET workbooks/{id}"));
        assert!(!s.bad_body_matches("GET workbooks/{id}/content"));
        assert_eq!(s.take_bad_body(), Some((BadBody::Html, DEFAULT_HUGE_BODY_BYTES)));
        assert_eq!(s.take_bad_body(), Some((BadBody::Html, DEFAULT_HUGE_BODY_BYTES)));
        assert_eq!(s.take_bad_body(), None);
        s.set(
            Faults::default()
                .bad_body(&[""], BadBody::Huge)
                .huge_body_bytes(7),
            HashSet::new(),
        );
        assert!(s.bad_body_matches("POST auth/signin"));
        assert!(!s.bad_body_matches("GET flows/{id}/content"));
        assert!(!s.bad_body_matches("GET workbooks/{id}/revisions/{n}/content"));
        assert!(s.bad_body_matches("GET workbooks/{id}/revisions"));
        assert!(s.bad_body_matches("GET customviews/{id}/content"));
        for _ in 0..5 {
            assert_eq!(s.take_bad_body(), Some((BadBody::Huge, 7)));
        }
    }

    #[test]
    fn drift_once_per_list() {
        let s = FaultState::new();
        assert_eq!(s.drift("GET users", "users", 2), None);
        s.set(
            Faults::default()
                .drift_after_page(2, 3)
                .drift_endpoints(&["GET users"]),
            HashSet::new(),
        );
        assert_eq!(s.drift("GET users", "users", 1), None);
        assert_eq!(s.drift("GET users", "users", 2), Some(3));
        assert_eq!(s.drift("GET users", "users", 2), None);
        assert_eq!(s.drift("GET workbooks", "workbooks", 2), None);
        s.set(Faults::default().drift_after_page(1, 0), HashSet::new());
        assert_eq!(s.drift("GET workbooks", "workbooks", 1), Some(1));
        assert!(!s.rejects_all_fields("GET users"));
        s.set(Faults::default().reject_all_fields(&[""]), HashSet::new());
        assert!(s.rejects_all_fields("GET users"));
    }

    #[test]
    fn bad_body_names() {
        for b in BadBody::ALL {
            assert_eq!(b.to_string().parse::<BadBody>(), Ok(b));
            assert_eq!(serde_json::to_string(&b).unwrap(), format!("\"{b}\""));
        }
        assert_eq!("truncated-json".parse(), Ok(BadBody::TruncatedJson));
        assert_eq!("Truncated".parse(), Ok(BadBody::TruncatedJson));
        assert!("nope".parse::<BadBody>().is_err());
        let f: Faults = serde_json::from_str("{}").unwrap();
        assert_eq!(f, Faults::default());
        assert_eq!(f.huge_body_bytes, 200 << 20);
    }
}
