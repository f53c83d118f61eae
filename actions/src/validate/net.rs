//! Addresses, prefixes, MACs, and their clashes with the live model.

use std::net::IpAddr;

use ipnet::IpNet;
use netstate::text;

use super::{NsView, Result, ValidationError};
use crate::step::RouteSpec;
use crate::types::Mac;

/// An IPv4 or IPv6 address without a prefix length.
pub fn ip(field: &'static str, s: &str) -> Result<IpAddr> {
    s.parse().map_err(|_| {
        let reason = if s.contains('/') {
            "is a CIDR: give the address alone, without a prefix length"
        } else {
            "not an IPv4 or IPv6 address"
        };
        ValidationError::new(field, s, reason)
    })
}

/// An address a host can own and be reached at: not unspecified (`0.0.0.0`, `::`: the
/// kernel ignores it, so its undo fails), not the broadcast `255.255.255.255`, not
/// multicast, not loopback (the kernel keeps those to `lo`).
pub fn unicast(field: &'static str, value: &str, a: IpAddr) -> Result<IpAddr> {
    let reason = if a.is_unspecified() {
        Some("is the unspecified address: it names no host (the kernel ignores it, and the plan's undo would fail)")
    } else if a == IpAddr::from([255, 255, 255, 255]) {
        Some("is the limited broadcast address: it names every host on the link, not one")
    } else if a.is_multicast() {
        Some("is a multicast address: a host joins a group, it does not own its address")
    } else if a.is_loopback() {
        Some("is a loopback address: it belongs on lo and never leaves the host")
    } else {
        None
    };
    match reason {
        Some(r) => Err(ValidationError::new(field, value, r)),
        None => Ok(a),
    }
}

/// A unicast address without a prefix length ([`ip`] and [`unicast`]).
pub fn host_ip(field: &'static str, s: &str) -> Result<IpAddr> {
    unicast(field, s, ip(field, s)?)
}

/// An interface address with its prefix length (`10.0.0.60/24`).
pub fn cidr(field: &'static str, s: &str) -> Result<IpNet> {
    if !s.contains('/') {
        let reason = format!(
            "needs a prefix length, e.g. {}/24: it decides which addresses are on-link",
            if s.is_empty() { "10.0.0.60" } else { s }
        );
        return Err(ValidationError::new(field, s, reason));
    }
    let net: IpNet = s.parse().map_err(|_| {
        ValidationError::new(
            field,
            s,
            "not a CIDR: write ADDRESS/LENGTH, the length at most 32 for IPv4 and 128 for IPv6",
        )
    })?;
    unicast(field, s, net.addr())?;
    Ok(net)
}

/// A route destination: a CIDR without host bits, or an address (a host route).
pub fn prefix(field: &'static str, s: &str) -> Result<IpNet> {
    if !s.contains('/') {
        return Ok(IpNet::from(ip(field, s)?));
    }
    let net: IpNet = s.parse().map_err(|_| {
        ValidationError::new(
            field,
            s,
            "not an address or CIDR: the prefix length is at most 32 for IPv4 and 128 for IPv6",
        )
    })?;
    if net.trunc() != net {
        return Err(ValidationError::new(
            field,
            s,
            format!(
                "has host bits set: the kernel refuses it as a route destination; did you mean {}?",
                net.trunc()
            ),
        ));
    }
    Ok(net)
}

/// A MAC address; with `unicast`, one a device can own (not all zero, group
/// bit clear).
pub fn mac(field: &'static str, s: &str, unicast: bool) -> Result<Mac> {
    let m: Mac = s
        .parse()
        .map_err(|e: crate::types::MacParseError| ValidationError::new(field, s, e.to_string()))?;
    if unicast && m.is_zero() {
        return Err(ValidationError::new(
            field,
            s,
            "the all-zero address cannot belong to a device",
        ));
    }
    if unicast && !m.is_unicast() {
        return Err(ValidationError::new(
            field,
            s,
            "is a multicast or broadcast address (low bit of the first octet set): a device needs a unicast MAC",
        ));
    }
    Ok(m)
}

/// No interface in the namespace has the address.
pub fn addr_free(field: &'static str, value: &str, addr: IpAddr, ns: NsView<'_>) -> Result<()> {
    let owner = ns
        .state
        .addrs
        .values()
        .find(|a| a.local.or(a.address) == Some(addr));
    match owner {
        Some(a) => Err(ValidationError::new(
            field,
            value,
            format!(
                "{addr} is already in use on {} in namespace {}",
                ns.state.link_name(a.ifindex).unwrap_or("?"),
                ns.name
            ),
        )),
        None => Ok(()),
    }
}

/// The namespace has exactly this route already (same table, destination, metric,
/// gateway and device): adding it again would fail with "File exists" and change nothing.
pub fn route_present(spec: &RouteSpec, ns: NsView<'_>) -> bool {
    let (table, metric) = (spec.table_id(), spec.metric_value());
    let dst = spec.dst.trunc();
    let dev = spec
        .dev
        .as_deref()
        .and_then(|d| ns.state.link_by_name(d))
        .map(|l| l.ifindex);
    ns.state.routes.values().any(|r| {
        r.table == table
            && r.dst_len == dst.prefix_len()
            && r.dst.unwrap_or_else(|| dst.network()) == dst.network()
            && r.family == family(dst.addr())
            && r.metric.unwrap_or(0) == metric
            && r.kind == 1
            && r.gateway == spec.via
            && (spec.dev.is_none() || r.oif == dev)
    })
}

/// No route in the namespace has the same table, destination and metric.
pub fn route_free(
    field: &'static str,
    value: &str,
    spec: &RouteSpec,
    ns: NsView<'_>,
) -> Result<()> {
    let (table, metric) = (spec.table_id(), spec.metric_value());
    let dst = spec.dst.trunc();
    let clash = ns.state.routes.values().find(|r| {
        r.table == table
            && r.dst_len == dst.prefix_len()
            && r.dst.unwrap_or_else(|| dst.network()) == dst.network()
            && r.family == family(dst.addr())
            && r.metric.unwrap_or(0) == metric
            && r.kind == 1
    });
    match clash {
        Some(r) => Err(ValidationError::new(
            field,
            value,
            format!(
                "conflicts with the route \"{}\" in namespace {} (same table, destination and metric): delete it first, or choose another destination",
                text::route(r, ns.state).trim(),
                ns.name
            ),
        )),
        None => Ok(()),
    }
}

/// Both addresses are of one family.
pub fn same_family(
    field: &'static str,
    value: &str,
    a: IpAddr,
    b: IpAddr,
    other: &str,
) -> Result<()> {
    if a.is_ipv4() == b.is_ipv4() {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            value,
            format!("is not of the same address family as {other} ({b})"),
        ))
    }
}

fn family(a: IpAddr) -> u8 {
    if a.is_ipv4() {
        2
    } else {
        10
    }
}
