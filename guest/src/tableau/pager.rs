//! Walking a paginated list page by page, de-duplicated by `id`.
//!
//! Tableau's paging is offset-based and not a snapshot: items can shift between
//! pages while we walk, `totalAvailable` can overstate what is really returned,
//! and the page after the real end answers `400006`.

use std::collections::HashSet;

use serde_json::Value;

use super::client::Client;
use super::http::ApiError;
use super::json::{take_collection, Pagination};

/// Code Tableau returns for a page number past the end of the list.
const INVALID_PAGE_NUMBER: &str = "400006";

/// Asks for every field, not Tableau's default set.
const ALL_FIELDS: &str = "fields=_all_";

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

/// Keeps the first occurrence of each `id`; items without a string id are kept.
#[derive(Default)]
pub struct Dedup {
    seen: HashSet<String>,
}

impl Dedup {
    pub fn retain_new(&mut self, items: Vec<Value>) -> Vec<Value> {
        items
            .into_iter()
            .filter(|item| match item.get("id").and_then(Value::as_str) {
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
    next: Option<u32>,
    dedup: Dedup,
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
            next: Some(1),
            dedup: Dedup::default(),
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
        if self.paged {
            params.push(format!("pageSize={}&pageNumber={page}", self.page_size));
        }
        if params.is_empty() {
            return self.path.clone();
        }
        let sep = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{sep}{}", self.path, params.join("&"))
    }

    /// The next page's new items, or `None` once the list is done.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Value>>, ApiError> {
        let Some(page) = self.next else {
            return Ok(None);
        };
        let mut result = self.client.get_json(&self.endpoint, &self.url(page)).await;
        if let Err(e) = &result {
            if self.all_fields && page == 1 && refuses_fields(e) {
                crate::host::warn(format!(
                    "{}: the server refused fields=_all_ ({e}); listing Tableau's default fields",
                    self.endpoint
                ));
                self.refused = Some(e.to_string());
                self.all_fields = false;
                result = self.client.get_json(&self.endpoint, &self.url(page)).await;
            }
        }
        let mut body = match result {
            Ok(body) => body,
            Err(e) if is_end_of_list(page, &e) => {
                self.next = None;
                return Ok(None);
            }
            Err(e) => {
                self.next = None;
                return Err(e);
            }
        };
        let pagination = Pagination::from_body(&body);
        let items = take_collection(&mut body, self.outer, self.inner);
        let on_page = items.len();
        let fresh = self.dedup.retain_new(items);
        self.next = if self.paged {
            next_page(page, self.page_size, pagination.as_ref(), on_page, fresh.len())
        } else {
            None
        };
        Ok(Some(fresh))
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
        let first = d.retain_new(vec![json!({"id":"a"}), json!({"id":"b"})]);
        assert_eq!(first.len(), 2);
        let second = d.retain_new(vec![json!({"id":"b"}), json!({"id":"c"}), json!({"x":1})]);
        assert_eq!(second, vec![json!({"id":"c"}), json!({"x":1})]);
    }
}
