//! The scenarios. Each starts a simulator in this process, runs the baseline and the
//! backup against it as child processes (alternately, `runs` times, each into a fresh
//! folder), checks that both fetched exactly what the site holds, and returns medians.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;
use tableau_sim::{Catalog, ContentKind, Faults, Sim, SimConfig};
use tokio::runtime::Runtime;

use crate::baseline::{self, Job};
use crate::rss;

/// The backup's default download concurrency, used by both sides unless stated.
pub const CONCURRENCY: u32 = 4;
pub const HIGH_CONCURRENCY: u32 = 16;
/// Lists of the metadata scenario (`--kinds` of the backup).
pub const META_LISTS: [&str; 4] = ["users", "groups", "projects", "workbooks"];
/// Our environment must not configure the children.
const INHERITED_CONFIG: [&str; 6] = [
    "RUST_LOG",
    "TABLEAU_SERVER",
    "TABLEAU_SITE",
    "TABLEAU_TOKEN_NAME",
    "TABLEAU_BACKUP_DEST",
    "TABLEAU_BACKUP_POLICY",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// Under a minute: a smoke run.
    Small,
    /// The figures we quote.
    Full,
}

/// Site sizes for one scale.
#[derive(Clone, Debug)]
pub struct Sizes {
    /// Large files: this many workbooks of `big_size` bytes.
    pub big_items: usize,
    pub big_size: u64,
    /// Many small items: workbooks, data sources and flows of `small_min..=small_max` bytes,
    /// every request delayed by `latency_ms`.
    pub small_items: usize,
    pub small_min: u64,
    pub small_max: u64,
    pub latency_ms: u64,
    /// Metadata at scale.
    pub meta_workbooks: usize,
    pub meta_users: usize,
}

impl Sizes {
    pub fn of(scale: Scale) -> Sizes {
        let full = Sizes {
            big_items: 4,
            big_size: 256 << 20,
            small_items: 2000,
            small_min: 2 << 10,
            small_max: 50 << 10,
            latency_ms: 20,
            meta_workbooks: 10_000,
            meta_users: 50_000,
        };
        match scale {
            Scale::Full => full,
            Scale::Small => Sizes {
                big_size: 32 << 20,
                small_items: 200,
                meta_workbooks: 1_000,
                meta_users: 5_000,
                ..full
            },
        }
    }
}

/// Median wall time and peak RSS of one side, and the fastest and slowest wall time.
#[derive(Clone, Copy, Debug)]
pub struct Stats {
    pub secs: f64,
    pub rss: u64,
    pub min_secs: f64,
    pub max_secs: f64,
}

/// What a report line shows per second (or in seconds).
pub enum Metric {
    MibPerSec { bytes: u64 },
    ItemsPerSec { items: u64 },
    Seconds,
}

/// One report line: the backup against the baseline.
pub struct Line {
    pub label: String,
    pub metric: Metric,
    pub backup: Stats,
    pub baseline: Stats,
    pub note: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Baseline,
    Backup,
}

/// What both sides do.
enum Task {
    /// List workbooks, data sources and flows; download every file.
    Content { concurrency: u32 },
    /// Fetch the metadata lists (with group members), no content.
    Metadata,
}

/// What a side must have fetched.
#[derive(Debug, PartialEq)]
struct Fetched {
    files: u64,
    bytes: u64,
    counts: BTreeMap<String, u64>,
}

impl Fetched {
    fn content(catalog: &Catalog) -> Fetched {
        let count = |k| catalog.of_kind(k).count() as u64;
        Fetched {
            files: catalog.items.len() as u64,
            bytes: catalog.items.iter().map(|i| i.size).sum(),
            counts: BTreeMap::from([
                ("workbooks".into(), count(ContentKind::Workbook)),
                ("datasources".into(), count(ContentKind::Datasource)),
                ("flows".into(), count(ContentKind::Flow)),
            ]),
        }
    }

    fn metadata(catalog: &Catalog) -> Fetched {
        let c = &catalog.counts;
        Fetched {
            files: 0,
            bytes: 0,
            counts: BTreeMap::from([
                ("users".into(), c.users as u64),
                ("groups".into(), c.groups as u64),
                ("projects".into(), c.projects as u64),
                ("workbooks".into(), c.workbooks as u64),
            ]),
        }
    }
}

/// Where the binaries are, the scratch space and the simulator's runtime.
pub struct Bench {
    pub backup_bin: PathBuf,
    pub self_bin: PathBuf,
    pub scratch: tempfile::TempDir,
    pub runs: usize,
    pub rt: Runtime,
}

impl Bench {
    /// Large files: a few big workbooks, downloaded at the default concurrency.
    pub fn large_files(&self, s: &Sizes) -> Result<Vec<Line>> {
        let cfg = SimConfig::generated(1)
            .workbooks(s.big_items)
            .datasources(0)
            .flows(0)
            .big_items(s.big_items, s.big_size);
        let (sim, want) = self.start(cfg, Fetched::content)?;
        let task = Task::Content {
            concurrency: CONCURRENCY,
        };
        let (backup, baseline) = self.compare(&sim, &task, &want)?;
        self.stop(sim);
        let metric = Metric::MibPerSec { bytes: want.bytes };
        Ok(vec![Line {
            label: "large files".into(),
            metric,
            backup,
            baseline,
            note: None,
        }])
    }

    /// Many small items behind a per-request latency, at 4 and at 16 downloads at once.
    pub fn small_items(&self, s: &Sizes) -> Result<Vec<Line>> {
        let (workbooks, datasources) = (s.small_items * 3 / 4, s.small_items / 5);
        let cfg = SimConfig::generated(2)
            .workbooks(workbooks)
            .datasources(datasources)
            .flows(s.small_items - workbooks - datasources)
            .content_sizes(s.small_min, s.small_max)
            .faults(Faults::default().latency_ms(s.latency_ms));
        let (sim, want) = self.start(cfg, Fetched::content)?;
        let mut lines = Vec::new();
        for concurrency in [CONCURRENCY, HIGH_CONCURRENCY] {
            let (backup, baseline) = self.compare(&sim, &Task::Content { concurrency }, &want)?;
            lines.push(Line {
                label: format!("small items c{concurrency}"),
                metric: Metric::ItemsPerSec { items: want.files },
                backup,
                baseline,
                note: None,
            });
        }
        let speedup = lines[0].backup.secs / lines[1].backup.secs;
        lines[1].note = Some(format!(
            "backup c{HIGH_CONCURRENCY} vs c{CONCURRENCY}: {speedup:.2}x"
        ));
        self.stop(sim);
        Ok(lines)
    }

    /// Metadata at scale: the users, groups (with members), projects and workbooks lists.
    pub fn metadata(&self, s: &Sizes) -> Result<Vec<Line>> {
        let cfg = SimConfig::generated(3)
            .workbooks(s.meta_workbooks)
            .datasources(0)
            .flows(0)
            .users(s.meta_users);
        let (sim, want) = self.start(cfg, Fetched::metadata)?;
        let (backup, baseline) = self.compare(&sim, &Task::Metadata, &want)?;
        self.stop(sim);
        Ok(vec![Line {
            label: "metadata".into(),
            metric: Metric::Seconds,
            backup,
            baseline,
            note: None,
        }])
    }

    /// One backup of a one-workbook site, so wasmtime's compile cache is warm before we
    /// measure; returns its wall time.
    pub fn warm_up(&self) -> Result<Duration> {
        let cfg = SimConfig::generated(4).workbooks(1).datasources(0).flows(0);
        let (sim, want) = self.start(cfg, Fetched::content)?;
        let task = Task::Content {
            concurrency: CONCURRENCY,
        };
        let (wall, _) = self.once(&sim, Side::Backup, &task, &want)?;
        self.once(&sim, Side::Baseline, &task, &want)?;
        self.stop(sim);
        Ok(wall)
    }

    fn start(&self, cfg: SimConfig, want: fn(&Catalog) -> Fetched) -> Result<(Sim, Fetched)> {
        let sim = self
            .rt
            .block_on(Sim::start(cfg))
            .context("starting the simulator")?;
        let want = want(&sim.catalog());
        Ok((sim, want))
    }

    fn stop(&self, sim: Sim) {
        self.rt.block_on(sim.shutdown());
    }

    /// Baseline then backup, `runs` times; the medians of (backup, baseline).
    fn compare(&self, sim: &Sim, task: &Task, want: &Fetched) -> Result<(Stats, Stats)> {
        let (mut backup, mut baseline) = (Vec::new(), Vec::new());
        for _ in 0..self.runs {
            baseline.push(self.once(sim, Side::Baseline, task, want)?);
            backup.push(self.once(sim, Side::Backup, task, want)?);
        }
        Ok((median(backup), median(baseline)))
    }

    /// One run of one side into a fresh folder (removed afterwards): wall time and peak RSS.
    fn once(&self, sim: &Sim, side: Side, task: &Task, want: &Fetched) -> Result<(Duration, u64)> {
        let dir = tempfile::tempdir_in(self.scratch.path())?;
        let dest = dir.path().join("dest");
        let mut cmd = self.command(sim, side, task, &dest);
        for var in INHERITED_CONFIG {
            cmd.env_remove(var);
        }
        cmd.env("TABLEAU_TOKEN_SECRET", sim.pat_secret());
        let done = rss::run(cmd, dir.path())?;
        if !done.status.success() {
            let lines: Vec<&str> = done.stderr.lines().collect();
            let tail = lines[lines.len().saturating_sub(20)..].join("\n");
            bail!("the {side:?} run failed ({}):\n{tail}", done.status);
        }
        let got = match side {
            Side::Baseline => from_baseline(&done.stdout)?,
            Side::Backup => from_manifest(&dest)?,
        };
        if &got != want {
            bail!("the {side:?} run fetched {got:?}, the site holds {want:?}");
        }
        Ok((done.wall, done.peak_rss))
    }

    /// The same job for either side, at the same concurrency.
    fn command(&self, sim: &Sim, side: Side, task: &Task, dest: &Path) -> Command {
        let (server, site, token) = (sim.base_url(), sim.site_content_url(), sim.pat_name());
        let (concurrency, kinds) = match task {
            Task::Content { concurrency } => (*concurrency, "workbooks,datasources,flows".to_string()),
            Task::Metadata => (CONCURRENCY, META_LISTS.join(",")),
        };
        match side {
            Side::Baseline => {
                let job = match task {
                    Task::Content { .. } => Job::Content,
                    Task::Metadata => Job::Lists {
                        lists: META_LISTS.map(String::from).into(),
                    },
                };
                let mut c = Command::new(&self.self_bin);
                c.args(baseline::command_line(
                    &server,
                    site,
                    token,
                    dest,
                    concurrency,
                    &job,
                ));
                c
            }
            Side::Backup => {
                let mut c = Command::new(&self.backup_bin);
                c.args([
                    "backup",
                    "-q",
                    "--server",
                    &server,
                    "--site",
                    site,
                    "--token-name",
                    token,
                ]);
                c.arg("--dest").arg(dest);
                c.args(["--kinds", &kinds, "--concurrency", &concurrency.to_string()]);
                if matches!(task, Task::Metadata) {
                    c.args(["--max-workbooks", "0"]);
                }
                c
            }
        }
    }
}

fn median(mut runs: Vec<(Duration, u64)>) -> Stats {
    let mid = runs.len() / 2;
    runs.sort_by_key(|r| r.0);
    let secs = |i: usize| runs[i].0.as_secs_f64();
    let (secs, min_secs, max_secs) = (secs(mid), secs(0), secs(runs.len() - 1));
    runs.sort_by_key(|r| r.1);
    Stats {
        secs,
        rss: runs[mid].1,
        min_secs,
        max_secs,
    }
}

/// The baseline's stdout: `{"files":N,"bytes":B,"counts":{..}}`.
fn from_baseline(stdout: &str) -> Result<Fetched> {
    let v: Value = serde_json::from_str(stdout.trim()).context("the baseline's summary")?;
    let counts = v["counts"].as_object().context("no counts")?;
    Ok(Fetched {
        files: v["files"].as_u64().unwrap_or(0),
        bytes: v["bytes"].as_u64().unwrap_or(0),
        counts: counts
            .iter()
            .map(|(k, n)| (k.clone(), n.as_u64().unwrap_or(0)))
            .collect(),
    })
}

/// The backup's manifest (the one run folder under `dest`): items, their bytes, list counts.
fn from_manifest(dest: &Path) -> Result<Fetched> {
    let run = std::fs::read_dir(dest)?.next().context("no run folder")??.path();
    let text = std::fs::read_to_string(run.join("manifest.json")).context("no manifest")?;
    let m: Value = serde_json::from_str(&text)?;
    let items = m["items"].as_array().context("no items")?;
    let metadata = m["metadata"].as_array().context("no metadata")?;
    Ok(Fetched {
        files: items.len() as u64,
        bytes: items.iter().filter_map(|i| i["size"].as_u64()).sum(),
        counts: metadata
            .iter()
            .map(|e| {
                (
                    e["kind"].as_str().unwrap_or("?").to_string(),
                    e["count"].as_u64().unwrap_or(0),
                )
            })
            .collect(),
    })
}
