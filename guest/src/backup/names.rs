//! Object keys for content files: portable names from untrusted strings.
//!
//! Names and ids come from the network. Keys must be valid on S3 and on Linux,
//! macOS and Windows file systems (the host re-checks every key), readable, and
//! unique: `<luid>_<safe name>.<ext>`, where the LUID makes them unique.

use percent_encoding::percent_decode_str;

/// Longest safe name, in bytes.
pub const MAX_NAME_BYTES: usize = 100;
/// Longest LUID part, in bytes (a LUID is 36).
const MAX_ID_BYTES: usize = 64;

/// Characters replaced by `_`: invalid on Windows, or troublesome in S3 keys and URLs.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | '%' | '#' | '{' | '}' | '^' | '`'
        )
        // Invisible and bidi-control characters that make a key look like another.
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

fn trim_dots_spaces(s: &str) -> &str {
    s.trim_matches(|c: char| c == '.' || c.is_whitespace())
}

/// A name that is safe as part of a key: unsafe characters become `_`, leading and
/// trailing dots/spaces go, at most [`MAX_NAME_BYTES`] bytes (cut on a character
/// boundary), never `.`/`..`, and `unnamed` when nothing is left.
pub fn safe_name(name: &str) -> String {
    let replaced: String = name.chars().map(|c| if is_unsafe(c) { '_' } else { c }).collect();
    let mut out = trim_dots_spaces(&replaced).to_string();
    if out.len() > MAX_NAME_BYTES {
        let mut cut = MAX_NAME_BYTES;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
        out = trim_dots_spaces(&out).to_string();
    }
    if out.is_empty() {
        "unnamed".to_string()
    } else {
        out
    }
}

/// The LUID as a key prefix: only `[A-Za-z0-9_-]` survive (others become `_`).
pub fn safe_id(id: &str) -> String {
    let out = tableau_backup_model::word::ascii_word(id, MAX_ID_BYTES);
    if out.is_empty() {
        "noid".to_string()
    } else {
        out
    }
}

/// `<folder>/<luid>_<safe name>.<ext>`.
pub fn content_key(folder: &str, id: &str, name: &str, ext: &str) -> String {
    format!("{folder}/{}_{}.{ext}", safe_id(id), safe_name(name))
}

/// The file name from a `Content-Disposition` header: `filename*=UTF-8''...`
/// (RFC 5987) wins over `filename=` (quoted or bare).
pub fn disposition_filename(header: &str) -> Option<String> {
    let mut plain = None;
    let mut extended = None;
    for param in split_params(header).into_iter().skip(1) {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        match key.trim().to_ascii_lowercase().as_str() {
            "filename*" => extended = decode_ext_value(&unquote(value.trim())),
            "filename" => plain = Some(unquote(value.trim())),
            _ => {}
        }
    }
    extended.or(plain).filter(|s| !s.trim().is_empty())
}

/// Splits on `;` outside quoted strings.
fn split_params(header: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in header.chars() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == ';' && !quoted {
            parts.push(std::mem::take(&mut cur));
            continue;
        }
        cur.push(c);
    }
    parts.push(cur);
    parts
}

/// Removes surrounding quotes and backslash escapes.
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_string();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// `charset'lang'percent-encoded` (RFC 5987); UTF-8 unless it says ISO-8859-1.
fn decode_ext_value(value: &str) -> Option<String> {
    let mut parts = value.splitn(3, '\'');
    let (charset, encoded) = match (parts.next(), parts.next(), parts.next()) {
        (Some(charset), Some(_lang), Some(encoded)) => (charset, encoded),
        _ => ("utf-8", value),
    };
    let bytes: Vec<u8> = percent_decode_str(encoded).collect();
    let text = if charset.eq_ignore_ascii_case("iso-8859-1") {
        bytes.iter().map(|&b| char::from(b)).collect()
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Some(text)
}

/// The lower-case extension of a file name (after any path part), if any.
pub fn extension(filename: &str) -> Option<String> {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or(filename);
    let (stem, ext) = base.rsplit_once('.')?;
    if stem.is_empty() || ext.is_empty() {
        return None;
    }
    Some(ext.to_ascii_lowercase())
}

/// Whether a file starts like a zip archive (a packaged .twbx/.tdsx/.tflx).
pub fn is_zip(first_bytes: &[u8]) -> bool {
    first_bytes.len() >= 4
        && first_bytes[..2] == *b"PK"
        && matches!(first_bytes[2..4], [3, 4] | [5, 6] | [7, 8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names() {
        assert_eq!(safe_name("Sales Q1"), "Sales Q1");
        assert_eq!(safe_name("a/b\\c:d*e?f\"g<h>i|j"), "a_b_c_d_e_f_g_h_i_j");
        assert_eq!(safe_name("tab\there\nnl"), "tab_here_nl");
        assert_eq!(safe_name("  ..hidden.. "), "hidden");
        assert_eq!(safe_name("."), "unnamed");
        assert_eq!(safe_name(".."), "unnamed");
        assert_eq!(safe_name(""), "unnamed");
        assert_eq!(safe_name("   "), "unnamed");
        assert_eq!(safe_name("Prévisions 📈"), "Prévisions 📈");
        assert_eq!(safe_name("100% #1 {x}"), "100_ _1 _x_");
        assert_eq!(safe_name("a\u{202E}b"), "a_b");
        let long = "é".repeat(80); // 160 bytes
        let cut = safe_name(&long);
        assert!(cut.len() <= MAX_NAME_BYTES);
        assert_eq!(cut, "é".repeat(50));
        let dotted = format!("{}.{}", "a".repeat(99), "b");
        assert_eq!(safe_name(&dotted), "a".repeat(99));
        for hostile in ["../../etc/passwd", "C:\\Windows", "con", "a\u{0}b"] {
            let s = safe_name(hostile);
            assert!(!s.contains('/') && !s.contains('\\') && !s.contains('\0'));
            assert!(!s.starts_with('.') && !s.ends_with('.') && !s.ends_with(' '));
        }
    }

    #[test]
    fn ids_and_keys() {
        assert_eq!(safe_id("6d13b0ca-1234"), "6d13b0ca-1234");
        assert_eq!(safe_id("../x"), "___x");
        assert_eq!(safe_id(""), "noid");
        assert_eq!(safe_id(&"a".repeat(200)).len(), 64);
        assert_eq!(
            content_key("workbooks", "abc-1", "Sales: Q1", "twbx"),
            "workbooks/abc-1_Sales_ Q1.twbx"
        );
    }

    #[test]
    fn dispositions() {
        assert_eq!(
            disposition_filename("attachment; filename=\"Superstore.twbx\"").as_deref(),
            Some("Superstore.twbx")
        );
        assert_eq!(
            disposition_filename("attachment; filename=plain.tds").as_deref(),
            Some("plain.tds")
        );
        assert_eq!(
            disposition_filename(
                "attachment; filename=\"Pr_visions.twbx\"; filename*=UTF-8''Pr%C3%A9visions.twbx"
            )
            .as_deref(),
            Some("Prévisions.twbx")
        );
        assert_eq!(
            disposition_filename("attachment; filename*=iso-8859-1'en'caf%E9.tfl").as_deref(),
            Some("café.tfl")
        );
        assert_eq!(
            disposition_filename("attachment; filename=\"a;b \\\"c\\\".twb\"").as_deref(),
            Some("a;b \"c\".twb")
        );
        assert_eq!(disposition_filename("attachment"), None);
        assert_eq!(disposition_filename("attachment; filename=\"\""), None);
    }

    #[test]
    fn extensions_and_sniffing() {
        assert_eq!(extension("Superstore.TWBX").as_deref(), Some("twbx"));
        assert_eq!(extension("dir/x.tds").as_deref(), Some("tds"));
        assert_eq!(extension("noext"), None);
        assert_eq!(extension(".hidden"), None);
        assert!(is_zip(b"PK\x03\x04rest"));
        assert!(!is_zip(b"<?xml version"));
        assert!(!is_zip(b"PK"));
    }
}
