//! Links: a container without a default route, a link with addresses that is down or has
//! no carrier, a macvlan or vlan whose parent is down, strict reverse-path filtering
//! against a shim's host routes.

use std::net::IpAddr;

use actions::{ActionInput, RouteInput};
use netstate::consts::{AF_INET, RT_TABLE_MAIN};
use netstate::inventory::NsEntry;
use netstate::l2::{has_carrier, is_up, LinkAt};
use netstate::model::KindInfo;
use netstate::names;
use netstate::netns::NsKind;

use super::{v4_addrs, Cx};
use crate::fill::{self, link_up, no_carrier_cause};
use crate::report::{Check, Finding, Fix, Severity, GATEWAY};
use crate::routes::contains;

/// A container namespace with an address on a subnet but no default route: it reaches its
/// own subnet and nothing beyond. The gateway comes from the default routes the host
/// already has on that subnet. Host-route addresses (a shim's /32) are not a subnet.
pub(crate) fn no_default_route(cx: &Cx<'_>, e: &NsEntry, out: &mut Vec<Finding>) {
    if e.info.kind == NsKind::Host {
        return;
    }
    let has_default = e
        .state
        .routes
        .values()
        .any(|r| r.family == AF_INET && r.dst_len == 0 && r.table == RT_TABLE_MAIN);
    // A namespace other namespaces route through is a gateway, not a leaf.
    let is_gateway = cx.gateway_namespaces.contains(&e.info.id);
    if has_default || is_gateway {
        return;
    }
    let Some((l, a, len)) = e
        .state
        .links
        .values()
        .filter(|l| {
            matches!(
                l.kind.as_deref(),
                Some("macvlan" | "veth" | "macvtap" | "ipvlan")
            )
        })
        .find_map(|l| {
            v4_addrs(e, l.ifindex)
                .into_iter()
                .find(|(_, len)| *len < 32)
                .map(|(a, len)| (l, a, len))
        })
    else {
        return;
    };
    let at = LinkAt {
        ns: e.info.id,
        ifindex: l.ifindex,
    };
    let gw = fill::gateway(&cx.f, cx.k, e.info.id, AF_INET, &cx.gateways)
        .filter(|(g, _)| contains(a, len, *g));
    out.push(cx.finding(
        Severity::Warning,
        Check::NoDefaultRoute,
        at,
        vec![cx.obj(at), cx.val(at, &format!("{a}/{len}"))],
        format!(
            "{} has {a}/{len} on {} but no default route: only its own subnet is reachable",
            e.info.label(),
            l.name
        ),
        format!(
            "no IPv4 route with prefix length 0 in the main table{}",
            gw.map(|(g, _)| format!("; {g} is the gateway other namespaces use on {a}/{len}"))
                .unwrap_or_default()
        ),
        Some(Fix::Plan {
            netns: e.info.name.clone(),
            input: ActionInput::Route(RouteInput {
                dst: "default".into(),
                via: Some(gw.map_or_else(|| GATEWAY.to_owned(), |(g, _)| g.to_string())),
                dev: Some(l.name.clone()),
                metric: None,
            }),
        }),
    ));
}

/// A link with a global address that is down, or up without carrier: its addresses
/// answer nobody.
pub(crate) fn down(cx: &Cx<'_>, e: &NsEntry, out: &mut Vec<Finding>) {
    for l in e.state.links.values() {
        if l.flags & netstate::consts::IFF_LOOPBACK != 0 || (is_up(l) && has_carrier(l)) {
            continue;
        }
        let addrs: Vec<IpAddr> = e
            .state
            .addrs
            .values()
            .filter(|a| a.ifindex == l.ifindex && a.scope == 0)
            .filter_map(|a| a.local)
            .collect();
        if addrs.is_empty() {
            continue;
        }
        let at = LinkAt {
            ns: e.info.id,
            ifindex: l.ifindex,
        };
        let list = addrs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let (why, fix) = if is_up(l) {
            let (why, fix) = no_carrier_cause(&cx.f, at);
            (format!("has no carrier{why}"), fix)
        } else {
            ("is down".to_owned(), Some(link_up(&cx.f, at)))
        };
        out.push(cx.finding(
            Severity::Warning,
            Check::LinkDown,
            at,
            vec![cx.obj(at)],
            format!(
                "{} in {} {why}: {list} on it answers nobody",
                l.name,
                e.info.label()
            ),
            format!("{}: <{}>", l.name, names::link_flags(l.flags).join(",")),
            fix,
        ));
    }
}

/// A macvlan or vlan whose parent is down or without carrier: the child passes no frame,
/// whatever its own state says.
pub(crate) fn parents_down(cx: &Cx<'_>, e: &NsEntry, out: &mut Vec<Finding>) {
    let f = &cx.f;
    for l in e.state.links.values() {
        if !matches!(l.info, KindInfo::Macvlan { .. } | KindInfo::Vlan { .. }) {
            continue;
        }
        let at = LinkAt {
            ns: e.info.id,
            ifindex: l.ifindex,
        };
        let Some(Ok(p)) = f.other_end(at) else {
            continue;
        };
        let Some(pl) = f.link(p) else { continue };
        let (why, fix) = if !is_up(pl) {
            ("down", Some(link_up(f, p)))
        } else if !has_carrier(pl) {
            ("without carrier", no_carrier_cause(f, p).1)
        } else {
            continue;
        };
        out.push(cx.finding(
            Severity::Error,
            Check::ParentDown,
            at,
            vec![cx.obj(at), cx.obj(p)],
            format!(
                "{}'s parent {} is {why}: {} passes no frame",
                l.name,
                f.describe(p),
                l.name
            ),
            format!("{}: <{}>", pl.name, names::link_flags(pl.flags).join(",")),
            fix,
        ));
    }
}

/// Strict reverse-path filtering on a link whose subnet has addresses routed out of another
/// link (a shim's host routes): packets from those addresses arriving on the link fail the
/// check and are dropped without a trace. Sysctls are read only where the routes make it
/// matter.
pub(crate) fn rp_filter(cx: &Cx<'_>, e: &NsEntry, out: &mut Vec<Finding>) {
    let mut all: Option<u8> = None;
    for l in e.state.links.values() {
        for (net, len) in v4_addrs(e, l.ifindex) {
            let other = e.state.routes.values().find(|r| {
                r.family == AF_INET
                    && r.table == RT_TABLE_MAIN
                    && r.dst_len > len
                    && r.oif.is_some_and(|o| o != l.ifindex)
                    && r.dst.is_some_and(|d| contains(net, len, d))
            });
            let Some(r) = other else { continue };
            let read = |key: &str| {
                cx.k.sysctl(&e.info, &format!("net/ipv4/conf/{key}/rp_filter"))
                    .and_then(|v| v.parse::<u8>().ok())
                    .unwrap_or(0)
            };
            let a = *all.get_or_insert_with(|| read("all"));
            let own = read(&l.name);
            if a.max(own) != 1 {
                continue;
            }
            let via = r
                .oif
                .and_then(|o| e.state.link_name(o))
                .unwrap_or("?")
                .to_owned();
            let dst = netstate::json::route_dst(r);
            let at = LinkAt {
                ns: e.info.id,
                ifindex: l.ifindex,
            };
            out.push(cx.finding(
                Severity::Warning,
                Check::RpFilter,
                at,
                vec![cx.obj(at), cx.val(at, &dst)],
                format!(
                    "strict rp_filter on {}: packets from {dst} arriving on {} are dropped, since the route back to {dst} leaves by {via}",
                    l.name, l.name
                ),
                format!("rp_filter all={a} {}={own}; route {dst} dev {via} inside {}'s {net}/{len}", l.name, l.name),
                Some(Fix::Manual(format!(
                    "ip netns exec {} sysctl -w net.ipv4.conf.{}.rp_filter=2 net.ipv4.conf.all.rp_filter=2",
                    actions::types::shell_quote(&e.info.name),
                    l.name
                ))),
            ));
            break;
        }
    }
}
