//! Kinds read one object at a time: permissions, default permissions,
//! connections and data quality warnings. Each is one metadata file with one
//! entry per object, Tableau's answer kept as it came:
//! `{"type": "workbook", "id": .., "name": .., "<part>": <answer>}`.
//!
//! An object deleted since it was listed (404) is recorded as vanished; any
//! other error is a failure of that object only, the rest goes on.

use std::cell::RefCell;
use std::future::Future;

use futures::StreamExt;
use serde_json::{Map, Value};

use super::array::ArrayWriter;
use super::content::ContentKind;
use super::found::Found;
use super::metadata::{file, MetaError};
use super::Ctx;
use crate::host;
use crate::tableau::http::ApiError;
use crate::tableau::json::take_collection;
use crate::tableau::path_segment;
use tableau_backup_model::manifest;
use tableau_backup_model::Kind;

/// The content types a project has default permissions for, as Tableau names
/// them in `projects/{id}/default-permissions/{type}`.
pub const DEFAULT_PERMISSION_TYPES: [&str; 9] = [
    "workbooks",
    "datasources",
    "flows",
    "dataroles",
    "lenses",
    "metrics",
    "virtualConnections",
    "databases",
    "tables",
];

/// Tableau's code for an unknown resource in the URI: what a default-permission
/// type the site does not serve answers.
const UNKNOWN_RESOURCE: &str = "404003";

/// An object to read a part of.
#[derive(Debug, Clone)]
pub struct Target {
    /// `project`, `workbook`, `datasource`, `flow`, `virtualConnection`, `view`.
    pub kind: &'static str,
    /// Its URL segment (`workbooks`).
    pub segment: &'static str,
    pub id: String,
    pub name: String,
}

/// What the manifest learns besides the file.
#[derive(Default)]
pub struct Findings {
    pub vanished: Vec<manifest::Vanished>,
    pub failures: Vec<manifest::Failure>,
    pub notes: Vec<manifest::Note>,
}

impl Findings {
    pub(super) fn record(&mut self, list: Kind, target: &Target, part: &str, e: &ApiError) {
        if e.status() == Some(404) {
            host::warn(format!(
                "{} {} disappeared before its {part} could be read ({e}); recorded as vanished",
                target.kind, target.id
            ));
            self.vanished.push(manifest::Vanished {
                kind: target.kind.to_string(),
                id: target.id.clone(),
                name: target.name.clone(),
                part: part.to_string(),
                reason: e.to_string(),
            });
        } else {
            self.failures.push(manifest::Failure {
                kind: file(list),
                id: target.id.clone(),
                name: target.name.clone(),
                error: format!("{} {}: {e}", target.kind, part),
            });
        }
    }
}

fn entry(target: &Target, fields: Vec<(&str, Value)>) -> Value {
    let mut obj = Map::new();
    obj.insert("type".into(), Value::String(target.kind.to_string()));
    obj.insert("id".into(), Value::String(target.id.clone()));
    obj.insert("name".into(), Value::String(target.name.clone()));
    for (k, v) in fields {
        obj.insert(k.to_string(), v);
    }
    Value::Object(obj)
}

/// Reads `part` of every target (concurrently, in order) and writes one entry
/// per answer that is `Some`; returns how many entries were written.
pub(super) async fn each<F, Fut>(
    ctx: &Ctx<'_>,
    out: &mut ArrayWriter,
    list: Kind,
    part: &'static str,
    targets: Vec<Target>,
    findings: &mut Findings,
    fetch: F,
) -> Result<u64, MetaError>
where
    F: Fn(Target) -> Fut,
    Fut: Future<Output = (Target, Result<Option<Value>, ApiError>)>,
{
    let mut written = 0;
    let mut answers = futures::stream::iter(targets)
        .map(fetch)
        .buffered(ctx.concurrency);
    while let Some((target, answer)) = answers.next().await {
        match answer {
            Ok(Some(value)) => {
                out.push(&[entry(&target, vec![(part, value)])]).await?;
                written += 1;
            }
            Ok(None) => {}
            Err(e) => findings.record(list, &target, part, &e),
        }
    }
    Ok(written)
}

fn content_target(item: &super::content::ContentItem) -> Target {
    let (kind, segment) = match item.kind {
        ContentKind::Workbook => ("workbook", "workbooks"),
        ContentKind::Datasource => ("datasource", "datasources"),
        ContentKind::Flow => ("flow", "flows"),
    };
    Target {
        kind,
        segment,
        id: item.id.clone(),
        name: item.name.clone(),
    }
}

pub(super) async fn content_targets(
    ctx: &Ctx<'_>,
    found: &mut Found,
    kinds: &[ContentKind],
) -> Result<Vec<Target>, ApiError> {
    let mut targets = Vec::new();
    for &k in kinds {
        targets.extend(found.items(ctx, k).await?.iter().map(content_target));
    }
    Ok(targets.into_iter().filter(|t| !t.id.is_empty()).collect())
}

/// `GET {segment}/{id}/{tail}` as JSON.
async fn get(ctx: &Ctx<'_>, target: &Target, tail: &str) -> Result<Value, ApiError> {
    let endpoint = format!("GET {}/{{id}}/{tail}", target.segment);
    let path = format!("{}/{}/{tail}", target.segment, path_segment(&target.id));
    ctx.client.get_json(&endpoint, &path).await
}

fn permissions_of(mut body: Value) -> Value {
    match body.get_mut("permissions") {
        Some(p) => p.take(),
        None => body,
    }
}

/// Explicit rules of every project, workbook, data source, flow, virtual
/// connection, and of every view whose workbook's project is not locked.
pub async fn permissions(
    ctx: &Ctx<'_>,
    found: &mut Found,
    out: &mut ArrayWriter,
    findings: &mut Findings,
) -> Result<u64, MetaError> {
    let projects = found.projects(ctx).await?;
    let mut targets: Vec<Target> = projects
        .iter()
        .map(|p| Target {
            kind: "project",
            segment: "projects",
            id: p.id.clone(),
            name: p.name.clone(),
        })
        .collect();
    targets.extend(
        content_targets(
            ctx,
            found,
            &[ContentKind::Workbook, ContentKind::Datasource, ContentKind::Flow],
        )
        .await?,
    );
    targets.extend(found.virtual_connections(ctx).await?.into_iter().map(|v| Target {
        kind: "virtualConnection",
        segment: "virtualConnections",
        id: v.id,
        name: v.name,
    }));
    let locked: Vec<&str> = projects
        .iter()
        .filter(|p| !p.unlocked())
        .map(|p| p.id.as_str())
        .collect();
    let views = found.views(ctx).await?;
    let (open, in_locked): (Vec<_>, Vec<_>) = views
        .into_iter()
        .partition(|v| !locked.contains(&v.project_id.as_str()));
    if !in_locked.is_empty() {
        host::debug(format!(
            "{} views are in locked projects: their permissions are the project's",
            in_locked.len()
        ));
    }
    targets.extend(open.into_iter().map(|v| Target {
        kind: "view",
        segment: "views",
        id: v.id,
        name: v.name,
    }));
    targets.retain(|t| !t.id.is_empty());
    each(
        ctx,
        out,
        Kind::Permissions,
        "permissions",
        targets,
        findings,
        |t| async move {
            let r = get(ctx, &t, "permissions").await.map(|b| Some(permissions_of(b)));
            (t, r)
        },
    )
    .await
}

/// Every project's `contentPermissions` and its default rules for each type the
/// site serves; a type it does not serve (404003, "unknown resource") is noted
/// once and not asked again.
pub async fn default_permissions(
    ctx: &Ctx<'_>,
    found: &mut Found,
    out: &mut ArrayWriter,
    findings: &mut Findings,
) -> Result<u64, MetaError> {
    let projects = found.projects(ctx).await?;
    let unserved: RefCell<Vec<(&'static str, String)>> = RefCell::new(Vec::new());
    let mut written = 0;
    let mut answers = futures::stream::iter(projects.into_iter().filter(|p| !p.id.is_empty()))
        .map(|p| {
            let unserved = &unserved;
            async move {
                let target = Target {
                    kind: "project",
                    segment: "projects",
                    id: p.id.clone(),
                    name: p.name.clone(),
                };
                let mut defaults = Map::new();
                for t in DEFAULT_PERMISSION_TYPES {
                    if unserved.borrow().iter().any(|(u, _)| *u == t) {
                        continue;
                    }
                    match get(ctx, &target, &format!("default-permissions/{t}")).await {
                        Ok(body) => {
                            defaults.insert(t.to_string(), permissions_of(body));
                        }
                        Err(e) if e.code() == Some(UNKNOWN_RESOURCE) => {
                            let mut u = unserved.borrow_mut();
                            if !u.iter().any(|(x, _)| *x == t) {
                                u.push((t, format!("HTTP 404 ({UNKNOWN_RESOURCE}) for project {}", p.id)));
                            }
                        }
                        Err(e) => return (p, target, Err(e)),
                    }
                }
                (p, target, Ok(defaults))
            }
        })
        .buffered(ctx.concurrency);
    while let Some((project, target, answer)) = answers.next().await {
        match answer {
            Ok(defaults) => {
                let fields = vec![
                    (
                        "contentPermissions",
                        Value::String(project.content_permissions.clone()),
                    ),
                    ("defaultPermissions", Value::Object(defaults)),
                ];
                out.push(&[entry(&target, fields)]).await?;
                written += 1;
            }
            Err(e) => findings.record(Kind::DefaultPermissions, &target, "default permissions", &e),
        }
    }
    drop(answers);
    for (t, why) in unserved.into_inner() {
        findings.notes.push(manifest::Note {
            kind: file(Kind::DefaultPermissions),
            message: format!("default permissions for {t}: not served by this site ({why}); none to back up"),
        });
    }
    Ok(written)
}

/// Connections of every workbook, data source and flow (Tableau never returns
/// passwords; `embedPassword` says whether one is stored).
pub async fn connections(
    ctx: &Ctx<'_>,
    found: &mut Found,
    out: &mut ArrayWriter,
    findings: &mut Findings,
) -> Result<u64, MetaError> {
    let targets = content_targets(
        ctx,
        found,
        &[ContentKind::Workbook, ContentKind::Datasource, ContentKind::Flow],
    )
    .await?;
    each(
        ctx,
        out,
        Kind::Connections,
        "connections",
        targets,
        findings,
        |t| async move {
            let r = get(ctx, &t, "connections")
                .await
                .map(|mut b| Some(Value::Array(take_collection(&mut b, "connections", "connection"))));
            (t, r)
        },
    )
    .await
}

/// Data quality warnings (and so certifications' warnings) of every data source
/// and flow; objects without warnings get no entry. A site without Data
/// Management answers 403: noted once, then not asked again.
pub async fn quality_warnings(
    ctx: &Ctx<'_>,
    found: &mut Found,
    out: &mut ArrayWriter,
    findings: &mut Findings,
) -> Result<u64, MetaError> {
    let targets = content_targets(ctx, found, &[ContentKind::Datasource, ContentKind::Flow]).await?;
    let refused: RefCell<Option<String>> = RefCell::new(None);
    let written = each(
        ctx,
        out,
        Kind::DataQualityWarnings,
        "dataQualityWarnings",
        targets,
        findings,
        |t| {
            let refused = &refused;
            async move {
                if refused.borrow().is_some() {
                    return (t, Ok(None));
                }
                let endpoint = "GET dataQualityWarnings/{type}/{id}";
                let path = format!("dataQualityWarnings/{}/{}", t.kind, path_segment(&t.id));
                let r = match ctx.client.get_json(endpoint, &path).await {
                    Ok(mut body) => {
                        let list = take_collection(&mut body, "dataQualityWarningList", "dataQualityWarning");
                        Ok((!list.is_empty()).then_some(Value::Array(list)))
                    }
                    Err(e) if e.status() == Some(403) => {
                        refused.borrow_mut().get_or_insert_with(|| e.to_string());
                        Ok(None)
                    }
                    Err(e) => Err(e),
                };
                (t, r)
            }
        },
    )
    .await?;
    if let Some(why) = refused.into_inner() {
        findings.notes.push(manifest::Note {
            kind: file(Kind::DataQualityWarnings),
            message: format!("data quality warnings are not available on this site ({why}); none backed up"),
        });
    }
    Ok(written)
}
