//! `--dest`: a local folder or `s3://bucket/prefix`.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where backups are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A folder on the local file system.
    Local(PathBuf),
    /// A bucket and a key prefix (without trailing `/`, may be empty).
    S3 {
        /// The bucket.
        bucket: String,
        /// The key prefix, maybe empty.
        prefix: String,
    },
}

impl FromStr for Destination {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("destination is empty".into());
        }
        if let Some(rest) = s.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            validate_bucket(bucket).map_err(|why| format!("malformed S3 destination {s:?}: {why}"))?;
            let prefix = prefix.trim_matches('/').to_string();
            if !prefix.is_empty() {
                super::validate_key(&prefix)
                    .map_err(|e| format!("malformed S3 destination {s:?}: prefix: {e}"))?;
            }
            return Ok(Destination::S3 {
                bucket: bucket.to_string(),
                prefix,
            });
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(format!(
                "unsupported destination scheme {scheme:?} in {s:?}: use a folder path or s3://bucket/prefix"
            ));
        }
        Ok(Destination::Local(PathBuf::from(s)))
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Local(p) => write!(f, "{}", p.display()),
            Destination::S3 { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Destination::S3 { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// S3 bucket naming rules (the general-purpose subset every S3 store accepts).
fn validate_bucket(bucket: &str) -> Result<(), &'static str> {
    if bucket.is_empty() {
        return Err("no bucket name");
    }
    if !(3..=63).contains(&bucket.len()) {
        return Err("bucket names are 3 to 63 characters long");
    }
    if !bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        return Err("bucket names use only lower-case letters, digits, '-' and '.'");
    }
    let edge_ok = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !edge_ok(bucket.chars().next()) || !edge_ok(bucket.chars().last()) {
        return Err("bucket names start and end with a letter or digit");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_local_and_s3() {
        assert_eq!(
            "./tableau-backups".parse::<Destination>().unwrap(),
            Destination::Local("./tableau-backups".into())
        );
        assert_eq!(
            "s3://my-bucket/nightly/tableau/".parse::<Destination>().unwrap(),
            Destination::S3 {
                bucket: "my-bucket".into(),
                prefix: "nightly/tableau".into()
            }
        );
        assert_eq!(
            "s3://my-bucket".parse::<Destination>().unwrap(),
            Destination::S3 {
                bucket: "my-bucket".into(),
                prefix: String::new()
            }
        );
    }

    #[test]
    fn refuses_malformed() {
        for bad in [
            "",
            "s3://",
            "s3://A_B/x",
            "s3:///x",
            "gs://bucket/x",
            "s3://b/../x",
        ] {
            assert!(bad.parse::<Destination>().is_err(), "{bad} should be refused");
        }
    }
}
