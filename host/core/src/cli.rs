//! Command-line interface: flags, environment variables and help text.

use crate::secrets::SecretSource;
use crate::store::Destination;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Back up a whole Tableau Cloud site (content and metadata) to S3 or a local folder.
///
/// The backup logic runs as a sandboxed WebAssembly component that can reach only the
/// Tableau server, read only the PAT secret, and write only into its own run folder.
///
/// Exit codes: 0 complete, 3 partial (some items failed, the rest is good),
/// 1 failed (no backup was made), 2 bad usage or configuration.
#[derive(Debug, Parser)]
#[command(name = "tableau-backup", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// More detail on stderr (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors and the final summary.
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Log lines on stderr as text, or as JSON objects for log collectors.
    #[arg(long, global = true, value_enum, env = "TABLEAU_BACKUP_LOG_FORMAT", default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// `--log-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Back up a site: content files, metadata JSON and a manifest, into a new run folder.
    Backup(Box<BackupArgs>),
    /// Check a run against its manifest: every object present, same size, same SHA-256.
    Verify(VerifyArgs),
    /// List the runs in a destination with their status, time, counts and bytes.
    Snapshots(SnapshotsArgs),
    /// Show the effective sandbox policy.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Start the bundled Tableau site simulator on loopback and back up its sample site.
    Demo(DemoArgs),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the policy (as TOML) that a backup with these settings would run under.
    Show(PolicyShowArgs),
}

/// Where the Tableau site is and how to sign in.
#[derive(Debug, Clone, Args)]
pub struct SiteArgs {
    /// Tableau server URL, e.g. https://10ay.online.tableau.com (http only for loopback).
    #[arg(long, env = "TABLEAU_SERVER", value_name = "URL")]
    pub server: String,

    /// Site content URL: the part after /site/ in the browser's address bar.
    #[arg(long, env = "TABLEAU_SITE", value_name = "CONTENT_URL")]
    pub site: String,

    /// Personal access token name.
    #[arg(long, env = "TABLEAU_TOKEN_NAME", value_name = "NAME")]
    pub token_name: String,

    /// Where to read the PAT secret: env:VARIABLE or file:PATH (never the secret itself).
    #[arg(
        long,
        env = "TABLEAU_TOKEN_SECRET_FROM",
        value_name = "SOURCE",
        default_value = "env:TABLEAU_TOKEN_SECRET"
    )]
    pub token_secret_from: SecretSource,
}

/// Sandbox and guest options shared by `backup` and `policy show`.
#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// A TOML policy file widening or tightening the sandbox (see `policy show`).
    #[arg(long, env = "TABLEAU_BACKUP_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,

    /// Run this guest component instead of the embedded one.
    #[arg(long, value_name = "FILE.wasm")]
    pub guest: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub site: SiteArgs,

    /// Destination: a folder, or s3://bucket/prefix (AWS credential chain and
    /// AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL apply).
    #[arg(
        long,
        env = "TABLEAU_BACKUP_DEST",
        value_name = "DEST",
        default_value = "./tableau-backups"
    )]
    pub dest: Destination,

    /// What to back up (comma-separated); default: everything.
    #[arg(long, value_delimiter = ',', value_name = "KIND")]
    pub kinds: Vec<KindArg>,

    /// Download workbooks and data sources without their extracts.
    #[arg(long)]
    pub no_extracts: bool,

    /// Download at most N workbook files (metadata still lists all).
    #[arg(long, value_name = "N")]
    pub max_workbooks: Option<u64>,

    /// Download at most N data source files.
    #[arg(long, value_name = "N")]
    pub max_datasources: Option<u64>,

    /// Download at most N flow files.
    #[arg(long, value_name = "N")]
    pub max_flows: Option<u64>,

    /// Content downloads in flight at once (Tableau Cloud allows 20 per site).
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub concurrency: u32,

    /// Items per list page (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: u32,

    /// Seconds to wait for a connection to Tableau.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub connect_timeout: u32,

    /// Seconds to wait for the first byte of a response.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub first_byte_timeout: u32,

    /// Seconds a download may stall between two chunks before it is retried.
    #[arg(long, value_name = "SECS", default_value_t = 120)]
    pub between_bytes_timeout: u32,

    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The destination holding the run (folder or s3://bucket/prefix).
    #[arg(value_name = "DEST")]
    pub dest: Destination,
    /// The run folder name; default: the latest run that has a manifest.
    #[arg(value_name = "RUN")]
    pub run: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SnapshotsArgs {
    /// The destination to list (folder or s3://bucket/prefix).
    #[arg(value_name = "DEST")]
    pub dest: Destination,
}

#[derive(Debug, Clone, Args)]
pub struct PolicyShowArgs {
    /// Tableau server URL the policy allows.
    #[arg(long, env = "TABLEAU_SERVER", value_name = "URL")]
    pub server: String,
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Where to write the backup.
    #[arg(long, value_name = "DEST", default_value = "./tableau-backups")]
    pub dest: Destination,
}

/// `--kinds` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Workbooks,
    Datasources,
    Flows,
    Users,
    Groups,
    Favorites,
    Subscriptions,
    CustomViews,
    Projects,
    VirtualConnections,
    ExtractRefreshTasks,
    Site,
}
