//! Everything that speaks Tableau's REST API.

pub mod client;
pub mod http;
pub mod json;
pub mod pager;
pub mod retry;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters left as they are in a path segment (RFC 3986 unreserved).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// An id from the network, made safe to put in a URL path.
pub fn path_segment(id: &str) -> String {
    if id == "." || id == ".." {
        // Dot segments would be resolved away by a proxy or server.
        return id.replace('.', "%2E");
    }
    utf8_percent_encode(id, SEGMENT).to_string()
}

/// `major.minor` as numbers; `None` if it is not a version.
fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The API version to use: `preferred`, unless the server reports an older one.
pub fn choose_api_version(server: &str, preferred: &str) -> String {
    match (parse_version(server), parse_version(preferred)) {
        (Some(s), Some(p)) if s < p => format!("{}.{}", s.0, s.1),
        _ => preferred.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert_eq!(choose_api_version("3.27", "3.24"), "3.24");
        assert_eq!(choose_api_version("3.24", "3.24"), "3.24");
        assert_eq!(choose_api_version("3.19", "3.24"), "3.19");
        assert_eq!(choose_api_version("2.8", "3.24"), "2.8");
        assert_eq!(choose_api_version("", "3.24"), "3.24");
        assert_eq!(choose_api_version("garbage", "3.24"), "3.24");
        assert_eq!(choose_api_version("4.0", "3.24"), "3.24");
    }

    #[test]
    fn segments() {
        assert_eq!(path_segment("9a8b-7c6d"), "9a8b-7c6d");
        assert_eq!(path_segment("../x?y"), "..%2Fx%3Fy");
        assert_eq!(path_segment(".."), "%2E%2E");
    }
}
