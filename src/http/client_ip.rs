//! Which address a request came from. The socket's peer, unless that peer
//! is a trusted proxy: then the right-most `X-Forwarded-For` entry that is
//! not itself a trusted proxy. A header from anyone else is ignored, so a
//! forged one changes nothing.

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;

/// Where a request came from, as the server saw it.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub addr: SocketAddr,
}

/// Where a request came from, as far as limits and audit are concerned.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    /// The client's address (see `resolve`).
    pub ip: IpAddr,
}

/// Entries of `X-Forwarded-For` looked at, from the right.
const FORWARDED_ENTRIES_MAX: usize = 32;

pub fn resolve(peer: SocketAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer_ip = canonical(peer.ip());
    if !is_trusted(peer_ip, trusted) {
        return peer_ip;
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let mut client = peer_ip;
    for entry in forwarded.iter().rev().take(FORWARDED_ENTRIES_MAX) {
        match entry.trim().parse::<IpAddr>().map(canonical) {
            Ok(ip) if is_trusted(ip, trusted) => client = ip,
            Ok(ip) => return ip,
            // Garbage where a client address should be: the last trusted
            // hop answers for it, so such clients share its limits.
            Err(_) => return client,
        }
    }
    client
}

fn is_trusted(ip: IpAddr, trusted: &[IpAddr]) -> bool {
    trusted.iter().any(|t| canonical(*t) == ip)
}

/// IPv4-mapped IPv6 addresses as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peers_header_is_ignored() {
        let peer = SocketAddr::new(ip("198.51.100.7"), 1234);
        assert_eq!(
            resolve(peer, &headers(&["1.2.3.4"]), &[ip("10.0.0.1")]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_right_most_untrusted_entry() {
        let peer = SocketAddr::new(ip("10.0.0.1"), 1234);
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        // The client forged "6.6.6.6"; the proxies appended what they saw.
        let h = headers(&["6.6.6.6, 203.0.113.9", "10.0.0.2"]);
        assert_eq!(resolve(peer, &h, &trusted), ip("203.0.113.9"));
        assert_eq!(resolve(peer, &headers(&[]), &trusted), ip("10.0.0.1"));
        assert_eq!(
            resolve(peer, &headers(&["garbage"]), &trusted),
            ip("10.0.0.1")
        );
        let mapped = SocketAddr::new(ip("::ffff:10.0.0.1"), 1);
        assert_eq!(
            resolve(mapped, &headers(&["2001:db8::1"]), &trusted),
            ip("2001:db8::1")
        );
    }
}
