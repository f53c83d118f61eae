//! Neighbour entries: one that does not resolve, explained by what lies below it (a link
//! down, a macvlan and its parent, no holder on the segment) — or left alone when the path
//! is open now; one whose MAC is not that of the address's holder on the segment.

use actions::step::NeighSpec;
use actions::Step;
use netstate::consts::{IFF_LOOPBACK, NUD_FAILED, NUD_NOARP, NUD_PERMANENT, NUD_UNRESOLVED};
use netstate::inventory::NsEntry;
use netstate::l2::{LinkAt, Start};
use netstate::model::KindInfo;
use netstate::names;

use super::Cx;
use crate::report::{Check, Finding, Fix, Severity};
use crate::trace::explain;
use crate::trace::leg::{owners, stop_for};

/// FAILED and INCOMPLETE entries whose cause netlens can see.
pub(crate) fn unresolved(cx: &Cx<'_>, e: &NsEntry, out: &mut Vec<Finding>) {
    let f = &cx.f;
    for n in e.state.neighs.values() {
        if n.state & NUD_UNRESOLVED == 0 {
            continue;
        }
        let Some(dst) = n.dst else { continue };
        let at = LinkAt {
            ns: e.info.id,
            ifindex: n.ifindex,
        };
        let Some(l) = f.link(at) else { continue };
        if matches!(l.info, KindInfo::Vxlan(_)) {
            continue;
        }
        let held: Vec<LinkAt> = f
            .holders(dst)
            .iter()
            .copied()
            .filter(|h| f.link(*h).is_some_and(|x| x.flags & IFF_LOOPBACK == 0))
            .collect();
        let states = names::nud_states(n.state).join(",");
        let evidence = format!("neighbour {dst} dev {} {states}", l.name);
        let dom = cx.domain(at);
        let near: Vec<LinkAt> = held
            .iter()
            .copied()
            .filter(|h| cx.domain(*h) == dom)
            .collect();
        let (severity, message, fix) = if near.is_empty() {
            // Nobody on this segment holds it: no walk needed to say so.
            let elsewhere = held
                .first()
                .map(|h| format!(" ({} holds it, on another segment)", f.describe(*h)))
                .unwrap_or_default();
            let beyond = dom.and_then(|d| cx.exit(d)).map_or_else(
                || format!("nobody on {}'s segment holds it{elsewhere}", l.name),
                |x| format!("nobody beyond {} answered{elsewhere}", f.describe(x)),
            );
            (
                Severity::Warning,
                format!(
                    "{dst} on {} does not answer ARP/ND ({states}): {beyond}",
                    l.name
                ),
                None,
            )
        } else {
            let reach = f.reach(Start::Send(at));
            if !owners(f, &reach, dst).is_empty() {
                // The path is open now: the entry is from an earlier try.
                continue;
            }
            let h = near[0];
            match stop_for(f, &reach, h) {
                Some(s) => {
                    let (why, fix) = explain::stop(f, cx.k, at, *s, dst);
                    (
                        Severity::Error,
                        format!("{dst} on {} does not answer ARP/ND ({states}): it is on {}, but {why}", l.name, f.describe(h)),
                        fix,
                    )
                }
                None => (
                    Severity::Error,
                    format!(
                        "{dst} on {} does not answer ARP/ND ({states}): it is on {}, which frames from {} do not get to",
                        l.name,
                        f.describe(h),
                        l.name
                    ),
                    None,
                ),
            }
        };
        let severity = if n.state & NUD_FAILED == 0 {
            Severity::Warning
        } else {
            severity
        };
        out.push(cx.finding(
            severity,
            Check::NeighbourUnresolved,
            at,
            vec![cx.obj(at), cx.val(at, &dst)],
            message,
            evidence,
            fix,
        ));
    }
}

/// An entry with a MAC that the address's holder on the segment does not have: a holder
/// recreated with a new MAC while the entry stayed (static, or still REACHABLE).
pub(crate) fn stale(cx: &Cx<'_>, e: &NsEntry, out: &mut Vec<Finding>) {
    let f = &cx.f;
    for n in e.state.neighs.values() {
        let (Some(dst), Some(mac)) = (n.dst, n.lladdr.as_ref()) else {
            continue;
        };
        if n.state & (NUD_UNRESOLVED | NUD_NOARP) != 0 {
            continue;
        }
        let held = f.holders(dst);
        let mac_of = |h: &LinkAt| f.link(*h).and_then(|l| l.address.clone());
        // Cheap first: some holder has that MAC.
        if held.is_empty()
            || held
                .iter()
                .any(|h| mac_of(h).as_ref() == Some(mac) || h.ns == e.info.id)
        {
            continue;
        }
        let at = LinkAt {
            ns: e.info.id,
            ifindex: n.ifindex,
        };
        let Some(l) = f.link(at) else { continue };
        let right = if let KindInfo::Vxlan(v) = &l.info {
            // The overlay: a vxlan device of the same VNI holding the address.
            let peers: Vec<LinkAt> = held
                .iter()
                .copied()
                .filter(|h| {
                    f.link(*h)
                        .is_some_and(|x| matches!(&x.info, KindInfo::Vxlan(pv) if pv.id == v.id))
                })
                .collect();
            match peers.as_slice() {
                [one] => Some((*one, *one)),
                _ => None,
            }
        } else {
            // The holder in the entry's broadcast domain is who the entry is for.
            let dom = cx.domain(at);
            held.iter()
                .copied()
                .find(|h| dom.is_some() && cx.domain(*h) == dom)
                .map(|h| (h, h))
        };
        let Some((holder, rx)) = right else { continue };
        let Some(want) = f.link(rx).and_then(|x| x.address.clone()) else {
            continue;
        };
        if want == *mac {
            continue;
        }
        let permanent = n.state & NUD_PERMANENT != 0;
        let step = match actions::Mac::from_bytes(&want) {
            Some(m) => Step::NeighReplace {
                neigh: NeighSpec {
                    netns: e.info.name.clone(),
                    dst,
                    lladdr: Some(m),
                    dev: l.name.clone(),
                    permanent,
                },
                previous: NeighSpec::from_model(&e.info.name, n, &e.state),
            },
            None => continue,
        };
        out.push(cx.finding(
            Severity::Warning,
            Check::StaleNeighbour,
            at,
            vec![cx.obj(at), cx.val(at, &dst), cx.obj(holder)],
            format!(
                "the neighbour entry for {dst} on {} says {}, but {dst} is on {}, whose MAC is {}: frames go to a MAC nobody has",
                l.name,
                names::mac(mac),
                f.describe(holder),
                names::mac(&want)
            ),
            format!("neighbour {dst} lladdr {} {}", names::mac(mac), names::nud_states(n.state).join(",")),
            Some(Fix::Steps {
                title: format!("point the neighbour entry for {dst} at {}", names::mac(&want)),
                netns: e.info.name.clone(),
                steps: vec![step],
            }),
        ));
    }
}
