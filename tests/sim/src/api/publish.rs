//! Restore-side endpoints: single-request and chunked publish of workbooks, data sources and
//! flows, create project, upload sessions, publish jobs. Published files live in a temp dir.

use std::sync::Arc;

use super::multipart::ReqBody;
use bytes::Bytes;
use hyper::header::CONTENT_TYPE;
use hyper::{Request, StatusCode};
use rand::Rng;
use tokio::io::AsyncWriteExt;

use super::auth::SessionInfo;
use super::format::{Fmt, Node};
use super::lists::not_found;
use super::multipart::{self, Part};
use super::{error, ok, query, render, xmlreq, Resp, State};
use crate::site::generator::{content_code, K_MISC, K_PROJECT, K_VIEW};
use crate::site::model::*;
use crate::site::{file_payload, Job, Upload};
use crate::util::{iso, now_secs};

fn bad(fmt: Fmt, code: &str, detail: &str) -> Resp {
    error(fmt, 400, code, "Bad Request", detail)
}

fn too_big(fmt: Fmt, limit: u64) -> Resp {
    bad(
        fmt,
        "400011",
        &format!(
            "There was a problem publishing the file: a single request can carry at most {} MB; use a chunked upload (fileUploads).",
            limit >> 20
        ),
    )
}

/// Read and split a `multipart/mixed` request body.
pub(crate) async fn parts(state: &State, req: Request<ReqBody>, fmt: Fmt) -> Result<Vec<Part>, Resp> {
    let ctype = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let Some((boundary, true)) = multipart::boundary(&ctype) else {
        return Err(error(
            fmt,
            415,
            "415000",
            "Unsupported Media Type",
            "Publishing requires a multipart/mixed request body.",
        ));
    };
    let limit = state.cfg.max_single_publish;
    let body = multipart::read_body(req.into_body(), limit + (1 << 20))
        .await
        .map_err(|_| too_big(fmt, limit))?;
    multipart::parse(&body, &boundary).map_err(|e| bad(fmt, "400000", &e))
}

struct Meta {
    name: String,
    description: String,
    show_tabs: bool,
    project_id: Option<String>,
    /// Workbooks: `views.view[]` of the payload, `(name, hidden)`.
    views: Vec<(String, bool)>,
}

/// `"views":{"view":[{"name":..,"hidden":true}]}` (XML `<views><view name hidden/></views>`).
fn payload_views(kind: ContentKind, p: &Part) -> Vec<(String, bool)> {
    let Ok(v) = super::body::parse(&p.body, None) else {
        return Vec::new();
    };
    let views = v
        .get(kind.singular())
        .and_then(|w| w.get("views"))
        .and_then(|x| x.get("view"));
    super::body::list(views)
        .into_iter()
        .filter_map(|x| {
            let name = super::body::s(x, "name")?;
            Some((name, super::body::flag(x, "hidden").unwrap_or(false)))
        })
        .collect()
}

fn payload_meta(kind: ContentKind, p: &Part) -> Option<Meta> {
    let text = std::str::from_utf8(&p.body).ok()?;
    let json =
        p.content_type.as_deref().is_some_and(|c| c.contains("json")) || text.trim_start().starts_with('{');
    if json {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        let item = v.get(kind.singular())?;
        let s = |k: &str| item.get(k).and_then(|x| x.as_str()).map(str::to_string);
        Some(Meta {
            name: s("name")?,
            description: s("description").unwrap_or_default(),
            show_tabs: item.get("showTabs").is_some_and(|x| x == "true" || x == true),
            project_id: item
                .get("project")
                .and_then(|p| p.get("id"))
                .and_then(|x| x.as_str())
                .map(str::to_string),
            views: payload_views(kind, p),
        })
    } else {
        let a = xmlreq::find_attrs(text, kind.singular())?;
        let project = xmlreq::find_attrs(text, "project").unwrap_or_default();
        Some(Meta {
            name: xmlreq::attr(&a, "name")?.to_string(),
            description: xmlreq::attr(&a, "description").unwrap_or("").to_string(),
            show_tabs: xmlreq::attr(&a, "showTabs") == Some("true"),
            project_id: xmlreq::attr(&project, "id").map(str::to_string),
            views: payload_views(kind, p),
        })
    }
}

/// The file's extension: `{kind}Type=` query, else the part's filename, else its magic bytes.
fn extension(kind: ContentKind, q: Option<&str>, filename: Option<&str>, zip: bool) -> String {
    let from_query = query::param(q, &format!("{}Type", kind.singular()));
    let from_name = filename.and_then(|f| f.rsplit_once('.').map(|(_, e)| e.to_string()));
    from_query.or(from_name).unwrap_or_else(|| {
        let e = kind.publish_extensions();
        (if zip { e[0] } else { e[1] }).to_string()
    })
}

pub(crate) async fn publish(
    state: &Arc<State>,
    kind: ContentKind,
    req: Request<ReqBody>,
    fmt: Fmt,
    session: &SessionInfo,
) -> Resp {
    let q = req.uri().query().map(str::to_string);
    let q = q.as_deref();
    let parts = match parts(state, req, fmt).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(meta) = parts
        .iter()
        .find(|p| p.name == "request_payload")
        .and_then(|p| payload_meta(kind, p))
    else {
        return bad(
            fmt,
            "400000",
            &format!(
                "The request_payload part is missing or has no {} name.",
                kind.singular()
            ),
        );
    };
    // The file: from an upload session or from the `tableau_<kind>` part.
    let part_name = format!("tableau_{}", kind.singular());
    let (file, filename): (FileSrc, Option<String>) = match query::param(q, "uploadSessionId") {
        Some(uid) => match state.site.with_store(|s| s.uploads.remove(&uid)) {
            Some(u) => (FileSrc::Upload(u), None),
            None => return not_found(fmt, "uploadSession", &uid),
        },
        None => match parts.iter().find(|p| p.name == part_name) {
            Some(p) if p.body.len() as u64 > state.cfg.max_single_publish => {
                return too_big(fmt, state.cfg.max_single_publish)
            }
            Some(p) => (FileSrc::Bytes(p.body.clone()), p.filename.clone()),
            None => {
                return bad(
                    fmt,
                    "400011",
                    &format!(
                    "There was a problem publishing the file: no {part_name} part and no uploadSessionId."
                ),
                )
            }
        },
    };
    let zip = file.starts_with_zip().await;
    let ext = extension(kind, q, filename.as_deref(), zip);
    let Some(ext) = static_ext(&ext).filter(|e| kind.publish_extensions().contains(e)) else {
        return bad(
            fmt,
            "400011",
            &format!(
                "There was a problem publishing the file: '{ext}' is not a {} file type.",
                kind.singular()
            ),
        );
    };
    let site = &state.site;
    let project_id = meta.project_id.clone().unwrap_or_else(|| site.project(0).id);
    if site.project_by_id(&project_id).is_none() {
        return not_found(fmt, "project", &project_id);
    }
    let overwrite = query::param(q, "overwrite").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let path = site.new_path("published");
    let len = match file.save(&path).await {
        Ok(n) => n,
        Err(e) => return error(fmt, 500, "500000", "Internal Server Error", &e.to_string()),
    };
    let _lock = site.publish_lock.lock().await;
    let existing = site
        .content_in_project(kind, &project_id)
        .into_iter()
        .find(|c| c.name == meta.name);
    if existing.is_some() && !overwrite {
        let _ = std::fs::remove_file(&path);
        return error(
            fmt,
            409,
            "409006",
            "Resource Conflict",
            &format!(
                "A {} named '{}' already exists in the project; publish with overwrite=true to replace it.",
                kind.singular(),
                meta.name
            ),
        );
    }
    let now = iso(now_secs());
    let n = site.with_store(|s| s.next());
    let id = existing
        .as_ref()
        .map_or_else(|| site.new_id(content_code(kind)), |e| e.id.clone());
    let content_url = existing.as_ref().map_or_else(
        || format!("{}_p{n}", crate::site::slug(&meta.name)),
        |e| e.content_url.clone(),
    );
    // Hidden views are not published as views (recorded for `Sim::hidden_views`); views
    // the payload names become the workbook's, else it has one "Sheet 1".
    let hidden: Vec<String> = meta.views.iter().filter(|v| v.1).map(|v| v.0.clone()).collect();
    let named: Vec<&String> = meta.views.iter().filter(|v| !v.1).map(|v| &v.0).collect();
    let new_view = |name: &str| ViewRef {
        id: site.new_id(K_VIEW),
        name: name.to_string(),
        content_url: format!("{content_url}/sheets/{}", crate::site::slug(name)),
    };
    let views = match (&existing, kind) {
        (Some(e), _) => e
            .views
            .iter()
            .filter(|v| !hidden.contains(&v.name))
            .cloned()
            .collect(),
        (None, ContentKind::Workbook) if !named.is_empty() => named.iter().map(|n| new_view(n)).collect(),
        (None, ContentKind::Workbook) => vec![ViewRef {
            id: site.new_id(K_VIEW),
            name: "Sheet 1".into(),
            content_url: format!("{content_url}/sheets/Sheet1"),
        }],
        _ => Vec::new(),
    };
    let item = ContentItem {
        kind,
        id,
        name: meta.name.clone(),
        description: meta.description.clone(),
        content_url,
        web_num: 900_000 + n,
        project_id,
        owner_id: session.user_id.clone(),
        created_at: existing
            .as_ref()
            .map_or_else(|| now.clone(), |e| e.created_at.clone()),
        updated_at: now.clone(),
        tags: existing.as_ref().map(|e| e.tags.clone()).unwrap_or_default(),
        has_extracts: matches!(ext, "hyper" | "tde"),
        encrypt_extracts: false,
        show_tabs: meta.show_tabs,
        views,
        ds_type: if kind == ContentKind::Datasource {
            "hyper"
        } else {
            ""
        },
        is_certified: false,
        certification_note: String::new(),
        files: Files {
            ext,
            size: len,
            ext_no_extract: ext,
            size_no_extract: len,
            payload: file_payload(path),
        },
    };
    site.put_content(item.clone());
    if kind == ContentKind::Workbook {
        site.overlay_mut(|o| {
            if hidden.is_empty() {
                o.hidden_views.remove(&item.id);
            } else {
                o.hidden_views.insert(item.id.clone(), hidden);
            }
        });
    }
    drop(_lock);
    if query::param(q, "asJob").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        let job = Job {
            id: site.new_id(K_MISC),
            kind,
            item_id: item.id.clone(),
            item_name: item.name.clone(),
            created_at: now,
        };
        site.with_store(|s| s.jobs.insert(job.id.clone(), job.clone()));
        return ok(fmt, StatusCode::ACCEPTED, &[render::job(&job)]);
    }
    let node = render::content(site, &item, true);
    if kind == ContentKind::Flow {
        // Like Tableau: flow publish answers with the flow's output steps first.
        return ok(fmt, StatusCode::CREATED, &[Node::new("flowOutputSteps"), node]);
    }
    ok(fmt, StatusCode::CREATED, &[node])
}

enum FileSrc {
    Bytes(Bytes),
    Upload(Upload),
}

impl FileSrc {
    async fn starts_with_zip(&self) -> bool {
        match self {
            Self::Bytes(b) => b.starts_with(b"PK\x03\x04"),
            Self::Upload(u) => {
                let mut m = [0u8; 4];
                std::fs::File::open(&u.path)
                    .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut m))
                    .is_ok()
                    && &m == b"PK\x03\x04"
            }
        }
    }

    /// Move the bytes to `path`; returns the length.
    async fn save(self, path: &std::path::Path) -> std::io::Result<u64> {
        match self {
            Self::Bytes(b) => {
                tokio::fs::write(path, &b).await?;
                Ok(b.len() as u64)
            }
            Self::Upload(u) => {
                tokio::fs::rename(&u.path, path).await?;
                Ok(u.len)
            }
        }
    }
}

pub(crate) fn upload_init(state: &State, fmt: Fmt) -> Resp {
    let n = state.site.with_store(|s| s.next());
    let id = format!("{}:{:032x}-1:0", 7000 + n, rand::thread_rng().gen::<u128>());
    let path = state.site.new_path("upload");
    if let Err(e) = std::fs::File::create(&path) {
        return error(fmt, 500, "500000", "Internal Server Error", &e.to_string());
    }
    state
        .site
        .with_store(|s| s.uploads.insert(id.clone(), Upload { path, len: 0 }));
    ok(fmt, StatusCode::CREATED, &[upload_node(&id, 0)])
}

fn upload_node(id: &str, len: u64) -> Node {
    // fileSize: whole MB received so far.
    Node::new("fileUpload")
        .attr("uploadSessionId", id)
        .attr("fileSize", len >> 20)
}

pub(crate) async fn upload_append(state: &State, id: &str, req: Request<ReqBody>, fmt: Fmt) -> Resp {
    let Some(up) = state.site.upload(id) else {
        return not_found(fmt, "uploadSession", id);
    };
    let parts = match parts(state, req, fmt).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(chunk) = parts
        .iter()
        .find(|p| p.name == "tableau_file")
        .or_else(|| parts.iter().find(|p| p.name != "request_payload"))
    else {
        return bad(fmt, "400011", "The request has no tableau_file part.");
    };
    if chunk.body.len() as u64 > state.cfg.max_single_publish {
        return too_big(fmt, state.cfg.max_single_publish);
    }
    let res = async {
        let mut f = tokio::fs::OpenOptions::new().append(true).open(&up.path).await?;
        f.write_all(&chunk.body).await?;
        f.flush().await
    }
    .await;
    if let Err(e) = res {
        return error(fmt, 500, "500000", "Internal Server Error", &e.to_string());
    }
    let len = state.site.with_store(|s| {
        s.uploads.get_mut(id).map(|u| {
            u.len += chunk.body.len() as u64;
            u.len
        })
    });
    match len {
        Some(len) => ok(fmt, StatusCode::OK, &[upload_node(id, len)]),
        None => not_found(fmt, "uploadSession", id),
    }
}

pub(crate) async fn create_project(
    state: &State,
    req: Request<ReqBody>,
    fmt: Fmt,
    session: &SessionInfo,
) -> Resp {
    let body = match multipart::read_body(req.into_body(), 1 << 20).await {
        Ok(b) => b,
        Err(_) => return bad(fmt, "400000", "Request body too large."),
    };
    let text = String::from_utf8_lossy(&body);
    let (name, description, parent, perms) = if text.trim_start().starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let p = v.get("project").cloned().unwrap_or_default();
        let s = |k: &str| p.get(k).and_then(|x| x.as_str()).map(str::to_string);
        (
            s("name"),
            s("description"),
            s("parentProjectId"),
            s("contentPermissions"),
        )
    } else {
        let a = xmlreq::find_attrs(&text, "project").unwrap_or_default();
        let s = |k: &str| xmlreq::attr(&a, k).map(str::to_string);
        (
            s("name"),
            s("description"),
            s("parentProjectId"),
            s("contentPermissions"),
        )
    };
    let Some(name) = name.filter(|n| !n.trim().is_empty()) else {
        return bad(fmt, "400000", "The project name is missing.");
    };
    let site = &state.site;
    let parent = parent.filter(|p| !p.is_empty());
    if let Some(p) = &parent {
        if site.project_by_id(p).is_none() {
            return not_found(fmt, "project", p);
        }
    }
    let _lock = site.publish_lock.lock().await;
    let clash = (0..site.count(ListKind::Projects))
        .map(|i| site.project(i))
        .any(|p| p.parent_id == parent && p.name == name);
    if clash {
        return error(
            fmt,
            409,
            "409006",
            "Resource Conflict",
            &format!("A project named '{name}' already exists here."),
        );
    }
    let now = iso(now_secs());
    let perms = match perms.as_deref() {
        Some("LockedToProject") => "LockedToProject",
        Some("LockedToProjectWithoutNested") => "LockedToProjectWithoutNested",
        _ => "ManagedByOwner",
    };
    let p = Project {
        id: site.new_id(K_PROJECT),
        name,
        description: description.unwrap_or_default(),
        parent_id: parent,
        owner_id: session.user_id.clone(),
        created_at: now.clone(),
        updated_at: now,
        content_permissions: perms,
    };
    site.add_project(p.clone());
    ok(fmt, StatusCode::CREATED, &[render::project(site, &p)])
}

pub(crate) fn job(state: &State, id: &str, fmt: Fmt) -> Resp {
    match state.site.job(id) {
        Some(j) => ok(fmt, StatusCode::OK, &[render::job(&j)]),
        None => not_found(fmt, "job", id),
    }
}
