//! Paginated list responses: `pagination` plus a wrapper of the page's elements, with
//! `filter=`, `sort=`, `fields=`, and the paging-drift and `fields=_all_` faults.

use hyper::StatusCode;

use super::fields::{asks_all, FieldSet, Selection};
use super::format::{Fmt, Node};
use super::{error, ok, query, render, Resp, State};
use crate::site::drift::live_index;

/// One paginated list.
pub(crate) struct List<'a> {
    /// The endpoint's log name ("GET workbooks"), which fault filters match.
    pub endpoint: &'a str,
    /// The list's name for the drift fault ("workbooks"); `None` for lists it never hits.
    pub drift_key: Option<&'a str>,
    pub wrapper: &'static str,
    /// Tableau's field sets; `None`: the list ignores `fields`.
    pub fields: Option<&'static FieldSet>,
    /// Items in the list, removed ones included (`node` is called with list indices).
    pub total: usize,
    /// A child element kept whatever `fields` says.
    pub also: Option<&'static str>,
}

impl<'a> List<'a> {
    pub fn new(endpoint: &'a str, wrapper: &'static str, total: usize) -> Self {
        Self {
            endpoint,
            drift_key: None,
            wrapper,
            fields: None,
            total,
            also: None,
        }
    }

    /// A top-level site list: the drift fault may delete from it.
    pub fn drifting(mut self, key: &'a str) -> Self {
        self.drift_key = Some(key);
        self
    }

    pub fn fields(mut self, set: &'static FieldSet) -> Self {
        self.fields = Some(set);
        self
    }

    /// Keep child `name` whatever `fields` says.
    pub fn also(mut self, name: &'static str) -> Self {
        self.also = Some(name);
        self
    }
}

/// The fields a list request selects, or the 400 Tableau sends for a bad `fields`.
pub(crate) fn selection(
    state: &State,
    q: Option<&str>,
    fmt: Fmt,
    endpoint: &str,
    set: Option<&FieldSet>,
) -> Result<Selection, Box<Resp>> {
    let fields = query::param(q, "fields");
    if asks_all(fields.as_deref()) && state.faults.rejects_all_fields(endpoint) {
        return Err(Box::new(error(
            fmt,
            400,
            "400000",
            "Bad Request",
            "The fields parameter '_all_' is not supported for this request.",
        )));
    }
    let Some(set) = set else {
        return Ok(Selection::All);
    };
    set.select(fields.as_deref(), set.default_selection())
        .map_err(|name| {
            Box::new(error(
                fmt,
                400,
                "400000",
                "Bad Request",
                &format!("Invalid field name '{name}' in the fields parameter."),
            ))
        })
}

/// A paginated list response; `node(i)` renders list index `i` with every field.
pub(crate) fn paged(
    state: &State,
    q: Option<&str>,
    fmt: Fmt,
    list: List,
    node: impl Fn(usize) -> Node,
) -> Resp {
    let page = match query::page(q) {
        Ok(p) => p,
        Err((code, detail)) => return page_error(fmt, code, &detail),
    };
    let conds = match query::filters(q) {
        Ok(c) => c,
        Err(d) => return error(fmt, 400, "400000", "Bad Request", &d),
    };
    let sel = match selection(state, q, fmt, list.endpoint, list.fields) {
        Ok(s) => match list.also {
            Some(c) => s.with_child(c),
            None => s,
        },
        Err(resp) => return *resp,
    };
    let removed = list
        .drift_key
        .map(|k| state.site.removed_indices(k))
        .unwrap_or_default();
    let live = list.total - removed.len().min(list.total);
    // (list index, element) of the page, and of the page-1 items the drift deletes.
    let (items, real, order): (Vec<(usize, Node)>, usize, Vec<usize>) =
        if conds.is_empty() && query::param(q, "sort").is_none() {
            match query::slice(page, live) {
                Ok(r) => {
                    let items = r.map(|p| live_index(p, &removed)).map(|i| (i, node(i))).collect();
                    let first = (0..live.min(page.size))
                        .map(|p| live_index(p, &removed))
                        .collect();
                    (items, live, first)
                }
                Err((code, detail)) => return page_error(fmt, code, &detail),
            }
        } else {
            // Filtering and sorting look at every element; only used when asked for.
            let mut all: Vec<(usize, Node)> = (0..live)
                .map(|p| live_index(p, &removed))
                .map(|i| (i, node(i)))
                .filter(|(_, n)| query::matches(n, &conds))
                .collect();
            query::sort_by_node(&mut all, q, |x| &x.1);
            let len = all.len();
            let first = all.iter().take(page.size).map(|x| x.0).collect();
            match query::slice(page, len) {
                Ok(r) => (all.drain(r).collect(), len, first),
                Err((code, detail)) => return page_error(fmt, code, &detail),
            }
        };
    if let Some(key) = list.drift_key {
        if let Some(n) = state.faults.drift(list.endpoint, key, page.number) {
            drift(state, key, &order[..n.min(order.len())], &node);
        }
    }
    let advertised = real as u64 + state.faults.inflate();
    ok(
        fmt,
        StatusCode::OK,
        &[
            render::pagination(page.number, page.size, advertised),
            Node::new(list.wrapper).children(items.into_iter().map(|(_, n)| sel.prune(n))),
        ],
    )
}

/// Delete these list items (already served on page 1) from the site.
fn drift(state: &State, key: &str, victims: &[usize], node: &impl Fn(usize) -> Node) {
    let ids: Vec<String> = victims
        .iter()
        .filter_map(|&i| node(i).get("id").map(str::to_string))
        .collect();
    state.site.remove(key, victims, ids);
}

pub(crate) fn page_error(fmt: Fmt, code: &str, detail: &str) -> Resp {
    let summary = if code == "400006" {
        "Invalid page number"
    } else {
        "Invalid page size"
    };
    error(fmt, 400, code, summary, detail)
}
