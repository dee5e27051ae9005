//! Request bodies of the non-multipart writes: JSON, or XML (`tsRequest`) read into the
//! same mechanical JSON Tableau answers with (attributes as strings, a child seen once an
//! object, several an array), so every handler reads one shape.

use hyper::header::CONTENT_TYPE;
use hyper::Request;
use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};

use super::format::Fmt;
use super::multipart::{self, ReqBody};
use super::{error, Resp};

/// Largest write body read (not a publish).
const MAX_BODY: usize = 1 << 20;

fn bad(fmt: Fmt, detail: &str) -> Resp {
    error(fmt, 400, "400000", "Bad Request", detail)
}

/// Read a JSON or XML body. A `Content-Type` that is neither (form data, multipart, text)
/// is 415 like Tableau; without one the body is sniffed.
pub(crate) async fn read(req: Request<ReqBody>, fmt: Fmt) -> Result<Value, Resp> {
    let ctype = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    let declared = match ctype.as_deref() {
        None | Some("") => None,
        Some(c) if c.contains("json") => Some(true),
        Some(c) if c.contains("xml") => Some(false),
        Some(c) => {
            return Err(error(
                fmt,
                415,
                "415000",
                "Unsupported Media Type",
                &format!("Content-Type '{c}' is not supported; send application/json or application/xml."),
            ))
        }
    };
    let body = multipart::read_body(req.into_body(), MAX_BODY as u64)
        .await
        .map_err(|_| bad(fmt, "Request body too large."))?;
    parse(&body, declared).map_err(|d| bad(fmt, &d))
}

/// Parse bytes as JSON (`Some(true)`), XML (`Some(false)`) or whichever they look like.
pub(crate) fn parse(body: &[u8], json: Option<bool>) -> Result<Value, String> {
    let text = std::str::from_utf8(body).map_err(|_| "The request body is not UTF-8.".to_string())?;
    let json = json.unwrap_or_else(|| !text.trim_start().starts_with('<'));
    if json {
        serde_json::from_str(text).map_err(|e| format!("The request body is not valid JSON: {e}"))
    } else {
        xml_to_value(text)
    }
}

/// The children of the root element (`tsRequest`) as mechanical JSON.
pub(crate) fn xml_to_value(xml: &str) -> Result<Value, String> {
    struct Open {
        name: String,
        obj: Map<String, Value>,
        kids: Vec<(String, Value)>,
        text: String,
    }
    fn close(o: Open) -> (String, Value) {
        let mut obj = o.obj;
        if obj.is_empty() && o.kids.is_empty() && !o.text.trim().is_empty() {
            return (o.name, Value::String(o.text));
        }
        let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
        for (k, v) in o.kids {
            match groups.iter_mut().find(|(n, _)| *n == k) {
                Some((_, g)) => g.push(v),
                None => groups.push((k, vec![v])),
            }
        }
        for (k, mut g) in groups {
            let v = if g.len() == 1 {
                g.pop().unwrap()
            } else {
                Value::Array(g)
            };
            obj.insert(k, v);
        }
        (o.name, Value::Object(obj))
    }
    let mut r = Reader::from_str(xml);
    let mut stack: Vec<Open> = vec![Open {
        name: String::new(),
        obj: Map::new(),
        kids: Vec::new(),
        text: String::new(),
    }];
    let bad = |e: &dyn std::fmt::Display| format!("The request body is not valid XML: {e}");
    loop {
        let ev = r.read_event().map_err(|e| bad(&e))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                let mut obj = Map::new();
                for a in e.attributes() {
                    let a = a.map_err(|e| bad(&e))?;
                    let key = a.key.local_name();
                    let key = String::from_utf8_lossy(key.as_ref()).into_owned();
                    if a.key.as_ref().starts_with(b"xmlns") {
                        continue;
                    }
                    let v = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map_err(|e| bad(&e))?
                        .into_owned();
                    obj.insert(key, Value::String(v));
                }
                let open = Open {
                    name,
                    obj,
                    kids: Vec::new(),
                    text: String::new(),
                };
                if matches!(ev, Event::Empty(_)) {
                    let (k, v) = close(open);
                    stack.last_mut().unwrap().kids.push((k, v));
                } else {
                    stack.push(open);
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.decode().map_err(|e| bad(&e))?);
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| bad(&e))? {
                    Some(c) => c,
                    None => match r.decode().map_err(|e| bad(&e))?.as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => return Err(bad(&format!("unknown entity &{other};"))),
                    },
                };
                if let Some(top) = stack.last_mut() {
                    top.text.push(c);
                }
            }
            Event::End(_) => {
                if stack.len() < 2 {
                    return Err(bad(&"unbalanced end tag"));
                }
                let (k, v) = close(stack.pop().unwrap());
                stack.last_mut().unwrap().kids.push((k, v));
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err(bad(&"unclosed element"));
    }
    let (_, doc) = close(stack.pop().unwrap());
    // Unwrap `tsRequest` (any single root).
    match doc {
        Value::Object(mut m) if m.len() == 1 => Ok(m.values_mut().next().unwrap().take()),
        _ => Err(bad(&"no root element")),
    }
}

/// One-or-many: an array's elements, a single value, or nothing.
pub(crate) fn list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(x) => vec![x],
    }
}

/// A scalar property as a string (`"x"`, `true`, `5` all read).
pub(crate) fn s(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(x) => Some(x.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `v[key].id`.
pub(crate) fn id_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(|x| s(x, "id")).filter(|x| !x.is_empty())
}

/// A boolean property (`true`, `"true"`, any case).
pub(crate) fn flag(v: &Value, key: &str) -> Option<bool> {
    s(v, key).map(|x| x.eq_ignore_ascii_case("true"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_reads_like_json() {
        let x = r#"<?xml version="1.0"?><tsRequest><permissions>
            <granteeCapabilities><user id="u1"/><capabilities><capability name="Read" mode="Allow"/></capabilities></granteeCapabilities>
            <granteeCapabilities><group id="g1"/><capabilities><capability name="Read" mode="Deny"/>
            <capability name="Write" mode="Allow"/></capabilities></granteeCapabilities>
            </permissions></tsRequest>"#;
        let v = xml_to_value(x).unwrap();
        let g = list(v["permissions"].get("granteeCapabilities"));
        assert_eq!(g.len(), 2);
        assert_eq!(g[0]["user"]["id"], "u1");
        assert_eq!(g[0]["capabilities"]["capability"]["name"], "Read");
        assert_eq!(list(g[1]["capabilities"].get("capability")).len(), 2);
        let v = xml_to_value("<tsRequest><tags><tag label='a &amp; b'/></tags></tsRequest>").unwrap();
        assert_eq!(v["tags"]["tag"]["label"], "a & b");
        assert!(xml_to_value("<tsRequest><a></tsRequest>").is_err());
    }
}
