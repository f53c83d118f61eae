//! Synthetic hosts for tests without root: namespaces, links, addresses, routes and
//! neighbours built as the kernel would show them after the same `ip` commands (an
//! address brings its connected and local routes; a veth end down takes its peer's
//! carrier), and the simulated kernel over them.

use std::net::IpAddr;

use netstate::consts::{
    AF_INET, AF_INET6, IFF_LOWER_UP, IFF_RUNNING, IFF_UP, NUD_PERMANENT, RTN_LOCAL, RTN_UNICAST,
    RTPROT_KERNEL, RT_TABLE_LOCAL, RT_TABLE_MAIN,
};
use netstate::inventory::{NsEntry, NsStatus};
use netstate::l2::LinkAt;
use netstate::lookup::Rule;
use netstate::model::{Addr, Fdb, KindInfo, Link, Neigh, NsRef, NsState, Route, VxlanInfo};
use netstate::netns::{NetnsInfo, NsKind};
use netstate::NsId;

use crate::sim::Sim;

/// A host under construction.
#[derive(Debug, Default)]
pub struct Host {
    pub sim: Sim,
    next: u64,
}

fn fam(ip: IpAddr) -> u8 {
    if ip.is_ipv4() {
        AF_INET
    } else {
        AF_INET6
    }
}

impl Host {
    pub fn new() -> Host {
        Host::default()
    }

    fn st(&mut self, ns: NsId) -> &mut NsState {
        let e = self
            .sim
            .inv
            .namespaces
            .iter_mut()
            .find(|e| e.info.id == ns)
            .expect("a namespace of this host");
        &mut e.state
    }

    fn link_mut(&mut self, at: LinkAt) -> &mut Link {
        self.st(at.ns)
            .links
            .get_mut(&at.ifindex)
            .expect("a link of this host")
    }

    /// A namespace (`host` is the host's) with `lo`.
    pub fn ns(&mut self, name: &str) -> NsId {
        self.next += 1;
        let id = NsId {
            dev: 4,
            ino: 4_026_531_000 + self.next,
        };
        let kind = if name == "host" {
            NsKind::Host
        } else {
            NsKind::Named
        };
        self.sim.inv.namespaces.push(NsEntry {
            info: NetnsInfo {
                id,
                name: name.into(),
                kind,
                path: format!("/run/netns/{name}").into(),
            },
            state: NsState::default(),
            status: NsStatus::Live,
            overruns: 0,
            control: None,
        });
        let lo = self.add(id, "lo", None, KindInfo::None);
        self.link_mut(lo).flags |= netstate::consts::IFF_LOOPBACK;
        self.addr(lo, "127.0.0.1/8");
        id
    }

    fn add(&mut self, ns: NsId, name: &str, kind: Option<&str>, info: KindInfo) -> LinkAt {
        self.next += 1;
        let ifindex = self.st(ns).links.keys().max().map_or(1, |m| m + 1);
        let n = self.next;
        let l = Link {
            ifindex,
            name: name.into(),
            flags: IFF_UP | IFF_LOWER_UP | IFF_RUNNING,
            address: Some(vec![2, 0, 0, 0, (n >> 8) as u8, n as u8]),
            mtu: Some(1500),
            kind: kind.map(str::to_owned),
            info,
            ..Link::default()
        };
        self.st(ns).links.insert(ifindex, l);
        LinkAt { ns, ifindex }
    }

    fn ns_ref(&self, id: NsId) -> NsRef {
        let name = self
            .sim
            .inv
            .get(id)
            .map(|e| e.info.name.clone())
            .unwrap_or_default();
        NsRef { id, name }
    }

    /// Points `at`'s `IFLA_LINK` at `other`, across namespaces when it lives elsewhere.
    fn point(&mut self, at: LinkAt, other: LinkAt) {
        let r = (at.ns != other.ns).then(|| self.ns_ref(other.ns));
        let l = self.link_mut(at);
        l.parent = Some(other.ifindex);
        l.link_netnsid = r.as_ref().map(|_| 0);
        l.link_netns = r;
    }

    /// A physical NIC (no kind).
    pub fn nic(&mut self, ns: NsId, name: &str) -> LinkAt {
        self.add(ns, name, None, KindInfo::None)
    }

    /// A veth pair, one end in each namespace.
    pub fn veth(&mut self, a_ns: NsId, a: &str, b_ns: NsId, b: &str) -> (LinkAt, LinkAt) {
        let x = self.add(a_ns, a, Some("veth"), KindInfo::None);
        let y = self.add(b_ns, b, Some("veth"), KindInfo::None);
        self.point(x, y);
        self.point(y, x);
        (x, y)
    }

    /// A macvlan child of `parent` in `mode` (`MACVLAN_MODE_*`), living in `ns`.
    pub fn macvlan(&mut self, parent: LinkAt, ns: NsId, name: &str, mode: u32) -> LinkAt {
        let info = KindInfo::Macvlan {
            mode,
            flags: 0,
            bcqueuelen: None,
            usedbcqueuelen: None,
        };
        let m = self.add(ns, name, Some("macvlan"), info);
        self.point(m, parent);
        m
    }

    /// A bridge.
    pub fn bridge(&mut self, ns: NsId, name: &str) -> LinkAt {
        self.add(
            ns,
            name,
            Some("bridge"),
            KindInfo::Bridge(netstate::model::BridgeInfo::default()),
        )
    }

    /// `ip link set PORT master BRIDGE`.
    pub fn master(&mut self, port: LinkAt, bridge: LinkAt) {
        let l = self.link_mut(port);
        l.master = Some(bridge.ifindex);
        l.port_kind = Some("bridge".into());
        l.port_info = Some(netstate::model::BridgePortInfo::default());
    }

    /// A vxlan device: VNI, dstport, local address, underlay device, learning.
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per `ip link add … type vxlan` option"
    )]
    pub fn vxlan(
        &mut self,
        ns: NsId,
        name: &str,
        vni: u32,
        port: u16,
        local: &str,
        dev: LinkAt,
        learning: bool,
    ) -> LinkAt {
        let info = VxlanInfo {
            id: Some(vni),
            port: Some(port),
            local: local.parse().ok(),
            link: Some(dev.ifindex),
            learning: Some(learning),
            ..VxlanInfo::default()
        };
        self.add(ns, name, Some("vxlan"), KindInfo::Vxlan(Box::new(info)))
    }

    /// `ip link set X down`: also the carrier of what hangs on it (its veth peer, its
    /// macvlan children).
    pub fn down(&mut self, at: LinkAt) {
        self.link_mut(at).flags &= !(IFF_UP | IFF_LOWER_UP | IFF_RUNNING);
        let f = netstate::l2::Fabric::new(&self.sim.inv);
        let mut hit: Vec<LinkAt> = f.uppers(at).to_vec();
        let peer = self
            .sim
            .inv
            .get(at.ns)
            .and_then(|e| e.state.links.get(&at.ifindex))
            .filter(|l| l.kind.as_deref() == Some("veth"))
            .and_then(|_| f.other_end(at))
            .and_then(Result::ok);
        hit.extend(peer);
        for h in hit {
            self.link_mut(h).flags &= !(IFF_LOWER_UP | IFF_RUNNING);
        }
    }

    /// `ip addr add CIDR dev X`, with the connected and local routes the kernel adds.
    pub fn addr(&mut self, at: LinkAt, cidr: &str) {
        let net: ipnet::IpNet = cidr.parse().expect("a CIDR");
        let ip = net.addr();
        let a = Addr {
            ifindex: at.ifindex,
            family: fam(ip),
            prefixlen: net.prefix_len(),
            scope: 0,
            flags: 0,
            local: Some(ip),
            address: Some(ip),
            broadcast: None,
            label: None,
            valid_lft: None,
            preferred_lft: None,
        };
        let st = self.st(at.ns);
        st.addrs.insert(a.key(), a);
        let local = Route {
            family: fam(ip),
            table: RT_TABLE_LOCAL,
            dst: Some(ip),
            dst_len: net.max_prefix_len(),
            kind: RTN_LOCAL,
            protocol: RTPROT_KERNEL,
            oif: Some(at.ifindex),
            prefsrc: Some(ip),
            ..Route::default()
        };
        st.routes.insert(local.key(), local);
        if net.prefix_len() < net.max_prefix_len() {
            let conn = Route {
                family: fam(ip),
                table: RT_TABLE_MAIN,
                dst: Some(net.network()),
                dst_len: net.prefix_len(),
                kind: RTN_UNICAST,
                protocol: RTPROT_KERNEL,
                scope: 253,
                oif: Some(at.ifindex),
                prefsrc: Some(ip),
                ..Route::default()
            };
            st.routes.insert(conn.key(), conn);
        }
    }

    /// `ip route add DST [via GW] dev X [table T]` (`DST` may be `default`).
    pub fn route(&mut self, dev: LinkAt, dst: &str, via: Option<&str>, table: Option<u32>) {
        let gw: Option<IpAddr> = via.map(|v| v.parse().expect("a gateway"));
        let net: ipnet::IpNet = if dst == "default" {
            if gw.is_some_and(|g| g.is_ipv6()) {
                "::/0".parse().expect("::/0")
            } else {
                "0.0.0.0/0".parse().expect("0/0")
            }
        } else {
            dst.parse().expect("a CIDR")
        };
        let r = Route {
            family: fam(net.addr()),
            table: table.unwrap_or(RT_TABLE_MAIN),
            dst: (net.prefix_len() > 0).then_some(net.network()),
            dst_len: net.prefix_len(),
            kind: RTN_UNICAST,
            protocol: 3,
            gateway: gw,
            oif: Some(dev.ifindex),
            ..Route::default()
        };
        self.st(dev.ns).routes.insert(r.key(), r);
    }

    /// A route of another type (`unreachable`, `prohibit`, `blackhole`: `RTN_*`).
    pub fn special_route(&mut self, ns: NsId, dst: &str, kind: u8, table: u32) {
        let net: ipnet::IpNet = dst.parse().expect("a CIDR");
        let r = Route {
            family: fam(net.addr()),
            table,
            dst: Some(net.network()),
            dst_len: net.prefix_len(),
            kind,
            ..Route::default()
        };
        self.st(ns).routes.insert(r.key(), r);
    }

    /// A neighbour entry (`state`: `NUD_*`), `mac` when it has one.
    pub fn neigh(&mut self, dev: LinkAt, ip: &str, mac: Option<[u8; 6]>, state: u16) {
        let ip: IpAddr = ip.parse().expect("an address");
        let n = Neigh {
            family: fam(ip),
            ifindex: dev.ifindex,
            dst: Some(ip),
            lladdr: mac.map(|m| m.to_vec()),
            state,
            flags: 0,
            ext_flags: 0,
            protocol: None,
        };
        self.st(dev.ns).neighs.insert(n.key(), n);
    }

    /// A permanent neighbour pointing at `target`'s MAC.
    pub fn neigh_to(&mut self, dev: LinkAt, ip: &str, target: LinkAt) {
        let mac = self.mac(target);
        self.neigh(dev, ip, Some(mac), NUD_PERMANENT);
    }

    /// `bridge fdb append MAC dev VXLAN dst IP`.
    pub fn fdb(&mut self, dev: LinkAt, mac: [u8; 6], dst: &str) {
        let f = Fdb {
            ifindex: dev.ifindex,
            mac: mac.to_vec(),
            state: NUD_PERMANENT,
            flags: netstate::model::NTF_SELF,
            ext_flags: 0,
            master: None,
            vlan: None,
            dst: dst.parse().ok(),
            port: None,
            vni: None,
            src_vni: None,
            ifindex_via: None,
            link_netnsid: None,
        };
        self.st(dev.ns).fdb.insert(f.key(), f);
    }

    /// The MAC of `at`.
    pub fn mac(&self, at: LinkAt) -> [u8; 6] {
        self.sim
            .inv
            .get(at.ns)
            .and_then(|e| e.state.links.get(&at.ifindex))
            .and_then(|l| l.address.as_deref())
            .and_then(|m| <[u8; 6]>::try_from(m).ok())
            .unwrap_or_default()
    }

    /// Sets a sysctl (`net/ipv4/ip_forward`).
    pub fn sysctl(&mut self, ns: NsId, key: &str, value: &str) {
        self.sim.sysctls.insert((ns, key.into()), value.into());
    }

    /// Turns IPv4 forwarding on in `ns`.
    pub fn router(&mut self, ns: NsId) {
        self.sysctl(ns, "net/ipv4/ip_forward", "1");
    }

    /// Adds a policy rule (the default three are kept unless replaced).
    pub fn rule(&mut self, ns: NsId, r: Rule) {
        let v = self
            .sim
            .rules
            .entry(ns)
            .or_insert_with(|| crate::routes::default_rules(r.family));
        v.push(r);
        v.sort_by_key(|r| r.priority);
    }

    /// The namespace's info.
    pub fn info(&self, ns: NsId) -> NetnsInfo {
        self.sim
            .inv
            .get(ns)
            .map(|e| e.info.clone())
            .expect("a namespace of this host")
    }
}
