//! One address twice on one L2 broadcast domain: ARP answers from either holder.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use netstate::consts::{AF_INET, IFF_LOOPBACK};

use super::Cx;
use crate::report::{Check, Finding, Severity};

pub(crate) fn duplicates(cx: &Cx<'_>, out: &mut Vec<Finding>) {
    let f = &cx.f;
    // Only addresses held more than once are looked at: the domains are found for those.
    let mut by_ip: BTreeMap<IpAddr, Vec<netstate::l2::LinkAt>> = BTreeMap::new();
    for e in &f.inv.namespaces {
        for a in e.state.addrs.values().filter(|a| a.family == AF_INET) {
            let Some(ip) = a.local.or(a.address) else {
                continue;
            };
            if ip.is_loopback() {
                continue;
            }
            let at = netstate::l2::LinkAt {
                ns: e.info.id,
                ifindex: a.ifindex,
            };
            if f.link(at).is_some_and(|l| l.flags & IFF_LOOPBACK == 0) {
                by_ip.entry(ip).or_default().push(at);
            }
        }
    }
    for (ip, holders) in by_ip.into_iter().filter(|(_, h)| h.len() > 1) {
        let mut done: BTreeSet<netstate::l2::LinkAt> = BTreeSet::new();
        for h in &holders {
            if done.contains(h) {
                continue;
            }
            let domain = f.domain(*h);
            let mine: Vec<netstate::l2::LinkAt> = holders
                .iter()
                .copied()
                .filter(|x| domain.contains(x))
                .collect();
            done.extend(mine.iter().copied());
            let spaces: BTreeSet<netstate::NsId> = mine.iter().map(|x| x.ns).collect();
            if spaces.len() < 2 {
                continue;
            }
            let Some(first) = mine.iter().copied().find(|x| cx.wanted(x.ns)) else {
                continue;
            };
            let list: Vec<String> = mine.iter().map(|x| f.describe(*x)).collect();
            out.push(cx.finding(
                Severity::Error,
                Check::DuplicateAddress,
                first,
                mine.iter().map(|x| cx.val(*x, &ip)).collect(),
                format!(
                    "{ip} is on {} at once, on one L2: ARP answers from either",
                    list.join(" and ")
                ),
                format!(
                    "{ip} in {} namespaces joined by veth, bridge or macvlan links",
                    spaces.len()
                ),
                None,
            ));
        }
    }
}
