//! Explanations of what the kernel or L2 said: which rule or route refused a lookup, why a
//! router drops a packet, why a frame stopped — each with the fix netlens knows.

use std::net::IpAddr;

use actions::{ActionInput, RouteInput, ShimInput};
use netstate::consts::{RTN_BLACKHOLE, RTN_PROHIBIT, RTN_THROW, RTN_UNREACHABLE, RT_TABLE_MAIN};
use netstate::inventory::NsEntry;
use netstate::l2::{Fabric, LinkAt, Stop, Why as L2Why};

use crate::kernel::Kernel;
use netstate::lookup::{NoRoute, RouteQuery, Rule, RuleDoes};
use netstate::names;

use super::leg::Walk;
use crate::fill;
use crate::fill::{link_up, no_carrier_cause};
use crate::report::{Fix, FREE_IP, GATEWAY};
use crate::routes::{default_rules, describe, lpm, rule_matches};

/// A refusal explained.
pub(crate) struct Why {
    /// The hop's words.
    pub found: String,
    /// The verdict's sentence.
    pub reason: String,
    pub fix: Option<Fix>,
}

fn rules_of(w: &Walk<'_>, e: &NsEntry, fam: u8) -> Vec<Rule> {
    w.k.rules(&e.info, fam)
        .unwrap_or_else(|_| default_rules(fam))
}

/// The rule that sent the lookup `q` to `table`, when it is not one of the default three.
pub(crate) fn rule_for(
    w: &Walk<'_>,
    e: &NsEntry,
    q: &RouteQuery,
    table: u32,
    iif: Option<LinkAt>,
) -> Option<String> {
    if table == RT_TABLE_MAIN || table == netstate::consts::RT_TABLE_LOCAL {
        return None;
    }
    let fam = if q.dst?.is_ipv4() { 2 } else { 10 };
    let iif_name = iif.and_then(|i| w.f.link(i)).map(|l| l.name.clone());
    rules_of(w, e, fam)
        .into_iter()
        .find(|r| {
            r.action == RuleDoes::Lookup
                && r.table == table
                && rule_matches(r, q, iif_name.as_deref())
        })
        .map(|r| r.describe())
}

/// Why the kernel of `e` refused `q`: the rule or route that refused, forwarding off, the
/// reverse-path filter, or no route at all (then the default route it lacks, filled from
/// the model).
pub(crate) fn no_route(
    w: &Walk<'_>,
    e: &NsEntry,
    q: &RouteQuery,
    no: NoRoute,
    iif: Option<LinkAt>,
) -> Why {
    let ns = e.info.label();
    let Some(dst) = q.dst else {
        return Why {
            found: no.message(),
            reason: no.message(),
            fix: None,
        };
    };
    let fam = if dst.is_ipv4() { 2 } else { 10 };
    let iif_name = iif.and_then(|i| w.f.link(i)).map(|l| l.name.clone());
    let arriving = iif_name
        .as_ref()
        .map(|n| format!(" arriving on {n}"))
        .unwrap_or_default();
    let mut skip_below = 0;
    for rule in rules_of(w, e, fam) {
        if rule.priority < skip_below || !rule_matches(&rule, q, iif_name.as_deref()) {
            continue;
        }
        match rule.action {
            RuleDoes::Prohibit | RuleDoes::Unreachable | RuleDoes::Blackhole => {
                let text = rule.describe();
                return Why {
                    found: format!("{dst}: refused by the policy rule `{text}` ({})", no.message()),
                    reason: format!("a policy rule of {ns} refuses {dst}{arriving}: `{text}` (the kernel answers \"{}\")", no.message()),
                    fix: None,
                };
            }
            RuleDoes::Goto => skip_below = rule.goto.unwrap_or(0),
            RuleDoes::Lookup => {
                let Some(r) = lpm(&e.state, rule.table, dst) else {
                    continue;
                };
                if rule
                    .suppress_prefixlen
                    .is_some_and(|n| u32::from(r.dst_len) <= n)
                {
                    continue;
                }
                match r.kind {
                    RTN_THROW => {}
                    RTN_UNREACHABLE | RTN_PROHIBIT | RTN_BLACKHOLE => {
                        let route = describe(r, &e.state);
                        let via = if rule.table == RT_TABLE_MAIN {
                            String::new()
                        } else {
                            format!(" (rule `{}`)", rule.describe())
                        };
                        return Why {
                            found: format!(
                                "{dst}: the route `{route}`{via} refuses it ({})",
                                no.message()
                            ),
                            reason: format!(
                                "{ns} has a {} route for {dst}: `{route}`{via}",
                                names::route_type(r.kind)
                            ),
                            fix: None,
                        };
                    }
                    _ => break,
                }
            }
            RuleDoes::Nop | RuleDoes::Other => {}
        }
    }
    match (no, iif) {
        (NoRoute::HostUnreachable, Some(i))
            if crate::kernel::forwards(w.k, &e.info, dst) == Some(false) =>
        {
            let key = if dst.is_ipv4() {
                "net.ipv4.ip_forward"
            } else {
                "net.ipv6.conf.all.forwarding"
            };
            Why {
                found: format!("{dst}{arriving}: {ns} does not forward ({key} = 0)"),
                reason: format!(
                    "{ns} receives the packet on {} but does not forward it: {key} is 0",
                    w.f.describe(i)
                ),
                fix: Some(Fix::Manual(format!(
                    "ip netns exec {} sysctl -w {key}=1",
                    actions::types::shell_quote(&e.info.name)
                ))),
            }
        }
        (NoRoute::ReversePath, Some(i)) => {
            let src = q.src.map(|s| s.to_string()).unwrap_or_default();
            let dev = w.f.link(i).map(|l| l.name.clone()).unwrap_or_default();
            Why {
                found: format!("{dst} from {src}{arriving}: dropped by the reverse-path filter"),
                reason: format!("{ns} drops packets from {src} arriving on {dev}: strict rp_filter, and its route back to {src} does not leave by {dev}"),
                fix: Some(Fix::Manual(format!(
                    "ip netns exec {} sysctl -w net.ipv4.conf.{dev}.rp_filter=2 net.ipv4.conf.all.rp_filter=2",
                    actions::types::shell_quote(&e.info.name)
                ))),
            }
        }
        (NoRoute::Invalid, _) => Why {
            found: format!(
                "{dst}{arriving}: {} (a blackhole, or a source the kernel will not route)",
                no.message()
            ),
            reason: format!("{ns} will not route {dst}{arriving}: {}", no.message()),
            fix: None,
        },
        _ => no_route_at_all(w, e, dst, no, &arriving),
    }
}

/// No rule or route says anything about `dst`: the namespace lacks a route (a default one,
/// when it has none).
fn no_route_at_all(w: &Walk<'_>, e: &NsEntry, dst: IpAddr, no: NoRoute, arriving: &str) -> Why {
    let ns = e.info.label();
    let fam = if dst.is_ipv4() { 2 } else { 10 };
    let has_default = e
        .state
        .routes
        .values()
        .any(|r| r.family == fam && r.dst_len == 0 && r.table == RT_TABLE_MAIN);
    if has_default {
        return Why {
            found: format!("{dst}{arriving}: {}", no.message()),
            reason: format!("{ns} has no route to {dst} ({})", no.message()),
            fix: None,
        };
    }
    let guess = fill::gateway(w.f, w.k, e.info.id, fam, &fill::default_gateways(w.f));
    let fix = Fix::Plan {
        netns: e.info.name.clone(),
        input: ActionInput::Route(RouteInput {
            dst: "default".into(),
            via: Some(guess.map_or_else(|| GATEWAY.to_owned(), |(g, _)| g.to_string())),
            // The device of the gateway's subnet; without one, the namespace's first link
            // with a subnet of that family.
            dev: guess
                .map(|(_, d)| d.ifindex)
                .or_else(|| {
                    e.state
                        .addrs
                        .values()
                        .find(|a| {
                            a.family == fam
                                && a.prefixlen < if fam == 2 { 32 } else { 128 }
                                && a.scope == 0
                        })
                        .map(|a| a.ifindex)
                })
                .and_then(|i| e.state.link_name(i))
                .map(str::to_owned),
            metric: None,
        }),
    };
    Why {
        found: format!("{dst}{arriving}: {} (no default route)", no.message()),
        reason: format!("{ns} has no route to {dst}: it has no default route"),
        fix: Some(fix),
    }
}

/// What a frame stop means, and its fix. `out` is the egress link the frame left by;
/// `nh` the address it was for.
pub(crate) fn stop(
    f: &Fabric<'_>,
    k: &dyn Kernel,
    out: LinkAt,
    s: Stop,
    nh: IpAddr,
) -> (String, Option<Fix>) {
    let at = f.describe(s.at);
    match s.why {
        L2Why::AdminDown => (format!("{at} is down"), Some(link_up(f, s.at))),
        L2Why::NoCarrier => {
            let (why, fix) = no_carrier_cause(f, s.at);
            (format!("{at} has no carrier{why}"), fix)
        }
        L2Why::ChildToParent { mode } | L2Why::ParentToChild { mode } => {
            let (child, parent) = match s.why {
                L2Why::ChildToParent { .. } => (s.from.unwrap_or(out), s.at),
                _ => (s.at, s.from.unwrap_or(out)),
            };
            let need = match crate::fill::shim_of(f, parent) {
                Some(shim) => format!(
                    "the shim {} is there, but this traffic leaves by {}, not by the shim (its host route is missing)",
                    f.describe(shim),
                    f.link(parent).map_or("the parent", |l| l.name.as_str())
                ),
                None => "the parent's namespace needs a macvlan of its own (a shim)".to_owned(),
            };
            let text = format!(
                "{} is a {}-mode macvlan child of {}: the kernel never passes frames between a macvlan and its parent; {need}",
                f.describe(child),
                names::macvlan_mode(mode),
                f.describe(parent)
            );
            (text, shim_fix(f, k, parent, child, nh))
        }
        L2Why::Siblings { from_mode, to_mode } => {
            let why = if from_mode == netstate::consts::MACVLAN_MODE_PRIVATE
                || to_mode == netstate::consts::MACVLAN_MODE_PRIVATE
            {
                "a private-mode macvlan reaches none of its siblings".to_owned()
            } else if from_mode == netstate::consts::MACVLAN_MODE_VEPA
                || to_mode == netstate::consts::MACVLAN_MODE_VEPA
            {
                "vepa-mode siblings talk only through the switch, which must hairpin (reflective relay)".to_owned()
            } else {
                format!(
                    "{} and {} modes do not talk to each other",
                    names::macvlan_mode(from_mode),
                    names::macvlan_mode(to_mode)
                )
            };
            (format!("{at} is a sibling macvlan: {why}"), None)
        }
        L2Why::PortState(st) => (
            format!(
                "bridge port {at} is {} (it forwards nothing)",
                names::bridge_port_state(st)
            ),
            None,
        ),
        L2Why::Isolated => (
            format!("{at} and the port the frame came in on are both isolated"),
            Some(Fix::Manual(format!(
                "bridge -n {} link set dev {} isolated off",
                actions::types::shell_quote(
                    &f.entry(s.at.ns)
                        .map(|e| e.info.name.clone())
                        .unwrap_or_default()
                ),
                actions::types::shell_quote(
                    &f.link(s.at).map(|l| l.name.clone()).unwrap_or_default()
                )
            ))),
        ),
        L2Why::NoVlan(v) => (
            format!("{at} has no VLAN {v} sub-interface for the tagged frames"),
            None,
        ),
        L2Why::OtherEndUnknown => (
            format!("the other end of {at} is in a namespace netlens has not read"),
            None,
        ),
    }
}

/// The shim that lets `parent`'s namespace reach its macvlan `child` (or be reached by it).
fn shim_fix(
    f: &Fabric<'_>,
    k: &dyn Kernel,
    parent: LinkAt,
    child: LinkAt,
    nh: IpAddr,
) -> Option<Fix> {
    let pl = f.link(parent)?;
    let pe = f.entry(parent.ns)?;
    // The shim's host routes go to the child's addresses (what the parent side sends to).
    let mut to: Vec<String> = f
        .entry(child.ns)?
        .state
        .addrs
        .values()
        .filter(|a| {
            a.ifindex == child.ifindex && a.local.is_some_and(|l| l.is_ipv4() == nh.is_ipv4())
        })
        .filter_map(|a| a.local.map(|l| l.to_string()))
        .collect();
    if to.is_empty() {
        to.push(nh.to_string());
    }
    // A shim there already (a bridge-mode macvlan of the parent with an address) only lacks
    // its host routes: the kernel deletes them when its link goes down.
    if let Some(shim) = fill::shim_of(f, parent) {
        let ips: Vec<IpAddr> = to.iter().filter_map(|t| t.parse().ok()).collect();
        return fill::shim_routes(f, shim, &ips);
    }
    let ip = fill::free_ip(f, k, parent).map_or_else(|| FREE_IP.to_owned(), |a| a.to_string());
    Some(Fix::Plan {
        netns: pe.info.name.clone(),
        input: ActionInput::Shim(ShimInput {
            parent: pl.name.clone(),
            name: None,
            ip: Some(ip),
            to,
            move_host_ip: false,
        }),
    })
}
