//! The doctor: what in the live model keeps traffic from flowing, with the objects
//! involved, the evidence, and the fix (a `netlens plan` command line where one exists).
//! It only reads the model: the findings are as fresh as the view.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use serde::Serialize;

use crate::inventory::{Inventory, NsEntry};
use crate::model::{KindInfo, Link, NsState};
use crate::names;
use crate::netns::NsId;
use crate::topo;

/// How bad a finding is. The doctor's exit status is the worst one's: 0 none, 1
/// warnings, 2 errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One thing the doctor found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// A stable name for the check (`no-shim`, `no-default-route`…).
    pub check: &'static str,
    pub netns: String,
    /// The objects involved: link names (`eth0`), addresses.
    pub objects: Vec<String>,
    /// What is wrong, in a sentence.
    pub message: String,
    /// What in the model shows it.
    pub evidence: String,
    /// A command that fixes it, when there is one.
    pub fix: Option<String>,
}

const IFF_UP: u32 = 0x1;
const IFF_LOWER_UP: u32 = 0x1_0000;
const NUD_INCOMPLETE: u16 = 0x01;
const NUD_FAILED: u16 = 0x20;
const NUD_PERMANENT: u16 = 0x80;
const MACVLAN_MODE_BRIDGE: u32 = 4;

fn mac(b: &[u8]) -> String {
    names::mac(b)
}

fn v4_addrs(st: &NsState, ifindex: u32) -> Vec<(IpAddr, u8)> {
    st.addrs
        .values()
        .filter(|a| a.ifindex == ifindex && a.family == 2)
        .filter_map(|a| a.local.or(a.address).map(|x| (x, a.prefixlen)))
        .collect()
}

/// `net.ipv4.conf.*.rp_filter` of each namespace (`all`, `default` and each link), read
/// by the caller (sysctls are I/O; the rest of the doctor reads the model only).
pub type RpFilter = HashMap<NsId, HashMap<String, u8>>;

/// Reads `rp_filter` (`all` and each link) in every namespace of the inventory (a thread
/// enters each); a namespace that cannot be read is left out.
pub fn read_rp_filter(inv: &Inventory) -> RpFilter {
    let mut rp = RpFilter::new();
    for e in &inv.namespaces {
        let names: Vec<String> = e.state.links.values().map(|l| l.name.clone()).collect();
        let read = crate::netns::run_in(&e.info, move || {
            let mut m = HashMap::new();
            for n in std::iter::once("all".to_owned()).chain(names) {
                let p = format!("/proc/sys/net/ipv4/conf/{n}/rp_filter");
                if let Some(v) = std::fs::read_to_string(&p)
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                {
                    m.insert(n, v);
                }
            }
            Ok(m)
        });
        if let Ok(m) = read {
            rp.insert(e.info.id, m);
        }
    }
    rp
}

/// Runs every check on the namespaces `only` names (all when `None`).
pub fn examine(inv: &Inventory, only: Option<&[NsId]>) -> Vec<Finding> {
    examine_with(inv, only, None)
}

/// [`examine`], and with the namespaces' `rp_filter` settings, the reverse-path check.
pub fn examine_with(inv: &Inventory, only: Option<&[NsId]>, rp: Option<&RpFilter>) -> Vec<Finding> {
    let wanted = |id: NsId| only.is_none_or(|o| o.contains(&id));
    let mut out = Vec::new();
    for e in inv.namespaces.iter().filter(|e| wanted(e.info.id)) {
        no_shim(inv, e, &mut out);
        no_default_route(e, &mut out);
        vxlan_checks(e, &mut out);
        bad_neighbours(e, &mut out);
        parents_down(inv, e, &mut out);
        if let Some(r) = rp.and_then(|rp| rp.get(&e.info.id)) {
            strict_rp_filter(e, r, &mut out);
        }
    }
    stale_neighbours(inv, &wanted, &mut out);
    duplicate_addresses(inv, &wanted, &mut out);
    vni_port_mismatch(inv, &wanted, &mut out);
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.netns.cmp(&b.netns)));
    out
}

/// A parent with bridge-mode macvlan children elsewhere (containers) and an address here,
/// but no macvlan of its own here to reach them: the kernel never passes frames between a
/// parent and its macvlan children.
fn no_shim(inv: &Inventory, e: &NsEntry, out: &mut Vec<Finding>) {
    for p in e.state.links.values() {
        let mine = v4_addrs(&e.state, p.ifindex);
        let Some(&(host_ip, host_len)) = mine.first() else {
            continue;
        };
        let kids = inv.children(e.info.id, p.ifindex);
        let containers: Vec<(String, Vec<IpAddr>)> = kids
            .iter()
            .filter(|(ke, k)| {
                ke.info.id != e.info.id
                    && matches!(k.info, KindInfo::Macvlan { mode, .. } if mode == MACVLAN_MODE_BRIDGE)
            })
            .map(|(ke, k)| {
                (
                    format!("{}@{}", k.name, ke.info.label()),
                    v4_addrs(&ke.state, k.ifindex)
                        .into_iter()
                        .map(|(a, _)| a)
                        .collect(),
                )
            })
            .collect();
        if containers.is_empty() {
            continue;
        }
        let has_shim = kids.iter().any(|(ke, k)| {
            ke.info.id == e.info.id
                && matches!(k.info, KindInfo::Macvlan { .. })
                && !v4_addrs(&ke.state, k.ifindex).is_empty()
        });
        if has_shim {
            continue;
        }
        let ips: Vec<String> = containers
            .iter()
            .flat_map(|(_, a)| a.iter().map(ToString::to_string))
            .collect();
        let to: String = ips.iter().fold(String::new(), |mut acc, a| {
            acc.push_str(" --to ");
            acc.push_str(a);
            acc
        });
        out.push(Finding {
            severity: Severity::Warning,
            check: "no-shim",
            netns: e.info.label(),
            objects: std::iter::once(p.name.clone())
                .chain(containers.iter().map(|(n, _)| n.clone()))
                .collect(),
            message: format!(
                "{} cannot reach its macvlan containers on {} ({}): the kernel does not pass frames between a parent and its bridge-mode macvlan children",
                e.info.label(),
                p.name,
                containers.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(", ")
            ),
            evidence: format!(
                "{} has {host_ip}/{host_len} and no macvlan of its own with an address",
                p.name
            ),
            fix: Some(format!(
                "netlens plan --netns {} shim --parent {} --ip FREE_IP{to}",
                e.info.label(),
                p.name
            )),
        });
    }
}

/// A container namespace with an address but no default route: it reaches its own
/// subnet and nothing beyond.
fn no_default_route(e: &NsEntry, out: &mut Vec<Finding>) {
    if e.info.name == "host" {
        return;
    }
    let has_default = |fam: u8| {
        e.state
            .routes
            .values()
            .any(|r| r.family == fam && r.dst_len == 0 && r.table == 254)
    };
    for l in e.state.links.values() {
        if !matches!(
            l.kind.as_deref(),
            Some("macvlan" | "veth" | "macvtap" | "ipvlan")
        ) {
            continue;
        }
        let Some((a, len)) = v4_addrs(&e.state, l.ifindex).first().copied() else {
            continue;
        };
        if has_default(2) {
            continue;
        }
        out.push(Finding {
            severity: Severity::Warning,
            check: "no-default-route",
            netns: e.info.label(),
            objects: vec![l.name.clone(), format!("{a}/{len}")],
            message: format!(
                "{} has {a}/{len} on {} but no default route: only its own subnet is reachable",
                e.info.label(),
                l.name
            ),
            evidence: "no IPv4 route with prefix length 0 in the main table".into(),
            fix: Some(format!(
                "ip -n {} route add default via GATEWAY dev {}",
                e.info.label(),
                l.name
            )),
        });
        break;
    }
}

/// vxlan devices: nolearning with routes via a peer that has no FDB entry or no ARP
/// entry; an ARP entry whose MAC has no FDB entry while others do (a typo); the kernel's
/// legacy port; an MTU the underlay cannot carry.
fn vxlan_checks(e: &NsEntry, out: &mut Vec<Finding>) {
    let st = &e.state;
    let ns = e.info.label();
    for l in st.links.values() {
        let KindInfo::Vxlan(v) = &l.info else {
            continue;
        };
        let fdb: Vec<_> = st.fdb.values().filter(|f| f.ifindex == l.ifindex).collect();
        let has_default_fdb = fdb
            .iter()
            .any(|f| f.mac.iter().all(|b| *b == 0) && f.dst.is_some());
        let nbrs: Vec<_> = st
            .neighs
            .values()
            .filter(|n| n.ifindex == l.ifindex)
            .collect();
        if v.learning == Some(false) && v.group.is_none() {
            for r in st.routes.values().filter(|r| r.oif == Some(l.ifindex)) {
                let Some(gw) = r.gateway else { continue };
                let arp = nbrs.iter().find(|n| n.dst == Some(gw));
                let dst = crate::json::route_dst(r);
                match arp.and_then(|n| n.lladdr.clone()) {
                    None => out.push(Finding {
                        severity: Severity::Error,
                        check: "vxlan-no-arp",
                        netns: ns.clone(),
                        objects: vec![l.name.clone(), gw.to_string()],
                        message: format!(
                            "route {dst} via {gw} dev {}: no ARP entry for {gw}, and {} has nolearning: nothing answers for the peer",
                            l.name, l.name
                        ),
                        evidence: format!("no neighbour {gw} on {}", l.name),
                        fix: Some(format!(
                            "netlens plan --netns {ns} vxlan-peer --dev {} --overlay-ip {gw} --mac PEER_VXLAN_MAC --underlay PEER_UNDERLAY_IP",
                            l.name
                        )),
                    }),
                    Some(m) => {
                        let specific = fdb.iter().any(|f| f.mac == m && f.dst.is_some());
                        if !specific && !has_default_fdb {
                            let others: Vec<String> = fdb
                                .iter()
                                .filter(|f| f.dst.is_some())
                                .map(|f| format!("{} dst {}", mac(&f.mac), f.dst.map(|d| d.to_string()).unwrap_or_default()))
                                .collect();
                            let (check, message) = if others.is_empty() {
                                ("vxlan-no-fdb", format!(
                                    "route {dst} via {gw} dev {}: {} has nolearning and no FDB entry with a destination: encapsulated frames go nowhere",
                                    l.name, l.name
                                ))
                            } else {
                                ("arp-fdb-mismatch", format!(
                                    "the ARP entry for {gw} on {} says {}, but the FDB has no entry for that MAC ({}): a typo in one of them?",
                                    l.name, mac(&m), others.join(", ")
                                ))
                            };
                            out.push(Finding {
                                severity: Severity::Error,
                                check,
                                netns: ns.clone(),
                                objects: vec![l.name.clone(), gw.to_string(), mac(&m)],
                                message,
                                evidence: format!("neighbour {gw} lladdr {} on {}; FDB of {}: {}", mac(&m), l.name, l.name, if others.is_empty() { "no entry with dst".into() } else { others.join(", ") }),
                                fix: Some(format!(
                                    "bridge -n {ns} fdb append {} dev {} dst PEER_UNDERLAY_IP",
                                    mac(&m),
                                    l.name
                                )),
                            });
                        }
                    }
                }
            }
        }
        if v.port.is_none_or(|p| p == 8472) {
            out.push(Finding {
                severity: Severity::Warning,
                check: "vxlan-legacy-port",
                netns: ns.clone(),
                objects: vec![l.name.clone()],
                message: format!(
                    "{} uses UDP 8472, the kernel's legacy default for a vxlan created without dstport: peers on the IANA port 4789 never hear it",
                    l.name
                ),
                evidence: format!("{}: dstport {}", l.name, v.port.unwrap_or(8472)),
                fix: Some(format!("netlens plan --netns {ns} recreate --dev {} (then set dstport 4789)", l.name)),
            });
        }
        if let (Some(u), Some(m)) = (v.link.and_then(|u| st.links.get(&u)), l.mtu) {
            let overhead = if v.local.is_some_and(|a| a.is_ipv6()) {
                70
            } else {
                50
            };
            if let Some(um) = u.mtu.filter(|um| m + overhead > *um) {
                out.push(Finding {
                    severity: Severity::Warning,
                    check: "vxlan-mtu",
                    netns: ns.clone(),
                    objects: vec![l.name.clone(), u.name.clone()],
                    message: format!(
                        "{} has MTU {m}, above its underlay {}'s {um} less {overhead} bytes of encapsulation: full-size frames are dropped",
                        l.name, u.name
                    ),
                    evidence: format!("mtu {m} on {}, {um} on {}", l.name, u.name),
                    fix: Some(format!("ip -n {ns} link set dev {} mtu {}", l.name, um - overhead)),
                });
            }
        }
    }
}

/// Strict reverse-path filtering on a link whose subnet has addresses routed out of another
/// link (a shim's host routes): packets from those addresses arriving on the link fail the
/// check and are dropped without a trace.
fn strict_rp_filter(e: &NsEntry, rp: &HashMap<String, u8>, out: &mut Vec<Finding>) {
    let all = rp.get("all").copied().unwrap_or(0);
    for l in e.state.links.values() {
        let mode = all.max(rp.get(&l.name).copied().unwrap_or(0));
        if mode != 1 {
            continue;
        }
        for (net, len) in v4_addrs(&e.state, l.ifindex) {
            let IpAddr::V4(n4) = net else { continue };
            let mask = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len.min(32)))
            };
            let other = e.state.routes.values().find(|r| {
                r.family == 2
                    && r.table == 254
                    && r.dst_len > len
                    && r.oif.is_some_and(|o| o != l.ifindex)
                    && matches!(r.dst, Some(IpAddr::V4(d)) if u32::from(d) & mask == u32::from(n4) & mask)
            });
            let Some(r) = other else { continue };
            let via = r
                .oif
                .and_then(|o| e.state.link_name(o))
                .unwrap_or("?")
                .to_owned();
            let dst = crate::json::route_dst(r);
            out.push(Finding {
                severity: Severity::Warning,
                check: "rp-filter",
                netns: e.info.label(),
                objects: vec![l.name.clone(), via.clone(), dst.clone()],
                message: format!(
                    "strict rp_filter on {}: packets from {dst} arriving on {} are dropped, since the route back to {dst} leaves by {via}",
                    l.name, l.name
                ),
                evidence: format!(
                    "rp_filter all={all} {}={}; route {dst} dev {via} inside {}'s {net}/{len}",
                    l.name,
                    rp.get(&l.name).copied().unwrap_or(0),
                    l.name
                ),
                fix: Some(format!(
                    "ip netns exec {} sysctl -w net.ipv4.conf.{}.rp_filter=2 net.ipv4.conf.all.rp_filter=2",
                    e.info.label(),
                    l.name
                )),
            });
            break;
        }
    }
}

/// FAILED and INCOMPLETE neighbours: addresses nobody answers for.
fn bad_neighbours(e: &NsEntry, out: &mut Vec<Finding>) {
    for n in e.state.neighs.values() {
        if n.state & (NUD_FAILED | NUD_INCOMPLETE) == 0 {
            continue;
        }
        let dev = e.state.link_name(n.ifindex).unwrap_or("?").to_owned();
        let dst = n.dst.map(|d| d.to_string()).unwrap_or_default();
        out.push(Finding {
            severity: Severity::Warning,
            check: "neighbour-unresolved",
            netns: e.info.label(),
            objects: vec![dev.clone(), dst.clone()],
            message: format!(
                "{dst} on {dev} does not answer ARP/ND ({})",
                names::nud_states(n.state).join(",")
            ),
            evidence: format!(
                "neighbour {dst} dev {dev} {}",
                names::nud_states(n.state).join(",")
            ),
            fix: None,
        });
    }
}

/// A macvlan or vlan whose parent is down or without carrier: the child cannot pass a
/// frame, whatever its own state says.
fn parents_down(inv: &Inventory, e: &NsEntry, out: &mut Vec<Finding>) {
    for l in e.state.links.values() {
        if !matches!(l.info, KindInfo::Macvlan { .. } | KindInfo::Vlan { .. }) {
            continue;
        }
        let (parent, where_): (Option<&Link>, String) = match l.link_netnsid {
            None => (l.parent.and_then(|p| e.state.links.get(&p)), e.info.label()),
            Some(_) => match inv.elsewhere(l) {
                Some(x) => (x.link, x.netns.map(|n| n.info.label()).unwrap_or_default()),
                None => (None, String::new()),
            },
        };
        let Some(p) = parent else { continue };
        let why = if p.flags & IFF_UP == 0 {
            "down"
        } else if p.flags & IFF_LOWER_UP == 0 {
            "without carrier"
        } else {
            continue;
        };
        out.push(Finding {
            severity: Severity::Error,
            check: "parent-down",
            netns: e.info.label(),
            objects: vec![l.name.clone(), format!("{}@{where_}", p.name)],
            message: format!(
                "{}'s parent {} (in {where_}) is {why}: {} passes no frame",
                l.name, p.name, l.name
            ),
            evidence: format!("{}: <{}>", p.name, names::link_flags(p.flags).join(",")),
            fix: (why == "down").then(|| format!("ip -n {where_} link set dev {} up", p.name)),
        });
    }
}

/// A neighbour whose address belongs to a link (anywhere on this host) with another MAC
/// now: a stale entry (a shim recreated with a new MAC, the old one still REACHABLE).
fn stale_neighbours(inv: &Inventory, wanted: &dyn Fn(NsId) -> bool, out: &mut Vec<Finding>) {
    let mut owner: HashMap<IpAddr, (String, String, Vec<u8>)> = HashMap::new();
    for e in &inv.namespaces {
        for a in e.state.addrs.values() {
            let (Some(ip), Some(l)) = (a.local.or(a.address), e.state.links.get(&a.ifindex)) else {
                continue;
            };
            if let Some(m) = &l.address {
                owner.insert(ip, (e.info.label(), l.name.clone(), m.clone()));
            }
        }
    }
    for e in inv.namespaces.iter().filter(|e| wanted(e.info.id)) {
        for n in e.state.neighs.values() {
            let (Some(dst), Some(ll)) = (n.dst, &n.lladdr) else {
                continue;
            };
            if n.state & (NUD_FAILED | NUD_INCOMPLETE | NUD_PERMANENT) != 0 {
                continue;
            }
            let Some((ons, oname, omac)) = owner.get(&dst) else {
                continue;
            };
            if *ons == e.info.label() || omac == ll {
                continue;
            }
            let dev = e.state.link_name(n.ifindex).unwrap_or("?").to_owned();
            out.push(Finding {
                severity: Severity::Warning,
                check: "stale-neighbour",
                netns: e.info.label(),
                objects: vec![dev.clone(), dst.to_string(), format!("{oname}@{ons}")],
                message: format!(
                    "the neighbour entry for {dst} on {dev} says {}, but {dst} is on {oname} in {ons}, whose MAC is {}: frames go to a MAC nobody has",
                    mac(ll),
                    mac(omac)
                ),
                evidence: format!("neighbour {dst} lladdr {} {}", mac(ll), names::nud_states(n.state).join(",")),
                fix: Some(format!("ip -n {} neigh del {dst} dev {dev}", e.info.label())),
            });
        }
    }
}

/// The root of `x` in a union-find forest.
fn root(p: &mut HashMap<String, String>, x: &str) -> String {
    let mut r = x.to_owned();
    while let Some(n) = p.get(&r).filter(|n| **n != r).cloned() {
        r = n;
    }
    r
}

/// The same IPv4 address in two namespaces joined at L2 (veth pairs, macvlan siblings,
/// bridge ports): ARP answers from both.
fn duplicate_addresses(inv: &Inventory, wanted: &dyn Fn(NsId) -> bool, out: &mut Vec<Finding>) {
    let g = topo::graph(inv, None);
    // Union-find over link ids by L2 edges.
    let mut parent: HashMap<String, String> = g
        .nodes
        .iter()
        .map(|n| (n.id.clone(), n.id.clone()))
        .collect();
    for e in g.edges.iter().filter(|e| e.kind != "vtep") {
        let (a, b) = (root(&mut parent, &e.from), root(&mut parent, &e.to));
        if a != b {
            parent.insert(a, b);
        }
    }
    let mut seen: BTreeMap<(String, IpAddr), Vec<(String, String)>> = BTreeMap::new();
    for e in &inv.namespaces {
        let ns = e.info.label();
        for a in e.state.addrs.values().filter(|a| a.family == 2) {
            let (Some(ip), Some(l)) = (a.local.or(a.address), e.state.links.get(&a.ifindex)) else {
                continue;
            };
            if l.name == "lo" {
                continue;
            }
            let id = format!("{ns}/{}", l.ifindex);
            let r = root(&mut parent, &id);
            seen.entry((r, ip))
                .or_default()
                .push((ns.clone(), l.name.clone()));
        }
    }
    for ((_, ip), holders) in seen {
        let spaces: std::collections::BTreeSet<&str> =
            holders.iter().map(|(n, _)| n.as_str()).collect();
        if spaces.len() < 2 {
            continue;
        }
        let Some(first) = inv
            .namespaces
            .iter()
            .find(|e| spaces.contains(e.info.label().as_str()) && wanted(e.info.id))
        else {
            continue;
        };
        out.push(Finding {
            severity: Severity::Error,
            check: "duplicate-address",
            netns: first.info.label(),
            objects: holders.iter().map(|(n, l)| format!("{l}@{n}")).collect(),
            message: format!(
                "{ip} is on {} at once, on one L2: ARP answers from either",
                holders
                    .iter()
                    .map(|(n, l)| format!("{l} in {n}"))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
            evidence: format!(
                "{ip} in {} namespaces joined by veth/macvlan/bridge links",
                spaces.len()
            ),
            fix: None,
        });
    }
}

/// Two vxlan devices on this host with one VNI and different ports: each hears only the
/// peers on its own port.
fn vni_port_mismatch(inv: &Inventory, wanted: &dyn Fn(NsId) -> bool, out: &mut Vec<Finding>) {
    let mut by_vni: BTreeMap<u32, Vec<(String, String, u16)>> = BTreeMap::new();
    let wanted_names: Vec<String> = inv
        .namespaces
        .iter()
        .filter(|e| wanted(e.info.id))
        .map(|e| e.info.label())
        .collect();
    for e in &inv.namespaces {
        for l in e.state.links.values() {
            if let KindInfo::Vxlan(v) = &l.info {
                if let Some(id) = v.id {
                    by_vni.entry(id).or_default().push((
                        e.info.label(),
                        l.name.clone(),
                        v.port.unwrap_or(8472),
                    ));
                }
            }
        }
    }
    for (vni, devs) in by_vni {
        let ports: std::collections::BTreeSet<u16> = devs.iter().map(|d| d.2).collect();
        if ports.len() < 2 || !devs.iter().any(|d| wanted_names.contains(&d.0)) {
            continue;
        }
        out.push(Finding {
            severity: Severity::Warning,
            check: "vni-port-mismatch",
            netns: devs
                .iter()
                .find(|d| wanted_names.contains(&d.0))
                .map_or_else(|| devs[0].0.clone(), |d| d.0.clone()),
            objects: devs.iter().map(|(n, l, _)| format!("{l}@{n}")).collect(),
            message: format!(
                "VNI {vni} on different UDP ports: {}: each device hears only peers on its own port",
                devs.iter().map(|(n, l, p)| format!("{l} in {n} on {p}")).collect::<Vec<_>>().join(", ")
            ),
            evidence: format!("ports {ports:?}"),
            fix: None,
        });
    }
}
