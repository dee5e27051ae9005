//! The `tableau-sim` binary: prints its URL, serves the configured site and faults.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};

/// The child and its stdout (kept open so the child never writes to a closed pipe).
struct Running {
    child: Child,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> (Running, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tableau-sim"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let running = Running { child, _stdout: out };
    (running, url)
}

async fn sign_in(url: &str, site: &str) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{url}/api/3.24/auth/signin"))
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(format!(
            r#"{{"credentials":{{"personalAccessTokenName":"bot","personalAccessTokenSecret":"s3","site":{{"contentUrl":"{site}"}}}}}}"#
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn binary_with_flags_and_config_file() {
    let dir = std::env::temp_dir().join(format!("tableau-sim-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cfg = dir.join("sim.toml");
    std::fs::File::create(&cfg)
        .unwrap()
        .write_all(
            b"site = \"acme\"\npat_name = \"bot\"\npat_secret = \"s3\"\nseed = 5\n\
              [generated]\nworkbooks = 7\n[faults]\ninflate_total_available = 2\n",
        )
        .unwrap();
    let (_p, url) = start(&["--port", "0", "--config", cfg.to_str().unwrap(), "--users", "12"]);
    let v = sign_in(&url, "acme").await;
    let token = v["credentials"]["token"].as_str().unwrap();
    let site = v["credentials"]["site"]["id"].as_str().unwrap();
    let get = |what: &str| {
        reqwest::Client::new()
            .get(format!("{url}/api/3.24/sites/{site}/{what}"))
            .header("X-Tableau-Auth", token)
            .header("Accept", "application/json")
            .send()
    };
    let w: serde_json::Value = get("workbooks").await.unwrap().json().await.unwrap();
    assert_eq!(w["pagination"]["totalAvailable"], "9");
    let u: serde_json::Value = get("users").await.unwrap().json().await.unwrap();
    assert_eq!(u["pagination"]["totalAvailable"], "14");
    let _ = std::fs::remove_dir_all(&dir);

    let (_p, url) = start(&[
        "--sample",
        "--pat-name",
        "bot",
        "--pat-secret",
        "s3",
        "--rate-limit-every",
        "2",
        "--retry-after",
        "1",
    ]);
    let v = sign_in(&url, "demo").await;
    assert!(v["credentials"]["token"].is_string(), "{v}");
    let r = reqwest::get(format!("{url}/api/3.24/serverinfo")).await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    let faults: serde_json::Value = reqwest::get(format!("{url}/_sim/faults"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(faults["rate_limit_every"], 2);
}

#[tokio::test]
async fn stall_and_bad_body_flags() {
    let (_p, url) = start(&[
        "--workbooks",
        "3",
        "--stall-ids",
        "a,b",
        "--stall-after-bytes",
        "1KiB",
        "--stall-secs",
        "2.5",
        "--bad-body-endpoints",
        "GET users,GET groups",
        "--bad-body",
        "huge",
        "--bad-body-times",
        "4",
        "--huge-body-bytes",
        "5MiB",
    ]);
    let f: serde_json::Value = reqwest::get(format!("{url}/_sim/faults"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(f["stall_content_ids"], serde_json::json!(["a", "b"]));
    assert_eq!(f["stall_after_bytes"], 1024);
    assert_eq!(f["stall_secs"], 2.5);
    assert_eq!(
        f["bad_body_endpoints"],
        serde_json::json!(["GET users", "GET groups"])
    );
    assert_eq!(f["bad_body"], "huge");
    assert_eq!(f["bad_body_times"], 4);
    assert_eq!(f["huge_body_bytes"], 5 << 20);

    let help = Command::new(env!("CARGO_BIN_EXE_tableau-sim"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for flag in [
        "--stall-ids",
        "--stall-after-bytes",
        "--stall-secs",
        "--bad-body-endpoints",
        "--bad-body <KIND>",
        "--bad-body-times",
        "--huge-body-bytes",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    // Incomplete combinations are refused.
    for args in [
        &["--stall-ids", "a"][..],
        &["--bad-body", "html"][..],
        &["--bad-body-endpoints", "GET users", "--bad-body", "nope"][..],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tableau-sim"))
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::null())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?} accepted");
    }
}

#[tokio::test]
async fn size_fields_and_drift_flags() {
    let (_p, url) = start(&[
        "--workbooks",
        "6",
        "--flows",
        "2",
        "--max-revisions",
        "2",
        "--data-alerts",
        "3",
        "--webhooks",
        "1",
        "--flow-tasks",
        "2",
        "--quality-warnings",
        "1",
        "--unserved-default-permissions",
        "lenses,databases",
        "--reject-all-fields",
        "GET users",
        "--drift-after-page",
        "2",
        "--drift-delete",
        "4",
        "--drift-endpoints",
        "GET workbooks",
    ]);
    let get = |p: &str| {
        let u = format!("{url}/_sim/{p}");
        async move {
            reqwest::get(u)
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    let f = get("faults").await;
    assert_eq!(f["reject_all_fields_endpoints"], serde_json::json!(["GET users"]));
    assert_eq!(
        (f["drift_after_page"].clone(), f["drift_delete"].clone()),
        (2.into(), 4.into())
    );
    assert_eq!(f["drift_endpoints"], serde_json::json!(["GET workbooks"]));
    let cat = get("catalog").await;
    let n = |k: &str| cat[k].as_array().unwrap().len();
    assert_eq!(
        (
            n("data_alerts"),
            n("webhooks"),
            n("flow_tasks"),
            n("data_quality_warnings")
        ),
        (3, 1, 2, 1)
    );
    assert_eq!(
        cat["unserved_default_permissions"],
        serde_json::json!(["lenses", "databases"])
    );
    assert!(cat["revisions"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["number"].as_u64() <= Some(2)));
    let out = Command::new(env!("CARGO_BIN_EXE_tableau-sim"))
        .args(["--port", "0", "--drift-delete", "2"])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "--drift-delete without --drift-after-page accepted"
    );
}
