//! A signed-in Tableau session: server info, PAT sign-in, the shared token,
//! single-flight re-sign-in, and the retry loop every call goes through.

use std::cell::RefCell;
use std::time::{Duration, Instant, SystemTime};

use futures::lock::Mutex;
use http::Method;
use serde_json::{json, Value};
use wstd::http::{Body, Response};

use super::http::{
    header, parse_json, read_capped, read_error_body, read_json, ApiError, ApiErrorKind, Http, ReadError,
    ReqBody, SendError,
};
use super::json::{string_at, TableauError};
use super::retry::{self, Policy, Verdict};
use crate::host;

/// Shortest wait after a 429/503, whatever `Retry-After` says.
const MIN_THROTTLE_WAIT: Duration = Duration::from_millis(250);

/// The API version this guest is written against; older servers get their own.
pub const PREFERRED_API_VERSION: &str = "3.24";

/// What is needed to sign in. `Debug` is not derived: the secret must never be printed.
pub struct Credentials {
    pub token_name: String,
    pub secret: String,
    pub site: String,
}

/// The current token. `generation` grows with every sign-in, so a request that
/// failed with an old token can tell whether someone already signed in again.
struct Session {
    token: String,
    generation: u64,
}

/// Why connecting (server info + first sign-in) failed.
pub enum ConnectError {
    /// Sign-in refused: wrong token name or secret, unknown site.
    Auth(String),
    /// Any other failure, as the request reported it.
    Api(ApiError),
}

pub struct Client {
    http: Http,
    creds: Credentials,
    policy: Policy,
    api_version: String,
    site_id: String,
    user_id: String,
    session: RefCell<Session>,
    /// Held while signing in again, so concurrent requests never race to do it twice.
    signin_lock: Mutex<()>,
}

/// What a successful sign-in returns.
struct SignIn {
    token: String,
    site_id: String,
    user_id: String,
}

impl Client {
    /// Reads the server's API version and signs in with the PAT.
    pub async fn connect(http: Http, creds: Credentials, policy: Policy) -> Result<Client, ConnectError> {
        let mut client = Client {
            http,
            creds,
            policy,
            api_version: PREFERRED_API_VERSION.to_string(),
            site_id: String::new(),
            user_id: String::new(),
            session: RefCell::new(Session {
                token: String::new(),
                generation: 0,
            }),
            signin_lock: Mutex::new(()),
        };
        client.api_version = client.discover_version().await.map_err(ConnectError::Api)?;
        host::info(format!(
            "using Tableau REST API {} on {}",
            client.api_version,
            client.http.server().as_str()
        ));
        let signed = client.sign_in().await.map_err(|e| {
            if matches!(e.status(), Some(401 | 403 | 404)) {
                ConnectError::Auth(format!(
                    "Tableau refused the sign-in with personal access token '{}' on site '{}' \
                     ({e}); check the token name and secret, that the token is not expired or \
                     revoked, and the site content URL",
                    client.creds.token_name, client.creds.site
                ))
            } else {
                ConnectError::Api(e)
            }
        })?;
        client.site_id = signed.site_id;
        client.user_id = signed.user_id;
        *client.session.borrow_mut() = Session {
            token: signed.token,
            generation: 1,
        };
        host::info(format!(
            "signed in to site '{}' (site id {}) as token '{}'",
            client.creds.site, client.site_id, client.creds.token_name
        ));
        Ok(client)
    }

    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    pub fn site_id(&self) -> &str {
        &self.site_id
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// `GET /api/{v}/sites/{site}/{rest}` as JSON. `endpoint` names the call in
    /// errors and logs (`GET groups/{id}/users`).
    pub async fn get_json(&self, endpoint: &str, rest: &str) -> Result<Value, ApiError> {
        let path = self.site_path(rest);
        self.request_json(endpoint, Method::GET, &path, &ReqBody::Empty, true)
            .await
    }

    /// `GET /api/{v}/sites/{site}/{rest}` with the body left unread, for downloads.
    pub async fn get_stream(&self, endpoint: &str, rest: &str) -> Result<Response<Body>, ApiError> {
        let path = self.site_path(rest);
        self.request(endpoint, Method::GET, &path, &ReqBody::Empty, true)
            .await
    }

    /// A write to `/api/{v}/sites/{site}/{rest}`: the JSON answer, or `null` for
    /// an empty one (204). See [`Client::request_with`] for `idempotent`.
    pub async fn write(
        &self,
        endpoint: &str,
        method: Method,
        rest: &str,
        body: &ReqBody,
        idempotent: bool,
    ) -> Result<Value, ApiError> {
        let path = self.site_path(rest);
        self.write_path(endpoint, method, &path, body, idempotent).await
    }

    /// A write under `/api/exp/sites/{site}/{rest}`: the version TSC uses for
    /// custom view content (documented under `exp`).
    pub async fn write_exp(
        &self,
        endpoint: &str,
        method: Method,
        rest: &str,
        body: &ReqBody,
        idempotent: bool,
    ) -> Result<Value, ApiError> {
        let path = format!("/api/exp/sites/{}/{rest}", super::path_segment(&self.site_id));
        self.write_path(endpoint, method, &path, body, idempotent).await
    }

    async fn write_path(
        &self,
        endpoint: &str,
        method: Method,
        path: &str,
        body: &ReqBody,
        idempotent: bool,
    ) -> Result<Value, ApiError> {
        let resp = self
            .request_with(endpoint, method, path, body, true, idempotent)
            .await?;
        let content_type = header(&resp, "content-type").unwrap_or_default();
        let bytes = read_capped(resp, 16 << 20).await.map_err(|e| {
            ApiError::new(
                endpoint,
                match e {
                    ReadError::Broken(m) => ApiErrorKind::Network(m),
                    ReadError::Protocol(m) => ApiErrorKind::Protocol(m),
                },
            )
        })?;
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(Value::Null);
        }
        parse_json(&content_type, &bytes).map_err(|m| ApiError::new(endpoint, ApiErrorKind::Protocol(m)))
    }

    /// [`Client::write`] with a JSON body.
    pub async fn write_json(
        &self,
        endpoint: &str,
        method: Method,
        rest: &str,
        body: &Value,
        idempotent: bool,
    ) -> Result<Value, ApiError> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ApiError::new(endpoint, ApiErrorKind::Protocol(format!("cannot encode: {e}"))))?;
        self.write(endpoint, method, rest, &ReqBody::Json(bytes), idempotent)
            .await
    }

    /// The signed-in user's LUID (the owner of whatever this session publishes).
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// Ends the session; failures are irrelevant at this point (the token may be dead).
    pub async fn sign_out(&self) {
        let token = self.session.borrow().token.clone();
        let path = format!("/api/{}/auth/signout", self.api_version);
        match self
            .http
            .send(Method::POST, &path, Some(&token), &ReqBody::Empty)
            .await
        {
            Ok(resp) => {
                let _ = read_error_body(resp).await;
            }
            Err(_) => host::debug("sign-out failed; ignored".to_string()),
        }
    }

    fn site_path(&self, rest: &str) -> String {
        let site = super::path_segment(&self.site_id);
        if rest.is_empty() {
            format!("/api/{}/sites/{site}", self.api_version)
        } else {
            format!("/api/{}/sites/{site}/{rest}", self.api_version)
        }
    }

    /// `min(server, 3.24)`: 3.24 unless the server is older.
    async fn discover_version(&self) -> Result<String, ApiError> {
        let endpoint = "GET serverinfo";
        let path = format!("/api/{PREFERRED_API_VERSION}/serverinfo");
        let info = match self
            .request_json(endpoint, Method::GET, &path, &ReqBody::Empty, false)
            .await
        {
            Ok(v) => v,
            // A server older than 3.24 may reject the version in the URL; 2.4 is
            // the oldest API with server info.
            Err(e) if matches!(e.status(), Some(400 | 404)) => {
                self.request_json(
                    endpoint,
                    Method::GET,
                    "/api/2.4/serverinfo",
                    &ReqBody::Empty,
                    false,
                )
                .await?
            }
            Err(e) => return Err(e),
        };
        let server = string_at(&info, &["serverInfo", "restApiVersion"]);
        Ok(super::choose_api_version(&server, PREFERRED_API_VERSION))
    }

    async fn sign_in(&self) -> Result<SignIn, ApiError> {
        let endpoint = "POST auth/signin";
        let body = json!({"credentials": {
            "personalAccessTokenName": self.creds.token_name,
            "personalAccessTokenSecret": self.creds.secret,
            "site": {"contentUrl": self.creds.site},
        }});
        let bytes = serde_json::to_vec(&body)
            .map_err(|e| ApiError::new(endpoint, ApiErrorKind::Protocol(format!("cannot encode: {e}"))))?;
        let path = format!("/api/{}/auth/signin", self.api_version);
        let resp = self
            .request_json(endpoint, Method::POST, &path, &ReqBody::Json(bytes), false)
            .await?;
        let token = string_at(&resp, &["credentials", "token"]);
        let site_id = string_at(&resp, &["credentials", "site", "id"]);
        if token.is_empty() || site_id.is_empty() {
            return Err(ApiError::new(
                endpoint,
                ApiErrorKind::Protocol("no credentials.token or credentials.site.id".to_string()),
            ));
        }
        Ok(SignIn {
            token,
            site_id,
            user_id: string_at(&resp, &["credentials", "user", "id"]),
        })
    }

    /// Signs in again unless another request already did since `used_generation`.
    async fn reauthenticate(&self, used_generation: u64) -> Result<(), ApiError> {
        let _guard = self.signin_lock.lock().await;
        if self.session.borrow().generation != used_generation {
            return Ok(());
        }
        host::info("the Tableau session expired or was replaced; signing in again".to_string());
        let signed = self.sign_in().await?;
        if signed.site_id != self.site_id || signed.user_id != self.user_id {
            host::warn("the new session reports a different site or user id".to_string());
        }
        let mut session = self.session.borrow_mut();
        session.token = signed.token;
        session.generation += 1;
        Ok(())
    }

    /// `request` + reading the JSON body; a body that breaks midway is fetched again.
    async fn request_json(
        &self,
        endpoint: &str,
        method: Method,
        path: &str,
        body: &ReqBody,
        auth: bool,
    ) -> Result<Value, ApiError> {
        let mut broken = 0;
        loop {
            let resp = self.request(endpoint, method.clone(), path, body, auth).await?;
            match read_json(resp).await {
                Ok(v) => return Ok(v),
                Err(ReadError::Protocol(m)) => {
                    return Err(ApiError::new(endpoint, ApiErrorKind::Protocol(m)))
                }
                Err(ReadError::Broken(m)) if broken < self.policy.max_retries => {
                    let wait = self.backoff(broken);
                    broken += 1;
                    host::debug(format!(
                        "{endpoint}: response body broke ({m}); retrying in {:.1} s",
                        wait.as_secs_f64()
                    ));
                    sleep(wait).await;
                }
                Err(ReadError::Broken(m)) => {
                    return Err(ApiError::new(
                        endpoint,
                        ApiErrorKind::Network(format!("{m} (after {} attempts)", broken + 1)),
                    ))
                }
            }
        }
    }

    /// The retry loop: returns a 2xx response or the error worth reporting.
    async fn request(
        &self,
        endpoint: &str,
        method: Method,
        path: &str,
        body: &ReqBody,
        auth: bool,
    ) -> Result<Response<Body>, ApiError> {
        self.request_with(endpoint, method, path, body, auth, true).await
    }

    /// The retry loop. A request that is not `idempotent` (a publish, adding a
    /// user) is sent again only when Tableau provably did not act on it (401,
    /// 429): after a 5xx or a broken connection it may have, and a second one
    /// would publish twice or fail as a duplicate.
    async fn request_with(
        &self,
        endpoint: &str,
        method: Method,
        path: &str,
        body: &ReqBody,
        auth: bool,
        idempotent: bool,
    ) -> Result<Response<Body>, ApiError> {
        let unsure = || Some("not sent again: Tableau may have applied it; check the target".to_string());
        let started = Instant::now();
        let mut retries = 0u32;
        let mut throttled = 0u32;
        let mut reauthed = false;
        loop {
            let (token, generation) = if auth {
                let s = self.session.borrow();
                (Some(s.token.clone()), s.generation)
            } else {
                (None, 0)
            };
            let outcome = self.http.send(method.clone(), path, token.as_deref(), body).await;
            let (wait, why) = match outcome {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let verdict = retry::classify(status);
                    if verdict == Verdict::Success {
                        return Ok(resp);
                    }
                    let retry_after = header(&resp, "retry-after");
                    let text = read_error_body(resp).await;
                    let error = TableauError::parse(&text);
                    let fail = |note: Option<String>| {
                        ApiError::new(
                            endpoint,
                            ApiErrorKind::Status {
                                status,
                                error: error.clone(),
                                note,
                            },
                        )
                    };
                    match verdict {
                        Verdict::Reauth if auth && !reauthed => {
                            reauthed = true;
                            host::debug(format!(
                                "{endpoint}: HTTP 401{}; refreshing the session and replaying",
                                error
                                    .as_ref()
                                    .and_then(|e| e.code.as_deref())
                                    .map(|c| format!(" ({c})"))
                                    .unwrap_or_default()
                            ));
                            // Boxed: sign-in goes through this same loop.
                            Box::pin(self.reauthenticate(generation)).await?;
                            continue;
                        }
                        Verdict::Throttled if !idempotent && status == 503 => return Err(fail(unsure())),
                        Verdict::Throttled => {
                            let hinted = retry_after
                                .as_deref()
                                .and_then(|v| retry::parse_retry_after(v, SystemTime::now()))
                                .or_else(|| retry::parse_retry_hint(&String::from_utf8_lossy(&text)));
                            // A floor, so `Retry-After: 0` cannot turn into a hot loop.
                            let wait = hinted
                                .map(|d| d.max(MIN_THROTTLE_WAIT))
                                .unwrap_or_else(|| self.backoff(throttled));
                            throttled += 1;
                            if retry::passes_deadline(started.elapsed(), wait, self.policy.deadline) {
                                return Err(fail(Some(format!(
                                    "gave up after {} s: waiting {} s more would pass the {} s limit",
                                    started.elapsed().as_secs(),
                                    wait.as_secs(),
                                    self.policy.deadline.as_secs()
                                ))));
                            }
                            (wait, format!("HTTP {status}"))
                        }
                        Verdict::Transient if !idempotent => return Err(fail(unsure())),
                        Verdict::Transient if retries < self.policy.max_retries => {
                            let wait = self.backoff(retries);
                            retries += 1;
                            (wait, format!("HTTP {status}"))
                        }
                        Verdict::Transient => {
                            return Err(fail(Some(format!("after {} attempts", retries + 1))))
                        }
                        _ => return Err(fail(None)),
                    }
                }
                Err(SendError::Denied(m)) => return Err(ApiError::new(endpoint, ApiErrorKind::Denied(m))),
                Err(SendError::Invalid(m)) => return Err(ApiError::new(endpoint, ApiErrorKind::Protocol(m))),
                Err(SendError::Network(m)) if !idempotent => {
                    return Err(ApiError::new(
                        endpoint,
                        ApiErrorKind::Network(format!("{m} ({})", unsure().unwrap_or_default())),
                    ))
                }
                Err(SendError::Network(m)) if retries < self.policy.max_retries => {
                    let wait = self.backoff(retries);
                    retries += 1;
                    (wait, m)
                }
                Err(SendError::Network(m)) => {
                    return Err(ApiError::new(
                        endpoint,
                        ApiErrorKind::Network(format!("{m} (after {} attempts)", retries + 1)),
                    ))
                }
            };
            host::debug(format!(
                "{endpoint}: {why}; retrying in {:.1} s",
                wait.as_secs_f64()
            ));
            sleep(wait).await;
        }
    }

    pub fn backoff(&self, attempt: u32) -> Duration {
        retry::backoff(&self.policy, attempt, random_unit())
    }
}

/// Sleeps on the WASI monotonic clock without blocking other downloads.
pub async fn sleep(d: Duration) {
    if !d.is_zero() {
        wstd::task::sleep(wstd::time::Duration::from(d)).await;
    }
}

/// A random number in `[0, 1)` from WASI random, for jitter.
fn random_unit() -> f64 {
    let mut buf = [0u8; 8];
    wstd::rand::get_insecure_random_bytes(&mut buf);
    (u64::from_le_bytes(buf) >> 11) as f64 / (1u64 << 53) as f64
}
