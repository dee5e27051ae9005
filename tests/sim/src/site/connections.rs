//! Connections of workbooks, data sources and flows: type, server, port, user name,
//! whether a password is embedded, OAuth or not. Tableau never returns passwords, and
//! neither does the simulator: none exists anywhere in it.

use serde::Serialize;

use super::generator::{content_code, K_CONNECTION};
use super::model::{ContentItem, ContentKind, ListKind};
use super::names::file_based;
use super::Site;
use crate::util::{h, luid};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connection {
    pub id: String,
    /// `type`: postgres, sqlserver, snowflake, bigquery, excel-direct, sqlproxy...
    pub kind: String,
    pub server_address: String,
    pub server_port: String,
    pub user_name: String,
    pub embed_password: bool,
    /// `authenticationType="oauth"` (the others say nothing).
    pub oauth: bool,
    /// Workbook connections to a published data source: its id and name.
    pub datasource: Option<(String, String)>,
}

/// `(type, server, port, OAuth)` of database connections.
const SERVERS: &[(&str, &str, &str, bool)] = &[
    ("postgres", "pg.prod.example.com", "5432", false),
    ("sqlserver", "sql01.corp.example.com", "1433", false),
    (
        "snowflake",
        "acme.eu-central-1.snowflakecomputing.com",
        "443",
        true,
    ),
    ("bigquery", "bigquery.googleapis.com", "443", true),
    ("mysql", "mysql.example.com", "3306", false),
    (
        "redshift",
        "dw.abc123.us-east-1.redshift.amazonaws.com",
        "5439",
        false,
    ),
];

/// Connections of an item (`index`: its base list index; published items have none).
pub(crate) fn connections(site: &Site, item: &ContentItem, index: Option<usize>) -> Vec<Connection> {
    let Some(i) = index else {
        return Vec::new();
    };
    let n = match item.kind {
        ContentKind::Datasource => 1 + usize::from(i % 5 == 4),
        ContentKind::Workbook => i % 3,
        ContentKind::Flow => 1 + i % 2,
    };
    let code = content_code(item.kind) as u64;
    (0..n)
        .map(|j| {
            let hv = h(site.seed, K_CONNECTION, (code << 40) | i as u64, j as u64);
            let id = luid(
                site.seed,
                K_CONNECTION,
                (code << 40) | ((i as u64) << 4) | j as u64,
            );
            connection(site, item, i, j, hv, id)
        })
        .collect()
}

fn connection(site: &Site, item: &ContentItem, i: usize, j: usize, hv: u64, id: String) -> Connection {
    let user = |u: &str| format!("{u}_{}", hv % 97);
    // A workbook's first connection points at a published data source, when there is one.
    let ds = site.base_count(ListKind::Datasources);
    if item.kind == ContentKind::Workbook && j == 0 && ds > 0 {
        let d = site.content(ContentKind::Datasource, (hv % ds as u64) as usize);
        return Connection {
            id,
            kind: "sqlproxy".into(),
            server_address: "localhost".into(),
            server_port: "8060".into(),
            user_name: String::new(),
            embed_password: false,
            oauth: false,
            datasource: Some((d.id, d.name)),
        };
    }
    let own_type = (item.kind == ContentKind::Datasource && j == 0).then_some(item.ds_type);
    if let Some(t) = own_type.filter(|t| file_based(t)) {
        return Connection {
            id,
            kind: t.to_string(),
            server_address: String::new(),
            server_port: String::new(),
            user_name: String::new(),
            embed_password: false,
            oauth: false,
            datasource: None,
        };
    }
    let pick = SERVERS
        .iter()
        .find(|s| Some(s.0) == own_type)
        .unwrap_or(&SERVERS[(i + j) % SERVERS.len()]);
    let (kind, server, port, oauth) = *pick;
    Connection {
        id,
        kind: kind.into(),
        server_address: server.into(),
        server_port: port.into(),
        user_name: if oauth {
            format!("svc{}@example.com", hv % 7)
        } else {
            user("tableau")
        },
        embed_password: (i + j).is_multiple_of(2),
        oauth,
        datasource: None,
    }
}
