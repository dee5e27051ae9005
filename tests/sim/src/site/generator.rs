//! The deterministic generated site. Records are derived on demand from (seed, kind, index);
//! only projects (for nesting and sibling-unique names) are built up front.

use std::collections::{HashMap, HashSet};

use super::content::Generator;
use super::model::*;
use super::names;
use super::Source;
use crate::config::GenSpec;
use crate::util::{h, iso, luid, luid_parts};

pub(crate) const K_PROJECT: u8 = 1;
pub(crate) const K_USER: u8 = 2;
pub(crate) const K_GROUP: u8 = 3;
pub(crate) const K_WORKBOOK: u8 = 4;
pub(crate) const K_DATASOURCE: u8 = 5;
pub(crate) const K_FLOW: u8 = 6;
pub(crate) const K_VIEW: u8 = 7;
pub(crate) const K_SUBSCRIPTION: u8 = 8;
pub(crate) const K_CUSTOM_VIEW: u8 = 9;
pub(crate) const K_TASK: u8 = 10;
pub(crate) const K_VCONN: u8 = 11;
pub(crate) const K_SITE: u8 = 12;
pub(crate) const K_MISC: u8 = 13;
pub(crate) const K_PERM: u8 = 14;
pub(crate) const K_ALERT: u8 = 15;
pub(crate) const K_WEBHOOK: u8 = 16;
pub(crate) const K_FLOW_TASK: u8 = 17;
pub(crate) const K_CONNECTION: u8 = 18;
pub(crate) const K_DQW: u8 = 19;
pub(crate) const K_REVISION: u8 = 20;

const T0: i64 = 1_546_300_800; // 2019-01-01
const T1: i64 = 1_748_736_000; // 2025-06-01

pub(crate) fn content_code(k: ContentKind) -> u8 {
    match k {
        ContentKind::Workbook => K_WORKBOOK,
        ContentKind::Datasource => K_DATASOURCE,
        ContentKind::Flow => K_FLOW,
    }
}

pub(crate) struct GeneratedSite {
    seed: u64,
    spec: GenSpec,
    info: SiteInfo,
    owner_name: String,
    projects: Vec<Project>,
    project_ids: HashMap<String, usize>,
    children: HashMap<String, usize>,
}

impl GeneratedSite {
    pub fn new(spec: &GenSpec, content_url: &str, site_name: &str, pat_name: &str) -> GeneratedSite {
        let mut spec = spec.clone();
        spec.projects = spec.projects.max(1);
        spec.users = spec.users.max(1);
        spec.groups = spec.groups.max(1);
        if spec.workbooks == 0 {
            spec.subscriptions = 0;
            spec.custom_views = 0;
        }
        if spec.workbooks + spec.datasources == 0 {
            spec.extract_refresh_tasks = 0;
        }
        let seed = spec.seed;
        let info = SiteInfo {
            id: luid(seed, K_SITE, 0),
            name: site_name.to_string(),
            content_url: content_url.to_string(),
        };
        let mut g = GeneratedSite {
            seed,
            spec,
            info,
            owner_name: format!("{pat_name}@example.com"),
            projects: Vec::new(),
            project_ids: HashMap::new(),
            children: HashMap::new(),
        };
        g.build_projects();
        g
    }

    fn hh(&self, kind: u8, idx: usize, salt: u64) -> u64 {
        h(self.seed, kind, idx as u64, salt)
    }

    fn times(&self, kind: u8, idx: usize) -> (String, String) {
        let a = self.hh(kind, idx, 0xC0) % ((T1 - T0) as u64 - 86_400 * 30);
        let created = T0 + a as i64;
        let updated = created + (self.hh(kind, idx, 0xC1) % ((T1 - created) as u64)) as i64;
        (iso(created), iso(updated))
    }

    fn user_id(&self, i: usize) -> String {
        luid(self.seed, K_USER, i as u64)
    }

    fn build_projects(&mut self) {
        let n = self.spec.projects;
        let mut depth = vec![0usize; n];
        let mut siblings: HashMap<Option<usize>, HashSet<String>> = HashMap::new();
        let offset = (self.seed % names::PROJECTS.len() as u64) as usize;
        for j in 0..n {
            let hj = self.hh(K_PROJECT, j, 1);
            let (name, parent, description) = if j == 0 {
                (
                    "default".to_string(),
                    None,
                    "The default project that was automatically created by Tableau.".to_string(),
                )
            } else {
                let cand = ((hj >> 8) % j as u64) as usize;
                let parent = if j < 4 || hj.is_multiple_of(3) || depth[cand] >= 4 {
                    None
                } else {
                    depth[j] = depth[cand] + 1;
                    Some(cand)
                };
                let used = siblings.entry(parent).or_default();
                let base = names::PROJECTS[(offset + j) % names::PROJECTS.len()];
                let mut name = base.to_string();
                let mut k = 2;
                while used.contains(&name) {
                    name = format!("{base} ({k})");
                    k += 1;
                }
                let name = names::fit(name, self.spec.max_name_chars, j);
                let desc = if hj.is_multiple_of(4) {
                    String::new()
                } else {
                    format!("Project for {name}.")
                };
                (name, parent, desc)
            };
            siblings.entry(parent).or_default().insert(name.clone());
            let (created_at, updated_at) = self.times(K_PROJECT, j);
            let id = luid(self.seed, K_PROJECT, j as u64);
            self.project_ids.insert(id.clone(), j);
            if let Some(p) = parent {
                *self
                    .children
                    .entry(luid(self.seed, K_PROJECT, p as u64))
                    .or_default() += 1;
            }
            self.projects.push(Project {
                id,
                name,
                description,
                parent_id: parent.map(|p| luid(self.seed, K_PROJECT, p as u64)),
                owner_id: self.user_id(if j == 0 {
                    0
                } else {
                    ((hj >> 20) % self.spec.users as u64) as usize
                }),
                created_at,
                updated_at,
                content_permissions: [
                    "ManagedByOwner",
                    "ManagedByOwner",
                    "LockedToProject",
                    "LockedToProjectWithoutNested",
                ][((hj >> 28) % 4) as usize],
            });
        }
    }

    fn pick_size(&self, hv: u64) -> u64 {
        let (min, max) = (self.spec.sizes.min.max(1), self.spec.sizes.max);
        if max <= min {
            return min;
        }
        let u = (hv >> 11) as f64 / (1u64 << 53) as f64;
        let (a, b) = ((min as f64).ln(), (max as f64).ln());
        ((a + u * (b - a)).exp() as u64).clamp(min, max)
    }

    fn sheet_count(&self, wb: usize) -> usize {
        1 + ((self.hh(K_WORKBOOK, wb, 1) >> 32) % 8) as usize
    }

    fn view(&self, wb: usize, sheet: usize, wb_url: &str) -> ViewRef {
        let name = names::fit(
            names::VIEWS[sheet % names::VIEWS.len()].to_string(),
            self.spec.max_name_chars,
            sheet,
        );
        ViewRef {
            id: luid(self.seed, K_VIEW, (wb * 256 + sheet) as u64),
            content_url: format!("{wb_url}/sheets/{}", names::slug(&name)),
            name,
        }
    }
}

impl Source for GeneratedSite {
    fn info(&self) -> &SiteInfo {
        &self.info
    }

    fn count(&self, k: ListKind) -> usize {
        let s = &self.spec;
        match k {
            ListKind::Projects => self.projects.len(),
            ListKind::Users => s.users,
            ListKind::Groups => s.groups,
            ListKind::Workbooks => s.workbooks,
            ListKind::Datasources => s.datasources,
            ListKind::Flows => s.flows,
            ListKind::Subscriptions => s.subscriptions,
            ListKind::CustomViews => s.custom_views,
            ListKind::VirtualConnections => s.virtual_connections,
            ListKind::Tasks => s.extract_refresh_tasks,
        }
    }

    fn project(&self, i: usize) -> Project {
        self.projects[i].clone()
    }

    fn user(&self, i: usize) -> User {
        let hu = self.hh(K_USER, i, 1);
        let (created, _) = self.times(K_USER, i);
        let ext_id: String = (0..4)
            .map(|k| format!("{:016x}", self.hh(K_USER, i, 10 + k)))
            .collect();
        if i == 0 {
            return User {
                id: self.user_id(0),
                name: names::fit(self.owner_name.clone(), self.spec.max_name_chars, 0),
                full_name: names::cut("Backup Bot".to_string(), self.spec.max_name_chars),
                email: self.owner_name.clone(),
                site_role: "SiteAdministratorCreator",
                auth_setting: "TableauIDWithMFA",
                last_login: Some(iso(T1)),
                external_auth_user_id: ext_id,
                language: "en",
                locale: "",
                domain: "TABID_WITH_MFA",
            };
        }
        let (fd, fa) = names::FIRST[(hu % names::FIRST.len() as u64) as usize];
        let (ld, la) = names::LAST[((hu >> 8) % names::LAST.len() as u64) as usize];
        let email = format!("{fa}.{la}{i}@example.com");
        let name = names::fit(email.clone(), self.spec.max_name_chars, i);
        let (language, locale) =
            [("en", ""), ("fr", "fr_FR"), ("ja", "ja_JP"), ("de", "de_DE")][((hu >> 40) % 4) as usize];
        User {
            id: self.user_id(i),
            email,
            name,
            full_name: names::cut(format!("{fd} {ld}"), self.spec.max_name_chars),
            site_role: names::SITE_ROLES[((hu >> 16) % names::SITE_ROLES.len() as u64) as usize],
            auth_setting: if (hu >> 24).is_multiple_of(5) {
                "SAML"
            } else {
                "TableauIDWithMFA"
            },
            last_login: (!(hu >> 28).is_multiple_of(6)).then_some(created),
            external_auth_user_id: ext_id,
            language,
            locale,
            domain: "TABID_WITH_MFA",
        }
    }

    fn group(&self, i: usize) -> Group {
        let name = if i == 0 {
            "All Users".to_string()
        } else {
            names::fit(
                names::nth(names::GROUPS, (self.seed % 7) as usize, i - 1),
                self.spec.max_name_chars,
                i,
            )
        };
        Group {
            id: luid(self.seed, K_GROUP, i as u64),
            name,
            domain: "local",
            minimum_site_role: (i > 0 && i.is_multiple_of(5)).then_some("Viewer"),
        }
    }

    fn members(&self, g: usize) -> Members {
        let u = self.spec.users;
        if g == 0 {
            return Members::Walk {
                start: 0,
                step: 1,
                count: u,
                modulus: u,
            };
        }
        let hg = self.hh(K_GROUP, g, 2);
        let avg = self.spec.group_members;
        let count = ((hg % (2 * avg as u64 + 1)) as usize).min(u);
        let mut step = ((hg >> 24) % u as u64) as usize | 1;
        while gcd(step, u) != 1 {
            step += 1;
        }
        Members::Walk {
            start: ((hg >> 8) % u as u64) as usize,
            step,
            count,
            modulus: u,
        }
    }

    fn content(&self, kind: ContentKind, i: usize) -> ContentItem {
        let code = content_code(kind);
        let np = self.projects.len();
        let (p, k) = (i % np, i / np);
        let hc = self.hh(code, i, 1);
        // Unique within a project (k differs), repeated across projects.
        let shift = (self.hh(K_PROJECT, p, code as u64) % names::CONTENT.len() as u64) as usize;
        let name = names::fit(
            names::nth(names::CONTENT, 0, k + shift),
            self.spec.max_name_chars,
            i,
        );
        let content_url = format!("{}_{i}", names::slug(&name));
        let big = kind != ContentKind::Flow && i < self.spec.sizes.big_items;
        let size = if big {
            self.spec.sizes.big_size
        } else {
            self.pick_size(self.hh(code, i, 2))
        };
        let bit = |shift: u32, m: u64| (hc >> shift) % m;
        let ds_type = if kind == ContentKind::Datasource {
            names::DS_TYPES[bit(36, names::DS_TYPES.len() as u64) as usize]
        } else {
            ""
        };
        let (has_extracts, ext, ext_no) = match kind {
            ContentKind::Workbook => {
                let extract = big || bit(20, 10) < 6;
                let packaged = extract || bit(24, 2) == 0;
                let ext = if packaged { "twbx" } else { "twb" };
                (extract, ext, ext)
            }
            ContentKind::Datasource => {
                let extract = big || matches!(ds_type, "hyper" | "dataengine") || bit(20, 10) < 4;
                let fb = names::file_based(ds_type);
                let ext = if extract || fb { "tdsx" } else { "tds" };
                (extract, ext, if fb { "tdsx" } else { "tds" })
            }
            ContentKind::Flow => {
                let ext = if bit(20, 3) != 0 { "tflx" } else { "tfl" };
                (false, ext, ext)
            }
        };
        let size_no = if has_extracts { size / 10 } else { size };
        let files = Files {
            ext,
            size: size.max(Generator::min_len(ext)),
            ext_no_extract: ext_no,
            size_no_extract: size_no.max(Generator::min_len(ext_no)),
            payload: Payload::Generated {
                key: self.hh(code, i, 7),
                key_no_extract: self.hh(code, i, 8),
            },
        };
        let ntags = bit(12, 4) as usize;
        let tags = (0..ntags)
            .map(|t| names::TAGS[((hc >> 16) as usize + t * 3) % names::TAGS.len()].to_string())
            .collect();
        let description = match bit(44, 4) {
            0 | 1 => String::new(),
            2 => format!("About {name}."),
            _ => "Numbers & <notes>\nsecond line — ünïcode".to_string(),
        };
        let views = if kind == ContentKind::Workbook {
            (0..self.sheet_count(i))
                .map(|s| self.view(i, s, &content_url))
                .collect()
        } else {
            Vec::new()
        };
        let (created_at, updated_at) = self.times(code, i);
        let is_certified = kind == ContentKind::Datasource && bit(48, 5) == 0;
        ContentItem {
            kind,
            id: luid(self.seed, code, i as u64),
            name,
            description,
            content_url,
            web_num: 100_000 * code as u64 + i as u64,
            project_id: self.projects[p].id.clone(),
            owner_id: self.user_id((bit(8, self.spec.users as u64)) as usize),
            created_at,
            updated_at,
            tags,
            has_extracts,
            encrypt_extracts: false,
            show_tabs: bit(40, 2) == 0,
            views,
            ds_type,
            is_certified,
            certification_note: if is_certified {
                "Certified by the data team".to_string()
            } else {
                String::new()
            },
            files,
        }
    }

    fn subscription(&self, i: usize) -> Subscription {
        let hs = self.hh(K_SUBSCRIPTION, i, 1);
        let u = (hs % self.spec.users as u64) as usize;
        let wb = ((hs >> 8) % self.spec.workbooks as u64) as usize;
        let is_view = !(hs >> 16).is_multiple_of(3);
        let content_id = if is_view {
            luid(self.seed, K_VIEW, (wb * 256) as u64)
        } else {
            luid(self.seed, K_WORKBOOK, wb as u64)
        };
        Subscription {
            id: luid(self.seed, K_SUBSCRIPTION, i as u64),
            subject: names::nth(names::SUBJECTS, 0, i),
            message: if (hs >> 20).is_multiple_of(2) {
                String::new()
            } else {
                "Here is your report.".to_string()
            },
            attach_image: (hs >> 21).is_multiple_of(2),
            attach_pdf: (hs >> 22).is_multiple_of(2),
            suspended: (hs >> 23).is_multiple_of(7),
            page_orientation: ["PORTRAIT", "LANDSCAPE"][((hs >> 26) % 2) as usize],
            page_size_option: ["LETTER", "A4", "A5", "LEGAL"][((hs >> 27) % 4) as usize],
            content_id,
            content_type: if is_view { "View" } else { "Workbook" },
            send_if_view_empty: (hs >> 30).is_multiple_of(2),
            schedule: schedule(self.hh(K_SUBSCRIPTION, i, 2)),
            user_id: self.user_id(u),
            user_name: self.user(u).name,
        }
    }

    fn custom_view(&self, i: usize) -> CustomView {
        let hc = self.hh(K_CUSTOM_VIEW, i, 1);
        let wb = (hc % self.spec.workbooks as u64) as usize;
        let w = self.content(ContentKind::Workbook, wb);
        let view = w.views[((hc >> 8) % w.views.len() as u64) as usize].clone();
        let owner = self.user(((hc >> 16) % self.spec.users as u64) as usize);
        let (created_at, updated_at) = self.times(K_CUSTOM_VIEW, i);
        CustomView {
            id: luid(self.seed, K_CUSTOM_VIEW, i as u64),
            name: names::fit(
                format!("{} — {}", view.name, names::nth(names::TAGS, 0, i)),
                self.spec.max_name_chars,
                i,
            ),
            created_at,
            last_accessed_at: updated_at.clone(),
            updated_at,
            shared: (hc >> 24).is_multiple_of(2),
            view,
            workbook_id: w.id,
            workbook_name: w.name,
            owner_id: owner.id,
            owner_name: owner.name,
        }
    }

    fn task(&self, i: usize) -> Task {
        let ht = self.hh(K_TASK, i, 1);
        let (w, d) = (self.spec.workbooks, self.spec.datasources);
        let target = if d > 0 && (w == 0 || !ht.is_multiple_of(3)) {
            ("datasource", luid(self.seed, K_DATASOURCE, (ht >> 8) % d as u64))
        } else {
            ("workbook", luid(self.seed, K_WORKBOOK, (ht >> 8) % w as u64))
        };
        Task {
            id: luid(self.seed, K_TASK, i as u64),
            priority: 50,
            consecutive_failed: ((ht >> 40) % 3) as u32,
            task_type: ["FullRefresh", "FullRefresh", "IncrementalRefresh"][((ht >> 44) % 3) as usize],
            schedule: schedule(self.hh(K_TASK, i, 2)),
            target,
        }
    }

    fn vconn(&self, i: usize) -> VirtualConnection {
        let hv = self.hh(K_VCONN, i, 1);
        let (created_at, updated_at) = self.times(K_VCONN, i);
        let content = format!(
            "{{\"policyCollection\":{{\"luid\":\"{}\",\"policies\":[]}},\"revision\":{{\"luid\":\"{}\",\"revisableProperties\":{{}}}},\"tables\":[{{\"name\":\"orders_{i}\",\"schema\":\"public\"}}]}}",
            luid(self.seed, K_MISC, 2 * i as u64),
            luid(self.seed, K_MISC, 2 * i as u64 + 1)
        );
        VirtualConnection {
            id: luid(self.seed, K_VCONN, i as u64),
            name: names::fit(names::nth(names::VCONNS, 0, i), self.spec.max_name_chars, i),
            created_at,
            updated_at,
            has_extracts: (hv >> 8).is_multiple_of(4),
            is_certified: (hv >> 12).is_multiple_of(2),
            web_num: i as u64 + 1,
            project_id: self.projects[(hv % self.projects.len() as u64) as usize]
                .id
                .clone(),
            owner_id: self.user_id(((hv >> 16) % self.spec.users as u64) as usize),
            content,
        }
    }

    fn favorites(&self, u: usize) -> Vec<FavRef> {
        let avg = self.spec.favorites_per_user as u64;
        if avg == 0 {
            return Vec::new();
        }
        let hu = self.hh(K_USER, u, 3);
        let n = (hu % (2 * avg + 1)) as usize;
        let s = &self.spec;
        let mut out = Vec::with_capacity(n);
        for t in 0..n {
            let pick = |count: usize| ((hu >> 16) as usize + t / 5) % count;
            let r = match ((hu >> 8) as usize + t) % 5 {
                0 if s.workbooks > 0 => FavRef::Content(ContentKind::Workbook, pick(s.workbooks)),
                1 if s.datasources > 0 => FavRef::Content(ContentKind::Datasource, pick(s.datasources)),
                2 if s.flows > 0 => FavRef::Content(ContentKind::Flow, pick(s.flows)),
                3 if s.workbooks > 0 => FavRef::View(pick(s.workbooks), 0),
                4 => FavRef::Project(pick(self.projects.len())),
                _ => continue,
            };
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }

    fn find(&self, k: ListKind, id: &str) -> Option<usize> {
        if k == ListKind::Projects {
            return self.project_ids.get(id).copied();
        }
        let code = match k {
            ListKind::Users => K_USER,
            ListKind::Groups => K_GROUP,
            ListKind::Workbooks => K_WORKBOOK,
            ListKind::Datasources => K_DATASOURCE,
            ListKind::Flows => K_FLOW,
            ListKind::Subscriptions => K_SUBSCRIPTION,
            ListKind::CustomViews => K_CUSTOM_VIEW,
            ListKind::VirtualConnections => K_VCONN,
            ListKind::Tasks => K_TASK,
            ListKind::Projects => unreachable!(),
        };
        let (c, idx) = luid_parts(self.seed, id)?;
        let idx = usize::try_from(idx).ok()?;
        (c == code && idx < self.count(k) && luid(self.seed, code, idx as u64) == id).then_some(idx)
    }

    fn view_count(&self, wb: usize) -> usize {
        self.sheet_count(wb)
    }

    fn view_ref(&self, wb: usize, sheet: usize) -> ViewRef {
        let w = self.content(ContentKind::Workbook, wb);
        w.views[sheet.min(w.views.len() - 1)].clone()
    }

    // Content item i lives in project i % projects.
    fn content_in_project(&self, k: ContentKind, p: &str) -> Vec<usize> {
        let Some(&pi) = self.project_ids.get(p) else {
            return Vec::new();
        };
        (pi..self.count(k.list())).step_by(self.projects.len()).collect()
    }

    fn content_stats(&self, k: ContentKind, p: &str) -> (usize, usize) {
        let idx = self.content_in_project(k, p);
        let views = match k {
            ContentKind::Workbook => idx.iter().map(|&i| self.sheet_count(i)).sum(),
            _ => 0,
        };
        (idx.len(), views)
    }

    fn child_projects(&self, p: &str) -> usize {
        self.children.get(p).copied().unwrap_or(0)
    }
}

/// A Tableau Cloud inline schedule chosen by `hv`.
pub(crate) fn schedule(hv: u64) -> Schedule {
    let day = names::WEEKDAYS[((hv >> 8) % 7) as usize];
    let start = format!("{:02}:{:02}:00", (hv >> 12) % 24, (hv >> 20) % 12 * 5);
    let next = iso(T1 + 86_400 + ((hv >> 24) % (7 * 86_400 / 300) * 300) as i64);
    let (frequency, end, intervals) = match hv % 4 {
        0 => (
            "Hourly",
            Some("23:00:00".to_string()),
            vec![
                ("hours", "1".to_string()),
                ("weekDay", day.to_string()),
                ("weekDay", "Friday".to_string()),
            ],
        ),
        1 => (
            "Daily",
            None,
            vec![("hours", "24".to_string()), ("weekDay", day.to_string())],
        ),
        2 => ("Weekly", None, vec![("weekDay", day.to_string())]),
        _ => (
            "Monthly",
            None,
            vec![("monthDay", ((hv >> 32) % 28 + 1).to_string())],
        ),
    };
    Schedule {
        frequency,
        next_run_at: next,
        start,
        end,
        intervals,
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}
