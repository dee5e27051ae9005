//! Every response is a complete HTTP/1.1 message and the connection stays usable: sign-out
//! with an empty body (however it is framed), endpoints that ignore the request body, and
//! error paths that answer before reading it.

mod common;

use std::io;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use tableau_sim::{Faults, Sim, SimConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use common::V;

type B = BoxBody<Bytes, io::Error>;

/// An empty body of unknown length that ends a little after the headers went out: hyper
/// frames it as `Transfer-Encoding: chunked` and the last chunk follows later, which is
/// what wasi:http (wasmtime-wasi-http) does for a body-less POST.
fn late_empty() -> B {
    let s = futures::stream::unfold(false, |done| async move {
        if done {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        Some((Ok::<_, io::Error>(Frame::data(Bytes::new())), true))
    });
    StreamBody::new(s).boxed()
}

fn none() -> B {
    Empty::new().map_err(|e| match e {}).boxed()
}

fn bytes(b: impl Into<Bytes>) -> B {
    Full::new(b.into()).map_err(|e| match e {}).boxed()
}

/// One hyper client connection, like wasmtime-wasi-http's `default_send_request`.
async fn connect(sim: &Sim) -> (SendRequest<B>, tokio::task::JoinHandle<hyper::Result<()>>) {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", sim.port()))
        .await
        .unwrap();
    let (tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .unwrap();
    (tx, tokio::spawn(conn))
}

/// Send on the connection and read the whole response.
async fn send(
    tx: &mut SendRequest<B>,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
    body: B,
) -> (StatusCode, hyper::HeaderMap, Bytes) {
    tx.ready().await.expect("connection still open");
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "127.0.0.1");
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let resp = tokio::time::timeout(Duration::from_secs(10), tx.send_request(b.body(body).unwrap()))
        .await
        .expect("response in time")
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.expect("complete body").to_bytes();
    (parts.status, parts.headers, body)
}

async fn sign_in(tx: &mut SendRequest<B>, sim: &Sim) -> (String, String) {
    let (st, _, body) = send(
        tx,
        Method::POST,
        &format!("/api/{V}/auth/signin"),
        &[
            ("accept", "application/json"),
            ("content-type", "application/json"),
        ],
        bytes(common::signin_json(
            sim.pat_name(),
            sim.pat_secret(),
            sim.site_content_url(),
        )),
    )
    .await;
    assert_eq!(st, 200);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    (
        v["credentials"]["token"].as_str().unwrap().to_string(),
        v["credentials"]["site"]["id"].as_str().unwrap().to_string(),
    )
}

fn assert_204(h: &hyper::HeaderMap, body: &Bytes) {
    assert!(body.is_empty());
    assert!(h.get("content-length").is_none(), "{h:?}");
    assert!(h.get("transfer-encoding").is_none(), "{h:?}");
}

/// Sign out the way the backup guest does (head first, empty chunked body after), then
/// keep using the same connection.
#[tokio::test]
async fn sign_out_with_late_empty_body_keeps_the_connection() {
    let sim = Sim::start(SimConfig::generated(3).workbooks(3)).await.unwrap();
    let (mut tx, conn) = connect(&sim).await;
    for round in 0..3 {
        let (token, _) = sign_in(&mut tx, &sim).await;
        let body = match round {
            0 => late_empty(),
            1 => none(),
            _ => bytes(""),
        };
        let (st, h, b) = send(
            &mut tx,
            Method::POST,
            &format!("/api/{V}/auth/signout"),
            &[("accept", "application/json"), ("x-tableau-auth", &token)],
            body,
        )
        .await;
        assert_eq!(st, 204, "round {round}");
        assert_204(&h, &b);
        let (st, _, _) = send(
            &mut tx,
            Method::GET,
            &format!("/api/{V}/serverinfo"),
            &[("accept", "application/json")],
            none(),
        )
        .await;
        assert_eq!(st, 200);
    }
    drop(tx);
    conn.await.unwrap().expect("the connection ends cleanly");
    assert_eq!(sim.log().connections, 1);
}

/// The same with reqwest (a pooled keep-alive client): an empty streamed body and no body.
#[tokio::test]
async fn sign_out_with_reqwest_then_more_requests() {
    let sim = Sim::start(SimConfig::generated(3).workbooks(3)).await.unwrap();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    for streamed in [true, false] {
        let r = http
            .post(format!("{}/api/{V}/auth/signin", sim.base_url()))
            .header("Accept", "application/json")
            .header("Content-Type", "application/json")
            .body(common::signin_json(
                sim.pat_name(),
                sim.pat_secret(),
                sim.site_content_url(),
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        let token = v["credentials"]["token"].as_str().unwrap().to_string();
        let site = v["credentials"]["site"]["id"].as_str().unwrap().to_string();
        let req = http
            .post(format!("{}/api/{V}/auth/signout", sim.base_url()))
            .header("Accept", "application/json")
            .header("X-Tableau-Auth", &token);
        let req = if streamed {
            req.body(reqwest::Body::wrap_stream(futures::stream::unfold(
                false,
                |done| async move {
                    if done {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(30)).await;
                    Some((Ok::<_, io::Error>(Bytes::new()), true))
                },
            )))
        } else {
            req
        };
        let r = req.send().await.expect("sign-out answered");
        assert_eq!(r.status(), 204);
        assert!(r.headers().get("content-length").is_none());
        assert!(r.bytes().await.unwrap().is_empty());
        // The response can come before the client finished sending the body; let the
        // client put the connection back into its pool.
        tokio::time::sleep(Duration::from_millis(100)).await;
        // The token is dead; the connection is not.
        let r = http
            .get(format!("{}/api/{V}/sites/{site}/workbooks", sim.base_url()))
            .header("X-Tableau-Auth", &token)
            .send()
            .await
            .expect("next request answered");
        assert_eq!(r.status(), 401);
        r.bytes().await.unwrap();
    }
    assert_eq!(sim.log().connections, 1, "every request reused one connection");
}

/// Many kinds of responses (successes, errors, injected faults, admin), several with a
/// request body the handler never reads, all on one connection.
#[tokio::test]
async fn every_response_is_complete_on_one_connection() {
    let sim = Sim::start(SimConfig::generated(5).workbooks(4).users(5))
        .await
        .unwrap();
    let (mut tx, conn) = connect(&sim).await;
    let (token, site) = sign_in(&mut tx, &sim).await;
    let auth = [("x-tableau-auth", token.as_str())];
    let s = |p: &str| format!("/api/{V}/sites/{site}/{p}");
    let wb = sim.catalog().items[0].id.clone();
    let big = vec![b'x'; 3 << 20];
    let mixed = [
        ("x-tableau-auth", token.as_str()),
        ("content-type", "multipart/mixed; boundary=zz"),
    ];
    /// Method, path, headers, body, expected status.
    type Case<'a> = (Method, String, &'a [(&'a str, &'a str)], B, u16);
    let cases: Vec<Case> = vec![
        (Method::GET, format!("/api/{V}/serverinfo"), &[], none(), 200),
        (
            Method::GET,
            format!("/api/{V}/serverinfo"),
            &[],
            late_empty(),
            200,
        ),
        (Method::GET, s("workbooks?pageSize=2"), &auth, none(), 200),
        (Method::GET, s("workbooks"), &auth, bytes("ignored"), 200),
        (Method::GET, s(&format!("workbooks/{wb}")), &auth, none(), 200),
        (
            Method::GET,
            s(&format!("workbooks/{wb}/content")),
            &auth,
            none(),
            200,
        ),
        (Method::GET, s("workbooks/nope"), &auth, none(), 404),
        (Method::GET, s("nothing-here"), &auth, none(), 404),
        (Method::GET, s("workbooks?pageSize=5000"), &auth, none(), 400),
        (Method::GET, s("workbooks"), &[], none(), 401),
        (Method::DELETE, format!("/api/{V}/auth/signin"), &[], none(), 405),
        // Bodies nobody reads: auth fails before the upload is looked at.
        (Method::POST, s("workbooks"), &[], bytes(big.clone()), 401),
        (Method::POST, s("workbooks"), &[], late_empty(), 401),
        (Method::PUT, s("fileUploads/nope"), &mixed, bytes(big), 404),
        (Method::POST, s("workbooks"), &auth, bytes("form"), 415),
        (Method::POST, "/_sim/log/reset".into(), &[], late_empty(), 204),
        (Method::GET, "/_sim".into(), &[], none(), 200),
    ];
    for (m, path, h, body, want) in cases {
        let (st, headers, b) = send(&mut tx, m.clone(), &path, h, body).await;
        assert_eq!(st.as_u16(), want, "{m} {path}: {}", String::from_utf8_lossy(&b));
        if st == StatusCode::NO_CONTENT {
            assert_204(&headers, &b);
        } else {
            let len: usize = headers
                .get("content-length")
                .unwrap_or_else(|| panic!("{m} {path}: no Content-Length"))
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(len, b.len(), "{m} {path}");
        }
        assert!(headers.get("connection").is_none(), "{m} {path}: {headers:?}");
    }
    // Injected faults answer before any handler.
    for (f, want) in [
        (Faults::default().rate_limit_burst(1).retry_after(1), 429),
        (Faults::default().server_errors(500, 1), 500),
        (Faults::default().server_errors(502, 1), 502),
        (Faults::default().server_errors(503, 1), 503),
    ] {
        sim.set_faults(f);
        let (st, h, b) = send(&mut tx, Method::POST, &s("workbooks"), &mixed, late_empty()).await;
        assert_eq!(st.as_u16(), want);
        assert_eq!(h["content-length"].to_str().unwrap(), b.len().to_string());
    }
    sim.set_faults(Faults::default());
    let (st, h, b) = send(
        &mut tx,
        Method::POST,
        &format!("/api/{V}/auth/signout"),
        &auth,
        late_empty(),
    )
    .await;
    assert_eq!(st, 204);
    assert_204(&h, &b);
    drop(tx);
    conn.await.unwrap().expect("the connection ends cleanly");
    // The log was reset half-way: no connection was opened since.
    assert_eq!(sim.log().connections, 0);
}

/// The bytes of a 204 on the wire: status line, headers, nothing else; the connection
/// stays open for the next request (raw, so nothing is hidden by a client library).
#[tokio::test]
async fn sign_out_on_the_wire() {
    let sim = Sim::start(SimConfig::generated(3).workbooks(3)).await.unwrap();
    for framing in [
        "Content-Length: 0\r\n\r\n",
        "\r\n",
        "Transfer-Encoding: chunked\r\n\r\n",
    ] {
        let c = common::sign_in(&sim).await;
        let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", sim.port()))
            .await
            .unwrap();
        let head = format!(
            "POST /api/{V}/auth/signout HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\
             X-Tableau-Auth: {}\r\n{framing}",
            c.token
        );
        tcp.write_all(head.as_bytes()).await.unwrap();
        if framing.contains("chunked") {
            tokio::time::sleep(Duration::from_millis(50)).await;
            tcp.write_all(b"0\r\n\r\n").await.unwrap();
        }
        let resp = read_head(&mut tcp).await;
        assert!(resp.starts_with("HTTP/1.1 204 "), "{resp}");
        let lower = resp.to_ascii_lowercase();
        for h in ["content-length", "transfer-encoding", "connection: close"] {
            assert!(!lower.contains(h), "{framing:?}: {resp}");
        }
        tcp.write_all(format!("GET /api/{V}/serverinfo HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
            .await
            .unwrap();
        let next = read_head(&mut tcp).await;
        assert!(next.starts_with("HTTP/1.1 200 "), "{framing:?}: {next}");
    }
}

/// Read up to the end of a response head; panics on EOF or after 5 s.
async fn read_head(tcp: &mut tokio::net::TcpStream) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut byte))
            .await
            .expect("response in time")
            .unwrap();
        assert_eq!(n, 1, "connection closed; got {:?}", String::from_utf8_lossy(&buf));
        buf.push(byte[0]);
    }
    String::from_utf8(buf).unwrap()
}
