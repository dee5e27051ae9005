//! Lenient reading of Tableau's JSON.
//!
//! Tableau's JSON is its XML translated mechanically: numbers and booleans often
//! arrive as strings, a one-element collection may be an object instead of an
//! array, and an empty one may be `{}`, `null` or missing. Objects themselves are
//! kept exactly as returned; only the collection wrapper is normalised here.

use serde_json::Value;

/// Takes the items of a double-wrapped collection (`{"workbooks":{"workbook":[..]}}`)
/// out of `body`, accepting every shape Tableau is known to send for it.
pub fn take_collection(body: &mut Value, outer: &str, inner: &str) -> Vec<Value> {
    let Some(wrapper) = body.get_mut(outer) else {
        return Vec::new();
    };
    let items = match wrapper.take() {
        // Some endpoints skip the inner level: `{"tasks":[..]}`.
        Value::Array(items) => items,
        Value::Object(mut map) => match map.remove(inner) {
            Some(Value::Array(items)) => items,
            Some(one @ Value::Object(_)) => vec![one],
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    items.into_iter().filter(|v| !v.is_null()).collect()
}

/// A non-negative integer that may be sent as a number or as a string.
pub fn lenient_u64(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f <= u64::MAX as f64)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A string field that may also have been sent as a number or boolean.
pub fn lenient_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// `value[a][b]...` as a lenient string; empty when absent.
pub fn string_at(value: &Value, path: &[&str]) -> String {
    let mut cur = value;
    for key in path {
        match cur.get(key) {
            Some(next) => cur = next,
            None => return String::new(),
        }
    }
    lenient_string(cur).unwrap_or_default()
}

/// The `pagination` block of a list response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pagination {
    pub page_number: Option<u64>,
    pub page_size: Option<u64>,
    pub total_available: Option<u64>,
}

impl Pagination {
    /// `None` when the response has no pagination block (an unpaginated endpoint).
    pub fn from_body(body: &Value) -> Option<Pagination> {
        let p = body.get("pagination")?;
        if !p.is_object() {
            return None;
        }
        Some(Pagination {
            page_number: p.get("pageNumber").and_then(lenient_u64),
            page_size: p.get("pageSize").and_then(lenient_u64),
            total_available: p.get("totalAvailable").and_then(lenient_u64),
        })
    }
}

/// Tableau's error block: `{"error":{"code":"401002","summary":..,"detail":..}}`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TableauError {
    pub code: Option<String>,
    pub summary: Option<String>,
    pub detail: Option<String>,
}

impl TableauError {
    /// Parses an error body, JSON first, then the XML form
    /// (`<error code=".."><summary>..</summary><detail>..</detail></error>`) for servers
    /// that ignore `Accept`. `None` for anything else (HTML from a proxy, empty).
    pub fn parse(body: &[u8]) -> Option<TableauError> {
        if let Ok(v) = serde_json::from_slice::<Value>(body) {
            let e = v.get("error")?;
            let field = |k: &str| {
                e.get(k)
                    .and_then(lenient_string)
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
            };
            let err = TableauError {
                code: field("code"),
                summary: field("summary"),
                detail: field("detail"),
            };
            return (err != TableauError::default()).then_some(err);
        }
        let text = std::str::from_utf8(body).ok()?;
        let start = text.find("<error")?;
        let text = &text[start..];
        let code = text
            .split_once("code=\"")
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(code, _)| code.to_string());
        let tag = |name: &str| {
            let open = format!("<{name}>");
            let close = format!("</{name}>");
            let (_, rest) = text.split_once(open.as_str())?;
            let (inner, _) = rest.split_once(close.as_str())?;
            Some(inner.trim().to_string()).filter(|s| !s.is_empty())
        };
        let err = TableauError {
            code,
            summary: tag("summary"),
            detail: tag("detail"),
        };
        (err != TableauError::default()).then_some(err)
    }

    /// `summary: detail`, or whichever of the two is present.
    pub fn message(&self) -> Option<String> {
        match (&self.summary, &self.detail) {
            (Some(s), Some(d)) if s != d => Some(format!("{s}: {d}")),
            (Some(s), _) => Some(s.clone()),
            (None, Some(d)) => Some(d.clone()),
            (None, None) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn collection_shapes() {
        let mut many = json!({"users":{"user":[{"id":"a"},{"id":"b"}]}});
        assert_eq!(take_collection(&mut many, "users", "user").len(), 2);
        let mut one = json!({"users":{"user":{"id":"a"}}});
        assert_eq!(
            take_collection(&mut one, "users", "user"),
            vec![json!({"id":"a"})]
        );
        let mut empty_obj = json!({"users":{}});
        assert!(take_collection(&mut empty_obj, "users", "user").is_empty());
        let mut missing = json!({"pagination":{}});
        assert!(take_collection(&mut missing, "users", "user").is_empty());
        let mut null = json!({"users":null});
        assert!(take_collection(&mut null, "users", "user").is_empty());
        let mut bare = json!({"tasks":[{"extractRefresh":{"id":"t"}}]});
        assert_eq!(take_collection(&mut bare, "tasks", "task").len(), 1);
    }

    #[test]
    fn lenient_numbers() {
        assert_eq!(lenient_u64(&json!("158")), Some(158));
        assert_eq!(lenient_u64(&json!(" 7 ")), Some(7));
        assert_eq!(lenient_u64(&json!(100)), Some(100));
        assert_eq!(lenient_u64(&json!(100.0)), Some(100));
        assert_eq!(lenient_u64(&json!("x")), None);
        assert_eq!(lenient_u64(&json!(-1)), None);
        assert_eq!(lenient_string(&json!(5)), Some("5".into()));
        assert_eq!(string_at(&json!({"a":{"b":"c"}}), &["a", "b"]), "c");
        assert_eq!(string_at(&json!({"a":{}}), &["a", "b"]), "");
    }

    #[test]
    fn pagination_block() {
        let body = json!({"pagination":{"pageNumber":"2","pageSize":100,"totalAvailable":"158"}});
        assert_eq!(
            Pagination::from_body(&body),
            Some(Pagination {
                page_number: Some(2),
                page_size: Some(100),
                total_available: Some(158)
            })
        );
        assert_eq!(Pagination::from_body(&json!({"tasks":{}})), None);
    }

    #[test]
    fn error_bodies() {
        let json = br#"{"error":{"code":"401002","summary":"Unauthorized Access","detail":"Invalid authentication credentials were provided."}}"#;
        let e = TableauError::parse(json).unwrap();
        assert_eq!(e.code.as_deref(), Some("401002"));
        assert_eq!(
            e.message().unwrap(),
            "Unauthorized Access: Invalid authentication credentials were provided."
        );
        let xml = br#"<?xml version='1.0'?><tsResponse><error code="400006"><summary>Bad Request</summary><detail>Invalid page number</detail></error></tsResponse>"#;
        assert_eq!(TableauError::parse(xml).unwrap().code.as_deref(), Some("400006"));
        assert_eq!(TableauError::parse(b"<html>504 Gateway Time-out</html>"), None);
        assert_eq!(TableauError::parse(b""), None);
        let numeric = br#"{"error":{"code":404006}}"#;
        assert_eq!(
            TableauError::parse(numeric).unwrap().code.as_deref(),
            Some("404006")
        );
    }
}
