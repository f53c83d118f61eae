//! One direction of a trace: route in a namespace, follow the frame at L2, find who holds
//! the next hop on the segment the frame reaches, and route on from there.

use std::net::IpAddr;

use actions::Step;
use netstate::consts::{
    IFF_LOOPBACK, NUD_NOARP, NUD_PERMANENT, NUD_UNRESOLVED, RTN_LOCAL, RTN_UNICAST,
};
use netstate::inventory::NsEntry;
use netstate::l2::{has_carrier, is_up, Fabric, LinkAt, Pass, Reach, Start};
use netstate::lookup::RouteQuery;
use netstate::names;
use netstate::NsId;

use super::{explain, vxlan, Direction, Error, Hop, HopKind, Query, Status};
use crate::fill::{link_up, no_carrier_cause};
use crate::kernel::Kernel;
use crate::report::Fix;
use crate::routes::describe;

/// How a leg ends.
pub(crate) enum End {
    /// The destination's holder in `ns` receives the packet.
    Reached {
        ns: NsId,
        reason: String,
    },
    /// The packet leaves the host.
    Leaves {
        reason: String,
    },
    Broken {
        reason: String,
        fix: Option<Fix>,
    },
}

pub(crate) struct Leg {
    pub hops: Vec<Hop>,
    pub end: End,
    /// The packet's source address (given, or the first route's).
    pub src: Option<IpAddr>,
}

pub(crate) struct Walk<'a> {
    pub f: &'a Fabric<'a>,
    pub k: &'a dyn Kernel,
    pub q: &'a Query,
}

/// Hops of one leg, in the order found.
pub(crate) struct Hops {
    pub dir: Direction,
    pub v: Vec<Hop>,
}

impl Hops {
    pub fn push(
        &mut self,
        e: &NsEntry,
        what: HopKind,
        found: String,
        status: Status,
        dev: Option<(&str, u32)>,
    ) {
        self.v.push(Hop {
            direction: self.dir,
            netns: e.info.label(),
            ns: e.info.id,
            what,
            found,
            status,
            dev: dev.map(|(n, _)| n.to_owned()),
            ifindex: dev.map(|(_, i)| i),
        });
    }

    pub fn at(&mut self, f: &Fabric<'_>, at: LinkAt, what: HopKind, found: String, status: Status) {
        if let Some(e) = f.entry(at.ns) {
            let name = f.link(at).map(|l| l.name.clone()).unwrap_or_default();
            self.push(e, what, found, status, Some((&name, at.ifindex)));
        }
    }
}

fn broken(reason: String, fix: Option<Fix>) -> End {
    End::Broken { reason, fix }
}

impl Walk<'_> {
    /// Follows a packet from `start` to `dst`. `want`: the namespace that must receive it
    /// (a reply must come back to the trace's source).
    pub fn leg(
        &self,
        dir: Direction,
        start: NsId,
        dst: IpAddr,
        mut src: Option<IpAddr>,
        want: Option<NsId>,
        depth: u8,
    ) -> Result<Leg, Error> {
        let mut hops = Hops { dir, v: Vec::new() };
        let end = self.walk(&mut hops, start, dst, &mut src, want, depth)?;
        Ok(Leg {
            hops: hops.v,
            end,
            src,
        })
    }

    fn walk(
        &self,
        hops: &mut Hops,
        start: NsId,
        dst: IpAddr,
        src: &mut Option<IpAddr>,
        want: Option<NsId>,
        depth: u8,
    ) -> Result<End, Error> {
        let f = self.f;
        let mut here = start;
        let mut iif: Option<LinkAt> = None;
        for _ in 0..16 {
            let Some(e) = f.entry(here) else {
                return Ok(broken("a namespace on the path is gone".into(), None));
            };
            let rq = RouteQuery {
                dst: Some(dst),
                src: *src,
                iif: iif.map(|l| l.ifindex),
                proto: self.q.proto,
                sport: self.q.sport,
                dport: self.q.dport,
            };
            let r = match self.k.route(&e.info, &rq)? {
                Ok(r) => r,
                Err(no) => {
                    let why = explain::no_route(self, e, &rq, no, iif);
                    hops.push(e, HopKind::Route, why.found, Status::Broken, None);
                    return Ok(broken(why.reason, why.fix));
                }
            };
            let rule = explain::rule_for(self, e, &rq, r.table, iif);
            let shown = match rule {
                Some(rule) => format!("{} (rule {rule})", describe(&r, &e.state)),
                None => describe(&r, &e.state),
            };
            if src.is_none() {
                *src = r.prefsrc;
            }
            if r.kind == RTN_LOCAL {
                hops.push(
                    e,
                    HopKind::Route,
                    format!("{dst} is local to {}", e.info.label()),
                    Status::Reached,
                    None,
                );
                if let Some(w) = want.filter(|w| *w != here) {
                    return Ok(self.wrong_namespace(here, w, dst));
                }
                return Ok(End::Reached {
                    ns: here,
                    reason: format!("{dst} is an address of {}", e.info.label()),
                });
            }
            if r.kind != RTN_UNICAST {
                let t = names::route_type(r.kind);
                hops.push(e, HopKind::Route, shown, Status::Broken, None);
                return Ok(broken(
                    format!("{} has a {t} route for {dst}", e.info.label()),
                    None,
                ));
            }
            let Some(out) = r.oif.map(|o| LinkAt {
                ns: here,
                ifindex: o,
            }) else {
                hops.push(e, HopKind::Route, shown, Status::Broken, None);
                return Ok(broken(
                    format!("the route to {dst} in {} has no device", e.info.label()),
                    None,
                ));
            };
            let dev = f.link(out).map(|l| l.name.clone()).unwrap_or_default();
            hops.push(
                e,
                HopKind::Route,
                shown,
                Status::Ok,
                Some((&dev, out.ifindex)),
            );
            if let Some(end) = self.egress_state(hops, out) {
                return Ok(end);
            }
            let nh = r.gateway.unwrap_or(dst);
            let (reach, via_vxlan) = if f
                .link(out)
                .is_some_and(|l| matches!(l.info, netstate::model::KindInfo::Vxlan(_)))
            {
                match vxlan::encap(self, hops, out, nh, depth)? {
                    vxlan::Encap::Into(x) => (f.reach(Start::Arrive(x)), true),
                    vxlan::Encap::End(end) => return Ok(end),
                }
            } else {
                (f.reach(Start::Send(out)), false)
            };
            let owners = owners(f, &reach, nh);
            let namespaces: std::collections::BTreeSet<NsId> =
                owners.iter().map(|(h, _)| h.ns).collect();
            if namespaces.len() > 1 {
                let list: Vec<String> = owners.iter().map(|(h, _)| f.describe(*h)).collect();
                let found = format!("{nh} is held on one segment by {}", list.join(" and "));
                hops.at(f, out, HopKind::Address, found, Status::Broken);
                return Ok(broken(
                    format!("{nh} is on {} at once, on the segment {dev} reaches: ARP answers from either", list.join(" and ")),
                    None,
                ));
            }
            let Some(&(holder, rx)) = owners.first() else {
                return Ok(self.no_owner(hops, e, out, &reach, nh, via_vxlan));
            };
            if let Some(end) = self.neighbour(hops, e, out, nh, rx) {
                return Ok(end);
            }
            if let Some(text) = bridge_fdb(e, out, nh) {
                hops.at(f, out, HopKind::L2, text, Status::Ok);
            }
            let path = self.path_words(&reach, rx);
            if !path.is_empty() {
                hops.at(f, rx, HopKind::L2, path, Status::Ok);
            }
            let how = if holder == rx {
                String::new()
            } else {
                format!(
                    " (answers on {})",
                    f.link(rx).map_or("?", |l| l.name.as_str())
                )
            };
            let done = nh == dst;
            hops.at(
                f,
                holder,
                HopKind::Address,
                format!("{nh} is on {}{how}", f.describe(holder)),
                if done { Status::Reached } else { Status::Ok },
            );
            if done {
                if let Some(end) = self.delivery(hops, holder.ns, rx, dst, *src) {
                    return Ok(end);
                }
                if let Some(w) = want.filter(|w| *w != holder.ns) {
                    return Ok(self.wrong_namespace(holder.ns, w, dst));
                }
                return Ok(End::Reached {
                    ns: holder.ns,
                    reason: format!("{dst} is on {}", f.describe(holder)),
                });
            }
            here = holder.ns;
            iif = Some(rx);
        }
        Ok(broken("more than 16 hops: a routing loop?".into(), None))
    }

    /// The reply reached a namespace that holds the address too, not the one that sent.
    fn wrong_namespace(&self, got: NsId, want: NsId, dst: IpAddr) -> End {
        let name = |n: NsId| self.f.entry(n).map(|e| e.info.label()).unwrap_or_default();
        broken(
            format!(
                "it goes to {}, which holds {dst} too, not to {}: another copy of the address",
                name(got),
                name(want)
            ),
            None,
        )
    }

    /// The egress device down or without carrier stops everything.
    fn egress_state(&self, hops: &mut Hops, out: LinkAt) -> Option<End> {
        let f = self.f;
        let l = f.link(out)?;
        if !is_up(l) {
            hops.at(
                f,
                out,
                HopKind::Link,
                format!("{} is down", l.name),
                Status::Broken,
            );
            return Some(broken(
                format!("{} is down", f.describe(out)),
                Some(link_up(f, out)),
            ));
        }
        if has_carrier(l) {
            return None;
        }
        let (why, fix) = no_carrier_cause(f, out);
        hops.at(
            f,
            out,
            HopKind::Link,
            format!("{} has no carrier{why}", l.name),
            Status::Broken,
        );
        Some(broken(
            format!("{} has no carrier{why}", f.describe(out)),
            fix,
        ))
    }

    /// The neighbour entry for the next hop, as evidence: a wrong MAC breaks (the frame goes
    /// to a MAC the holder does not have); an unresolved entry is from an earlier try.
    fn neighbour(
        &self,
        hops: &mut Hops,
        e: &NsEntry,
        out: LinkAt,
        nh: IpAddr,
        rx: LinkAt,
    ) -> Option<End> {
        let f = self.f;
        let n = e
            .state
            .neighs
            .values()
            .find(|n| n.ifindex == out.ifindex && n.dst == Some(nh))?;
        let states = names::nud_states(n.state).join(",");
        let dev = f.link(out).map(|l| l.name.clone()).unwrap_or_default();
        if n.state & NUD_UNRESOLVED != 0 {
            hops.at(
                f,
                out,
                HopKind::Neighbour,
                format!("{nh} on {dev}: {states} — from an earlier try: the path is open now, it resolves on the next packet"),
                Status::Note,
            );
            return None;
        }
        let want = f.link(rx).and_then(|l| l.address.clone())?;
        let have = n.lladdr.clone()?;
        if have == want {
            hops.at(
                f,
                out,
                HopKind::Neighbour,
                format!("{nh} on {dev}: {} {states}", names::mac(&have)),
                Status::Ok,
            );
            return None;
        }
        let fixed = Fix::Steps {
            title: format!(
                "point the neighbour entry for {nh} at {}",
                names::mac(&want)
            ),
            netns: e.info.name.clone(),
            steps: vec![neigh_step(
                e,
                &dev,
                nh,
                &want,
                n.state & (NUD_PERMANENT | NUD_NOARP) != 0,
            )],
        };
        hops.at(
            f,
            out,
            HopKind::Neighbour,
            format!(
                "{nh} on {dev}: {} {states}, but {} has {}",
                names::mac(&have),
                f.describe(rx),
                names::mac(&want)
            ),
            Status::Broken,
        );
        Some(broken(
            format!(
                "the neighbour entry for {nh} on {dev} in {} says {}, but {nh} answers on {} with {}: frames go to a MAC nobody has",
                e.info.label(),
                names::mac(&have),
                f.describe(rx),
                names::mac(&want)
            ),
            Some(fixed),
        ))
    }

    /// At the destination: the kernel's lookup for the packet arriving on `rx` (reverse-path
    /// filtering, rules on `iif`).
    fn delivery(
        &self,
        hops: &mut Hops,
        ns: NsId,
        rx: LinkAt,
        dst: IpAddr,
        src: Option<IpAddr>,
    ) -> Option<End> {
        let e = self.f.entry(ns)?;
        let rq = RouteQuery {
            dst: Some(dst),
            src: Some(src?),
            iif: Some(rx.ifindex),
            proto: self.q.proto,
            sport: self.q.sport,
            dport: self.q.dport,
        };
        match self.k.route(&e.info, &rq) {
            Ok(Err(no)) => {
                let why = explain::no_route(self, e, &rq, no, Some(rx));
                hops.push(e, HopKind::Route, why.found, Status::Broken, None);
                Some(broken(why.reason, why.fix))
            }
            _ => None,
        }
    }

    /// Nobody on the reached segment holds the next hop.
    fn no_owner(
        &self,
        hops: &mut Hops,
        e: &NsEntry,
        out: LinkAt,
        reach: &Reach,
        nh: IpAddr,
        via_vxlan: bool,
    ) -> End {
        let f = self.f;
        let dev = f.link(out).map(|l| l.name.clone()).unwrap_or_default();
        let held: Vec<LinkAt> = f
            .holders(nh)
            .iter()
            .copied()
            .filter(|h| f.link(*h).is_some_and(|l| l.flags & IFF_LOOPBACK == 0))
            .collect();
        if let Some(n) = e.state.neighs.values().find(|n| {
            n.ifindex == out.ifindex && n.dst == Some(nh) && n.state & NUD_UNRESOLVED != 0
        }) {
            let states = names::nud_states(n.state).join(",");
            hops.at(
                f,
                out,
                HopKind::Neighbour,
                format!("{nh} on {dev}: {states} — the evidence; its cause follows"),
                Status::Note,
            );
        }
        // What stopped the frame short of a holder explains it best.
        for h in &held {
            if let Some(s) = stop_for(f, reach, *h) {
                let (text, fix) = explain::stop(f, self.k, out, *s, nh);
                hops.at(f, s.at, HopKind::L2, text.clone(), Status::Broken);
                return broken(format!("{nh} is on {}, but {text}", f.describe(*h)), fix);
            }
        }
        if let Some(x) = reach.exits.first() {
            let beyond = if held.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} on this host holds {nh} too, on another segment)",
                    held.iter()
                        .map(|h| f.describe(*h))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            hops.at(
                f,
                *x,
                HopKind::Address,
                format!(
                    "{nh} is not on this host's segment: leaves via {}{beyond}",
                    f.describe(*x)
                ),
                Status::Leaves,
            );
            return End::Leaves {
                reason: format!("the packet leaves the host via {} toward {nh}; what happens beyond is not visible here", f.describe(*x)),
            };
        }
        if !held.is_empty() {
            let list: Vec<String> = held.iter().map(|h| f.describe(*h)).collect();
            let text = format!(
                "frames from {} never get to {} (another L2 segment)",
                f.describe(out),
                list.join(", ")
            );
            hops.at(f, out, HopKind::L2, text.clone(), Status::Broken);
            return broken(format!("{nh} is on {}, but {text}", list.join(", ")), None);
        }
        if let Some(s) = reach.stops.first() {
            let (text, fix) = explain::stop(f, self.k, out, *s, nh);
            hops.at(f, s.at, HopKind::L2, text.clone(), Status::Broken);
            return broken(format!("nobody on {dev}'s segment holds {nh}: {text}"), fix);
        }
        let what = if via_vxlan {
            "the overlay"
        } else {
            "the segment"
        };
        let found = format!("nobody on {what} {dev} reaches holds {nh}");
        hops.at(f, out, HopKind::Address, found.clone(), Status::Broken);
        broken(format!("{found} in {}", e.info.label()), None)
    }

    /// `via bridge br0 in lan, veth eth0 in pod1`: the links between the sender and `to`.
    fn path_words(&self, reach: &Reach, to: LinkAt) -> String {
        let p = reach.path(to);
        let mid: Vec<String> = p
            .iter()
            .skip(1)
            .filter(|(at, pass)| *at != to || *pass != Pass::Delivered)
            .map(|(at, _)| {
                let l = self.f.link(*at);
                let kind = l
                    .and_then(|l| l.kind.clone())
                    .unwrap_or_else(|| "device".into());
                let bridge = l
                    .and_then(|l| l.master)
                    .and_then(|m| {
                        self.f.link(LinkAt {
                            ns: at.ns,
                            ifindex: m,
                        })
                    })
                    .map(|b| format!(" (port of bridge {})", b.name))
                    .unwrap_or_default();
                format!("{kind} {}{bridge}", self.f.describe(*at))
            })
            .collect();
        if mid.is_empty() {
            String::new()
        } else {
            format!("frames go via {}", mid.join(", "))
        }
    }
}

/// What a bridge that sends the frame does with it: the port its FDB holds the next
/// hop's MAC on, or a flood.
fn bridge_fdb(e: &NsEntry, out: LinkAt, nh: IpAddr) -> Option<String> {
    let l = e.state.links.get(&out.ifindex)?;
    if !matches!(l.info, netstate::model::KindInfo::Bridge(_)) {
        return None;
    }
    let mac = e
        .state
        .neighs
        .values()
        .find(|n| n.ifindex == out.ifindex && n.dst == Some(nh))
        .and_then(|n| n.lladdr.clone());
    Some(match mac {
        None => format!(
            "{}: no MAC known for {nh} yet: the ARP request floods every port",
            l.name
        ),
        Some(m) => match e
            .state
            .fdb
            .values()
            .find(|x| x.master == Some(out.ifindex) && x.mac == m)
        {
            Some(x) => format!(
                "{}: {} is on port {}",
                l.name,
                names::mac(&m),
                e.state.link_name(x.ifindex).unwrap_or("?")
            ),
            None => format!(
                "{}: no FDB entry for {}: flooded to every port",
                l.name,
                names::mac(&m)
            ),
        },
    })
}

/// The stop that kept a frame from `h`: at `h`, in its namespace, at its veth peer or
/// lower/upper device, else anywhere in its broadcast domain.
pub(crate) fn stop_for<'r>(
    f: &Fabric<'_>,
    reach: &'r Reach,
    h: LinkAt,
) -> Option<&'r netstate::l2::Stop> {
    if let Some(s) = reach
        .stop_at(h)
        .or_else(|| reach.stops.iter().find(|s| s.at.ns == h.ns))
    {
        return Some(s);
    }
    let next: Vec<LinkAt> = f
        .other_end(h)
        .and_then(Result::ok)
        .into_iter()
        .chain(f.uppers(h).iter().copied())
        .collect();
    if let Some(s) = reach.stops.iter().find(|s| next.contains(&s.at)) {
        return Some(s);
    }
    let domain = f.domain(h);
    reach.stops.iter().find(|s| domain.contains(&s.at))
}

/// The holders of `nh` the frame reaches: (holder link, link that receives the frame). A
/// namespace answers ARP for any of its addresses on the link the request came in on.
pub(crate) fn owners(f: &Fabric<'_>, reach: &Reach, nh: IpAddr) -> Vec<(LinkAt, LinkAt)> {
    let held = f.holders(nh);
    let mut v: Vec<(LinkAt, LinkAt)> = held
        .iter()
        .filter(|h| reach.delivers(**h))
        .map(|h| (*h, *h))
        .collect();
    for h in held {
        if v.iter().any(|(x, _)| x.ns == h.ns) {
            continue;
        }
        if let Some(d) = reach.delivered.iter().find(|d| d.ns == h.ns) {
            v.push((*h, *d));
        }
    }
    v
}

fn neigh_step(e: &NsEntry, dev: &str, ip: IpAddr, mac: &[u8], permanent: bool) -> Step {
    let mac = actions::Mac::from_bytes(mac).unwrap_or(actions::Mac([0; 6]));
    let spec = actions::step::NeighSpec {
        netns: e.info.name.clone(),
        dst: ip,
        lladdr: Some(mac),
        dev: dev.to_owned(),
        permanent,
    };
    Step::NeighReplace {
        neigh: spec,
        previous: None,
    }
}
