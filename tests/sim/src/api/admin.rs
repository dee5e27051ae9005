//! The admin endpoint `/_sim/...` (no auth, no faults, not logged):
//! `GET /_sim/log`, `POST /_sim/log/reset`, `GET|PUT /_sim/faults` (JSON `Faults`),
//! `GET /_sim/catalog`, `POST /_sim/sessions/expire`.

use super::multipart::ReqBody;
use http_body_util::BodyExt;
use hyper::{Method, Request, StatusCode};

use super::{empty, full, Resp, State};
use crate::faults::Faults;

fn json(v: &impl serde::Serialize) -> Resp {
    match serde_json::to_vec_pretty(v) {
        Ok(b) => full(StatusCode::OK, "application/json", b),
        Err(e) => full(StatusCode::INTERNAL_SERVER_ERROR, "text/plain", e.to_string()),
    }
}

const HELP: &str = "tableau-sim admin endpoints:\n\
GET  /_sim/log             request log (JSON)\n\
POST /_sim/log/reset       clear the request log\n\
GET  /_sim/faults          current faults (JSON)\n\
PUT  /_sim/faults          replace faults (JSON body; missing keys = off)\n\
GET  /_sim/catalog         site contents (JSON)\n\
POST /_sim/sessions/expire end every session (tokens get 401002)\n";

pub(crate) async fn handle(state: &State, req: Request<ReqBody>) -> Resp {
    let path = req.uri().path().trim_end_matches('/').to_string();
    let m = req.method().clone();
    match (m, path.as_str()) {
        (Method::GET, "/_sim") => full(StatusCode::OK, "text/plain", HELP),
        (Method::GET, "/_sim/log") => json(&state.log.snapshot()),
        (Method::POST, "/_sim/log/reset") => {
            state.log.reset();
            empty(StatusCode::NO_CONTENT)
        }
        (Method::GET, "/_sim/faults") => json(&state.faults.get()),
        (Method::PUT | Method::POST, "/_sim/faults") => {
            let body = match req.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => return full(StatusCode::BAD_REQUEST, "text/plain", e.to_string()),
            };
            let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
                b"{}"
            } else {
                &body
            };
            match serde_json::from_slice::<Faults>(body) {
                Ok(f) => {
                    state.set_faults(f);
                    json(&state.faults.get())
                }
                Err(e) => full(StatusCode::BAD_REQUEST, "text/plain", e.to_string()),
            }
        }
        (Method::GET, "/_sim/catalog") => json(&state.site.catalog(&state.faults.missing_ids())),
        (Method::POST, "/_sim/sessions/expire") => {
            state.sessions.expire_all();
            empty(StatusCode::NO_CONTENT)
        }
        _ => full(StatusCode::NOT_FOUND, "text/plain", HELP),
    }
}
