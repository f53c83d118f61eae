//! The typed model of one namespace's network state, keyed by the kernel's own keys.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::netns::NsId;

/// Another namespace, as a link's `IFLA_LINK_NETNSID` names it: resolved through the
/// namespace's own id map (`RTM_GETNSID`) to a namespace netlens discovered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NsRef {
    pub id: NsId,
    /// `host`, the `/run/netns` name, or `pid:PID`.
    pub name: String,
}

/// A MAC (or other link-layer) address as the kernel reports it.
pub type HwAddr = Vec<u8>;

/// Counters from `IFLA_STATS64` (what `ip -s link` prints).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub rx_bytes: u64,
    pub rx_packets: u64,
    pub rx_errors: u64,
    pub rx_dropped: u64,
    pub rx_over_errors: u64,
    pub multicast: u64,
    pub tx_bytes: u64,
    pub tx_packets: u64,
    pub tx_errors: u64,
    pub tx_dropped: u64,
    pub tx_carrier_errors: u64,
    pub collisions: u64,
}

/// Kind-specific details of a link (`ip -d link` `linkinfo.info_data`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum KindInfo {
    #[default]
    None,
    /// macvlan/macvtap: mode as the kernel's `MACVLAN_MODE_*` bit, flags.
    Macvlan {
        mode: u32,
        flags: u16,
        bcqueuelen: Option<u32>,
        usedbcqueuelen: Option<u32>,
    },
    /// 802.1Q/802.1ad sub-interface.
    Vlan {
        id: u16,
        protocol: u16,
        flags: u32,
    },
    Vxlan(Box<VxlanInfo>),
    Bridge(BridgeInfo),
    /// ipvlan/ipvtap: mode (`IPVLAN_MODE_L2` 0, `L3` 1, `L3S` 2) and flags
    /// (`IPVLAN_F_PRIVATE` 1, `IPVLAN_F_VEPA` 2; neither: bridge).
    Ipvlan {
        mode: u16,
        flags: u16,
    },
}

/// VXLAN device parameters.
#[allow(
    clippy::struct_excessive_bools,
    reason = "mirrors the kernel's IFLA_VXLAN_* flags"
)]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VxlanInfo {
    pub id: Option<u32>,
    pub group: Option<IpAddr>,
    pub local: Option<IpAddr>,
    /// Underlay device ifindex (`dev`).
    pub link: Option<u32>,
    pub port: Option<u16>,
    pub port_range: Option<(u16, u16)>,
    pub learning: Option<bool>,
    pub proxy: bool,
    pub rsc: bool,
    pub l2miss: bool,
    pub l3miss: bool,
    pub collect_metadata: bool,
    pub ttl: Option<u8>,
    pub ttl_inherit: bool,
    pub tos: Option<u8>,
    pub ageing: Option<u32>,
    pub limit: Option<u32>,
    pub udp_csum: Option<bool>,
    pub udp_zero_csum6_tx: Option<bool>,
    pub udp_zero_csum6_rx: Option<bool>,
    /// Options set on the device that the fields above do not carry (`gbp`, `df set`,
    /// `flowlabel 5`…), as `ip -d link` names them: what a recreated device would lose.
    pub uncarried: Vec<String>,
}

/// Bridge device parameters (a subset of `ip -d link show type bridge`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BridgeInfo {
    pub forward_delay: Option<u32>,
    pub hello_time: Option<u32>,
    pub max_age: Option<u32>,
    pub ageing_time: Option<u32>,
    pub stp_state: Option<u32>,
    pub priority: Option<u16>,
    pub vlan_filtering: Option<u8>,
    /// The VLAN a new port gets, untagged and as its PVID (`vlan_default_pvid`; 0: none).
    pub vlan_default_pvid: Option<u16>,
}

/// A VLAN (or a range of VLANs with the same flags) of a bridge port, or of the bridge
/// itself, as `bridge vlan show` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BridgeVlan {
    pub vid: u16,
    /// The range's last VLAN (`vid` for one VLAN).
    pub vid_end: u16,
    /// Untagged frames arriving on the port belong to this VLAN.
    pub pvid: bool,
    /// Frames of this VLAN leave the port untagged.
    pub untagged: bool,
}

/// Bridge port parameters of a link enslaved to a bridge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BridgePortInfo {
    pub state: Option<u8>,
    pub priority: Option<u16>,
    pub cost: Option<u32>,
    pub hairpin: Option<bool>,
    pub guard: Option<bool>,
    pub root_block: Option<bool>,
    pub fastleave: Option<bool>,
    pub learning: Option<bool>,
    pub flood: Option<bool>,
    pub isolated: Option<bool>,
}

/// A network interface.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Link {
    pub ifindex: u32,
    pub name: String,
    pub link_type: u16,
    pub flags: u32,
    pub mtu: Option<u32>,
    pub min_mtu: Option<u32>,
    pub max_mtu: Option<u32>,
    pub address: Option<HwAddr>,
    pub broadcast: Option<HwAddr>,
    pub operstate: Option<u8>,
    pub linkmode: Option<u8>,
    pub qdisc: Option<String>,
    pub group: Option<u32>,
    pub txqlen: Option<u32>,
    pub promiscuity: Option<u32>,
    pub allmulti: Option<u32>,
    /// Controller (bridge/bond master) ifindex.
    pub master: Option<u32>,
    /// `IFLA_LINK`: parent (macvlan, vlan) or veth peer ifindex.
    pub parent: Option<u32>,
    /// `IFLA_LINK_NETNSID`: the parent/peer lives in another namespace.
    pub link_netnsid: Option<i32>,
    /// The namespace `link_netnsid` names, when netlens found it (see [`NsRef`]).
    pub link_netns: Option<NsRef>,
    pub kind: Option<String>,
    pub info: KindInfo,
    pub port_kind: Option<String>,
    pub port_info: Option<BridgePortInfo>,
    /// The VLANs of a bridge port or of a bridge (`bridge vlan show`): read from the
    /// bridge's own (`AF_BRIDGE`) messages, kept across the link's other messages while it
    /// stays on the same bridge.
    pub bridge_vlans: Vec<BridgeVlan>,
    pub stats: Option<Stats>,
    pub alias: Option<String>,
}

/// An interface address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addr {
    pub ifindex: u32,
    pub family: u8,
    pub prefixlen: u8,
    pub scope: u8,
    pub flags: u32,
    pub local: Option<IpAddr>,
    /// `IFA_ADDRESS`: the peer on point-to-point links, else equal to local.
    pub address: Option<IpAddr>,
    pub broadcast: Option<IpAddr>,
    pub label: Option<String>,
    pub valid_lft: Option<u32>,
    pub preferred_lft: Option<u32>,
}

/// Key of an address, as the kernel tells addresses apart: ifindex, family, local address,
/// peer (point-to-point: `10.7.0.1 peer 10.7.0.2` and `10.7.0.1 peer 10.7.0.3` are two
/// addresses) and prefix length.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddrKey {
    pub ifindex: u32,
    pub family: u8,
    pub local: Option<IpAddr>,
    pub peer: Option<IpAddr>,
    pub prefixlen: u8,
}

impl Addr {
    pub fn key(&self) -> AddrKey {
        AddrKey {
            ifindex: self.ifindex,
            family: self.family,
            local: self.local.or(self.address),
            peer: self.peer(),
            prefixlen: self.prefixlen,
        }
    }

    /// The peer of a point-to-point address (`IFA_ADDRESS` when it differs from `IFA_LOCAL`).
    pub fn peer(&self) -> Option<IpAddr> {
        match (self.local, self.address) {
            (Some(l), Some(a)) if l != a => Some(a),
            _ => None,
        }
    }
}

/// One hop of a multipath route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextHop {
    pub gateway: Option<IpAddr>,
    pub oif: u32,
    pub weight: u8,
    pub flags: u8,
}

/// A route from any table.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Route {
    pub family: u8,
    pub table: u32,
    pub dst: Option<IpAddr>,
    pub dst_len: u8,
    pub src: Option<IpAddr>,
    pub src_len: u8,
    pub tos: u8,
    pub protocol: u8,
    pub scope: u8,
    pub kind: u8,
    pub flags: u32,
    pub gateway: Option<IpAddr>,
    pub oif: Option<u32>,
    pub prefsrc: Option<IpAddr>,
    pub metric: Option<u32>,
    pub pref: Option<u8>,
    pub mtu: Option<u32>,
    pub nexthops: Vec<NextHop>,
}

/// Key of a route, as the kernel tells routes apart: IPv4 by table, prefix, tos and
/// priority; IPv6 by table, prefix, source prefix and metric, a multipath route being one
/// route. `alt` tells apart the routes the kernel keeps side by side under one such key: IPv4
/// routes added with `append` (a hash of their type and next hops), IPv6 routes that cannot
/// join a multipath route (no gateway, not unicast, learned from router advertisements).
/// It is 0 for IPv6 routes that join into one multipath route.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct RouteKey {
    pub family: u8,
    pub table: u32,
    pub dst: Option<IpAddr>,
    pub dst_len: u8,
    pub src: Option<IpAddr>,
    pub src_len: u8,
    pub tos: u8,
    pub metric: u32,
    pub alt: u64,
}

/// `AF_INET6`.
pub const AF_INET6: u8 = 10;
/// `RTPROT_RA`: routes learned from router advertisements (`RTF_ADDRCONF`).
const RTPROT_RA: u8 = 9;
/// `RTN_UNICAST`.
const RTN_UNICAST: u8 = 1;
/// `RTNH_F_ONLINK`.
const RTNH_F_ONLINK: u32 = 4;

impl Route {
    pub fn key(&self) -> RouteKey {
        let mut k = self.group();
        if !self.joins_multipath() {
            k.alt = self.alt();
        }
        k
    }

    /// The key without `alt`: the routes a replace or an IPv6 append acts on.
    pub fn group(&self) -> RouteKey {
        RouteKey {
            family: self.family,
            table: self.table,
            dst: self.dst,
            dst_len: self.dst_len,
            src: self.src,
            src_len: self.src_len,
            tos: self.tos,
            metric: self.metric.unwrap_or(0),
            alt: 0,
        }
    }

    /// An IPv6 route that the kernel merges with others of its key into one multipath route
    /// (`rt6_qualify_for_ecmp`: a unicast route via a gateway, not from an RA).
    pub fn joins_multipath(&self) -> bool {
        self.family == AF_INET6
            && self.kind == RTN_UNICAST
            && self.protocol != RTPROT_RA
            && (self.gateway.is_some() || !self.nexthops.is_empty())
    }

    /// The hops of the route: its multipath next hops, or the one it has.
    pub fn hops(&self) -> Vec<NextHop> {
        if self.nexthops.is_empty() {
            vec![NextHop {
                gateway: self.gateway,
                oif: self.oif.unwrap_or(0),
                weight: 0,
                flags: u8::try_from(self.flags & 0xff).unwrap_or(0),
            }]
        } else {
            self.nexthops.clone()
        }
    }

    /// Whether any hop of the route leaves through `ifindex`.
    pub fn uses(&self, ifindex: u32) -> bool {
        self.oif == Some(ifindex) || self.nexthops.iter().any(|h| h.oif == ifindex)
    }

    /// What tells this route apart from others under its group (never 0). Stable for the
    /// life of a netlens process (the hash of the standard library's `DefaultHasher`).
    fn alt(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        // What the kernel compares to tell two routes of one key apart (the route's type
        // and `fib_info`) and netlens models: not the flags the kernel sets on its own
        // (linkdown, dead), but onlink, which is asked for.
        (
            self.kind,
            self.protocol,
            self.scope,
            self.gateway,
            self.oif,
            self.prefsrc,
            self.mtu,
            self.flags & RTNH_F_ONLINK,
        )
            .hash(&mut h);
        for n in &self.nexthops {
            (n.gateway, n.oif, n.weight).hash(&mut h);
        }
        h.finish().max(1)
    }
}

/// An ARP/NDP neighbour entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neigh {
    pub family: u8,
    pub ifindex: u32,
    pub dst: Option<IpAddr>,
    pub lladdr: Option<HwAddr>,
    pub state: u16,
    pub flags: u8,
    pub ext_flags: u32,
    pub protocol: Option<u8>,
}

/// Key of a neighbour entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NeighKey {
    pub ifindex: u32,
    pub family: u8,
    pub dst: Option<IpAddr>,
}

impl Neigh {
    pub fn key(&self) -> NeighKey {
        NeighKey {
            ifindex: self.ifindex,
            family: self.family,
            dst: self.dst,
        }
    }
}

/// A bridge forwarding database entry (`bridge fdb`), also of vxlan devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fdb {
    pub ifindex: u32,
    pub mac: HwAddr,
    pub state: u16,
    pub flags: u8,
    pub ext_flags: u32,
    pub master: Option<u32>,
    pub vlan: Option<u16>,
    pub dst: Option<IpAddr>,
    pub port: Option<u16>,
    pub vni: Option<u32>,
    pub src_vni: Option<u32>,
    pub ifindex_via: Option<u32>,
    pub link_netnsid: Option<u32>,
}

/// Key of an FDB entry, as the kernel tells entries apart: an entry of a bridge's table
/// (`master`) by bridge, MAC and VLAN (a MAC that moves to another port stays one entry); an
/// entry of a device's own table (`self`) by device, MAC and VLAN, and for the all-zeros
/// and multicast MACs of a vxlan device, which may have several remotes, by remote too
/// (`bridge fdb append`). A unicast MAC of a vxlan device has one remote: a replace moves it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FdbKey {
    /// The bridge (for `master` entries) or the device whose table holds the entry.
    pub table: u32,
    pub master: bool,
    pub mac: HwAddr,
    pub vlan: u16,
    pub src_vni: u32,
    /// One remote of several: dst, port, vni, via ifindex.
    pub remote: Option<(Option<IpAddr>, u16, u32, u32)>,
}

/// `NTF_SELF`: the entry lives in the device's own table.
pub const NTF_SELF: u8 = 0x02;
/// `NTF_MASTER`.
pub const NTF_MASTER: u8 = 0x04;

impl Fdb {
    pub fn key(&self) -> FdbKey {
        let shared =
            self.mac.iter().all(|b| *b == 0) || self.mac.first().is_some_and(|b| b & 1 != 0);
        FdbKey {
            table: self.master.unwrap_or(self.ifindex),
            master: self.master.is_some(),
            mac: self.mac.clone(),
            vlan: self.vlan.unwrap_or(0),
            src_vni: self.src_vni.unwrap_or(0),
            remote: (self.master.is_none() && self.dst.is_some() && shared).then(|| {
                (
                    self.dst,
                    self.port.unwrap_or(0),
                    self.vni.unwrap_or(0),
                    self.ifindex_via.unwrap_or(0),
                )
            }),
        }
    }

    /// Whether the entry names `ifindex` (as its device, bridge or underlay device).
    pub fn uses(&self, ifindex: u32) -> bool {
        self.ifindex == ifindex || self.master == Some(ifindex) || self.ifindex_via == Some(ifindex)
    }
}

/// One change to a namespace's state, as a netlink event carries it.
#[allow(
    clippy::large_enum_variant,
    reason = "changes are moved once into the model, not stored in bulk"
)]
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    NewLink(Link),
    DelLink(u32),
    /// An `AF_BRIDGE` link message: the bridge-port part of a link (`IFLA_PROTINFO`) and its
    /// VLANs, sent when a port's attributes, STP state or VLANs change (or the bridge's own
    /// VLANs, without port part). Merged into the link, never a whole link. A port leaving
    /// its bridge comes as one with no port part and no VLANs.
    BridgePort {
        ifindex: u32,
        master: Option<u32>,
        info: Option<BridgePortInfo>,
        /// The port's (or the bridge's) whole VLAN list.
        vlans: Vec<BridgeVlan>,
    },
    NewAddr(Addr),
    DelAddr(Addr),
    /// A route placed after the others of its key: as dumped, an IPv4 `append`, any IPv6 add.
    NewRoute(Route),
    /// An IPv4 route added without `NLM_F_APPEND`: placed before the others of its key.
    PrependRoute(Route),
    /// `NLM_F_REPLACE`: the route took the place of the first one of its key (IPv6: the first
    /// that joins multipath routes as it does or not); no delete is announced.
    ReplaceRoute(Route),
    DelRoute(Route),
    NewNeigh(Neigh),
    DelNeigh(Neigh),
    NewFdb(Fdb),
    DelFdb(Fdb),
}

/// Tables of a namespace to read again: the kernel changed them without an event for each
/// change (a link going down flushes routes; a multicast join changes a device's own FDB).
#[allow(
    clippy::struct_excessive_bools,
    reason = "one flag per table, combined with |"
)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tables {
    pub routes: bool,
    pub neighs: bool,
    pub fdb: bool,
    /// The bridges' and ports' VLANs (`bridge vlan show`).
    pub vlans: bool,
}

impl Tables {
    pub fn any(self) -> bool {
        self.routes || self.neighs || self.fdb || self.vlans
    }
}

impl std::ops::BitOrAssign for Tables {
    fn bitor_assign(&mut self, o: Tables) {
        self.routes |= o.routes;
        self.neighs |= o.neighs;
        self.fdb |= o.fdb;
        self.vlans |= o.vlans;
    }
}

/// Everything known about one namespace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NsState {
    pub links: BTreeMap<u32, Link>,
    pub addrs: BTreeMap<AddrKey, Addr>,
    pub routes: BTreeMap<RouteKey, Route>,
    pub neighs: BTreeMap<NeighKey, Neigh>,
    pub fdb: BTreeMap<FdbKey, Fdb>,
}

impl NsState {
    /// The UDP ports this namespace's vxlan devices use (8472 for one without `dstport`):
    /// what a capture here should decode as VXLAN.
    pub fn vxlan_ports(&self) -> Vec<u16> {
        let mut v: Vec<u16> = self
            .links
            .values()
            .filter_map(|l| match &l.info {
                KindInfo::Vxlan(x) => Some(x.port.unwrap_or(8472)),
                _ => None,
            })
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    pub fn link_name(&self, ifindex: u32) -> Option<&str> {
        self.links.get(&ifindex).map(|l| l.name.as_str())
    }

    pub fn link_by_name(&self, name: &str) -> Option<&Link> {
        self.links.values().find(|l| l.name == name)
    }

    /// Links whose parent (`IFLA_LINK`, same namespace) is `ifindex`: macvlan and vlan children.
    pub fn children(&self, ifindex: u32) -> impl Iterator<Item = &Link> {
        self.links.values().filter(move |l| {
            l.parent == Some(ifindex)
                && l.link_netnsid.is_none()
                && l.kind.as_deref() != Some("veth")
        })
    }

    /// Ports enslaved to `ifindex`.
    pub fn ports(&self, ifindex: u32) -> impl Iterator<Item = &Link> {
        self.links
            .values()
            .filter(move |l| l.master == Some(ifindex))
    }
}
