//! Fault knobs (switchable per run and at runtime) and their per-run counters.

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Tableau Cloud's limit on concurrent long-running requests (downloads) per site.
pub const CLOUD_MAX_CONCURRENT_DOWNLOADS: usize = 20;

/// All fault knobs; `Default` injects nothing. Setting faults resets their counters.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
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
}
