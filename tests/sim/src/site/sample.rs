//! The small fixed sample site (powers the product's `demo` command). Its content files are
//! the real Tableau samples in tests/fixtures/ (see SOURCE.md there). They cannot be stripped,
//! so `includeExtract=false` returns the same bytes.

use std::collections::HashMap;

use super::generator::*;
use super::model::*;
use super::Source;
use crate::util::luid;

const SEED: u64 = 0x5A3B1E;

static SAMPLE_WB: &[u8] = include_bytes!("../../../fixtures/SampleWB.twbx");
static WORLD_TDSX: &[u8] = include_bytes!("../../../fixtures/World Indicators.tdsx");
static SAMPLE_DS: &[u8] = include_bytes!("../../../fixtures/SampleDS.tds");
static SAMPLE_FLOW: &[u8] = include_bytes!("../../../fixtures/SampleFlow.tfl");

pub(crate) struct SampleSite {
    info: SiteInfo,
    projects: Vec<Project>,
    users: Vec<User>,
    groups: Vec<(Group, Vec<usize>)>,
    content: [Vec<ContentItem>; 3],
    subscriptions: Vec<Subscription>,
    custom_views: Vec<CustomView>,
    tasks: Vec<Task>,
    vconns: Vec<VirtualConnection>,
    favorites: HashMap<usize, Vec<FavRef>>,
    ids: HashMap<(ListKind, String), usize>,
}

fn id(kind: u8, i: usize) -> String {
    luid(SEED, kind, i as u64)
}

fn kind_index(k: ContentKind) -> usize {
    match k {
        ContentKind::Workbook => 0,
        ContentKind::Datasource => 1,
        ContentKind::Flow => 2,
    }
}

fn project(i: usize, name: &str, desc: &str, parent: Option<usize>, owner: usize) -> Project {
    Project {
        id: id(K_PROJECT, i),
        name: name.into(),
        description: desc.into(),
        parent_id: parent.map(|p| id(K_PROJECT, p)),
        owner_id: id(K_USER, owner),
        created_at: "2024-02-14T04:42:03Z".into(),
        updated_at: "2024-02-14T04:42:03Z".into(),
        content_permissions: "ManagedByOwner",
    }
}

fn user(i: usize, name: &str, full: &str, role: &'static str, login: Option<&str>) -> User {
    User {
        id: id(K_USER, i),
        name: name.into(),
        full_name: full.into(),
        email: name.into(),
        site_role: role,
        auth_setting: "TableauIDWithMFA",
        last_login: login.map(Into::into),
        external_auth_user_id: format!("{:064x}", i + 1),
        language: "en",
        locale: "",
        domain: "TABID_WITH_MFA",
    }
}

struct Item<'a> {
    kind: ContentKind,
    i: usize,
    name: &'a str,
    project: usize,
    owner: usize,
    bytes: &'static [u8],
    ext: &'static str,
    ds_type: &'static str,
    has_extracts: bool,
    tags: &'a [&'a str],
}

fn item(it: Item) -> ContentItem {
    let code = content_code(it.kind);
    let content_url = format!("{}_{}", super::names::slug(it.name), it.i);
    let views = if it.kind == ContentKind::Workbook {
        ["GDP per capita", "Population"]
            .iter()
            .enumerate()
            .map(|(s, v)| ViewRef {
                id: id(K_VIEW, it.i * 256 + s),
                name: v.to_string(),
                content_url: format!("{content_url}/sheets/{}", super::names::slug(v)),
            })
            .collect()
    } else {
        Vec::new()
    };
    ContentItem {
        kind: it.kind,
        id: id(code, it.i),
        name: it.name.into(),
        description: format!("Sample {} from the Tableau samples.", it.kind.singular()),
        content_url,
        web_num: 1000 * code as u64 + it.i as u64,
        project_id: id(K_PROJECT, it.project),
        owner_id: id(K_USER, it.owner),
        created_at: "2024-02-14T04:42:09Z".into(),
        updated_at: format!("2024-07-0{}T02:19:59Z", it.i + 1),
        tags: it.tags.iter().map(|t| t.to_string()).collect(),
        has_extracts: it.has_extracts,
        encrypt_extracts: false,
        show_tabs: true,
        views,
        ds_type: it.ds_type,
        is_certified: it.kind == ContentKind::Datasource && it.i == 0,
        certification_note: String::new(),
        files: Files {
            ext: it.ext,
            size: it.bytes.len() as u64,
            ext_no_extract: it.ext,
            size_no_extract: it.bytes.len() as u64,
            payload: Payload::Static(it.bytes),
        },
    }
}

fn schedule(freq: &'static str, start: &str, intervals: &[(&'static str, &str)]) -> Schedule {
    Schedule {
        frequency: freq,
        next_run_at: "2025-06-02T06:00:00Z".into(),
        start: start.into(),
        end: None,
        intervals: intervals.iter().map(|(k, v)| (*k, v.to_string())).collect(),
    }
}

impl SampleSite {
    pub fn new(content_url: &str, site_name: &str, pat_name: &str) -> Self {
        use ContentKind::*;
        let projects = vec![
            project(
                0,
                "default",
                "The default project that was automatically created by Tableau.",
                None,
                0,
            ),
            project(
                1,
                "Samples",
                "This project includes automatically uploaded samples.",
                None,
                0,
            ),
            project(2, "Finance", "", None, 2),
            project(3, "Reports", "Monthly reports", Some(2), 2),
            project(4, "Sales", "", None, 1),
            project(5, "Données 🌍", "Données internationales", Some(4), 1),
        ];
        // Locked and unlocked projects: Finance locks itself only, Sales and its child all.
        let mut projects = projects;
        projects[2].content_permissions = "LockedToProjectWithoutNested";
        projects[4].content_permissions = "LockedToProject";
        projects[5].content_permissions = "LockedToProject";
        let users = vec![
            user(
                0,
                &format!("{pat_name}@example.com"),
                "Backup Bot",
                "SiteAdministratorCreator",
                Some("2025-02-04T06:39:20Z"),
            ),
            user(
                1,
                "alice@example.com",
                "Alice Jones",
                "ExplorerCanPublish",
                Some("2025-02-01T10:00:00Z"),
            ),
            user(
                2,
                "bob@example.com",
                "Bob Smith",
                "Creator",
                Some("2025-01-20T08:30:00Z"),
            ),
            user(
                3,
                "chloe@example.com",
                "Chloé Dubois",
                "Viewer",
                Some("2024-12-24T18:00:00Z"),
            ),
            user(
                4,
                "taro@example.com",
                "山田 太郎",
                "Explorer",
                Some("2025-01-05T01:00:00Z"),
            ),
            user(5, "nora.never@example.com", "Nora Never", "Unlicensed", None),
        ];
        let group = |i: usize, name: &str| Group {
            id: id(K_GROUP, i),
            name: name.into(),
            domain: "local",
            minimum_site_role: None,
        };
        let groups = vec![
            (group(0, "All Users"), (0..users.len()).collect()),
            (group(1, "Analysts"), vec![1, 2, 4]),
            (group(2, "Finance Team"), vec![2, 3]),
            (group(3, "Empty group"), vec![]),
        ];
        let wb = |i, name, project, owner| {
            item(Item {
                kind: Workbook,
                i,
                name,
                project,
                owner,
                bytes: SAMPLE_WB,
                ext: "twbx",
                ds_type: "",
                has_extracts: false,
                tags: &["sample"],
            })
        };
        let workbooks = vec![
            wb(0, "SampleWB", 1, 0),
            wb(1, "SampleWB", 2, 2),
            wb(2, "Régional / Sales 📈", 3, 2),
        ];
        let datasources = vec![
            item(Item {
                kind: Datasource,
                i: 0,
                name: "World Indicators",
                project: 1,
                owner: 0,
                bytes: WORLD_TDSX,
                ext: "tdsx",
                ds_type: "hyper",
                has_extracts: true,
                tags: &["world", "indicators"],
            }),
            item(Item {
                kind: Datasource,
                i: 1,
                name: "SampleDS",
                project: 0,
                owner: 1,
                bytes: SAMPLE_DS,
                ext: "tds",
                ds_type: "postgres",
                has_extracts: false,
                tags: &[],
            }),
            item(Item {
                kind: Datasource,
                i: 2,
                name: "SampleDS",
                project: 2,
                owner: 2,
                bytes: SAMPLE_DS,
                ext: "tds",
                ds_type: "postgres",
                has_extracts: false,
                tags: &[],
            }),
        ];
        let flows = vec![item(Item {
            kind: Flow,
            i: 0,
            name: "SampleFlow",
            project: 1,
            owner: 2,
            bytes: SAMPLE_FLOW,
            ext: "tfl",
            ds_type: "",
            has_extracts: false,
            tags: &["prep"],
        })];
        let subscriptions = vec![
            Subscription {
                id: id(K_SUBSCRIPTION, 0),
                subject: "Daily GDP".into(),
                message: "Your daily numbers".into(),
                attach_image: true,
                attach_pdf: false,
                suspended: false,
                page_orientation: "PORTRAIT",
                page_size_option: "LETTER",
                content_id: workbooks[0].views[0].id.clone(),
                content_type: "View",
                send_if_view_empty: false,
                schedule: schedule("Daily", "06:00:00", &[("hours", "24"), ("weekDay", "Monday")]),
                user_id: users[1].id.clone(),
                user_name: users[1].name.clone(),
            },
            Subscription {
                id: id(K_SUBSCRIPTION, 1),
                subject: "Résumé hebdomadaire".into(),
                message: String::new(),
                attach_image: false,
                attach_pdf: true,
                suspended: true,
                page_orientation: "LANDSCAPE",
                page_size_option: "A4",
                content_id: workbooks[1].id.clone(),
                content_type: "Workbook",
                send_if_view_empty: true,
                schedule: schedule("Weekly", "08:00:00", &[("weekDay", "Friday")]),
                user_id: users[2].id.clone(),
                user_name: users[2].name.clone(),
            },
        ];
        let cv = |i: usize, name: &str, w: &ContentItem, v: usize, owner: &User, shared| CustomView {
            id: id(K_CUSTOM_VIEW, i),
            name: name.into(),
            created_at: "2024-08-01T09:00:00Z".into(),
            updated_at: "2024-08-02T09:00:00Z".into(),
            last_accessed_at: "2025-01-02T09:00:00Z".into(),
            shared,
            view: w.views[v].clone(),
            workbook_id: w.id.clone(),
            workbook_name: w.name.clone(),
            owner_id: owner.id.clone(),
            owner_name: owner.name.clone(),
        };
        let custom_views = vec![
            cv(0, "Europe only", &workbooks[0], 0, &users[1], true),
            cv(1, "Mes filtres ✨", &workbooks[2], 1, &users[2], false),
        ];
        let tasks = vec![
            Task {
                id: id(K_TASK, 0),
                priority: 50,
                consecutive_failed: 0,
                task_type: "FullRefresh",
                schedule: Schedule {
                    end: Some("18:20:00".into()),
                    ..schedule("Daily", "18:20:00", &[("hours", "24"), ("weekDay", "Tuesday")])
                },
                target: ("datasource", datasources[0].id.clone()),
            },
            Task {
                id: id(K_TASK, 1),
                priority: 50,
                consecutive_failed: 1,
                task_type: "IncrementalRefresh",
                schedule: schedule("Monthly", "02:00:00", &[("monthDay", "1")]),
                target: ("workbook", workbooks[0].id.clone()),
            },
        ];
        let vconns = vec![VirtualConnection {
            id: id(K_VCONN, 0),
            name: "vconn".into(),
            created_at: "2024-05-30T09:00:00Z".into(),
            updated_at: "2024-06-18T09:00:00Z".into(),
            has_extracts: false,
            is_certified: true,
            web_num: 3,
            project_id: projects[0].id.clone(),
            owner_id: users[0].id.clone(),
            content: format!(
                "{{\"policyCollection\":{{\"luid\":\"{}\",\"policies\":[]}},\"revision\":{{\"luid\":\"{}\",\"revisableProperties\":{{}}}}}}",
                id(K_MISC, 0),
                id(K_MISC, 1)
            ),
        }];
        let mut favorites = HashMap::new();
        favorites.insert(
            1,
            vec![
                FavRef::Content(Workbook, 0),
                FavRef::Content(Datasource, 0),
                FavRef::Project(1),
                FavRef::View(0, 0),
            ],
        );
        favorites.insert(2, vec![FavRef::Content(Flow, 0)]);
        favorites.insert(
            0,
            vec![FavRef::Content(Workbook, 2), FavRef::Content(Datasource, 1)],
        );
        let mut s = SampleSite {
            info: SiteInfo {
                id: id(K_SITE, 0),
                name: site_name.into(),
                content_url: content_url.into(),
            },
            projects,
            users,
            groups,
            content: [workbooks, datasources, flows],
            subscriptions,
            custom_views,
            tasks,
            vconns,
            favorites,
            ids: HashMap::new(),
        };
        s.index();
        s
    }

    fn index(&mut self) {
        let mut ids = HashMap::new();
        let mut add = |k: ListKind, list: Vec<String>| {
            for (i, id) in list.into_iter().enumerate() {
                ids.insert((k, id), i);
            }
        };
        add(
            ListKind::Projects,
            self.projects.iter().map(|p| p.id.clone()).collect(),
        );
        add(ListKind::Users, self.users.iter().map(|p| p.id.clone()).collect());
        add(
            ListKind::Groups,
            self.groups.iter().map(|p| p.0.id.clone()).collect(),
        );
        for k in ContentKind::ALL {
            add(
                k.list(),
                self.content[kind_index(k)].iter().map(|p| p.id.clone()).collect(),
            );
        }
        add(
            ListKind::Subscriptions,
            self.subscriptions.iter().map(|p| p.id.clone()).collect(),
        );
        add(
            ListKind::CustomViews,
            self.custom_views.iter().map(|p| p.id.clone()).collect(),
        );
        add(ListKind::Tasks, self.tasks.iter().map(|p| p.id.clone()).collect());
        add(
            ListKind::VirtualConnections,
            self.vconns.iter().map(|p| p.id.clone()).collect(),
        );
        self.ids = ids;
    }
}

impl Source for SampleSite {
    fn info(&self) -> &SiteInfo {
        &self.info
    }

    fn count(&self, k: ListKind) -> usize {
        match k {
            ListKind::Projects => self.projects.len(),
            ListKind::Users => self.users.len(),
            ListKind::Groups => self.groups.len(),
            ListKind::Workbooks => self.content[0].len(),
            ListKind::Datasources => self.content[1].len(),
            ListKind::Flows => self.content[2].len(),
            ListKind::Subscriptions => self.subscriptions.len(),
            ListKind::CustomViews => self.custom_views.len(),
            ListKind::VirtualConnections => self.vconns.len(),
            ListKind::Tasks => self.tasks.len(),
        }
    }

    fn project(&self, i: usize) -> Project {
        self.projects[i].clone()
    }

    fn user(&self, i: usize) -> User {
        self.users[i].clone()
    }

    fn group(&self, i: usize) -> Group {
        self.groups[i].0.clone()
    }

    fn members(&self, g: usize) -> Members {
        Members::List(self.groups[g].1.clone())
    }

    fn content(&self, k: ContentKind, i: usize) -> ContentItem {
        self.content[kind_index(k)][i].clone()
    }

    fn subscription(&self, i: usize) -> Subscription {
        self.subscriptions[i].clone()
    }

    fn custom_view(&self, i: usize) -> CustomView {
        self.custom_views[i].clone()
    }

    fn task(&self, i: usize) -> Task {
        self.tasks[i].clone()
    }

    fn vconn(&self, i: usize) -> VirtualConnection {
        self.vconns[i].clone()
    }

    fn favorites(&self, u: usize) -> Vec<FavRef> {
        self.favorites.get(&u).cloned().unwrap_or_default()
    }

    fn find(&self, k: ListKind, id: &str) -> Option<usize> {
        self.ids.get(&(k, id.to_string())).copied()
    }

    fn view_ref(&self, wb: usize, sheet: usize) -> ViewRef {
        self.content[0][wb].views[sheet].clone()
    }
}
