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

type Parsed<T> = Result<T, &'static str>;

/// The attributes packed in `data`: (type without the nested/byte-order bits, payload).
/// An attribute whose length does not fit is an error, as netlink-packet-route makes it.
fn attrs(data: &[u8]) -> impl Iterator<Item = Parsed<(u16, &[u8])>> {
    let mut off = 0;
    std::iter::from_fn(move || {
        if off >= data.len() {
            return None;
        }
        let at = || {
            let len = usize::from(u16_at(data, off).ok_or("attribute header cut")?);
            let kind = u16_at(data, off + 2).ok_or("attribute header cut")? & 0x3fff;
            let payload = data
                .get(off + 4..off + len)
                .filter(|_| len >= 4)
                .ok_or("attribute length out of bounds")?;
            Ok(((len + 3) & !3, (kind, payload)))
        };
        Some(match at() {
            Ok((step, a)) => {
                off += step;
                Ok(a)
            }
            Err(e) => {
                off = data.len();
                Err(e)
            }
        })
    })
}

fn u16_at(d: &[u8], off: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(d.get(off..off + 2)?.try_into().ok()?))
}

fn u32_of(p: &[u8]) -> Parsed<u32> {
    <[u8; 4]>::try_from(p)
        .map(u32::from_ne_bytes)
        .map_err(|_| "a 32-bit attribute of another length")
}

/// An address attribute of a route of `family` (2: IPv4, 10: IPv6), of exactly its
/// family's length.
fn addr(family: u8, p: &[u8]) -> Parsed<IpAddr> {
    match family {
        2 => <[u8; 4]>::try_from(p).map(|a| IpAddr::V4(Ipv4Addr::from(a))),
        _ => <[u8; 16]>::try_from(p).map(|a| IpAddr::V6(Ipv6Addr::from(a))),
    }
    .map_err(|_| "an address of the wrong length")
}

/// The hops of `RTA_MULTIPATH`: `struct rtnexthop` (len, flags, hops, ifindex), each
/// followed by its own attributes.
fn nexthops(family: u8, mut p: &[u8]) -> Parsed<Vec<NextHop>> {
    let mut hops = Vec::new();
    while !p.is_empty() {
        let len = usize::from(u16_at(p, 0).ok_or("next hop cut")?);
        let hop = p
            .get(..len)
            .filter(|_| len >= 8)
            .ok_or("next hop length out of bounds")?;
        let mut gateway = None;
        for a in attrs(hop.get(8..).unwrap_or_default()) {
            let (k, v) = a?;
            if k == RTA_GATEWAY {
                gateway = Some(addr(family, v)?);
            }
        }
        hops.push(NextHop {
            gateway,
            oif: u32_of(hop.get(4..8).unwrap_or_default())?,
            weight: hop.get(3).copied().unwrap_or(0),
            flags: hop.get(2).copied().unwrap_or(0),
        });
        p = p.get((len + 3) & !3..).unwrap_or_default();
    }
    Ok(hops)
}

/// The route in one `RTM_NEWROUTE` netlink message (header included). `Ok(None)` for
/// families other than IPv4/IPv6 (MPLS, multicast), as [`crate::parse::route`];
/// `Err` where netlink-packet-route fails too: a cut header, an attribute that overruns
/// the message, a value of the wrong length.
pub fn route(msg: &[u8]) -> Parsed<Option<Route>> {
    let body = msg
        .get(NLMSG_HDRLEN..)
        .filter(|b| b.len() >= RTMSG_LEN)
        .ok_or("route message shorter than its header")?;
    let byte = |i: usize| body.get(i).copied().unwrap_or(0);
    let family = byte(0);
    if family != 2 && family != 10 {
        return Ok(None);
    }
    let mut r = Route {
        family,
        table: u32::from(byte(4)),
        dst_len: byte(1),
        src_len: byte(2),
        tos: byte(3),
        protocol: byte(5),
        scope: byte(6),
        kind: byte(7),
        flags: u32_of(body.get(8..12).unwrap_or_default())?,
        ..Route::default()
    };
    for a in attrs(body.get(RTMSG_LEN..).unwrap_or_default()) {
        let (kind, p) = a?;
        match kind {
            RTA_TABLE => r.table = u32_of(p)?,
            RTA_DST => r.dst = Some(addr(family, p)?),
            RTA_SRC => r.src = Some(addr(family, p)?),
            RTA_GATEWAY => r.gateway = Some(addr(family, p)?),
            RTA_PREFSRC => r.prefsrc = Some(addr(family, p)?),
            RTA_OIF => r.oif = Some(u32_of(p)?),
            RTA_PRIORITY => r.metric = Some(u32_of(p)?),
            RTA_PREF => {
                r.pref = Some(match p {
                    [v] => *v,
                    _ => return Err("RTA_PREF of another length than 1"),
                });
            }
            RTA_METRICS => {
                for m in attrs(p) {
                    let (metric, value) = m?;
                    if metric == RTAX_MTU {
                        r.mtu = Some(u32_of(value)?);
                    }
                }
            }
            RTA_MULTIPATH => r.nexthops = nexthops(family, p)?,
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

    /// A route message built by hand: IPv4, main table, with these attributes (type,
    /// payload); `extra` is appended raw after them.
    fn hand_made(attrs: &[(u16, &[u8])], extra: &[u8]) -> Vec<u8> {
        let mut body = vec![2, 24, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0];
        for (k, v) in attrs {
            let len = u16::try_from(4 + v.len()).expect("test attribute");
            body.extend_from_slice(&len.to_ne_bytes());
            body.extend_from_slice(&k.to_ne_bytes());
            body.extend_from_slice(v);
            body.resize(body.len().next_multiple_of(4), 0);
        }
        body.extend_from_slice(extra);
        let len = u32::try_from(16 + body.len()).expect("test message");
        let mut m = len.to_ne_bytes().to_vec();
        m.extend_from_slice(&24u16.to_ne_bytes());
        m.extend_from_slice(&[0; 10]);
        m.extend_from_slice(&body);
        m
    }

    #[test]
    fn malformed_attributes_fail_as_the_crate_fails() {
        let dst: &[u8] = &[10, 0, 0, 0];
        let cases: Vec<Vec<u8>> = vec![
            hand_made(&[(RTA_DST, dst), (RTA_OIF, &[1, 0, 0, 0])], &[]),
            hand_made(&[(RTA_OIF, &[1, 0])], &[]),
            hand_made(&[(RTA_DST, &[10, 0, 0])], &[]),
            hand_made(&[(RTA_GATEWAY, &[0; 16])], &[]),
            hand_made(&[(RTA_PREF, &[1, 0])], &[]),
            hand_made(&[(RTA_TABLE, &[1, 0, 0, 0, 0, 0, 0, 0])], &[]),
            hand_made(&[(RTA_METRICS, &[8, 0, 2, 0, 0x78, 5, 0, 0])], &[]),
            hand_made(&[(RTA_METRICS, &[6, 0, 2, 0, 0x78, 5, 0, 0])], &[]),
            // An attribute whose length runs past the message.
            hand_made(&[(RTA_DST, dst)], &[40, 0, 4, 0, 1, 0, 0, 0]),
            // A next hop whose length runs past the attribute.
            hand_made(&[(RTA_MULTIPATH, &[32, 0, 0, 0, 2, 0, 0, 0])], &[]),
            hand_made(&[(RTA_MULTIPATH, &[8, 0, 0, 1, 2, 0, 0, 0])], &[]),
        ];
        let mut failed = Vec::new();
        for (i, b) in cases.iter().enumerate() {
            let ours = route(b);
            if ours.is_err() {
                failed.push(i);
            }
            let theirs = NetlinkMessage::<RouteNetlinkMessage>::deserialize(b);
            assert_eq!(
                ours.is_ok(),
                theirs.is_ok(),
                "case {i}: wire {ours:?}, crate {theirs:?}"
            );
            if let Ok(r) = ours {
                assert_eq!(r, via_crate(b), "case {i}");
            }
        }
        assert_eq!(failed, [1, 2, 3, 4, 5, 7, 8, 9], "which cases fail");
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
