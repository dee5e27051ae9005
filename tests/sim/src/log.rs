//! The request log tests read: counts per endpoint and status, bytes, sign-ins, 429 timing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

/// A snapshot of the request log. Times are durations since the simulator started.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RequestLog {
    pub total_requests: u64,
    /// Per normalised endpoint, e.g. "GET workbooks", "GET workbooks/{id}/content",
    /// "POST auth/signin", "GET serverinfo", "PUT fileUploads/{id}".
    pub by_endpoint: BTreeMap<String, u64>,
    pub by_status: BTreeMap<u16, u64>,
    pub by_endpoint_status: BTreeMap<String, BTreeMap<u16, u64>>,
    /// Response body bytes handed to the connection.
    pub bytes_sent: u64,
    /// Successful sign-ins.
    pub sign_ins: u64,
    /// Content downloads cut short by the drop fault.
    pub dropped_downloads: u64,
    /// Content downloads that stalled (the stall fault), whether or not the client waited.
    pub stalled_downloads: u64,
    /// Responses whose body the bad-body fault replaced.
    pub bad_bodies: u64,
    /// Highest number of content downloads streaming at once.
    pub peak_concurrent_downloads: usize,
    /// Every 429 sent, with the arrival of the next request after it.
    pub rate_limited: Vec<RateLimitEvent>,
    /// TCP connections accepted (admin requests included): with keep-alive, far fewer
    /// than `total_requests`.
    pub connections: u64,
    /// Every request other than GET (and HEAD), sign-in and sign-out excepted, in arrival
    /// order of their answers: what a restore changed (or tried to).
    pub writes: Vec<WriteRequest>,
}

/// One write request (see [`RequestLog::writes`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WriteRequest {
    /// `PUT`, `POST`, `DELETE`, ...
    pub method: String,
    /// The normalised endpoint, method included, e.g. `"PUT workbooks/{id}"`.
    pub endpoint: String,
    /// The first `{id}` of the path (the resource written), if the endpoint has one.
    pub id: Option<String>,
    pub status: u16,
}

#[derive(Clone, Debug, Serialize)]
pub struct RateLimitEvent {
    pub endpoint: String,
    #[serde(serialize_with = "ser_ms")]
    pub at: Duration,
    pub retry_after_secs: Option<u64>,
    /// Arrival of the next request of any kind.
    #[serde(serialize_with = "ser_opt_ms")]
    pub next_request_at: Option<Duration>,
    /// Arrival of the next request to the same endpoint.
    #[serde(serialize_with = "ser_opt_ms")]
    pub next_same_endpoint_at: Option<Duration>,
}

impl RateLimitEvent {
    /// Gap until the next request to the same endpoint.
    pub fn wait_before_retry(&self) -> Option<Duration> {
        self.next_same_endpoint_at.map(|n| n.saturating_sub(self.at))
    }
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1000.0)
}

fn ser_opt_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => ser_ms(d, s),
        None => s.serialize_none(),
    }
}

impl RequestLog {
    /// Every write request (non-GET, sign-in and sign-out excepted); empty after a dry run.
    pub fn writes(&self) -> &[WriteRequest] {
        &self.writes
    }

    /// Write requests per normalised endpoint.
    pub fn write_counts(&self) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for w in &self.writes {
            *m.entry(w.endpoint.clone()).or_default() += 1;
        }
        m
    }

    /// Write requests whose path names this id.
    pub fn writes_to(&self, id: &str) -> Vec<&WriteRequest> {
        self.writes
            .iter()
            .filter(|w| w.id.as_deref() == Some(id))
            .collect()
    }

    /// Requests to an endpoint (exact normalised name).
    pub fn count(&self, endpoint: &str) -> u64 {
        self.by_endpoint.get(endpoint).copied().unwrap_or(0)
    }

    /// Responses with a status.
    pub fn status(&self, status: u16) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }

    /// Responses to an endpoint with a status.
    pub fn endpoint_status(&self, endpoint: &str, status: u16) -> u64 {
        self.by_endpoint_status
            .get(endpoint)
            .and_then(|m| m.get(&status))
            .copied()
            .unwrap_or(0)
    }
}

/// The live log.
pub(crate) struct Recorder {
    started: Instant,
    inner: Mutex<Inner>,
    pub bytes_sent: AtomicU64,
    pub active_downloads: AtomicUsize,
    peak_downloads: AtomicUsize,
    dropped: AtomicU64,
    stalled: AtomicU64,
    bad_bodies: AtomicU64,
    connections: AtomicU64,
}

#[derive(Default)]
struct Inner {
    log: RequestLog,
    /// Indices of 429 events still waiting for a next request / next same-endpoint request.
    pending_any: Vec<usize>,
    pending_same: Vec<usize>,
}

impl Recorder {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            inner: Mutex::new(Inner::default()),
            bytes_sent: AtomicU64::new(0),
            active_downloads: AtomicUsize::new(0),
            peak_downloads: AtomicUsize::new(0),
            dropped: AtomicU64::new(0),
            stalled: AtomicU64::new(0),
            bad_bodies: AtomicU64::new(0),
            connections: AtomicU64::new(0),
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// A request arrived at `at` for `endpoint`: closes pending 429 events.
    pub fn arrived(&self, endpoint: &str, at: Duration) {
        let mut g = self.inner.lock().unwrap();
        let Inner {
            log,
            pending_any,
            pending_same,
        } = &mut *g;
        for i in pending_any.drain(..) {
            log.rate_limited[i].next_request_at = Some(at);
        }
        pending_same.retain(|&i| {
            let ev = &mut log.rate_limited[i];
            if ev.endpoint == endpoint {
                ev.next_same_endpoint_at = Some(at);
                false
            } else {
                true
            }
        });
    }

    /// A response was sent (`body_len`: its size when known up front; streams count themselves).
    pub fn finished(&self, endpoint: &str, status: u16, body_len: u64, retry_after: Option<u64>) {
        self.bytes_sent.fetch_add(body_len, Ordering::Relaxed);
        let at = self.elapsed();
        let mut g = self.inner.lock().unwrap();
        let log = &mut g.log;
        log.total_requests += 1;
        *log.by_endpoint.entry(endpoint.to_string()).or_default() += 1;
        *log.by_status.entry(status).or_default() += 1;
        *log.by_endpoint_status
            .entry(endpoint.to_string())
            .or_default()
            .entry(status)
            .or_default() += 1;
        if status == 429 {
            log.rate_limited.push(RateLimitEvent {
                endpoint: endpoint.to_string(),
                at,
                retry_after_secs: retry_after,
                next_request_at: None,
                next_same_endpoint_at: None,
            });
            let i = log.rate_limited.len() - 1;
            g.pending_any.push(i);
            g.pending_same.push(i);
        }
    }

    /// A write request was answered (see [`RequestLog::writes`]).
    pub fn wrote(&self, method: &str, endpoint: &str, id: Option<String>, status: u16) {
        self.inner.lock().unwrap().log.writes.push(WriteRequest {
            method: method.to_string(),
            endpoint: endpoint.to_string(),
            id,
            status,
        });
    }

    pub fn sign_in(&self) {
        self.inner.lock().unwrap().log.sign_ins += 1;
    }

    pub fn download_started(&self) -> usize {
        self.active_downloads.fetch_add(1, Ordering::SeqCst) + 1
    }

    pub fn download_counted(&self, n: usize) {
        self.peak_downloads.fetch_max(n, Ordering::SeqCst);
    }

    pub fn download_ended(&self) {
        self.active_downloads.fetch_sub(1, Ordering::SeqCst);
    }

    pub fn connection(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub fn dropped(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    pub fn stalled(&self) {
        self.stalled.fetch_add(1, Ordering::Relaxed);
    }

    pub fn bad_body(&self) {
        self.bad_bodies.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> RequestLog {
        let mut log = self.inner.lock().unwrap().log.clone();
        log.bytes_sent = self.bytes_sent.load(Ordering::Relaxed);
        log.peak_concurrent_downloads = self.peak_downloads.load(Ordering::SeqCst);
        log.dropped_downloads = self.dropped.load(Ordering::Relaxed);
        log.stalled_downloads = self.stalled.load(Ordering::Relaxed);
        log.bad_bodies = self.bad_bodies.load(Ordering::Relaxed);
        log.connections = self.connections.load(Ordering::Relaxed);
        log
    }

    pub fn reset(&self) {
        *self.inner.lock().unwrap() = Inner::default();
        self.bytes_sent.store(0, Ordering::Relaxed);
        self.dropped.store(0, Ordering::Relaxed);
        self.stalled.store(0, Ordering::Relaxed);
        self.bad_bodies.store(0, Ordering::Relaxed);
        self.connections.store(0, Ordering::Relaxed);
        self.peak_downloads
            .store(self.active_downloads.load(Ordering::SeqCst), Ordering::SeqCst);
    }
}
