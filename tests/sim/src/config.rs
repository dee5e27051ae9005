//! Simulator configuration: which site to serve, credentials, faults; TOML file loading.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::faults::Faults;
use crate::util::size_serde;

/// Largest single-request publish, and largest upload chunk (64 MiB, like Tableau Cloud).
pub const MAX_SINGLE_PUBLISH: u64 = 64 << 20;

/// Everything a simulator run needs.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// TCP port on 127.0.0.1; 0 picks a free port.
    pub port: u16,
    pub site_content_url: String,
    pub site_name: String,
    pub pat_name: String,
    pub pat_secret: String,
    /// More PATs `(name, secret)` accepted for the same site (one session each).
    pub extra_pats: Vec<(String, String)>,
    pub site: SiteSpec,
    pub faults: Faults,
    /// `restApiVersion` reported by serverinfo.
    pub api_version: String,
    /// Single-request publish limit (bytes); larger gets 400011.
    pub max_single_publish: u64,
    /// Default-permission types (`projects/{id}/default-permissions/{type}`) the site does
    /// not serve: they answer 404003 like an unknown URI [default: lenses, metrics, the
    /// features Tableau Cloud retired].
    pub unserved_default_permissions: Vec<String>,
}

/// The site's content: the fixed sample site or a generated one.
#[derive(Clone, Debug)]
pub enum SiteSpec {
    Sample,
    Generated(GenSpec),
}

/// Counts and sizes of a generated site. Missing TOML keys keep the defaults.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GenSpec {
    pub seed: u64,
    /// Projects, nested (at least 1: "default").
    pub projects: usize,
    pub workbooks: usize,
    pub datasources: usize,
    pub flows: usize,
    /// Users (at least 1: the PAT owner, a site administrator).
    pub users: usize,
    /// Groups (at least 1: "All Users", which holds every user).
    pub groups: usize,
    /// Average members of each group other than "All Users".
    pub group_members: usize,
    pub subscriptions: usize,
    pub custom_views: usize,
    /// Average favorites per user.
    pub favorites_per_user: usize,
    pub extract_refresh_tasks: usize,
    pub virtual_connections: usize,
    /// Revisions of a workbook or data source: 1 to this many (some deleted) [default: 10,
    /// what Tableau Cloud keeps].
    pub max_revisions: usize,
    pub data_alerts: usize,
    pub webhooks: usize,
    pub flow_run_tasks: usize,
    /// Data quality warnings, on data sources and flows.
    pub data_quality_warnings: usize,
    pub sizes: SizeSpec,
    /// Cut every generated name (workbooks, data sources, flows, projects, users and their
    /// full names, groups, views, custom views, virtual connections) to at most this many
    /// characters (Unicode scalar values, not bytes: up to 4 bytes each). A cut name ends
    /// in `~N`, so names stay unique where they are today. Values below 10 count as 10
    /// (the built-in "All Users" and "default" are never cut). `None` (the default): the
    /// realistic names, some over 200 characters.
    pub max_name_chars: Option<usize>,
}

/// Content sizes: log-uniform between `min` and `max`; the first `big_items` workbooks and
/// the first `big_items` data sources are `big_size` bytes (with extract).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct SizeSpec {
    #[serde(with = "size_serde")]
    pub min: u64,
    #[serde(with = "size_serde")]
    pub max: u64,
    pub big_items: usize,
    #[serde(with = "size_serde")]
    pub big_size: u64,
}

impl Default for SizeSpec {
    fn default() -> Self {
        Self {
            min: 512,
            max: 1 << 20,
            big_items: 0,
            big_size: 2 << 30,
        }
    }
}

impl Default for GenSpec {
    fn default() -> Self {
        Self {
            seed: 1,
            projects: 25,
            workbooks: 200,
            datasources: 100,
            flows: 20,
            users: 300,
            groups: 15,
            group_members: 20,
            subscriptions: 50,
            custom_views: 40,
            favorites_per_user: 2,
            extract_refresh_tasks: 30,
            virtual_connections: 5,
            max_revisions: 10,
            data_alerts: 20,
            webhooks: 4,
            flow_run_tasks: 8,
            data_quality_warnings: 12,
            sizes: SizeSpec::default(),
            max_name_chars: None,
        }
    }
}

impl GenSpec {
    /// A site with only the "default" project and the PAT owner.
    pub fn empty(seed: u64) -> Self {
        Self {
            seed,
            projects: 1,
            workbooks: 0,
            datasources: 0,
            flows: 0,
            users: 1,
            groups: 1,
            group_members: 0,
            subscriptions: 0,
            custom_views: 0,
            favorites_per_user: 0,
            extract_refresh_tasks: 0,
            virtual_connections: 0,
            max_revisions: 10,
            data_alerts: 0,
            webhooks: 0,
            flow_run_tasks: 0,
            data_quality_warnings: 0,
            sizes: SizeSpec::default(),
            max_name_chars: None,
        }
    }
}

impl SimConfig {
    fn base(site: SiteSpec, content_url: &str, name: &str) -> Self {
        Self {
            port: 0,
            site_content_url: content_url.to_string(),
            site_name: name.to_string(),
            pat_name: "backup-bot".to_string(),
            pat_secret: "sim-secret".to_string(),
            extra_pats: Vec::new(),
            site,
            faults: Faults::default(),
            api_version: "3.24".to_string(),
            max_single_publish: MAX_SINGLE_PUBLISH,
            unserved_default_permissions: vec!["lenses".into(), "metrics".into()],
        }
    }

    /// The fixed sample site; PAT "backup-bot" / "sim-secret", site content URL "demo".
    pub fn sample() -> Self {
        Self::base(SiteSpec::Sample, "demo", "Demo Site")
    }

    /// A generated site with [`GenSpec::default`] counts; same PAT, site content URL "sim".
    pub fn generated(seed: u64) -> Self {
        Self::base(
            SiteSpec::Generated(GenSpec {
                seed,
                ..GenSpec::default()
            }),
            "sim",
            "Simulated Site",
        )
    }

    /// A generated site holding nothing but the "default" project and the PAT owner
    /// (a restore target).
    pub fn empty(seed: u64) -> Self {
        Self::base(SiteSpec::Generated(GenSpec::empty(seed)), "sim", "Simulated Site")
    }

    /// The generated site's spec. Panics for the sample site.
    pub fn gen_mut(&mut self) -> &mut GenSpec {
        match &mut self.site {
            SiteSpec::Generated(g) => g,
            SiteSpec::Sample => panic!("the sample site has fixed contents"),
        }
    }

    /// Builder: edit the generated site's spec. Panics for the sample site.
    pub fn with_gen(mut self, f: impl FnOnce(&mut GenSpec)) -> Self {
        f(self.gen_mut());
        self
    }

    pub fn workbooks(self, n: usize) -> Self {
        self.with_gen(|g| g.workbooks = n)
    }

    pub fn datasources(self, n: usize) -> Self {
        self.with_gen(|g| g.datasources = n)
    }

    pub fn flows(self, n: usize) -> Self {
        self.with_gen(|g| g.flows = n)
    }

    /// Cut every generated name to at most `n` characters (see [`GenSpec::max_name_chars`]),
    /// e.g. for stores that limit key lengths. Panics for the sample site.
    pub fn max_name_chars(self, n: usize) -> Self {
        self.with_gen(|g| g.max_name_chars = Some(n))
    }

    pub fn users(self, n: usize) -> Self {
        self.with_gen(|g| g.users = n)
    }

    pub fn projects(self, n: usize) -> Self {
        self.with_gen(|g| g.projects = n)
    }

    pub fn groups(self, n: usize) -> Self {
        self.with_gen(|g| g.groups = n)
    }

    /// Content sizes between `min` and `max` bytes.
    pub fn content_sizes(self, min: u64, max: u64) -> Self {
        self.with_gen(|g| {
            g.sizes.min = min;
            g.sizes.max = max;
        })
    }

    /// The first `n` workbooks and data sources are `size` bytes.
    pub fn big_items(self, n: usize, size: u64) -> Self {
        self.with_gen(|g| {
            g.sizes.big_items = n;
            g.sizes.big_size = size;
        })
    }

    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    pub fn site_content_url(mut self, url: &str) -> Self {
        self.site_content_url = url.to_string();
        self
    }

    pub fn pat(mut self, name: &str, secret: &str) -> Self {
        self.pat_name = name.to_string();
        self.pat_secret = secret.to_string();
        self
    }

    /// Accept another PAT (its own session) for the same site.
    pub fn extra_pat(mut self, name: &str, secret: &str) -> Self {
        self.extra_pats.push((name.to_string(), secret.to_string()));
        self
    }

    pub fn faults(mut self, f: Faults) -> Self {
        self.faults = f;
        self
    }

    /// Load a TOML config file (see README.md for the keys).
    pub fn from_toml_file(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))?;
        Self::from_toml_str(&text)
    }

    pub fn from_toml_str(text: &str) -> anyhow::Result<Self> {
        let f: FileConfig = toml::from_str(text)?;
        let mut cfg = if f.sample {
            Self::sample()
        } else {
            let mut c = Self::generated(f.seed.unwrap_or(1));
            let mut g = f.site_spec.unwrap_or_default();
            g.seed = f.seed.unwrap_or(g.seed);
            c.site = SiteSpec::Generated(g);
            c
        };
        if let Some(p) = f.port {
            cfg.port = p;
        }
        if let Some(s) = f.site {
            cfg.site_content_url = s;
        }
        if let Some(s) = f.site_name {
            cfg.site_name = s;
        }
        if let Some(s) = f.pat_name {
            cfg.pat_name = s;
        }
        if let Some(s) = f.pat_secret {
            cfg.pat_secret = s;
        }
        for p in f.extra_pats {
            cfg.extra_pats.push((p.name, p.secret));
        }
        if let Some(f) = f.faults {
            cfg.faults = f;
        }
        if let Some(u) = f.unserved_default_permissions {
            cfg.unserved_default_permissions = u;
        }
        Ok(cfg)
    }
}

/// The TOML file layout.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct FileConfig {
    port: Option<u16>,
    site: Option<String>,
    site_name: Option<String>,
    pat_name: Option<String>,
    pat_secret: Option<String>,
    extra_pats: Vec<PatEntry>,
    sample: bool,
    seed: Option<u64>,
    #[serde(rename = "generated")]
    site_spec: Option<GenSpec>,
    faults: Option<Faults>,
    unserved_default_permissions: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatEntry {
    name: String,
    secret: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_file() {
        let cfg = SimConfig::from_toml_str(
            r#"
            port = 8123
            site = "acme"
            seed = 9
            unserved_default_permissions = ["lenses"]
            [generated]
            workbooks = 10
            max_revisions = 3
            [generated.sizes]
            max = "2MiB"
            [faults]
            latency_ms = 5
            rate_limit_every = 3
            drift_after_page = 2
            reject_all_fields_endpoints = ["GET users"]
            "#,
        )
        .unwrap();
        assert_eq!(cfg.port, 8123);
        assert_eq!(cfg.site_content_url, "acme");
        let SiteSpec::Generated(g) = &cfg.site else {
            panic!()
        };
        assert_eq!((g.seed, g.workbooks, g.users, g.max_revisions), (9, 10, 300, 3));
        assert_eq!(cfg.unserved_default_permissions, ["lenses"]);
        assert_eq!(cfg.faults.drift_after_page, Some(2));
        assert_eq!(cfg.faults.reject_all_fields_endpoints, ["GET users"]);
        assert_eq!(g.sizes.max, 2 << 20);
        assert_eq!(cfg.faults.latency_ms, 5);
        assert_eq!(cfg.faults.rate_limit_every, Some(3));
        assert_eq!(cfg.faults.huge_body_bytes, crate::faults::DEFAULT_HUGE_BODY_BYTES);
        assert!(SimConfig::from_toml_str("bogus = 1").is_err());
        let cfg = SimConfig::from_toml_str(
            r#"
            [faults]
            stall_content_ids = ["a", "b"]
            stall_after_bytes = "64KiB"
            stall_secs = 2.5
            bad_body_endpoints = ["GET users"]
            bad_body = "huge"
            bad_body_times = 3
            huge_body_bytes = "1GiB"
            "#,
        )
        .unwrap();
        assert_eq!(
            cfg.faults,
            Faults::default()
                .stall_content(&["a", "b"], 64 << 10, 2.5)
                .bad_body(&["GET users"], crate::faults::BadBody::Huge)
                .bad_body_times(3)
                .huge_body_bytes(1 << 30)
        );
        assert!(SimConfig::from_toml_str("[faults]\nbad_body = \"nope\"").is_err());
    }
}
