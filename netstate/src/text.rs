//! One-line text in `ip`/`bridge` style, for `netlens dump`, `netlens watch` and the TUI.

use std::fmt::Write;

use crate::apply::{Applied, Entry};
use crate::json::route_dst;
use crate::model::{Addr, Fdb, KindInfo, Link, Neigh, NsState, Route};
use crate::names;

fn ifname(ns: &NsState, i: u32) -> String {
    ns.link_name(i)
        .map_or_else(|| format!("if{i}"), str::to_owned)
}

/// `ip -d link`-like one line.
/// A link's counters as `ip -s link` prints them (two lines each for RX and TX), when the
/// dump asked for them.
pub fn link_stats(l: &Link) -> Option<String> {
    let s = l.stats.as_ref()?;
    Some(format!(
        "    RX: {:>12} {:>10} {:>7} {:>7} {:>7} {:>7}\n        {:>12} {:>10} {:>7} {:>7} {:>7} {:>7}\n    TX: {:>12} {:>10} {:>7} {:>7} {:>7} {:>7}\n        {:>12} {:>10} {:>7} {:>7} {:>7} {:>7}",
        "bytes", "packets", "errors", "dropped", "overrun", "mcast",
        s.rx_bytes, s.rx_packets, s.rx_errors, s.rx_dropped, s.rx_over_errors, s.multicast,
        "bytes", "packets", "errors", "dropped", "carrier", "collsns",
        s.tx_bytes, s.tx_packets, s.tx_errors, s.tx_dropped, s.tx_carrier_errors, s.collisions,
    ))
}

pub fn link(l: &Link, ns: &NsState) -> String {
    let mut s = format!("{}: {}", l.ifindex, l.name);
    if let Some(p) = l.parent {
        if l.link_netnsid.is_some() {
            let _ = write!(s, "@if{p}");
        } else {
            let _ = write!(s, "@{}", ifname(ns, p));
        }
    }
    let _ = write!(s, ": <{}>", names::link_flags(l.flags).join(","));
    if let Some(m) = l.mtu {
        let _ = write!(s, " mtu {m}");
    }
    if let Some(c) = l.master {
        let _ = write!(s, " master {}", ifname(ns, c));
    }
    if let Some(o) = l.operstate {
        let _ = write!(s, " state {}", names::operstate(o));
    }
    if let Some(a) = &l.address {
        let _ = write!(
            s,
            " link/{} {}",
            names::link_type(l.link_type),
            names::mac(a)
        );
    }
    match (&l.link_netns, l.link_netnsid) {
        (Some(r), _) => {
            let _ = write!(s, " link-netns {}", r.name);
        }
        (None, Some(n)) => {
            let _ = write!(s, " link-netnsid {n}");
        }
        _ => {}
    }
    let details = kind_details(l, ns);
    if !details.is_empty() {
        let _ = write!(s, " {details}");
    }
    if !l.bridge_vlans.is_empty() {
        let _ = write!(s, " vlans {}", names::bridge_vlans(&l.bridge_vlans));
    }
    s
}

/// The kind and its parameters as `ip -d link` words: `macvlan mode bridge`, `vxlan id 42 ...`.
pub fn kind_details(l: &Link, ns: &NsState) -> String {
    let Some(kind) = &l.kind else {
        return String::new();
    };
    let mut s = kind.clone();
    match &l.info {
        KindInfo::Macvlan { mode, .. } => {
            let _ = write!(s, " mode {}", names::macvlan_mode(*mode));
        }
        KindInfo::Ipvlan { mode, flags } => {
            let _ = write!(
                s,
                " mode {} {}",
                names::ipvlan_mode(*mode),
                names::ipvlan_flag(*flags)
            );
        }
        KindInfo::Vlan { id, protocol, .. } => {
            let p = if *protocol == 0x88a8 {
                "802.1ad"
            } else {
                "802.1Q"
            };
            let _ = write!(s, " protocol {p} id {id}");
        }
        KindInfo::Vxlan(v) => {
            if let Some(id) = v.id {
                let _ = write!(s, " id {id}");
            }
            if let Some(g) = v.group {
                let _ = write!(
                    s,
                    " {} {g}",
                    if g.is_multicast() { "group" } else { "remote" }
                );
            }
            if let Some(l) = v.local {
                let _ = write!(s, " local {l}");
            }
            if let Some(d) = v.link {
                let _ = write!(s, " dev {}", ifname(ns, d));
            }
            if let Some(p) = v.port {
                let _ = write!(s, " dstport {p}");
            }
            if v.learning == Some(false) {
                s.push_str(" nolearning");
            }
            if let Some(t) = v.ttl.filter(|t| *t != 0) {
                let _ = write!(s, " ttl {t}");
            }
        }
        KindInfo::Bridge(b) => {
            if let Some(st) = b.stp_state {
                let _ = write!(s, " stp_state {st}");
            }
            // Said when on only: a kernel without VLAN filtering has no such field.
            if b.vlan_filtering == Some(1) {
                s.push_str(" vlan_filtering 1");
            }
        }
        KindInfo::None => {}
    }
    s
}

/// The address and prefix as `ip addr` writes them: `10.0.0.1/24`, or for a
/// point-to-point address `10.7.0.1 peer 10.7.0.2/32`.
pub fn addr_prefix(a: &Addr) -> String {
    let mut s = a
        .local
        .or(a.address)
        .map(|x| x.to_string())
        .unwrap_or_default();
    if let Some(p) = a.peer() {
        let _ = write!(s, " peer {p}");
    }
    let _ = write!(s, "/{}", a.prefixlen);
    s
}

/// `ip addr`-like one line.
pub fn addr(a: &Addr, ns: &NsState) -> String {
    let mut s = format!(
        "{}: {}    {} {}",
        a.ifindex,
        ifname(ns, a.ifindex),
        names::family(a.family),
        addr_prefix(a)
    );
    if let Some(b) = a.broadcast {
        let _ = write!(s, " brd {b}");
    }
    let _ = write!(s, " scope {}", names::scope(a.scope));
    if let Some(l) = &a.label {
        let _ = write!(s, " {l}");
    }
    s
}

/// `ip route`-like one line.
pub fn route(r: &Route, ns: &NsState) -> String {
    let mut s = String::new();
    if r.kind != 1 {
        let _ = write!(s, "{} ", names::route_type(r.kind));
    }
    s.push_str(&route_dst(r));
    if let Some(g) = r.gateway {
        let _ = write!(s, " via {g}");
    }
    if let Some(o) = r.oif {
        let _ = write!(s, " dev {}", ifname(ns, o));
    }
    if r.table != 254 {
        let _ = write!(s, " table {}", names::table(r.table));
    }
    if r.protocol != 3 {
        let _ = write!(s, " proto {}", names::protocol(r.protocol));
    }
    if r.scope != 0 {
        let _ = write!(s, " scope {}", names::scope(r.scope));
    }
    if let Some(p) = r.prefsrc {
        let _ = write!(s, " src {p}");
    }
    if let Some(m) = r.metric {
        let _ = write!(s, " metric {m}");
    }
    for f in names::route_flags(r.flags) {
        let _ = write!(s, " {f}");
    }
    for h in &r.nexthops {
        s.push_str(" nexthop");
        if let Some(g) = h.gateway {
            let _ = write!(s, " via {g}");
        }
        let _ = write!(
            s,
            " dev {} weight {}",
            ifname(ns, h.oif),
            u32::from(h.weight) + 1
        );
    }
    s
}

/// `ip neigh`-like one line.
pub fn neigh(n: &Neigh, ns: &NsState) -> String {
    let mut s = format!(
        "{} dev {}",
        n.dst.map(|d| d.to_string()).unwrap_or_default(),
        ifname(ns, n.ifindex)
    );
    if let Some(ll) = &n.lladdr {
        let _ = write!(s, " lladdr {}", names::mac(ll));
    }
    if n.flags & 0x80 != 0 {
        s.push_str(" router");
    }
    let _ = write!(s, " {}", names::nud_states(n.state).join(" "));
    s
}

/// `bridge fdb`-like one line.
pub fn fdb(f: &Fdb, ns: &NsState) -> String {
    let mut s = format!("{} dev {}", names::mac(&f.mac), ifname(ns, f.ifindex));
    if let Some(v) = f.vlan {
        let _ = write!(s, " vlan {v}");
    }
    if let Some(d) = f.dst {
        let _ = write!(s, " dst {d}");
    }
    if let Some(v) = f.vni {
        let _ = write!(s, " vni {v}");
    }
    for fl in names::fdb_flags(f.flags, f.ext_flags) {
        let _ = write!(s, " {fl}");
    }
    if let Some(c) = f.master {
        let _ = write!(s, " master {}", ifname(ns, c));
    }
    let st = names::fdb_state(f.state);
    if !st.is_empty() {
        let _ = write!(s, " {st}");
    }
    s
}

/// What a change did to one entry, as `ip monitor all` prints it:
/// `[ROUTE]Deleted 10.0.0.0/24 dev x ...`. `ns` is the state before a delete and after an
/// upsert, so names resolve.
pub fn applied(a: Applied<'_>, ns: &NsState) -> String {
    let (del, e) = match a {
        Applied::New(e) => ("", e),
        Applied::Del(e) => ("Deleted ", e),
    };
    let (tag, body) = match e {
        Entry::Link(l) => ("LINK", link(l, ns)),
        Entry::Addr(a) => ("ADDR", addr(a, ns)),
        Entry::Route(r) => ("ROUTE", route(r, ns)),
        Entry::Neigh(n) => ("NEIGH", neigh(n, ns)),
        Entry::Fdb(f) => ("FDB", fdb(f, ns)),
    };
    format!("[{tag}]{del}{body}")
}
