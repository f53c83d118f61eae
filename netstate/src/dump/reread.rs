//! Re-reads: what the kernel changed without an event per change, read again table by
//! table, or device by device with filtered dumps (a link's FDB entries, routes and
//! neighbours), and links one by one.

use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_REQUEST};
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::neighbour::{NeighbourAttribute, NeighbourMessage};
use netlink_packet_route::route::{RouteAttribute, RouteMessage};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket};

use super::{dump_one, dump_part, err, warn_unparsed, Collect, Model, Part, Vlans};
use crate::apply::Fresh;
use crate::model::Tables;
use crate::netns::{self, NetnsInfo};
use crate::{parse, Error, Result};

/// What to read again: whole tables, links one by one, and some devices' FDB entries,
/// routes or neighbours (filtered dumps).
#[derive(Debug, Clone, Default)]
pub struct Wanted {
    pub tables: Tables,
    pub links: Vec<u32>,
    pub fdb_of: Vec<u32>,
    pub routes_of: Vec<u32>,
    pub neighs_of: Vec<u32>,
}

/// Reads again what `w` names, in the namespace, one part after the other.
pub fn reread_blocking(ns: &NetnsInfo, w: Wanted) -> Result<Fresh> {
    let Wanted {
        tables,
        links,
        fdb_of,
        routes_of,
        neighs_of,
    } = w;
    // One job in the namespace, one part after the other: a re-read is a few small dumps,
    // and a thread per part would cost more than the parts.
    let name = ns.name.clone();
    netns::run_in(ns, move || {
        let name = name.as_str();
        let mut fresh = Fresh::default();
        let mut tables = tables;
        // What a whole read covers anyway is not read by device.
        let routes_of = if tables.routes { Vec::new() } else { routes_of };
        let neighs_of = if tables.neighs { Vec::new() } else { neighs_of };
        if !routes_of.is_empty() || !neighs_of.is_empty() {
            match of_devices_here(name, &routes_of, &neighs_of) {
                Ok(m) => {
                    warn_unparsed(name, &m.bad);
                    if !routes_of.is_empty() {
                        fresh.routes_of = Some((routes_of, m.st.routes));
                    }
                    if !neighs_of.is_empty() {
                        fresh.neighs_of = Some((neighs_of, m.st.neighs));
                    }
                }
                // A kernel without filtered dumps (strict checking came in 4.20), or a dump
                // cut short: the whole tables.
                Err(e) => {
                    tracing::debug!(netns = name, "cannot read by device ({e}): whole tables");
                    tables.routes |= !routes_of.is_empty();
                    tables.neighs |= !neighs_of.is_empty();
                }
            }
        }
        if tables.routes {
            let m = dump_part::<Model>(name, Part::Routes, false)?;
            warn_unparsed(name, &m.bad);
            fresh.routes = Some(m.st.routes);
        }
        let neigh = match (tables.neighs, tables.fdb) {
            (false, false) => None,
            (true, false) => Some(Part::Neighs),
            _ => Some(Part::NeighFdb),
        };
        if let Some(part) = neigh {
            let m = dump_part::<Model>(name, part, false)?;
            warn_unparsed(name, &m.bad);
            fresh.neighs = tables.neighs.then_some(m.st.neighs);
            fresh.fdb = tables.fdb.then_some(m.st.fdb);
        }
        if !links.is_empty() {
            fresh.links = get_links(name, &links)?;
        }
        if !tables.fdb && !fdb_of.is_empty() {
            let m = fdb_of_here(name, &fdb_of)?;
            warn_unparsed(name, &m.bad);
            fresh.fdb_of = Some((fdb_of, m.st.fdb));
        }
        if tables.vlans {
            let v = dump_part::<Vlans>(name, Part::Vlans, false)?;
            warn_unparsed(name, &v.bad);
            fresh.vlans = Some(v.by_link);
        }
        Ok(fresh)
    })
}

/// A netlink socket with strict checking, which filtered dumps need (`ns` names the
/// namespace in errors).
fn strict_socket(ns: &str) -> Result<Socket> {
    let mut sock = Socket::new(NETLINK_ROUTE)
        .map_err(|e| err(ns, format!("cannot open a netlink socket: {e}")))?;
    sock.bind_auto()
        .map_err(|e| err(ns, format!("cannot bind a netlink socket: {e}")))?;
    sock.set_netlink_get_strict_chk(true)
        .map_err(|e| err(ns, format!("cannot ask for strict netlink checking: {e}")))?;
    Ok(sock)
}

/// The FDB entries of each device of `devs` (`bridge fdb show brport DEV`: a bridge port's
/// entries in its bridge's table and the device's own), from the namespace the calling
/// thread is in. The filter needs the socket's strict checking; a device gone by now has
/// no entries.
fn fdb_of_here(ns: &str, devs: &[u32]) -> Result<Model> {
    let sock = strict_socket(ns)?;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut m = Model::default();
    for (i, dev) in devs.iter().enumerate() {
        let mut req = NeighbourMessage::default();
        req.header.family = AddressFamily::Bridge;
        req.header.ifindex = *dev;
        let seq = 100 + u32::try_from(i).unwrap_or(0);
        match dump_one(
            &sock,
            ns,
            "fdb",
            RouteNetlinkMessage::GetNeighbour(req),
            seq,
            &mut buf,
            &mut |x| m.add(x),
        ) {
            // The device is gone: nothing of it to read.
            Err(Error::Netlink { reason, .. }) if reason.contains("No such device") => {}
            r => r?,
        }
    }
    Ok(m)
}

/// The routes that use each device of `devs` (`ip route show table all dev DEV`: a
/// nexthop on it), and its neighbours (`ip neigh show dev DEV`), from the namespace the
/// calling thread is in: what a device's state or carrier change can change unannounced,
/// without reading a host's thousands of routes. The filters need strict checking; a
/// device gone by now has none.
fn of_devices_here(ns: &str, routes_of: &[u32], neighs_of: &[u32]) -> Result<Model> {
    let sock = strict_socket(ns)?;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut m = Model::default();
    let mut reqs: Vec<(&str, RouteNetlinkMessage)> = Vec::new();
    for dev in routes_of {
        for fam in [AddressFamily::Inet, AddressFamily::Inet6] {
            let mut r = RouteMessage::default();
            r.header.address_family = fam;
            r.attributes.push(RouteAttribute::Oif(*dev));
            reqs.push(("route", RouteNetlinkMessage::GetRoute(r)));
        }
    }
    for dev in neighs_of {
        let mut n = NeighbourMessage::default();
        n.attributes.push(NeighbourAttribute::IfIndex(*dev));
        reqs.push(("neighbour", RouteNetlinkMessage::GetNeighbour(n)));
    }
    for (seq, (what, req)) in (200u32..).zip(reqs) {
        match dump_one(&sock, ns, what, req, seq, &mut buf, &mut |x| m.add(x)) {
            // The device is gone: nothing of it to read.
            Err(Error::Netlink { reason, .. }) if reason.contains("No such device") => {}
            r => r?,
        }
    }
    Ok(m)
}

/// `ENODEV`: no such device.
const ENODEV: i32 = 19;

/// Reads links one by one (`RTM_GETLINK` by index, as `ip link show dev X`); `None` for a
/// link the kernel no longer has.
fn get_links(ns: &str, indices: &[u32]) -> Result<Vec<(u32, Option<crate::model::Link>)>> {
    let mut sock = Socket::new(NETLINK_ROUTE)
        .map_err(|e| err(ns, format!("cannot open a netlink socket: {e}")))?;
    sock.bind_auto()
        .map_err(|e| err(ns, format!("cannot bind a netlink socket: {e}")))?;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut out = Vec::with_capacity(indices.len());
    for &i in indices.iter().filter(|i| **i != 0) {
        let mut get = LinkMessage::default();
        get.header.index = i;
        let mut req = NetlinkMessage::from(RouteNetlinkMessage::GetLink(get));
        req.header.flags = NLM_F_REQUEST;
        req.header.sequence_number = i;
        req.finalize();
        let mut bytes = vec![0u8; req.buffer_len()];
        req.serialize(&mut bytes);
        sock.send(&bytes, 0)
            .map_err(|e| err(ns, format!("link {i}: request failed: {e}")))?;
        buf.clear();
        let n = sock
            .recv(&mut buf, 0)
            .map_err(|e| err(ns, format!("link {i}: no answer: {e}")))?;
        // A link the kernel will not describe (or that cannot be parsed) is left as the
        // model has it, and logged: it does not cost the others.
        let link = match NetlinkMessage::<RouteNetlinkMessage>::deserialize(
            buf.get(..n).unwrap_or_default(),
        )
        .map(|m| m.payload)
        {
            Ok(NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l))) => {
                Some(parse::link(l))
            }
            Ok(NetlinkPayload::Error(e)) if e.raw_code() == -ENODEV => None,
            Ok(NetlinkPayload::Error(e)) => {
                tracing::warn!(
                    netns = ns,
                    link = i,
                    "cannot read the link again: {}",
                    e.to_io()
                );
                continue;
            }
            Ok(_) => {
                tracing::warn!(
                    netns = ns,
                    link = i,
                    "cannot read the link again: unexpected answer"
                );
                continue;
            }
            Err(e) => {
                tracing::warn!(
                    netns = ns,
                    link = i,
                    "cannot parse the link read again: {e}"
                );
                continue;
            }
        };
        out.push((i, link));
    }
    Ok(out)
}
