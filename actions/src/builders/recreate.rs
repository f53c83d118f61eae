//! Export of existing objects: the plan that recreates a VXLAN device with its
//! addresses, FDB and ARP entries and routes, read from the model.

use ipnet::IpNet;
use netstate::model::KindInfo;
use netstate::names::IFF_UP;

use crate::plan::Plan;
use crate::step::{
    AddrSpec, FdbSpec, LinkAdd, LinkChange, LinkKind, LinkSet, NeighSpec, RouteSpec, Step,
    VxlanRemote, VxlanSpec, NUD_NOARP, NUD_PERMANENT,
};
use crate::types::shell_quote as q;
use crate::types::Mac;
use crate::validate::{NsView, ValidationError};
use crate::Result;

/// The port the kernel uses when a VXLAN device names none.
const LEGACY_VXLAN_PORT: u16 = 8472;
const RTPROT_KERNEL: u8 = 2;

/// "Recreate this vxlan device with its FDB and ARP entries": link add (with
/// its MAC, MTU and every VXLAN parameter, `dstport` included), master,
/// addresses, up, static neighbours, static FDB entries and the routes through
/// it. Learned entries, link-local addresses and kernel routes are left out:
/// the kernel makes those again.
pub fn recreate_vxlan(ns: NsView<'_>, dev: &str, lossy: bool) -> Result<Plan> {
    let link = ns.state.link_by_name(dev).ok_or_else(|| {
        ValidationError::new(
            "--dev",
            dev,
            format!("no such interface in namespace {}", ns.name),
        )
    })?;
    let KindInfo::Vxlan(info) = &link.info else {
        return Err(ValidationError::new(
            "--dev",
            dev,
            format!(
                "is not a VXLAN device (kind {})",
                link.kind.as_deref().unwrap_or("none")
            ),
        ));
    };
    if !info.uncarried.is_empty() && !lossy {
        return Err(ValidationError::new(
            "--dev",
            dev,
            format!(
                "uses options netlens cannot recreate: {}; the new device would lack them (--lossy recreates it without them)",
                info.uncarried.join(", ")
            ),
        ));
    }
    let remote = info.group.map(|g| {
        if g.is_multicast() {
            VxlanRemote::Group(g)
        } else {
            VxlanRemote::Remote(g)
        }
    });
    let netns = ns.name.to_string();
    let spec = VxlanSpec {
        id: info.id.unwrap_or(0),
        dstport: info.port.unwrap_or(LEGACY_VXLAN_PORT),
        local: info.local,
        remote,
        dev: info
            .link
            .and_then(|i| ns.state.link_name(i))
            .map(str::to_string),
        learning: info.learning.unwrap_or(true),
        ttl: info.ttl.filter(|&t| t != 0),
        more: crate::step::VxlanMore {
            ttl_inherit: info.ttl_inherit,
            tos: info.tos.filter(|&t| t != 0),
            srcport: info.port_range.filter(|&(lo, hi)| lo != 0 || hi != 0),
            // The kernel's default ageing is 300 s.
            ageing: info.ageing.filter(|&s| s != 300),
            maxaddress: info.limit.filter(|&n| n != 0),
            proxy: info.proxy,
            rsc: info.rsc,
            l2miss: info.l2miss,
            l3miss: info.l3miss,
            external: info.collect_metadata,
            udpcsum: info
                .udp_csum
                .filter(|_| info.local.is_none_or(|l| l.is_ipv4())),
            udp6zerocsumtx: info.udp_zero_csum6_tx.filter(|&c| c),
            udp6zerocsumrx: info.udp_zero_csum6_rx.filter(|&c| c),
        },
    };
    let mut steps = vec![Step::LinkAdd(LinkAdd {
        netns: netns.clone(),
        name: link.name.clone(),
        kind: LinkKind::Vxlan(spec),
        address: link.address.as_deref().and_then(Mac::from_bytes),
        mtu: link.mtu,
    })];
    if let Some(master) = link.master.and_then(|m| ns.state.link_name(m)) {
        steps.push(Step::LinkSet(LinkSet {
            netns: netns.clone(),
            name: link.name.clone(),
            change: LinkChange::Master(master.to_string()),
            previous: Some(LinkChange::NoMaster),
        }));
    }
    for a in ns
        .state
        .addrs
        .values()
        .filter(|a| a.ifindex == link.ifindex)
    {
        let Some(addr) = a
            .local
            .or(a.address)
            .and_then(|ip| IpNet::new(ip, a.prefixlen).ok())
        else {
            continue;
        };
        if is_link_local(&addr) {
            continue;
        }
        steps.push(Step::AddrAdd(AddrSpec::new(
            netns.clone(),
            link.name.clone(),
            addr,
        )));
    }
    if link.flags & IFF_UP != 0 {
        steps.push(Step::LinkSet(LinkSet {
            netns: netns.clone(),
            name: link.name.clone(),
            change: LinkChange::Up,
            previous: Some(LinkChange::Down),
        }));
    }
    steps.extend(
        ns.state
            .neighs
            .values()
            .filter(|n| n.ifindex == link.ifindex && n.state & NUD_PERMANENT != 0)
            .filter_map(|n| NeighSpec::from_model(ns.name, n, ns.state))
            .map(|neigh| Step::NeighReplace {
                neigh,
                previous: None,
            }),
    );
    steps.extend(
        ns.state
            .fdb
            .values()
            .filter(|f| {
                f.ifindex == link.ifindex
                    && f.master.is_none()
                    && f.state & (NUD_PERMANENT | NUD_NOARP) != 0
            })
            .filter_map(|f| FdbSpec::from_model(ns.name, f, ns.state))
            .map(Step::FdbAppend),
    );
    steps.extend(
        ns.state
            .routes
            .values()
            .filter(|r| {
                r.oif == Some(link.ifindex)
                    && r.protocol != RTPROT_KERNEL
                    && r.table != 255
                    && r.kind == 1
            })
            .filter_map(|r| RouteSpec::from_model(ns.name, r, ns.state))
            .map(Step::RouteAdd),
    );
    let title = format!(
        "recreate vxlan {} with its FDB and ARP entries",
        q(&link.name)
    );
    Ok(Plan::new(title, ns.name, steps))
}

fn is_link_local(net: &IpNet) -> bool {
    match net {
        IpNet::V6(n) => n.addr().segments()[0] & 0xffc0 == 0xfe80,
        IpNet::V4(_) => false,
    }
}
