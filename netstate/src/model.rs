//! The typed model of one namespace's network state, keyed by the kernel's own keys.

use std::collections::BTreeMap;
use std::net::IpAddr;

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
    pub kind: Option<String>,
    pub info: KindInfo,
    pub port_kind: Option<String>,
    pub port_info: Option<BridgePortInfo>,
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

/// Key of an address: the kernel identifies it by ifindex, family, local and prefix.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AddrKey {
    pub ifindex: u32,
    pub family: u8,
    pub local: Option<IpAddr>,
    pub prefixlen: u8,
}

impl Addr {
    pub fn key(&self) -> AddrKey {
        AddrKey {
            ifindex: self.ifindex,
            family: self.family,
            local: self.local.or(self.address),
            prefixlen: self.prefixlen,
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

/// Key of a route: table, type, destination, tos, metric and the first hop.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RouteKey {
    pub family: u8,
    pub table: u32,
    pub kind: u8,
    pub dst: Option<IpAddr>,
    pub dst_len: u8,
    pub tos: u8,
    pub metric: u32,
    pub oif: u32,
    pub gateway: Option<IpAddr>,
}

impl Route {
    pub fn key(&self) -> RouteKey {
        RouteKey {
            family: self.family,
            table: self.table,
            kind: self.kind,
            dst: self.dst,
            dst_len: self.dst_len,
            tos: self.tos,
            metric: self.metric.unwrap_or(0),
            oif: self.oif.unwrap_or(0),
            gateway: self.gateway,
        }
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

/// Key of an FDB entry: several remotes may share a MAC on a vxlan device.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FdbKey {
    pub ifindex: u32,
    pub mac: HwAddr,
    pub vlan: u16,
    pub dst: Option<IpAddr>,
    pub vni: u32,
    pub self_flag: bool,
    pub master: bool,
}

/// `NTF_SELF`: the entry lives in the device's own table.
pub const NTF_SELF: u8 = 0x02;
/// `NTF_MASTER`.
pub const NTF_MASTER: u8 = 0x04;

impl Fdb {
    pub fn key(&self) -> FdbKey {
        FdbKey {
            ifindex: self.ifindex,
            mac: self.mac.clone(),
            vlan: self.vlan.unwrap_or(0),
            dst: self.dst,
            vni: self.vni.unwrap_or(0),
            self_flag: self.flags & NTF_SELF != 0,
            master: self.master.is_some(),
        }
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
    NewAddr(Addr),
    DelAddr(Addr),
    NewRoute(Route),
    /// `NLM_F_REPLACE`: the route took the place of the one with the same table, prefix,
    /// tos and metric (its gateway, device or type may differ; no delete is announced).
    ReplaceRoute(Route),
    DelRoute(Route),
    NewNeigh(Neigh),
    DelNeigh(Neigh),
    NewFdb(Fdb),
    DelFdb(Fdb),
}

impl Change {
    /// The object kind, as `ip monitor` labels it.
    pub fn object(&self) -> &'static str {
        match self {
            Change::NewLink(_) | Change::DelLink(_) => "link",
            Change::NewAddr(_) | Change::DelAddr(_) => "addr",
            Change::NewRoute(_) | Change::ReplaceRoute(_) | Change::DelRoute(_) => "route",
            Change::NewNeigh(_) | Change::DelNeigh(_) => "neigh",
            Change::NewFdb(_) | Change::DelFdb(_) => "fdb",
        }
    }

    pub fn is_delete(&self) -> bool {
        matches!(
            self,
            Change::DelLink(_)
                | Change::DelAddr(_)
                | Change::DelRoute(_)
                | Change::DelNeigh(_)
                | Change::DelFdb(_)
        )
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
    /// Applies one event in place: an upsert or a delete, never a rebuild.
    pub fn apply(&mut self, change: Change) {
        match change {
            Change::NewLink(l) => {
                self.links.insert(l.ifindex, l);
            }
            Change::DelLink(i) => {
                self.links.remove(&i);
                // The kernel removes addresses, routes and neighbours of a deleted
                // link without always sending an event for each.
                self.addrs.retain(|k, _| k.ifindex != i);
                self.routes.retain(|_, r| r.oif != Some(i));
                self.neighs.retain(|k, _| k.ifindex != i);
                self.fdb.retain(|k, _| k.ifindex != i);
            }
            Change::NewAddr(a) => {
                self.addrs.insert(a.key(), a);
            }
            Change::DelAddr(a) => {
                self.addrs.remove(&a.key());
            }
            Change::ReplaceRoute(r) => {
                let same = |o: &Route| {
                    o.family == r.family
                        && o.table == r.table
                        && o.dst == r.dst
                        && o.dst_len == r.dst_len
                        && o.tos == r.tos
                        && o.metric.unwrap_or(0) == r.metric.unwrap_or(0)
                        && (r.family != 10 || o.oif == r.oif)
                };
                self.routes.retain(|_, o| !same(o));
                self.routes.insert(r.key(), r);
            }
            Change::NewRoute(r) => {
                self.routes.insert(r.key(), r);
            }
            Change::DelRoute(r) => {
                self.routes.remove(&r.key());
            }
            Change::NewNeigh(n) => {
                self.neighs.insert(n.key(), n);
            }
            Change::DelNeigh(n) => {
                self.neighs.remove(&n.key());
            }
            Change::NewFdb(f) => {
                self.fdb.insert(f.key(), f);
            }
            Change::DelFdb(f) => {
                self.fdb.remove(&f.key());
            }
        }
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
