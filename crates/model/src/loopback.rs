//! Which hosts are loopback. Plain `http://` to Tableau is allowed only to
//! these (the simulator, a local TLS terminator); the guest and the host apply
//! this same rule.

use std::net::IpAddr;

/// `localhost` (any case), or an IP literal in 127.0.0.0/8 or `::1`
/// (brackets allowed). Names that merely resolve to loopback do not count.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn loopback_hosts() {
        for yes in ["127.0.0.1", "127.1.2.3", "localhost", "LocalHost", "::1", "[::1]"] {
            assert!(is_loopback_host(yes), "{yes}");
        }
        for no in [
            "10ay.online.tableau.com",
            "128.0.0.1",
            "localhost.evil.com",
            "::2",
            "",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_host(no), "{no}");
        }
    }
}
