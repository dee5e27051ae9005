//! Name pools for the generated site: realistic, and awkward for a backup tool on purpose
//! (unicode, emoji, slashes, dots, `..`, quotes, reserved Windows names, very long names).

/// Content (workbook / data source / flow) names. None ends in " (digits)", the suffix
/// used to keep names unique within a project.
pub const CONTENT: &[&str] = &[
    "Superstore",
    "Sales Dashboard",
    "Regional Sales / Q3",
    "Executive Summary",
    "Finance: FY2024 Budget",
    "Marketing Funnel",
    "Données clients",
    "売上レポート",
    "Продажи по регионам",
    "📊 KPI Overview 🚀",
    "..",
    "report.v2.final",
    "Customer Churn (draft)",
    "Quotes \"double\" & 'single'",
    "<Angle> & Ampersand",
    "back\\slash\\path",
    "Ünïcödé Straße",
    "مبيعات الربع",
    "Inventory.tde.backup",
    "CON",
    "trailing dot.",
    "Emoji 👨‍👩‍👧‍👦 Family",
    "Ops/Infra/Latency",
    "A/B Test Results",
    "100% Complete",
    "C:\\Temp\\export",
    "#hashtag ?query=1",
    "Name with  double  spaces",
    "World Indicators",
    "Superstore Datasource",
    "Prep: clean orders",
    "Ελληνικά δεδομένα",
    "데이터 분석",
    "Very long name — Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat end",
];

/// Project names (unique among siblings after suffixing).
pub const PROJECTS: &[&str] = &[
    "Finance",
    "Sales",
    "Marketing",
    "HR",
    "Archive",
    "Sandbox",
    "Data Sources",
    "Ops / Infra",
    "Données",
    "🚀 Launch",
    "..",
    "Q1.2024",
    "Executive",
    "External Partners",
    "Персонал",
    "開発",
    "Certified",
    "Team A/B",
];

/// Group names (group 0 is always "All Users").
pub const GROUPS: &[&str] = &[
    "Analysts",
    "Data Engineers",
    "Finance Team",
    "Sales – EMEA",
    "Ventes France",
    "管理者",
    "Viewers",
    "Creators 🎨",
    "Contractors",
    "Execs",
];

/// `(display, ascii)` first names.
pub const FIRST: &[(&str, &str)] = &[
    ("Alice", "alice"),
    ("Bob", "bob"),
    ("Chloé", "chloe"),
    ("Dmitri", "dmitri"),
    ("Émilie", "emilie"),
    ("Fatima", "fatima"),
    ("Giulia", "giulia"),
    ("Hiroshi", "hiroshi"),
    ("Ingrid", "ingrid"),
    ("José", "jose"),
    ("Kwame", "kwame"),
    ("Léa", "lea"),
    ("Mateo", "mateo"),
    ("Olga", "olga"),
    ("Priya", "priya"),
    ("Søren", "soren"),
    ("Zoë", "zoe"),
    ("太郎", "taro"),
    ("Ελένη", "eleni"),
    ("Øyvind", "oyvind"),
];

/// `(display, ascii)` last names.
pub const LAST: &[(&str, &str)] = &[
    ("Smith", "smith"),
    ("Müller", "mueller"),
    ("García", "garcia"),
    ("山田", "yamada"),
    ("O'Brien", "obrien"),
    ("Kowalski", "kowalski"),
    ("Nakamura", "nakamura"),
    ("Dubois", "dubois"),
    ("Ivanova", "ivanova"),
    ("Haddad", "haddad"),
    ("van der Berg", "vanderberg"),
    ("Nguyễn", "nguyen"),
    ("Ferreira", "ferreira"),
];

pub const TAGS: &[&str] = &[
    "Finance",
    "sales",
    "certified",
    "Q3 2024",
    "needs review",
    "émoji🚀",
    "pii",
];

pub const VIEWS: &[&str] = &[
    "Overview",
    "Sales Map",
    "Detail",
    "Trend",
    "KPIs",
    "Forecast",
    "Customers",
    "Products",
    "Shipping",
    "Profit / Loss",
    "Régions",
    "Sheet 12",
];

pub const SUBJECTS: &[&str] = &[
    "Daily sales",
    "Weekly KPI digest",
    "Monthly finance pack",
    "Résumé hebdomadaire",
    "Alert: churn ⚠️",
];

pub const VCONNS: &[&str] = &[
    "Snowflake Sales VC",
    "Postgres Finance",
    "Données RH",
    "Warehouse (prod)",
    "vconn",
];

pub const DS_TYPES: &[&str] = &[
    "sqlserver",
    "snowflake",
    "postgres",
    "excel-direct",
    "textscan",
    "hyper",
    "dataengine",
    "bigquery",
];

/// Data source types that carry a packaged file (so `.tdsx` even without extract).
pub fn file_based(ds_type: &str) -> bool {
    matches!(ds_type, "excel-direct" | "textscan" | "hyper" | "dataengine")
}

pub const SITE_ROLES: &[&str] = &[
    "Creator",
    "Explorer",
    "ExplorerCanPublish",
    "Viewer",
    "Viewer",
    "Explorer",
    "SiteAdministratorExplorer",
    "Unlicensed",
];

pub const WEEKDAYS: &[&str] = &[
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The `n`-th name built from a pool: pool entries first, then "entry (2)", "entry (3)"...
pub fn nth(pool: &[&str], offset: usize, n: usize) -> String {
    let base = pool[(n + offset) % pool.len()];
    let round = n / pool.len();
    if round == 0 {
        base.to_string()
    } else {
        format!("{base} ({})", round + 1)
    }
}

/// Shortest name limit honoured by [`fit`]: room for a few characters and the tag, and
/// the built-in names ("All Users", "default") always fit.
pub const MIN_NAME_CHARS: usize = 10;

/// `name` cut to at most `max` characters (`None`: unchanged). A name that has to be cut
/// keeps its first characters and ends in `~tag`; `tag` is unique where the name must
/// be, and no pool name contains `~`, so cut names stay unique and never equal an uncut
/// one. `max` below [`MIN_NAME_CHARS`] counts as [`MIN_NAME_CHARS`].
pub fn fit(name: String, max: Option<usize>, tag: usize) -> String {
    let Some(max) = max.map(|m| m.max(MIN_NAME_CHARS)) else {
        return name;
    };
    if name.chars().count() <= max {
        return name;
    }
    let tag = format!("~{tag}");
    let keep = max.saturating_sub(tag.len());
    let prefix: String = name.chars().take(keep).collect();
    format!("{}{tag}", prefix.trim_end())
}

/// `s` cut to at most `max` characters (for names that need not be unique).
pub fn cut(s: String, max: Option<usize>) -> String {
    match max.map(|m| m.max(MIN_NAME_CHARS)) {
        Some(m) if s.chars().count() > m => s.chars().take(m).collect::<String>().trim_end().to_string(),
        _ => s,
    }
}

/// An ASCII slug for `contentUrl`.
pub fn slug(name: &str) -> String {
    let s: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(60)
        .collect();
    if s.is_empty() {
        "content".to_string()
    } else {
        s
    }
}
