//! Routing as the kernel does it, over the model: longest-prefix match in a table, and
//! whether a policy rule selects a packet. Used to explain the kernel's own answer (which
//! rule, which route) and by the simulated kernel of the unit tests.

use std::net::IpAddr;

use ipnet::IpNet;
use netstate::lookup::{RouteQuery, Rule};
use netstate::model::{NsState, Route};

/// Whether `net/len` contains `ip`.
pub fn contains(net: IpAddr, len: u8, ip: IpAddr) -> bool {
    IpNet::new(net, len).is_ok_and(|n| n.contains(&ip))
}

/// The route of `table` the kernel matches for `dst`: the longest prefix, then the lowest
/// metric.
pub fn lpm(st: &NsState, table: u32, dst: IpAddr) -> Option<&Route> {
    let fam = if dst.is_ipv4() { 2 } else { 10 };
    st.routes
        .values()
        .filter(|r| r.family == fam && r.table == table)
        .filter(|r| match r.dst {
            Some(d) => contains(d, r.dst_len, dst),
            None => r.dst_len == 0,
        })
        .max_by(|a, b| {
            a.dst_len
                .cmp(&b.dst_len)
                .then(b.metric.unwrap_or(0).cmp(&a.metric.unwrap_or(0)))
        })
}

/// Whether the selectors of `rule` match the packet `q` arriving on `iif` (a link name;
/// `None`: sent by the namespace itself, which `iif lo` matches). A rule on `fwmark` never
/// matches: netlens sends no marked packets.
pub fn rule_matches(rule: &Rule, q: &RouteQuery, iif: Option<&str>) -> bool {
    let m = (|| {
        if let Some((net, len)) = rule.src {
            if !q.src.is_some_and(|s| contains(net, len, s)) {
                return false;
            }
        }
        if let Some((net, len)) = rule.dst {
            if !q.dst.is_some_and(|d| contains(net, len, d)) {
                return false;
            }
        }
        if let Some(i) = &rule.iif {
            if iif.unwrap_or("lo") != i {
                return false;
            }
        }
        if rule.oif.is_some() || rule.fwmark.is_some_and(|m| m != 0) {
            return false;
        }
        if let Some(p) = rule.ipproto {
            if q.proto != Some(p) {
                return false;
            }
        }
        for (range, port) in [(rule.sport, q.sport), (rule.dport, q.dport)] {
            if let Some((a, b)) = range {
                if !port.is_some_and(|p| (a..=b).contains(&p)) {
                    return false;
                }
            }
        }
        true
    })();
    m != rule.invert
}

/// The rules a namespace has when nobody added any: `local`, `main`, `default`.
pub fn default_rules(family: u8) -> Vec<Rule> {
    [(0, 255), (32766, 254), (32767, 253)]
        .into_iter()
        .map(|(priority, table)| Rule {
            family,
            priority,
            action: netstate::lookup::RuleDoes::Lookup,
            table,
            src: None,
            dst: None,
            iif: None,
            oif: None,
            fwmark: None,
            ipproto: None,
            sport: None,
            dport: None,
            invert: false,
            suppress_prefixlen: None,
            goto: None,
        })
        .collect()
}

/// A route as `ip route` prints it (`10.0.0.0/24 via 10.0.0.1 dev eth0 src 10.0.0.5 table
/// 100`), device names from `st`.
pub fn describe(r: &Route, st: &NsState) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    if r.kind != netstate::consts::RTN_UNICAST {
        let _ = write!(s, "{} ", netstate::names::route_type(r.kind));
    }
    s.push_str(&netstate::json::route_dst(r));
    if let Some(g) = r.gateway {
        let _ = write!(s, " via {g}");
    }
    if let Some(o) = r.oif {
        let _ = write!(s, " dev {}", st.link_name(o).unwrap_or("?"));
    }
    if let Some(p) = r.prefsrc {
        let _ = write!(s, " src {p}");
    }
    if r.table != netstate::consts::RT_TABLE_MAIN {
        let _ = write!(s, " table {}", netstate::names::table(r.table));
    }
    s
}
