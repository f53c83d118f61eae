//! Conversion of netlink-packet-route messages into the model: the crate's types stop here.

use std::net::IpAddr;

use netlink_packet_route::address::{AddressAttribute, AddressMessage};
use netlink_packet_route::link::{
    AfSpecBridge, BridgeVlanInfoFlags, InfoBridge, InfoBridgePort, InfoData, InfoIpVlan,
    InfoIpVtap, InfoKind, InfoMacVlan, InfoMacVtap, InfoPortData, InfoPortKind, InfoVlan,
    InfoVxlan, LinkAttribute, LinkInfo, LinkMessage, LinkProtoInfoBridge,
};
use netlink_packet_route::neighbour::{NeighbourAddress, NeighbourAttribute, NeighbourMessage};
use netlink_packet_route::route::{RouteAddress, RouteAttribute, RouteMessage, RouteMetric};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::model::{
    Addr, BridgeInfo, BridgePortInfo, BridgeVlan, Change, Fdb, KindInfo, Link, Neigh, NextHop,
    Route, Stats, VxlanInfo, NTF_SELF,
};

/// `AF_BRIDGE`: neighbour messages of this family are FDB entries.
const AF_BRIDGE: u8 = 7;

/// Turns a dumped route-netlink message into a model change; `None` for messages we do not
/// track.
pub fn change(msg: RouteNetlinkMessage) -> Option<Change> {
    change_with_flags(msg, None)
}

/// `NLM_F_REPLACE` in a notification's header.
const NLM_F_REPLACE: u16 = 0x100;
/// `NLM_F_APPEND`.
const NLM_F_APPEND: u16 = 0x800;
/// `NTF_PROXY`: a proxy neighbour entry (`ip neigh add proxy`), kept apart from the table.
const NTF_PROXY: u8 = 0x08;
/// `NUD_PERMANENT`.
const NUD_PERMANENT: u16 = 0x80;

/// Like [`change`], for a notification with its netlink header flags: a route replace is
/// announced as a new route carrying `NLM_F_REPLACE`, an IPv4 route added without
/// `NLM_F_APPEND` goes before the others of its key.
pub fn event(msg: RouteNetlinkMessage, flags: u16) -> Option<Change> {
    change_with_flags(msg, Some(flags))
}

fn change_with_flags(msg: RouteNetlinkMessage, event: Option<u16>) -> Option<Change> {
    Some(match msg {
        // AF_BRIDGE link messages carry the bridge-port part of a link only; the full link
        // is announced on its own (a port leaving the bridge gets a full message too).
        RouteNetlinkMessage::NewLink(m) if m.header.interface_family == AddressFamily::Bridge => {
            bridge_port_change(m)
        }
        // A port leaving its bridge: its VLANs go with it.
        RouteNetlinkMessage::DelLink(m) if m.header.interface_family == AddressFamily::Bridge => {
            Change::BridgePort {
                ifindex: m.header.index,
                master: m.attributes.iter().find_map(|a| match a {
                    LinkAttribute::Controller(c) => Some(*c),
                    _ => None,
                }),
                info: None,
                vlans: Vec::new(),
            }
        }
        RouteNetlinkMessage::NewLink(m) => Change::NewLink(link(m)),
        RouteNetlinkMessage::DelLink(m) => Change::DelLink(m.header.index),
        RouteNetlinkMessage::NewAddress(m) => Change::NewAddr(addr(m)),
        RouteNetlinkMessage::DelAddress(m) => Change::DelAddr(addr(m)),
        RouteNetlinkMessage::NewRoute(m) => {
            let r = route(m)?;
            match event {
                Some(f) if f & NLM_F_REPLACE != 0 => Change::ReplaceRoute(r),
                Some(f) if f & NLM_F_APPEND == 0 && r.family == 2 => Change::PrependRoute(r),
                _ => Change::NewRoute(r),
            }
        }
        RouteNetlinkMessage::DelRoute(m) => Change::DelRoute(route(m)?),
        RouteNetlinkMessage::NewNeighbour(m) => match neigh_or_fdb(m)? {
            // Proxy entries are not in the neighbour table (nor in its dump, nor `ip neigh`).
            Either::Neigh(n) if n.flags & NTF_PROXY != 0 => return None,
            // The kernel keeps NOARP/NONE entries for multicast and broadcast mappings
            // without announcing them, and `ip neigh` hides them: the model leaves them out,
            // and an entry that turns into one leaves the model.
            Either::Neigh(n) if !crate::json::ip_neigh_shows(&n) => Change::DelNeigh(n),
            Either::Neigh(n) => Change::NewNeigh(n),
            Either::Fdb(f) => Change::NewFdb(f),
        },
        RouteNetlinkMessage::DelNeighbour(m) => match neigh_or_fdb(m)? {
            Either::Neigh(n) if n.flags & NTF_PROXY != 0 => return None,
            Either::Neigh(n) => Change::DelNeigh(n),
            Either::Fdb(f) => Change::DelFdb(f),
        },
        _ => return None,
    })
}

/// The bridge-port attributes (`IFLA_PROTINFO`, absent in the bridge's own message) and the
/// VLANs (`IFLA_AF_SPEC`, absent when there are none) of an `AF_BRIDGE` link message.
///
/// The kernel sends these with the VLANs (`br_ifinfo_notify`) for every change of a port,
/// of its VLANs and of the bridge's own VLANs. Only CFM/MRP status messages, which need a
/// CFM or MRP instance configured (netlens models neither), leave the VLANs out.
fn bridge_port_change(m: LinkMessage) -> Change {
    use netlink_packet_core::{Emitable, NlaBuffer, Parseable};
    let mut master = None;
    let mut info = None;
    let mut vlans = Vec::new();
    for attr in m.attributes {
        match attr {
            LinkAttribute::Controller(c) => master = Some(c),
            LinkAttribute::AfSpecBridge(spec) => vlans = bridge_vlans(&spec),
            LinkAttribute::ProtoInfoBridge(v) => {
                // netlink-packet-route leaves IFLA_PROTINFO's attributes raw: they are the
                // IFLA_BRPORT_* attributes of IFLA_INFO_SLAVE_DATA, parsed as such.
                let attrs = v.into_iter().filter_map(|a| {
                    let LinkProtoInfoBridge::Other(nla) = a else {
                        return None;
                    };
                    let mut buf = vec![0u8; nla.buffer_len()];
                    nla.emit(&mut buf);
                    InfoBridgePort::parse(&NlaBuffer::new(&buf)).ok()
                });
                info = Some(bridge_port(attrs.collect()));
            }
            _ => {}
        }
    }
    Change::BridgePort {
        ifindex: m.header.index,
        // The bridge's own message names itself as master.
        master: master.filter(|c| *c != m.header.index),
        info,
        vlans,
    }
}

/// The VLAN list of an `IFLA_AF_SPEC` of the bridge family, as ranges: a range comes as
/// its first VLAN (`RANGE_BEGIN`) and its last (`RANGE_END`), with the same flags.
pub fn bridge_vlans(spec: &[AfSpecBridge]) -> Vec<BridgeVlan> {
    let mut out = Vec::new();
    let mut begin: Option<u16> = None;
    for a in spec {
        let AfSpecBridge::VlanInfo(v) = a else {
            continue;
        };
        let f = v.flags;
        if f.contains(BridgeVlanInfoFlags::RangeBegin) {
            begin = Some(v.vid);
            continue;
        }
        let vid = if f.contains(BridgeVlanInfoFlags::RangeEnd) {
            begin.take().unwrap_or(v.vid)
        } else {
            v.vid
        };
        out.push(BridgeVlan {
            vid,
            vid_end: v.vid,
            pvid: f.contains(BridgeVlanInfoFlags::Pvid),
            untagged: f.contains(BridgeVlanInfoFlags::Untagged),
        });
    }
    out
}

fn family(f: AddressFamily) -> u8 {
    u8::from(f)
}

/// Parses a link message.
pub fn link(m: LinkMessage) -> Link {
    let mut l = Link {
        ifindex: m.header.index,
        link_type: u16::from(m.header.link_layer_type),
        flags: m.header.flags.bits(),
        ..Link::default()
    };
    for attr in m.attributes {
        match attr {
            LinkAttribute::IfName(n) => l.name = n,
            LinkAttribute::Mtu(v) => l.mtu = Some(v),
            LinkAttribute::MinMtu(v) => l.min_mtu = Some(v),
            LinkAttribute::MaxMtu(v) => l.max_mtu = Some(v),
            LinkAttribute::Address(a) => l.address = Some(a),
            LinkAttribute::Broadcast(a) => l.broadcast = Some(a),
            LinkAttribute::OperState(s) => l.operstate = Some(u8::from(s)),
            LinkAttribute::Mode(s) => l.linkmode = Some(u8::from(s)),
            LinkAttribute::Qdisc(q) => l.qdisc = Some(q),
            LinkAttribute::Group(g) => l.group = Some(g),
            LinkAttribute::TxQueueLen(q) => l.txqlen = Some(q),
            LinkAttribute::Promiscuity(p) => l.promiscuity = Some(p),
            LinkAttribute::AllMulticast(p) => l.allmulti = Some(p),
            LinkAttribute::Controller(c) => l.master = Some(c),
            LinkAttribute::Link(p) => l.parent = Some(p),
            LinkAttribute::LinkNetNsId(n) => l.link_netnsid = Some(n),
            LinkAttribute::IfAlias(a) => l.alias = Some(a),
            LinkAttribute::Stats64(s) => {
                l.stats = Some(Stats {
                    rx_bytes: s.rx_bytes,
                    rx_packets: s.rx_packets,
                    rx_errors: s.rx_errors,
                    rx_dropped: s.rx_dropped,
                    rx_over_errors: s.rx_over_errors,
                    multicast: s.multicast,
                    tx_bytes: s.tx_bytes,
                    tx_packets: s.tx_packets,
                    tx_errors: s.tx_errors,
                    tx_dropped: s.tx_dropped,
                    tx_carrier_errors: s.tx_carrier_errors,
                    collisions: s.collisions,
                });
            }
            LinkAttribute::LinkInfo(infos) => link_info(&mut l, infos),
            _ => {}
        }
    }
    l
}

fn kind_name(k: &InfoKind) -> String {
    match k {
        InfoKind::Other(s) => s.clone(),
        // The crate's Display gives the kernel's kind string ("macvlan", "vxlan", ...).
        other => other.to_string(),
    }
}

fn link_info(l: &mut Link, infos: Vec<LinkInfo>) {
    for info in infos {
        match info {
            LinkInfo::Kind(k) => l.kind = Some(kind_name(&k)),
            LinkInfo::PortKind(k) => {
                l.port_kind = Some(match k {
                    InfoPortKind::Bridge => "bridge".into(),
                    InfoPortKind::Bond => "bond".into(),
                    InfoPortKind::Vrf => "vrf".into(),
                    InfoPortKind::Team => "team".into(),
                    InfoPortKind::Other(s) => s,
                    other => format!("{other:?}").to_lowercase(),
                });
            }
            LinkInfo::Data(d) => l.info = info_data(d),
            LinkInfo::PortData(InfoPortData::BridgePort(p)) => l.port_info = Some(bridge_port(p)),
            _ => {}
        }
    }
}

fn info_data(d: InfoData) -> KindInfo {
    match d {
        InfoData::MacVlan(v) => macvlan(v.into_iter().map(MacInfo::Vlan)),
        InfoData::MacVtap(v) => macvlan(v.into_iter().map(MacInfo::Vtap)),
        InfoData::Vlan(v) => {
            let (mut id, mut protocol, mut flags) = (0, 0x8100, 0);
            for a in v {
                match a {
                    InfoVlan::Id(i) => id = i,
                    InfoVlan::Protocol(p) => protocol = u16::from(p),
                    InfoVlan::Flags((f, _)) => flags = f.bits(),
                    _ => {}
                }
            }
            KindInfo::Vlan {
                id,
                protocol,
                flags,
            }
        }
        InfoData::Vxlan(v) => KindInfo::Vxlan(Box::new(vxlan(v))),
        InfoData::IpVlan(v) => {
            let (mut mode, mut flags) = (0, 0);
            for a in v {
                match a {
                    InfoIpVlan::Mode(m) => mode = u16::from(m),
                    InfoIpVlan::Flags(f) => flags = f.bits(),
                    _ => {}
                }
            }
            KindInfo::Ipvlan { mode, flags }
        }
        InfoData::IpVtap(v) => {
            let (mut mode, mut flags) = (0, 0);
            for a in v {
                match a {
                    InfoIpVtap::Mode(m) => mode = u16::from(m),
                    InfoIpVtap::Flags(f) => flags = f.bits(),
                    _ => {}
                }
            }
            KindInfo::Ipvlan { mode, flags }
        }
        InfoData::Bridge(v) => {
            let mut b = BridgeInfo::default();
            for a in v {
                match a {
                    InfoBridge::ForwardDelay(x) => b.forward_delay = Some(x),
                    InfoBridge::HelloTime(x) => b.hello_time = Some(x),
                    InfoBridge::MaxAge(x) => b.max_age = Some(x),
                    InfoBridge::AgeingTime(x) => b.ageing_time = Some(x),
                    InfoBridge::StpState(x) => b.stp_state = Some(u32::from(x)),
                    InfoBridge::Priority(x) => b.priority = Some(x),
                    InfoBridge::VlanFiltering(x) => b.vlan_filtering = Some(u8::from(x)),
                    InfoBridge::VlanDefaultPvid(x) => b.vlan_default_pvid = Some(x),
                    _ => {}
                }
            }
            KindInfo::Bridge(b)
        }
        _ => KindInfo::None,
    }
}

enum MacInfo {
    Vlan(InfoMacVlan),
    Vtap(InfoMacVtap),
}

#[allow(
    clippy::match_same_arms,
    reason = "macvlan and macvtap attributes are distinct types"
)]
fn macvlan(attrs: impl Iterator<Item = MacInfo>) -> KindInfo {
    let (mut mode, mut flags, mut bcq, mut used) = (0, 0, None, None);
    for a in attrs {
        match a {
            MacInfo::Vlan(InfoMacVlan::Mode(m)) => mode = u32::from(m),
            MacInfo::Vtap(InfoMacVtap::Mode(m)) => mode = u32::from(m),
            MacInfo::Vlan(InfoMacVlan::Flags(f)) => flags = f.bits(),
            MacInfo::Vtap(InfoMacVtap::Flags(f)) => flags = f.bits(),
            MacInfo::Vlan(InfoMacVlan::BcQueueLen(q))
            | MacInfo::Vtap(InfoMacVtap::BcQueueLen(q)) => {
                bcq = Some(q);
            }
            MacInfo::Vlan(InfoMacVlan::BcQueueLenUsed(q))
            | MacInfo::Vtap(InfoMacVtap::BcQueueLenUsed(q)) => used = Some(q),
            _ => {}
        }
    }
    KindInfo::Macvlan {
        mode,
        flags,
        bcqueuelen: bcq,
        usedbcqueuelen: used,
    }
}

fn vxlan(attrs: Vec<InfoVxlan>) -> VxlanInfo {
    let mut v = VxlanInfo::default();
    for a in attrs {
        match a {
            InfoVxlan::Id(x) => v.id = Some(x),
            InfoVxlan::Group(g) => v.group = Some(IpAddr::V4(g)),
            InfoVxlan::Group6(g) => v.group = Some(IpAddr::V6(g)),
            InfoVxlan::Local(x) => v.local = Some(IpAddr::V4(x)),
            InfoVxlan::Local6(x) => v.local = Some(IpAddr::V6(x)),
            InfoVxlan::Link(x) => v.link = Some(x),
            InfoVxlan::Port(p) => v.port = Some(p),
            InfoVxlan::PortRange(r) => v.port_range = Some(r),
            InfoVxlan::Learning(b) => v.learning = Some(b),
            InfoVxlan::Proxy(b) => v.proxy = b,
            InfoVxlan::Rsc(b) => v.rsc = b,
            InfoVxlan::L2Miss(b) => v.l2miss = b,
            InfoVxlan::L3Miss(b) => v.l3miss = b,
            InfoVxlan::CollectMetadata(b) => v.collect_metadata = b,
            InfoVxlan::Ttl(t) => v.ttl = Some(t),
            InfoVxlan::TtlInherit(t) => v.ttl_inherit = t != 0,
            InfoVxlan::Tos(t) => v.tos = Some(t),
            InfoVxlan::Ageing(t) => v.ageing = Some(t),
            InfoVxlan::Limit(t) => v.limit = Some(t),
            InfoVxlan::UDPCsum(b) => v.udp_csum = Some(b),
            InfoVxlan::UDPZeroCsumTX(b) => v.udp_zero_csum6_tx = Some(b),
            InfoVxlan::UDPZeroCsumRX(b) => v.udp_zero_csum6_rx = Some(b),
            InfoVxlan::Gbp => v.uncarried.push("gbp".into()),
            InfoVxlan::Gpe => v.uncarried.push("gpe".into()),
            InfoVxlan::RemCsumTX(true) => v.uncarried.push("remcsumtx".into()),
            InfoVxlan::RemCsumRX(true) => v.uncarried.push("remcsumrx".into()),
            InfoVxlan::RemCsumNoPartial => v.uncarried.push("remcsum_no_partial".into()),
            InfoVxlan::Label(l) if l != 0 => v.uncarried.push(format!("flowlabel {l:#x}")),
            InfoVxlan::Df(d) if d != netlink_packet_route::link::VxlanDf::Unset => {
                v.uncarried.push(format!("df {d:?}").to_lowercase());
            }
            InfoVxlan::Vnifilter(true) => v.uncarried.push("vnifilter".into()),
            InfoVxlan::Localbypass(false) => v.uncarried.push("nolocalbypass".into()),
            InfoVxlan::LabelPolicy(p) if p != 0 => {
                v.uncarried.push(format!("label policy {p}"));
            }
            InfoVxlan::McRoute(true) => v.uncarried.push("mcroute".into()),
            // The kernel reports its default mask of reserved header bits.
            InfoVxlan::ReservedBits(b) if b != 0 && b != 0xf7ff_ffff_0000_00ff => {
                v.uncarried.push(format!("reserved_bits {b:#x}"));
            }
            _ => {}
        }
    }
    v
}

fn bridge_port(attrs: Vec<InfoBridgePort>) -> BridgePortInfo {
    let mut p = BridgePortInfo::default();
    for a in attrs {
        match a {
            InfoBridgePort::State(s) => p.state = Some(u8::from(s)),
            InfoBridgePort::Priority(x) => p.priority = Some(x),
            InfoBridgePort::Cost(x) => p.cost = Some(x),
            InfoBridgePort::HairpinMode(x) => p.hairpin = Some(x),
            InfoBridgePort::Guard(x) => p.guard = Some(x),
            InfoBridgePort::Protect(x) => p.root_block = Some(x),
            InfoBridgePort::FastLeave(x) => p.fastleave = Some(x),
            InfoBridgePort::Learning(x) => p.learning = Some(x),
            InfoBridgePort::UnicastFlood(x) => p.flood = Some(x),
            InfoBridgePort::Isolated(x) => p.isolated = Some(x),
            _ => {}
        }
    }
    p
}

/// Parses an address message.
pub fn addr(m: AddressMessage) -> Addr {
    let mut a = Addr {
        ifindex: m.header.index,
        family: family(m.header.family),
        prefixlen: m.header.prefix_len,
        scope: u8::from(m.header.scope),
        flags: u32::from(m.header.flags.bits()),
        local: None,
        address: None,
        broadcast: None,
        label: None,
        valid_lft: None,
        preferred_lft: None,
    };
    for attr in m.attributes {
        match attr {
            AddressAttribute::Local(x) => a.local = Some(x),
            AddressAttribute::Address(x) => a.address = Some(x),
            AddressAttribute::Broadcast(x) => a.broadcast = Some(IpAddr::V4(x)),
            AddressAttribute::Label(x) => a.label = Some(x),
            AddressAttribute::Flags(f) => a.flags = f.bits(),
            AddressAttribute::CacheInfo(c) => {
                a.valid_lft = Some(c.ifa_valid);
                a.preferred_lft = Some(c.ifa_preferred);
            }
            _ => {}
        }
    }
    a
}

fn route_addr(a: &RouteAddress) -> Option<IpAddr> {
    match a {
        RouteAddress::Inet(x) => Some(IpAddr::V4(*x)),
        RouteAddress::Inet6(x) => Some(IpAddr::V6(*x)),
        _ => None,
    }
}

/// Parses a route message; `None` for families other than IPv4/IPv6 (MPLS, multicast).
pub fn route(m: RouteMessage) -> Option<Route> {
    let fam = family(m.header.address_family);
    if fam != 2 && fam != 10 {
        return None;
    }
    let mut r = Route {
        family: fam,
        table: u32::from(m.header.table),
        dst_len: m.header.destination_prefix_length,
        src_len: m.header.source_prefix_length,
        tos: m.header.tos,
        protocol: u8::from(m.header.protocol),
        scope: u8::from(m.header.scope),
        kind: u8::from(m.header.kind),
        flags: m.header.flags.bits(),
        ..Route::default()
    };
    for attr in m.attributes {
        match attr {
            RouteAttribute::Table(t) => r.table = t,
            RouteAttribute::Destination(a) => r.dst = route_addr(&a),
            RouteAttribute::Source(a) => r.src = route_addr(&a),
            RouteAttribute::Gateway(a) => r.gateway = route_addr(&a),
            RouteAttribute::PrefSource(a) => r.prefsrc = route_addr(&a),
            RouteAttribute::Oif(i) => r.oif = Some(i),
            RouteAttribute::Priority(p) => r.metric = Some(p),
            RouteAttribute::Preference(p) => r.pref = Some(u8::from(p)),
            RouteAttribute::Metrics(ms) => {
                for metric in ms {
                    if let RouteMetric::Mtu(v) = metric {
                        r.mtu = Some(v);
                    }
                }
            }
            RouteAttribute::MultiPath(hops) => {
                r.nexthops = hops
                    .into_iter()
                    .map(|h| NextHop {
                        gateway: h.attributes.iter().find_map(|a| match a {
                            RouteAttribute::Gateway(g) => route_addr(g),
                            _ => None,
                        }),
                        oif: h.interface_index,
                        weight: h.hops,
                        flags: h.flags.bits(),
                    })
                    .collect();
            }
            _ => {}
        }
    }
    Some(r)
}

enum Either {
    Neigh(Neigh),
    Fdb(Fdb),
}

fn neigh_addr(a: NeighbourAddress) -> Option<IpAddr> {
    match a {
        NeighbourAddress::Inet(x) => Some(IpAddr::V4(x)),
        NeighbourAddress::Inet6(x) => Some(IpAddr::V6(x)),
        NeighbourAddress::Other(b) => match b.len() {
            4 => <[u8; 4]>::try_from(b.as_slice()).ok().map(IpAddr::from),
            16 => <[u8; 16]>::try_from(b.as_slice()).ok().map(IpAddr::from),
            _ => None,
        },
        _ => None,
    }
}

fn neigh_or_fdb(m: NeighbourMessage) -> Option<Either> {
    let fam = family(m.header.family);
    let state = u16::from(m.header.state);
    let flags = m.header.flags.bits();
    if fam == AF_BRIDGE {
        let mut f = Fdb {
            ifindex: m.header.ifindex,
            mac: Vec::new(),
            state,
            flags,
            ext_flags: 0,
            master: None,
            vlan: None,
            dst: None,
            port: None,
            vni: None,
            src_vni: None,
            ifindex_via: None,
            link_netnsid: None,
        };
        for attr in m.attributes {
            match attr {
                NeighbourAttribute::LinkLayerAddress(a) => f.mac = a,
                NeighbourAttribute::Destination(a) => f.dst = neigh_addr(a),
                NeighbourAttribute::Controller(c) => f.master = Some(c),
                NeighbourAttribute::Vlan(v) => f.vlan = Some(v),
                NeighbourAttribute::Port(p) => f.port = Some(p),
                NeighbourAttribute::Vni(v) => f.vni = Some(v),
                NeighbourAttribute::SourceVni(v) => f.src_vni = Some(v),
                NeighbourAttribute::IfIndex(i) => f.ifindex_via = Some(i),
                NeighbourAttribute::LinkNetNsId(i) => f.link_netnsid = Some(i),
                NeighbourAttribute::ExtFlags(e) => f.ext_flags = e.bits(),
                _ => {}
            }
        }
        if f.flags & NTF_SELF != 0 && f.master.is_none() && f.dst.is_none() {
            // A device's own address list (its unicast and multicast MACs): the kernel
            // announces an added entry with the state asked for, and always dumps it as
            // permanent. The model holds what the dump shows.
            f.state = NUD_PERMANENT;
        }
        return Some(Either::Fdb(f));
    }
    if fam != 2 && fam != 10 {
        return None;
    }
    let mut n = Neigh {
        family: fam,
        ifindex: m.header.ifindex,
        dst: None,
        lladdr: None,
        state,
        flags,
        ext_flags: 0,
        protocol: None,
    };
    for attr in m.attributes {
        match attr {
            NeighbourAttribute::Destination(a) => n.dst = neigh_addr(a),
            NeighbourAttribute::LinkLayerAddress(a) => n.lladdr = Some(a),
            NeighbourAttribute::ExtFlags(e) => n.ext_flags = e.bits(),
            NeighbourAttribute::Protocol(p) => n.protocol = Some(u8::from(p)),
            _ => {}
        }
    }
    Some(Either::Neigh(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use netlink_packet_route::link::BridgeVlanInfo;

    fn info(flags: BridgeVlanInfoFlags, vid: u16) -> AfSpecBridge {
        AfSpecBridge::VlanInfo(BridgeVlanInfo { flags, vid })
    }

    /// A range comes as its first and last VLAN; single VLANs as themselves; the flags
    /// (PVID, untagged) of each kept.
    #[test]
    fn bridge_vlan_ranges_are_joined() {
        use BridgeVlanInfoFlags as F;
        let spec = [
            info(F::Pvid | F::Untagged, 1),
            info(F::RangeBegin, 10),
            info(F::RangeEnd, 20),
            info(F::RangeBegin | F::Untagged, 30),
            info(F::RangeEnd | F::Untagged, 31),
            info(F::empty(), 40),
        ];
        let v = bridge_vlans(&spec);
        let got: Vec<(u16, u16, bool, bool)> = v
            .iter()
            .map(|v| (v.vid, v.vid_end, v.pvid, v.untagged))
            .collect();
        assert_eq!(
            got,
            [
                (1, 1, true, true),
                (10, 20, false, false),
                (30, 31, false, true),
                (40, 40, false, false)
            ]
        );
        assert_eq!(
            crate::names::bridge_vlans(&v),
            "1 pvid untagged, 10-20, 30-31 untagged, 40"
        );
        let json = serde_json::to_string(&crate::json::BridgeVlansJson(&v)).expect("JSON");
        assert_eq!(
            json,
            r#"[{"vlan":1,"flags":["PVID","Egress Untagged"]},{"vlan":10,"vlanEnd":20},{"vlan":30,"vlanEnd":31,"flags":["Egress Untagged"]},{"vlan":40}]"#
        );
    }
}
