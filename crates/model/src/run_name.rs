//! Run folder names: `backup_tableau_cloud_<site>_<UTC YYYYMMDDTHHMMSSZ>`.
//!
//! The prefix is the one the Lambda tool we replace wrote, so its users' buckets
//! keep one naming scheme. The time stamp sorts runs; [`sort`] orders by it.

use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime};

/// What every run folder's name starts with.
pub const PREFIX: &str = "backup_tableau_cloud_";

/// The object the host writes first into a run folder, atomically (exclusive
/// create, `If-None-Match: *` on S3), to claim the name. The guest cannot write it.
pub const STARTED_KEY: &str = "started.json";

/// Longest site part kept in a run name.
const MAX_SITE_CHARS: usize = 64;

const STAMP: &[time::format_description::BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// The run name for `site` started at `at` (UTC, whole seconds). Characters of
/// the site other than ASCII letters, digits, `-` and `_` become `_`.
pub fn new(site: &str, at: OffsetDateTime) -> String {
    let site = crate::word::ascii_word(site, MAX_SITE_CHARS);
    let site = if site.is_empty() { "default" } else { &site };
    let stamp = at
        .to_offset(time::UtcOffset::UTC)
        .format(STAMP)
        .expect("the stamp format has only numeric fields");
    format!("{PREFIX}{site}_{stamp}")
}

/// When a run began, from its name; `None` if the name is not a run name.
pub fn started_at(name: &str) -> Option<OffsetDateTime> {
    let rest = name.strip_prefix(PREFIX)?;
    let (_, stamp) = rest.rsplit_once('_')?;
    PrimitiveDateTime::parse(stamp, STAMP)
        .ok()
        .map(PrimitiveDateTime::assume_utc)
}

/// The site part of a run name (`demo` of `backup_tableau_cloud_demo_<stamp>`);
/// `None` if the name is not a run name.
pub fn site(name: &str) -> Option<&str> {
    started_at(name)?;
    let rest = name.strip_prefix(PREFIX)?;
    Some(rest.rsplit_once('_')?.0)
}

/// Whether `name` is a run folder's name.
pub fn is_run(name: &str) -> bool {
    started_at(name).is_some()
}

/// Sort run names oldest first (by their time stamp, then by name); names that
/// are not run names go first.
pub fn sort(runs: &mut [String]) {
    runs.sort_by(|a, b| (started_at(a), a).cmp(&(started_at(b), b)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn names_and_their_start_time() {
        let at = datetime!(2026-11-28 05:12:00 UTC);
        let name = new("my site/é", at);
        assert_eq!(name, "backup_tableau_cloud_my_site___20261128T051200Z");
        assert_eq!(started_at(&name), Some(at));
        assert_eq!(new("", at), "backup_tableau_cloud_default_20261128T051200Z");
        assert!(new(&"s".repeat(300), at).len() < 120);
        assert_eq!(started_at("not-a-run"), None);
        assert_eq!(started_at("backup_tableau_cloud_x_2026"), None);
        assert!(!is_run("policy.toml"));
        assert_eq!(site(&name), Some("my_site__"));
        assert_eq!(
            site("backup_tableau_cloud_demo_b_20261208T000000Z"),
            Some("demo_b")
        );
        assert_eq!(site("not-a-run"), None);
    }

    #[test]
    fn sorts_by_time_not_by_site() {
        let mut runs = vec![
            "backup_tableau_cloud_a_20261202T000000Z".to_string(),
            "backup_tableau_cloud_b_20261201T000000Z".to_string(),
            "stray".to_string(),
        ];
        sort(&mut runs);
        assert_eq!(
            runs,
            [
                "stray",
                "backup_tableau_cloud_b_20261201T000000Z",
                "backup_tableau_cloud_a_20261202T000000Z"
            ]
        );
    }
}
