//! Query parameters: pagination, and `filter=` / `sort=` evaluated on rendered elements.

use std::cmp::Ordering;
use std::ops::Range;

use percent_encoding::percent_decode_str;

use super::format::Node;

/// A decoded query parameter.
pub(crate) fn param(query: Option<&str>, key: &str) -> Option<String> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (decode(k) == key).then(|| decode(v))
    })
}

fn decode(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// Why a page request is rejected: `(code, detail)`, always HTTP 400.
pub(crate) type PageError = (&'static str, String);

#[derive(Clone, Copy, Debug)]
pub(crate) struct Page {
    pub number: usize,
    pub size: usize,
}

pub(crate) const DEFAULT_PAGE_SIZE: usize = 100;
pub(crate) const MAX_PAGE_SIZE: usize = 1000;

pub(crate) fn page(query: Option<&str>) -> Result<Page, PageError> {
    let size = match param(query, "pageSize") {
        None => DEFAULT_PAGE_SIZE,
        Some(s) => match s.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
            _ => {
                return Err((
                    "400007",
                    format!(
                    "The page size '{s}' is not valid. The page size must be between 1 and {MAX_PAGE_SIZE}."
                ),
                ))
            }
        },
    };
    let number = match param(query, "pageNumber") {
        None => 1,
        Some(s) => match s.trim().parse::<usize>() {
            Ok(n) if n >= 1 => n,
            _ => return Err(invalid_page(&s)),
        },
    };
    Ok(Page { number, size })
}

fn invalid_page(n: &str) -> PageError {
    (
        "400006",
        format!("The page number '{n}' is not valid. Page numbers start at 1 and must not exceed the number of pages."),
    )
}

/// The index range of `page` in a list of `len` items (400006 past the end).
pub(crate) fn slice(page: Page, len: usize) -> Result<Range<usize>, PageError> {
    let start = (page.number - 1).saturating_mul(page.size);
    if page.number > 1 && start >= len {
        return Err(invalid_page(&page.number.to_string()));
    }
    Ok(start..(start.saturating_add(page.size)).min(len))
}

/// One `field:op:value` condition.
pub(crate) struct Cond {
    field: String,
    op: String,
    value: String,
}

/// Parse `filter=` (conditions joined by commas outside `[...]`).
pub(crate) fn filters(query: Option<&str>) -> Result<Vec<Cond>, String> {
    let Some(f) = param(query, "filter") else {
        return Ok(Vec::new());
    };
    let mut parts = vec![String::new()];
    let mut depth = 0i32;
    for ch in f.chars() {
        match ch {
            ',' if depth == 0 => {
                parts.push(String::new());
                continue;
            }
            '[' => depth += 1,
            ']' => depth -= 1,
            _ => {}
        }
        parts.last_mut().unwrap().push(ch);
    }
    let mut out = Vec::new();
    for part in parts.iter().filter(|p| !p.is_empty()) {
        let mut it = part.splitn(3, ':');
        match (it.next(), it.next(), it.next()) {
            (Some(field), Some(op), Some(value)) => out.push(Cond {
                field: field.to_string(),
                op: op.to_string(),
                value: value.to_string(),
            }),
            _ => return Err(format!("Invalid filter expression '{part}'.")),
        }
    }
    for c in &out {
        if !matches!(
            c.op.as_str(),
            "eq" | "cieq" | "in" | "gt" | "gte" | "lt" | "lte" | "has"
        ) {
            return Err(format!("Unsupported filter operator '{}'.", c.op));
        }
    }
    Ok(out)
}

/// Values of a field on an element: its attribute, or `prefixSuffix` as `<prefix suffix=..>`
/// (e.g. `projectName`, `ownerEmail`, `workbookId`), or tag labels for `tags`.
fn values<'a>(n: &'a Node, field: &str) -> Vec<&'a str> {
    if field == "tags" || field == "tag" {
        return n
            .find("tags")
            .map(|t| t.children.iter().filter_map(|c| c.get("label")).collect())
            .unwrap_or_default();
    }
    if let Some(v) = n.get(field) {
        return vec![v];
    }
    if let Some(split) = field.rfind(|c: char| c.is_ascii_uppercase()) {
        let (prefix, suffix) = field.split_at(split);
        let suffix = suffix[..1].to_ascii_lowercase() + &suffix[1..];
        if let Some(v) = n.find(prefix).and_then(|c| c.get(&suffix)) {
            return vec![v];
        }
    }
    Vec::new()
}

fn compare(a: &str, b: &str) -> Ordering {
    match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
        _ => a.cmp(b),
    }
}

pub(crate) fn matches(n: &Node, conds: &[Cond]) -> bool {
    conds.iter().all(|c| {
        let vals = values(n, &c.field);
        vals.iter().any(|v| match c.op.as_str() {
            "eq" => *v == c.value,
            "cieq" => v.to_lowercase() == c.value.to_lowercase(),
            "has" => v.to_lowercase().contains(&c.value.to_lowercase()),
            "in" => c
                .value
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .any(|x| x == *v),
            "gt" => compare(v, &c.value) == Ordering::Greater,
            "gte" => compare(v, &c.value) != Ordering::Less,
            "lt" => compare(v, &c.value) == Ordering::Less,
            "lte" => compare(v, &c.value) != Ordering::Greater,
            _ => false,
        })
    })
}

/// Apply `sort=field:asc|desc,...` (stable).
#[cfg(test)]
pub(crate) fn sort(nodes: &mut [Node], query: Option<&str>) {
    sort_by_node(nodes, query, |n| n)
}

/// Apply `sort=field:asc|desc,...` (stable) to items holding an element.
pub(crate) fn sort_by_node<T>(items: &mut [T], query: Option<&str>, node: impl Fn(&T) -> &Node) {
    let Some(s) = param(query, "sort") else {
        return;
    };
    let keys: Vec<(String, bool)> = s
        .split(',')
        .filter(|k| !k.is_empty())
        .map(|k| {
            let (f, dir) = k.split_once(':').unwrap_or((k, "asc"));
            (f.to_string(), dir.eq_ignore_ascii_case("desc"))
        })
        .collect();
    items.sort_by(|a, b| {
        let (a, b) = (node(a), node(b));
        for (f, desc) in &keys {
            let (x, y) = (values(a, f), values(b, f));
            let o = compare(x.first().copied().unwrap_or(""), y.first().copied().unwrap_or(""));
            let o = if *desc { o.reverse() } else { o };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages() {
        let p = page(Some("pageSize=10&pageNumber=3")).unwrap();
        assert_eq!(slice(p, 25).unwrap(), 20..25);
        assert!(slice(p, 20).is_err());
        assert_eq!(slice(page(None).unwrap(), 0).unwrap(), 0..0, "page 1 of nothing");
        assert_eq!(page(Some("pageSize=1001")).unwrap_err().0, "400007");
        assert_eq!(page(Some("pageNumber=0")).unwrap_err().0, "400006");
        assert_eq!(page(Some("pageSize=1000")).unwrap().size, 1000);
    }

    #[test]
    fn filters_and_sort() {
        let n = |name: &str, p: &str, u: &str| {
            Node::new("workbook")
                .attr("name", name)
                .attr("updatedAt", u)
                .child(Node::new("project").attr("name", p))
        };
        let mut v = vec![
            n("b", "X", "2024-01-02"),
            n("a", "Y", "2024-01-03"),
            n("c", "X", "2024-01-01"),
        ];
        let q = Some("filter=projectName:eq:X,updatedAt:gt:2024-01-01&sort=name:desc");
        let f = filters(q).unwrap();
        assert_eq!(v.iter().filter(|x| matches(x, &f)).count(), 1);
        let f = filters(Some("filter=name:in:[a,c]")).unwrap();
        assert_eq!(v.iter().filter(|x| matches(x, &f)).count(), 2);
        sort(&mut v, q);
        assert_eq!(v[0].get("name"), Some("c"));
        assert!(filters(Some("filter=name:like:x")).is_err());
    }
}
