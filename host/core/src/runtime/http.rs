//! Outbound HTTP for the guest: the one place the policy is enforced.
//!
//! Every `wasi:http` request passes through [`PolicyHooks::send_request`]: the
//! target is checked against the allow-list, its name resolved and every
//! address checked, and the guest's timeouts capped by the host's. A refused
//! request gets `HttpRequestDenied` and a log line naming the target.

use crate::policy::http::{Origin, OutboundPolicy};
use crate::redact::Redactor;
use http_body_util::BodyExt;
use std::future::Future;
use std::time::Duration;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// Host-side ceilings on the guest's request timeouts.
#[derive(Debug, Clone, Copy)]
pub struct TimeoutCaps {
    /// To connect.
    pub connect: Duration,
    /// To the first byte of the response.
    pub first_byte: Duration,
    /// Between two chunks of the body.
    pub between_bytes: Duration,
}

/// The `wasi:http` hooks of one guest instance: the policy and the caps.
pub struct PolicyHooks {
    policy: OutboundPolicy,
    caps: TimeoutCaps,
    /// Denied targets are logged, and a target is guest-controlled text.
    redactor: Redactor,
}

impl PolicyHooks {
    /// Hooks enforcing `policy`, capping timeouts at `caps`.
    pub fn new(policy: OutboundPolicy, caps: TimeoutCaps, redactor: Redactor) -> Self {
        Self {
            policy,
            caps,
            redactor,
        }
    }
}

fn cap(guest: Option<Duration>, host: Duration) -> Option<Duration> {
    Some(guest.map_or(host, |g| g.min(host)))
}

fn deny(redactor: &Redactor, target: &str, why: &str) -> HttpError {
    let line = format!("outbound request to {target} denied: {why}");
    let line = redactor.clean(&line);
    tracing::warn!(target: "policy", "{line}");
    HttpError::HttpRequestDenied
}

type ResponseFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl WasiHttpHooks for PolicyHooks {
    /// The guest sees the error and decides (it retries); keep the log quiet.
    fn p2_error_from_hyper(
        &mut self,
        err: &hyper::Error,
    ) -> wasmtime_wasi_http::p2::bindings::http::types::ErrorCode {
        tracing::debug!("HTTP connection error: {err}");
        wasmtime_wasi_http::p2::bindings::http::types::ErrorCode::HttpProtocolError
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> ResponseFuture {
        let _ = fut;
        let policy = self.policy.clone();
        let caps = self.caps;
        let redactor = self.redactor.clone();
        Box::new(async move {
            let uri = request.uri();
            let shown = format!(
                "{}://{}",
                uri.scheme_str().unwrap_or("?"),
                uri.authority().map(|a| a.as_str()).unwrap_or("?")
            );
            let target = Origin::parse(&shown).map_err(|e| deny(&redactor, &shown, &e))?;
            policy
                .check_target(&target)
                .map_err(|d| deny(&redactor, &shown, &d.0))?;
            let addrs: Vec<_> = tokio::net::lookup_host((target.host.as_str(), target.port))
                .await
                .map_err(|_| HttpError::DnsError {
                    rcode: None,
                    info_code: None,
                })?
                .collect();
            policy
                .check_addrs(&target, &addrs)
                .map_err(|d| deny(&redactor, &shown, &d.0))?;
            let options = options.unwrap_or_default();
            let options = RequestOptions {
                connect_timeout: cap(options.connect_timeout, caps.connect),
                first_byte_timeout: cap(options.first_byte_timeout, caps.first_byte),
                between_bytes_timeout: cap(options.between_bytes_timeout, caps.between_bytes),
            };
            let (res, io) = wasmtime_wasi_http::default_send_request(request, Some(options)).await?;
            Ok((
                res.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = Result<(), HttpError>> + Send>,
            ))
        })
    }
}
