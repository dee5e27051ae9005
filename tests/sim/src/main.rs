//! `tableau-sim`: run the Tableau Cloud site simulator by hand.

use std::io::Write;
use std::path::PathBuf;

use clap::Parser;
use tableau_sim::{parse_size, BadBody, DropMode, SimConfig, SiteSpec};

/// A Tableau Cloud site simulator speaking the REST API (3.x) on 127.0.0.1.
///
/// Without --sample it serves a deterministic generated site (--seed and the size flags).
/// Flags override values from --config. Faults can also be changed at runtime through
/// `PUT /_sim/faults` (see `GET /_sim`).
#[derive(Parser, Debug)]
#[command(name = "tableau-sim", version)]
struct Cli {
    /// TCP port on 127.0.0.1; 0 picks a free port (printed as `listening on http://127.0.0.1:PORT`).
    #[arg(long, env = "TABLEAU_SIM_PORT")]
    port: Option<u16>,
    /// Site content URL clients sign in to (default "demo" for --sample, else "sim").
    #[arg(long)]
    site: Option<String>,
    /// Personal access token name (default "backup-bot").
    #[arg(long, env = "TABLEAU_SIM_PAT_NAME")]
    pat_name: Option<String>,
    /// Personal access token secret (default "sim-secret").
    #[arg(long, env = "TABLEAU_SIM_PAT_SECRET")]
    pat_secret: Option<String>,
    /// Serve the small fixed sample site built from real Tableau sample files.
    #[arg(long)]
    sample: bool,
    /// Seed of the generated site (same seed, same site) [default: 1].
    #[arg(long)]
    seed: Option<u64>,
    /// TOML config file (keys: port, site, pat_name, pat_secret, sample, seed,
    /// unserved_default_permissions, [generated], [generated.sizes], [faults]).
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,

    // ---- site size (generated site) ----
    /// Number of projects, nested (at least 1, "default") [default: 25].
    #[arg(long, help_heading = "Site size")]
    projects: Option<usize>,
    /// Number of workbooks [default: 200].
    #[arg(long, help_heading = "Site size")]
    workbooks: Option<usize>,
    /// Number of published data sources [default: 100].
    #[arg(long, help_heading = "Site size")]
    datasources: Option<usize>,
    /// Number of Prep flows [default: 20].
    #[arg(long, help_heading = "Site size")]
    flows: Option<usize>,
    /// Number of users (at least 1: the PAT owner, a site administrator) [default: 300].
    #[arg(long, help_heading = "Site size")]
    users: Option<usize>,
    /// Number of groups (at least 1: "All Users", holding every user) [default: 15].
    #[arg(long, help_heading = "Site size")]
    groups: Option<usize>,
    /// Average members of each group besides "All Users" [default: 20].
    #[arg(long, help_heading = "Site size")]
    group_members: Option<usize>,
    /// Number of subscriptions [default: 50].
    #[arg(long, help_heading = "Site size")]
    subscriptions: Option<usize>,
    /// Number of custom views [default: 40].
    #[arg(long, help_heading = "Site size")]
    custom_views: Option<usize>,
    /// Average favorites per user [default: 2].
    #[arg(long, help_heading = "Site size")]
    favorites_per_user: Option<usize>,
    /// Number of extract refresh tasks [default: 30].
    #[arg(long, help_heading = "Site size")]
    tasks: Option<usize>,
    /// Number of virtual connections [default: 5].
    #[arg(long, help_heading = "Site size")]
    virtual_connections: Option<usize>,

    /// Revisions per workbook and data source: 1 to N, some deleted [default: 10].
    #[arg(long, value_name = "N", help_heading = "Site size")]
    max_revisions: Option<usize>,
    /// Number of data-driven alerts [default: 20].
    #[arg(long, help_heading = "Site size")]
    data_alerts: Option<usize>,
    /// Number of webhooks [default: 4].
    #[arg(long, help_heading = "Site size")]
    webhooks: Option<usize>,
    /// Number of flow run tasks [default: 8].
    #[arg(long, help_heading = "Site size")]
    flow_tasks: Option<usize>,
    /// Data quality warnings, at most one per data source (every third) and flow (every
    /// fourth) [default: 12].
    #[arg(long, help_heading = "Site size")]
    quality_warnings: Option<usize>,
    /// Default-permission types the site does not serve, comma-separated; they answer
    /// 404003 [default: lenses,metrics].
    #[arg(long, value_delimiter = ',', value_name = "TYPES")]
    unserved_default_permissions: Option<Vec<String>>,

    /// Cut every generated name to at most N characters (a cut name ends in "~<n>", so
    /// names stay unique) [default: no limit].
    #[arg(long, value_name = "N", help_heading = "Site size")]
    max_name_chars: Option<usize>,

    // ---- content sizes ----
    /// Smallest content file, e.g. 512, 4KiB; sizes are log-uniform between min and max
    /// [default: 512].
    #[arg(long, value_parser = parse_size, help_heading = "Content sizes")]
    size_min: Option<u64>,
    /// Largest content file, e.g. 1MiB, 50MB (K/M/G are powers of 1024) [default: 1MiB].
    #[arg(long, value_parser = parse_size, help_heading = "Content sizes")]
    size_max: Option<u64>,
    /// The first N workbooks and the first N data sources get --big-size bytes [default: 0].
    #[arg(long, help_heading = "Content sizes")]
    big_items: Option<usize>,
    /// Size of the big items, e.g. 2GiB (streamed, never held in memory) [default: 2GiB].
    #[arg(long, value_parser = parse_size, help_heading = "Content sizes")]
    big_size: Option<u64>,

    // ---- faults ----
    /// Add this latency (ms) before answering every API request.
    #[arg(long, help_heading = "Faults")]
    latency_ms: Option<u64>,
    /// Answer every Nth API request with 429 (HTML body).
    #[arg(long, help_heading = "Faults")]
    rate_limit_every: Option<u64>,
    /// Answer the next K API requests with 429.
    #[arg(long, help_heading = "Faults")]
    rate_limit_burst: Option<u64>,
    /// Send `Retry-After: SECS` with every 429.
    #[arg(long, help_heading = "Faults")]
    retry_after: Option<u64>,
    /// Answer content downloads beyond N at a time with 429 (N defaults to 20, like Cloud).
    #[arg(long, num_args = 0..=1, default_missing_value = "20", help_heading = "Faults")]
    max_concurrent_downloads: Option<usize>,
    /// Answer the next K API requests with --server-error-status.
    #[arg(long, help_heading = "Faults")]
    server_error_burst: Option<u64>,
    /// Answer every Nth API request with --server-error-status.
    #[arg(long, help_heading = "Faults")]
    server_error_every: Option<u64>,
    /// Status of injected server errors: 500, 502 or 503 (default 503).
    #[arg(long, help_heading = "Faults")]
    server_error_status: Option<u16>,
    /// Apply 429/5xx faults only to endpoints whose name contains one of these
    /// (comma-separated, e.g. "content,GET users").
    #[arg(long, value_delimiter = ',', help_heading = "Faults")]
    fault_endpoints: Vec<String>,
    /// Expire a session (401002) after N authenticated calls.
    #[arg(long, help_heading = "Faults")]
    session_expire_calls: Option<u64>,
    /// Expire a session (401002) T seconds after sign-in.
    #[arg(long, help_heading = "Faults")]
    session_ttl_secs: Option<f64>,
    /// Close the connection after K bytes of a content download (once per item).
    #[arg(long, value_parser = parse_size, help_heading = "Faults")]
    drop_after_bytes: Option<u64>,
    /// With --drop-after-bytes: drop on every download, not once per item.
    #[arg(long, help_heading = "Faults")]
    drop_always: bool,
    /// Throttle download bodies to this many bytes per second (e.g. 100KiB).
    #[arg(long, value_parser = parse_size, help_heading = "Faults")]
    slow_body: Option<u64>,
    /// Content ids that are listed but 404 on download (comma-separated).
    #[arg(long, value_delimiter = ',', help_heading = "Faults")]
    missing_ids: Vec<String>,
    /// This many more listed-but-404 items, spread over the workbooks.
    #[arg(long, help_heading = "Faults")]
    missing_count: Option<usize>,
    /// Add this to every totalAvailable (the page past the real end is then 400006).
    #[arg(long, help_heading = "Faults")]
    inflate_total: Option<u64>,
    /// Content ids whose downloads stall (comma-separated): headers and --stall-after-bytes
    /// body bytes, then nothing for --stall-secs, then the rest. Every download of them.
    #[arg(long, value_delimiter = ',', help_heading = "Faults")]
    stall_ids: Vec<String>,
    /// With --stall-ids: body bytes sent before the stall, e.g. 64KiB (a smaller item stalls
    /// before its last byte) [default: 0].
    #[arg(long, value_parser = parse_size, help_heading = "Faults")]
    stall_after_bytes: Option<u64>,
    /// With --stall-ids: length of the stall in seconds (required with --stall-ids).
    #[arg(long, help_heading = "Faults")]
    stall_secs: Option<f64>,
    /// Give successful responses to endpoints whose name contains one of these
    /// (comma-separated, e.g. "GET users,GET workbooks") a --bad-body instead of their
    /// JSON/XML. Content downloads are never affected.
    #[arg(long, value_delimiter = ',', help_heading = "Faults")]
    bad_body_endpoints: Vec<String>,
    /// With --bad-body-endpoints: truncated_json (the real body cut in half, XML for XML
    /// clients), html (a 200 HTML sign-in page), malformed (JSON/XML breaking off into
    /// garbage), huge (a valid opening, then --huge-body-bytes of padding, never closed)
    /// [default: truncated_json].
    #[arg(long, value_name = "KIND", help_heading = "Faults")]
    bad_body: Option<BadBody>,
    /// With --bad-body-endpoints: only the first N matching responses [default: all].
    #[arg(long, value_name = "N", help_heading = "Faults")]
    bad_body_times: Option<u64>,
    /// Padding of a --bad-body huge body, e.g. 1GiB (streamed) [default: 200MiB].
    #[arg(long, value_parser = parse_size, help_heading = "Faults")]
    huge_body_bytes: Option<u64>,
    /// Answer 400 to `fields=_all_` on endpoints whose name contains one of these
    /// (comma-separated; "" for every endpoint).
    #[arg(long, value_delimiter = ',', help_heading = "Faults")]
    reject_all_fields: Option<Vec<String>>,
    /// Paging drift: once page N of a list has been served, delete --drift-delete items of
    /// its first page.
    #[arg(long, value_name = "N", help_heading = "Faults")]
    drift_after_page: Option<usize>,
    /// With --drift-after-page: how many items disappear [default: 1].
    #[arg(long, value_name = "K", help_heading = "Faults")]
    drift_delete: Option<usize>,
    /// With --drift-after-page: only lists whose endpoint name contains one of these
    /// (comma-separated, e.g. "GET workbooks") [default: every list].
    #[arg(long, value_delimiter = ',', help_heading = "Faults")]
    drift_endpoints: Vec<String>,
}

fn config(cli: &Cli) -> anyhow::Result<SimConfig> {
    let mut cfg = match &cli.config {
        Some(p) => SimConfig::from_toml_file(p)?,
        None if cli.sample => SimConfig::sample(),
        None => SimConfig::generated(cli.seed.unwrap_or(1)),
    };
    if cli.sample && !matches!(cfg.site, SiteSpec::Sample) {
        let keep = cfg.clone();
        cfg = SimConfig {
            site: SiteSpec::Sample,
            ..keep
        };
    }
    macro_rules! set {
        ($($field:ident => $target:expr),* $(,)?) => {
            $(if let Some(v) = cli.$field.clone() { $target = v; })*
        };
    }
    set!(port => cfg.port, site => cfg.site_content_url, pat_name => cfg.pat_name,
         pat_secret => cfg.pat_secret,
         unserved_default_permissions => cfg.unserved_default_permissions);
    if let SiteSpec::Generated(g) = &mut cfg.site {
        set!(seed => g.seed, projects => g.projects, workbooks => g.workbooks,
             datasources => g.datasources, flows => g.flows, users => g.users,
             groups => g.groups, group_members => g.group_members,
             subscriptions => g.subscriptions, custom_views => g.custom_views,
             favorites_per_user => g.favorites_per_user, tasks => g.extract_refresh_tasks,
             virtual_connections => g.virtual_connections, size_min => g.sizes.min,
             size_max => g.sizes.max, big_items => g.sizes.big_items,
             big_size => g.sizes.big_size, max_revisions => g.max_revisions,
             data_alerts => g.data_alerts, webhooks => g.webhooks,
             flow_tasks => g.flow_run_tasks, quality_warnings => g.data_quality_warnings);
        if cli.max_name_chars.is_some() {
            g.max_name_chars = cli.max_name_chars;
        }
    } else if cli.workbooks.is_some() || cli.users.is_some() || cli.size_max.is_some() {
        anyhow::bail!("site size flags do not apply to --sample");
    }
    let f = &mut cfg.faults;
    set!(latency_ms => f.latency_ms, rate_limit_burst => f.rate_limit_burst,
         server_error_burst => f.server_error_burst,
         server_error_status => f.server_error_status,
         missing_count => f.missing_content_count, inflate_total => f.inflate_total_available,
         stall_after_bytes => f.stall_after_bytes, stall_secs => f.stall_secs,
         bad_body => f.bad_body, huge_body_bytes => f.huge_body_bytes,
         reject_all_fields => f.reject_all_fields_endpoints, drift_delete => f.drift_delete);
    macro_rules! set_opt {
        ($($field:ident => $target:expr),* $(,)?) => {
            $(if cli.$field.is_some() { $target = cli.$field; })*
        };
    }
    set_opt!(rate_limit_every => f.rate_limit_every, retry_after => f.retry_after_secs,
             max_concurrent_downloads => f.max_concurrent_downloads,
             server_error_every => f.server_error_every,
             session_expire_calls => f.session_expire_after_calls,
             session_ttl_secs => f.session_ttl_secs, drop_after_bytes => f.drop_after_bytes,
             slow_body => f.slow_body_bytes_per_sec, bad_body_times => f.bad_body_times,
             drift_after_page => f.drift_after_page);
    if cli.drop_always {
        f.drop_mode = DropMode::Always;
    }
    if !cli.fault_endpoints.is_empty() {
        f.only_endpoints = cli.fault_endpoints.clone();
    }
    if !cli.missing_ids.is_empty() {
        f.missing_content_ids = cli.missing_ids.clone();
    }
    if !cli.stall_ids.is_empty() {
        f.stall_content_ids = cli.stall_ids.clone();
    }
    if !cli.bad_body_endpoints.is_empty() {
        f.bad_body_endpoints = cli.bad_body_endpoints.clone();
    }
    if !cli.drift_endpoints.is_empty() {
        f.drift_endpoints = cli.drift_endpoints.clone();
    }
    if (cli.drift_delete.is_some() || !cli.drift_endpoints.is_empty()) && f.drift_after_page.is_none() {
        anyhow::bail!("--drift-delete and --drift-endpoints need --drift-after-page");
    }
    let stalls = f.stall_secs > 0.0;
    if !f.stall_content_ids.is_empty() && !stalls {
        anyhow::bail!("--stall-ids needs --stall-secs (more than 0)");
    }
    if (cli.bad_body.is_some() || cli.bad_body_times.is_some()) && f.bad_body_endpoints.is_empty() {
        anyhow::bail!("--bad-body and --bad-body-times need --bad-body-endpoints");
    }
    Ok(cfg)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let cfg = config(&cli)?;
    let (site, pat) = (cfg.site_content_url.clone(), cfg.pat_name.clone());
    let sim = tableau_sim::Sim::start(cfg).await?;
    // One line on stdout (scripts read it); details on stderr. A closed pipe is not fatal.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "listening on {}", sim.base_url()).and_then(|_| out.flush());
    eprintln!(
        "site content URL {site:?}, PAT name {pat:?}; admin endpoint {}/_sim",
        sim.base_url()
    );
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(())
}
