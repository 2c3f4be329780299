//! Who the client is: the connection's peer, or behind proxies you run, the
//! address the nearest trusted proxy saw.
//!
//! `X-Forwarded-For` is a list each proxy appends to, and the client can write
//! any prefix of it — as a separate header line too. So the list is read from
//! every line in order and walked from the right: entries added by trusted
//! proxies are skipped, and the first one that is not a trusted proxy is the
//! client. Nothing left of it is believed. This is nginx's `real_ip_recursive`.
//!
//! A small walk over `ipnet` rather than a crate: the client-IP crates for axum
//! take the rightmost entry only, which is wrong behind two proxies (a CDN and
//! a load balancer).

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};

use axum::http::HeaderMap;
use ipnet::IpNet;

/// Which peers may tell us the client's address.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Proxies {
    /// Networks of proxies you run (`trusted_proxies`).
    pub trusted: Vec<IpNet>,
    /// `trust_forwarded_for = true`: the direct peer is a proxy, whatever its
    /// address (one hop; kept for existing configurations).
    pub trust_peer: bool,
}

impl Proxies {
    fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// Whether `peer` is a proxy you run, so that what it forwards (the
    /// client's address, `X-Forwarded-Proto`) is believed.
    pub fn trusts(&self, peer: IpAddr) -> bool {
        self.trust_peer || self.is_trusted(peer.to_canonical())
    }

    /// The client's address for a request from `peer` with `headers`.
    pub fn client_ip(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.ip().to_canonical();
        if !(self.trust_peer || self.is_trusted(peer)) {
            warn_once_if_forwarded(peer, headers, self);
            return peer;
        }
        let hops = forwarded_for(headers);
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                // A hop we cannot read: nothing left of it can be trusted
                // either, so the last good one is the answer.
                None => break,
                Some(ip) => {
                    client = ip.to_canonical();
                    if !self.is_trusted(client) {
                        break;
                    }
                }
            }
        }
        client
    }
}

/// The connection's peer (loopback when the router is called without one, as in tests).
pub(crate) fn peer(req: &axum::extract::Request) -> SocketAddr {
    req.extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
        .map_or(SocketAddr::from(([127, 0, 0, 1], 0)), |c| c.0)
}

/// Every `X-Forwarded-For` entry, from all header lines in order, left to right.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|line| match line.to_str() {
            Ok(text) => text.split(',').map(|e| parse_hop(e.trim())).collect(),
            Err(_) => vec![None],
        })
        .collect()
}

/// An address as proxies write it: `192.0.2.1`, `2001:db8::1`, `[2001:db8::1]:443`, `192.0.2.1:443`.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

static WARNED: AtomicBool = AtomicBool::new(false);

/// Behind a proxy nobody told us about, every visitor arrives from the proxy's
/// address and shares its bucket: a few spam posts then lock everyone out.
/// Say so once, in the operator's words.
fn warn_once_if_forwarded(peer: IpAddr, headers: &HeaderMap, proxies: &Proxies) {
    if (headers.contains_key("x-forwarded-for") || headers.contains_key("forwarded"))
        && proxies.trusted.is_empty()
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        tracing::warn!(
            %peer,
            "requests arrive with X-Forwarded-For from {peer}, but no proxy is trusted: every client behind it \
             shares one rate-limit bucket. If {peer} is your proxy, set trusted_proxies = [\"{peer}/32\"] \
             (or the proxy's network); see docs/configuration.md"
        );
    }
}

/// `trusted_proxies` entries: networks (`10.0.0.0/8`) or single addresses.
pub fn parse_networks(entries: &[String]) -> anyhow::Result<Vec<IpNet>> {
    entries
        .iter()
        .map(|e| {
            let e = e.trim();
            e.parse::<IpNet>()
                .or_else(|_| e.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    anyhow::anyhow!(
                        "trusted_proxies: {e:?} is not an address or a network like 10.0.0.0/8"
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(lines: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for l in lines {
            h.append("x-forwarded-for", HeaderValue::from_str(l).unwrap());
        }
        h
    }

    fn peer(s: &str) -> SocketAddr {
        SocketAddr::new(s.parse().unwrap(), 40000)
    }

    fn proxies(nets: &[&str]) -> Proxies {
        Proxies {
            trusted: parse_networks(&nets.iter().map(|s| s.to_string()).collect::<Vec<_>>())
                .unwrap(),
            trust_peer: false,
        }
    }

    #[test]
    fn without_a_trusted_proxy_the_header_is_ignored() {
        let p = Proxies::default();
        assert_eq!(
            p.client_ip(peer("198.51.100.7"), &headers(&["203.0.113.9"])),
            peer("198.51.100.7").ip()
        );
    }

    #[test]
    fn a_forged_first_line_does_not_win() {
        // The client sent its own line; the proxy appended a line of its own.
        let p = proxies(&["10.0.0.0/8"]);
        let h = headers(&["1.2.3.4", "203.0.113.9"]);
        assert_eq!(
            p.client_ip(peer("10.0.0.2"), &h),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        // And in one line: "forged, real".
        let h = headers(&["1.2.3.4, 203.0.113.9"]);
        assert_eq!(
            p.client_ip(peer("10.0.0.2"), &h),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn trusted_hops_are_skipped_from_the_right() {
        // client -> CDN (198.51.100.0/24) -> load balancer (10.0.0.2) -> us
        let p = proxies(&["10.0.0.0/8", "198.51.100.0/24"]);
        let h = headers(&["6.6.6.6, 203.0.113.9, 198.51.100.20"]);
        assert_eq!(
            p.client_ip(peer("10.0.0.2"), &h),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn an_unreadable_hop_stops_the_walk() {
        let p = proxies(&["10.0.0.0/8"]);
        let h = headers(&["6.6.6.6, garbage, 10.0.0.9"]);
        assert_eq!(
            p.client_ip(peer("10.0.0.2"), &h),
            "10.0.0.9".parse::<IpAddr>().unwrap()
        );
        // Ports and brackets as some proxies write them.
        let h = headers(&["[2001:db8::7]:5555"]);
        assert_eq!(
            p.client_ip(peer("10.0.0.2"), &h),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn an_untrusted_peer_cannot_claim_to_be_a_proxy() {
        let p = proxies(&["10.0.0.0/8"]);
        assert_eq!(
            p.client_ip(peer("203.0.113.50"), &headers(&["10.1.1.1"])),
            "203.0.113.50".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn trust_forwarded_for_trusts_one_hop() {
        let p = Proxies {
            trusted: Vec::new(),
            trust_peer: true,
        };
        let h = headers(&["1.2.3.4", "203.0.113.9"]);
        assert_eq!(
            p.client_ip(peer("127.0.0.1"), &h),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            p.client_ip(peer("127.0.0.1"), &HeaderMap::new()),
            "127.0.0.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_networks() {
        let p = proxies(&["127.0.0.1"]);
        let h = headers(&["203.0.113.9"]);
        assert_eq!(
            p.client_ip(peer("::ffff:127.0.0.1"), &h),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn bad_networks_are_named() {
        let err = parse_networks(&["10.0.0.0/8".into(), "ten".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("\"ten\""), "{err}");
    }
}
