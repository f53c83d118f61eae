//! Applies steps through netlink, one rtnetlink socket per namespace: the same effect as
//! the step's `ip`/`bridge` command, without running either.
#![allow(
    clippy::many_single_char_names,
    reason = "h(andle), a(dd), r(oute) read as in iproute2's sources"
)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::os::fd::AsRawFd;

use futures::{StreamExt, TryStreamExt};
use netlink_packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL,
    NLM_F_REPLACE, NLM_F_REQUEST,
};
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressScope};
use netlink_packet_route::link::{
    InfoData, InfoKind, InfoMacVlan, InfoMacVtap, InfoVeth, InfoVlan, LinkAttribute, LinkMessage,
};
use netlink_packet_route::link::{MacVlanMode as NlMacvlanMode, MacVtapMode as NlMacvtapMode};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use rtnetlink::{LinkBridge, LinkMessageBuilder, LinkUnspec, LinkVeth, LinkVxlan};

use crate::apply::Apply;
use crate::step::{
    AddrSpec, FdbSpec, LinkAdd, LinkChange, LinkKind, LinkSet, NeighSpec, RouteSpec, Step,
    VxlanRemote,
};
use crate::types::{MacvlanMode, VlanProtocol, HOST};

/// A step that failed, in words, with the kernel's errno when there was one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{step}: {message}")]
pub struct ApplyError {
    /// The step's command line.
    pub step: String,
    pub errno: Option<i32>,
    pub message: String,
}

/// Applies steps through netlink. Holds a socket per namespace it has touched.
pub struct NetlinkApplier {
    rt: tokio::runtime::Runtime,
    conns: HashMap<String, netstate::live::NsConn>,
}

impl NetlinkApplier {
    /// Creates the applier with its own single-threaded runtime (call it from a thread
    /// that is not inside another tokio runtime).
    pub fn new() -> std::io::Result<NetlinkApplier> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(NetlinkApplier {
            rt,
            conns: HashMap::new(),
        })
    }
}

/// The namespace a plan's steps act in. `host` is the host's (PID 1's) namespace, the one
/// the plan was validated against, even when netlens itself runs in another.
pub(crate) fn ns_info(name: &str) -> Result<netstate::NetnsInfo, String> {
    debug_assert_eq!(HOST, "host");
    netstate::netns::find(name).map_err(|e| e.to_string())
}

fn fail(step: &Step, errno: Option<i32>, message: String) -> ApplyError {
    ApplyError {
        step: step.command_line(),
        errno,
        message,
    }
}

fn from_rtnl(step: &Step, e: &rtnetlink::Error) -> ApplyError {
    if let rtnetlink::Error::NetlinkError(m) = e {
        if let Some(code) = m.code {
            let errno = -code.get();
            return fail(step, Some(errno), crate::explain_errno(step, errno));
        }
    }
    fail(step, None, e.to_string())
}

impl Apply for NetlinkApplier {
    type Error = ApplyError;

    fn apply(&mut self, step: &Step) -> Result<(), ApplyError> {
        match step {
            Step::NetnsAdd { name } => return netns_add(name).map_err(|m| fail(step, None, m)),
            Step::NetnsDel { name } => {
                self.conns.remove(name);
                return netns_del(name).map_err(|m| fail(step, None, m));
            }
            _ => {}
        }
        let ns = step.netns().to_owned();
        if !self.conns.contains_key(&ns) {
            let info = ns_info(&ns).map_err(|m| fail(step, None, m))?;
            let conn = self
                .rt
                .block_on(netstate::live::open(&info, false, 1 << 20))
                .map_err(|e| fail(step, None, e.to_string()))?;
            self.conns.insert(ns.clone(), conn);
        }
        let handle = self
            .conns
            .get(&ns)
            .map(netstate::live::NsConn::handle)
            .ok_or_else(|| fail(step, None, "no socket".into()))?;
        self.rt.block_on(apply_step(handle, step))
    }
}

async fn index(h: &rtnetlink::Handle, step: &Step, name: &str) -> Result<u32, ApplyError> {
    let mut links = h.link().get().match_name(name.to_owned()).execute();
    match links.try_next().await {
        Ok(Some(l)) => Ok(l.header.index),
        Ok(None) => Err(fail(
            step,
            Some(19),
            format!("no interface {name} in namespace {}", step.netns()),
        )),
        Err(e) => Err(match &e {
            rtnetlink::Error::NetlinkError(m) if m.code.is_some_and(|c| c.get() == -19) => fail(
                step,
                Some(19),
                format!("no interface {name} in namespace {}", step.netns()),
            ),
            _ => from_rtnl(step, &e),
        }),
    }
}

/// Sends one request and waits for the kernel's acknowledgement.
async fn request(
    h: &mut rtnetlink::Handle,
    step: &Step,
    msg: RouteNetlinkMessage,
    flags: u16,
) -> Result<(), ApplyError> {
    let mut req = NetlinkMessage::from(msg);
    req.header.flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    let mut resp = h.request(req).map_err(|e| from_rtnl(step, &e))?;
    while let Some(m) = resp.next().await {
        if let NetlinkPayload::Error(e) = m.payload {
            if let Some(code) = e.code {
                let errno = -code.get();
                return Err(fail(step, Some(errno), crate::explain_errno(step, errno)));
            }
        }
    }
    Ok(())
}

fn ns_fd(step: &Step, name: &str) -> Result<std::fs::File, ApplyError> {
    let info = ns_info(name).map_err(|m| fail(step, None, m))?;
    std::fs::File::open(&info.path)
        .map_err(|e| fail(step, None, format!("cannot open namespace {name}: {e}")))
}

async fn apply_step(mut h: rtnetlink::Handle, step: &Step) -> Result<(), ApplyError> {
    match step {
        Step::LinkAdd(a) => link_add(&mut h, step, a).await,
        Step::LinkSet(s) => link_set(&mut h, step, s).await,
        Step::LinkDel(d) => {
            let i = index(&h, step, &d.name).await?;
            h.link()
                .del(i)
                .execute()
                .await
                .map_err(|e| from_rtnl(step, &e))
        }
        Step::AddrAdd(a) => addr_add(&h, step, a).await,
        Step::AddrDel(a) => addr_del(&h, step, a).await,
        Step::RouteAdd(r) => route(&mut h, step, r, true, NLM_F_CREATE | NLM_F_EXCL).await,
        Step::RouteReplace { route: r, .. } => {
            route(&mut h, step, r, true, NLM_F_CREATE | NLM_F_REPLACE).await
        }
        Step::RouteDel(r) => route(&mut h, step, r, false, 0).await,
        Step::NeighAdd(n) => neigh(&mut h, step, n, true, NLM_F_CREATE | NLM_F_EXCL).await,
        Step::NeighReplace { neigh: n, .. } => {
            neigh(&mut h, step, n, true, NLM_F_CREATE | NLM_F_REPLACE).await
        }
        Step::NeighDel(n) => neigh(&mut h, step, n, false, 0).await,
        Step::FdbAppend(f) => fdb(&mut h, step, f, true).await,
        Step::FdbDel(f) => fdb(&mut h, step, f, false).await,
        Step::NetnsAdd { .. } | Step::NetnsDel { .. } => Ok(()),
    }
}

fn macvlan_mode(m: MacvlanMode) -> NlMacvlanMode {
    match m {
        MacvlanMode::Private => NlMacvlanMode::Private,
        MacvlanMode::Vepa => NlMacvlanMode::Vepa,
        MacvlanMode::Bridge => NlMacvlanMode::Bridge,
        MacvlanMode::Passthru => NlMacvlanMode::Passthrough,
        MacvlanMode::Source => NlMacvlanMode::Source,
    }
}

fn macvtap_mode(m: MacvlanMode) -> NlMacvtapMode {
    match m {
        MacvlanMode::Private => NlMacvtapMode::Private,
        MacvlanMode::Vepa => NlMacvtapMode::Vepa,
        MacvlanMode::Bridge => NlMacvtapMode::Bridge,
        MacvlanMode::Passthru => NlMacvtapMode::Passthrough,
        MacvlanMode::Source => NlMacvtapMode::Source,
    }
}

async fn link_add(h: &mut rtnetlink::Handle, step: &Step, a: &LinkAdd) -> Result<(), ApplyError> {
    // Kept open until the request is answered: the kernel reads the namespace from it.
    let mut peer_ns: Option<std::fs::File> = None;
    let mut msg: LinkMessage = match &a.kind {
        LinkKind::Macvlan { parent, mode } => {
            let p = index(h, step, parent).await?;
            LinkMessageBuilder::<LinkUnspec>::new_with_info_kind(InfoKind::MacVlan)
                .name(a.name.clone())
                .link(p)
                .set_info_data(InfoData::MacVlan(vec![InfoMacVlan::Mode(macvlan_mode(
                    *mode,
                ))]))
                .build()
        }
        LinkKind::Macvtap { parent, mode } => {
            let p = index(h, step, parent).await?;
            LinkMessageBuilder::<LinkUnspec>::new_with_info_kind(InfoKind::MacVtap)
                .name(a.name.clone())
                .link(p)
                .set_info_data(InfoData::MacVtap(vec![InfoMacVtap::Mode(macvtap_mode(
                    *mode,
                ))]))
                .build()
        }
        LinkKind::Vlan {
            parent,
            id,
            protocol,
        } => {
            let p = index(h, step, parent).await?;
            let proto = match protocol {
                VlanProtocol::Dot1Q => netlink_packet_route::link::VlanProtocol::Ieee8021Q,
                VlanProtocol::Dot1ad => netlink_packet_route::link::VlanProtocol::Ieee8021Ad,
            };
            LinkMessageBuilder::<LinkUnspec>::new_with_info_kind(InfoKind::Vlan)
                .name(a.name.clone())
                .link(p)
                .set_info_data(InfoData::Vlan(vec![
                    InfoVlan::Id(*id),
                    InfoVlan::Protocol(proto),
                ]))
                .build()
        }
        LinkKind::Vxlan(v) => {
            let mut b = LinkVxlan::new(&a.name, v.id)
                .port(v.dstport)
                .learning(v.learning);
            if let Some(d) = &v.dev {
                b = b.dev(index(h, step, d).await?);
            }
            match v.local {
                Some(IpAddr::V4(l)) => b = b.local(l),
                Some(IpAddr::V6(l)) => b = b.local6(l),
                None => {}
            }
            match v.remote {
                Some(VxlanRemote::Remote(IpAddr::V4(r))) => b = b.remote(r),
                Some(VxlanRemote::Remote(IpAddr::V6(r))) => b = b.remote6(r),
                Some(VxlanRemote::Group(IpAddr::V4(g))) => b = b.group(g),
                Some(VxlanRemote::Group(IpAddr::V6(g))) => b = b.group6(g),
                None => {}
            }
            let m = &v.more;
            if m.ttl_inherit {
                b = b.ttl_inherit();
            } else if let Some(t) = v.ttl {
                b = b.ttl(t);
            }
            if let Some(t) = m.tos {
                b = b.tos(t);
            }
            if let Some((lo, hi)) = m.srcport {
                b = b.port_range(lo, hi);
            }
            if let Some(s) = m.ageing {
                b = b.ageing(s);
            }
            if let Some(n) = m.maxaddress.filter(|&n| n != 0) {
                b = b.limit(n);
            }
            if m.proxy {
                b = b.proxy(true);
            }
            if m.rsc {
                b = b.rsc(true);
            }
            if m.l2miss {
                b = b.l2miss(true);
            }
            if m.l3miss {
                b = b.l3miss(true);
            }
            if m.external {
                b = b.collect_metadata(true);
            }
            if let Some(c) = m.udpcsum {
                b = b.udp_csum(c);
            }
            if let Some(c) = m.udp6zerocsumtx {
                b = b.udp_zero_csum6_tx(c);
            }
            if let Some(c) = m.udp6zerocsumrx {
                b = b.udp_zero_csum6_rx(c);
            }
            b.build()
        }
        LinkKind::Veth { peer, peer_netns } => match peer_netns {
            None => LinkVeth::new(&a.name, peer).build(),
            Some(ns) => {
                let f = ns_fd(step, ns)?;
                let peer_msg = LinkMessageBuilder::<LinkUnspec>::new()
                    .name(peer.clone())
                    .setns_by_fd(f.as_raw_fd())
                    .build();
                peer_ns = Some(f);
                LinkMessageBuilder::<LinkUnspec>::new_with_info_kind(InfoKind::Veth)
                    .name(a.name.clone())
                    .set_info_data(InfoData::Veth(InfoVeth::Peer(peer_msg)))
                    .build()
            }
        },
        LinkKind::Bridge => LinkBridge::new(&a.name).build(),
    };
    if let Some(mac) = a.address {
        msg.attributes.push(LinkAttribute::Address(mac.0.to_vec()));
    }
    if let Some(m) = a.mtu {
        msg.attributes.push(LinkAttribute::Mtu(m));
    }
    let r = request(
        h,
        step,
        RouteNetlinkMessage::NewLink(msg),
        NLM_F_CREATE | NLM_F_EXCL,
    )
    .await;
    drop(peer_ns);
    r
}

async fn link_set(h: &mut rtnetlink::Handle, step: &Step, s: &LinkSet) -> Result<(), ApplyError> {
    let i = index(h, step, &s.name).await?;
    let b = LinkUnspec::new_with_index(i);
    let mut keep: Option<std::fs::File> = None;
    let msg = match &s.change {
        LinkChange::Up => b.up().build(),
        LinkChange::Down => b.down().build(),
        LinkChange::Promisc(on) => b.promiscuous(*on).build(),
        LinkChange::Master(m) => b.controller(index(h, step, m).await?).build(),
        LinkChange::NoMaster => b.nocontroller().build(),
        LinkChange::Mtu(m) => b.mtu(*m).build(),
        LinkChange::Address(mac) => b.address(mac.0.to_vec()).build(),
        LinkChange::Name(n) => b.name(n.clone()).build(),
        LinkChange::Netns(ns) => {
            let f = ns_fd(step, ns)?;
            let m = b.setns_by_fd(f.as_raw_fd()).build();
            keep = Some(f);
            m
        }
    };
    let r = request(h, step, RouteNetlinkMessage::SetLink(msg), 0).await;
    drop(keep);
    r
}

async fn addr_add(h: &rtnetlink::Handle, step: &Step, a: &AddrSpec) -> Result<(), ApplyError> {
    let i = index(h, step, &a.dev).await?;
    let mut req = h.address().add(i, a.addr.addr(), a.addr.prefix_len());
    // `ip addr add` without `brd` sends no broadcast address; rtnetlink adds one.
    if let Some(sc) = a.scope {
        req.message_mut().header.scope = AddressScope::from(sc);
    }
    let attrs = &mut req.message_mut().attributes;
    attrs.retain(|x| !matches!(x, AddressAttribute::Broadcast(_)));
    if let Some(IpAddr::V4(b)) = a.broadcast {
        attrs.push(AddressAttribute::Broadcast(b));
    }
    if let Some(l) = &a.label {
        attrs.push(AddressAttribute::Label(l.clone()));
    }
    if a.noprefixroute {
        attrs.push(AddressAttribute::Flags(AddressFlags::Noprefixroute));
    }
    req.execute().await.map_err(|e| from_rtnl(step, &e))
}

async fn addr_del(h: &rtnetlink::Handle, step: &Step, a: &AddrSpec) -> Result<(), ApplyError> {
    let i = index(h, step, &a.dev).await?;
    let mut addrs = h.address().get().set_link_index_filter(i).execute();
    while let Some(m) = addrs.try_next().await.map_err(|e| from_rtnl(step, &e))? {
        let matches = m.header.prefix_len == a.addr.prefix_len()
            && m.attributes.iter().any(|x| matches!(x, AddressAttribute::Local(l) | AddressAttribute::Address(l) if *l == a.addr.addr()));
        if matches {
            return h
                .address()
                .del(m)
                .execute()
                .await
                .map_err(|e| from_rtnl(step, &e));
        }
    }
    Err(fail(
        step,
        Some(99),
        format!("{} is not on {} in namespace {}", a.addr, a.dev, a.netns),
    ))
}

fn route_addr(ip: IpAddr) -> RouteAddress {
    match ip {
        IpAddr::V4(v) => RouteAddress::Inet(v),
        IpAddr::V6(v) => RouteAddress::Inet6(v),
    }
}

async fn route(
    h: &mut rtnetlink::Handle,
    step: &Step,
    r: &RouteSpec,
    add: bool,
    flags: u16,
) -> Result<(), ApplyError> {
    let v6 = r.dst.addr().is_ipv6();
    let table = r.table.unwrap_or(crate::step::MAIN_TABLE);
    let mut header = RouteHeader {
        address_family: if v6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        },
        destination_prefix_length: r.dst.prefix_len(),
        table: u8::try_from(table).unwrap_or(0),
        protocol: RouteProtocol::from(r.protocol.unwrap_or(3)),
        kind: RouteType::Unicast,
        ..RouteHeader::default()
    };
    // As `ip route add`: scope link for routes without a gateway, universe with one.
    header.scope = match r.scope {
        Some(s) => RouteScope::from(s),
        None if r.via.is_none() && !v6 => RouteScope::Link,
        None => RouteScope::Universe,
    };
    if !add {
        header.scope = RouteScope::from(r.scope.unwrap_or(255));
        header.protocol = RouteProtocol::from(r.protocol.unwrap_or(0));
        header.kind = RouteType::from(0);
    }
    if r.onlink {
        header.flags = netlink_packet_route::route::RouteFlags::from_bits_retain(4);
    }
    let mut msg = RouteMessage::default();
    msg.header = header;
    msg.attributes.push(RouteAttribute::Table(table));
    if r.dst.prefix_len() > 0 {
        msg.attributes
            .push(RouteAttribute::Destination(route_addr(r.dst.network())));
    }
    if let Some(g) = r.via {
        msg.attributes.push(RouteAttribute::Gateway(route_addr(g)));
    }
    if let Some(d) = &r.dev {
        msg.attributes
            .push(RouteAttribute::Oif(index(h, step, d).await?));
    }
    if let Some(m) = r.metric {
        msg.attributes.push(RouteAttribute::Priority(m));
    }
    if let Some(s) = r.src {
        msg.attributes
            .push(RouteAttribute::PrefSource(route_addr(s)));
    }
    let nl = if add {
        RouteNetlinkMessage::NewRoute(msg)
    } else {
        RouteNetlinkMessage::DelRoute(msg)
    };
    request(h, step, nl, flags).await
}

fn neigh_addr(ip: IpAddr) -> NeighbourAddress {
    match ip {
        IpAddr::V4(v) => NeighbourAddress::Inet(v),
        IpAddr::V6(v) => NeighbourAddress::Inet6(v),
    }
}

async fn neigh(
    h: &mut rtnetlink::Handle,
    step: &Step,
    n: &NeighSpec,
    add: bool,
    flags: u16,
) -> Result<(), ApplyError> {
    let mut m = NeighbourMessage::default();
    m.header.family = if n.dst.is_ipv6() {
        AddressFamily::Inet6
    } else {
        AddressFamily::Inet
    };
    m.header.ifindex = index(h, step, &n.dev).await?;
    // `ip neigh add|replace` without `nud` makes a permanent entry too.
    m.header.state = NeighbourState::Permanent;
    m.attributes
        .push(NeighbourAttribute::Destination(neigh_addr(n.dst)));
    if add {
        if let Some(mac) = n.lladdr {
            m.attributes
                .push(NeighbourAttribute::LinkLayerAddress(mac.0.to_vec()));
        }
    }
    let nl = if add {
        RouteNetlinkMessage::NewNeighbour(m)
    } else {
        RouteNetlinkMessage::DelNeighbour(m)
    };
    request(h, step, nl, flags).await
}

/// `bridge fdb append|del`: rtnetlink's builders cannot send `NLM_F_APPEND`, so the request is
/// built here as iproute2 builds it (state `NOARP|PERMANENT`, `NTF_SELF` unless master).
async fn fdb(
    h: &mut rtnetlink::Handle,
    step: &Step,
    f: &FdbSpec,
    add: bool,
) -> Result<(), ApplyError> {
    let mut m = NeighbourMessage::default();
    m.header.family = AddressFamily::Bridge;
    m.header.ifindex = index(h, step, &f.dev).await?;
    m.header.state = NeighbourState::from(0xc0);
    let mut flags = 0u8;
    if f.self_ || !f.master {
        flags |= 0x02;
    }
    if f.master {
        flags |= 0x04;
    }
    m.header.flags = NeighbourFlags::from_bits_retain(flags);
    m.attributes
        .push(NeighbourAttribute::LinkLayerAddress(f.mac.0.to_vec()));
    if let Some(d) = f.dst {
        m.attributes
            .push(NeighbourAttribute::Destination(neigh_addr(d)));
    }
    if let Some(v) = f.vni {
        m.attributes.push(NeighbourAttribute::Vni(v));
    }
    if let Some(p) = f.port {
        m.attributes.push(NeighbourAttribute::Port(p));
    }
    if add {
        request(
            h,
            step,
            RouteNetlinkMessage::NewNeighbour(m),
            NLM_F_CREATE | NLM_F_APPEND,
        )
        .await
    } else {
        request(h, step, RouteNetlinkMessage::DelNeighbour(m), 0).await
    }
}

/// `ip netns add NAME`, without forking: a thread unshares its network namespace and
/// bind-mounts it onto `/run/netns/NAME`.
fn netns_add(name: &str) -> Result<(), String> {
    use nix::mount::{mount, MsFlags};
    use nix::sched::{unshare, CloneFlags};
    let dir = std::path::Path::new(netstate::netns::NETNS_RUN_DIR);
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    share_run_dir(dir)?;
    let path = dir.join(name);
    if path.exists() {
        return Err(format!("namespace {name} already exists"));
    }
    std::fs::File::create(&path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let p = path.clone();
    let r = std::thread::spawn(move || -> Result<(), String> {
        unshare(CloneFlags::CLONE_NEWNET)
            .map_err(|e| format!("unshare: {e} (needs CAP_SYS_ADMIN)"))?;
        mount(
            Some("/proc/thread-self/ns/net"),
            &p,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| format!("bind mount onto {}: {e}", p.display()))
    })
    .join()
    .map_err(|_| "namespace thread panicked".to_owned())?;
    if r.is_err() {
        let _ = std::fs::remove_file(&path);
    }
    r
}

/// Makes the namespace directory a shared mount, as `ip netns add` does, so namespace mounts
/// propagate to (and can be removed from) other mount namespaces.
fn share_run_dir(dir: &std::path::Path) -> Result<(), String> {
    use nix::mount::{mount, MsFlags};
    let shared = || {
        mount(
            None::<&str>,
            dir,
            None::<&str>,
            MsFlags::MS_SHARED | MsFlags::MS_REC,
            None::<&str>,
        )
    };
    match shared() {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EINVAL) => {
            // Not a mount point yet: bind it onto itself, then share it.
            mount(
                Some(dir),
                dir,
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )
            .map_err(|e| format!("bind mount {}: {e}", dir.display()))?;
            shared().map_err(|e| format!("make {} shared: {e}", dir.display()))
        }
        Err(e) => Err(format!("make {} shared: {e}", dir.display())),
    }
}

/// `ip netns del NAME`.
fn netns_del(name: &str) -> Result<(), String> {
    use nix::mount::{umount2, MntFlags};
    let path = std::path::Path::new(netstate::netns::NETNS_RUN_DIR).join(name);
    umount2(&path, MntFlags::MNT_DETACH).map_err(|e| format!("umount {}: {e}", path.display()))?;
    std::fs::remove_file(&path).map_err(|e| format!("remove {}: {e}", path.display()))
}
