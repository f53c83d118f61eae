//! What each step does and why, in one line: the comments of an exported script
//! and the preview's explanation. Names are shell-quoted where they need it.

use std::fmt::Write;

use ipnet::IpNet;

use super::{LinkChange, LinkKind, RouteSpec, Step, VxlanRemote};
use crate::types::{shell_quote as q, HOST};

impl Step {
    /// One line saying what the step does and why.
    pub fn describe(&self) -> String {
        match self {
            Step::LinkAdd(s) => {
                let name = q(&s.name);
                match &s.kind {
                    LinkKind::Macvlan { parent, mode } | LinkKind::Macvtap { parent, mode } => {
                        format!(
                            "create {} {name} on {} in {mode} mode{}",
                            s.kind.type_name(),
                            q(parent),
                            mode_note(*mode)
                        )
                    }
                    LinkKind::Vlan { parent, id, protocol } => format!(
                        "create VLAN sub-interface {name} on {}, {} id {id} (needs the 8021q module)",
                        q(parent),
                        protocol.as_str()
                    ),
                    LinkKind::Vxlan(v) => {
                        let mut t = format!(
                            "create VXLAN device {name}, VNI {}, UDP dstport {} (named explicitly: the legacy kernel default is 8472, and peers on different ports never hear each other)",
                            v.id, v.dstport
                        );
                        if let Some(l) = v.local {
                            let _ = write!(t, ", local {l}");
                        }
                        match v.remote {
                            Some(VxlanRemote::Remote(r)) => {
                                let _ = write!(t, ", remote {r}");
                            }
                            Some(VxlanRemote::Group(g)) => {
                                let _ = write!(t, ", group {g}");
                            }
                            None => {}
                        }
                        if let Some(d) = &v.dev {
                            let _ = write!(t, ", underlay {}", q(d));
                        }
                        t.push_str(if v.learning {
                            ", learning peers from received frames"
                        } else {
                            ", nolearning: peers come only from static FDB entries"
                        });
                        t
                    }
                    LinkKind::Veth { peer, peer_netns } => {
                        let place = peer_netns
                            .as_deref()
                            .map(|ns| format!(" in namespace {}", q(ns)))
                            .unwrap_or_default();
                        format!("create veth pair {name} <-> {}{place}", q(peer))
                    }
                    LinkKind::Bridge => format!("create bridge {name}"),
                }
            }
            Step::LinkSet(s) => link_set(&q(&s.name), &s.change),
            Step::LinkDel(s) => format!(
                "delete {} (its addresses, routes and neighbour entries go with it)",
                q(&s.name)
            ),
            Step::AddrAdd(s) => {
                let why = match s.addr {
                    IpNet::V4(n) if n.prefix_len() == 32 => {
                        " (a /32 adds no connected route)".into()
                    }
                    IpNet::V6(n) if n.prefix_len() == 128 => {
                        " (a /128 adds no connected route)".into()
                    }
                    n => format!(
                        " (adds the connected route {} dev {})",
                        n.trunc(),
                        q(&s.dev)
                    ),
                };
                format!("add address {} to {}{why}", s.addr, q(&s.dev))
            }
            Step::AddrDel(s) => format!("remove address {} from {}", s.addr, q(&s.dev)),
            Step::RouteAdd(r) => format!("add route {}{}", route(r), route_why(r)),
            Step::RouteDel(r) => format!("delete route {}", route(r)),
            Step::RouteReplace { route: r, previous } => match previous {
                Some(p) => format!("replace route {} with {}", route(p), route(r)),
                None => format!("add or replace route {}{}", route(r), route_why(r)),
            },
            Step::NeighAdd(n) | Step::NeighReplace { neigh: n, .. } => {
                let mac = n.lladdr.map(|m| m.to_string()).unwrap_or_default();
                let nud = if n.permanent {
                    " (nud permanent: never expires; without it the overlay address resolves by ARP or not at all)"
                } else {
                    ""
                };
                format!(
                    "static ARP entry: {} is at {mac} on {}{nud}",
                    n.dst,
                    q(&n.dev)
                )
            }
            Step::NeighDel(n) => format!("delete neighbour entry {} on {}", n.dst, q(&n.dev)),
            Step::FdbAppend(f) => {
                let to = f
                    .dst
                    .map(|d| format!(" to underlay {d}"))
                    .unwrap_or_default();
                format!(
                    "FDB entry on {}: frames for {}{to} (append keeps other remotes of the same MAC; a missing entry fails silently)",
                    q(&f.dev),
                    f.mac
                )
            }
            Step::FdbDel(f) => {
                let to = f
                    .dst
                    .map(|d| format!(" to underlay {d}"))
                    .unwrap_or_default();
                format!("delete FDB entry on {}: {}{to}", q(&f.dev), f.mac)
            }
            Step::NetnsAdd { name } => format!("create network namespace {}", q(name)),
            Step::NetnsDel { name } => format!(
                "delete network namespace {} (what is still inside goes with it)",
                q(name)
            ),
        }
    }
}

fn mode_note(mode: crate::types::MacvlanMode) -> &'static str {
    use crate::types::MacvlanMode as M;
    match mode {
        M::Bridge => {
            " (siblings on the same parent talk directly; the parent itself cannot reach them)"
        }
        M::Private => " (siblings on the same parent cannot talk to each other)",
        M::Vepa => " (sibling traffic hairpins through the external switch)",
        M::Passthru => " (takes over the parent: only one such device per parent)",
        M::Source => " (accepts frames only from listed source MACs)",
    }
}

fn link_set(name: &str, change: &LinkChange) -> String {
    match change {
        LinkChange::Up => format!("bring {name} up (routes through a device that is down are refused)"),
        LinkChange::Down => format!("take {name} down"),
        LinkChange::Promisc(true) => format!(
            "turn promiscuous mode on for {name} (it accepts frames for the MACs of the macvlans behind it)"
        ),
        LinkChange::Promisc(false) => format!("turn promiscuous mode off for {name}"),
        LinkChange::Master(m) => format!("make {name} a port of bridge {}", q(m)),
        LinkChange::NoMaster => format!("release {name} from its bridge"),
        LinkChange::Netns(ns) if ns == HOST => format!("move {name} back to the host namespace"),
        LinkChange::Netns(ns) => format!(
            "move {name} into namespace {} (addresses and routes do not move with it)",
            q(ns)
        ),
        LinkChange::Mtu(m) => format!("set the MTU of {name} to {m}"),
        LinkChange::Address(a) => format!("set the MAC address of {name} to {a}"),
        LinkChange::Name(n) => format!("rename {name} to {}", q(n)),
    }
}

fn route(r: &RouteSpec) -> String {
    let mut t = r.dst_text();
    if let Some(v) = r.via {
        let _ = write!(t, " via {v}");
    }
    if let Some(d) = &r.dev {
        let _ = write!(t, " dev {}", q(d));
    }
    if let Some(tb) = r.table {
        let _ = write!(t, " table {}", netstate::names::table(tb));
    }
    if let Some(m) = r.metric {
        let _ = write!(t, " metric {m}");
    }
    t
}

fn route_why(r: &RouteSpec) -> &'static str {
    if r.dst.prefix_len() == 0 {
        " (without a default route only the local subnet is reachable)"
    } else {
        ""
    }
}
