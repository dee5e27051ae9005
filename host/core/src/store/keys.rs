//! Object keys: the one place that decides what a key may look like.
//!
//! Every key the guest sends passes through [`validate_key`] before any backend
//! sees it, so a key can never leave its run folder on disk or in a bucket.

/// Longest key accepted, in bytes (S3 allows 1024; the run prefix needs room).
pub const MAX_KEY_BYTES: usize = 900;
/// Longest path segment, in bytes (most file systems allow 255).
pub const MAX_SEGMENT_BYTES: usize = 255;

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key is empty")]
    Empty,
    #[error("key is {0} bytes long, the limit is {MAX_KEY_BYTES}")]
    TooLong(usize),
    #[error("key must be relative (no leading '/')")]
    Absolute,
    #[error("key has an empty, '.' or '..' path segment")]
    BadSegment,
    #[error("key has a path segment longer than {MAX_SEGMENT_BYTES} bytes")]
    SegmentTooLong,
    #[error("key contains the character {0:?}, which is not allowed")]
    BadChar(char),
    #[error("key has a segment ending in '.' or ' ', which Windows cannot store")]
    TrailingDotOrSpace,
}

/// Check that `key` is a relative, portable object key: valid on S3 and on Linux,
/// macOS and Windows file systems, with no way to climb out of its folder.
pub fn validate_key(key: &str) -> Result<(), KeyError> {
    if key.is_empty() {
        return Err(KeyError::Empty);
    }
    if key.len() > MAX_KEY_BYTES {
        return Err(KeyError::TooLong(key.len()));
    }
    if key.starts_with('/') {
        return Err(KeyError::Absolute);
    }
    if let Some(c) = key
        .chars()
        .find(|c| c.is_control() || matches!(c, '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|'))
    {
        return Err(KeyError::BadChar(c));
    }
    for segment in key.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(KeyError::BadSegment);
        }
        if segment.len() > MAX_SEGMENT_BYTES {
            return Err(KeyError::SegmentTooLong);
        }
        if segment.ends_with('.') || segment.ends_with(' ') {
            return Err(KeyError::TrailingDotOrSpace);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_keys() {
        assert_eq!(validate_key("workbooks/abc_Sales Q1.twbx"), Ok(()));
        assert_eq!(validate_key("metadata_tableau/users.json"), Ok(()));
        assert_eq!(validate_key("workbooks/id_Prévisions 📈.twbx"), Ok(()));
    }

    #[test]
    fn refuses_escapes_and_hostile_keys() {
        assert_eq!(validate_key("../escape"), Err(KeyError::BadSegment));
        assert_eq!(validate_key("a/../../b"), Err(KeyError::BadSegment));
        assert_eq!(validate_key("/etc/x"), Err(KeyError::Absolute));
        assert_eq!(validate_key("a//b"), Err(KeyError::BadSegment));
        assert_eq!(validate_key("a\\b"), Err(KeyError::BadChar('\\')));
        assert_eq!(validate_key("a\nb"), Err(KeyError::BadChar('\n')));
        assert_eq!(validate_key("C:x"), Err(KeyError::BadChar(':')));
        assert_eq!(validate_key("dir./x"), Err(KeyError::TrailingDotOrSpace));
        assert_eq!(validate_key(&"k".repeat(10_000)), Err(KeyError::TooLong(10_000)));
        assert_eq!(validate_key(&"k".repeat(300)), Err(KeyError::SegmentTooLong));
        assert_eq!(validate_key(""), Err(KeyError::Empty));
    }
}
