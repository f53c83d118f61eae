//! A small hand-built model: a host with eth0 10.0.0.5/24 and a default route
//! via 10.0.0.1, a vxlan device with one peer, a bridge, a VLAN, a macvlan and
//! a PPP link; and an existing namespace `red` with only `lo` (down).

use std::net::IpAddr;

use netstate::model::{Addr, Fdb, KindInfo, Link, Neigh, NsState, Route, VxlanInfo, NTF_SELF};

const UP: u32 = 1 | (1 << 6) | (1 << 16);
const LOOPBACK: u32 = 1 << 3;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("fixture address")
}

fn mac(s: &str) -> Vec<u8> {
    s.parse::<crate::Mac>().expect("fixture MAC").0.to_vec()
}

pub fn link(ifindex: u32, name: &str, kind: Option<&str>, info: KindInfo) -> Link {
    Link {
        ifindex,
        name: name.into(),
        link_type: 1,
        flags: UP,
        mtu: Some(1500),
        address: Some(vec![0x52, 0x54, 0, 0, 0, ifindex as u8]),
        kind: kind.map(Into::into),
        info,
        ..Link::default()
    }
}

pub fn addr(ifindex: u32, cidr: &str) -> Addr {
    let (a, len) = cidr.split_once('/').expect("fixture CIDR");
    let a = ip(a);
    Addr {
        ifindex,
        family: if a.is_ipv4() { 2 } else { 10 },
        prefixlen: len.parse().expect("fixture prefix"),
        scope: 0,
        flags: 0,
        local: Some(a),
        address: Some(a),
        broadcast: None,
        label: None,
        valid_lft: None,
        preferred_lft: None,
    }
}

pub fn route(dst: Option<&str>, via: Option<&str>, oif: u32, protocol: u8) -> Route {
    let (dst, dst_len) = match dst {
        Some(d) => {
            let (a, l) = d.split_once('/').expect("fixture route");
            (Some(ip(a)), l.parse().expect("fixture prefix"))
        }
        None => (None, 0),
    };
    Route {
        family: 2,
        table: 254,
        dst,
        dst_len,
        src: None,
        src_len: 0,
        tos: 0,
        protocol,
        scope: if via.is_some() { 0 } else { 253 },
        kind: 1,
        flags: 0,
        gateway: via.map(ip),
        oif: Some(oif),
        prefsrc: None,
        metric: None,
        pref: None,
        mtu: None,
        nexthops: Vec::new(),
    }
}

pub fn host() -> NsState {
    let mut ns = NsState::default();
    let mut lo = link(1, "lo", None, KindInfo::None);
    lo.link_type = 772;
    lo.flags = UP | LOOPBACK;
    lo.mtu = Some(65536);
    lo.address = Some(vec![0; 6]);
    let mut vx0 = link(
        3,
        "vx0",
        Some("vxlan"),
        KindInfo::Vxlan(Box::new(VxlanInfo {
            id: Some(42),
            local: Some(ip("10.0.0.5")),
            link: Some(2),
            port: Some(4789),
            learning: Some(false),
            ttl: Some(0),
            ..VxlanInfo::default()
        })),
    );
    vx0.mtu = Some(1450);
    vx0.address = Some(mac("02:00:00:00:00:2a"));
    let mut vlan = link(
        5,
        "eth0.100",
        Some("vlan"),
        KindInfo::Vlan {
            id: 100,
            protocol: 0x8100,
            flags: 1,
        },
    );
    vlan.parent = Some(2);
    let mut mv0 = link(
        6,
        "mv0",
        Some("macvlan"),
        KindInfo::Macvlan {
            mode: 4,
            flags: 0,
            bcqueuelen: None,
            usedbcqueuelen: None,
        },
    );
    mv0.parent = Some(2);
    let mut ppp = link(7, "ppp0", Some("ppp"), KindInfo::None);
    ppp.link_type = 512;
    ppp.address = None;
    for l in [
        lo,
        link(2, "eth0", None, KindInfo::None),
        vx0,
        link(
            4,
            "br0",
            Some("bridge"),
            KindInfo::Bridge(netstate::model::BridgeInfo::default()),
        ),
        vlan,
        mv0,
        ppp,
    ] {
        ns.links.insert(l.ifindex, l);
    }
    for a in [
        addr(1, "127.0.0.1/8"),
        addr(2, "10.0.0.5/24"),
        addr(3, "10.244.0.1/24"),
        addr(3, "fe80::2a/64"),
    ] {
        ns.addrs.insert(a.key(), a);
    }
    let mut default = route(None, Some("10.0.0.1"), 2, 16);
    default.metric = Some(100);
    let mut connected = route(Some("10.0.0.0/24"), None, 2, 2);
    connected.prefsrc = Some(ip("10.0.0.5"));
    let mut local = route(Some("10.0.0.5/32"), None, 2, 2);
    (local.table, local.kind, local.scope) = (255, 2, 254);
    for r in [
        default,
        connected,
        local,
        route(Some("10.244.0.0/24"), None, 3, 2),
        route(Some("10.244.1.0/24"), Some("10.244.1.1"), 3, 3),
    ] {
        ns.routes.insert(r.key(), r);
    }
    for (dst, ll, dev, state) in [
        ("10.244.1.1", "02:00:00:00:00:2b", 3, 0x80),
        ("10.0.0.1", "52:54:00:00:00:01", 2, 0x02),
    ] {
        let n = Neigh {
            family: 2,
            ifindex: dev,
            dst: Some(ip(dst)),
            lladdr: Some(mac(ll)),
            state,
            flags: 0,
            ext_flags: 0,
            protocol: None,
        };
        ns.neighs.insert(n.key(), n);
    }
    for (m, dst, state) in [
        ("02:00:00:00:00:2b", "10.0.0.6", 0x80),
        ("00:00:00:00:00:00", "10.0.0.6", 0x80),
        ("02:00:00:00:00:99", "10.0.0.9", 0x02),
    ] {
        let f = Fdb {
            ifindex: 3,
            mac: mac(m),
            state,
            flags: NTF_SELF,
            ext_flags: 0,
            master: None,
            vlan: None,
            dst: Some(ip(dst)),
            port: None,
            vni: None,
            src_vni: None,
            ifindex_via: None,
            link_netnsid: None,
        };
        ns.fdb.insert(f.key(), f);
    }
    ns
}

/// The existing namespace `red`: only `lo`, down.
pub fn red() -> NsState {
    let mut ns = NsState::default();
    let mut lo = link(1, "lo", None, KindInfo::None);
    (lo.link_type, lo.flags) = (772, LOOPBACK);
    ns.links.insert(1, lo);
    ns
}

/// The host with an Ethernet link whose name is shell syntax.
pub fn host_with_odd_names() -> NsState {
    let mut ns = host();
    ns.links.insert(9, link(9, "x$(id)", None, KindInfo::None));
    ns
}
