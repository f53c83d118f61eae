//! A parent whose namespace cannot reach its macvlan containers: no shim, or a shim that
//! lost its host routes (the kernel deletes them when the shim's link goes down).

use std::net::IpAddr;

use actions::{ActionInput, ShimInput};
use netstate::consts::{MACVLAN_MODE_BRIDGE, RT_TABLE_MAIN};
use netstate::inventory::NsEntry;
use netstate::l2::{macvlan_mode, LinkAt};

use super::{v4_addrs, Cx};
use crate::fill;
use crate::report::{Check, Finding, Fix, Severity, FREE_IP};
use crate::routes::lpm;

pub(crate) fn no_shim(cx: &Cx<'_>, e: &NsEntry, out: &mut Vec<Finding>) {
    let f = &cx.f;
    for p in e.state.links.values() {
        let parent = LinkAt {
            ns: e.info.id,
            ifindex: p.ifindex,
        };
        let Some(&(host_ip, host_len)) = v4_addrs(e, p.ifindex).first() else {
            continue;
        };
        // Bridge-mode macvlan children in other namespaces, with their IPv4 addresses.
        let kids: Vec<(LinkAt, Vec<IpAddr>)> = f
            .uppers(parent)
            .iter()
            .copied()
            .filter(|k| k.ns != e.info.id)
            .filter(|k| f.link(*k).and_then(macvlan_mode) == Some(MACVLAN_MODE_BRIDGE))
            .filter_map(|k| {
                let ke = f.entry(k.ns)?;
                Some((
                    k,
                    v4_addrs(ke, k.ifindex)
                        .into_iter()
                        .map(|(a, _)| a)
                        .collect(),
                ))
            })
            .collect();
        if kids.is_empty() {
            continue;
        }
        let ips: Vec<IpAddr> = kids.iter().flat_map(|(_, a)| a.iter().copied()).collect();
        let names: Vec<String> = kids.iter().map(|(k, _)| f.label(*k)).collect();
        let objects = std::iter::once(cx.obj(parent))
            .chain(kids.iter().map(|(k, _)| cx.obj(*k)))
            .collect();
        if let Some(shim) = fill::shim_of(f, parent) {
            missing_routes(cx, e, parent, shim, &ips, out);
            continue;
        }
        let ip = fill::free_ip(f, cx.k, parent);
        out.push(cx.finding(
            Severity::Warning,
            Check::NoShim,
            parent,
            objects,
            format!(
                "{} cannot reach its macvlan containers on {} ({}): the kernel does not pass frames between a parent and its bridge-mode macvlan children",
                e.info.label(),
                p.name,
                names.join(", ")
            ),
            format!(
                "{} has {host_ip}/{host_len} and no macvlan of its own with an address{}",
                p.name,
                ip.map(|a| format!("; {a} is free on its subnet (no link holds it, no ARP answer)"))
                    .unwrap_or_default()
            ),
            Some(Fix::Plan {
                netns: e.info.name.clone(),
                input: ActionInput::Shim(ShimInput {
                    parent: p.name.clone(),
                    name: None,
                    ip: Some(ip.map_or_else(|| FREE_IP.to_owned(), |a| a.to_string())),
                    to: ips.iter().map(ToString::to_string).collect(),
                    move_host_ip: false,
                }),
            }),
        ));
    }
}

/// The shim exists but some container address is not routed through it.
fn missing_routes(
    cx: &Cx<'_>,
    e: &NsEntry,
    parent: LinkAt,
    shim: LinkAt,
    ips: &[IpAddr],
    out: &mut Vec<Finding>,
) {
    let f = &cx.f;
    let lost: Vec<(IpAddr, String)> = ips
        .iter()
        .filter_map(|ip| {
            let r = lpm(&e.state, RT_TABLE_MAIN, *ip);
            if r.is_some_and(|r| r.oif == Some(shim.ifindex)) {
                return None;
            }
            let via = r
                .and_then(|r| r.oif)
                .and_then(|o| e.state.link_name(o))
                .map_or_else(|| "no route".to_owned(), |d| format!("routed via {d}"));
            Some((*ip, via))
        })
        .collect();
    if lost.is_empty() {
        return;
    }
    let shim_name = f.link(shim).map(|l| l.name.clone()).unwrap_or_default();
    let list: Vec<String> = lost
        .iter()
        .map(|(ip, via)| format!("{ip} ({via})"))
        .collect();
    let ips: Vec<IpAddr> = lost.iter().map(|(ip, _)| *ip).collect();
    out.push(cx.finding(
        Severity::Warning,
        Check::ShimMissingRoutes,
        shim,
        std::iter::once(cx.obj(shim))
            .chain(std::iter::once(cx.obj(parent)))
            .chain(ips.iter().map(|ip| cx.val(shim, &ip)))
            .collect(),
        format!(
            "the shim {shim_name} in {} lacks host routes to its containers: {}; the kernel deletes a link's routes when it goes down",
            e.info.label(),
            list.join(", ")
        ),
        format!("no route to {} leaves by {shim_name} in the main table", ips.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
        fill::shim_routes(f, shim, &ips),
    ));
}
