//! Command-line interface: flags, environment variables and help text, and
//! their mapping to the resolved configuration ([`crate::config`]). Nothing here
//! runs or prints anything.

use crate::config::{
    self, BackupConfig, PolicyShowConfig, Request, RestoreConfig, RestoreMode, SandboxConfig, Scope,
    SiteConfig, SnapshotsConfig, Timeouts, VerifyConfig,
};
use crate::exit::Fatal;
use crate::secrets::SecretSource;
use crate::store::Destination;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use tableau_backup_model::Kind;

/// Back up a whole Tableau Cloud site (content and metadata) to S3 or a local folder.
///
/// The backup logic runs as a sandboxed WebAssembly component that can reach only the
/// Tableau server, read only the PAT secret, and write only into its own run folder.
///
/// Exit codes: 0 complete, 3 partial (some items failed, the rest is good),
/// 4 limited (all that was asked for, but --kinds, --no-extracts or a --max-* cap
/// left things out), 1 failed (no backup was made), 2 bad usage or configuration.
#[derive(Debug, Parser)]
#[command(name = "tableau-backup", version, max_term_width = 100)]
pub struct Cli {
    /// What to do.
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
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Back up a site: content files, metadata JSON and a manifest, into a new run folder.
    Backup(Box<BackupArgs>),
    /// Restore a run into a site: projects, content, owners, tags, permissions (see --help).
    Restore(Box<RestoreArgs>),
    /// Check a run against its manifest: every object present, same size, same SHA-256.
    Verify(VerifyArgs),
    /// List the runs in a destination with their status, time, counts and bytes.
    Snapshots(SnapshotsArgs),
    /// Show the effective sandbox policy.
    Policy {
        /// What to do with the policy.
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Start the bundled Tableau site simulator on loopback and back up its sample site.
    Demo(DemoArgs),
}

/// `policy` subcommands.
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

/// `backup` flags.
#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Where to sign in.
    #[command(flatten)]
    pub site: SiteArgs,

    /// Destination: a folder, or s3://bucket/prefix (AWS credential chain and
    /// AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL apply).
    #[arg(
        long,
        env = "TABLEAU_BACKUP_DEST",
        value_name = "DEST",
        default_value = config::DEFAULT_DEST
    )]
    pub dest: Destination,

    /// What to back up (comma-separated); default: everything.
    #[arg(long, value_delimiter = ',', value_name = "KIND", value_parser = kind_parser())]
    pub kinds: Vec<Kind>,

    /// Download workbooks and data sources without their extracts.
    #[arg(long)]
    pub no_extracts: bool,

    /// Also store the bytes of every kept revision of workbooks and data sources
    /// (Tableau Cloud keeps up to 10): up to 9 more downloads per item on the first
    /// run; later runs copy the revisions they already have from the latest run
    /// that stored revisions.
    #[arg(long)]
    pub revisions: bool,

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
    #[arg(long, value_name = "N", default_value_t = config::DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u32).range(1..=config::MAX_CONCURRENCY as i64))]
    pub concurrency: u32,

    /// Items per list page (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = config::DEFAULT_PAGE_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=config::DEFAULT_PAGE_SIZE as i64))]
    pub page_size: u32,

    /// Seconds to wait for a connection to Tableau (at least 1).
    #[arg(long, value_name = "SECS", default_value_t = config::DEFAULT_CONNECT_TIMEOUT_SECS)]
    pub connect_timeout: u32,

    /// Seconds to wait for the first byte of a response (at least 1).
    #[arg(long, value_name = "SECS", default_value_t = config::DEFAULT_FIRST_BYTE_TIMEOUT_SECS)]
    pub first_byte_timeout: u32,

    /// Seconds a download may stall between two chunks before it is retried (at least 1).
    #[arg(long, value_name = "SECS", default_value_t = config::DEFAULT_BETWEEN_BYTES_TIMEOUT_SECS)]
    pub between_bytes_timeout: u32,

    /// Policy and guest.
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// `--mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Leave an item that already exists (same name, same project) alone.
    SkipExisting,
    /// Publish over it; Tableau keeps the replaced version as a revision.
    Overwrite,
    /// Publish next to it as "<name> (restored)".
    Rename,
}

/// `restore` flags.
///
/// Restores from the latest complete run unless --run names one. Users and
/// groups are matched by name; projects by path. Items are published data
/// sources first, then flows, then workbooks; then owners, descriptions, tags
/// and permissions are applied. Prints the id map, what was restored, skipped
/// and failed, and a checklist of what must be done by hand (passwords of
/// embedded credentials, OAuth connections, missing owners). Exit codes: 0
/// complete, 3 partial (some objects failed), 1 nothing restored, 2 usage.
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The site to restore into.
    #[command(flatten)]
    pub site: SiteArgs,

    /// The destination holding the backup: a folder or s3://bucket/prefix.
    #[arg(long, env = "TABLEAU_BACKUP_DEST", value_name = "DEST", default_value = config::DEFAULT_DEST)]
    pub from: Destination,

    /// The run folder to restore; default: the latest complete run.
    #[arg(long, value_name = "RUN")]
    pub run: Option<String>,

    /// What to restore (comma-separated); default: everything restorable.
    #[arg(long, value_delimiter = ',', value_name = "KIND",
          value_parser = PossibleValuesParser::new(config::RESTORABLE_KINDS.map(Kind::name))
              .map(|name| name.parse::<Kind>().expect("only listed names get through")))]
    pub kinds: Vec<Kind>,

    /// Only content in this project and below: a path (Sales/Reports) or a LUID (repeatable).
    #[arg(long = "project", value_name = "PATH|LUID")]
    pub projects: Vec<String>,

    /// Only this item: a workbook, data source or flow LUID or name (repeatable).
    #[arg(long = "item", value_name = "ID|NAME")]
    pub items: Vec<String>,

    /// With one --item: publish its stored revision N as the current version.
    #[arg(long, value_name = "N")]
    pub revision: Option<u32>,

    /// Put the backup's project OLD (a path) at NEW on the target (repeatable).
    #[arg(long, value_name = "OLD=NEW", value_parser = parse_map)]
    pub project_map: Vec<(String, String)>,

    /// Create users (with their site role) and groups (with members) the target lacks.
    #[arg(long)]
    pub create_principals: bool,

    /// What to do with an item whose name is already taken in its project.
    #[arg(long, value_enum, default_value_t = ModeArg::SkipExisting)]
    pub mode: ModeArg,

    /// Print the plan (create, overwrite, skip, rename) and write nothing to the site.
    #[arg(long)]
    pub dry_run: bool,

    /// Print the report as JSON on stdout.
    #[arg(long)]
    pub json: bool,

    /// Items per list page when reading the target (1 to 1000).
    #[arg(long, value_name = "N", default_value_t = config::DEFAULT_PAGE_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=config::DEFAULT_PAGE_SIZE as i64))]
    pub page_size: u32,

    /// Policy and guest.
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

fn parse_map(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => Ok((a.to_string(), b.to_string())),
        _ => Err(format!("{s:?}: expected OLD=NEW (two project paths)")),
    }
}

impl RestoreArgs {
    /// The restore these flags ask for.
    pub fn resolve(&self) -> Result<RestoreConfig, Fatal> {
        let site = SiteConfig::new(
            &self.site.server,
            &self.site.site,
            &self.site.token_name,
            self.site.token_secret_from.clone(),
        )?;
        RestoreConfig {
            site,
            from: self.from.clone(),
            run: self.run.clone(),
            kinds: self.kinds.clone(),
            projects: self.projects.clone(),
            items: self.items.clone(),
            revision: self.revision,
            project_map: self.project_map.clone(),
            create_principals: self.create_principals,
            mode: match self.mode {
                ModeArg::SkipExisting => RestoreMode::SkipExisting,
                ModeArg::Overwrite => RestoreMode::Overwrite,
                ModeArg::Rename => RestoreMode::Rename,
            },
            dry_run: self.dry_run,
            json: self.json,
            page_size: self.page_size,
            timeouts: Timeouts::default(),
            sandbox: SandboxConfig {
                policy: self.sandbox.policy.clone(),
                guest: self.sandbox.guest.clone(),
            },
        }
        .checked()
    }
}

/// `verify` arguments.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The destination holding the run (folder or s3://bucket/prefix).
    #[arg(value_name = "DEST")]
    pub dest: Destination,
    /// The run folder name; default: the latest run that has a manifest.
    #[arg(value_name = "RUN")]
    pub run: Option<String>,
}

/// `snapshots` arguments.
#[derive(Debug, Clone, Args)]
pub struct SnapshotsArgs {
    /// The destination to list (folder or s3://bucket/prefix).
    #[arg(value_name = "DEST")]
    pub dest: Destination,
}

/// `policy show` flags.
#[derive(Debug, Clone, Args)]
pub struct PolicyShowArgs {
    /// Tableau server URL the policy allows.
    #[arg(long, env = "TABLEAU_SERVER", value_name = "URL")]
    pub server: String,
    /// Policy and guest.
    #[command(flatten)]
    pub sandbox: SandboxArgs,
}

/// `demo` flags.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Where to write the backup.
    #[arg(long, value_name = "DEST", default_value = config::DEFAULT_DEST)]
    pub dest: Destination,
}

/// `--kinds` values: the shared list's names, shown in `--help` and errors.
fn kind_parser() -> impl TypedValueParser<Value = Kind> {
    PossibleValuesParser::new(Kind::ALL.map(Kind::name))
        .map(|name| name.parse::<Kind>().expect("only listed names get through"))
}

impl Command {
    /// Map parsed flags to the resolved configuration. `demo` is the binary's.
    pub fn resolve(self) -> Result<Request, Fatal> {
        Ok(match self {
            Command::Backup(args) => Request::Backup(Box::new(args.resolve()?)),
            Command::Restore(args) => Request::Restore(Box::new(args.resolve()?)),
            Command::Verify(args) => Request::Verify(VerifyConfig {
                dest: args.dest,
                run: args.run,
            }),
            Command::Snapshots(args) => Request::Snapshots(SnapshotsConfig { dest: args.dest }),
            Command::Policy {
                command: PolicyCommand::Show(args),
            } => Request::PolicyShow(PolicyShowConfig {
                server: crate::policy::http::check_server_url(&args.server).map_err(Fatal::usage)?,
                server_url: args.server,
                policy: args.sandbox.policy,
            }),
            Command::Demo(_) => return Err(Fatal::usage("demo is handled by the tableau-backup binary")),
        })
    }
}

impl BackupArgs {
    /// The backup these flags ask for.
    pub fn resolve(&self) -> Result<BackupConfig, Fatal> {
        let site = SiteConfig::new(
            &self.site.server,
            &self.site.site,
            &self.site.token_name,
            self.site.token_secret_from.clone(),
        )?;
        BackupConfig {
            site,
            dest: self.dest.clone(),
            scope: Scope {
                kinds: self.kinds.clone(),
                include_extracts: !self.no_extracts,
                max_workbooks: self.max_workbooks,
                max_datasources: self.max_datasources,
                max_flows: self.max_flows,
                revisions: self.revisions,
            },
            concurrency: self.concurrency,
            page_size: self.page_size,
            timeouts: Timeouts::from_secs(
                self.connect_timeout,
                self.first_byte_timeout,
                self.between_bytes_timeout,
            )?,
            sandbox: SandboxConfig {
                policy: self.sandbox.policy.clone(),
                guest: self.sandbox.guest.clone(),
            },
        }
        .checked()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backup(extra: &[&str]) -> Result<BackupConfig, Fatal> {
        let mut argv = vec![
            "tableau-backup",
            "backup",
            "--server",
            "https://x.example",
            "--site",
            "s",
        ];
        argv.extend(["--token-name", "n"]);
        argv.extend(extra);
        match Cli::try_parse_from(argv)
            .map_err(|e| Fatal::usage(e.to_string()))?
            .command
        {
            Command::Backup(args) => args.resolve(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn flags_map_to_the_resolved_configuration() {
        let c = backup(&[
            "--kinds",
            "users,custom-views",
            "--no-extracts",
            "--max-flows",
            "2",
        ])
        .unwrap();
        assert_eq!(c.scope.kinds, [Kind::Users, Kind::CustomViews]);
        assert!(!c.scope.include_extracts);
        assert_eq!(c.scope.max_flows, Some(2));
        assert_eq!(c.timeouts, Timeouts::default());
        let err = backup(&["--kinds", "widgets"]).unwrap_err();
        assert!(err.message.contains("custom-views"), "{}", err.message);
        let err = backup(&["--connect-timeout", "0"]).unwrap_err();
        assert!(
            err.message.contains("--connect-timeout must be at least 1"),
            "{}",
            err.message
        );
    }
}
