//! Shared helpers: run the real binary, inspect run folders and manifests.

pub mod api;
pub mod s3;
pub mod seaweed;

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tableau_sim::{ContentKind, Sim};

/// What a run of the binary printed and returned.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn last_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or("")
    }

    /// Everything the user sees.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A HOME shared by all tests: no developer config leaks in, and wasmtime's
/// compile cache is reused between runs.
fn test_home() -> PathBuf {
    let home = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("e2e-home");
    std::fs::create_dir_all(&home).unwrap();
    home
}

/// A command for the real binary with a clean environment.
pub fn command<S: AsRef<std::ffi::OsStr>>(args: &[S], env: &[(String, String)]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_tableau-backup"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", test_home())
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

/// Run the binary to completion.
pub async fn run<S: AsRef<std::ffi::OsStr>>(args: &[S], env: &[(String, String)]) -> Output {
    let out = command(args, env).output().await.expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The `backup` command line for a simulator's site, plus extra flags.
pub fn backup_args(sim: &Sim, dest: &str, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "backup",
        "--server",
        &sim.base_url(),
        "--site",
        sim.site_content_url(),
    ]
    .into_iter()
    .chain(["--token-name", sim.pat_name(), "--dest", dest])
    .map(String::from)
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// The environment that hands the binary a PAT secret (the default source).
pub fn secret_env(secret: &str) -> Vec<(String, String)> {
    vec![("TABLEAU_TOKEN_SECRET".into(), secret.into())]
}

/// `backup` against a simulator with its PAT, plus extra flags.
pub async fn backup(sim: &Sim, dest: &str, extra: &[&str], env: &[(String, String)]) -> Output {
    let mut env = env.to_vec();
    env.extend(secret_env(sim.pat_secret()));
    run(&backup_args(sim, dest, extra), &env).await
}

/// The run folders in a local destination.
pub fn run_dirs(dest: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dest)
        .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

/// The only run folder in a destination.
pub fn only_run(dest: &Path) -> PathBuf {
    let dirs = run_dirs(dest);
    assert_eq!(dirs.len(), 1, "expected exactly one run folder, found {dirs:?}");
    dirs.into_iter().next().unwrap()
}

pub fn read_json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

pub fn sha256_file(path: &Path) -> (String, u64) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    (hex::encode(Sha256::digest(&bytes)), bytes.len() as u64)
}

pub fn folder_of(kind: ContentKind) -> &'static str {
    match kind {
        ContentKind::Workbook => "workbooks",
        ContentKind::Datasource => "published_data_sources",
        ContentKind::Flow => "prep_flows",
    }
}

/// Check a finished run folder (found under `root`) against the simulator:
/// every downloadable item stored byte for byte under a safe, unique key; the
/// manifest's sizes and hashes true; every metadata file present with the
/// right count, and the files of workbooks, data sources, flows, projects and
/// custom views holding exactly the site's ids. Returns the manifest.
pub fn assert_run_matches_site(sim: &Sim, run_dir: &Path, include_extract: bool) -> Value {
    let manifest = read_json(&run_dir.join("manifest.json"));
    let catalog = sim.catalog();
    let items = manifest["items"].as_array().expect("manifest.items is an array");
    let expected: Vec<_> = catalog.items.iter().filter(|i| i.downloadable).collect();
    assert_eq!(
        items.len(),
        expected.len(),
        "one manifest item per downloadable content item"
    );

    let mut keys = std::collections::HashSet::new();
    for want in &expected {
        let got = items
            .iter()
            .find(|i| i["id"] == want.id.as_str())
            .unwrap_or_else(|| {
                panic!(
                    "{:?} {} ({}) missing from the manifest",
                    want.kind, want.name, want.id
                )
            });
        let key = got["key"].as_str().unwrap();
        assert!(keys.insert(key.to_string()), "duplicate key {key}");
        assert!(
            key.starts_with(&format!("{}/", folder_of(want.kind))),
            "{key} is in the wrong folder"
        );
        assert_eq!(
            key.matches('/').count(),
            1,
            "{key} must sit directly in its folder"
        );
        let file_name = &key[key.find('/').unwrap() + 1..];
        assert!(file_name.starts_with(&want.id), "{key} must start with the LUID");
        assert!(file_name.len() <= 255, "{key}: file name too long");
        assert!(
            !file_name
                .chars()
                .any(|c| c.is_control() || r#"\:*?"<>|"#.contains(c)),
            "{key} has characters invalid on Windows or S3"
        );
        let ext = if include_extract || want.kind == ContentKind::Flow {
            &want.ext
        } else {
            &want.ext_without_extract
        };
        assert!(key.ends_with(&format!(".{ext}")), "{key} should end with .{ext}");
        assert_eq!(got["name"], want.name.as_str());
        assert_eq!(got["project_id"], want.project_id.as_str());

        let path = run_dir.join(key);
        let stored = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (want_sha, want_len) = sim.content_sha256(want.kind, &want.id, include_extract).unwrap();
        assert_eq!(
            stored.len() as u64,
            want_len,
            "{key}: size differs from the download"
        );
        assert_eq!(
            hex::encode(Sha256::digest(&stored)),
            want_sha,
            "{key}: bytes differ from the download"
        );
        assert_eq!(got["size"], want_len, "{key}: manifest size");
        assert_eq!(got["sha256"], want_sha.as_str(), "{key}: manifest sha256");
    }

    let c = &catalog.counts;
    let want_counts = [
        ("site", 1),
        ("projects", c.projects),
        ("users", c.users),
        ("groups", c.groups),
        ("favorites", c.users),
        ("subscriptions", c.subscriptions),
        ("custom_views", c.custom_views),
        ("virtual_connections", c.virtual_connections),
        ("extract_refresh_tasks", c.extract_refresh_tasks),
        ("workbooks", c.workbooks),
        ("datasources", c.datasources),
        ("flows", c.flows),
    ];
    let metadata = manifest["metadata"]
        .as_array()
        .expect("manifest.metadata is an array");
    for (name, count) in want_counts {
        let key = format!("metadata_tableau/{name}.json");
        let entry = metadata
            .iter()
            .find(|m| m["key"] == key.as_str())
            .unwrap_or_else(|| panic!("{key} missing from the manifest"));
        let path = run_dir.join(&key);
        let (sha, len) = sha256_file(&path);
        assert_eq!(entry["sha256"], sha.as_str(), "{key}: manifest sha256");
        assert_eq!(entry["size"], len, "{key}: manifest size");
        let doc = read_json(&path);
        let arr = doc
            .as_array()
            .unwrap_or_else(|| panic!("{key} is not a JSON array"));
        assert_eq!(arr.len(), count, "{key}: every object of every page");
        assert_eq!(entry["count"], count, "{key}: manifest count");
    }
    // Every object of the site is in the file of its kind, by id: no count can
    // hide one object listed twice and another missed.
    let ids = |kind: ContentKind| catalog.of_kind(kind).map(|i| i.id.clone()).collect();
    let want_ids: [(&str, BTreeSet<String>); 5] = [
        ("workbooks", ids(ContentKind::Workbook)),
        ("datasources", ids(ContentKind::Datasource)),
        ("flows", ids(ContentKind::Flow)),
        (
            "projects",
            catalog.projects.iter().map(|p| p.id.clone()).collect(),
        ),
        (
            "custom_views",
            catalog.custom_views.iter().map(|v| v.id.clone()).collect(),
        ),
    ];
    for (name, want) in want_ids {
        let key = format!("metadata_tableau/{name}.json");
        let doc = read_json(&run_dir.join(&key));
        let got: BTreeSet<String> = doc
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                o["id"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{key}: an object without an id: {o}"))
                    .to_string()
            })
            .collect();
        assert_eq!(
            got.len(),
            doc.as_array().unwrap().len(),
            "{key}: an id listed twice"
        );
        assert_eq!(
            want.difference(&got).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "{key}: ids of the site missing"
        );
        assert_eq!(
            got.difference(&want).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "{key}: ids the site does not have"
        );
    }
    // Every manifest item is a downloadable item of the site (ids, not a count).
    let manifest_ids: BTreeSet<&str> = items.iter().filter_map(|i| i["id"].as_str()).collect();
    let want_ids: BTreeSet<&str> = expected.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(manifest_ids, want_ids, "manifest item ids");

    // Groups carry their members; favorites are grouped per user.
    let groups = read_json(&run_dir.join("metadata_tableau/groups.json"));
    let members: usize = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["members"].as_array().map_or(0, |m| m.len()))
        .sum();
    assert_eq!(members, c.group_members, "every group member of every page");
    let favorites = read_json(&run_dir.join("metadata_tableau/favorites.json"));
    let favs: usize = favorites
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["favorites"].as_array().map_or(0, |f| f.len()))
        .sum();
    assert_eq!(favs, c.favorites, "every favorite of every user");
    manifest
}
