//! The path trace: how a packet from a namespace to an address would go on this host,
//! hop by hop, with the kernel's own route lookup in each namespace (`ip route get`), the
//! neighbour entry for the next hop, and what the egress device does with it (a veth's
//! peer, a macvlan's mode rules, a vxlan's FDB and underlay), up to the namespace that
//! owns the address or the point where the packet leaves the host. The first broken hop
//! says why, with a fix where one is known.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;

use serde::Serialize;

use crate::inventory::{Inventory, NsEntry};
use crate::model::{KindInfo, Link, Route};
use crate::names;
use crate::netns::{NetnsInfo, NsId};

/// One step of the path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hop {
    pub netns: String,
    /// What was looked at: `route`, `neighbour`, `macvlan`, `veth`, `vxlan`, `bridge`,
    /// `address`.
    pub what: &'static str,
    /// What was found, in words (`10.0.0.9 via 10.0.0.1 dev eth0 src 10.0.0.5`).
    pub found: String,
    /// `ok`, `broken`, `leaves` (the packet leaves the host here) or `reached`.
    pub verdict: &'static str,
    /// The egress device of a `route` hop (where `--probe` captures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dev: Option<String>,
}

/// The trace's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trace {
    pub reachable: bool,
    pub hops: Vec<Hop>,
    /// Why not (or where it leaves the host), in a sentence.
    pub reason: String,
    /// A command that fixes the first broken hop, when there is one.
    pub fix: Option<String>,
    /// With `--probe`: whether an ICMP echo from the first namespace got its reply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<bool>,
}

/// How the kernel routes in a namespace: `ip route get DST [from SRC]`.
pub type Lookup<'a> =
    dyn Fn(&NetnsInfo, IpAddr, Option<IpAddr>) -> crate::Result<Result<Route, String>> + 'a;

const RTN_LOCAL: u8 = 2;
const NUD_FAILED: u16 = 0x20;
const NUD_INCOMPLETE: u16 = 0x01;
const MACVLAN_MODE_PRIVATE: u32 = 1;
const MACVLAN_MODE_VEPA: u32 = 2;
const MACVLAN_MODE_BRIDGE: u32 = 4;
const MACVLAN_MODE_PASSTHRU: u32 = 8;

fn mode_name(m: u32) -> &'static str {
    match m {
        MACVLAN_MODE_PRIVATE => "private",
        MACVLAN_MODE_VEPA => "vepa",
        MACVLAN_MODE_BRIDGE => "bridge",
        MACVLAN_MODE_PASSTHRU => "passthru",
        _ => "source",
    }
}

/// Where each address of the host is: (namespace, link), every holder (isolated networks
/// reuse addresses).
fn owners(inv: &Inventory) -> HashMap<IpAddr, Vec<(NsId, u32)>> {
    let mut m: HashMap<IpAddr, Vec<(NsId, u32)>> = HashMap::new();
    for e in &inv.namespaces {
        for a in e.state.addrs.values() {
            if let Some(ip) = a.local.or(a.address) {
                m.entry(ip).or_default().push((e.info.id, a.ifindex));
            }
        }
    }
    m
}

/// The L2 segment of each link: links joined by veth pairs, bridge ports and macvlan
/// parents (by `NETNS/IFINDEX` id).
fn segments(inv: &Inventory) -> BTreeMap<String, String> {
    let g = crate::topo::graph(inv, None);
    let mut parent: BTreeMap<String, String> = g
        .nodes
        .iter()
        .map(|n| (n.id.clone(), n.id.clone()))
        .collect();
    let find = |p: &BTreeMap<String, String>, x: &str| {
        let mut r = x.to_owned();
        while let Some(n) = p.get(&r).filter(|n| **n != r) {
            r.clone_from(n);
        }
        r
    };
    for e in g.edges.iter().filter(|e| e.kind != "vtep") {
        let (a, b) = (find(&parent, &e.from), find(&parent, &e.to));
        if a != b {
            parent.insert(a, b);
        }
    }
    let keys: Vec<String> = parent.keys().cloned().collect();
    keys.into_iter()
        .map(|k| {
            let r = find(&parent, &k);
            (k, r)
        })
        .collect()
}

fn link_id(e: &NsEntry, ifindex: u32) -> String {
    format!("{}/{ifindex}", e.info.label())
}

fn describe_route(r: &Route, e: &NsEntry) -> String {
    use std::fmt::Write as _;
    let mut s = crate::json::route_dst(r);
    if let Some(g) = r.gateway {
        let _ = write!(s, " via {g}");
    }
    if let Some(o) = r.oif {
        let _ = write!(s, " dev {}", e.state.link_name(o).unwrap_or("?"));
    }
    if let Some(p) = r.prefsrc {
        let _ = write!(s, " src {p}");
    }
    if r.table != 254 {
        let _ = write!(s, " table {}", names::table(r.table));
    }
    s
}

struct Walk<'a> {
    inv: &'a Inventory,
    hops: Vec<Hop>,
}

impl Walk<'_> {
    fn hop(&mut self, e: &NsEntry, what: &'static str, found: String, verdict: &'static str) {
        self.hops.push(Hop {
            netns: e.info.label(),
            what,
            found,
            verdict,
            dev: None,
        });
    }

    fn end(self, reachable: bool, reason: String, fix: Option<String>) -> Trace {
        Trace {
            reachable,
            hops: self.hops,
            reason,
            fix,
            probe: None,
        }
    }
}

/// Traces a packet from namespace `from` to `to`.
pub fn trace(
    inv: &Inventory,
    from: NsId,
    to: IpAddr,
    src: Option<IpAddr>,
    lookup: &Lookup<'_>,
) -> crate::Result<Trace> {
    let owners = owners(inv);
    let segs = segments(inv);
    let mut walk = Walk {
        inv,
        hops: Vec::new(),
    };
    let mut here = from;
    for _ in 0..16 {
        let Some(ent) = walk.inv.get(here) else {
            return Ok(walk.end(false, "a namespace on the path is gone".into(), None));
        };
        let route = match lookup(&ent.info, to, src)? {
            Ok(found) => found,
            Err(why) => {
                walk.hop(ent, "route", format!("{to}: {why}"), "broken");
                let has_default = ent
                    .state
                    .routes
                    .values()
                    .any(|x| x.dst_len == 0 && x.table == 254);
                let fix = (!has_default)
                    .then(|| format!("ip -n {} route add default via GATEWAY", ent.info.label()));
                let reason = format!(
                    "{} has no route to {to} ({why}){}",
                    ent.info.label(),
                    if has_default {
                        ""
                    } else {
                        ": it has no default route"
                    }
                );
                return Ok(walk.end(false, reason, fix));
            }
        };
        if route.kind == RTN_LOCAL {
            walk.hop(
                ent,
                "route",
                format!("{to} is local to {}", ent.info.label()),
                "reached",
            );
            return Ok(walk.end(
                true,
                format!("{to} is an address of {}", ent.info.label()),
                None,
            ));
        }
        if route.kind != 1 {
            let t = names::route_type(route.kind);
            walk.hop(
                ent,
                "route",
                format!("{to}: {t} route {}", describe_route(&route, ent)),
                "broken",
            );
            return Ok(walk.end(
                false,
                format!("{} has a {t} route for {to}", ent.info.label()),
                None,
            ));
        }
        walk.hop(ent, "route", describe_route(&route, ent), "ok");
        if let (Some(h), Some(o)) = (walk.hops.last_mut(), route.oif) {
            h.dev = ent.state.link_name(o).map(str::to_owned);
        }
        let Some(link) = route.oif.and_then(|o| ent.state.links.get(&o)) else {
            return Ok(walk.end(
                false,
                format!("the route to {to} in {} has no device", ent.info.label()),
                None,
            ));
        };
        let nh = route.gateway.unwrap_or(to);
        // The neighbour entry for the next hop.
        if let Some(n) = ent
            .state
            .neighs
            .values()
            .find(|n| n.ifindex == link.ifindex && n.dst == Some(nh))
        {
            let st = names::nud_states(n.state).join(",");
            let mac = n.lladdr.as_deref().map(names::mac).unwrap_or_default();
            if n.state & (NUD_FAILED | NUD_INCOMPLETE) != 0 {
                walk.hop(
                    ent,
                    "neighbour",
                    format!("{nh} on {}: {st}", link.name),
                    "broken",
                );
                return Ok(walk.end(
                    false,
                    format!(
                        "{nh} does not answer ARP/ND on {} in {}",
                        link.name,
                        ent.info.label()
                    ),
                    None,
                ));
            }
            walk.hop(
                ent,
                "neighbour",
                format!("{nh} on {}: {mac} {st}", link.name),
                "ok",
            );
        }
        // vxlan: the FDB entry for the next hop's MAC (or the default), its VTEP.
        if let KindInfo::Vxlan(v) = &link.info {
            let mac = ent
                .state
                .neighs
                .values()
                .find(|n| n.ifindex == link.ifindex && n.dst == Some(nh))
                .and_then(|n| n.lladdr.clone());
            let fdb = ent
                .state
                .fdb
                .values()
                .filter(|f| f.ifindex == link.ifindex && f.dst.is_some());
            let entry = fdb
                .clone()
                .find(|f| Some(&f.mac) == mac.as_ref())
                .or_else(|| fdb.clone().find(|f| f.mac.iter().all(|b| *b == 0)));
            let Some(vtep) = entry
                .and_then(|f| f.dst)
                .or(v.group.filter(|g| !g.is_multicast()))
            else {
                let m = mac
                    .as_deref()
                    .map_or_else(|| "(no ARP entry)".into(), names::mac);
                walk.hop(
                    ent,
                    "vxlan",
                    format!("{}: no FDB entry for {m} and no default entry", link.name),
                    "broken",
                );
                return Ok(walk.end(
                    false,
                    format!("{} has no FDB entry for {m} (nor 00:00:00:00:00:00): the encapsulated frame goes nowhere", link.name),
                    Some(format!(
                        "bridge -n {} fdb append {} dev {} dst PEER_UNDERLAY_IP",
                        ent.info.label(),
                        if mac.is_some() { m } else { "00:00:00:00:00:00".into() },
                        link.name
                    )),
                ));
            };
            let port = v.port.unwrap_or(8472);
            walk.hop(
                ent,
                "vxlan",
                format!(
                    "{} VNI {}: to VTEP {vtep} on UDP {port}",
                    link.name,
                    v.id.unwrap_or(0)
                ),
                "ok",
            );
            // The underlay: how this namespace reaches the VTEP.
            match lookup(&ent.info, vtep, None)? {
                Ok(u) => {
                    walk.hop(ent, "underlay", describe_route(&u, ent), "ok");
                    if let (Some(h), Some(o)) = (walk.hops.last_mut(), u.oif) {
                        h.dev = ent.state.link_name(o).map(str::to_owned);
                    }
                }
                Err(why) => {
                    walk.hop(ent, "underlay", format!("VTEP {vtep}: {why}"), "broken");
                    return Ok(walk.end(
                        false,
                        format!(
                            "{} has no route to the VTEP {vtep} ({why})",
                            ent.info.label()
                        ),
                        None,
                    ));
                }
            }
            // The VTEP on this host: continue in the namespace of the vxlan there.
            if let Some(&(ons, _)) = owners.get(&vtep).and_then(|v| v.first()) {
                let peer = walk.inv.get(ons).and_then(|oe| {
                    oe.state
                        .links
                        .values()
                        .find(|x| matches!(&x.info, KindInfo::Vxlan(pv) if pv.id == v.id))
                        .map(|x| (oe, x))
                });
                match peer {
                    Some((oe, x)) => {
                        let pport = match &x.info {
                            KindInfo::Vxlan(pv) => pv.port.unwrap_or(8472),
                            _ => port,
                        };
                        if pport != port {
                            walk.hop(
                                oe,
                                "vxlan",
                                format!(
                                    "{} VNI {} listens on UDP {pport}, not {port}",
                                    x.name,
                                    v.id.unwrap_or(0)
                                ),
                                "broken",
                            );
                            return Ok(walk.end(
                                false,
                                format!(
                                    "the VTEP {vtep} listens on UDP {pport}, {} sends to {port}",
                                    link.name
                                ),
                                None,
                            ));
                        }
                        walk.hop(
                            oe,
                            "vxlan",
                            format!("{} decapsulates VNI {}", x.name, v.id.unwrap_or(0)),
                            "ok",
                        );
                        here = oe.info.id;
                        continue;
                    }
                    None => {
                        return Ok(walk.end(
                            false,
                            format!(
                                "no vxlan device with VNI {} at the VTEP {vtep}",
                                v.id.unwrap_or(0)
                            ),
                            None,
                        ));
                    }
                }
            }
            walk.hop(
                ent,
                "vxlan",
                format!("leaves the host to VTEP {vtep}"),
                "leaves",
            );
            return Ok(walk.end(true, format!("the packet leaves the host encapsulated to VTEP {vtep} (UDP {port}); what happens beyond is not visible here"), None));
        }
        // A bridge forwards by its FDB: the port that holds the next hop's MAC, or a flood.
        if link.kind.as_deref() == Some("bridge") {
            let mac = ent
                .state
                .neighs
                .values()
                .find(|n| n.ifindex == link.ifindex && n.dst == Some(nh))
                .and_then(|n| n.lladdr.clone());
            let found = match &mac {
                None => format!(
                    "{}: no MAC known for {nh} yet: the ARP request floods every port",
                    link.name
                ),
                Some(m) => match ent
                    .state
                    .fdb
                    .values()
                    .find(|f| f.master == Some(link.ifindex) && f.mac == *m)
                {
                    Some(f) => format!(
                        "{}: {} is on port {}",
                        link.name,
                        names::mac(m),
                        ent.state.link_name(f.ifindex).unwrap_or("?")
                    ),
                    None => format!(
                        "{}: no FDB entry for {}: flooded to every port",
                        link.name,
                        names::mac(m)
                    ),
                },
            };
            walk.hop(ent, "bridge", found, "ok");
        }
        // Who owns the next hop on this host? The holder on this link's segment first.
        let seg = segs.get(&link_id(ent, link.ifindex));
        let holders = owners.get(&nh).cloned().unwrap_or_default();
        let pick = holders
            .iter()
            .find(|(ns, i)| {
                walk.inv
                    .get(*ns)
                    .is_some_and(|oe| segs.get(&link_id(oe, *i)) == seg)
            })
            .or(holders.first())
            .copied();
        let Some((ons, olink)) = pick else {
            walk.hop(
                ent,
                "address",
                format!("{nh} is not on this host: leaves via {}", link.name),
                "leaves",
            );
            return Ok(walk.end(
                true,
                format!(
                    "the packet leaves the host via {} in {} toward {nh}",
                    link.name,
                    ent.info.label()
                ),
                None,
            ));
        };
        let Some(oe) = walk.inv.get(ons) else {
            return Ok(walk.end(false, "a namespace on the path is gone".into(), None));
        };
        let Some(ol) = oe.state.links.get(&olink) else {
            return Ok(walk.end(
                false,
                format!("{nh}'s link in {} is gone", oe.info.label()),
                None,
            ));
        };
        if let Some(broken) = macvlan_rules(&mut walk, ent, link, oe, ol, nh) {
            return Ok(broken);
        }
        let (a, b) = (link_id(ent, link.ifindex), link_id(oe, ol.ifindex));
        if segs.get(&a) != segs.get(&b) {
            walk.hop(
                ent,
                "address",
                format!(
                    "{nh} is on {} in {}, not on {}'s segment",
                    ol.name,
                    oe.info.label(),
                    link.name
                ),
                "broken",
            );
            return Ok(walk.end(
                false,
                format!(
                    "{nh} is on {} in {}, which {} in {} does not reach at L2",
                    ol.name,
                    oe.info.label(),
                    link.name,
                    ent.info.label()
                ),
                None,
            ));
        }
        walk.hop(
            oe,
            "address",
            format!("{nh} is on {} in {}", ol.name, oe.info.label()),
            if nh == to { "reached" } else { "ok" },
        );
        if nh == to {
            return Ok(walk.end(
                true,
                format!("{to} is on {} in {}", ol.name, oe.info.label()),
                None,
            ));
        }
        // A gateway on this host: the packet is routed on from there.
        here = ons;
    }
    Ok(walk.end(false, "more than 16 hops: a routing loop?".into(), None))
}

/// The macvlan rules between the egress link `l` (in `e`) and the link `ol` (in `oe`) that
/// owns the next hop: a bridge-mode child and its parent never reach each other (the shim
/// case); a private child reaches no sibling; vepa siblings need the switch to hairpin.
fn macvlan_rules(
    w: &mut Walk<'_>,
    e: &NsEntry,
    l: &Link,
    oe: &NsEntry,
    ol: &Link,
    nh: IpAddr,
) -> Option<Trace> {
    let parent_of = |ent: &NsEntry, x: &Link| -> Option<(NsId, u32)> {
        if !matches!(x.info, KindInfo::Macvlan { .. }) {
            return None;
        }
        match x.link_netnsid {
            None => x.parent.map(|p| (ent.info.id, p)),
            Some(_) => w
                .inv
                .elsewhere(x)
                .and_then(|el| el.netns.map(|n| (n.info.id, el.ifindex))),
        }
    };
    let mode = |x: &Link| match x.info {
        KindInfo::Macvlan { mode, .. } => mode,
        _ => 0,
    };
    let lp = parent_of(e, l);
    let op = parent_of(oe, ol);
    let me = (e.info.id, l.ifindex);
    let them = (oe.info.id, ol.ifindex);
    let shim_fix = |parent_ns: &NsEntry, parent: &str, child_ip: IpAddr| {
        format!(
            "netlens plan --netns {} shim --parent {parent} --ip FREE_IP --to {child_ip} --apply",
            parent_ns.info.label()
        )
    };
    // The child sends to its parent's own address, or the parent to its child's.
    if lp == Some(them) || op == Some(me) {
        let (child, child_ns, parent, parent_ns) = if lp == Some(them) {
            (l, e, ol, oe)
        } else {
            (ol, oe, l, e)
        };
        let child_ip = child_ns
            .state
            .addrs
            .values()
            .find(|a| a.ifindex == child.ifindex && a.family == 2)
            .and_then(|a| a.local.or(a.address))
            .unwrap_or(nh);
        w.hop(
            e,
            "macvlan",
            format!(
                "{} ({} mode) and its parent {} never exchange frames",
                child.name,
                mode_name(mode(child)),
                parent.name
            ),
            "broken",
        );
        return Some(Trace {
            reachable: false,
            hops: std::mem::take(&mut w.hops),
            reason: format!(
                "{nh} is on {}, and {} in {} is its macvlan child ({}): the kernel does not pass frames between a macvlan and its parent; the host needs a macvlan of its own on {} (a shim)",
                if lp == Some(them) { parent.name.clone() } else { child.name.clone() },
                child.name,
                child_ns.info.label(),
                mode_name(mode(child)),
                parent.name
            ),
            fix: Some(shim_fix(parent_ns, &parent.name, child_ip)),
            probe: None,
        });
    }
    // Siblings on one parent.
    if lp.is_some() && lp == op {
        let (m1, m2) = (mode(l), mode(ol));
        let verdict = match (m1, m2) {
            (MACVLAN_MODE_BRIDGE, MACVLAN_MODE_BRIDGE) => None,
            (MACVLAN_MODE_PRIVATE, _) | (_, MACVLAN_MODE_PRIVATE) => Some("a private-mode macvlan reaches none of its siblings".to_owned()),
            (MACVLAN_MODE_VEPA, _) | (_, MACVLAN_MODE_VEPA) => Some("vepa-mode siblings talk only through the switch, which must hairpin (reflective relay)".to_owned()),
            _ => Some(format!("{} and {} modes do not talk to each other", mode_name(m1), mode_name(m2))),
        };
        w.hop(
            e,
            "macvlan",
            format!(
                "{} ({}) to its sibling {} ({}) in {}",
                l.name,
                mode_name(m1),
                ol.name,
                mode_name(m2),
                oe.info.label()
            ),
            if verdict.is_some() { "broken" } else { "ok" },
        );
        if let Some(why) = verdict {
            return Some(Trace {
                reachable: false,
                hops: std::mem::take(&mut w.hops),
                reason: format!("{nh} is on {}'s sibling {}: {why}", l.name, ol.name),
                fix: None,
                probe: None,
            });
        }
    }
    None
}
