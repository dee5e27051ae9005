//! Walking a paginated list page by page, de-duplicated by `id`.
//!
//! Tableau's paging is offset-based and not a snapshot: items can shift between
//! pages while we walk (an item deleted on a page already read makes a later one
//! slide back unseen), `totalAvailable` can overstate what is really returned,
//! and the page after the real end answers `400006`. So lists are read in a stable
//! sort where Tableau has one, and every read (pass) is checked when it ends; see
//! [`settle`].

use std::collections::HashSet;

use serde_json::Value;

use super::client::Client;
use super::http::ApiError;
use super::json::{lenient_string, take_collection, Pagination};

/// Code Tableau returns for a page number past the end of the list.
const INVALID_PAGE_NUMBER: &str = "400006";

/// Asks for every field, not Tableau's default set.
const ALL_FIELDS: &str = "fields=_all_";

/// Reads of one list at most: the first and two re-reads.
pub const MAX_PASSES: u32 = 3;

/// What to do once a pass over a list has ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Settle {
    /// Nothing that is still listed was missed.
    Done,
    /// Read the list again; items already seen are not returned twice.
    Reread,
    /// Still short after the last re-read: why, in words.
    Short(String),
}

/// Judges pass `pass` from the `totalAvailable` of each of its pages, the distinct
/// ids it returned and how many of those no earlier pass had.
///
/// A pass is trusted when its pages agree on the total and it returned at least that
/// many ids: comparing with the final total alone is not enough, since deleting K
/// items on a page already read lowers it by K while K others slide by unseen. A
/// re-read with steady totals that brings nothing new is trusted too (the server
/// overstates `totalAvailable`, as Tableau does). Lists without totals are trusted.
pub fn settle(pass: u32, totals: &[u64], distinct: usize, fresh: usize) -> Settle {
    let (Some(&first), Some(&last)) = (totals.first(), totals.last()) else {
        return Settle::Done;
    };
    let steady = totals.iter().all(|t| *t == first);
    if (steady && distinct as u64 >= last) || (pass > 1 && steady && fresh == 0) {
        return Settle::Done;
    }
    if pass < MAX_PASSES {
        return Settle::Reread;
    }
    Settle::Short(format!(
        "the list changed while it was read: {pass} reads, the last returned {distinct} \
         items for a totalAvailable of {last} (per page: {totals:?})"
    ))
}

/// The page after `requested`, or `None` when the list is done.
///
/// Stops on an empty page, on a response without a pagination block (a single
/// page), and once `requested * pageSize >= totalAvailable`. The requested page
/// number is used (not the echoed one) so a server that ignores `pageNumber`
/// cannot keep us walking forever. Without `totalAvailable`, continues only while
/// pages are full and bring new items.
pub fn next_page(
    requested: u32,
    requested_size: u32,
    pagination: Option<&Pagination>,
    items_on_page: usize,
    new_items: usize,
) -> Option<u32> {
    if items_on_page == 0 {
        return None;
    }
    let pagination = pagination?;
    let size = pagination
        .page_size
        .filter(|s| *s > 0)
        .unwrap_or(u64::from(requested_size));
    let more = match pagination.total_available {
        Some(total) => u64::from(requested).saturating_mul(size) < total,
        None => items_on_page as u64 >= size && new_items > 0,
    };
    if more {
        requested.checked_add(1)
    } else {
        None
    }
}

/// Whether a page-2+ error just means "no more pages".
pub fn is_end_of_list(page: u32, err: &ApiError) -> bool {
    page > 1 && err.code() == Some(INVALID_PAGE_NUMBER)
}

/// Whether an error is the 400 of a server that does not take a request parameter.
pub fn refuses_fields(err: &ApiError) -> bool {
    err.status() == Some(400) && err.code() != Some(INVALID_PAGE_NUMBER)
}

/// The identity of a list item: its `key` field (`id`, or `revisionNumber`
/// for revisions), a string or a number.
fn identity(item: &Value, key: &str) -> Option<String> {
    item.get(key).and_then(lenient_string)
}

/// Keeps the first occurrence of each id; items without one are kept.
#[derive(Default)]
pub struct Dedup {
    seen: HashSet<String>,
}

impl Dedup {
    pub fn retain_new_by(&mut self, items: Vec<Value>, key: &str) -> Vec<Value> {
        items
            .into_iter()
            .filter(|item| match identity(item, key) {
                Some(id) => self.seen.insert(id.to_string()),
                None => true,
            })
            .collect()
    }
}

/// One list endpoint, read a page at a time.
pub struct Pager<'a> {
    client: &'a Client,
    endpoint: String,
    path: String,
    outer: &'static str,
    inner: &'static str,
    page_size: u32,
    paged: bool,
    /// `fields=_all_` is sent (until the server refuses it).
    all_fields: bool,
    /// Why `fields=_all_` was dropped, once the server refused it.
    refused: Option<String>,
    /// `sort=` value sent (until the server refuses it).
    sort: Option<&'static str>,
    next: Option<u32>,
    dedup: Dedup,
    /// The field that identifies an item (`id`).
    id_key: &'static str,
    /// The current read of the list, from 1.
    pass: u32,
    /// Distinct ids, `totalAvailable` of each page, and ids new to the list, of this pass.
    pass_ids: HashSet<String>,
    pass_totals: Vec<u64>,
    pass_fresh: usize,
    /// Set when the list was still short after the last re-read.
    shortfall: Option<String>,
}

impl<'a> Pager<'a> {
    /// `path` is relative to the site (`groups/{id}/users`); `endpoint` names it in errors.
    pub fn new(
        client: &'a Client,
        endpoint: impl Into<String>,
        path: impl Into<String>,
        (outer, inner): (&'static str, &'static str),
        page_size: u32,
    ) -> Pager<'a> {
        Pager {
            client,
            endpoint: endpoint.into(),
            path: path.into(),
            outer,
            inner,
            page_size,
            paged: true,
            all_fields: false,
            refused: None,
            sort: None,
            next: Some(1),
            dedup: Dedup::default(),
            id_key: "id",
            pass: 1,
            pass_ids: HashSet::new(),
            pass_totals: Vec::new(),
            pass_fresh: 0,
            shortfall: None,
        }
    }

    /// For endpoints that return everything at once and take no paging parameters.
    pub fn unpaged(mut self) -> Self {
        self.paged = false;
        self
    }

    /// Ask for every field (`fields=_all_`); a 400 to the first page drops it
    /// once and the list goes on with Tableau's default set (see [`Pager::refused`]).
    pub fn all_fields(mut self, on: bool) -> Self {
        self.all_fields = on;
        self
    }

    /// Items are identified by this field instead of `id` (`revisionNumber`).
    pub fn keyed_by(mut self, key: &'static str) -> Self {
        self.id_key = key;
        self
    }

    /// Page in this stable order (`createdAt:asc`); a 400 to the first page drops it.
    pub fn sorted(mut self, sort: &'static str) -> Self {
        self.sort = Some(sort);
        self
    }

    /// Why the list may still miss items after its re-reads (see [`settle`]).
    pub fn shortfall(&self) -> Option<&str> {
        self.shortfall.as_deref()
    }

    /// The endpoint's name in errors and logs.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Why `fields=_all_` was dropped, if the server refused it.
    pub fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    fn url(&self, page: u32) -> String {
        let mut params = Vec::new();
        if self.all_fields {
            params.push(ALL_FIELDS.to_string());
        }
        if let Some(sort) = self.sort {
            params.push(format!("sort={sort}"));
        }
        if self.paged {
            params.push(format!("pageSize={}&pageNumber={page}", self.page_size));
        }
        if params.is_empty() {
            return self.path.clone();
        }
        let sep = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{sep}{}", self.path, params.join("&"))
    }

    /// The next page's new items, or `None` once the list is done (re-reads included).
    pub async fn next_page(&mut self) -> Result<Option<Vec<Value>>, ApiError> {
        loop {
            let Some(page) = self.next else {
                return Ok(None);
            };
            let mut body = match self.fetch(page).await {
                Ok(body) => body,
                Err(e) if is_end_of_list(page, &e) => {
                    self.end_pass();
                    continue;
                }
                Err(e) => {
                    self.next = None;
                    return Err(e);
                }
            };
            let pagination = Pagination::from_body(&body);
            let items = take_collection(&mut body, self.outer, self.inner);
            let on_page = items.len();
            if let Some(total) = pagination.and_then(|p| p.total_available) {
                self.pass_totals.push(total);
            }
            for item in &items {
                if let Some(id) = identity(item, self.id_key) {
                    self.pass_ids.insert(id.to_string());
                }
            }
            let fresh = self.dedup.retain_new_by(items, self.id_key);
            self.pass_fresh += fresh.len();
            self.next = if self.paged {
                next_page(page, self.page_size, pagination.as_ref(), on_page, fresh.len())
            } else {
                None
            };
            if self.next.is_none() {
                self.end_pass();
            }
            return Ok(Some(fresh));
        }
    }

    /// One page; a 400 to the first page drops `fields=_all_`, then the sort.
    async fn fetch(&mut self, page: u32) -> Result<Value, ApiError> {
        let mut result = self.client.get_json(&self.endpoint, &self.url(page)).await;
        while let Err(e) = &result {
            if page != 1 || self.pass != 1 || !refuses_fields(e) {
                break;
            }
            if self.all_fields && self.refused.is_none() {
                crate::host::warn(format!(
                    "{}: the server refused fields=_all_ ({e}); listing Tableau's default fields",
                    self.endpoint
                ));
                self.refused = Some(e.to_string());
                self.all_fields = false;
            } else if self.sort.is_some() {
                crate::host::warn(format!(
                    "{}: the server refused the sort ({e}); unsorted",
                    self.endpoint
                ));
                self.sort = None;
                // It may have been the sort all along: ask for every field again.
                if self.refused.take().is_some() {
                    self.all_fields = true;
                }
            } else if self.all_fields {
                self.refused = Some(e.to_string());
                self.all_fields = false;
            } else {
                break;
            }
            result = self.client.get_json(&self.endpoint, &self.url(page)).await;
        }
        result
    }

    /// A pass is over: done, read again, or short (see [`settle`]).
    fn end_pass(&mut self) {
        self.next = None;
        if !self.paged {
            return;
        }
        match settle(self.pass, &self.pass_totals, self.pass_ids.len(), self.pass_fresh) {
            Settle::Done => {}
            Settle::Reread => {
                crate::host::warn(format!(
                    "{}: read {} items for a totalAvailable of {:?}; the list changed while it \
                     was read, reading it again",
                    self.endpoint,
                    self.pass_ids.len(),
                    self.pass_totals
                ));
                self.pass += 1;
                self.pass_ids.clear();
                self.pass_totals.clear();
                self.pass_fresh = 0;
                self.next = Some(1);
            }
            Settle::Short(why) => {
                crate::host::warn(format!("{}: {why}", self.endpoint));
                self.shortfall = Some(why);
            }
        }
    }

    /// Every remaining item (for lists that are small or needed whole).
    pub async fn collect_all(mut self) -> Result<Vec<Value>, ApiError> {
        let mut all = Vec::new();
        while let Some(page) = self.next_page().await? {
            all.extend(page);
        }
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(number: u64, size: u64, total: u64) -> Pagination {
        Pagination {
            page_number: Some(number),
            page_size: Some(size),
            total_available: Some(total),
        }
    }

    #[test]
    fn page_math() {
        assert_eq!(next_page(1, 100, Some(&p(1, 100, 158)), 100, 100), Some(2));
        assert_eq!(next_page(2, 100, Some(&p(2, 100, 158)), 58, 58), None);
        assert_eq!(next_page(1, 100, Some(&p(1, 100, 100)), 100, 100), None);
        assert_eq!(next_page(1, 100, Some(&p(1, 100, 0)), 0, 0), None);
        // Empty page ends the list even if totalAvailable says otherwise.
        assert_eq!(next_page(4, 100, Some(&p(4, 100, 409)), 0, 0), None);
        // No pagination block: a single page.
        assert_eq!(next_page(1, 100, None, 100, 100), None);
        // A server that clamps the page size: its size counts.
        assert_eq!(next_page(1, 1000, Some(&p(1, 100, 150)), 100, 100), Some(2));
        // A server that ignores pageNumber still terminates.
        assert_eq!(next_page(2, 100, Some(&p(1, 100, 200)), 100, 0), None);
        // No totalAvailable: continue while pages are full and new.
        let no_total = Pagination {
            page_number: Some(1),
            page_size: Some(10),
            total_available: None,
        };
        assert_eq!(next_page(1, 10, Some(&no_total), 10, 10), Some(2));
        assert_eq!(next_page(2, 10, Some(&no_total), 10, 0), None);
        assert_eq!(next_page(3, 10, Some(&no_total), 7, 7), None);
    }

    #[test]
    fn passes_settle_only_when_nothing_still_listed_was_missed() {
        // Deleting 3 on page 1 after page 2: the final total matches what was seen,
        // yet 3 items slid by unseen; the totals changed, so read again.
        assert_eq!(settle(1, &[250, 250, 247], 247, 247), Settle::Reread);
        // The re-read: steady totals, everything there.
        assert_eq!(settle(2, &[247, 247, 247], 247, 3), Settle::Done);
        assert_eq!(settle(1, &[23, 23, 23, 23], 23, 23), Settle::Done);
        // Short with steady totals: read again; a re-read bringing nothing new means
        // the server overstates its total.
        assert_eq!(settle(1, &[32, 32], 23, 23), Settle::Reread);
        assert_eq!(settle(2, &[32, 32], 23, 0), Settle::Done);
        // Still changing after the last re-read: short.
        assert!(matches!(settle(3, &[30, 29], 28, 1), Settle::Short(m) if m.contains("3 reads")));
        assert_eq!(settle(1, &[], 5, 5), Settle::Done);
    }

    #[test]
    fn end_of_list() {
        use super::super::http::ApiErrorKind;
        use super::super::json::TableauError;
        let err = ApiError::new(
            "GET users",
            ApiErrorKind::Status {
                status: 400,
                error: Some(TableauError {
                    code: Some("400006".into()),
                    ..Default::default()
                }),
                note: None,
            },
        );
        assert!(is_end_of_list(2, &err));
        assert!(!is_end_of_list(1, &err));
    }

    #[test]
    fn dedup_by_id() {
        let mut d = Dedup::default();
        let first = d.retain_new_by(vec![json!({"id":"a"}), json!({"id":"b"})], "id");
        assert_eq!(first.len(), 2);
        let second = d.retain_new_by(vec![json!({"id":"b"}), json!({"id":"c"}), json!({"x":1})], "id");
        assert_eq!(second, vec![json!({"id":"c"}), json!({"x":1})]);
    }
}
