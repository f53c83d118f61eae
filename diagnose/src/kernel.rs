//! What a diagnosis asks the kernel beyond the model: the route lookup (policy rules
//! included), the rules themselves, sysctls, and whether an address answers ARP. The live
//! kernel answers through netlink in each namespace ([`Live`]); unit tests answer from a
//! synthetic inventory ([`crate::sim::Sim`]).

use std::net::{IpAddr, Ipv4Addr};

use netstate::lookup::{self, NoRoute, RouteQuery, Rule};
use netstate::model::Route;
use netstate::NetnsInfo;

/// The kernel of each namespace, as a diagnosis asks it.
pub trait Kernel {
    /// `ip route get`: the route the kernel picks for `q`, or its refusal.
    fn route(&self, ns: &NetnsInfo, q: &RouteQuery) -> netstate::Result<Result<Route, NoRoute>>;
    /// `ip rule` for `family` (2 or 10), in the kernel's order.
    fn rules(&self, ns: &NetnsInfo, family: u8) -> netstate::Result<Vec<Rule>>;
    /// A sysctl under `/proc/sys` of the namespace (`net/ipv4/ip_forward`).
    fn sysctl(&self, ns: &NetnsInfo, key: &str) -> Option<String>;
    /// Whether anyone answers an ARP probe for `ip` sent on `dev` (whose MAC is `mac`);
    /// `None`: cannot tell.
    fn arp_answers(
        &self,
        _ns: &NetnsInfo,
        _dev: &str,
        _mac: [u8; 6],
        _ip: Ipv4Addr,
    ) -> Option<bool> {
        None
    }
}

/// The live kernel, through netlink and `/proc/sys` in each namespace.
#[derive(Debug, Clone, Copy, Default)]
pub struct Live;

impl Kernel for Live {
    fn route(&self, ns: &NetnsInfo, q: &RouteQuery) -> netstate::Result<Result<Route, NoRoute>> {
        lookup::route_get(ns, q)
    }

    fn rules(&self, ns: &NetnsInfo, family: u8) -> netstate::Result<Vec<Rule>> {
        lookup::rules(ns, family)
    }

    fn sysctl(&self, ns: &NetnsInfo, key: &str) -> Option<String> {
        lookup::sysctl(ns, key)
    }
}

/// Whether namespace `ns` forwards packets of `to`'s family.
pub fn forwards(k: &dyn Kernel, ns: &NetnsInfo, to: IpAddr) -> Option<bool> {
    let key = if to.is_ipv4() {
        "net/ipv4/ip_forward"
    } else {
        "net/ipv6/conf/all/forwarding"
    };
    k.sysctl(ns, key).map(|v| v != "0")
}
