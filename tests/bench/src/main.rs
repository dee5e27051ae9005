//! `tableau-bench`: the `tableau-backup` binary against a plain native REST client, on
//! the simulator. Every figure is a ratio against a baseline measured in the same run;
//! see README.md for what each line means.

mod baseline;
mod rss;
mod scenarios;

use std::io::Write;
use std::path::PathBuf;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand, ValueEnum};

use scenarios::{Bench, Line, Metric, Scale, Sizes, Stats, CONCURRENCY, HIGH_CONCURRENCY, META_LISTS};

/// Benchmark tableau-backup against a plain native client on the Tableau simulator.
///
/// Prints one line per scenario: the backup's figure, the baseline's, and their ratio,
/// for speed and for peak RSS. Build the backup first:
/// `cargo build --release -p tableau-backup -p tableau-bench`.
#[derive(Parser, Debug)]
#[command(name = "tableau-bench", version)]
struct Cli {
    /// Site sizes: `small` is a smoke run of under a minute.
    #[arg(long, value_enum, default_value = "full")]
    scale: Scale,
    /// Scenarios to run (comma-separated).
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "large,small,metadata"
    )]
    only: Vec<Scenario>,
    /// Runs per side (alternating baseline, backup); figures are medians.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// The tableau-backup binary [default: next to this one].
    #[arg(long, value_name = "PATH")]
    backup_bin: Option<PathBuf>,
    /// Where the runs write their files [default: the system temp dir].
    #[arg(long, value_name = "DIR")]
    tmp: Option<PathBuf>,
    #[command(subcommand)]
    internal: Option<Internal>,
}

#[derive(Subcommand, Debug)]
enum Internal {
    /// The native baseline client (run by the benchmark itself).
    #[command(hide = true)]
    Baseline(baseline::Args),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Large,
    Small,
    Metadata,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.internal {
        Some(Internal::Baseline(args)) => baseline::main(args),
        None => bench(cli),
    }
}

fn bench(cli: Cli) -> Result<()> {
    let self_bin = std::env::current_exe()?;
    let backup_bin = match cli.backup_bin {
        Some(p) => p,
        None => self_bin.with_file_name("tableau-backup"),
    };
    if !backup_bin.is_file() {
        bail!(
            "no tableau-backup binary at {}: build it with `cargo build --release -p tableau-backup` \
             or pass --backup-bin",
            backup_bin.display()
        );
    }
    let tmp = cli.tmp.unwrap_or_else(std::env::temp_dir);
    let bench = Bench {
        scratch: tempfile::Builder::new()
            .prefix("tableau-bench-")
            .tempdir_in(&tmp)?,
        rt: tokio::runtime::Builder::new_multi_thread().enable_all().build()?,
        runs: cli.runs as usize,
        backup_bin,
        self_bin,
    };
    let sizes = Sizes::of(cli.scale);
    header(&bench, &sizes, cli.scale);
    let warm = bench.warm_up().context("warm-up")?;
    println!(
        "warm-up : backup of a one-workbook site {:.2} s (fills the guest compile cache; not counted)",
        warm.as_secs_f64()
    );
    println!();
    for scenario in cli.only {
        let lines = match scenario {
            Scenario::Large => bench.large_files(&sizes),
            Scenario::Small => bench.small_items(&sizes),
            Scenario::Metadata => bench.metadata(&sizes),
        }
        .with_context(|| format!("scenario {scenario:?}"))?;
        for line in &lines {
            println!("{}", report(line, bench.runs));
        }
        std::io::stdout().flush()?;
    }
    Ok(())
}

/// Machine, command line, binaries and sizes.
fn header(bench: &Bench, s: &Sizes, scale: Scale) {
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let cpu = proc_field("/proc/cpuinfo", "model name").unwrap_or_else(|| std::env::consts::ARCH.into());
    let mem = proc_field("/proc/meminfo", "MemTotal")
        .and_then(|v| v.trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or(String::new(), |kib| {
            format!(", {:.1} GiB RAM", kib as f64 / (1 << 20) as f64)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let age = std::fs::metadata(&bench.backup_bin)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| SystemTime::now().duration_since(t).ok())
        .map_or(String::new(), |d| {
            format!(" (built {} min ago)", d.as_secs() / 60)
        });
    let args: Vec<String> = std::env::args().collect();
    let (wb, ds) = (s.small_items * 3 / 4, s.small_items / 5);
    println!("tableau-bench: tableau-backup vs a native reqwest client on tableau-sim; ratios are backup / baseline");
    println!(
        "machine : {cores} cores, {cpu}{mem}, {} {}",
        std::env::consts::OS,
        kernel.trim()
    );
    println!("command : {}", args.join(" "));
    println!("backup  : {}{age}", bench.backup_bin.display());
    println!("scratch : {}", bench.scratch.path().display());
    println!(
        "scale   : {}, {} run(s) per side, alternating baseline and backup; medians",
        scale
            .to_possible_value()
            .map_or(String::new(), |v| v.get_name().to_string()),
        bench.runs
    );
    println!(
        "sizes   : large files  {} x {} workbooks, concurrency {CONCURRENCY}",
        s.big_items,
        mib(s.big_size)
    );
    println!(
        "          small items  {} items ({wb} workbooks, {ds} data sources, {} flows) of {}-{} KiB, \
         {} ms latency per request, concurrency {CONCURRENCY} and {HIGH_CONCURRENCY}",
        s.small_items,
        s.small_items - wb - ds,
        s.small_min >> 10,
        s.small_max >> 10,
        s.latency_ms
    );
    println!(
        "          metadata     lists {}: {} workbooks, {} users, pageSize 1000, no content",
        META_LISTS.join(","),
        s.meta_workbooks,
        s.meta_users
    );
}

/// `label: backup X vs baseline Y = R; peak RSS A vs B = R`
fn report(line: &Line, runs: usize) -> String {
    let (unit, what) = match line.metric {
        Metric::MibPerSec { .. } => ("MiB/s", ""),
        Metric::ItemsPerSec { .. } => ("items/s", ""),
        Metric::Seconds => ("s", " the time"),
    };
    let (b, base) = (
        figure(&line.metric, line.backup.secs),
        figure(&line.metric, line.baseline.secs),
    );
    let mut out = format!(
        "{:<15}: backup {} {unit} vs baseline {} {unit} = {:.2}x{what}; peak RSS {} vs {} = {:.1}x",
        line.label,
        num(b),
        num(base),
        b / base,
        mib(line.backup.rss),
        mib(line.baseline.rss),
        line.backup.rss as f64 / line.baseline.rss as f64
    );
    if let Some(note) = &line.note {
        out.push_str(&format!("; {note}"));
    }
    if runs > 1 {
        let range = |s: &Stats| {
            let (a, b) = (figure(&line.metric, s.min_secs), figure(&line.metric, s.max_secs));
            format!("{}-{}", num(a.min(b)), num(a.max(b)))
        };
        out.push_str(&format!(
            "\n{:<15}  range over {runs} runs: backup {} {unit}, baseline {} {unit}",
            "",
            range(&line.backup),
            range(&line.baseline)
        ));
    }
    out
}

/// The line's figure for a run of `secs` seconds.
fn figure(metric: &Metric, secs: f64) -> f64 {
    match *metric {
        Metric::MibPerSec { bytes } => bytes as f64 / (1u64 << 20) as f64 / secs,
        Metric::ItemsPerSec { items } => items as f64 / secs,
        Metric::Seconds => secs,
    }
}

/// Three significant figures or so.
fn num(v: f64) -> String {
    match v {
        v if v >= 100.0 => format!("{v:.0}"),
        v if v >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.2}"),
    }
}

fn mib(bytes: u64) -> String {
    match bytes % (1 << 20) {
        0 => format!("{} MiB", bytes >> 20),
        _ => format!("{} MiB", num(bytes as f64 / (1u64 << 20) as f64)),
    }
}

/// The value of the first `key: value` line of a /proc file.
fn proc_field(path: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    Some(line.split_once(':')?.1.trim().to_string())
}
