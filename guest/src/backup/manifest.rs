//! `manifest.json`: the record of a run that other tools parse. Written last, and
//! deterministic (sorted) so two runs of the same site compare cleanly.

use serde::Serialize;

pub const MANIFEST_KEY: &str = "manifest.json";
pub const FORMAT: &str = "tableau-backup-manifest";
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub format: &'static str,
    pub format_version: u32,
    pub tool_version: String,
    pub run: String,
    pub server: String,
    pub api_version: String,
    pub site: Site,
    pub started_at: String,
    pub finished_at: String,
    pub status: &'static str,
    pub items: Vec<Item>,
    pub metadata: Vec<Metadata>,
    pub failures: Vec<Failure>,
    pub totals: Totals,
}

#[derive(Debug, Serialize)]
pub struct Site {
    pub id: String,
    pub content_url: String,
    /// `null` when the site details were not fetched.
    pub name: Option<String>,
}

/// A stored content file.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    /// `workbook`, `datasource` or `flow`.
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    pub project_id: String,
    pub updated_at: String,
    pub key: String,
    pub size: u64,
    pub sha256: String,
    pub content_type: String,
    /// The file name the server sent, `null` without a Content-Disposition.
    pub filename: Option<String>,
}

/// A stored metadata file.
#[derive(Debug, Clone, Serialize)]
pub struct Metadata {
    /// The file name without extension (`users`, `custom_views`).
    pub kind: &'static str,
    pub key: String,
    pub count: u64,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub kind: String,
    pub id: String,
    pub name: String,
    pub error: String,
}

#[derive(Debug, Serialize)]
pub struct Totals {
    pub items: u64,
    pub metadata_files: u64,
    /// Content and metadata bytes (the manifest cannot count itself).
    pub bytes: u64,
    pub failures: u64,
}

impl Manifest {
    /// Sorts the lists, fills in totals and status.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        tool_version: String,
        run: String,
        server: String,
        api_version: String,
        site: Site,
        started_at: String,
        finished_at: String,
        mut items: Vec<Item>,
        mut metadata: Vec<Metadata>,
        mut failures: Vec<Failure>,
    ) -> Manifest {
        items.sort_by(|a, b| (a.kind, &a.key).cmp(&(b.kind, &b.key)));
        metadata.sort_by(|a, b| a.key.cmp(&b.key));
        failures.sort_by(|a, b| (&a.kind, &a.id, &a.name).cmp(&(&b.kind, &b.id, &b.name)));
        let bytes = items.iter().map(|i| i.size).sum::<u64>() + metadata.iter().map(|m| m.size).sum::<u64>();
        let totals = Totals {
            items: items.len() as u64,
            metadata_files: metadata.len() as u64,
            bytes,
            failures: failures.len() as u64,
        };
        Manifest {
            format: FORMAT,
            format_version: FORMAT_VERSION,
            tool_version,
            run,
            server,
            api_version,
            site,
            started_at,
            finished_at,
            status: if failures.is_empty() {
                "complete"
            } else {
                "partial"
            },
            items,
            metadata,
            failures,
            totals,
        }
    }

    pub fn is_complete(&self) -> bool {
        self.failures.is_empty()
    }

    pub fn to_json(&self) -> Vec<u8> {
        // Serializing these plain structs cannot fail.
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// `2026-11-28T05:12:00Z` for seconds since the Unix epoch.
pub fn rfc3339(unix_secs: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(unix_secs as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("a whole-second UTC time formats as RFC 3339")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_842_720), "2026-11-28T05:12:00Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
    }

    fn item(kind: &'static str, key: &str) -> Item {
        Item {
            kind,
            id: "i".into(),
            name: "n".into(),
            project_id: String::new(),
            updated_at: String::new(),
            key: key.into(),
            size: 10,
            sha256: "00".into(),
            content_type: "application/octet-stream".into(),
            filename: None,
        }
    }

    #[test]
    fn manifest_is_sorted_and_totalled() {
        let m = Manifest::new(
            "0.1.0".into(),
            "run".into(),
            "https://x".into(),
            "3.24".into(),
            Site {
                id: "s".into(),
                content_url: "demo".into(),
                name: None,
            },
            rfc3339(0),
            rfc3339(1),
            vec![
                item("workbook", "workbooks/b"),
                item("datasource", "d/a"),
                item("workbook", "workbooks/a"),
            ],
            vec![Metadata {
                kind: "users",
                key: "metadata_tableau/users.json".into(),
                count: 2,
                size: 5,
                sha256: "ff".into(),
            }],
            vec![],
        );
        let keys: Vec<_> = m.items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["d/a", "workbooks/a", "workbooks/b"]);
        assert_eq!(m.totals.bytes, 35);
        assert_eq!(m.status, "complete");
        let v: serde_json::Value = serde_json::from_slice(&m.to_json()).unwrap();
        assert_eq!(v["format"], "tableau-backup-manifest");
        assert_eq!(v["format_version"], 1);
        assert_eq!(v["items"][0]["filename"], serde_json::Value::Null);
        assert_eq!(v["site"]["content_url"], "demo");
        assert_eq!(v["totals"]["metadata_files"], 1);
    }
}
