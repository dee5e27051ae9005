//! Deterministic hashing, LUIDs, timestamps and size parsing.

use std::time::{SystemTime, UNIX_EPOCH};

/// splitmix64 finaliser: a cheap, well-mixed 64-bit hash.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of (seed, kind, index, salt).
pub fn h(seed: u64, kind: u8, idx: u64, salt: u64) -> u64 {
    mix(seed ^ mix(((kind as u64) << 56) ^ idx.wrapping_mul(0xD6E8_FEB8_6659_FD93) ^ mix(salt)))
}

const LAST_GROUP: u64 = 0xffff_ffff_ffff;

/// A UUID-shaped LUID whose last group encodes `kind` and `idx` (masked by the seed), so
/// lookups need no map.
pub fn luid(seed: u64, kind: u8, idx: u64) -> String {
    let a = h(seed, kind, idx, 0x11);
    let b = h(seed, kind, idx, 0x22);
    let last = (((kind as u64) << 40) | (idx & 0xff_ffff_ffff)) ^ (mix(seed ^ 0x1D) & LAST_GROUP);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b & 0x3fff),
        last
    )
}

/// The (kind, index) encoded in a LUID made by [`luid`] with `seed`; the caller re-derives
/// the LUID and compares.
pub fn luid_parts(seed: u64, id: &str) -> Option<(u8, u64)> {
    if id.len() != 36 || !id.is_ascii() {
        return None;
    }
    let last = u64::from_str_radix(&id[24..], 16).ok()? ^ (mix(seed ^ 0x1D) & LAST_GROUP);
    Some(((last >> 40) as u8, last & 0xff_ffff_ffff))
}

/// Whether `s` is shaped like a LUID (8-4-4-4-12 hex).
pub fn looks_like_luid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Seconds since the Unix epoch, now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for a Unix time.
pub fn iso(secs: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .expect("a whole-second UTC time formats as RFC 3339")
}

/// Seconds since the Unix epoch of a `YYYY-MM-DDTHH:MM:SSZ` time (0 if it does not parse).
pub fn parse_iso(s: &str) -> i64 {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .unwrap_or(0)
}

/// Parse "1234", "64KiB", "10MB", "2GiB", "1.5G" (K/M/G/T are binary multiples).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("bad size {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("bad size unit in {s:?}")),
    };
    Ok((n * mult as f64).round() as u64)
}

/// Serde helper: a size given as a number of bytes or a string like "2GiB".
pub mod size_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Size {
            N(u64),
            S(String),
        }
        match Size::deserialize(d)? {
            Size::N(n) => Ok(n),
            Size::S(s) => super::parse_size(&s).map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luid_round_trip() {
        let id = luid(7, 4, 12345);
        assert!(looks_like_luid(&id), "{id}");
        assert_eq!(luid_parts(7, &id), Some((4, 12345)));
        assert_ne!(luid(7, 4, 1), luid(8, 4, 1));
    }

    #[test]
    fn iso_dates() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_708_000_000), "2024-02-15T12:26:40Z");
        assert_eq!(parse_iso("2024-02-15T12:26:40Z"), 1_708_000_000);
        assert_eq!(parse_iso("nope"), 0);
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2GiB").unwrap(), 2 << 30);
        assert_eq!(parse_size("10 MB").unwrap(), 10 << 20);
        assert_eq!(parse_size("512").unwrap(), 512);
        assert!(parse_size("3 parsecs").is_err());
    }
}
