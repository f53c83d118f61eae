//! A real probe: one ICMP echo from a namespace, on a raw socket opened in it (no `ping`
//! binary), to confirm what the trace concluded.

use std::io::Read as _;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use etherparse::{IcmpEchoHeader, Icmpv4Header, Icmpv4Type, Icmpv6Header, Icmpv6Type};
use socket2::{Domain, Protocol, Socket, Type};

use crate::netns::{self, NetnsInfo};
use crate::{Error, Result};

fn err(ns: &str, reason: String) -> Error {
    Error::Netns {
        name: ns.to_owned(),
        reason,
    }
}

/// Sends one echo request from `ns` to `dst`; the round-trip time of the reply, or `None`
/// when none came within `timeout`. Needs `CAP_NET_RAW` (raw ICMP socket).
pub fn echo(
    ns: &NetnsInfo,
    dst: IpAddr,
    src: Option<IpAddr>,
    timeout: Duration,
) -> Result<Option<Duration>> {
    let name = ns.name.clone();
    netns::run_in(ns, move || {
        let (domain, proto) = if dst.is_ipv4() {
            (Domain::IPV4, Protocol::ICMPV4)
        } else {
            (Domain::IPV6, Protocol::ICMPV6)
        };
        let sock = Socket::new(domain, Type::RAW, Some(proto)).map_err(|e| {
            err(
                &name,
                format!("cannot open a raw ICMP socket (needs CAP_NET_RAW): {e}"),
            )
        })?;
        let id = u16::try_from(std::process::id() & 0xffff).unwrap_or(0x4e4c);
        let echo = IcmpEchoHeader { id, seq: 1 };
        let payload = b"netlens trace --probe";
        let packet = if dst.is_ipv4() {
            let h = Icmpv4Header::with_checksum(Icmpv4Type::EchoRequest(echo), payload);
            let mut v = h.to_bytes().to_vec();
            v.extend_from_slice(payload);
            v
        } else {
            // The kernel computes ICMPv6 checksums on raw sockets.
            let h = Icmpv6Header::new(Icmpv6Type::EchoRequest(echo));
            let mut v = h.to_bytes().to_vec();
            v.extend_from_slice(payload);
            v
        };
        if let Some(s) = src {
            sock.bind(&SocketAddr::new(s, 0).into())
                .map_err(|e| err(&name, format!("cannot send from {s}: {e}")))?;
        }
        // Connected: only packets from `dst` are read, through the safe `Read`.
        let to = SocketAddr::new(dst, 0);
        sock.connect(&to.into())
            .map_err(|e| err(&name, format!("cannot aim a socket at {dst}: {e}")))?;
        let start = Instant::now();
        sock.send(&packet)
            .map_err(|e| err(&name, format!("sending an echo to {dst}: {e}")))?;
        let mut buf = [0u8; 2048];
        loop {
            let left = timeout.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Ok(None);
            }
            sock.set_read_timeout(Some(left))
                .map_err(|e| err(&name, format!("socket timeout: {e}")))?;
            let Ok(n) = (&sock).read(&mut buf) else {
                return Ok(None);
            };
            if reply_matches(buf.get(..n).unwrap_or_default(), dst.is_ipv4(), id) {
                return Ok(Some(start.elapsed()));
            }
        }
    })
}

/// An echo reply with our id (after the IPv4 header on an IPv4 raw socket).
fn reply_matches(bytes: &[u8], v4: bool, id: u16) -> bool {
    let icmp = if v4 {
        let ihl = usize::from(bytes.first().map_or(0, |b| b & 0x0f)) * 4;
        bytes.get(ihl..).unwrap_or_default()
    } else {
        bytes
    };
    let (Some(&t), Some(hi), Some(lo)) = (icmp.first(), icmp.get(4), icmp.get(5)) else {
        return false;
    };
    let reply = if v4 { 0 } else { 129 };
    t == reply && u16::from_be_bytes([*hi, *lo]) == id
}
