//! Values a fix needs, filled from the model instead of left as blanks: a free address on
//! a subnet (held by nobody on the segment, and unanswered when probed), the gateway of a
//! subnet (from the default routes the host already has), an existing shim.

use std::collections::HashSet;
use std::net::IpAddr;

use actions::step::RouteSpec;
use actions::Step;
use ipnet::IpNet;
use netstate::consts::{MACVLAN_MODE_BRIDGE, RT_TABLE_MAIN};
use netstate::inventory::NsEntry;
use netstate::l2::{has_carrier, is_up, macvlan_mode, Fabric, LinkAt, Start};
use netstate::model::{Fdb, KindInfo, Link, VxlanInfo};
use netstate::NsId;

use crate::kernel::Kernel;
use crate::report::{Fix, PEER_UNDERLAY_IP};

/// The first IPv4 subnet (shorter than /32) on `at`.
pub fn subnet_v4(f: &Fabric<'_>, at: LinkAt) -> Option<IpNet> {
    f.entry(at.ns)?
        .state
        .addrs
        .values()
        .filter(|a| a.ifindex == at.ifindex && a.prefixlen < 32)
        .find_map(|a| {
            a.local
                .filter(IpAddr::is_ipv4)
                .and_then(|l| IpNet::new(l, a.prefixlen).ok())
        })
}

/// An address of `parent`'s subnet that nobody on its segment holds (the parent's
/// namespace, its macvlan children anywhere, what its wire reaches), that its namespace
/// has no neighbour entry for, and that no one answers an ARP probe for: what a shim on
/// `parent` can take. Taken from the top of the subnet down.
pub fn free_ip(f: &Fabric<'_>, k: &dyn Kernel, parent: LinkAt) -> Option<IpAddr> {
    let net = subnet_v4(f, parent)?;
    let e = f.entry(parent.ns)?;
    let mut seen: HashSet<LinkAt> = f.segment(Start::NewMacvlan {
        parent,
        mode: MACVLAN_MODE_BRIDGE,
    });
    seen.extend(e.state.links.keys().map(|i| LinkAt {
        ns: parent.ns,
        ifindex: *i,
    }));
    seen.extend(f.uppers(parent).iter().copied());
    let used = |ip: IpAddr| {
        f.holders(ip).iter().any(|h| seen.contains(h))
            || e.state
                .neighs
                .values()
                .any(|n| n.dst == Some(ip) && n.lladdr.is_some())
    };
    let pl = f.link(parent)?;
    let dev = pl.name.clone();
    let mac: [u8; 6] = pl
        .address
        .as_deref()
        .and_then(|m| m.try_into().ok())
        .unwrap_or_default();
    let mut probed = 0;
    for ip in net.hosts().collect::<Vec<_>>().into_iter().rev().take(64) {
        if used(ip) {
            continue;
        }
        let IpAddr::V4(v4) = ip else { continue };
        match k.arp_answers(&e.info, &dev, mac, v4) {
            Some(true) => {
                probed += 1;
                if probed >= 4 {
                    return None;
                }
            }
            _ => return Some(ip),
        }
    }
    None
}

/// The gateways of the host's default routes (every namespace's, once each), with the
/// link each route leaves by.
pub fn default_gateways(f: &Fabric<'_>) -> Vec<(IpAddr, LinkAt)> {
    let mut v: Vec<(IpAddr, LinkAt)> = f
        .inv
        .namespaces
        .iter()
        .flat_map(|e| {
            e.state
                .routes
                .values()
                .filter(|r| r.table == RT_TABLE_MAIN && r.dst_len == 0)
                .filter_map(move |r| {
                    Some((
                        r.gateway?,
                        LinkAt {
                            ns: e.info.id,
                            ifindex: r.oif?,
                        },
                    ))
                })
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The gateway for namespace `ns` (of family `fam`): a default route's gateway (see
/// [`default_gateways`]) on one of `ns`'s subnets, used by a namespace on the same L2
/// segment (a copy of the subnet elsewhere does not count), and not `ns`'s own address;
/// else an address on such a subnet held, on the segment, by a namespace that forwards;
/// with the link of `ns` on that subnet.
pub fn gateway(
    f: &Fabric<'_>,
    k: &dyn Kernel,
    ns: NsId,
    fam: u8,
    gateways: &[(IpAddr, LinkAt)],
) -> Option<(IpAddr, LinkAt)> {
    let e = f.entry(ns)?;
    let subnets: Vec<(IpNet, LinkAt)> = e
        .state
        .addrs
        .values()
        .filter(|a| a.family == fam && a.prefixlen < if fam == 2 { 32 } else { 128 })
        .filter_map(|a| {
            let l = a.local?;
            (!l.is_loopback() && !is_link_local(l)).then_some(())?;
            Some((
                IpNet::new(l, a.prefixlen).ok()?.trunc(),
                LinkAt {
                    ns,
                    ifindex: a.ifindex,
                },
            ))
        })
        .collect();
    for (net, at) in &subnets {
        let own = |g: &IpAddr| f.holders(*g).iter().any(|h| h.ns == ns);
        let near: Vec<&(IpAddr, LinkAt)> = gateways
            .iter()
            .filter(|(g, _)| net.contains(g) && !own(g))
            .collect();
        if near.is_empty() {
            continue;
        }
        let domain = f.domain(*at);
        if let Some((g, _)) = near.iter().find(|(_, via)| domain.contains(via)) {
            return Some((*g, *at));
        }
    }
    for (net, at) in &subnets {
        let reach = f.reach(Start::Send(*at));
        for d in &reach.delivered {
            let Some(de) = f.entry(d.ns) else { continue };
            if d.ns == ns || crate::kernel::forwards(k, &de.info, net.addr()) != Some(true) {
                continue;
            }
            if let Some(a) = de
                .state
                .addrs
                .values()
                .find(|a| a.local.is_some_and(|l| net.contains(&l)))
            {
                return a.local.map(|l| (l, *at));
            }
        }
    }
    None
}

fn is_link_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v) => v.is_link_local(),
        IpAddr::V6(v) => v.segments()[0] & 0xffc0 == 0xfe80,
    }
}

/// A shim on `parent`: a bridge-mode macvlan of it in its own namespace, with an address.
pub fn shim_of(f: &Fabric<'_>, parent: LinkAt) -> Option<LinkAt> {
    let e = f.entry(parent.ns)?;
    f.uppers(parent).iter().copied().find(|u| {
        u.ns == parent.ns
            && f.link(*u).and_then(macvlan_mode) == Some(MACVLAN_MODE_BRIDGE)
            && e.state.addrs.values().any(|a| a.ifindex == u.ifindex)
    })
}

/// Host routes to `ips` through `shim` (`ip route add IP dev SHIM`).
pub fn shim_routes(f: &Fabric<'_>, shim: LinkAt, ips: &[IpAddr]) -> Option<Fix> {
    let e = f.entry(shim.ns)?;
    let dev = f.link(shim)?.name.clone();
    let steps: Vec<Step> = ips
        .iter()
        .filter_map(|ip| IpNet::new(*ip, if ip.is_ipv4() { 32 } else { 128 }).ok())
        .map(|dst| {
            Step::RouteAdd(RouteSpec {
                dev: Some(dev.clone()),
                ..RouteSpec::to(&e.info.name, dst)
            })
        })
        .collect();
    (!steps.is_empty()).then(|| Fix::Steps {
        title: format!("host routes through the shim {dev}"),
        netns: e.info.name.clone(),
        steps,
    })
}

/// `ip link set X up` as a fix.
pub fn link_up(f: &Fabric<'_>, at: LinkAt) -> Fix {
    let netns = f
        .entry(at.ns)
        .map(|e| e.info.name.clone())
        .unwrap_or_default();
    let name = f.link(at).map(|l| l.name.clone()).unwrap_or_default();
    Fix::Steps {
        title: format!("set {name} up"),
        netns: netns.clone(),
        steps: vec![Step::LinkSet(actions::step::LinkSet {
            netns: netns.clone(),
            name,
            change: actions::step::LinkChange::Up,
            previous: Some(actions::step::LinkChange::Down),
        })],
    }
}

/// Why `at` has no carrier: its veth peer or its parent is down.
pub fn no_carrier_cause(f: &Fabric<'_>, at: LinkAt) -> (String, Option<Fix>) {
    match f.other_end(at) {
        Some(Ok(o)) => match f.link(o) {
            Some(p) if !is_up(p) => {
                let rel = if f
                    .link(at)
                    .is_some_and(|l| l.kind.as_deref() == Some("veth"))
                {
                    "peer"
                } else {
                    "parent"
                };
                (
                    format!(": its {rel} {} is down", f.describe(o)),
                    Some(link_up(f, o)),
                )
            }
            Some(p) if !has_carrier(p) => {
                (format!(": {} has no carrier either", f.describe(o)), None)
            }
            _ => (String::new(), None),
        },
        _ => (String::new(), None),
    }
}

/// A vxlan device of VNI `vni` on this host that holds `ip` as its overlay address.
pub fn vxlan_peer<'a>(
    f: &Fabric<'a>,
    ip: IpAddr,
    vni: Option<u32>,
) -> Option<(LinkAt, &'a Link, &'a VxlanInfo)> {
    f.holders(ip).iter().find_map(|h| {
        let l = f.link(*h)?;
        match &l.info {
            KindInfo::Vxlan(v) if v.id == vni => Some((*h, l, v.as_ref())),
            _ => None,
        }
    })
}

/// The one underlay address a vxlan device's FDB entries point at, if they agree on one.
pub fn one_dst(fdb: &[&Fdb]) -> Option<IpAddr> {
    let mut d = fdb.iter().filter_map(|x| x.dst);
    let first = d.next()?;
    d.all(|x| x == first).then_some(first)
}

/// The FDB entry the ARP entry's MAC lacks, toward the peer's VTEP (the one the existing
/// entries name), and the removal of entries for MACs no ARP entry names.
pub fn vxlan_fdb(
    e: &NsEntry,
    l: &Link,
    mac: Option<&[u8]>,
    fdb: &[&Fdb],
    vtep: Option<IpAddr>,
) -> Fix {
    let dst = vtep.or_else(|| one_dst(fdb));
    let m = mac
        .and_then(actions::Mac::from_bytes)
        .unwrap_or(actions::Mac([0; 6]));
    let Some(dst) = dst else {
        return Fix::Manual(format!(
            "bridge -n {} fdb append {m} dev {} dst {PEER_UNDERLAY_IP}",
            actions::types::shell_quote(&e.info.name),
            actions::types::shell_quote(&l.name)
        ));
    };
    let spec = |mac: actions::Mac, dst: Option<IpAddr>| actions::step::FdbSpec {
        netns: e.info.name.clone(),
        mac,
        dev: l.name.clone(),
        dst,
        vni: None,
        port: None,
        self_: true,
        master: false,
    };
    let named: Vec<&Vec<u8>> = e
        .state
        .neighs
        .values()
        .filter(|n| n.ifindex == l.ifindex)
        .filter_map(|n| n.lladdr.as_ref())
        .collect();
    let mut steps = vec![Step::FdbAppend(spec(m, Some(dst)))];
    for x in fdb
        .iter()
        .filter(|x| x.dst.is_some() && !x.mac.iter().all(|b| *b == 0) && !named.contains(&&x.mac))
    {
        if let Some(xm) = actions::Mac::from_bytes(&x.mac) {
            steps.push(Step::FdbDel(spec(xm, x.dst)));
        }
    }
    Fix::Steps {
        title: format!("FDB entry for {m} on {} to VTEP {dst}", l.name),
        netns: e.info.name.clone(),
        steps,
    }
}
