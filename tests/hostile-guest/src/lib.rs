//! A hostile guest for the sandbox tests. It implements the same world as the
//! real guest; `job.site` names the attack. When every attempt is refused it
//! returns `backup-error::denied` with what the host answered; if an attempt
//! succeeds it returns a report, which the tests treat as a sandbox escape.

use http_body_util::Empty;
use wstd::http::{Client, Request};

wit_bindgen::generate!({
    world: "backup-guest",
    path: "../../wit",
    with: {
        "wasi:io/streams@0.2.12": wasip2::io::streams,
        "wasi:io/error@0.2.12": wasip2::io::error,
        "wasi:io/poll@0.2.12": wasip2::io::poll,
    },
});

use tableau_backup::backup::types::Status;
use tableau_backup::backup::{events, secrets, store};

struct Hostile;

impl Guest for Hostile {
    fn run(job: Job) -> Result<Report, BackupError> {
        let outcome = match job.site.as_str() {
            "http-other-host" => http_get("http://example.com/"),
            "http-other-port" => http_get(&other_port(&job.server)),
            "http-metadata" => http_get("http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
            "http-private-name" => http_get(&format!("https://localhost:{}/", port_of(&job.server))),
            "leak-secret" => leak_secret(&job.token_secret_name),
            "secret-other" => secrets::get("aws-secret-access-key")
                .map(|_| ())
                .map_err(|e| format!("{e:?}")),
            "key-escape" => escape_keys(),
            "size-limit" => write_big(4 << 20),
            "upload-flood" => open_uploads(10_000),
            "memory" => hog_memory(),
            "spin" => spin(),
            "flood-stdout" => flood(),
            other => return Err(BackupError::InvalidJob(format!("unknown attack {other}"))),
        };
        match outcome {
            Err(denied) => Err(BackupError::Denied(denied)),
            Ok(()) => Ok(Report {
                status: Status::Complete,
                run_name: job.run_name,
                manifest_key: String::new(),
                counts: vec![],
                bytes: 0,
                failures: 0,
                api_version: "ESCAPED".into(),
            }),
        }
    }
}

fn port_of(server: &str) -> u16 {
    server
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .unwrap_or(80)
}

fn other_port(server: &str) -> String {
    format!("http://127.0.0.1:{}/", port_of(server).wrapping_add(1))
}

/// Ok if the request got through (an escape), Err with the host's answer if not.
fn http_get(url: &str) -> Result<(), String> {
    wstd::runtime::block_on(async {
        let req = Request::get(url)
            .body(wstd::http::Body::from_http_body(Empty::<bytes::Bytes>::new()))
            .map_err(|e| e.to_string())?;
        match Client::new().send(req).await {
            Ok(resp) => {
                println!("request to {url} got through: {}", resp.status());
                Ok(())
            }
            Err(e) => Err(format!("{url}: {e:?}")),
        }
    })
}

/// Try to smuggle the granted secret out through the log, a stored object name
/// and the error text; the host must redact the first and last.
fn leak_secret(name: &str) -> Result<(), String> {
    let value = secrets::get(name).map_err(|e| format!("{e:?}"))?;
    events::emit(&events::Event::Log((
        events::Level::Error,
        format!("the secret is {value}"),
    )));
    Err(format!("the secret is {value}"))
}

/// Every key must be refused; any accepted one is an escape.
fn escape_keys() -> Result<(), String> {
    let long = "k".repeat(10_000);
    let mut answers = Vec::new();
    for key in ["../escape", "/etc/x", long.as_str(), "workbooks/../../x"] {
        match store::put(key, "text/plain", b"pwned") {
            Ok(info) => {
                println!("key {:?} accepted as {}", &key[..key.len().min(40)], info.key);
                return Ok(());
            }
            Err(e) => answers.push(format!("{e:?}")),
        }
    }
    Err(answers.join("; "))
}

/// Write `n` bytes into one object; the host's size limit must stop it.
fn write_big(n: usize) -> Result<(), String> {
    let upload =
        store::create("workbooks/big.bin", "application/octet-stream").map_err(|e| format!("{e:?}"))?;
    let stream = upload.body().map_err(|e| format!("{e:?}"))?;
    let chunk = vec![0x42u8; 4096];
    let mut written = 0;
    while written < n {
        if let Err(e) = stream.blocking_write_and_flush(&chunk) {
            let why = match e {
                wasip2::io::streams::StreamError::LastOperationFailed(err) => err.to_debug_string(),
                wasip2::io::streams::StreamError::Closed => "closed".into(),
            };
            drop(stream);
            store::Upload::abort(upload);
            return Err(format!("write refused after {written} bytes: {why}"));
        }
        written += chunk.len();
    }
    drop(stream);
    match store::Upload::finish(upload) {
        Ok(info) => {
            println!("stored {} bytes", info.size);
            Ok(())
        }
        Err(e) => Err(format!("finish refused: {e:?}")),
    }
}

/// Open uploads without ever finishing them; the host must cap how many.
fn open_uploads(n: usize) -> Result<(), String> {
    let mut held = Vec::new();
    for i in 0..n {
        match store::create(&format!("workbooks/flood-{i}.bin"), "application/octet-stream") {
            Ok(upload) => held.push(upload),
            Err(e) => return Err(format!("upload {i} refused: {e:?}")),
        }
    }
    Ok(())
}

fn hog_memory() -> Result<(), String> {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(vec![1u8; 16 << 20]);
        if hoard.len() > 10_000 {
            return Ok(());
        }
    }
}

fn spin() -> Result<(), String> {
    let mut x: u64 = 0;
    loop {
        x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

fn flood() -> Result<(), String> {
    let line = "A".repeat(1 << 20);
    for _ in 0..(8 * 1024) {
        println!("{line}");
    }
    Ok(())
}

export!(Hostile);
