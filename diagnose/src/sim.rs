//! A kernel simulated from an inventory, for tests without root: route lookups by the
//! rules and tables of the model (the kernel's order), sysctls and ARP answers as the test
//! sets them.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use netstate::consts::{
    RTN_BLACKHOLE, RTN_LOCAL, RTN_PROHIBIT, RTN_THROW, RTN_UNICAST, RTN_UNREACHABLE,
};
use netstate::inventory::Inventory;
use netstate::lookup::{NoRoute, RouteQuery, Rule, RuleDoes};
use netstate::model::Route;
use netstate::{NetnsInfo, NsId};

use crate::kernel::Kernel;
use crate::routes::{contains, default_rules, lpm, rule_matches};

/// The simulated kernel.
#[derive(Debug, Clone, Default)]
pub struct Sim {
    pub inv: Inventory,
    /// Policy rules per namespace (absent: the default three).
    pub rules: HashMap<NsId, Vec<Rule>>,
    /// Sysctls per namespace (`net/ipv4/ip_forward`); absent: the kernel's default.
    pub sysctls: HashMap<(NsId, String), String>,
    /// Addresses that answer an ARP probe.
    pub arp: Vec<Ipv4Addr>,
}

impl Sim {
    fn forwarding(&self, ns: NsId, v4: bool) -> bool {
        let key = if v4 {
            "net/ipv4/ip_forward"
        } else {
            "net/ipv6/conf/all/forwarding"
        };
        self.sysctls
            .get(&(ns, key.to_owned()))
            .is_some_and(|v| v != "0")
    }
}

impl Kernel for Sim {
    fn route(&self, ns: &NetnsInfo, q: &RouteQuery) -> netstate::Result<Result<Route, NoRoute>> {
        let Some(e) = self.inv.get(ns.id) else {
            return Err(netstate::Error::Netns {
                name: ns.name.clone(),
                reason: "not in the simulated inventory".into(),
            });
        };
        let st = &e.state;
        let Some(dst) = q.dst else {
            return Ok(Err(NoRoute::Invalid));
        };
        let fam = if dst.is_ipv4() { 2 } else { 10 };
        let iif = q.iif.and_then(|i| st.link_name(i));
        let mut rules = self
            .rules
            .get(&ns.id)
            .cloned()
            .unwrap_or_else(|| default_rules(fam));
        rules.sort_by_key(|r| r.priority);
        let mut skip_below = 0;
        for rule in rules.iter().filter(|r| r.family == fam) {
            if rule.priority < skip_below || !rule_matches(rule, q, iif) {
                continue;
            }
            match rule.action {
                RuleDoes::Lookup => {
                    let Some(r) = lpm(st, rule.table, dst) else {
                        continue;
                    };
                    if rule
                        .suppress_prefixlen
                        .is_some_and(|n| u32::from(r.dst_len) <= n)
                    {
                        continue;
                    }
                    return Ok(match r.kind {
                        RTN_UNREACHABLE => Err(NoRoute::HostUnreachable),
                        RTN_PROHIBIT => Err(NoRoute::Prohibited),
                        RTN_BLACKHOLE => Err(NoRoute::Invalid),
                        RTN_THROW => continue,
                        RTN_LOCAL => Ok(r.clone()),
                        _ if q.iif.is_some() && !self.forwarding(ns.id, dst.is_ipv4()) => {
                            Err(NoRoute::HostUnreachable)
                        }
                        _ => Ok(answer(st, r, dst)),
                    });
                }
                RuleDoes::Goto => skip_below = rule.goto.unwrap_or(0),
                RuleDoes::Prohibit => return Ok(Err(NoRoute::Prohibited)),
                RuleDoes::Unreachable => return Ok(Err(NoRoute::NetUnreachable)),
                RuleDoes::Blackhole => return Ok(Err(NoRoute::Invalid)),
                RuleDoes::Nop | RuleDoes::Other => {}
            }
        }
        Ok(Err(NoRoute::NetUnreachable))
    }

    fn rules(&self, ns: &NetnsInfo, family: u8) -> netstate::Result<Vec<Rule>> {
        let mut v = self
            .rules
            .get(&ns.id)
            .cloned()
            .unwrap_or_else(|| default_rules(family));
        v.retain(|r| r.family == family);
        v.sort_by_key(|r| r.priority);
        Ok(v)
    }

    fn sysctl(&self, ns: &NetnsInfo, key: &str) -> Option<String> {
        self.sysctls
            .get(&(ns.id, key.to_owned()))
            .cloned()
            .or_else(|| {
                // A new namespace's defaults.
                (key.ends_with("forwarding")
                    || key.ends_with("ip_forward")
                    || key.ends_with("rp_filter"))
                .then(|| "0".to_owned())
            })
    }

    fn arp_answers(
        &self,
        _ns: &NetnsInfo,
        _dev: &str,
        _mac: [u8; 6],
        ip: Ipv4Addr,
    ) -> Option<bool> {
        Some(self.arp.contains(&ip))
    }
}

/// The kernel's answer for a unicast route: its source is the route's, else the first
/// address of the egress device on the destination's subnet, else any of the device's.
fn answer(st: &netstate::NsState, r: &Route, dst: IpAddr) -> Route {
    let mut a = r.clone();
    a.dst = Some(dst);
    a.dst_len = if dst.is_ipv4() { 32 } else { 128 };
    if a.kind == 0 {
        a.kind = RTN_UNICAST;
    }
    if a.prefsrc.is_none() {
        let on_dev = st.addrs.values().filter(|x| {
            Some(x.ifindex) == r.oif && x.local.is_some_and(|l| l.is_ipv4() == dst.is_ipv4())
        });
        let hop = r.gateway.unwrap_or(dst);
        a.prefsrc = on_dev
            .clone()
            .find(|x| x.local.is_some_and(|l| contains(l, x.prefixlen, hop)))
            .or_else(|| on_dev.clone().next())
            .and_then(|x| x.local);
    }
    a
}
