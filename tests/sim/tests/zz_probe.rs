use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use std::time::Duration;
use tableau_sim::{Sim, SimConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod common;

async fn raw(sim: &Sim, req: &str, then: Option<(u64, &str)>) -> String {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", sim.port()))
        .await
        .unwrap();
    s.write_all(req.as_bytes()).await.unwrap();
    if let Some((ms, more)) = then {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        let _ = s.write_all(more.as_bytes()).await;
    }
    let mut out = Vec::new();
    let r = tokio::time::timeout(Duration::from_millis(700), s.read_to_end(&mut out)).await;
    format!(
        "{:?} closed={} :: {}",
        r.as_ref().map(|x| x.as_ref().map_err(|e| e.to_string()).ok()),
        r.is_ok(),
        String::from_utf8_lossy(&out)
    )
}

#[tokio::test]
async fn probe() {
    let sim = Sim::start(SimConfig::generated(1).workbooks(3)).await.unwrap();
    for ct in ["Content-Length: 0\r\n", "", "Transfer-Encoding: chunked\r\n"] {
        let c = common::sign_in(&sim).await;
        let req = format!("POST /api/3.24/auth/signout HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nX-Tableau-Auth: {}\r\n{ct}\r\n", c.token);
        let then = if ct.contains("chunked") {
            Some((50, "0\r\n\r\n"))
        } else {
            None
        };
        println!("=== {ct:?}\n{}", raw(&sim, &req, then).await);
    }
    // hyper client like wasmtime-wasi-http: head first, chunked body finished later
    for delay in [0u64, 30] {
        let c = common::sign_in(&sim).await;
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", sim.port()))
            .await
            .unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
            .handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
        let conn = tokio::spawn(conn);
        let (tx, rx) = futures::channel::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(1);
        let body = StreamBody::new(rx);
        let req = hyper::Request::post("/api/3.24/auth/signout")
            .header("host", "127.0.0.1")
            .header("accept", "application/json")
            .header("x-tableau-auth", &c.token)
            .body(body)
            .unwrap();
        let closer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(delay)).await;
            drop(tx);
        });
        let res = sender.send_request(req).await;
        match res {
            Ok(r) => {
                let st = r.status();
                let b = r.into_body().collect().await;
                println!("delay {delay}: {st} body {:?}", b.map(|b| b.to_bytes()));
            }
            Err(e) => println!("delay {delay}: ERR {e:?}"),
        }
        let _ = closer.await;
        println!("conn: {:?}", conn.await);
    }
}
