//! A tiny element tree rendered as Tableau XML (`tsResponse`) or as Tableau's mechanical JSON:
//! attributes become string properties, a child name seen once is an object, seen more
//! than once is an array, an empty element is `{}`, a text-only element is a string.

use std::fmt::Write;

/// Response format chosen from the `Accept` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fmt {
    Xml,
    Json,
}

impl Fmt {
    pub fn from_accept(accept: Option<&str>) -> Self {
        match accept {
            Some(a) if a.to_ascii_lowercase().contains("application/json") => Self::Json,
            _ => Self::Xml,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Xml => "application/xml;charset=utf-8",
            Self::Json => "application/json;charset=utf-8",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Node {
    pub name: &'static str,
    pub attrs: Vec<(&'static str, String)>,
    pub children: Vec<Node>,
    pub text: Option<String>,
}

impl Node {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            ..Self::default()
        }
    }

    pub fn attr(mut self, k: &'static str, v: impl ToString) -> Self {
        self.attrs.push((k, v.to_string()));
        self
    }

    /// Add the attribute only when `v` is `Some`.
    pub fn attr_opt(self, k: &'static str, v: Option<impl ToString>) -> Self {
        match v {
            Some(v) => self.attr(k, v),
            None => self,
        }
    }

    pub fn child(mut self, c: Node) -> Self {
        self.children.push(c);
        self
    }

    pub fn children(mut self, cs: impl IntoIterator<Item = Node>) -> Self {
        self.children.extend(cs);
        self
    }

    pub fn text(mut self, t: impl Into<String>) -> Self {
        self.text = Some(t.into());
        self
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.attrs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str())
    }

    pub fn find(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }
}

const TS_OPEN: &str = "<?xml version='1.0' encoding='UTF-8'?><tsResponse xmlns=\"http://tableau.com/api\" \
xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
xsi:schemaLocation=\"http://tableau.com/api https://help.tableau.com/samples/en-us/rest_api/ts-api_3_24.xsd\">";

/// Render the children of `tsResponse`.
pub fn render(fmt: Fmt, nodes: &[Node]) -> String {
    let mut out = String::with_capacity(256 + nodes.len() * 256);
    match fmt {
        Fmt::Xml => {
            out.push_str(TS_OPEN);
            for n in nodes {
                xml(n, &mut out);
            }
            out.push_str("</tsResponse>");
        }
        Fmt::Json => {
            out.push('{');
            let mut first = true;
            json_children(nodes, &mut out, &mut first);
            out.push('}');
        }
    }
    out
}

fn xml(n: &Node, out: &mut String) {
    out.push('<');
    out.push_str(n.name);
    for (k, v) in &n.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        escape_xml(v, true, out);
        out.push('"');
    }
    if n.children.is_empty() && n.text.is_none() {
        out.push_str("/>");
        return;
    }
    out.push('>');
    if let Some(t) = &n.text {
        escape_xml(t, false, out);
    }
    for c in &n.children {
        xml(c, out);
    }
    out.push_str("</");
    out.push_str(n.name);
    out.push('>');
}

/// Escape text or an attribute value.
pub fn escape_xml(s: &str, attr: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
}

fn json_elem(n: &Node, out: &mut String) {
    if n.attrs.is_empty() && n.children.is_empty() {
        match &n.text {
            Some(t) => json_str(t, out),
            None => out.push_str("{}"),
        }
        return;
    }
    out.push('{');
    let mut first = true;
    for (k, v) in &n.attrs {
        sep(&mut first, out);
        json_str(k, out);
        out.push(':');
        json_str(v, out);
    }
    if let Some(t) = &n.text {
        sep(&mut first, out);
        out.push_str("\"value\":");
        json_str(t, out);
    }
    json_children(&n.children, out, &mut first);
    out.push('}');
}

fn json_children(children: &[Node], out: &mut String, first: &mut bool) {
    let mut names: Vec<&'static str> = Vec::new();
    for c in children {
        if !names.contains(&c.name) {
            names.push(c.name);
        }
    }
    for name in names {
        sep(first, out);
        json_str(name, out);
        out.push(':');
        let mut same = children.iter().filter(|c| c.name == name);
        let one = same.clone().nth(1).is_none();
        if one {
            json_elem(same.next().unwrap(), out);
        } else {
            out.push('[');
            for (i, c) in same.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_elem(c, out);
            }
            out.push(']');
        }
    }
}

fn sep(first: &mut bool, out: &mut String) {
    if !*first {
        out.push(',');
    }
    *first = false;
}

pub fn json_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `<error code=..><summary/><detail/></error>`.
pub fn error_node(code: &str, summary: &str, detail: &str) -> Node {
    Node::new("error")
        .attr("code", code)
        .child(Node::new("summary").text(summary))
        .child(Node::new("detail").text(detail))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(n: usize) -> Vec<Node> {
        vec![Node::new("workbooks")
            .children((0..n).map(|i| Node::new("workbook").attr("id", i).attr("size", 1)))]
    }

    #[test]
    fn json_quirks() {
        assert_eq!(render(Fmt::Json, &list(0)), r#"{"workbooks":{}}"#);
        assert_eq!(
            render(Fmt::Json, &list(1)),
            r#"{"workbooks":{"workbook":{"id":"0","size":"1"}}}"#
        );
        assert_eq!(
            render(Fmt::Json, &list(2)),
            r#"{"workbooks":{"workbook":[{"id":"0","size":"1"},{"id":"1","size":"1"}]}}"#
        );
        let e = render(Fmt::Json, &[error_node("401002", "S", "D \"q\"")]);
        assert_eq!(
            e,
            r#"{"error":{"code":"401002","summary":"S","detail":"D \"q\""}}"#
        );
        let v = render(
            Fmt::Json,
            &[Node::new("serverInfo").child(Node::new("productVersion").attr("build", "b").text("v"))],
        );
        assert_eq!(
            v,
            r#"{"serverInfo":{"productVersion":{"build":"b","value":"v"}}}"#
        );
    }

    #[test]
    fn xml_escaping() {
        let x = render(
            Fmt::Xml,
            &[Node::new("a").attr("name", "<\"&'\n>").text("1 < 2 & 3")],
        );
        assert!(x.ends_with("<a name=\"&lt;&quot;&amp;'&#10;&gt;\">1 &lt; 2 &amp; 3</a></tsResponse>"));
        assert!(x.contains("xmlns=\"http://tableau.com/api\""));
    }
}
