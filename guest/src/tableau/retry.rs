//! The one retry policy for every Tableau call (pure: callers supply time and randomness).

use std::time::{Duration, SystemTime};

/// How long and how often to retry.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// First backoff ceiling; doubles per attempt.
    pub base: Duration,
    /// Largest backoff ceiling.
    pub cap: Duration,
    /// Retries after 500/502/504/408, connection errors and broken bodies.
    pub max_retries: u32,
    /// Total time one request may spend waiting out 429/503.
    pub deadline: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            max_retries: 5,
            deadline: Duration::from_secs(15 * 60),
        }
    }
}

/// What to do with a response status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Success,
    /// 401: the session may have expired or been superseded; sign in again once.
    Reauth,
    /// 429 / 503: wait (Retry-After or backoff) until the request's deadline.
    Throttled,
    /// 500 / 502 / 504 / 408: retry a bounded number of times.
    Transient,
    /// Everything else: retrying would not help.
    Fatal,
}

pub fn classify(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Success,
        401 => Verdict::Reauth,
        429 | 503 => Verdict::Throttled,
        408 | 500 | 502 | 504 => Verdict::Transient,
        _ => Verdict::Fatal,
    }
}

/// Exponential backoff with full jitter: uniform in `[0, min(cap, base * 2^attempt)]`.
/// `unit` is a random number in `[0, 1)`.
pub fn backoff(policy: &Policy, attempt: u32, unit: f64) -> Duration {
    let factor = 2u32.saturating_pow(attempt.min(30));
    let ceiling = policy.base.saturating_mul(factor).min(policy.cap);
    ceiling.mul_f64(unit.clamp(0.0, 1.0))
}

/// Whether waiting `wait` more after `elapsed` would pass `deadline`; saturating, so a
/// `Retry-After: 18446744073709551615` gives up instead of overflowing.
pub fn passes_deadline(elapsed: Duration, wait: Duration, deadline: Duration) -> bool {
    elapsed.saturating_add(wait) > deadline
}

/// `Retry-After` as delta-seconds or an HTTP date (relative to `now`).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(1e9)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Tableau sometimes says when to come back only in the error text:
/// "Please retry after 29 minutes."
pub fn parse_retry_hint(text: &str) -> Option<Duration> {
    let lower = text.to_ascii_lowercase();
    let (_, rest) = lower.split_once("retry after")?;
    let rest = rest.trim_start();
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: u64 = digits.parse().ok()?;
    let unit = rest[digits.len()..].trim_start();
    let secs = if unit.starts_with("hour") {
        n.saturating_mul(3600)
    } else if unit.starts_with("minute") {
        n.saturating_mul(60)
    } else if unit.starts_with("second") {
        n
    } else {
        return None;
    };
    Some(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        assert_eq!(classify(200), Verdict::Success);
        assert_eq!(classify(204), Verdict::Success);
        assert_eq!(classify(401), Verdict::Reauth);
        assert_eq!(classify(429), Verdict::Throttled);
        assert_eq!(classify(503), Verdict::Throttled);
        assert_eq!(classify(502), Verdict::Transient);
        assert_eq!(classify(408), Verdict::Transient);
        assert_eq!(classify(404), Verdict::Fatal);
        assert_eq!(classify(403), Verdict::Fatal);
        assert_eq!(classify(400), Verdict::Fatal);
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let p = Policy::default();
        assert_eq!(backoff(&p, 0, 0.0), Duration::ZERO);
        assert_eq!(backoff(&p, 0, 1.0), Duration::from_secs(1));
        assert_eq!(backoff(&p, 3, 1.0), Duration::from_secs(8));
        assert_eq!(backoff(&p, 3, 0.5), Duration::from_secs(4));
        assert_eq!(backoff(&p, 10, 1.0), Duration::from_secs(60));
        assert_eq!(backoff(&p, u32::MAX, 1.0), Duration::from_secs(60));
    }

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(parse_retry_after("120", now), Some(Duration::from_secs(120)));
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:07 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    #[test]
    fn a_huge_retry_after_passes_the_deadline_without_overflow() {
        let now = SystemTime::UNIX_EPOCH;
        let wait = parse_retry_after("18446744073709551615", now).unwrap();
        let deadline = Policy::default().deadline;
        assert!(passes_deadline(Duration::from_secs(1), wait, deadline));
        assert!(passes_deadline(Duration::MAX, Duration::MAX, deadline));
        assert!(!passes_deadline(
            Duration::from_secs(1),
            Duration::from_secs(2),
            deadline
        ));
    }

    #[test]
    fn retry_hints_in_text() {
        assert_eq!(
            parse_retry_hint("Too many requests for 'x'. Please retry after 29 minutes."),
            Some(Duration::from_secs(29 * 60))
        );
        assert_eq!(
            parse_retry_hint("retry after 5 seconds"),
            Some(Duration::from_secs(5))
        );
        assert_eq!(parse_retry_hint("Too many requests"), None);
    }
}
