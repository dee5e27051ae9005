//! Model records -> response elements, with the element and attribute names of real responses.

use super::format::Node;
use crate::site::model::*;
use crate::site::Site;

const POD: &str = "https://10ay.online.tableau.com";

pub(crate) fn b(v: bool) -> &'static str {
    if v {
        "true"
    } else {
        "false"
    }
}

/// `size` in list responses is in MB (rounded, at least 1).
pub(crate) fn size_mb(bytes: u64) -> u64 {
    ((bytes + (1 << 19)) >> 20).max(1)
}

fn web(site: &Site, what: &str, n: u64) -> String {
    format!("{POD}/#/site/{}/{what}/{n}", site.info().content_url)
}

pub fn pagination(page: usize, size: usize, total: u64) -> Node {
    Node::new("pagination")
        .attr("pageNumber", page)
        .attr("pageSize", size)
        .attr("totalAvailable", total)
}

pub fn tags(t: &[String]) -> Node {
    Node::new("tags").children(t.iter().map(|l| Node::new("tag").attr("label", l)))
}

/// A user as an owner (`owner`) or a list entry (`user`).
pub fn user(name: &'static str, u: &User) -> Node {
    Node::new(name)
        .attr("id", &u.id)
        .attr("name", &u.name)
        .attr("siteRole", u.site_role)
        .attr("authSetting", u.auth_setting)
        .attr_opt("lastLogin", u.last_login.as_ref())
        .attr("externalAuthUserId", &u.external_auth_user_id)
        .attr("fullName", &u.full_name)
        .attr("email", &u.email)
        .attr("locale", u.locale)
        .attr("language", u.language)
        .child(Node::new("domain").attr("name", u.domain))
}

pub(crate) fn owner(site: &Site, id: &str) -> Node {
    match site.user_by_id(id) {
        Some(u) => Node::new("owner")
            .attr("email", &u.email)
            .attr("fullName", &u.full_name)
            .attr("id", &u.id)
            .attr_opt("lastLogin", u.last_login.as_ref())
            .attr("name", &u.name)
            .attr("siteRole", u.site_role),
        None => Node::new("owner").attr("id", id),
    }
}

pub(crate) fn project_ref(site: &Site, id: &str) -> Node {
    match site.project_by_id(id) {
        Some(p) => Node::new("project")
            .attr("id", &p.id)
            .attr("name", &p.name)
            .attr("description", &p.description),
        None => Node::new("project").attr("id", id),
    }
}

/// A workbook, data source or flow; `detail` adds what Get-by-id returns (views).
pub fn content(site: &Site, c: &ContentItem, detail: bool) -> Node {
    let project = project_ref(site, &c.project_id);
    let n = Node::new(c.kind.singular())
        .attr("id", &c.id)
        .attr("name", &c.name)
        .attr("description", &c.description);
    match c.kind {
        ContentKind::Workbook => {
            let location = Node::new("location")
                .attr("id", &c.project_id)
                .attr("type", "Project")
                .attr("name", project.get("name").unwrap_or_default());
            let n = n
                .attr("contentUrl", &c.content_url)
                .attr("webpageUrl", web(site, "workbooks", c.web_num))
                .attr("showTabs", b(c.show_tabs))
                .attr("size", size_mb(c.files.size))
                .attr("createdAt", &c.created_at)
                .attr("updatedAt", &c.updated_at)
                .attr("sheetCount", c.views.len())
                .attr("hasExtracts", b(c.has_extracts))
                .attr("encryptExtracts", b(c.encrypt_extracts))
                .attr_opt("defaultViewId", c.views.first().map(|v| &v.id))
                .attr("shareDescription", &c.name)
                .attr("lastPublishedAt", &c.updated_at)
                .child(project)
                .child(location)
                .child(owner(site, &c.owner_id))
                .child(tags(&c.tags))
                .child(Node::new("dataAccelerationConfig").attr("accelerationEnabled", "false"));
            if detail {
                n.child(Node::new("views").children(c.views.iter().map(|v| {
                    Node::new("view")
                        .attr("id", &v.id)
                        .attr("name", &v.name)
                        .attr("contentUrl", &v.content_url)
                })))
            } else {
                n
            }
        }
        ContentKind::Datasource => n
            .attr("contentUrl", &c.content_url)
            .attr("type", c.ds_type)
            .attr("size", size_mb(c.files.size))
            .attr("createdAt", &c.created_at)
            .attr("updatedAt", &c.updated_at)
            .attr("encryptExtracts", b(c.encrypt_extracts))
            .attr("hasExtracts", b(c.has_extracts))
            .attr("isCertified", b(c.is_certified))
            .attr_opt(
                "certificationNote",
                (!c.certification_note.is_empty()).then_some(&c.certification_note),
            )
            .attr("useRemoteQueryAgent", "false")
            .attr("webpageUrl", web(site, "datasources", c.web_num))
            .attr("connectedWorkbooksCount", 0)
            .attr("favoritesTotal", 0)
            .attr("hasAlert", "false")
            .attr("isPublished", "true")
            .attr("serverName", "")
            .child(project)
            .child(owner(site, &c.owner_id))
            .child(tags(&c.tags)),
        ContentKind::Flow => n
            .attr("webpageUrl", web(site, "flows", c.web_num))
            .attr("fileType", c.files.ext)
            .attr("createdAt", &c.created_at)
            .attr("updatedAt", &c.updated_at)
            .child(project)
            .child(owner(site, &c.owner_id))
            .child(tags(&c.tags))
            .child(Node::new("parameters")),
    }
}

pub fn project(site: &Site, p: &Project) -> Node {
    let (wbs, views, ds, children) = site.project_counts(p);
    let locked = p.content_permissions != "ManagedByOwner";
    Node::new("project")
        .attr("id", &p.id)
        .attr("name", &p.name)
        .attr("description", &p.description)
        .attr("contentPermissions", p.content_permissions)
        .attr_opt("parentProjectId", p.parent_id.as_ref())
        .attr_opt("controllingPermissionsProjectId", locked.then_some(&p.id))
        .attr("topLevelProject", b(p.parent_id.is_none()))
        .attr("writeable", "true")
        .attr("createdAt", &p.created_at)
        .attr("updatedAt", &p.updated_at)
        .child(owner(site, &p.owner_id))
        .child(
            Node::new("contentsCounts")
                .attr("projectCount", children)
                .attr("workbookCount", wbs)
                .attr("viewCount", views)
                .attr("datasourceCount", ds),
        )
}

pub fn group(g: &Group, members: usize) -> Node {
    Node::new("group")
        .attr("id", &g.id)
        .attr("name", &g.name)
        .attr("userCount", members)
        .attr_opt("minimumSiteRole", g.minimum_site_role)
        .child(Node::new("domain").attr("name", g.domain))
}

pub(crate) fn schedule(s: &Schedule) -> Node {
    Node::new("schedule")
        .attr("frequency", s.frequency)
        .attr("nextRunAt", &s.next_run_at)
        .child(
            Node::new("frequencyDetails")
                .attr("start", &s.start)
                .attr_opt("end", s.end.as_ref())
                .child(
                    Node::new("intervals")
                        .children(s.intervals.iter().map(|(k, v)| Node::new("interval").attr(k, v))),
                ),
        )
}

pub fn subscription(s: &Subscription) -> Node {
    Node::new("subscription")
        .attr("id", &s.id)
        .attr("subject", &s.subject)
        .attr("message", &s.message)
        .attr("attachImage", b(s.attach_image))
        .attr("attachPdf", b(s.attach_pdf))
        .attr("suspended", b(s.suspended))
        .attr("pageOrientation", s.page_orientation)
        .attr("pageSizeOption", s.page_size_option)
        .child(
            Node::new("content")
                .attr("id", &s.content_id)
                .attr("type", s.content_type)
                .attr("sendIfViewEmpty", b(s.send_if_view_empty)),
        )
        .child(schedule(&s.schedule))
        .child(
            Node::new("user")
                .attr("id", &s.user_id)
                .attr("name", &s.user_name),
        )
}

pub fn custom_view(c: &CustomView) -> Node {
    Node::new("customView")
        .attr("id", &c.id)
        .attr("name", &c.name)
        .attr("contentUrl", &c.view.content_url)
        .attr("createdAt", &c.created_at)
        .attr("updatedAt", &c.updated_at)
        .attr("lastAccessedAt", &c.last_accessed_at)
        .attr("shared", b(c.shared))
        .child(
            Node::new("workbook")
                .attr("id", &c.workbook_id)
                .attr("name", &c.workbook_name),
        )
        .child(
            Node::new("owner")
                .attr("id", &c.owner_id)
                .attr("name", &c.owner_name),
        )
        .child(
            Node::new("view")
                .attr("id", &c.view.id)
                .attr("name", &c.view.name),
        )
}

pub fn task(t: &Task) -> Node {
    Node::new("task").child(
        Node::new("extractRefresh")
            .attr("id", &t.id)
            .attr("priority", t.priority)
            .attr("consecutiveFailedCount", t.consecutive_failed)
            .attr("type", t.task_type)
            .child(schedule(&t.schedule))
            .child(Node::new(t.target.0).attr("id", &t.target.1)),
    )
}

fn vconn_base(site: &Site, v: &VirtualConnection) -> Node {
    Node::new("virtualConnection")
        .attr("id", &v.id)
        .attr("name", &v.name)
        .attr("createdAt", &v.created_at)
        .attr("updatedAt", &v.updated_at)
        .attr("hasExtracts", b(v.has_extracts))
        .attr("isCertified", b(v.is_certified))
        .attr("webpageUrl", web(site, "virtualconnections", v.web_num))
}

pub fn vconn(site: &Site, v: &VirtualConnection) -> Node {
    vconn_base(site, v)
}

/// Get-by-id: adds project, owner and the `content` JSON string.
pub fn vconn_detail(site: &Site, v: &VirtualConnection) -> Node {
    vconn_base(site, v)
        .child(Node::new("project").attr("id", &v.project_id))
        .child(Node::new("owner").attr("id", &v.owner_id))
        .child(Node::new("content").text(&v.content))
}

/// A favorite; `label`: the one it was added under (generated ones use the target's name).
pub fn favorite(site: &Site, f: FavRef, label: Option<String>) -> Node {
    let (name, target) = match f {
        FavRef::Content(k, i) => {
            let c = site.content(k, i);
            (c.name.clone(), content(site, &c, false))
        }
        FavRef::View(wb, sheet) => {
            let w = site.content(ContentKind::Workbook, wb);
            let v = site.view_ref(wb, sheet);
            let node = Node::new("view")
                .attr("id", &v.id)
                .attr("name", &v.name)
                .attr("contentUrl", &v.content_url)
                .child(Node::new("workbook").attr("id", &w.id))
                .child(Node::new("owner").attr("id", &w.owner_id))
                .child(Node::new("project").attr("id", &w.project_id))
                .child(tags(&site.view_tags(&v.id)));
            (v.name, node)
        }
        FavRef::Project(p) => {
            let p = site.project(p);
            let node = Node::new("project")
                .attr("id", &p.id)
                .attr("name", &p.name)
                .attr("description", &p.description)
                .attr("contentPermissions", p.content_permissions);
            (p.name, node)
        }
    };
    Node::new("favorite")
        .attr("label", label.unwrap_or(name))
        .child(target)
}

pub fn site(site: &Site) -> Node {
    let i = site.info();
    let users = site.count(ListKind::Users);
    Node::new("site")
        .attr("id", &i.id)
        .attr("name", &i.name)
        .attr("contentUrl", &i.content_url)
        .attr("adminMode", "ContentAndUsers")
        .attr("storageQuota", 1_048_576)
        .attr("disableSubscriptions", "false")
        .attr("state", "Active")
        .attr("revisionHistoryEnabled", "true")
        .attr("revisionLimit", 25)
        .attr("subscribeOthersEnabled", "true")
        .attr("allowSubscriptionAttachments", "true")
        .attr("guestAccessEnabled", "false")
        .attr("cacheWarmupEnabled", "true")
        .attr("commentingEnabled", "true")
        .attr("commentingMentionsEnabled", "true")
        .attr("editingFlowsEnabled", "true")
        .attr("schedulingFlowsEnabled", "true")
        .attr("extractEncryptionMode", "enabled")
        .attr("catalogingEnabled", "true")
        .attr("catalogObfuscationEnabled", "true")
        .attr("derivedPermissionsEnabled", "false")
        .attr("requestAccessEnabled", "false")
        .attr("runNowEnabled", "true")
        .attr("numUsers", users)
        .attr("storage", 0)
        .attr("userQuota", -1)
        .attr("tierCreatorCapacity", 100)
        .attr("tierExplorerCapacity", 500)
        .attr("tierViewerCapacity", 100_000)
        .attr("isDataAlertsEnabled", "true")
        .attr("askDataMode", "EnabledByDefault")
        .attr("useDefaultTimeZone", "true")
        .attr("timeZone", "America/Los_Angeles")
}

pub fn job(j: &crate::site::Job) -> Node {
    let t = match j.kind {
        ContentKind::Workbook => "PublishWorkbook",
        ContentKind::Datasource => "PublishDatasource",
        ContentKind::Flow => "PublishFlow",
    };
    Node::new("job")
        .attr("id", &j.id)
        .attr("mode", "Asynchronous")
        .attr("type", t)
        .attr("progress", 100)
        .attr("createdAt", &j.created_at)
        .attr("startedAt", &j.created_at)
        .attr("completedAt", &j.created_at)
        .attr("finishCode", 0)
        .child(
            Node::new(j.kind.singular())
                .attr("id", &j.item_id)
                .attr("name", &j.item_name),
        )
}
