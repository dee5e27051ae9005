//! Just enough XML reading for request bodies (`tsRequest`): the attributes of the first
//! element with a given local name, namespace prefixes ignored.

pub(crate) type Attrs = Vec<(String, String)>;

pub(crate) fn attr<'a>(attrs: &'a Attrs, name: &str) -> Option<&'a str> {
    attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// Attributes of the first start tag whose local name is `local`.
pub(crate) fn find_attrs(xml: &str, local: &str) -> Option<Attrs> {
    let b = xml.as_bytes();
    let mut i = 0;
    while let Some(off) = xml[i..].find('<') {
        let start = i + off + 1;
        i = start;
        if start >= b.len() || matches!(b[start], b'?' | b'!' | b'/') {
            continue;
        }
        let end = xml[start..]
            .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
            .map_or(xml.len(), |e| start + e);
        let name = &xml[start..end];
        let name = name.rsplit(':').next().unwrap_or(name);
        if name == local {
            return Some(parse_attrs(&xml[end..]));
        }
    }
    None
}

fn parse_attrs(s: &str) -> Attrs {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() || rest.starts_with('>') || rest.starts_with('/') {
            return out;
        }
        let Some(eq) = rest.find('=') else {
            return out;
        };
        let key = rest[..eq].trim().to_string();
        let after = rest[eq + 1..].trim_start();
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            return out;
        };
        let Some(close) = after[1..].find(q) else {
            return out;
        };
        out.push((key, unescape(&after[1..1 + close])));
        rest = &after[close + 2..];
    }
}

fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let Some(semi) = rest.find(';') else {
            break;
        };
        let ent = &rest[1..semi];
        let c = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => ent
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| ent.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_attributes() {
        let x = r#"<?xml version="1.0"?><tsRequest><credentials personalAccessTokenName="bot"
            personalAccessTokenSecret='s&amp;&#x41;&#66;'><ts:site contentUrl="" /></credentials></tsRequest>"#;
        let c = find_attrs(x, "credentials").unwrap();
        assert_eq!(attr(&c, "personalAccessTokenName"), Some("bot"));
        assert_eq!(attr(&c, "personalAccessTokenSecret"), Some("s&AB"));
        assert_eq!(attr(&find_attrs(x, "site").unwrap(), "contentUrl"), Some(""));
        assert!(find_attrs(x, "user").is_none());
    }
}
