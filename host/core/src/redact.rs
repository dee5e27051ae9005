//! Scrubbing secrets out of text: every host log line, error and report that
//! carries guest- or server-controlled text passes through one [`Redactor`].
//!
//! A secret can reach text in more shapes than its own: URL- or form-encoded
//! (a query string), JSON- or XML-escaped (a request body quoted back), or in
//! base64 (a header). Each shape is searched for.

use crate::secrets::Secret;
use std::borrow::Cow;

/// What a secret is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Replaces every known secret, in every encoding it may take, with [`REDACTED`].
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a longer encoding is not cut by a shorter one.
    needles: Vec<String>,
}

impl Redactor {
    /// A redactor for these secrets.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> Self {
        let mut needles = Vec::new();
        for secret in secrets {
            let raw = secret.expose();
            if raw.is_empty() {
                continue;
            }
            needles.extend(encodings(raw));
        }
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        needles.dedup();
        Redactor { needles }
    }

    /// `text` with every secret replaced.
    pub fn redact<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let mut out = Cow::Borrowed(text);
        for needle in &self.needles {
            if out.contains(needle.as_str()) {
                out = Cow::Owned(out.replace(needle.as_str(), REDACTED));
            }
        }
        out
    }

    /// Guest- or server-controlled text as the host may log or report it:
    /// redacted, then cut to [`MAX_TEXT_BYTES`] (redacting first, so a cut
    /// cannot split a secret and hide it from the search).
    pub fn clean(&self, text: &str) -> String {
        bounded(self.redact(text).into_owned())
    }
}

/// Longest guest-controlled string the host logs or reports (event fields,
/// error texts); longer ones are cut on a character boundary.
pub const MAX_TEXT_BYTES: usize = 4096;

/// `text` cut to [`MAX_TEXT_BYTES`].
fn bounded(mut text: String) -> String {
    if text.len() > MAX_TEXT_BYTES {
        let mut end = MAX_TEXT_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    text
}

/// The shapes a secret's value can take in text.
fn encodings(raw: &str) -> Vec<String> {
    let json = serde_json::to_string(raw).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let mut all = vec![
        raw.to_string(),
        percent(raw, false, true),
        percent(raw, false, false),
        percent(raw, true, true),
        percent(raw, true, false),
        json.clone(),
        json.replace('/', "\\/"),
        xml(raw),
        base64(raw.as_bytes(), STANDARD, true),
        base64(raw.as_bytes(), STANDARD, false),
        base64(raw.as_bytes(), URL_SAFE, false),
    ];
    all.retain(|s| !s.is_empty());
    all
}

/// Percent-encoding of everything but RFC 3986's unreserved characters;
/// `form`: a space as `+`.
fn percent(raw: &str, form: bool, upper: bool) -> String {
    let mut out = String::with_capacity(raw.len() * 3);
    for b in raw.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            b' ' if form => out.push('+'),
            _ if upper => out.push_str(&format!("%{b:02X}")),
            _ => out.push_str(&format!("%{b:02x}")),
        }
    }
    out
}

fn xml(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_is_redacted() {
        let secret = Secret::new("s3cr/t+ é&\"x".into());
        let r = Redactor::new([&secret]);
        for leak in [
            "s3cr/t+ é&\"x",
            "s3cr%2Ft%2B%20%C3%A9%26%22x",
            "s3cr%2ft%2b%20%c3%a9%26%22x",
            "s3cr%2Ft%2B+%C3%A9%26%22x",
            "s3cr/t+ é&\\\"x",
            "s3cr\\/t+ é&\\\"x",
            "s3cr/t+ é&amp;&quot;x",
            &base64(secret.expose().as_bytes(), STANDARD, true),
            &base64(secret.expose().as_bytes(), URL_SAFE, false),
        ] {
            let text = format!("before {leak} after");
            assert_eq!(r.redact(&text), "before <redacted> after", "{leak}");
        }
        assert!(matches!(r.redact("nothing here"), Cow::Borrowed(_)));
        let long = format!("{}{}", "é".repeat(3000), secret.expose());
        let clean = r.clean(&long);
        assert!(
            clean.len() <= MAX_TEXT_BYTES + 3 && !clean.contains("s3cr"),
            "{}",
            clean.len()
        );
    }

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes(), STANDARD, true), enc);
        }
    }
}
