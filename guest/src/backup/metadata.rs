//! Metadata files: `metadata_tableau/<name>.json`, each a JSON array of the objects
//! exactly as Tableau returned them, streamed into the store page by page.

use std::fmt;

use futures::{StreamExt, TryStreamExt};
use serde_json::{json, Value};

use super::array::ArrayWriter;
use super::content::{ContentItem, ContentKind};
use super::definitions;
use super::found::{CustomViewRef, Found, ProjectRef, Ref, ViewRef};
use super::per_object::{self, Findings};
use super::revisions;
use super::Ctx;
use crate::host::{self, StoreErr};
use crate::tableau::http::{ApiError, ApiErrorKind};
use crate::tableau::json::{lenient_string, string_at};
use crate::tableau::pager::Pager;
use crate::tableau::path_segment;
use tableau_backup_model::manifest;
use tableau_backup_model::Kind;

/// The metadata file of a kind, without extension; also the manifest's `kind`:
/// the kind's name with `_` for `-` (`custom_views`).
pub fn file(kind: Kind) -> String {
    kind.name().replace('-', "_")
}

/// `metadata_tableau/<file>.json`.
pub fn key(kind: Kind) -> String {
    format!("metadata_tableau/{}.json", file(kind))
}

/// Why a metadata file could not be written.
#[derive(Debug)]
pub enum MetaError {
    Api(ApiError),
    Store(StoreErr),
}

impl From<ApiError> for MetaError {
    fn from(e: ApiError) -> Self {
        MetaError::Api(e)
    }
}

impl From<StoreErr> for MetaError {
    fn from(e: StoreErr) -> Self {
        MetaError::Store(e)
    }
}

impl fmt::Display for MetaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MetaError::Api(e) => e.fmt(f),
            MetaError::Store(e) => e.fmt(f),
        }
    }
}

/// One stored metadata file and what the manifest says about it besides.
pub struct Listed {
    pub entry: manifest::Metadata,
    /// Definition files (custom view definitions).
    pub definitions: Vec<manifest::Definition>,
    /// Objects listed (for favorites the favorites, not the per-user entries).
    pub count: u64,
    pub notes: Vec<manifest::Note>,
    /// Objects listed whose members, detail or favorites were gone when read.
    pub vanished: Vec<manifest::Vanished>,
    /// Lists (or a group's members) that may still miss items after their re-reads;
    /// the file keeps everything that was read, the run becomes partial.
    pub failures: Vec<manifest::Failure>,
}

/// The manifest's note for a list whose `fields=_all_` was refused.
fn refused_note(list: Kind, what: &str, why: &str) -> manifest::Note {
    manifest::Note {
        kind: file(list),
        message: format!(
            "{what}: the server refused fields=_all_ ({why}); listed with Tableau's default fields"
        ),
    }
}

/// Lists one kind and stores its metadata file. Every list with Tableau's `fields`
/// parameter is asked for `_all_`. On error the partial upload is aborted (dropped),
/// so a failed list never becomes an empty or truncated file.
pub async fn back_up(ctx: &Ctx<'_>, list: Kind, found: &mut Found) -> Result<Listed, MetaError> {
    let key = key(list);
    let mut favorites_total = None;
    let mut per_object_count = None;
    let mut definitions_stored = Vec::new();
    let mut notes = Vec::new();
    let mut vanished = Vec::new();
    let mut failures = Vec::new();
    let mut out = ArrayWriter::create(&key).await?;
    let client = ctx.client;
    let pager = |endpoint: &str, path: &str, wrap: (&'static str, &'static str)| {
        Pager::new(client, endpoint, path, wrap, ctx.page_size)
    };
    // The pager of a list with `fields`, noting a refusal of `_all_` when done.
    let fields_pager = |endpoint: &str, path: &str, wrap: (&'static str, &'static str)| {
        pager(endpoint, path, wrap).all_fields(true)
    };
    let note_refusal = |notes: &mut Vec<manifest::Note>, p: &Pager<'_>| {
        if let Some(why) = p.refused() {
            notes.push(refused_note(list, p.endpoint(), why));
        }
    };
    let short = |failures: &mut Vec<manifest::Failure>, p: &Pager<'_>| {
        if let Some(why) = p.shortfall() {
            failures.push(short_failure(list, None, p.endpoint(), why));
        }
    };
    match list {
        Kind::Site => {
            let mut body = client.get_json("GET sites/{site}", "").await?;
            let site = body
                .get_mut("site")
                .map(Value::take)
                .filter(Value::is_object)
                .ok_or_else(|| {
                    ApiError::new(
                        "GET sites/{site}",
                        ApiErrorKind::Protocol("no site object in the response".into()),
                    )
                })?;
            found.site_name = site.get("name").and_then(lenient_string);
            out.push(&[site]).await?;
        }
        Kind::Users => {
            let mut users = Vec::new();
            let mut p = fields_pager("GET users", "users", ("users", "user")).sorted("name:asc");
            while let Some(page) = p.next_page().await? {
                users.extend(page.iter().map(Ref::from_json));
                out.push(&page).await?;
            }
            note_refusal(&mut notes, &p);
            short(&mut failures, &p);
            found.users = Some(users);
        }
        Kind::Groups => {
            // Members are streamed page by page into the group's object, so even
            // "All Users" of a huge site never sits in guest memory whole. The
            // first page of several groups is fetched concurrently.
            let mut p = fields_pager("GET groups", "groups", ("groups", "group")).sorted("name:asc");
            while let Some(page) = p.next_page().await? {
                let mut groups = futures::stream::iter(page)
                    .map(|group| first_members(ctx, group))
                    .buffered(ctx.concurrency);
                while let Some(started) = groups.next().await {
                    let started = started?;
                    // The members of all groups are one list: refused once, noted once.
                    if let Some(rest) = started.rest.as_ref() {
                        if rest.refused().is_some() && ctx.members_all_fields.replace(false) {
                            note_refusal(&mut notes, rest);
                        }
                    }
                    vanished.extend(started.vanished.clone());
                    let group = started.group.clone();
                    if let Some(why) = write_group(&mut out, started).await? {
                        let endpoint = "GET groups/{id}/users";
                        failures.push(short_failure(list, Some(&group), endpoint, &why));
                    }
                }
            }
            note_refusal(&mut notes, &p);
            short(&mut failures, &p);
        }
        Kind::Favorites => {
            let users = found.users(ctx).await?;
            let mut entries = futures::stream::iter(users.iter())
                .map(|user| favorites_of(ctx, user))
                .buffered(ctx.concurrency);
            let mut total = 0;
            while let Some(entry) = entries.next().await {
                if let Some((entry, gone)) = entry? {
                    total += entry["favorites"].as_array().map_or(0, Vec::len) as u64;
                    vanished.extend(gone);
                    out.push(&[entry]).await?;
                }
            }
            favorites_total = Some(total);
        }
        Kind::VirtualConnections => {
            let mut p = pager(
                "GET virtualConnections",
                "virtualConnections",
                ("virtualConnections", "virtualConnection"),
            );
            let mut refs = Vec::new();
            while let Some(page) = p.next_page().await? {
                refs.extend(page.iter().map(Ref::from_json));
                let vcs: Vec<(Value, Option<manifest::Vanished>)> = futures::stream::iter(page)
                    .map(|vc| with_detail(ctx, vc))
                    .buffered(ctx.concurrency)
                    .try_collect()
                    .await?;
                let (vcs, gone): (Vec<_>, Vec<_>) = vcs.into_iter().unzip();
                vanished.extend(gone.into_iter().flatten());
                out.push(&vcs).await?;
            }
            found.virtual_connections = Some(refs);
        }
        Kind::ExtractRefreshTasks => {
            // Not paginated: everything in one response, no paging parameters.
            let mut p = pager(
                "GET tasks/extractRefreshes",
                "tasks/extractRefreshes",
                ("tasks", "task"),
            )
            .unpaged();
            while let Some(page) = p.next_page().await? {
                out.push(&page).await?;
            }
        }
        Kind::Workbooks | Kind::Datasources | Kind::Flows => {
            let kind = match list {
                Kind::Workbooks => ContentKind::Workbook,
                Kind::Datasources => ContentKind::Datasource,
                _ => ContentKind::Flow,
            };
            let (outer, inner) = kind.wrapper();
            let mut p = fields_pager(&format!("GET {outer}"), outer, (outer, inner)).sorted("createdAt:asc");
            found.content_listed.push(kind);
            while let Some(page) = p.next_page().await? {
                found
                    .content
                    .extend(page.iter().map(|v| ContentItem::from_json(kind, v)));
                out.push(&page).await?;
            }
            note_refusal(&mut notes, &p);
            short(&mut failures, &p);
        }
        Kind::Projects | Kind::Subscriptions | Kind::CustomViews => {
            let (path, wrap) = match list {
                Kind::Projects => ("projects", ("projects", "project")),
                Kind::Subscriptions => ("subscriptions", ("subscriptions", "subscription")),
                _ => ("customviews", ("customViews", "customView")),
            };
            // Only projects take `fields` and a sort.
            let mut p = pager(&format!("GET {path}"), path, wrap).all_fields(list == Kind::Projects);
            if list == Kind::Projects {
                p = p.sorted("createdAt:asc");
            }
            let (mut projects, mut custom_views) = (Vec::new(), Vec::new());
            while let Some(page) = p.next_page().await? {
                match list {
                    Kind::Projects => projects.extend(page.iter().map(ProjectRef::from_json)),
                    Kind::CustomViews => custom_views.extend(page.iter().map(CustomViewRef::from_json)),
                    _ => {}
                }
                out.push(&page).await?;
            }
            match list {
                Kind::Projects => found.projects = Some(projects),
                Kind::CustomViews => found.custom_views = Some(custom_views),
                _ => {}
            }
            note_refusal(&mut notes, &p);
            short(&mut failures, &p);
        }
        Kind::Views => {
            let mut views = Vec::new();
            let mut p = fields_pager("GET views", "views", ("views", "view")).sorted("createdAt:asc");
            while let Some(page) = p.next_page().await? {
                views.extend(page.iter().map(ViewRef::from_json));
                out.push(&page).await?;
            }
            found.views = Some(views);
            note_refusal(&mut notes, &p);
            short(&mut failures, &p);
        }
        Kind::DataAlerts => {
            // The list leaves out the recipients; each alert's detail has them.
            let mut p = pager("GET dataAlerts", "dataAlerts", ("dataAlerts", "dataAlert"));
            while let Some(page) = p.next_page().await? {
                let alerts: Vec<(Value, Option<manifest::Vanished>)> = futures::stream::iter(page)
                    .map(|alert| alert_detail(ctx, alert))
                    .buffered(ctx.concurrency)
                    .try_collect()
                    .await?;
                let (alerts, gone): (Vec<_>, Vec<_>) = alerts.into_iter().unzip();
                vanished.extend(gone.into_iter().flatten());
                out.push(&alerts).await?;
            }
            short(&mut failures, &p);
        }
        Kind::Webhooks | Kind::FlowRunTasks => {
            // Not paginated: everything in one response.
            let (endpoint, path, wrap) = match list {
                Kind::Webhooks => ("GET webhooks", "webhooks", ("webhooks", "webhook")),
                _ => ("GET tasks/runFlow", "tasks/runFlow", ("tasks", "task")),
            };
            let mut p = pager(endpoint, path, wrap).unpaged();
            while let Some(page) = p.next_page().await? {
                out.push(&page).await?;
            }
        }
        Kind::Permissions | Kind::DefaultPermissions | Kind::Connections | Kind::DataQualityWarnings => {
            let mut findings = Findings::default();
            let written = match list {
                Kind::Permissions => per_object::permissions(ctx, found, &mut out, &mut findings).await?,
                Kind::DefaultPermissions => {
                    per_object::default_permissions(ctx, found, &mut out, &mut findings).await?
                }
                Kind::Connections => per_object::connections(ctx, found, &mut out, &mut findings).await?,
                _ => per_object::quality_warnings(ctx, found, &mut out, &mut findings).await?,
            };
            per_object_count = Some(written);
            vanished.extend(findings.vanished);
            failures.extend(findings.failures);
            notes.extend(findings.notes);
        }
        Kind::CustomViewDefinitions => {
            let stored = definitions::back_up(ctx, found).await?;
            // The file is the index of the definition files.
            let index: Vec<Value> = stored
                .definitions
                .iter()
                .map(|d| {
                    json!({"id": d.id, "name": d.name, "viewId": d.view_id,
                           "workbookId": d.workbook_id, "key": d.key})
                })
                .collect();
            out.push(&index).await?;
            vanished.extend(stored.vanished);
            failures.extend(stored.failures);
            definitions_stored = stored.definitions;
        }
        Kind::Revisions => {
            let mut findings = Findings::default();
            per_object_count = Some(revisions::list(ctx, found, &mut out, &mut findings).await?);
            vanished.extend(findings.vanished);
            failures.extend(findings.failures);
            notes.extend(findings.notes);
        }
    }
    let (info, count) = out.finish().await?;
    let entry = manifest::Metadata {
        kind: file(list),
        key,
        count,
        size: info.size,
        sha256: info.sha256,
    };
    Ok(Listed {
        entry,
        definitions: definitions_stored,
        count: favorites_total.or(per_object_count).unwrap_or(count),
        notes,
        vanished,
        failures,
    })
}

/// The failure of a list (or of one group's members) still short after its re-reads.
fn short_failure(list: Kind, object: Option<&Value>, endpoint: &str, why: &str) -> manifest::Failure {
    manifest::Failure {
        kind: file(list),
        id: object.map(|o| string_at(o, &["id"])).unwrap_or_default(),
        name: object.map(|o| string_at(o, &["name"])).unwrap_or_default(),
        error: format!("{endpoint}: {why}; the file holds every item that was read"),
    }
}

/// Whether a per-object call failed because the object vanished since it was listed.
fn vanished(e: &ApiError) -> bool {
    e.status() == Some(404)
}

/// The manifest's record of an object that vanished before its `part` was read.
///
/// The object itself stays in its metadata file as it was listed, without that
/// part (the key is absent, never an empty list), so the file still says what the
/// list returned and the manifest says what is missing from it. Not a failure:
/// nothing that still exists was left out.
fn gone(list: Kind, object: &Value, part: &str, e: &ApiError) -> manifest::Vanished {
    let id = string_at(object, &["id"]);
    host::warn(format!(
        "{} {id} disappeared before its {part} could be read ({e}); recorded as vanished",
        file(list)
    ));
    manifest::Vanished {
        kind: file(list),
        id,
        name: string_at(object, &["name"]),
        part: part.to_string(),
        reason: e.to_string(),
    }
}

/// A group whose members are being listed: the group, the first page of
/// members, and the pager for the rest.
struct GroupMembers<'a> {
    group: Value,
    first: Vec<Value>,
    rest: Option<Pager<'a>>,
    /// Set when the group was gone before its members were read: written without them.
    vanished: Option<manifest::Vanished>,
}

/// Start listing a group's members; a group deleted meanwhile comes back vanished.
async fn first_members<'a>(ctx: &Ctx<'a>, group: Value) -> Result<GroupMembers<'a>, ApiError> {
    let id = string_at(&group, &["id"]);
    if id.is_empty() {
        return Ok(GroupMembers {
            group,
            first: Vec::new(),
            rest: None,
            vanished: None,
        });
    }
    let mut pager = Pager::new(
        ctx.client,
        "GET groups/{id}/users",
        format!("groups/{}/users", path_segment(&id)),
        ("users", "user"),
        ctx.page_size,
    )
    .all_fields(ctx.members_all_fields.get());
    match pager.next_page().await {
        Ok(first) => Ok(GroupMembers {
            group,
            first: first.unwrap_or_default(),
            rest: Some(pager),
            vanished: None,
        }),
        Err(e) if vanished(&e) => Ok(GroupMembers {
            vanished: Some(gone(Kind::Groups, &group, "members", &e)),
            group,
            first: Vec::new(),
            rest: None,
        }),
        Err(e) => Err(e),
    }
}

/// Write `{...group..., "members": [..]}`, fetching the remaining member pages
/// as it goes; returns why the members may be incomplete, if they may.
async fn write_group(out: &mut ArrayWriter, g: GroupMembers<'_>) -> Result<Option<String>, MetaError> {
    let GroupMembers {
        mut group,
        first,
        rest,
        vanished,
    } = g;
    if let Some(obj) = group.as_object_mut() {
        obj.remove("members");
    }
    if vanished.is_some() {
        out.push(&[group]).await?;
        return Ok(None);
    }
    let encoded =
        serde_json::to_vec(&group).map_err(|e| StoreErr::Stream(format!("cannot encode a group: {e}")))?;
    let Some(prefix) = encoded.strip_suffix(b"}") else {
        // Not an object: keep it as Tableau sent it.
        out.begin_item().await?;
        out.raw(&encoded).await?;
        return Ok(None);
    };
    out.begin_item().await?;
    out.raw(prefix).await?;
    out.raw(if prefix.len() > 1 {
        b",\"members\":["
    } else {
        b"\"members\":["
    })
    .await?;
    let mut written = 0usize;
    let mut page = first;
    let mut rest = rest;
    loop {
        let mut buf = Vec::new();
        for member in &page {
            if written > 0 {
                buf.push(b',');
            }
            serde_json::to_writer(&mut buf, member)
                .map_err(|e| StoreErr::Stream(format!("cannot encode a group member: {e}")))?;
            written += 1;
        }
        out.raw(&buf).await?;
        page = match rest.as_mut() {
            Some(p) => match p.next_page().await? {
                Some(next) => next,
                None => break,
            },
            None => break,
        };
    }
    out.raw(b"]}").await?;
    Ok(rest.and_then(|p| p.shortfall().map(str::to_string)))
}

/// The virtual connection with its full definition attached as `"detail": {..}`;
/// one deleted meanwhile comes back as listed, with its vanished record.
async fn with_detail(ctx: &Ctx<'_>, mut vc: Value) -> Result<(Value, Option<manifest::Vanished>), ApiError> {
    let id = string_at(&vc, &["id"]);
    if id.is_empty() {
        return Ok((vc, None));
    }
    let endpoint = "GET virtualConnections/{id}";
    let path = format!("virtualConnections/{}", path_segment(&id));
    match ctx.client.get_json(endpoint, &path).await {
        Ok(mut body) => {
            let detail = match body.get_mut("virtualConnection") {
                Some(inner) if inner.is_object() => inner.take(),
                _ => body,
            };
            if let Some(obj) = vc.as_object_mut() {
                obj.insert("detail".to_string(), detail);
            }
            Ok((vc, None))
        }
        Err(e) if vanished(&e) => {
            let gone = gone(Kind::VirtualConnections, &vc, "detail", &e);
            Ok((vc, Some(gone)))
        }
        Err(e) => Err(e),
    }
}

/// The alert as its detail gives it (with `recipients`); one deleted meanwhile
/// comes back as listed, with its vanished record.
async fn alert_detail(ctx: &Ctx<'_>, alert: Value) -> Result<(Value, Option<manifest::Vanished>), ApiError> {
    let id = string_at(&alert, &["id"]);
    if id.is_empty() {
        return Ok((alert, None));
    }
    let path = format!("dataAlerts/{}", path_segment(&id));
    match ctx.client.get_json("GET dataAlerts/{id}", &path).await {
        Ok(mut body) => {
            let detail = crate::tableau::json::take_collection(&mut body, "dataAlerts", "dataAlert")
                .into_iter()
                .next()
                .filter(Value::is_object);
            Ok((detail.unwrap_or(alert), None))
        }
        Err(e) if vanished(&e) => {
            let gone = gone(Kind::DataAlerts, &alert, "recipients", &e);
            Ok((alert, Some(gone)))
        }
        Err(e) => Err(e),
    }
}

/// `{"user":{"id":..,"name":..},"favorites":[..]}`; a user deleted meanwhile gives
/// `{"user":..}` without favorites and a vanished record; `None` for a user without id.
async fn favorites_of(
    ctx: &Ctx<'_>,
    user: &Ref,
) -> Result<Option<(Value, Option<manifest::Vanished>)>, ApiError> {
    if user.id.is_empty() {
        return Ok(None);
    }
    let favorites = Pager::new(
        ctx.client,
        "GET favorites/{userId}",
        format!("favorites/{}", path_segment(&user.id)),
        ("favorites", "favorite"),
        ctx.page_size,
    )
    .collect_all()
    .await;
    match favorites {
        Ok(favorites) => Ok(Some((
            json!({
                "user": {"id": user.id, "name": user.name},
                "favorites": favorites,
            }),
            None,
        ))),
        Err(e) if vanished(&e) => {
            let entry = json!({"user": {"id": user.id, "name": user.name}});
            let gone = gone(Kind::Favorites, &entry["user"], "favorites", &e);
            Ok(Some((entry, Some(gone))))
        }
        Err(e) => Err(e),
    }
}
