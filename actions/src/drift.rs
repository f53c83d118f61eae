//! Whether what an applied plan did is still as the plan left it. Checked before an undo,
//! so that the undo never overwrites what changed since (an operator's new default route,
//! a link someone deleted and made again).

use netstate::model::Link;
use netstate::NsState;

use crate::plan::Plan;
use crate::step::{LinkChange, RouteSpec, Step};

/// One step whose effect is no longer what the plan left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    /// The step's index in the plan.
    pub step: usize,
    /// What differs, in words.
    pub what: String,
}

const IFF_UP: u32 = 0x1;

/// Where link `name` of namespace `netns` is after the steps from `from` on (they may
/// rename it or move it to another namespace).
fn place(plan: &Plan, from: usize, netns: &str, name: &str) -> (String, String) {
    let (mut ns, mut n) = (netns.to_owned(), name.to_owned());
    for s in plan.steps.iter().skip(from) {
        if let Step::LinkSet(l) = s {
            if l.netns == ns && l.name == n {
                match &l.change {
                    LinkChange::Netns(to) => ns.clone_from(to),
                    LinkChange::Name(to) => n.clone_from(to),
                    _ => {}
                }
            }
        }
    }
    (ns, n)
}

fn route_matches(st: &NsState, r: &RouteSpec, dev_name: Option<&str>) -> bool {
    st.routes.values().any(|m| {
        m.dst
            .map_or(r.dst.prefix_len() == 0, |d| d == r.dst.network())
            && m.dst_len == r.dst.prefix_len()
            && m.table == r.table.unwrap_or(254)
            && r.via.is_none_or(|v| m.gateway == Some(v))
            && dev_name.is_none_or(|d| m.oif.and_then(|o| st.link_name(o)) == Some(d))
            && r.metric.is_none_or(|x| m.metric.unwrap_or(0) == x)
    })
}

/// The steps of `plan` whose effect drifted, given the live state of each namespace the
/// plan names (`state(name)`: `None` when the namespace is gone).
pub fn drift<'a>(plan: &Plan, state: impl Fn(&str) -> Option<&'a NsState>) -> Vec<Drift> {
    let mut out = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let ns_of = |ns: &str| state(ns);
        // Where the link is now: after every step from this one on (a step that moves or
        // renames the link is itself part of where the plan left it).
        let link_at = |ns: &str, name: &str| -> Result<(&'a NsState, &'a Link, String), String> {
            let (ns, name) = place(plan, i, ns, name);
            let st = ns_of(&ns).ok_or_else(|| format!("namespace {ns} is gone"))?;
            let l = st
                .link_by_name(&name)
                .ok_or_else(|| format!("{name} is no longer in namespace {ns}"))?;
            Ok((st, l, name))
        };
        let why: Option<String> = match step {
            Step::LinkAdd(l) => match link_at(&l.netns, &l.name) {
                Err(e) => Some(e),
                Ok((_, link, name)) => {
                    let kind = l.kind.type_name();
                    (link.kind.as_deref() != Some(kind)).then(|| {
                        format!(
                            "{name} is now a {} link, not the {kind} the plan made",
                            link.kind.as_deref().unwrap_or("plain")
                        )
                    })
                }
            },
            Step::LinkSet(s) => match link_at(&s.netns, &s.name) {
                Err(e) => Some(e),
                Ok((st, link, name)) => match &s.change {
                    LinkChange::Up if link.flags & IFF_UP == 0 => {
                        Some(format!("{name} was set down since"))
                    }
                    LinkChange::Down if link.flags & IFF_UP != 0 => {
                        Some(format!("{name} was set up since"))
                    }
                    LinkChange::Master(m) => {
                        let now = link.master.and_then(|x| st.link_name(x));
                        (now != Some(m.as_str())).then(|| {
                            format!(
                                "{name} is now in {}, not in {m}",
                                now.unwrap_or("no bridge")
                            )
                        })
                    }
                    LinkChange::NoMaster => link.master.map(|x| {
                        format!(
                            "{name} joined {} since",
                            st.link_name(x).unwrap_or("a bridge")
                        )
                    }),
                    LinkChange::Mtu(m) if link.mtu != Some(*m) => Some(format!(
                        "{name}'s MTU is {} now, not {m}",
                        link.mtu.unwrap_or(0)
                    )),
                    _ => None,
                },
            },
            Step::AddrAdd(a) | Step::AddrDel(a) => {
                let (ns, dev) = place(plan, i + 1, &a.netns, &a.dev);
                let present = ns_of(&ns).is_some_and(|st| {
                    st.link_by_name(&dev).is_some_and(|l| {
                        st.addrs.values().any(|x| {
                            x.ifindex == l.ifindex
                                && x.local.or(x.address) == Some(a.addr.addr())
                                && x.prefixlen == a.addr.prefix_len()
                        })
                    })
                });
                match (step, present) {
                    (Step::AddrAdd(_), false) => Some(format!("{} is no longer on {dev}", a.addr)),
                    (Step::AddrDel(_), true) => Some(format!("{} is on {dev} again", a.addr)),
                    _ => None,
                }
            }
            Step::RouteAdd(r) | Step::RouteReplace { route: r, .. } => {
                let dev = r.dev.as_ref().map(|d| place(plan, i + 1, &r.netns, d).1);
                match ns_of(&r.netns) {
                    None => Some(format!("namespace {} is gone", r.netns)),
                    Some(st) if !route_matches(st, r, dev.as_deref()) => {
                        let via = r.via.map(|v| format!(" via {v}")).unwrap_or_default();
                        Some(format!("route {}{via} is gone or was changed", r.dst))
                    }
                    Some(_) => None,
                }
            }
            Step::NeighAdd(n) | Step::NeighReplace { neigh: n, .. } => {
                let (ns, dev) = place(plan, i + 1, &n.netns, &n.dev);
                let ok = ns_of(&ns).is_some_and(|st| {
                    st.link_by_name(&dev).is_some_and(|l| {
                        st.neighs.values().any(|x| {
                            x.ifindex == l.ifindex
                                && x.dst == Some(n.dst)
                                && n.lladdr
                                    .is_none_or(|m| x.lladdr.as_deref() == Some(&m.0[..]))
                        })
                    })
                });
                (!ok).then(|| format!("the neighbour {} on {dev} is gone or changed", n.dst))
            }
            Step::FdbAppend(f) => {
                let (ns, dev) = place(plan, i + 1, &f.netns, &f.dev);
                let ok = ns_of(&ns).is_some_and(|st| {
                    st.link_by_name(&dev).is_some_and(|l| {
                        st.fdb.values().any(|x| {
                            x.ifindex == l.ifindex
                                && x.mac.as_slice() == &f.mac.0[..]
                                && x.dst == f.dst
                        })
                    })
                });
                (!ok).then(|| format!("the FDB entry {} on {dev} is gone", f.mac))
            }
            _ => None,
        };
        if let Some(what) = why {
            out.push(Drift { step: i, what });
        }
    }
    out
}
