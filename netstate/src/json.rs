//! JSON in iproute2's own field names and value formats (`ip -j -d link`, `ip -j addr`,
//! `ip -j route show table all`, `ip -j neigh`, `bridge -j fdb show`), so jq scripts written
//! for iproute2 read netlens's output unchanged.

use std::net::IpAddr;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::model::{Addr, Fdb, KindInfo, Link, Neigh, NsState, Route};
use crate::names;

/// A link with the namespace it lives in (for names of related links).
pub struct LinkJson<'a> {
    pub link: &'a Link,
    pub ns: &'a NsState,
}

fn ifname(ns: &NsState, ifindex: u32) -> std::borrow::Cow<'_, str> {
    ns.link_name(ifindex)
        .map_or_else(|| format!("if{ifindex}").into(), Into::into)
}

/// Writes the fields `ip -j link` shows before `addr_info`/`linkinfo`.
fn link_head<M: SerializeMap>(m: &mut M, l: &Link, ns: &NsState) -> Result<(), M::Error> {
    m.serialize_entry("ifindex", &l.ifindex)?;
    if let Some(p) = l.parent {
        if l.link_netnsid.is_some() {
            m.serialize_entry("link_index", &p)?;
        } else if p == 0 {
            m.serialize_entry("link", &())?;
        } else {
            m.serialize_entry("link", &ifname(ns, p))?;
        }
    }
    m.serialize_entry("ifname", &l.name)?;
    m.serialize_entry("flags", &names::link_flags(l.flags))?;
    if let Some(v) = l.mtu {
        m.serialize_entry("mtu", &v)?;
    }
    if let Some(q) = &l.qdisc {
        m.serialize_entry("qdisc", q)?;
    }
    if let Some(c) = l.master {
        m.serialize_entry("master", &ifname(ns, c))?;
    }
    if let Some(s) = l.operstate {
        m.serialize_entry("operstate", &names::operstate(s))?;
    }
    Ok(())
}

fn link_tail<M: SerializeMap>(m: &mut M, l: &Link, details: bool) -> Result<(), M::Error> {
    if details {
        if let Some(v) = l.linkmode {
            m.serialize_entry("linkmode", &names::linkmode(v))?;
        }
    }
    if let Some(g) = l.group {
        m.serialize_entry(
            "group",
            &if g == 0 {
                "default".to_owned()
            } else {
                g.to_string()
            },
        )?;
    }
    if let Some(v) = l.txqlen {
        m.serialize_entry("txqlen", &v)?;
    }
    m.serialize_entry("link_type", &names::link_type(l.link_type))?;
    if let Some(a) = &l.address {
        m.serialize_entry("address", &names::mac(a))?;
    }
    if let Some(a) = &l.broadcast {
        m.serialize_entry("broadcast", &names::mac(a))?;
    }
    if let Some(n) = l.link_netnsid {
        m.serialize_entry("link_netnsid", &n)?;
    }
    if let Some(r) = &l.link_netns {
        // netlens's own: the namespace the id names (iproute2 prints only the id in JSON).
        m.serialize_entry("link_netns", &r.name)?;
    }
    Ok(())
}

impl Serialize for LinkJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (l, ns) = (self.link, self.ns);
        let mut m = s.serialize_map(None)?;
        link_head(&mut m, l, ns)?;
        link_tail(&mut m, l, true)?;
        if let Some(v) = l.promiscuity {
            m.serialize_entry("promiscuity", &v)?;
        }
        if let Some(v) = l.allmulti {
            m.serialize_entry("allmulti", &v)?;
        }
        if let Some(v) = l.min_mtu {
            m.serialize_entry("min_mtu", &v)?;
        }
        if let Some(v) = l.max_mtu {
            m.serialize_entry("max_mtu", &v)?;
        }
        if l.kind.is_some() || l.port_kind.is_some() {
            m.serialize_entry("linkinfo", &LinkInfoJson { link: l, ns })?;
        }
        if let Some(a) = &l.alias {
            m.serialize_entry("ifalias", a)?;
        }
        if !l.bridge_vlans.is_empty() {
            // netlens's own: as `bridge -j vlan show` lists a link's VLANs.
            m.serialize_entry("vlans", &BridgeVlansJson(&l.bridge_vlans))?;
        }
        if let Some(st) = &l.stats {
            m.serialize_entry("stats64", &StatsJson(st))?;
        }
        m.end()
    }
}

/// A link's VLANs as `bridge -j vlan show` prints them: `{"vlan":10,"vlanEnd":20,
/// "flags":["PVID","Egress Untagged"]}`.
pub struct BridgeVlansJson<'a>(pub &'a [crate::model::BridgeVlan]);

impl Serialize for BridgeVlansJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for v in self.0 {
            seq.serialize_element(&OneVlan(v))?;
        }
        seq.end()
    }
}

struct OneVlan<'a>(&'a crate::model::BridgeVlan);

impl Serialize for OneVlan<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("vlan", &v.vid)?;
        if v.vid_end != v.vid {
            m.serialize_entry("vlanEnd", &v.vid_end)?;
        }
        let flags: Vec<&str> = [(v.pvid, "PVID"), (v.untagged, "Egress Untagged")]
            .into_iter()
            .filter_map(|(on, f)| on.then_some(f))
            .collect();
        if !flags.is_empty() {
            m.serialize_entry("flags", &flags)?;
        }
        m.end()
    }
}

struct StatsJson<'a>(&'a crate::model::Stats);

impl Serialize for StatsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Dir {
            bytes: u64,
            packets: u64,
            errors: u64,
            dropped: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            over_errors: Option<u64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            multicast: Option<u64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            carrier_errors: Option<u64>,
            #[serde(skip_serializing_if = "Option::is_none")]
            collisions: Option<u64>,
        }
        let st = self.0;
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry(
            "rx",
            &Dir {
                bytes: st.rx_bytes,
                packets: st.rx_packets,
                errors: st.rx_errors,
                dropped: st.rx_dropped,
                over_errors: Some(st.rx_over_errors),
                multicast: Some(st.multicast),
                carrier_errors: None,
                collisions: None,
            },
        )?;
        m.serialize_entry(
            "tx",
            &Dir {
                bytes: st.tx_bytes,
                packets: st.tx_packets,
                errors: st.tx_errors,
                dropped: st.tx_dropped,
                over_errors: None,
                multicast: None,
                carrier_errors: Some(st.tx_carrier_errors),
                collisions: Some(st.collisions),
            },
        )?;
        m.end()
    }
}

struct LinkInfoJson<'a> {
    link: &'a Link,
    ns: &'a NsState,
}

impl Serialize for LinkInfoJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.link;
        let mut m = s.serialize_map(None)?;
        if let Some(k) = &l.kind {
            m.serialize_entry("info_kind", k)?;
            match &l.info {
                KindInfo::None => {}
                info => m.serialize_entry("info_data", &InfoDataJson { info, ns: self.ns })?,
            }
        }
        if let Some(pk) = &l.port_kind {
            m.serialize_entry("info_slave_kind", pk)?;
            if let Some(p) = &l.port_info {
                let mut d = serde_json::Map::new();
                if let Some(v) = p.state {
                    d.insert("state".into(), names::bridge_port_state(v).into());
                }
                if let Some(v) = p.priority {
                    d.insert("priority".into(), v.into());
                }
                if let Some(v) = p.cost {
                    d.insert("cost".into(), v.into());
                }
                for (k, v) in [
                    ("hairpin", p.hairpin),
                    ("guard", p.guard),
                    ("root_block", p.root_block),
                    ("fastleave", p.fastleave),
                    ("learning", p.learning),
                    ("flood", p.flood),
                    ("isolated", p.isolated),
                ] {
                    if let Some(v) = v {
                        d.insert(k.into(), v.into());
                    }
                }
                m.serialize_entry("info_slave_data", &d)?;
            }
        }
        m.end()
    }
}

struct InfoDataJson<'a> {
    info: &'a KindInfo,
    ns: &'a NsState,
}

fn is_multicast(ip: &IpAddr) -> bool {
    ip.is_multicast()
}

impl Serialize for InfoDataJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match self.info {
            KindInfo::None => {}
            KindInfo::Ipvlan { mode, flags } => {
                m.serialize_entry("mode", names::ipvlan_mode(*mode))?;
                m.serialize_entry(names::ipvlan_flag(*flags), &true)?;
            }
            KindInfo::Macvlan {
                mode,
                flags,
                bcqueuelen,
                usedbcqueuelen,
            } => {
                m.serialize_entry("mode", &names::macvlan_mode(*mode))?;
                if flags & 1 != 0 {
                    m.serialize_entry("nopromisc", &true)?;
                }
                if flags & 2 != 0 {
                    m.serialize_entry("nodst", &true)?;
                }
                if let Some(v) = bcqueuelen {
                    m.serialize_entry("bcqueuelen", v)?;
                }
                if let Some(v) = usedbcqueuelen {
                    m.serialize_entry("usedbcqueuelen", v)?;
                }
            }
            KindInfo::Vlan {
                id,
                protocol,
                flags,
            } => {
                let proto = match protocol {
                    0x8100 => "802.1Q".to_owned(),
                    0x88a8 => "802.1ad".to_owned(),
                    p => format!("{p:#06x}"),
                };
                m.serialize_entry("protocol", &proto)?;
                m.serialize_entry("id", id)?;
                let mut fl = Vec::new();
                for (b, n) in [
                    (1, "REORDER_HDR"),
                    (2, "GVRP"),
                    (4, "LOOSE_BINDING"),
                    (8, "MVRP"),
                    (16, "BRIDGE_BINDING"),
                ] {
                    if flags & b != 0 {
                        fl.push(n);
                    }
                }
                m.serialize_entry("flags", &fl)?;
            }
            KindInfo::Vxlan(v) => {
                if let Some(id) = v.id {
                    m.serialize_entry("id", &id)?;
                }
                if let Some(g) = &v.group {
                    let key = if is_multicast(g) { "group" } else { "remote" };
                    m.serialize_entry(key, &g.to_string())?;
                }
                if let Some(l) = &v.local {
                    m.serialize_entry("local", &l.to_string())?;
                }
                if let Some(i) = v.link {
                    m.serialize_entry("link", &ifname(self.ns, i))?;
                }
                if let Some((lo, hi)) = v.port_range {
                    let mut r = serde_json::Map::new();
                    r.insert("low".into(), lo.into());
                    r.insert("high".into(), hi.into());
                    m.serialize_entry("port_range", &r)?;
                }
                if let Some(p) = v.port {
                    m.serialize_entry("port", &p)?;
                }
                if let Some(b) = v.learning {
                    m.serialize_entry("learning", &b)?;
                }
                for (k, b) in [
                    ("proxy", v.proxy),
                    ("rsc", v.rsc),
                    ("l2miss", v.l2miss),
                    ("l3miss", v.l3miss),
                ] {
                    if b {
                        m.serialize_entry(k, &true)?;
                    }
                }
                if v.collect_metadata {
                    m.serialize_entry("external", &true)?;
                }
                if v.ttl_inherit {
                    m.serialize_entry("ttl", &"inherit")?;
                } else if let Some(t) = v.ttl {
                    m.serialize_entry("ttl", &t)?;
                }
                if let Some(t) = v.tos.filter(|t| *t != 0) {
                    m.serialize_entry("tos", &format!("{t:x}"))?;
                }
                if let Some(a) = v.ageing {
                    m.serialize_entry("ageing", &a)?;
                }
                if let Some(a) = v.limit.filter(|a| *a != 0) {
                    m.serialize_entry("limit", &a)?;
                }
                if let Some(b) = v.udp_csum {
                    m.serialize_entry("udp_csum", &b)?;
                }
                if let Some(b) = v.udp_zero_csum6_tx {
                    m.serialize_entry("udp_zero_csum6_tx", &b)?;
                }
                if let Some(b) = v.udp_zero_csum6_rx {
                    m.serialize_entry("udp_zero_csum6_rx", &b)?;
                }
            }
            KindInfo::Bridge(b) => {
                for (k, v) in [
                    ("forward_delay", b.forward_delay),
                    ("hello_time", b.hello_time),
                    ("max_age", b.max_age),
                    ("ageing_time", b.ageing_time),
                    ("stp_state", b.stp_state),
                ] {
                    if let Some(v) = v {
                        m.serialize_entry(k, &v)?;
                    }
                }
                if let Some(p) = b.priority {
                    m.serialize_entry("priority", &p)?;
                }
                if let Some(v) = b.vlan_filtering {
                    m.serialize_entry("vlan_filtering", &v)?;
                }
                if let Some(v) = b.vlan_default_pvid {
                    m.serialize_entry("vlan_default_pvid", &v)?;
                }
            }
        }
        m.end()
    }
}

/// A link with its addresses, as one entry of `ip -j addr`.
pub struct AddrLinkJson<'a> {
    pub link: &'a Link,
    pub ns: &'a NsState,
    pub addrs: Vec<&'a Addr>,
}

impl Serialize for AddrLinkJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        link_head(&mut m, self.link, self.ns)?;
        link_tail(&mut m, self.link, false)?;
        m.serialize_entry("addr_info", &AddrInfos(&self.addrs))?;
        m.end()
    }
}

struct AddrInfos<'a>(&'a [&'a Addr]);

impl Serialize for AddrInfos<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for a in self.0 {
            seq.serialize_element(&AddrJson(a))?;
        }
        seq.end()
    }
}

/// One `addr_info` entry.
pub struct AddrJson<'a>(pub &'a Addr);

/// `IFA_F_*` names in iproute2's order and their JSON keys.
const ADDR_FLAGS: [(u32, &str); 11] = [
    (0x01, "secondary"),
    (0x02, "nodad"),
    (0x04, "optimistic"),
    (0x08, "dadfailed"),
    (0x10, "home"),
    (0x20, "deprecated"),
    (0x40, "tentative"),
    (0x100, "mngtmpaddr"),
    (0x200, "noprefixroute"),
    (0x400, "autojoin"),
    (0x800, "stable-privacy"),
];

impl Serialize for AddrJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("family", names::family(a.family))?;
        let local = a.local.or(a.address);
        if let Some(l) = local {
            m.serialize_entry("local", &l.to_string())?;
        }
        if let (Some(addr), Some(l)) = (a.address, a.local) {
            if addr != l {
                m.serialize_entry("address", &addr.to_string())?;
            }
        }
        m.serialize_entry("prefixlen", &a.prefixlen)?;
        if let Some(b) = a.broadcast {
            m.serialize_entry("broadcast", &b.to_string())?;
        }
        m.serialize_entry("scope", &names::scope(a.scope))?;
        if a.flags & 0x80 == 0 {
            m.serialize_entry("dynamic", &true)?;
        }
        for (bit, name) in ADDR_FLAGS {
            if a.flags & bit != 0 && !(bit == 0x01 && a.family == 10) {
                m.serialize_entry(name, &true)?;
            }
        }
        if a.family == 10 && a.flags & 0x01 != 0 {
            m.serialize_entry("temporary", &true)?;
        }
        if let Some(l) = &a.label {
            m.serialize_entry("label", l)?;
        }
        if let Some(v) = a.valid_lft {
            m.serialize_entry("valid_life_time", &v)?;
        }
        if let Some(v) = a.preferred_lft {
            m.serialize_entry("preferred_life_time", &v)?;
        }
        m.end()
    }
}

/// The destination as `ip route` prints it: `default`, a host address, or a prefix.
pub fn route_dst(r: &Route) -> String {
    let max = if r.family == 10 { 128 } else { 32 };
    match r.dst {
        None if r.dst_len == 0 => "default".into(),
        None => format!("0/{}", r.dst_len),
        Some(d) if r.dst_len == max => d.to_string(),
        Some(d) => format!("{d}/{}", r.dst_len),
    }
}

/// A route as one entry of `ip -j route show table all`.
pub struct RouteJson<'a> {
    pub route: &'a Route,
    pub ns: &'a NsState,
}

impl Serialize for RouteJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.route;
        let mut m = s.serialize_map(None)?;
        if r.kind != 1 {
            m.serialize_entry("type", &names::route_type(r.kind))?;
        }
        m.serialize_entry("dst", &route_dst(r))?;
        if let Some(src) = r.src {
            m.serialize_entry("from", &format!("{src}/{}", r.src_len))?;
        }
        if let Some(g) = r.gateway {
            m.serialize_entry("gateway", &g.to_string())?;
        }
        if let Some(o) = r.oif {
            m.serialize_entry("dev", &ifname(self.ns, o))?;
        }
        if r.table != 254 {
            m.serialize_entry("table", &names::table(r.table))?;
        }
        if r.protocol != 3 {
            m.serialize_entry("protocol", &names::protocol(r.protocol))?;
        }
        if r.scope != 0 {
            m.serialize_entry("scope", &names::scope(r.scope))?;
        }
        if let Some(p) = r.prefsrc {
            m.serialize_entry("prefsrc", &p.to_string())?;
        }
        if let Some(v) = r.metric {
            m.serialize_entry("metric", &v)?;
        }
        m.serialize_entry("flags", &names::route_flags(r.flags))?;
        if let Some(mtu) = r.mtu {
            let mut mm = serde_json::Map::new();
            mm.insert("mtu".into(), mtu.into());
            m.serialize_entry("metrics", &[mm])?;
        }
        if !r.nexthops.is_empty() {
            let hops: Vec<serde_json::Value> = r
                .nexthops
                .iter()
                .map(|h| {
                    let mut o = serde_json::Map::new();
                    if let Some(g) = h.gateway {
                        o.insert("gateway".into(), g.to_string().into());
                    }
                    o.insert("dev".into(), ifname(self.ns, h.oif).into());
                    o.insert("weight".into(), (u32::from(h.weight) + 1).into());
                    o.insert(
                        "flags".into(),
                        names::route_flags(u32::from(h.flags)).into(),
                    );
                    o.into()
                })
                .collect();
            m.serialize_entry("nexthops", &hops)?;
        }
        if let Some(p) = r.pref {
            m.serialize_entry("pref", &names::route_pref(p))?;
        }
        m.end()
    }
}

/// A neighbour as one entry of `ip -j neigh`.
pub struct NeighJson<'a> {
    pub neigh: &'a Neigh,
    pub ns: &'a NsState,
}

impl Serialize for NeighJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = self.neigh;
        let mut m = s.serialize_map(None)?;
        if let Some(d) = n.dst {
            m.serialize_entry("dst", &d.to_string())?;
        }
        m.serialize_entry("dev", &ifname(self.ns, n.ifindex))?;
        if let Some(ll) = &n.lladdr {
            m.serialize_entry("lladdr", &names::mac(ll))?;
        }
        if n.flags & 0x80 != 0 {
            m.serialize_entry("router", &())?;
        }
        if n.flags & 0x08 != 0 {
            m.serialize_entry("proxy", &())?;
        }
        if n.flags & 0x10 != 0 {
            m.serialize_entry("extern_learn", &())?;
        }
        if n.flags & 0x20 != 0 {
            m.serialize_entry("offload", &())?;
        }
        if n.flags & 0x08 == 0 {
            m.serialize_entry("state", &names::nud_states(n.state))?;
        }
        m.end()
    }
}

/// An FDB entry as one entry of `bridge -j fdb show`.
pub struct FdbJson<'a> {
    pub fdb: &'a Fdb,
    pub ns: &'a NsState,
}

impl Serialize for FdbJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let f = self.fdb;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("mac", &names::mac(&f.mac))?;
        m.serialize_entry("ifname", &ifname(self.ns, f.ifindex))?;
        if let Some(v) = f.vlan {
            m.serialize_entry("vlan", &v)?;
        }
        if let Some(d) = f.dst {
            m.serialize_entry("dst", &d.to_string())?;
        }
        if let Some(p) = f.port {
            m.serialize_entry("port", &p)?;
        }
        if let Some(v) = f.vni {
            m.serialize_entry("vni", &v)?;
        }
        if let Some(v) = f.src_vni {
            m.serialize_entry("src_vni", &v)?;
        }
        if let Some(v) = f.ifindex_via {
            m.serialize_entry("via", &ifname(self.ns, v))?;
        }
        if let Some(v) = f.link_netnsid {
            m.serialize_entry("linkNetNsId", &v)?;
        }
        m.serialize_entry("flags", &names::fdb_flags(f.flags, f.ext_flags))?;
        if let Some(c) = f.master {
            m.serialize_entry("master", &ifname(self.ns, c))?;
        }
        m.serialize_entry("state", &names::fdb_state(f.state))?;
        m.end()
    }
}

/// A whole namespace: `{"netns", "links", "addrs", "routes", "neigh", "fdb"}`.
pub struct NsJson<'a> {
    pub name: &'a str,
    pub ns: &'a NsState,
}

struct Seq<I>(std::cell::RefCell<Option<I>>);

impl<I, T> Serialize for Seq<I>
where
    I: Iterator<Item = T>,
    T: Serialize,
{
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        if let Some(it) = self.0.borrow_mut().take() {
            for item in it {
                seq.serialize_element(&item)?;
            }
        }
        seq.end()
    }
}

fn seq<I: Iterator>(it: I) -> Seq<I> {
    Seq(std::cell::RefCell::new(Some(it)))
}

impl Serialize for NsJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ns = self.ns;
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("netns", self.name)?;
        m.serialize_entry(
            "links",
            &seq(ns.links.values().map(|link| LinkJson { link, ns })),
        )?;
        m.serialize_entry(
            "addrs",
            &seq(ns.links.values().map(|link| AddrLinkJson {
                link,
                ns,
                addrs: addrs_of(ns, link.ifindex),
            })),
        )?;
        m.serialize_entry(
            "routes",
            &seq(ns.routes.values().map(|route| RouteJson { route, ns })),
        )?;
        m.serialize_entry(
            "neigh",
            &seq(ns
                .neighs
                .values()
                .filter(|n| ip_neigh_shows(n))
                .map(|neigh| NeighJson { neigh, ns })),
        )?;
        m.serialize_entry("fdb", &seq(ns.fdb.values().map(|fdb| FdbJson { fdb, ns })))?;
        m.end()
    }
}

/// Writes the start of [`NsJson`]'s object for streaming: `{"netns":…,"links":[…],"addrs":[…]`,
/// to be followed by `,"routes":[…]`, `,"neigh":[…]`, `,"fdb":[…]` and `}`.
pub fn write_head(
    out: &mut dyn std::io::Write,
    name: &str,
    ns: &NsState,
) -> serde_json::Result<()> {
    let io = serde_json::Error::io;
    out.write_all(b"{\"netns\":").map_err(io)?;
    serde_json::to_writer(&mut *out, name)?;
    out.write_all(b",\"links\":").map_err(io)?;
    serde_json::to_writer(
        &mut *out,
        &seq(ns.links.values().map(|link| LinkJson { link, ns })),
    )?;
    out.write_all(b",\"addrs\":").map_err(io)?;
    serde_json::to_writer(
        &mut *out,
        &seq(ns.links.values().map(|link| AddrLinkJson {
            link,
            ns,
            addrs: addrs_of(ns, link.ifindex),
        })),
    )
}

/// Addresses of one link, IPv4 first as `ip addr` lists them.
pub fn addrs_of(ns: &NsState, ifindex: u32) -> Vec<&Addr> {
    let lo = crate::model::AddrKey {
        ifindex,
        family: 0,
        local: None,
        peer: None,
        prefixlen: 0,
    };
    let mut v: Vec<&Addr> = ns
        .addrs
        .range(lo..)
        .take_while(|(k, _)| k.ifindex == ifindex)
        .map(|(_, a)| a)
        .collect();
    v.sort_by_key(|a| a.family);
    v
}

/// Whether `ip neigh show` (without `nud all`) lists the entry: it hides NOARP and NONE
/// entries unless they are proxy or externally learned.
pub fn ip_neigh_shows(n: &Neigh) -> bool {
    n.state & 0xbf != 0 || n.flags & 0x18 != 0
}
