//! Outbound HTTP policy: which requests the guest may send.
//!
//! Allowed: the configured Tableau server (scheme, host and port exactly) and
//! any extra hosts the policy lists, over https. Plain http only to loopback.
//! Denied whatever the name: addresses that are private, link-local (the cloud
//! metadata service at 169.254.169.254), loopback, or otherwise not public,
//! checked on the resolved addresses, unless the address is the configured
//! server's own loopback address (the simulator).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// An origin the guest may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: String,
    /// Lower-case host name or IP literal (without brackets).
    pub host: String,
    /// The port, explicit or the scheme's default.
    pub port: u16,
}

impl Origin {
    /// Parse `scheme://host[:port]` (any path is ignored).
    pub fn parse(url: &str) -> Result<Origin, String> {
        let uri: http::Uri = url.parse().map_err(|e| format!("invalid URL {url:?}: {e}"))?;
        let scheme = uri
            .scheme_str()
            .ok_or_else(|| format!("URL {url:?} has no scheme"))?
            .to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!("URL {url:?}: only http and https are supported"));
        }
        let host = uri.host().ok_or_else(|| format!("URL {url:?} has no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let port = uri.port_u16().unwrap_or(if scheme == "https" { 443 } else { 80 });
        Ok(Origin { scheme, host, port })
    }

    /// Whether the host is loopback by the shared rule (plain http allowed).
    pub fn is_loopback_host(&self) -> bool {
        tableau_backup_model::loopback::is_loopback_host(&self.host)
    }
}

/// An `allow_hosts` entry: `host`, `host:port`, an IPv6 literal (bare or in
/// brackets) or `[v6]:port`. A bare IPv6 literal has no port: its last
/// group is not one.
fn parse_allowed(entry: &str) -> (String, Option<u16>) {
    let entry = entry.to_ascii_lowercase();
    if let Some(rest) = entry.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            return (host.to_string(), port);
        }
    }
    if entry.matches(':').count() > 1 {
        return (entry, None);
    }
    match entry.rsplit_once(':') {
        Some((host, port)) if port.parse::<u16>().is_ok() => (host.to_string(), port.parse().ok()),
        _ => (entry, None),
    }
}

/// The decision for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denied(pub String);

/// Check a server URL given by the user: https, or http to loopback only.
pub fn check_server_url(url: &str) -> Result<Origin, String> {
    let origin = Origin::parse(url)?;
    if origin.scheme == "http" && !origin.is_loopback_host() {
        return Err(format!(
            "refusing plain http to {url:?}: use https (http is only allowed to loopback addresses)"
        ));
    }
    Ok(origin)
}

/// The outbound allow-list for one run.
#[derive(Debug, Clone)]
pub struct OutboundPolicy {
    server: Origin,
    extra: Vec<(String, Option<u16>)>,
}

impl OutboundPolicy {
    /// The server, plus the policy's `host` or `host:port` entries.
    pub fn new(server: Origin, allow_hosts: &[String]) -> Self {
        let extra = allow_hosts.iter().map(|h| parse_allowed(h)).collect();
        Self { server, extra }
    }

    /// First check, on the URL alone (before any DNS lookup).
    pub fn check_target(&self, target: &Origin) -> Result<(), Denied> {
        if *target == self.server {
            return Ok(());
        }
        let listed = self
            .extra
            .iter()
            .any(|(h, p)| *h == target.host && p.is_none_or(|p| p == target.port));
        if !listed {
            return Err(Denied(format!(
                "{}://{}:{} is not the Tableau server and not on the policy's allow-list",
                target.scheme, target.host, target.port
            )));
        }
        if target.scheme != "https" {
            return Err(Denied(format!("plain http to {} is not allowed", target.host)));
        }
        Ok(())
    }

    /// Second check, on the addresses the name resolved to.
    pub fn check_addrs(&self, target: &Origin, addrs: &[SocketAddr]) -> Result<(), Denied> {
        if addrs.is_empty() {
            return Err(Denied(format!("{} did not resolve to any address", target.host)));
        }
        let is_configured_loopback = *target == self.server && self.server.is_loopback_host();
        for a in addrs {
            let ip = a.ip();
            if is_configured_loopback && ip.is_loopback() {
                continue;
            }
            if !is_public(ip) {
                return Err(Denied(format!(
                    "{} resolves to {ip}, a non-public address",
                    target.host
                )));
            }
        }
        Ok(())
    }
}

/// Whether an address is globally routable (not private, loopback, link-local,
/// carrier-grade NAT, documentation, multicast, unspecified...).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_v4(v4);
            }
            is_public_v6(v6)
        }
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_unspecified()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (o[1] & 0xc0) == 64) // 100.64.0.0/10 carrier-grade NAT
        || (o[0] == 192 && o[1] == 0 && o[2] == 0) // 192.0.0.0/24 IETF (incl. some metadata)
        || (o[0] == 198 && (o[1] & 0xfe) == 18) // 198.18.0.0/15 benchmarking
        || o[0] >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // Addresses that carry an IPv4 address reach it: judge that one.
    if let Some(v4) = embedded_v4(ip) {
        return is_public_v4(v4);
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254 is AWS metadata)
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] == 0) // Teredo: a tunnel to an obfuscated IPv4 address
        || (s[0] == 0x0100 && s[1] == 0 && s[2] == 0 && s[3] == 0) // discard-only 100::/64
        || (s[0] == 0x0064 && s[1] == 0xff9b && s[2] == 1)) // local-use NAT64 64:ff9b:1::/48
}

/// The IPv4 address inside a NAT64 (`64:ff9b::/96`), 6to4 (`2002::/16`) or
/// IPv4-compatible (`::a.b.c.d`) address. (IPv4-mapped is handled before.)
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let o = ip.octets();
    let v4 = |a: u8, b: u8, c: u8, d: u8| Some(Ipv4Addr::new(a, b, c, d));
    if s[..6] == [0x0064, 0xff9b, 0, 0, 0, 0] {
        return v4(o[12], o[13], o[14], o[15]);
    }
    if s[0] == 0x2002 {
        return v4(o[2], o[3], o[4], o[5]);
    }
    if s[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified() {
        return v4(o[12], o[13], o[14], o[15]);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> OutboundPolicy {
        OutboundPolicy::new(
            Origin::parse("http://127.0.0.1:8080").unwrap(),
            &["api.example.com".into()],
        )
    }

    #[test]
    fn allow_hosts_entries_with_ipv6_literals() {
        assert_eq!(parse_allowed("Api.Example.com"), ("api.example.com".into(), None));
        assert_eq!(parse_allowed("h:8443"), ("h".into(), Some(8443)));
        assert_eq!(parse_allowed("64:ff9b::a00:1"), ("64:ff9b::a00:1".into(), None));
        assert_eq!(parse_allowed("[64:ff9b::a00:1]"), ("64:ff9b::a00:1".into(), None));
        assert_eq!(parse_allowed("[::1]:443"), ("::1".into(), Some(443)));
    }

    #[test]
    fn server_url_rules() {
        assert!(check_server_url("https://10ay.online.tableau.com").is_ok());
        assert!(check_server_url("http://127.0.0.1:9000").is_ok());
        assert!(check_server_url("http://localhost:9000").is_ok());
        assert!(check_server_url("http://10ay.online.tableau.com").is_err());
        assert!(check_server_url("ftp://x").is_err());
    }

    #[test]
    fn only_the_server_and_listed_hosts() {
        let p = policy();
        assert!(p
            .check_target(&Origin::parse("http://127.0.0.1:8080/api").unwrap())
            .is_ok());
        assert!(p
            .check_target(&Origin::parse("http://127.0.0.1:8081/").unwrap())
            .is_err());
        assert!(p
            .check_target(&Origin::parse("http://169.254.169.254/").unwrap())
            .is_err());
        assert!(p
            .check_target(&Origin::parse("https://api.example.com/").unwrap())
            .is_ok());
        assert!(p
            .check_target(&Origin::parse("http://api.example.com/").unwrap())
            .is_err());
        assert!(p
            .check_target(&Origin::parse("https://evil.example.com/").unwrap())
            .is_err());
    }

    #[test]
    fn resolved_addresses_must_be_public() {
        let p = policy();
        let listed = Origin::parse("https://api.example.com").unwrap();
        let private: SocketAddr = "10.0.0.5:443".parse().unwrap();
        let metadata: SocketAddr = "169.254.169.254:443".parse().unwrap();
        let public: SocketAddr = "93.184.216.34:443".parse().unwrap();
        assert!(p.check_addrs(&listed, &[private]).is_err());
        assert!(p.check_addrs(&listed, &[metadata]).is_err());
        assert!(p.check_addrs(&listed, &[public, private]).is_err());
        assert!(p.check_addrs(&listed, &[public]).is_ok());
        let server = Origin::parse("http://127.0.0.1:8080").unwrap();
        assert!(p
            .check_addrs(&server, &["127.0.0.1:8080".parse().unwrap()])
            .is_ok());
        assert!(!is_public("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!is_public("fd00:ec2::254".parse().unwrap()));
    }

    #[test]
    fn ipv6_forms_that_carry_a_private_ipv4_are_not_public() {
        for private in [
            "64:ff9b::10.0.0.1", // NAT64
            "64:ff9b::169.254.169.254",
            "2002:0a00:0001::1", // 6to4 of 10.0.0.1
            "2002:a9fe:a9fe::",  // 6to4 of 169.254.169.254
            "::10.0.0.1",        // IPv4-compatible
            "::127.0.0.1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2", // Teredo
            "64:ff9b:1::1",
            "100::1",
            "fec0::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["64:ff9b::93.184.216.34", "2002:5db8:d822::1", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
