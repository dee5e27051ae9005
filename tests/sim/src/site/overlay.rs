//! What restore-side writes added to or changed in the site's people and metadata, on top
//! of the immutable base: users, groups and members, favorites, subscriptions, custom views
//! (with their published definitions), extract refresh tasks, updated projects and users,
//! view tags, permission rules and hidden views. Content items themselves live in
//! `Store::published` / `Store::overrides`. Lists address added records after the base's
//! (list index `base count + position`), so paging and the drift fault work unchanged.

use std::collections::HashMap;

use super::model::*;
use super::perms::{Grant, Resource};
use super::Site;

#[derive(Default)]
pub(crate) struct Overlay {
    pub users: Vec<User>,
    /// Base users changed by `PUT users/{id}`, by id.
    pub user_overrides: HashMap<String, User>,
    pub groups: Vec<Group>,
    /// Group list index -> user list indices added with `POST groups/{id}/users`.
    pub members: HashMap<usize, Vec<usize>>,
    /// User list index -> favorites added with `PUT favorites/{userId}`.
    pub favorites: HashMap<usize, Vec<(String, FavRef)>>,
    pub subscriptions: Vec<Subscription>,
    pub custom_views: Vec<CustomView>,
    /// Published custom view definitions, byte for byte, by custom view id.
    pub cv_definitions: HashMap<String, bytes::Bytes>,
    pub tasks: Vec<Task>,
    /// Base projects changed by `PUT projects/{id}`, by id.
    pub project_overrides: HashMap<String, Project>,
    /// Tags of views (content items keep theirs in the item).
    pub view_tags: HashMap<String, Vec<String>>,
    /// Explicit rules once a write touched them: the whole rule set of the resource.
    pub grants: HashMap<(Resource, String), Vec<Grant>>,
    /// Default rules once a write touched them, by (project id, canonical type).
    pub default_grants: HashMap<(String, String), Vec<Grant>>,
    /// Workbook id -> names of the views the publish payload marked hidden.
    pub hidden_views: HashMap<String, Vec<String>>,
}

/// A list with base records first, then added ones.
fn pick<T: Clone>(i: usize, base_n: usize, base: impl FnOnce(usize) -> T, added: &[T]) -> T {
    if i < base_n {
        base(i)
    } else {
        added[i - base_n].clone()
    }
}

impl Site {
    pub(crate) fn overlay<T>(&self, f: impl FnOnce(&Overlay) -> T) -> T {
        self.read_store(|s| f(&s.overlay))
    }

    pub(crate) fn overlay_mut<T>(&self, f: impl FnOnce(&mut Overlay) -> T) -> T {
        self.with_store(|s| f(&mut s.overlay))
    }

    pub fn user(&self, i: usize) -> User {
        let n = self.base.count(ListKind::Users);
        self.overlay(|o| {
            let u = pick(i, n, |i| self.base.user(i), &o.users);
            o.user_overrides.get(&u.id).cloned().unwrap_or(u)
        })
    }

    pub fn group(&self, i: usize) -> Group {
        let n = self.base.count(ListKind::Groups);
        self.overlay(|o| pick(i, n, |i| self.base.group(i), &o.groups))
    }

    /// Members of group `g`: the base's, then added ones; "All Users" (group 0) also
    /// holds every added user.
    pub fn members(&self, g: usize) -> Members {
        let n = self.base.count(ListKind::Groups);
        let base_users = self.base.count(ListKind::Users);
        let (extra, added_users) =
            self.overlay(|o| (o.members.get(&g).cloned().unwrap_or_default(), o.users.len()));
        let all_users = g == 0 && added_users > 0;
        if g < n && extra.is_empty() && !all_users {
            return self.base.members(g);
        }
        let mut v: Vec<usize> = if g < n {
            let m = self.base.members(g);
            (0..m.len()).map(|t| m.get(t)).collect()
        } else {
            Vec::new()
        };
        if all_users {
            v.extend(base_users..base_users + added_users);
        }
        v.extend(extra.into_iter().filter(|u| !(all_users && *u >= base_users)));
        Members::List(v)
    }

    pub fn subscription(&self, i: usize) -> Subscription {
        let n = self.base.count(ListKind::Subscriptions);
        self.overlay(|o| pick(i, n, |i| self.base.subscription(i), &o.subscriptions))
    }

    pub fn custom_view(&self, i: usize) -> CustomView {
        let n = self.base.count(ListKind::CustomViews);
        self.overlay(|o| pick(i, n, |i| self.base.custom_view(i), &o.custom_views))
    }

    pub fn task(&self, i: usize) -> Task {
        let n = self.base.count(ListKind::Tasks);
        self.overlay(|o| pick(i, n, |i| self.base.task(i), &o.tasks))
    }

    /// Favorites of user `u` (base ones first), with the label each was added under.
    pub fn favorites(&self, u: usize) -> Vec<(Option<String>, FavRef)> {
        let mut v: Vec<(Option<String>, FavRef)> = if u < self.base.count(ListKind::Users) {
            self.base.favorites(u).into_iter().map(|f| (None, f)).collect()
        } else {
            Vec::new()
        };
        self.overlay(|o| {
            if let Some(extra) = o.favorites.get(&u) {
                v.extend(extra.iter().map(|(l, f)| (Some(l.clone()), *f)));
            }
        });
        v
    }

    /// List index of a user, group, subscription, custom view or task by id (base or
    /// added; `None` once removed).
    pub fn find_index(&self, k: ListKind, id: &str) -> Option<usize> {
        if self.is_removed(id) {
            return None;
        }
        if let Some(i) = self.base.find(k, id) {
            return Some(i);
        }
        let n = self.base.count(k);
        self.overlay(|o| match k {
            ListKind::Users => o.users.iter().position(|x| x.id == id),
            ListKind::Groups => o.groups.iter().position(|x| x.id == id),
            ListKind::Subscriptions => o.subscriptions.iter().position(|x| x.id == id),
            ListKind::CustomViews => o.custom_views.iter().position(|x| x.id == id),
            ListKind::Tasks => o.tasks.iter().position(|x| x.id == id),
            _ => None,
        })
        .map(|p| n + p)
    }

    /// Store a changed project (base ones as an override, created ones in place).
    pub fn put_project(&self, p: Project) {
        let in_base = self.base.find(ListKind::Projects, &p.id).is_some();
        self.with_store(|s| {
            if in_base {
                s.overlay.project_overrides.insert(p.id.clone(), p);
            } else if let Some(slot) = s.projects.iter_mut().find(|x| x.id == p.id) {
                *slot = p;
            }
        })
    }

    /// List index of a workbook, data source or flow (base, then published).
    pub fn content_list_index(&self, k: ContentKind, id: &str) -> Option<usize> {
        if self.is_removed(id) {
            return None;
        }
        if let Some(i) = self.base.find(k.list(), id) {
            return Some(i);
        }
        let n = self.base.count(k.list());
        let kidx = ContentKind::ALL.iter().position(|x| *x == k).unwrap_or(0);
        self.read_store(|s| s.published[kidx].iter().position(|c| c.id == id))
            .map(|p| n + p)
    }

    /// List index of a project (base, then created).
    pub fn project_index(&self, id: &str) -> Option<usize> {
        if self.is_removed(id) {
            return None;
        }
        if let Some(i) = self.base.find(ListKind::Projects, id) {
            return Some(i);
        }
        let n = self.base.count(ListKind::Projects);
        self.read_store(|s| s.projects.iter().position(|p| p.id == id))
            .map(|p| n + p)
    }

    /// A view's tags (views of published workbooks and base ones alike).
    pub fn view_tags(&self, view_id: &str) -> Vec<String> {
        self.overlay(|o| o.view_tags.get(view_id).cloned().unwrap_or_default())
    }

    /// Names of the views a publish marked hidden.
    pub fn hidden_views(&self, workbook_id: &str) -> Vec<String> {
        self.overlay(|o| o.hidden_views.get(workbook_id).cloned().unwrap_or_default())
    }

    /// Remove a content item, project, user, group, subscription, custom view or task by
    /// id, as if it had never existed (404 by id, gone from lists). A project takes its
    /// content and child projects with it, like Tableau. Returns whether it existed.
    pub fn remove_by_id(&self, k: ListKind, id: &str) -> bool {
        let (index, key) = match k {
            ListKind::Workbooks | ListKind::Datasources | ListKind::Flows => {
                let c = k.content().unwrap();
                let Some(i) = (0..self.count(k)).find(|&i| self.content(c, i).id == id) else {
                    return false;
                };
                (i, c.plural())
            }
            ListKind::Projects => {
                let Some(i) = (0..self.count(k)).find(|&i| self.project(i).id == id) else {
                    return false;
                };
                if self.is_removed(id) {
                    return false;
                }
                for c in ContentKind::ALL {
                    for item in self.content_in_project(c, id) {
                        self.remove_by_id(c.list(), &item.id);
                    }
                }
                let children: Vec<String> = (0..self.count(k))
                    .map(|j| self.project(j))
                    .filter(|p| p.parent_id.as_deref() == Some(id))
                    .map(|p| p.id)
                    .collect();
                for ch in children {
                    self.remove_by_id(k, &ch);
                }
                (i, "projects")
            }
            _ => {
                let Some(i) = self.find_index(k, id) else {
                    return false;
                };
                let key = match k {
                    ListKind::Users => "users",
                    ListKind::Groups => "groups",
                    ListKind::Subscriptions => "subscriptions",
                    ListKind::CustomViews => "customViews",
                    ListKind::Tasks => "tasks",
                    _ => return false,
                };
                (i, key)
            }
        };
        if self.is_removed(id) {
            return false;
        }
        let mut ids = vec![id.to_string()];
        if k == ListKind::Workbooks {
            if let Some(w) = self.content_by_id(ContentKind::Workbook, id) {
                ids.extend(w.views.into_iter().map(|v| v.id));
            }
        }
        self.remove(key, &[index], ids);
        true
    }
}
