//! Shared helpers for the simulator's integration tests: a tiny signed-in REST client.
#![allow(dead_code)]

pub mod shape;

use serde_json::Value;
use tableau_sim::Sim;

pub const V: &str = "3.24";

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub token: String,
    pub site_id: String,
    pub user_id: String,
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

pub fn signin_json(name: &str, secret: &str, site: &str) -> String {
    serde_json::json!({"credentials": {
        "personalAccessTokenName": name,
        "personalAccessTokenSecret": secret,
        "site": {"contentUrl": site}}})
    .to_string()
}

/// Sign in with JSON; panics on failure.
pub async fn sign_in(sim: &Sim) -> Client {
    sign_in_as(sim, sim.pat_name(), sim.pat_secret()).await
}

pub async fn sign_in_as(sim: &Sim, name: &str, secret: &str) -> Client {
    let http = http();
    let r = http
        .post(format!("{}/api/{V}/auth/signin", sim.base_url()))
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(signin_json(name, secret, sim.site_content_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let c = &v["credentials"];
    Client {
        http,
        base: sim.base_url(),
        token: c["token"].as_str().unwrap().to_string(),
        site_id: c["site"]["id"].as_str().unwrap().to_string(),
        user_id: c["user"]["id"].as_str().unwrap().to_string(),
    }
}

impl Client {
    /// `{base}/api/3.24/sites/{site}/{path}`
    pub fn url(&self, path: &str) -> String {
        format!("{}/api/{V}/sites/{}/{path}", self.base, self.site_id)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .header("X-Tableau-Auth", &self.token)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(self.url(path))
            .header("X-Tableau-Auth", &self.token)
            .header("Accept", "application/json")
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, v)
    }

    pub async fn get_xml(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Every element of a paginated JSON list (`wrapper`/`item`), walking pages like TSC.
    pub async fn walk(&self, path: &str, wrapper: &str, item: &str, size: usize) -> Vec<Value> {
        let mut out = Vec::new();
        let sep = if path.contains('?') { '&' } else { '?' };
        for page in 1.. {
            let (st, v) = self
                .get_json(&format!("{path}{sep}pageSize={size}&pageNumber={page}"))
                .await;
            if st == 400 && v["error"]["code"] == "400006" {
                break;
            }
            assert_eq!(st, 200, "{path} page {page}: {v}");
            let items = as_list(&v[wrapper][item]);
            let n = items.len();
            out.extend(items);
            let total: usize = v["pagination"]["totalAvailable"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            if n == 0 || page * size >= total {
                break;
            }
        }
        out
    }
}

/// One-or-many: an array, a single object, or nothing.
pub fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// A `multipart/mixed` body; parts are (name, filename, content type, bytes).
pub fn multipart(parts: &[(&str, Option<&str>, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "sim-test-boundary-7d3f";
    let mut body = Vec::new();
    for (name, filename, ctype, data) in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let disp = match filename {
            Some(f) => format!("Content-Disposition: name=\"{name}\"; filename=\"{f}\"\r\n"),
            None => format!("Content-Disposition: name=\"{name}\"\r\n"),
        };
        body.extend_from_slice(disp.as_bytes());
        body.extend_from_slice(format!("Content-Type: {ctype}\r\n\r\n").as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/mixed; boundary={boundary}"), body)
}
