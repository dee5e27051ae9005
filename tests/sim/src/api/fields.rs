//! The `fields` parameter: Tableau's default field set of each list, `_all_`, `_default_`
//! and named fields (`sheetCount`, `owner.email`); an unknown name is a 400.

use super::format::Node;

/// One list's fields, from the captured samples (`*_get.xml` without `fields`,
/// `*_get_all_fields.xml` with `fields=_all_`). Child entries name the attributes kept;
/// `*` keeps the whole child.
pub(crate) struct FieldSet {
    pub attrs: &'static [&'static str],
    pub children: &'static [(&'static str, &'static [&'static str])],
    /// What only `_all_` (or naming it) adds.
    pub extra_attrs: &'static [&'static str],
    pub extra_children: &'static [(&'static str, &'static [&'static str])],
}

const OWNER_ALL: &[&str] = &["email", "fullName", "lastLogin", "name", "siteRole"];

pub(crate) static WORKBOOKS: FieldSet = FieldSet {
    attrs: &[
        "id",
        "name",
        "description",
        "contentUrl",
        "webpageUrl",
        "showTabs",
        "size",
        "createdAt",
        "updatedAt",
        "encryptExtracts",
        "defaultViewId",
    ],
    children: &[
        ("project", &["id", "name"]),
        ("owner", &["id"]),
        ("tags", &["*"]),
        ("dataAccelerationConfig", &["*"]),
    ],
    extra_attrs: &["sheetCount", "hasExtracts", "shareDescription", "lastPublishedAt"],
    extra_children: &[
        ("project", &["description"]),
        ("location", &["*"]),
        ("owner", OWNER_ALL),
    ],
};

pub(crate) static DATASOURCES: FieldSet = FieldSet {
    attrs: &[
        "id",
        "name",
        "description",
        "contentUrl",
        "type",
        "size",
        "createdAt",
        "updatedAt",
        "encryptExtracts",
        "hasExtracts",
        "isCertified",
        "certificationNote",
        "useRemoteQueryAgent",
        "webpageUrl",
    ],
    children: &[("project", &["id", "name"]), ("owner", &["id"]), ("tags", &["*"])],
    extra_attrs: &[
        "connectedWorkbooksCount",
        "favoritesTotal",
        "hasAlert",
        "isPublished",
        "serverName",
    ],
    extra_children: &[("project", &["description"]), ("owner", OWNER_ALL)],
};

/// No `_all_` sample exists for flows: the extras mirror the other content lists.
pub(crate) static FLOWS: FieldSet = FieldSet {
    attrs: &[
        "id",
        "name",
        "description",
        "webpageUrl",
        "fileType",
        "createdAt",
        "updatedAt",
    ],
    children: &[("project", &["id", "name"]), ("owner", &["id"]), ("tags", &["*"])],
    extra_attrs: &[],
    extra_children: &[
        ("project", &["description"]),
        ("owner", OWNER_ALL),
        ("parameters", &["*"]),
    ],
};

pub(crate) static USERS: FieldSet = FieldSet {
    attrs: &[
        "id",
        "name",
        "siteRole",
        "lastLogin",
        "externalAuthUserId",
        "fullName",
        "email",
    ],
    children: &[],
    extra_attrs: &["authSetting", "locale", "language"],
    extra_children: &[("domain", &["*"])],
};

/// Members of a group (`group_populate_users.xml`).
pub(crate) static GROUP_USERS: FieldSet = FieldSet {
    attrs: &["id", "name", "siteRole", "lastLogin", "externalAuthUserId"],
    children: &[],
    extra_attrs: &["fullName", "email", "authSetting", "locale", "language"],
    extra_children: &[("domain", &["*"])],
};

pub(crate) static GROUPS: FieldSet = FieldSet {
    attrs: &["id", "name", "minimumSiteRole"],
    children: &[("domain", &["*"])],
    extra_attrs: &["userCount"],
    extra_children: &[],
};

pub(crate) static PROJECTS: FieldSet = FieldSet {
    attrs: &[
        "id",
        "name",
        "description",
        "contentPermissions",
        "parentProjectId",
        "controllingPermissionsProjectId",
    ],
    children: &[("owner", &["id"])],
    extra_attrs: &["topLevelProject", "writeable", "createdAt", "updatedAt"],
    extra_children: &[("owner", OWNER_ALL), ("contentsCounts", &["*"])],
};

pub(crate) static VIEWS: FieldSet = FieldSet {
    attrs: &["id", "name", "contentUrl", "createdAt", "updatedAt", "sheetType"],
    children: &[
        ("workbook", &["id"]),
        ("owner", &["id"]),
        ("project", &["id"]),
        ("tags", &["*"]),
    ],
    extra_attrs: &["favoritesTotal", "viewUrlName"],
    extra_children: &[
        ("workbook", &["*"]),
        ("owner", OWNER_ALL),
        ("project", &["name", "description"]),
        ("usage", &["*"]),
        ("location", &["*"]),
    ],
};

/// The fields one request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Selection {
    All,
    Pick(Vec<Keep>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Keep {
    Attr(String),
    Child(String),
    ChildAttr(String, String),
}

/// Whether the `fields` value asks for `_all_`.
pub(crate) fn asks_all(fields: Option<&str>) -> bool {
    fields.is_some_and(|f| f.split(',').any(|t| t.trim() == "_all_"))
}

fn child_attrs<'a>(set: &'a FieldSet, child: &'a str) -> impl Iterator<Item = &'static str> + 'a {
    set.children
        .iter()
        .chain(set.extra_children)
        .filter(move |(c, _)| *c == child)
        .flat_map(|(_, a)| a.iter().copied())
}

impl FieldSet {
    /// The selection for `fields` (absent: `absent`). Err: the first unknown name.
    pub fn select(&self, fields: Option<&str>, absent: Selection) -> Result<Selection, String> {
        let Some(f) = fields else {
            return Ok(absent);
        };
        let mut keep = Vec::new();
        let tokens: Vec<&str> = f.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
        if tokens.is_empty() {
            return Ok(self.default_selection());
        }
        for t in tokens {
            match t {
                "_all_" => return Ok(Selection::All),
                "_default_" => {
                    if let Selection::Pick(d) = self.default_selection() {
                        keep.extend(d);
                    }
                }
                _ => keep.push(self.keep(t).ok_or_else(|| t.to_string())?),
            }
        }
        Ok(Selection::Pick(keep))
    }

    fn keep(&self, t: &str) -> Option<Keep> {
        if let Some((child, attr)) = t.split_once('.') {
            let known = child_attrs(self, child).any(|a| a == "*" || a == attr);
            return known.then(|| Keep::ChildAttr(child.to_string(), attr.to_string()));
        }
        if self.attrs.iter().chain(self.extra_attrs).any(|a| *a == t) {
            return Some(Keep::Attr(t.to_string()));
        }
        child_attrs(self, t).next().map(|_| Keep::Child(t.to_string()))
    }

    /// Tableau's default field set.
    pub fn default_selection(&self) -> Selection {
        let mut keep: Vec<Keep> = self.attrs.iter().map(|a| Keep::Attr(a.to_string())).collect();
        for (c, attrs) in self.children {
            if attrs.contains(&"*") {
                keep.push(Keep::Child(c.to_string()));
            } else {
                keep.extend(
                    attrs
                        .iter()
                        .map(|a| Keep::ChildAttr(c.to_string(), a.to_string())),
                );
            }
        }
        Selection::Pick(keep)
    }
}

impl Selection {
    /// The selection plus a whole child element (e.g. `usage` with
    /// `includeUsageStatistics=true`).
    pub fn with_child(self, name: &str) -> Selection {
        match self {
            Selection::All => Selection::All,
            Selection::Pick(mut k) => {
                k.push(Keep::Child(name.to_string()));
                Selection::Pick(k)
            }
        }
    }

    /// Drop what is not selected from a full (`_all_`) element.
    pub fn prune(&self, mut n: Node) -> Node {
        let Selection::Pick(keep) = self else {
            return n;
        };
        n.attrs
            .retain(|(k, _)| keep.iter().any(|x| matches!(x, Keep::Attr(a) if a == k)));
        n.children.retain_mut(|c| {
            if keep.iter().any(|x| matches!(x, Keep::Child(a) if a == c.name)) {
                return true;
            }
            let attrs: Vec<&str> = keep
                .iter()
                .filter_map(|x| match x {
                    Keep::ChildAttr(ch, a) if ch == c.name => Some(a.as_str()),
                    _ => None,
                })
                .collect();
            if attrs.is_empty() {
                return false;
            }
            c.attrs.retain(|(k, _)| attrs.contains(k));
            c.children.clear();
            true
        });
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wb() -> Node {
        Node::new("workbook")
            .attr("id", "w")
            .attr("name", "n")
            .attr("sheetCount", 3)
            .child(
                Node::new("project")
                    .attr("id", "p")
                    .attr("name", "P")
                    .attr("description", "d"),
            )
            .child(Node::new("owner").attr("id", "u").attr("email", "e"))
            .child(Node::new("location").attr("id", "p"))
            .child(Node::new("tags").child(Node::new("tag").attr("label", "x")))
    }

    #[test]
    fn default_all_and_named() {
        let d = WORKBOOKS.select(None, WORKBOOKS.default_selection()).unwrap();
        let n = d.prune(wb());
        assert_eq!(n.get("sheetCount"), None);
        assert_eq!(n.get("name"), Some("n"));
        assert_eq!(n.find("project").unwrap().get("description"), None);
        assert_eq!(n.find("owner").unwrap().get("email"), None);
        assert!(n.find("location").is_none());
        assert_eq!(n.find("tags").unwrap().children.len(), 1);
        let all = WORKBOOKS.select(Some("_all_"), Selection::All).unwrap();
        assert_eq!(all.prune(wb()).find("owner").unwrap().get("email"), Some("e"));
        let some = WORKBOOKS
            .select(Some("_default_,owner.email,sheetCount"), Selection::All)
            .unwrap()
            .prune(wb());
        assert_eq!(some.get("sheetCount"), Some("3"));
        assert_eq!(some.find("owner").unwrap().get("email"), Some("e"));
        assert!(some.find("location").is_none());
        let only = WORKBOOKS
            .select(Some("id,location"), Selection::All)
            .unwrap()
            .prune(wb());
        assert_eq!(only.attrs.len(), 1);
        assert!(only.find("location").is_some() && only.find("tags").is_none());
        assert_eq!(
            WORKBOOKS.select(Some("_default_,bogus"), Selection::All),
            Err("bogus".into())
        );
        assert_eq!(
            WORKBOOKS.select(Some("owner.bogus"), Selection::All),
            Err("owner.bogus".into())
        );
        assert!(VIEWS.select(Some("workbook.sheetCount"), Selection::All).is_ok());
        assert!(asks_all(Some("id, _all_")) && !asks_all(Some("_default_")));
    }
}
