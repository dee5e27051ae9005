//! The outside proof: Tableau's official Python client, tableauserverclient (TSC),
//! installed unmodified from PyPI into a venv, signs in to the simulator with a PAT, pages
//! through every workbook, data source, flow, user, group and project, downloads a
//! workbook and signs out (`tsc_client.py`). The counts, names and bytes must match the
//! simulator's own view.
//!
//! Needs `python3` (3.10+, with the venv module; `TSC_TEST_PYTHON` overrides the
//! interpreter) and PyPI the first time: the venv is kept in `CARGO_TARGET_TMPDIR` and
//! reused while it holds the pinned TSC. Without PyPI the test FAILS (it runs in CI).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use tableau_sim::{ContentKind, Sim, SimConfig};

/// The pinned TSC release (PyPI, 2026; requires Python >= 3.10).
const TSC_VERSION: &str = "0.42";

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tsc_client.py");
const KNOWN_WORKBOOK: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/SampleWB.twbx");

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

fn tail(bytes: &[u8]) -> String {
    let s = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn run(cmd: &mut Command) -> std::io::Result<Output> {
    cmd.stdin(std::process::Stdio::null()).output()
}

/// The TSC version installed in the venv, if the venv works.
fn installed(python: &Path) -> Option<String> {
    let out = run(Command::new(python).args([
        "-c",
        "import importlib.metadata as m, tableauserverclient; print(m.version('tableauserverclient'))",
    ]))
    .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A venv holding the pinned TSC; built on first use, reused afterwards.
fn ensure_venv() -> Result<PathBuf, String> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("tsc-venv-{TSC_VERSION}"));
    let python = venv_python(&venv);
    if installed(&python).as_deref() == Some(TSC_VERSION) {
        return Ok(python);
    }
    let _ = std::fs::remove_dir_all(&venv);
    let base = std::env::var("TSC_TEST_PYTHON").unwrap_or_else(|_| "python3".to_string());
    let out = run(Command::new(&base).arg("-m").arg("venv").arg(&venv)).map_err(|e| {
        format!("cannot run `{base}` ({e}): the TSC test needs Python 3.10+ (or set TSC_TEST_PYTHON)")
    })?;
    if !out.status.success() {
        return Err(format!(
            "`{base} -m venv {}` failed (is the venv module installed, e.g. python3-venv?):\n{}",
            venv.display(),
            tail(&out.stderr)
        ));
    }
    let new_enough =
        run(Command::new(&python).args(["-c", "import sys; sys.exit(sys.version_info < (3, 10))"]))
            .is_ok_and(|o| o.status.success());
    if !new_enough {
        let _ = std::fs::remove_dir_all(&venv);
        return Err(format!(
            "`{base}` is older than Python 3.10, which TSC {TSC_VERSION} requires (set TSC_TEST_PYTHON)"
        ));
    }
    let spec = format!("tableauserverclient=={TSC_VERSION}");
    let out = run(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--no-input",
            "--disable-pip-version-check",
        ])
        .args(["--retries", "2", "--timeout", "30", &spec])
        .env("PYTHONDONTWRITEBYTECODE", "1"))
    .map_err(|e| format!("cannot run pip in {}: {e}", venv.display()))?;
    if !out.status.success() {
        let _ = std::fs::remove_dir_all(&venv);
        return Err(format!(
            "could not install {spec} from PyPI (pip {}). This test needs PyPI (CI has it); \
             it does not skip. pip said:\n{}\n{}",
            out.status,
            tail(&out.stdout),
            tail(&out.stderr)
        ));
    }
    match installed(&python) {
        Some(v) if v == TSC_VERSION => Ok(python),
        other => Err(format!("pip installed {spec} but the venv reports {other:?}")),
    }
}

/// Publish the fixture workbook under a non-ASCII name (so the download carries
/// `filename*=UTF-8''...`); returns its id.
async fn publish_known(sim: &Sim, name: &str, bytes: &[u8]) -> String {
    let c = common::sign_in(sim).await;
    let payload = format!(r#"<tsRequest><workbook name="{name}" showTabs="true"/></tsRequest>"#);
    let (ctype, body) = common::multipart(&[
        ("request_payload", None, "text/xml", payload.as_bytes()),
        (
            "tableau_workbook",
            Some("SampleWB.twbx"),
            "application/octet-stream",
            bytes,
        ),
    ]);
    let r = c
        .http
        .post(c.url("workbooks?workbookType=twbx"))
        .header("X-Tableau-Auth", &c.token)
        .header("Accept", "application/json")
        .header("Content-Type", ctype)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    v["workbook"]["id"].as_str().unwrap().to_string()
}

fn strings(v: &Value) -> Vec<Vec<Option<String>>> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_pages_and_downloads() {
    let t0 = Instant::now();
    let python = match tokio::task::spawn_blocking(ensure_venv).await.unwrap() {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    let setup = t0.elapsed();

    // Paging everywhere: > 100 workbooks and data sources, a few hundred users.
    let sim = Sim::start(
        SimConfig::generated(42)
            .workbooks(140)
            .datasources(105)
            .users(320)
            .groups(12),
    )
    .await
    .unwrap();
    let known = std::fs::read(KNOWN_WORKBOOK).unwrap();
    let known_name = "Données — 売上 Q3";
    let known_id = publish_known(&sim, known_name, &known).await;
    sim.reset_log();

    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    // A directory: TSC names the file after Content-Disposition.
    let target = dir.path().join("download");
    std::fs::create_dir(&target).unwrap();
    let t1 = Instant::now();
    let child = tokio::process::Command::new(&python)
        .arg(SCRIPT)
        .arg(sim.base_url())
        .arg(sim.site_content_url())
        .arg(sim.pat_name())
        .arg(sim.pat_secret())
        .arg(&known_id)
        .arg(&target)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(300), child)
        .await
        .expect("tsc_client.py finished within 5 minutes")
        .expect("running tsc_client.py");
    let script_time = t1.elapsed();
    assert!(
        out.status.success(),
        "tsc_client.py failed ({}):\n{}\n{}",
        out.status,
        tail(&out.stdout),
        tail(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let v: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("tsc_client.py printed no JSON ({e}):\n{stdout}"));
    eprintln!(
        "TSC {}: venv ready in {:.1?}, script ran in {:.1?}",
        v["tsc_version"], setup, script_time
    );

    assert_eq!(v["tsc_version"], TSC_VERSION);
    assert_eq!(v["api_version"], "3.24", "use_server_version adopted serverInfo");
    assert_eq!(v["signed_in"]["site_id"], sim.site_id().as_str());
    assert_eq!(v["signed_in"]["site_url"], sim.site_content_url());
    let catalog = sim.catalog();
    assert_eq!(v["signed_in"]["user_id"], catalog.user_id.as_str());
    assert_eq!(v["signed_out"], true);
    assert_eq!(v["warnings"], serde_json::json!([]), "TSC warned");

    // Every list, completely, once.
    let counts = &catalog.counts;
    for (name, want) in [
        ("workbooks", counts.workbooks),
        ("datasources", counts.datasources),
        ("flows", counts.flows),
        ("users", counts.users),
        ("groups", counts.groups),
        ("projects", counts.projects),
    ] {
        let rows = strings(&v["items"][name]);
        assert_eq!(rows.len(), want, "{name}: TSC listed {}", rows.len());
        let ids: BTreeSet<_> = rows.iter().map(|r| r[0].clone()).collect();
        assert_eq!(ids.len(), want, "{name}: duplicates");
    }
    // TSC parsed every content item as the simulator holds it (hostile names included).
    for (name, kind) in [
        ("workbooks", ContentKind::Workbook),
        ("datasources", ContentKind::Datasource),
        ("flows", ContentKind::Flow),
    ] {
        let got: BTreeSet<Vec<Option<String>>> = strings(&v["items"][name]).into_iter().collect();
        let want: BTreeSet<Vec<Option<String>>> = catalog
            .items
            .iter()
            .filter(|i| i.kind == kind)
            .map(|i| {
                vec![
                    Some(i.id.clone()),
                    Some(i.name.clone()),
                    Some(i.project_id.clone()),
                ]
            })
            .collect();
        assert_eq!(got, want, "{name}");
    }
    assert_eq!(v["workbook"]["name"], known_name);

    // The download. TSC takes `filename` (Python's email parser prefers it to `filename*`),
    // which Tableau percent-encodes for such a name, and its to_filename keeps only
    // alphanumerics and " ._-": the hex of the UTF-8, as TSC #1395 reports from a real
    // server. Bytes exact.
    let path = PathBuf::from(v["download"].as_str().unwrap());
    assert_eq!(
        path,
        target.join("DonnC3A9es20E2809420E5A3B2E4B88A20Q3.twbx"),
        "{path:?}"
    );
    let got = std::fs::read(&path).unwrap();
    assert_eq!(got.len(), known.len());
    assert!(got == known, "downloaded bytes differ from the published file");
    assert!(got == sim.content(ContentKind::Workbook, &known_id, true));

    // What TSC sent: pages of 100, one sign-in and one sign-out, no error anywhere.
    let log = sim.log();
    let pages = |n: usize| n.div_ceil(100) as u64;
    assert_eq!(log.count("GET workbooks"), pages(counts.workbooks));
    assert_eq!(log.count("GET users"), pages(counts.users));
    assert_eq!(log.count("POST auth/signin"), 1);
    assert_eq!(log.endpoint_status("POST auth/signout", 204), 1);
    assert_eq!(log.endpoint_status("GET workbooks/{id}/content", 200), 1);
    let bad: Vec<_> = log.by_status.iter().filter(|(s, _)| **s >= 300).collect();
    assert!(bad.is_empty(), "{bad:?}: {:?}", log.by_endpoint_status);
}
