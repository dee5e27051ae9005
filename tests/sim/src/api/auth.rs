//! serverinfo, PAT sign-in / sign-out, and the per-request token check.
//! One session per PAT: signing in again invalidates the older token.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::multipart::ReqBody;
use hyper::header::CONTENT_TYPE;
use hyper::{HeaderMap, Request, StatusCode};
use rand::distributions::Alphanumeric;
use rand::Rng;

use super::format::{Fmt, Node};
use super::{empty, error, ok, xmlreq, Resp, State};
use crate::util::looks_like_luid;

#[derive(Default)]
pub(crate) struct Sessions {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    by_token: HashMap<String, Session>,
    by_pat: HashMap<String, String>,
}

struct Session {
    pat: String,
    created: Instant,
    calls: u64,
}

/// The caller of an authenticated request.
pub(crate) struct SessionInfo {
    pub user_id: String,
}

impl Sessions {
    /// End every session (their tokens get 401002).
    pub fn expire_all(&self) {
        let mut g = self.inner.lock().unwrap();
        g.by_token.clear();
        g.by_pat.clear();
    }

    /// A new session for `pat`; the token is opaque, shaped like Cloud's "xxx|yyy|site".
    fn start(&self, pat: &str, site_id: &str) -> String {
        let token = format!("{}|{}|{site_id}", random(22), random(32));
        let mut g = self.inner.lock().unwrap();
        if let Some(old) = g.by_pat.insert(pat.to_string(), token.clone()) {
            g.by_token.remove(&old);
        }
        g.by_token.insert(
            token.clone(),
            Session {
                pat: pat.to_string(),
                created: Instant::now(),
                calls: 0,
            },
        );
        token
    }

    fn end(&self, token: &str) -> bool {
        let mut g = self.inner.lock().unwrap();
        match g.by_token.remove(token) {
            Some(s) => {
                if g.by_pat.get(&s.pat).map(String::as_str) == Some(token) {
                    g.by_pat.remove(&s.pat);
                }
                true
            }
            None => false,
        }
    }

    /// Count a call on `token`; false when unknown or expired (then it is removed).
    fn touch(&self, token: &str, limits: (Option<u64>, Option<f64>)) -> bool {
        let expired = {
            let mut g = self.inner.lock().unwrap();
            let Some(s) = g.by_token.get_mut(token) else {
                return false;
            };
            s.calls += 1;
            limits.0.is_some_and(|n| s.calls > n)
                || limits.1.is_some_and(|t| s.created.elapsed().as_secs_f64() > t)
        };
        if expired {
            self.end(token);
        }
        !expired
    }
}

fn random(n: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

pub(crate) fn server_info(state: &State, fmt: Fmt) -> Resp {
    let node = Node::new("serverInfo")
        .child(
            Node::new("productVersion")
                .attr("build", "20243.24.1112.0328")
                .text("2024.3.0"),
        )
        .child(Node::new("restApiVersion").text(&state.cfg.api_version));
    ok(fmt, StatusCode::OK, &[node])
}

fn signin_error(fmt: Fmt) -> Resp {
    error(
        fmt,
        401,
        "401001",
        "Signin Error",
        "Error signing in to Tableau Server",
    )
}

struct Creds {
    pat_name: Option<String>,
    pat_secret: Option<String>,
    site: String,
}

fn parse_creds(body: &[u8], json: bool) -> Option<Creds> {
    let text = std::str::from_utf8(body).ok()?;
    if json || text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let c = v.get("credentials")?;
        let s = |k: &str| c.get(k).and_then(|x| x.as_str()).map(str::to_string);
        Some(Creds {
            pat_name: s("personalAccessTokenName"),
            pat_secret: s("personalAccessTokenSecret"),
            site: c
                .get("site")
                .and_then(|x| x.get("contentUrl"))
                .and_then(|x| x.as_str())
                .unwrap_or("")
                .to_string(),
        })
    } else {
        let c = xmlreq::find_attrs(text, "credentials")?;
        let site = xmlreq::find_attrs(text, "site").unwrap_or_default();
        Some(Creds {
            pat_name: xmlreq::attr(&c, "personalAccessTokenName").map(str::to_string),
            pat_secret: xmlreq::attr(&c, "personalAccessTokenSecret").map(str::to_string),
            site: xmlreq::attr(&site, "contentUrl").unwrap_or("").to_string(),
        })
    }
}

pub(crate) async fn sign_in(state: &State, req: Request<ReqBody>, fmt: Fmt) -> Resp {
    let json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let body = match super::multipart::read_body(req.into_body(), 1 << 20).await {
        Ok(b) => b,
        Err(_) => return error(fmt, 400, "400000", "Bad Request", "Request body too large."),
    };
    let Some(creds) = parse_creds(&body, json) else {
        return error(
            fmt,
            400,
            "400000",
            "Bad Request",
            "The request body is not a valid credentials payload.",
        );
    };
    let cfg = &state.cfg;
    let pats =
        std::iter::once((&cfg.pat_name, &cfg.pat_secret)).chain(cfg.extra_pats.iter().map(|(n, s)| (n, s)));
    let (Some(name), Some(secret)) = (creds.pat_name, creds.pat_secret) else {
        // Name/password or JWT sign-in: not offered by this site.
        return signin_error(fmt);
    };
    let known = pats.into_iter().any(|(n, s)| *n == name && *s == secret);
    if !known || !creds.site.eq_ignore_ascii_case(&cfg.site_content_url) {
        return signin_error(fmt);
    }
    let site = state.site.info();
    let token = state.sessions.start(&name, &site.id);
    state.log.sign_in();
    let node = Node::new("credentials")
        .attr("token", &token)
        .attr("estimatedTimeToExpiration", "177:05:38")
        .child(
            Node::new("site")
                .attr("id", &site.id)
                .attr("contentUrl", &site.content_url),
        )
        .child(Node::new("user").attr("id", state.site.admin().id));
    ok(fmt, StatusCode::OK, &[node])
}

fn token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("x-tableau-auth")
        .and_then(|v| v.to_str().ok())
        .filter(|t| !t.is_empty())
}

fn invalid(fmt: Fmt) -> Resp {
    error(
        fmt,
        401,
        "401002",
        "Unauthorized Access",
        "Invalid authentication credentials were provided.",
    )
}

pub(crate) fn sign_out(state: &State, headers: &HeaderMap, fmt: Fmt) -> Resp {
    match token(headers) {
        Some(t) if state.sessions.end(t) => empty(StatusCode::NO_CONTENT),
        Some(_) => invalid(fmt),
        None => missing(fmt),
    }
}

fn missing(fmt: Fmt) -> Resp {
    error(
        fmt,
        401,
        "401000",
        "Unauthorized Access",
        "No authentication credentials were provided.",
    )
}

/// Check `X-Tableau-Auth` and count the call against the session.
pub(crate) fn check(state: &State, headers: &HeaderMap, fmt: Fmt) -> Result<SessionInfo, Box<Resp>> {
    let Some(t) = token(headers) else {
        return Err(Box::new(missing(fmt)));
    };
    if !state.sessions.touch(t, state.faults.session_limits()) {
        return Err(Box::new(invalid(fmt)));
    }
    Ok(SessionInfo {
        user_id: state.site.admin().id,
    })
}

/// The `{site}` segment is not the signed-in site's LUID.
pub(crate) fn wrong_site(fmt: Fmt, site: &str) -> Resp {
    if looks_like_luid(site) {
        error(
            fmt,
            403,
            "403000",
            "Forbidden",
            &format!("The credentials token does not grant access to site '{site}'."),
        )
    } else {
        error(
            fmt,
            404,
            "404000",
            "Resource Not Found",
            &format!("Site '{site}' could not be found."),
        )
    }
}

pub(crate) fn current_session(state: &State, s: &SessionInfo, fmt: Fmt) -> Resp {
    let site = state.site.info();
    let user = state.site.admin();
    let node = Node::new("session")
        .child(
            Node::new("site")
                .attr("id", &site.id)
                .attr("name", &site.name)
                .attr("contentUrl", &site.content_url),
        )
        .child(
            Node::new("user")
                .attr("id", &s.user_id)
                .attr("name", &user.name)
                .attr("siteRole", user.site_role),
        );
    ok(fmt, StatusCode::OK, &[node])
}
