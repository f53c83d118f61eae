//! A frame into a vxlan device: the neighbour entry gives the inner MAC, the FDB the VTEP,
//! the underlay (traced like any packet) the namespace that holds the VTEP address, and a
//! vxlan device there with the same VNI on the same UDP port decapsulates.

use std::net::IpAddr;

use actions::{ActionInput, VxlanPeerInput};
use netstate::consts::VXLAN_LEGACY_PORT;
use netstate::inventory::NsEntry;
use netstate::l2::{is_up, LinkAt};
use netstate::model::{Fdb, KindInfo, VxlanInfo};
use netstate::names;

use super::leg::{End, Hops, Walk};
use super::{Error, HopKind, Status};
use crate::fill::{self, link_up};
use crate::report::{Fix, PEER_UNDERLAY_IP, PEER_VXLAN_MAC};

/// Where the encapsulated frame goes.
pub(crate) enum Encap {
    /// Decapsulated by this vxlan device on the host.
    Into(LinkAt),
    /// Leaves the host, or breaks.
    End(End),
}

fn zero(m: &[u8]) -> bool {
    m.iter().all(|b| *b == 0)
}

pub(crate) fn encap(
    w: &Walk<'_>,
    hops: &mut Hops,
    out: LinkAt,
    nh: IpAddr,
    depth: u8,
) -> Result<Encap, Error> {
    let f = w.f;
    let (Some(e), Some(l)) = (f.entry(out.ns), f.link(out)) else {
        return Ok(Encap::End(End::Broken {
            reason: "the vxlan device is gone".into(),
            fix: None,
        }));
    };
    let KindInfo::Vxlan(v) = &l.info else {
        return Ok(Encap::End(End::Broken {
            reason: format!("{} is not a vxlan device", l.name),
            fix: None,
        }));
    };
    let mac = e
        .state
        .neighs
        .values()
        .find(|n| n.ifindex == out.ifindex && n.dst == Some(nh))
        .and_then(|n| n.lladdr.clone());
    let fdb: Vec<&Fdb> = e
        .state
        .fdb
        .values()
        .filter(|x| x.ifindex == out.ifindex && x.dst.is_some())
        .collect();
    let peer = fill::vxlan_peer(w.f, nh, v.id);
    if mac.is_none() && v.learning == Some(false) && !v.proxy {
        let text = format!(
            "no ARP entry for {nh} on {}, which has nolearning: nothing answers for the peer",
            l.name
        );
        hops.at(f, out, HopKind::Neighbour, text.clone(), Status::Broken);
        return Ok(Encap::End(End::Broken {
            reason: format!("{text} in {}", e.info.label()),
            fix: Some(peer_fix(w, e, l, v, nh, &fdb)),
        }));
    }
    let entry = mac
        .as_ref()
        .and_then(|m| fdb.iter().find(|x| x.mac == *m))
        .or_else(|| fdb.iter().find(|x| zero(&x.mac)))
        .copied();
    let vtep = entry
        .and_then(|x| x.dst)
        .or(v.group.filter(|g| !g.is_multicast()));
    let shown_mac = mac
        .as_deref()
        .map_or_else(|| "(no ARP entry)".to_owned(), names::mac);
    let Some(vtep) = vtep else {
        let text = format!(
            "{}: no FDB entry for {shown_mac} and no default (00:00:00:00:00:00) entry",
            l.name
        );
        hops.at(f, out, HopKind::Vxlan, text.clone(), Status::Broken);
        return Ok(Encap::End(End::Broken {
            reason: format!(
                "{} has no FDB entry for {shown_mac}: the encapsulated frame goes nowhere",
                f.describe(out)
            ),
            fix: Some(fill::vxlan_fdb(
                e,
                l,
                mac.as_deref(),
                &fdb,
                peer.and_then(|p| p.2.local),
            )),
        }));
    };
    let port = entry
        .and_then(|x| x.port)
        .or(v.port)
        .unwrap_or(VXLAN_LEGACY_PORT);
    let vni = entry.and_then(|x| x.vni).or(v.id).unwrap_or(0);
    hops.at(
        f,
        out,
        HopKind::Vxlan,
        format!(
            "{} VNI {vni}: {shown_mac} to VTEP {vtep} on UDP {port}",
            l.name
        ),
        Status::Ok,
    );
    if depth > 2 {
        return Ok(Encap::End(End::Broken {
            reason: "vxlan inside vxlan more than twice".into(),
            fix: None,
        }));
    }
    // The underlay: a packet from this namespace to the VTEP, from the device's local address.
    let under = w.leg(hops.dir, out.ns, vtep, v.local, None, depth + 1)?;
    for mut h in under.hops {
        h.found = format!("underlay: {}", h.found);
        hops.v.push(h);
    }
    let ns = match under.end {
        End::Reached { ns, .. } => ns,
        End::Leaves { reason } => {
            hops.at(
                f,
                out,
                HopKind::Vxlan,
                format!("encapsulated to VTEP {vtep}, beyond this host"),
                Status::Leaves,
            );
            return Ok(Encap::End(End::Leaves {
                reason: format!(
                    "the frame leaves the host encapsulated to VTEP {vtep} (UDP {port}): {reason}"
                ),
            }));
        }
        End::Broken { reason, fix } => {
            return Ok(Encap::End(End::Broken {
                reason: format!("the underlay to VTEP {vtep} breaks: {reason}"),
                fix,
            }));
        }
    };
    let Some(te) = f.entry(ns) else {
        return Ok(Encap::End(End::Broken {
            reason: "the VTEP's namespace is gone".into(),
            fix: None,
        }));
    };
    let devices: Vec<(LinkAt, &netstate::model::Link, &VxlanInfo)> = te
        .state
        .links
        .values()
        .filter_map(|x| match &x.info {
            KindInfo::Vxlan(xv) if xv.id == Some(vni) => Some((
                LinkAt {
                    ns,
                    ifindex: x.ifindex,
                },
                x,
                xv.as_ref(),
            )),
            _ => None,
        })
        .collect();
    let listening = devices.iter().find(|(_, _, xv)| {
        xv.port.unwrap_or(VXLAN_LEGACY_PORT) == port && xv.local.is_none_or(|a| a == vtep)
    });
    match (listening, devices.first()) {
        (Some((at, x, _)), _) if !is_up(x) => {
            hops.at(
                f,
                *at,
                HopKind::Vxlan,
                format!("{} (VNI {vni}) is down", x.name),
                Status::Broken,
            );
            Ok(Encap::End(End::Broken {
                reason: format!("the VTEP {vtep} is {}, which is down", f.describe(*at)),
                fix: Some(link_up(f, *at)),
            }))
        }
        (Some((at, x, _)), _) => {
            hops.at(
                f,
                *at,
                HopKind::Vxlan,
                format!("{} decapsulates VNI {vni} (UDP {port})", x.name),
                Status::Ok,
            );
            Ok(Encap::Into(*at))
        }
        (None, Some((at, x, xv))) => {
            let theirs = xv.port.unwrap_or(VXLAN_LEGACY_PORT);
            let text = format!("{} (VNI {vni}) listens on UDP {theirs}, not {port}", x.name);
            hops.at(f, *at, HopKind::Vxlan, text, Status::Broken);
            Ok(Encap::End(End::Broken {
                reason: format!("the VTEP {vtep} is {}, which listens on UDP {theirs}, while {} sends to {port}", f.describe(*at), l.name),
                fix: Some(Fix::Manual(format!(
                    "netlens plan --netns {} recreate --dev {} --export FILE, then set dstport {port} in FILE and run it",
                    actions::types::shell_quote(&te.info.name),
                    actions::types::shell_quote(&x.name)
                ))),
            }))
        }
        (None, None) => {
            hops.at(
                f,
                out,
                HopKind::Vxlan,
                format!(
                    "no vxlan device with VNI {vni} in {} (which holds {vtep})",
                    te.info.label()
                ),
                Status::Broken,
            );
            Ok(Encap::End(End::Broken {
                reason: format!(
                    "nothing decapsulates VNI {vni} at the VTEP {vtep} in {}",
                    te.info.label()
                ),
                fix: None,
            }))
        }
    }
}

/// The `vxlan-peer` plan for `nh`, filled from the peer's device when it is on this host,
/// else from the FDB entries the device already has.
fn peer_fix(
    w: &Walk<'_>,
    e: &NsEntry,
    l: &netstate::model::Link,
    v: &VxlanInfo,
    nh: IpAddr,
    fdb: &[&Fdb],
) -> Fix {
    let peer = fill::vxlan_peer(w.f, nh, v.id);
    let mac = peer
        .and_then(|(_, pl, _)| pl.address.as_deref().map(names::mac))
        .unwrap_or_else(|| PEER_VXLAN_MAC.to_owned());
    let underlay = peer
        .and_then(|(_, _, pv)| pv.local)
        .or_else(|| fill::one_dst(fdb))
        .map_or_else(|| PEER_UNDERLAY_IP.to_owned(), |a| a.to_string());
    Fix::Plan {
        netns: e.info.name.clone(),
        input: ActionInput::VxlanPeer(VxlanPeerInput {
            dev: l.name.clone(),
            overlay_ip: nh.to_string(),
            mac,
            underlay,
            routes: Vec::new(),
        }),
    }
}
