//! Route messages read straight from the bytes the kernel sent, for dumps.
//!
//! A dump of a busy host holds hundreds of thousands of routes; netlink-packet-route builds
//! a vector of typed attributes for each (an allocation per message and per nested list)
//! before [`crate::parse::route`] turns it into the model. This walks the attributes in
//! place instead. It reads exactly the fields `parse::route` reads and gives the same
//! [`Route`] (the tests below compare the two on the same bytes).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::{NextHop, Route};

/// `RTM_NEWROUTE`.
pub const RTM_NEWROUTE: u16 = 24;

const NLMSG_HDRLEN: usize = 16;
const RTMSG_LEN: usize = 12;
const RTA_DST: u16 = 1;
const RTA_SRC: u16 = 2;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_PREFSRC: u16 = 7;
const RTA_METRICS: u16 = 8;
const RTA_MULTIPATH: u16 = 9;
const RTA_TABLE: u16 = 15;
const RTA_PREF: u16 = 20;
const RTAX_MTU: u16 = 2;

/// The attributes packed in `data`: (type without the nested/byte-order bits, payload).
/// Stops at the first attribute whose length does not fit, as the kernel's `nla_ok` does.
fn attrs(data: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut off = 0;
    std::iter::from_fn(move || {
        let len = usize::from(u16_at(data, off)?);
        let kind = u16_at(data, off + 2)? & 0x3fff;
        if len < 4 {
            return None;
        }
        let payload = data.get(off + 4..off + len)?;
        off += (len + 3) & !3;
        Some((kind, payload))
    })
}

fn u16_at(d: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(d.get(off..off + 2)?.try_into().ok()?))
}

fn u32_of(p: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(p.get(..4)?.try_into().ok()?))
}

/// An address attribute of a route of `family` (2: IPv4, 10: IPv6); `None` for any other
/// length, as netlink-packet-route reports it as an unknown address.
fn addr(family: u8, p: &[u8]) -> Option<IpAddr> {
    match (family, p.len()) {
        (2, 4) => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(p).ok()?))),
        (10, 16) => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(p).ok()?))),
        _ => None,
    }
}

/// The hops of `RTA_MULTIPATH`: `struct rtnexthop` (len, flags, hops, ifindex), each
/// followed by its own attributes.
fn nexthops(family: u8, mut p: &[u8]) -> Vec<NextHop> {
    let mut hops = Vec::new();
    while p.len() >= 8 {
        let len = usize::from(u16_at(p, 0).unwrap_or(0));
        if len < 8 || len > p.len() {
            break;
        }
        let gateway = attrs(p.get(8..len).unwrap_or_default())
            .find(|(k, _)| *k == RTA_GATEWAY)
            .and_then(|(_, v)| addr(family, v));
        hops.push(NextHop {
            gateway,
            oif: u32_of(p.get(4..).unwrap_or_default()).unwrap_or(0),
            weight: p.get(3).copied().unwrap_or(0),
            flags: p.get(2).copied().unwrap_or(0),
        });
        p = p.get((len + 3) & !3..).unwrap_or_default();
    }
    hops
}

/// The route in one `RTM_NEWROUTE` netlink message (header included). `Ok(None)` for
/// families other than IPv4/IPv6 (MPLS, multicast), as [`crate::parse::route`];
/// `Err` when the message is too short to hold a route header.
pub fn route(msg: &[u8]) -> Result<Option<Route>, &'static str> {
    let body = msg
        .get(NLMSG_HDRLEN..)
        .filter(|b| b.len() >= RTMSG_LEN)
        .ok_or("route message shorter than its header")?;
    let h = |i: usize| body.get(i).copied().unwrap_or(0);
    let family = h(0);
    if family != 2 && family != 10 {
        return Ok(None);
    }
    let mut r = Route {
        family,
        table: u32::from(h(4)),
        dst: None,
        dst_len: h(1),
        src: None,
        src_len: h(2),
        tos: h(3),
        protocol: h(5),
        scope: h(6),
        kind: h(7),
        flags: u32_of(body.get(8..).unwrap_or_default()).unwrap_or(0),
        gateway: None,
        oif: None,
        prefsrc: None,
        metric: None,
        pref: None,
        mtu: None,
        nexthops: Vec::new(),
    };
    for (kind, p) in attrs(body.get(RTMSG_LEN..).unwrap_or_default()) {
        match kind {
            RTA_TABLE => r.table = u32_of(p).unwrap_or(r.table),
            RTA_DST => r.dst = addr(family, p),
            RTA_SRC => r.src = addr(family, p),
            RTA_GATEWAY => r.gateway = addr(family, p),
            RTA_PREFSRC => r.prefsrc = addr(family, p),
            RTA_OIF => r.oif = u32_of(p).or(r.oif),
            RTA_PRIORITY => r.metric = u32_of(p).or(r.metric),
            RTA_PREF => r.pref = p.first().copied().or(r.pref),
            RTA_METRICS => {
                for (k, v) in attrs(p) {
                    if k == RTAX_MTU {
                        r.mtu = u32_of(v).or(r.mtu);
                    }
                }
            }
            RTA_MULTIPATH => r.nexthops = nexthops(family, p),
            _ => {}
        }
    }
    Ok(Some(r))
}

#[cfg(test)]
mod tests {
    use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
    use netlink_packet_route::route::{
        RouteAddress, RouteAttribute, RouteFlags, RouteMessage, RouteMetric, RouteNextHop,
        RouteNextHopFlags, RoutePreference, RouteProtocol, RouteScope, RouteType,
    };
    use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

    use super::*;

    fn bytes(m: RouteMessage) -> Vec<u8> {
        let mut msg = NetlinkMessage::from(RouteNetlinkMessage::NewRoute(m));
        msg.finalize();
        let mut out = vec![0u8; msg.buffer_len()];
        msg.serialize(&mut out);
        out
    }

    /// What the netlink-packet-route path makes of the same bytes.
    fn via_crate(b: &[u8]) -> Option<Route> {
        let m = NetlinkMessage::<RouteNetlinkMessage>::deserialize(b).expect("test message");
        match m.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewRoute(r)) => {
                crate::parse::route(r)
            }
            other => panic!("not a route: {other:?}"),
        }
    }

    fn hop(
        flags: RouteNextHopFlags,
        hops: u8,
        ifindex: u32,
        attributes: Vec<RouteAttribute>,
    ) -> RouteNextHop {
        let mut h = RouteNextHop::default();
        h.flags = flags;
        h.hops = hops;
        h.interface_index = ifindex;
        h.attributes = attributes;
        h
    }

    fn v4(a: [u8; 4]) -> RouteAddress {
        RouteAddress::Inet(a.into())
    }

    fn v6(s: &str) -> RouteAddress {
        RouteAddress::Inet6(s.parse().expect("test address"))
    }

    fn cases() -> Vec<RouteMessage> {
        let mut out = Vec::new();
        let mut m = RouteMessage::default();
        m.header.address_family = AddressFamily::Inet;
        m.header.destination_prefix_length = 24;
        m.header.table = 254;
        m.header.protocol = RouteProtocol::Static;
        m.header.scope = RouteScope::Universe;
        m.header.kind = RouteType::Unicast;
        m.attributes = vec![
            RouteAttribute::Table(254),
            RouteAttribute::Destination(v4([10, 9, 0, 0])),
            RouteAttribute::Gateway(v4([10, 1, 0, 2])),
            RouteAttribute::Oif(3),
            RouteAttribute::Priority(50),
            RouteAttribute::PrefSource(v4([10, 1, 0, 1])),
            RouteAttribute::Metrics(vec![RouteMetric::Mtu(1400), RouteMetric::Hoplimit(9)]),
        ];
        out.push(m.clone());
        // A table above 255 lives only in RTA_TABLE; a source prefix; tos; flags.
        m.header.table = 252;
        m.header.tos = 0x10;
        m.header.source_prefix_length = 16;
        m.header.flags = RouteFlags::Notify;
        m.attributes = vec![
            RouteAttribute::Table(1000),
            RouteAttribute::Destination(v4([10, 8, 0, 0])),
            RouteAttribute::Source(v4([10, 7, 0, 0])),
            RouteAttribute::Oif(4),
        ];
        out.push(m.clone());
        // Multipath with gateways and weights, and a blackhole without a device.
        m.header.flags = RouteFlags::empty();
        m.attributes = vec![
            RouteAttribute::Table(254),
            RouteAttribute::Destination(v4([10, 6, 0, 0])),
            RouteAttribute::MultiPath(vec![
                hop(
                    RouteNextHopFlags::Onlink,
                    2,
                    5,
                    vec![RouteAttribute::Gateway(v4([10, 1, 0, 3]))],
                ),
                hop(
                    RouteNextHopFlags::empty(),
                    0,
                    6,
                    vec![RouteAttribute::Gateway(v4([10, 1, 0, 4]))],
                ),
            ]),
        ];
        out.push(m.clone());
        m.header.kind = RouteType::BlackHole;
        m.attributes = vec![RouteAttribute::Destination(v4([10, 5, 0, 0]))];
        out.push(m.clone());
        // IPv6 with a preference, an expiry and a cache flag.
        let mut m = RouteMessage::default();
        m.header.address_family = AddressFamily::Inet6;
        m.header.destination_prefix_length = 64;
        m.header.table = 100;
        m.header.protocol = RouteProtocol::Ra;
        m.header.kind = RouteType::Unicast;
        m.attributes = vec![
            RouteAttribute::Table(100),
            RouteAttribute::Destination(v6("fd09::")),
            RouteAttribute::Gateway(v6("fe80::1")),
            RouteAttribute::Oif(7),
            RouteAttribute::Priority(1024),
            RouteAttribute::Preference(RoutePreference::High),
            RouteAttribute::Expires(300),
        ];
        out.push(m.clone());
        // IPv6 default route (no RTA_DST) with multipath hops.
        m.header.destination_prefix_length = 0;
        m.attributes = vec![
            RouteAttribute::Table(254),
            RouteAttribute::MultiPath(vec![hop(
                RouteNextHopFlags::empty(),
                0,
                8,
                vec![RouteAttribute::Gateway(v6("fe80::2"))],
            )]),
        ];
        out.push(m);
        // Another family: not a route of the model.
        let mut m = RouteMessage::default();
        m.header.address_family = AddressFamily::Mpls;
        out.push(m);
        out
    }

    #[test]
    fn reads_what_the_crate_reads() {
        for m in cases() {
            let b = bytes(m.clone());
            assert_eq!(route(&b), Ok(via_crate(&b)), "{m:?}");
        }
    }

    #[test]
    fn cut_messages_are_errors_or_partial_never_panics() {
        for m in cases() {
            let b = bytes(m);
            for n in 0..b.len() {
                let r = route(&b[..n]);
                if n < NLMSG_HDRLEN + RTMSG_LEN {
                    assert!(r.is_err(), "{n} bytes");
                }
            }
        }
    }
}
