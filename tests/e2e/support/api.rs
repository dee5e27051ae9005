//! Reading the simulator's API directly (after a backup: signing in ends the
//! backup's session), to compare a backup with what Tableau would serve.

use serde_json::{json, Value};
use tableau_sim::Sim;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One request over a fresh connection; the JSON body of the answer.
async fn request(sim: &Sim, method: &str, path: &str, token: Option<&str>, body: &str) -> Value {
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", sim.port()))
        .await
        .unwrap();
    let auth = token
        .map(|t| format!("X-Tableau-Auth: {t}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n{auth}Connection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    conn.write_all(body.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    conn.read_to_end(&mut raw).await.unwrap();
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer")
        + 4;
    serde_json::from_slice(&raw[at..]).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// A signed-in reader of the simulator's site.
pub struct Api<'a> {
    sim: &'a Sim,
    token: String,
}

impl<'a> Api<'a> {
    pub async fn sign_in(sim: &'a Sim) -> Api<'a> {
        let body = json!({"credentials": {"personalAccessTokenName": sim.pat_name(),
            "personalAccessTokenSecret": sim.pat_secret(),
            "site": {"contentUrl": sim.site_content_url()}}});
        let v = request(sim, "POST", "/api/3.24/auth/signin", None, &body.to_string()).await;
        let token = v["credentials"]["token"].as_str().expect("signed in").to_string();
        Api { sim, token }
    }

    /// `GET sites/{site}/{rest}` as JSON.
    pub async fn get(&self, rest: &str) -> Value {
        let path = format!("/api/3.24/sites/{}/{rest}", self.sim.site_id());
        request(self.sim, "GET", &path, Some(&self.token), "").await
    }

    /// Every item of a list (one page of up to 1000), as Tableau's JSON shapes them.
    pub async fn list(&self, path: &str, outer: &str, inner: &str) -> Vec<Value> {
        let sep = if path.contains('?') { '&' } else { '?' };
        let v = self.get(&format!("{path}{sep}pageSize=1000")).await;
        match &v[outer][inner] {
            Value::Array(a) => a.clone(),
            one @ Value::Object(_) => vec![one.clone()],
            _ => Vec::new(),
        }
    }
}
