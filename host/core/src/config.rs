//! Resolved configuration: what each command will do, typed and checked, with
//! no trace of where it came from. Flags and environment produce it today
//! ([`crate::cli`]); a config file and a Lambda event will produce the same
//! types. Checks that need no I/O happen here, so a bad value fails before
//! anything is attempted.

use crate::exit::Fatal;
use crate::policy::http::{check_server_url, Origin};
use crate::secrets::SecretSource;
use crate::store::Destination;
use std::path::PathBuf;
use std::time::Duration;
use tableau_backup_model::Kind;

/// Default `--concurrency`.
pub const DEFAULT_CONCURRENCY: u32 = 4;
/// Tableau Cloud's limit on concurrent downloads per site.
pub const MAX_CONCURRENCY: u32 = 20;
/// Default (and largest) `--page-size`.
pub const DEFAULT_PAGE_SIZE: u32 = 1000;
/// Default `--connect-timeout`, seconds.
pub const DEFAULT_CONNECT_TIMEOUT_SECS: u32 = 30;
/// Default `--first-byte-timeout`, seconds.
pub const DEFAULT_FIRST_BYTE_TIMEOUT_SECS: u32 = 300;
/// Default `--between-bytes-timeout`, seconds.
pub const DEFAULT_BETWEEN_BYTES_TIMEOUT_SECS: u32 = 120;
/// Default destination.
pub const DEFAULT_DEST: &str = "./tableau-backups";

/// One command, resolved.
#[derive(Debug, Clone)]
pub enum Request {
    /// `backup`.
    Backup(Box<BackupConfig>),
    /// `verify`.
    Verify(VerifyConfig),
    /// `snapshots`.
    Snapshots(SnapshotsConfig),
    /// `policy show`.
    PolicyShow(PolicyShowConfig),
    /// `restore`.
    Restore(Box<RestoreConfig>),
}

/// The Tableau site and how to sign in.
#[derive(Debug, Clone)]
pub struct SiteConfig {
    /// Checked server URL, without a trailing `/`.
    pub server: String,
    /// The server's origin, for the outbound policy.
    pub origin: Origin,
    /// Site content URL.
    pub site: String,
    /// PAT name.
    pub token_name: String,
    /// Where the PAT secret comes from.
    pub token_secret: SecretSource,
}

impl SiteConfig {
    /// Check and build.
    pub fn new(
        server: &str,
        site: &str,
        token_name: &str,
        token_secret: SecretSource,
    ) -> Result<Self, Fatal> {
        let origin = check_server_url(server).map_err(Fatal::usage)?;
        if token_name.trim().is_empty() {
            return Err(Fatal::usage(
                "the token name is empty (--token-name or TABLEAU_TOKEN_NAME)",
            ));
        }
        Ok(SiteConfig {
            server: server.trim_end_matches('/').to_string(),
            origin,
            site: site.to_string(),
            token_name: token_name.to_string(),
            token_secret,
        })
    }
}

/// What a backup covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// Kinds to back up; empty means all.
    pub kinds: Vec<Kind>,
    /// Download workbooks and data sources with their extracts.
    pub include_extracts: bool,
    /// At most this many workbook files.
    pub max_workbooks: Option<u64>,
    /// At most this many data source files.
    pub max_datasources: Option<u64>,
    /// At most this many flow files.
    pub max_flows: Option<u64>,
    /// Store the bytes of every kept revision too.
    pub revisions: bool,
}

/// Timeouts of each Tableau request (the guest applies them, the host caps them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To connect.
    pub connect: Duration,
    /// From the request to the first byte of the answer.
    pub first_byte: Duration,
    /// Between two chunks of a body.
    pub between_bytes: Duration,
}

impl Timeouts {
    /// From whole seconds; 0 is refused (every request would time out).
    pub fn from_secs(connect: u32, first_byte: u32, between_bytes: u32) -> Result<Self, Fatal> {
        for (name, v) in [
            ("--connect-timeout", connect),
            ("--first-byte-timeout", first_byte),
            ("--between-bytes-timeout", between_bytes),
        ] {
            if v == 0 {
                return Err(Fatal::usage(format!(
                    "{name} must be at least 1 second (0 would make every request time out)"
                )));
            }
        }
        Ok(Timeouts {
            connect: Duration::from_secs(connect.into()),
            first_byte: Duration::from_secs(first_byte.into()),
            between_bytes: Duration::from_secs(between_bytes.into()),
        })
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts::from_secs(
            DEFAULT_CONNECT_TIMEOUT_SECS,
            DEFAULT_FIRST_BYTE_TIMEOUT_SECS,
            DEFAULT_BETWEEN_BYTES_TIMEOUT_SECS,
        )
        .expect("the defaults are not zero")
    }
}

/// The sandbox: which policy, which guest.
#[derive(Debug, Clone, Default)]
pub struct SandboxConfig {
    /// A policy file; `None` for the defaults.
    pub policy: Option<PathBuf>,
    /// A guest component to run instead of the embedded one.
    pub guest: Option<PathBuf>,
}

/// `backup`, resolved.
#[derive(Debug, Clone)]
pub struct BackupConfig {
    /// Where to sign in.
    pub site: SiteConfig,
    /// Where the run goes.
    pub dest: Destination,
    /// What it covers.
    pub scope: Scope,
    /// Downloads in flight at once.
    pub concurrency: u32,
    /// Items per list page.
    pub page_size: u32,
    /// Per-request timeouts.
    pub timeouts: Timeouts,
    /// Policy and guest.
    pub sandbox: SandboxConfig,
}

impl BackupConfig {
    /// A backup of everything with the defaults.
    pub fn new(site: SiteConfig, dest: Destination) -> Self {
        BackupConfig {
            site,
            dest,
            scope: Scope {
                include_extracts: true,
                ..Scope::default()
            },
            concurrency: DEFAULT_CONCURRENCY,
            page_size: DEFAULT_PAGE_SIZE,
            timeouts: Timeouts::default(),
            sandbox: SandboxConfig::default(),
        }
    }

    /// Check the values clap's parsers cannot (any producer may call this).
    pub fn checked(self) -> Result<Self, Fatal> {
        if self.scope.revisions
            && !self.scope.kinds.is_empty()
            && !self.scope.kinds.contains(&Kind::Revisions)
        {
            return Err(Fatal::usage(
                "--revisions stores revision bytes, but --kinds leaves out `revisions`: add it to --kinds",
            ));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(Fatal::usage(format!(
                "concurrency {} is outside 1..={MAX_CONCURRENCY}",
                self.concurrency
            )));
        }
        if !(1..=DEFAULT_PAGE_SIZE).contains(&self.page_size) {
            return Err(Fatal::usage(format!(
                "page size {} is outside 1..={DEFAULT_PAGE_SIZE}",
                self.page_size
            )));
        }
        Ok(self)
    }
}

/// What to do with an item whose name is already taken in its target project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RestoreMode {
    /// Leave the target's item alone.
    #[default]
    SkipExisting,
    /// Publish over it (Tableau keeps the old one as a revision).
    Overwrite,
    /// Publish next to it as `<name> (restored)`.
    Rename,
}

/// The kinds a restore can bring back (`--kinds`).
pub const RESTORABLE_KINDS: [Kind; 12] = [
    Kind::Workbooks,
    Kind::Datasources,
    Kind::Flows,
    Kind::Projects,
    Kind::Users,
    Kind::Groups,
    Kind::Permissions,
    Kind::DefaultPermissions,
    Kind::CustomViews,
    Kind::Favorites,
    Kind::Subscriptions,
    Kind::ExtractRefreshTasks,
];

/// `restore`, resolved.
#[derive(Debug, Clone)]
pub struct RestoreConfig {
    /// The site to restore into.
    pub site: SiteConfig,
    /// The destination holding the backup.
    pub from: Destination,
    /// The run; `None` for the latest complete one.
    pub run: Option<String>,
    /// What to restore; empty means everything restorable.
    pub kinds: Vec<Kind>,
    /// Only content under these project paths or LUIDs.
    pub projects: Vec<String>,
    /// Only these items (LUIDs or names).
    pub items: Vec<String>,
    /// Publish this stored revision of the one `--item`.
    pub revision: Option<u32>,
    /// Backup project path -> target project path.
    pub project_map: Vec<(String, String)>,
    /// Create missing users and groups.
    pub create_principals: bool,
    /// What to do with items that exist.
    pub mode: RestoreMode,
    /// Plan only; write nothing to the target.
    pub dry_run: bool,
    /// Print the report as JSON.
    pub json: bool,
    /// Items per list page on the target.
    pub page_size: u32,
    /// Per-request timeouts.
    pub timeouts: Timeouts,
    /// Policy and guest.
    pub sandbox: SandboxConfig,
}

impl RestoreConfig {
    /// Check what clap cannot.
    pub fn checked(self) -> Result<Self, Fatal> {
        if let Some(k) = self.kinds.iter().find(|k| !RESTORABLE_KINDS.contains(k)) {
            return Err(Fatal::usage(format!(
                "--kinds {}: not restorable by this version; restorable: {}",
                k.name(),
                RESTORABLE_KINDS.map(Kind::name).join(", ")
            )));
        }
        if self.revision.is_some() && self.items.len() != 1 {
            return Err(Fatal::usage(
                "--revision needs exactly one --item (its LUID or name)",
            ));
        }
        for (old, new) in &self.project_map {
            if old.trim_matches('/').is_empty() || new.trim_matches('/').is_empty() {
                return Err(Fatal::usage("--project-map needs OLD=NEW, two project paths"));
            }
        }
        if !(1..=DEFAULT_PAGE_SIZE).contains(&self.page_size) {
            return Err(Fatal::usage(format!(
                "page size {} is outside 1..={DEFAULT_PAGE_SIZE}",
                self.page_size
            )));
        }
        Ok(self)
    }
}

/// `verify`, resolved.
#[derive(Debug, Clone)]
pub struct VerifyConfig {
    /// The destination.
    pub dest: Destination,
    /// The run; `None` for the latest with a manifest.
    pub run: Option<String>,
}

/// `snapshots`, resolved.
#[derive(Debug, Clone)]
pub struct SnapshotsConfig {
    /// The destination.
    pub dest: Destination,
}

/// `policy show`, resolved.
#[derive(Debug, Clone)]
pub struct PolicyShowConfig {
    /// The server the policy allows.
    pub server: Origin,
    /// As typed, for the header line.
    pub server_url: String,
    /// The policy file, if any.
    pub policy: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> SiteConfig {
        SiteConfig::new("http://127.0.0.1:1", "s", "n", SecretSource::Env("X".into())).unwrap()
    }

    #[test]
    fn zero_timeouts_and_bad_values_are_refused() {
        let err = Timeouts::from_secs(0, 1, 1).unwrap_err();
        assert!(
            err.message.contains("--connect-timeout must be at least 1"),
            "{}",
            err.message
        );
        assert!(Timeouts::from_secs(1, 0, 1).is_err());
        assert!(Timeouts::from_secs(1, 1, 0).is_err());
        assert!(SiteConfig::new("http://example.com", "s", "n", SecretSource::Env("X".into())).is_err());
        assert!(SiteConfig::new("https://example.com", "s", " ", SecretSource::Env("X".into())).is_err());
        let mut c = BackupConfig::new(site(), Destination::Local(".".into()));
        c.concurrency = 21;
        assert!(c.checked().is_err());
        let mut c = BackupConfig::new(site(), Destination::Local(".".into()));
        c.scope.revisions = true;
        c.scope.kinds = vec![Kind::Workbooks];
        assert!(c
            .clone()
            .checked()
            .unwrap_err()
            .message
            .contains("add it to --kinds"));
        c.scope.kinds.push(Kind::Revisions);
        assert!(c.checked().is_ok());
    }

    #[test]
    fn defaults_back_up_everything_with_extracts() {
        let c = BackupConfig::new(site(), Destination::Local(".".into()))
            .checked()
            .unwrap();
        assert!(c.scope.kinds.is_empty() && c.scope.include_extracts);
        assert_eq!(c.site.server, "http://127.0.0.1:1");
        assert_eq!((c.concurrency, c.page_size), (4, 1000));
    }
}
