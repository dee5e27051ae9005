//! Object keys: the one place that decides what a key and a list prefix may look
//! like, and how run-relative keys map to destination keys.
//!
//! Every key and prefix the guest sends, and every key read from a manifest,
//! passes through here before any backend sees it, so a key can never leave its
//! run folder on disk or in a bucket.

/// Longest key accepted, in bytes (S3 allows 1024; the run prefix needs room).
pub const MAX_KEY_BYTES: usize = 900;
/// Longest path segment, in bytes (most file systems allow 255).
pub const MAX_SEGMENT_BYTES: usize = 255;

/// Why a key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Empty.
    #[error("key is empty")]
    Empty,
    #[error("key is {0} bytes long, the limit is {MAX_KEY_BYTES}")]
    /// Over [`MAX_KEY_BYTES`].
    TooLong(usize),
    #[error("key must be relative (no leading '/')")]
    /// Starts with `/`.
    Absolute,
    #[error("key has an empty, '.' or '..' path segment")]
    /// An empty, `.` or `..` segment.
    BadSegment,
    #[error("key has a path segment longer than {MAX_SEGMENT_BYTES} bytes")]
    /// A segment over [`MAX_SEGMENT_BYTES`].
    SegmentTooLong,
    #[error("key contains the character {0:?}, which is not allowed")]
    /// A control character or one Windows forbids.
    BadChar(char),
    #[error("key has a segment ending in '.' or ' ', which Windows cannot store")]
    /// A segment ending in `.` or space.
    TrailingDotOrSpace,
    #[error(
        "key has a segment starting with {:?}, reserved for the store's temporary files",
        super::local::TEMP_PREFIX
    )]
    /// A segment named like the local store's temporary files, which listing
    /// hides and clean-up deletes.
    Reserved,
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
    if let Some(c) = key.chars().find(|&c| bad_char(c)) {
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
        if segment.starts_with(super::local::TEMP_PREFIX) {
            return Err(KeyError::Reserved);
        }
    }
    Ok(())
}

/// Check a list prefix: a key's beginning (`run/`, `run/work`, or empty for
/// everything). The same rules as [`validate_key`], but the last segment may be
/// partial or empty.
pub fn validate_prefix(prefix: &str) -> Result<(), KeyError> {
    if prefix.is_empty() {
        return Ok(());
    }
    if prefix.len() > MAX_KEY_BYTES {
        return Err(KeyError::TooLong(prefix.len()));
    }
    if prefix.starts_with('/') {
        return Err(KeyError::Absolute);
    }
    if let Some(c) = prefix.chars().find(|&c| bad_char(c)) {
        return Err(KeyError::BadChar(c));
    }
    let segments: Vec<&str> = prefix.split('/').collect();
    let (last, whole) = segments.split_last().expect("split yields one segment at least");
    for segment in whole {
        if segment.is_empty() || *segment == "." || *segment == ".." {
            return Err(KeyError::BadSegment);
        }
    }
    if *last == "." || *last == ".." {
        return Err(KeyError::BadSegment);
    }
    Ok(())
}

/// The destination key of a run-relative key, both checked.
pub fn run_key(run: &str, rel: &str) -> Result<String, KeyError> {
    validate_key(run)?;
    if run.contains('/') {
        return Err(KeyError::BadSegment);
    }
    validate_key(rel)?;
    let full = format!("{run}/{rel}");
    validate_key(&full)?;
    Ok(full)
}

/// The list prefix of everything in a run: `<run>/`.
pub fn run_prefix(run: &str) -> Result<String, KeyError> {
    validate_key(run)?;
    if run.contains('/') {
        return Err(KeyError::BadSegment);
    }
    Ok(format!("{run}/"))
}

/// The run-relative part of a destination key inside `run`.
pub fn strip_run<'a>(run: &str, key: &'a str) -> Option<&'a str> {
    key.strip_prefix(run)?.strip_prefix('/')
}

/// Keys in error messages are cut short so a 10,000-character key can't flood a log.
pub fn shown(key: &str) -> String {
    const MAX: usize = 120;
    if key.len() <= MAX {
        return key.to_string();
    }
    let mut end = MAX;
    while !key.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &key[..end])
}

fn bad_char(c: char) -> bool {
    c.is_control() || matches!(c, '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|')
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
        assert_eq!(
            validate_key("workbooks/.tbk-partial-0123456789abcdef-9"),
            Err(KeyError::Reserved)
        );
    }

    #[test]
    fn prefixes_and_run_keys() {
        for ok in ["", "run/", "run/work", "backup_tableau_cloud_demo_2026"] {
            assert_eq!(validate_prefix(ok), Ok(()), "{ok}");
        }
        assert_eq!(validate_prefix("../"), Err(KeyError::BadSegment));
        assert_eq!(validate_prefix("a/../b"), Err(KeyError::BadSegment));
        assert_eq!(validate_prefix("a/.."), Err(KeyError::BadSegment));
        assert_eq!(validate_prefix("/a"), Err(KeyError::Absolute));
        assert_eq!(validate_prefix("a//"), Err(KeyError::BadSegment));
        assert_eq!(validate_prefix("a\\b"), Err(KeyError::BadChar('\\')));
        assert_eq!(run_key("r", "workbooks/x.twbx").unwrap(), "r/workbooks/x.twbx");
        assert!(run_key("r", "../x").is_err());
        assert!(run_key("a/b", "x").is_err());
        assert!(run_key("..", "x").is_err());
        assert_eq!(run_prefix("r").unwrap(), "r/");
        assert_eq!(strip_run("r", "r/a/b"), Some("a/b"));
        assert_eq!(strip_run("r", "rx/a"), None);
    }
}
