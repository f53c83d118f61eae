//! vxlan devices: nolearning with routes via a peer that has no ARP or FDB entry, an ARP
//! entry whose MAC has no FDB entry while others do (a typo), the kernel's legacy port, an
//! MTU the underlay cannot carry, and FDB entries toward a VTEP on this host that listens
//! on another port.

use std::net::IpAddr;

use actions::step::{LinkChange, LinkSet};
use actions::{ActionInput, Step, VxlanPeerInput};
use netstate::consts::VXLAN_LEGACY_PORT;
use netstate::inventory::NsEntry;
use netstate::l2::{LinkAt, Start};
use netstate::model::{Fdb, KindInfo, Link, VxlanInfo};
use netstate::names;

use super::Cx;
use crate::fill;
use crate::report::{Check, Finding, Fix, Severity, PEER_UNDERLAY_IP, PEER_VXLAN_MAC};

fn zero(m: &[u8]) -> bool {
    m.iter().all(|b| *b == 0)
}

pub(crate) fn checks(cx: &Cx<'_>, e: &NsEntry, out: &mut Vec<Finding>) {
    for l in e.state.links.values() {
        let KindInfo::Vxlan(v) = &l.info else {
            continue;
        };
        let at = LinkAt {
            ns: e.info.id,
            ifindex: l.ifindex,
        };
        let fdb: Vec<&Fdb> = e
            .state
            .fdb
            .values()
            .filter(|f| f.ifindex == l.ifindex)
            .collect();
        if v.learning == Some(false) && v.group.is_none() {
            peers(cx, e, at, l, v, &fdb, out);
        }
        if v.port.is_none_or(|p| p == VXLAN_LEGACY_PORT) {
            out.push(cx.finding(
                Severity::Warning,
                Check::VxlanLegacyPort,
                at,
                vec![cx.obj(at)],
                format!(
                    "{} uses UDP 8472, the kernel's legacy default for a vxlan created without dstport: peers on the IANA port 4789 never hear it",
                    l.name
                ),
                format!("{}: dstport {}", l.name, v.port.unwrap_or(VXLAN_LEGACY_PORT)),
                Some(Fix::Manual(format!(
                    "netlens plan --netns {} recreate --dev {} --export FILE, then set dstport 4789 in FILE and run it",
                    actions::types::shell_quote(&e.info.name),
                    actions::types::shell_quote(&l.name)
                ))),
            ));
        }
        mtu(cx, e, at, l, v, out);
        remote_ports(cx, e, at, l, v, &fdb, out);
    }
}

/// Each route via a peer's overlay address needs an ARP entry and an FDB entry for the
/// MAC it gives.
fn peers(
    cx: &Cx<'_>,
    e: &NsEntry,
    at: LinkAt,
    l: &Link,
    v: &VxlanInfo,
    fdb: &[&Fdb],
    out: &mut Vec<Finding>,
) {
    let has_default = fdb.iter().any(|f| zero(&f.mac) && f.dst.is_some());
    let mut seen: Vec<IpAddr> = Vec::new();
    for r in e.state.routes.values().filter(|r| r.oif == Some(l.ifindex)) {
        let Some(gw) = r.gateway else { continue };
        if seen.contains(&gw) {
            continue;
        }
        seen.push(gw);
        let dst = netstate::json::route_dst(r);
        let peer = fill::vxlan_peer(&cx.f, gw, v.id);
        let arp = e
            .state
            .neighs
            .values()
            .find(|n| n.ifindex == l.ifindex && n.dst == Some(gw));
        let Some(m) = arp.and_then(|n| n.lladdr.clone()) else {
            let mac = peer
                .and_then(|(_, pl, _)| pl.address.as_deref().map(names::mac))
                .unwrap_or_else(|| PEER_VXLAN_MAC.to_owned());
            let underlay = peer
                .and_then(|(_, _, pv)| pv.local)
                .or_else(|| fill::one_dst(fdb));
            out.push(cx.finding(
                Severity::Error,
                Check::VxlanNoArp,
                at,
                vec![cx.obj(at), cx.val(at, &gw)],
                format!("route {dst} via {gw} dev {}: no ARP entry for {gw}, and {} has nolearning: nothing answers for the peer", l.name, l.name),
                format!("no neighbour {gw} on {}", l.name),
                Some(Fix::Plan {
                    netns: e.info.name.clone(),
                    input: ActionInput::VxlanPeer(VxlanPeerInput {
                        dev: l.name.clone(),
                        overlay_ip: gw.to_string(),
                        mac,
                        underlay: underlay.map_or_else(|| PEER_UNDERLAY_IP.to_owned(), |u| u.to_string()),
                        routes: Vec::new(),
                    }),
                }),
            ));
            continue;
        };
        if has_default || fdb.iter().any(|f| f.mac == m && f.dst.is_some()) {
            continue;
        }
        let others: Vec<String> = fdb
            .iter()
            .filter(|f| f.dst.is_some())
            .map(|f| {
                format!(
                    "{} dst {}",
                    names::mac(&f.mac),
                    f.dst.map(|d| d.to_string()).unwrap_or_default()
                )
            })
            .collect();
        let (check, message) = if others.is_empty() {
            (
                Check::VxlanNoFdb,
                format!("route {dst} via {gw} dev {}: {} has nolearning and no FDB entry with a destination: encapsulated frames go nowhere", l.name, l.name),
            )
        } else {
            (
                Check::ArpFdbMismatch,
                format!(
                    "the ARP entry for {gw} on {} says {}, but the FDB has no entry for that MAC ({}): a typo in one of them?",
                    l.name,
                    names::mac(&m),
                    others.join(", ")
                ),
            )
        };
        let fix = match peer {
            // The peer is on this host: its real MAC tells which entry is wrong.
            Some((_, pl, _))
                if pl
                    .address
                    .as_ref()
                    .is_some_and(|pm| *pm != m && fdb.iter().any(|f| f.mac == *pm)) =>
            {
                neigh_fix(e, l, gw, pl.address.as_deref().unwrap_or_default())
            }
            _ => fill::vxlan_fdb(e, l, Some(&m), fdb, peer.and_then(|(_, _, pv)| pv.local)),
        };
        out.push(cx.finding(
            Severity::Error,
            check,
            at,
            vec![cx.obj(at), cx.val(at, &gw), cx.val(at, &names::mac(&m))],
            message,
            format!(
                "neighbour {gw} lladdr {} on {}; FDB of {}: {}",
                names::mac(&m),
                l.name,
                l.name,
                if others.is_empty() {
                    "no entry with dst".into()
                } else {
                    others.join(", ")
                }
            ),
            Some(fix),
        ));
    }
}

/// The ARP entry points at a MAC no peer has: point it at the peer's.
fn neigh_fix(e: &NsEntry, l: &Link, gw: IpAddr, mac: &[u8]) -> Fix {
    let m = actions::Mac::from_bytes(mac).unwrap_or(actions::Mac([0; 6]));
    let old = e
        .state
        .neighs
        .values()
        .find(|n| n.ifindex == l.ifindex && n.dst == Some(gw));
    Fix::Steps {
        title: format!("point the ARP entry for {gw} at {m}"),
        netns: e.info.name.clone(),
        steps: vec![Step::NeighReplace {
            neigh: actions::step::NeighSpec {
                netns: e.info.name.clone(),
                dst: gw,
                lladdr: Some(m),
                dev: l.name.clone(),
                permanent: true,
            },
            previous: old
                .and_then(|n| actions::step::NeighSpec::from_model(&e.info.name, n, &e.state)),
        }],
    }
}

fn mtu(cx: &Cx<'_>, e: &NsEntry, at: LinkAt, l: &Link, v: &VxlanInfo, out: &mut Vec<Finding>) {
    let (Some(u), Some(m)) = (v.link.and_then(|u| e.state.links.get(&u)), l.mtu) else {
        return;
    };
    let overhead = if v.local.is_some_and(|a| a.is_ipv6()) {
        70
    } else {
        50
    };
    let Some(um) = u.mtu.filter(|um| m + overhead > *um) else {
        return;
    };
    let uat = LinkAt {
        ns: at.ns,
        ifindex: u.ifindex,
    };
    out.push(cx.finding(
        Severity::Warning,
        Check::VxlanMtu,
        at,
        vec![cx.obj(at), cx.obj(uat)],
        format!(
            "{} has MTU {m}, above its underlay {}'s {um} less {overhead} bytes of encapsulation: full-size frames are dropped",
            l.name, u.name
        ),
        format!("mtu {m} on {}, {um} on {}", l.name, u.name),
        Some(Fix::Steps {
            title: format!("MTU {} on {}", um - overhead, l.name),
            netns: e.info.name.clone(),
            steps: vec![Step::LinkSet(LinkSet {
                netns: e.info.name.clone(),
                name: l.name.clone(),
                change: LinkChange::Mtu(um - overhead),
                previous: Some(LinkChange::Mtu(m)),
            })],
        }),
    ));
}

/// FDB entries toward a VTEP address held on this host, on the underlay's segment, where
/// the vxlan device of the same VNI listens on another port: each side hears only its own.
fn remote_ports(
    cx: &Cx<'_>,
    e: &NsEntry,
    at: LinkAt,
    l: &Link,
    v: &VxlanInfo,
    fdb: &[&Fdb],
    out: &mut Vec<Finding>,
) {
    let f = &cx.f;
    let port = v.port.unwrap_or(VXLAN_LEGACY_PORT);
    let mut dsts: Vec<IpAddr> = fdb.iter().filter_map(|x| x.dst).collect();
    dsts.sort_unstable();
    dsts.dedup();
    if dsts.is_empty() {
        return;
    }
    for d in dsts {
        // The underlay's egress as the main table routes the VTEP, else the device's `dev`.
        let under = crate::routes::lpm(&e.state, netstate::consts::RT_TABLE_MAIN, d)
            .and_then(|r| r.oif)
            .or(v.link)
            .map(|u| LinkAt {
                ns: at.ns,
                ifindex: u,
            });
        let reach = under.map(|u| f.reach(Start::Send(u)));
        for h in f.holders(d) {
            let on_segment = h.ns == at.ns
                || reach
                    .as_ref()
                    .is_some_and(|r| r.delivered.iter().any(|x| x.ns == h.ns));
            if !on_segment {
                continue;
            }
            let Some(he) = f.entry(h.ns) else { continue };
            let same_vni: Vec<(&Link, u16)> = he
                .state
                .links
                .values()
                .filter_map(|x| match &x.info {
                    KindInfo::Vxlan(xv)
                        if xv.id == v.id && !(h.ns == at.ns && x.ifindex == at.ifindex) =>
                    {
                        Some((x, xv.port.unwrap_or(VXLAN_LEGACY_PORT)))
                    }
                    _ => None,
                })
                .collect();
            if same_vni.is_empty() || same_vni.iter().any(|(_, p)| *p == port) {
                continue;
            }
            let (x, p) = same_vni[0];
            let xat = LinkAt {
                ns: h.ns,
                ifindex: x.ifindex,
            };
            out.push(cx.finding(
                Severity::Error,
                Check::VniPortMismatch,
                at,
                vec![cx.obj(at), cx.obj(xat)],
                format!(
                    "{} sends VNI {} to the VTEP {d} on UDP {port}, but the VTEP there ({}) listens on UDP {p}: neither hears the other",
                    l.name,
                    v.id.unwrap_or(0),
                    f.describe(xat)
                ),
                format!("{}: dstport {port}; {}: dstport {p}", f.describe(at), f.describe(xat)),
                Some(Fix::Manual(format!(
                    "netlens plan --netns {} recreate --dev {} --export FILE, then set dstport {port} in FILE and run it",
                    actions::types::shell_quote(&he.info.name),
                    actions::types::shell_quote(&x.name)
                ))),
            ));
        }
    }
}
