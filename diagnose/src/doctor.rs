//! The doctor: what in the live model keeps traffic from flowing, each finding with the
//! objects involved, the evidence, and a fix filled from the model. It reads the model and
//! asks the kernel only for sysctls (reverse-path filtering) and ARP probes (a free address
//! for a fix).

mod addrs;
mod links;
mod macvlan;
mod neigh;
mod vxlan;

use std::net::IpAddr;

use netstate::inventory::{Inventory, NsEntry};
use netstate::l2::{Fabric, LinkAt};
use netstate::NsId;

use crate::kernel::Kernel;
use crate::report::{Check, Finding, Fix, Obj, Severity};

/// What every check gets.
pub(crate) struct Cx<'a> {
    pub f: Fabric<'a>,
    pub k: &'a dyn Kernel,
    only: Option<&'a [NsId]>,
    /// The host's default gateways, and the namespaces that hold one.
    pub gateways: Vec<(IpAddr, LinkAt)>,
    pub gateway_namespaces: std::collections::HashSet<NsId>,
    /// Every link's broadcast domain, and a device where each domain leaves the host (a
    /// NIC): found once, so checks per neighbour cost no walk of the segment.
    domains: std::collections::HashMap<LinkAt, usize>,
    exits: std::collections::HashMap<usize, LinkAt>,
}

impl Cx<'_> {
    /// Whether findings about namespace `id` are wanted.
    pub fn wanted(&self, id: NsId) -> bool {
        self.only.is_none_or(|o| o.contains(&id))
    }

    /// A finding about `at` in its namespace.
    #[allow(clippy::too_many_arguments, reason = "one finding's fields")]
    pub fn finding(
        &self,
        severity: Severity,
        check: Check,
        about: LinkAt,
        objects: Vec<Obj>,
        message: String,
        evidence: String,
        fix: Option<Fix>,
    ) -> Finding {
        let netns = self
            .f
            .entry(about.ns)
            .map(|e| e.info.label())
            .unwrap_or_default();
        Finding {
            severity,
            check,
            netns,
            ns: about.ns,
            objects,
            message,
            evidence,
            fix,
        }
    }

    /// The broadcast domain of `at`.
    pub fn domain(&self, at: LinkAt) -> Option<usize> {
        self.domains.get(&at).copied()
    }

    /// A device through which domain `d` leaves the host, if any.
    pub fn exit(&self, d: usize) -> Option<LinkAt> {
        self.exits.get(&d).copied()
    }

    pub fn obj(&self, at: LinkAt) -> Obj {
        Obj::link(&self.f, at)
    }

    pub fn val(&self, at: LinkAt, v: &impl ToString) -> Obj {
        Obj::value(&self.f, at, v)
    }
}

/// The IPv4 addresses (with prefix length) on link `ifindex` of `e`.
pub(crate) fn v4_addrs(e: &NsEntry, ifindex: u32) -> Vec<(IpAddr, u8)> {
    e.state
        .addrs
        .values()
        .filter(|a| a.ifindex == ifindex && a.family == netstate::consts::AF_INET)
        .filter_map(|a| a.local.or(a.address).map(|x| (x, a.prefixlen)))
        .collect()
}

/// Runs every check, reporting on the namespaces `only` names (all when `None`); the
/// others are read as context (a parent's children, a peer's MAC).
pub fn examine(inv: &Inventory, k: &dyn Kernel, only: Option<&[NsId]>) -> Vec<Finding> {
    let f = Fabric::new(inv);
    let gateways = crate::fill::default_gateways(&f);
    let gateway_namespaces = gateways
        .iter()
        .flat_map(|(g, _)| f.holders(*g).iter().map(|h| h.ns))
        .collect();
    let domains = f.domains();
    let mut exits = std::collections::HashMap::new();
    for (at, d) in &domains {
        let nic = f.link(*at).is_some_and(|l| {
            l.kind.is_none() && l.flags & netstate::consts::IFF_LOOPBACK == 0 && l.link_type == 1
        });
        if nic {
            exits.entry(*d).or_insert(*at);
        }
    }
    let cx = Cx {
        f,
        k,
        only,
        gateways,
        gateway_namespaces,
        domains,
        exits,
    };
    let mut out = Vec::new();
    for e in inv.namespaces.iter().filter(|e| cx.wanted(e.info.id)) {
        macvlan::no_shim(&cx, e, &mut out);
        links::no_default_route(&cx, e, &mut out);
        links::down(&cx, e, &mut out);
        links::parents_down(&cx, e, &mut out);
        links::rp_filter(&cx, e, &mut out);
        vxlan::checks(&cx, e, &mut out);
        neigh::unresolved(&cx, e, &mut out);
        neigh::stale(&cx, e, &mut out);
    }
    addrs::duplicates(&cx, &mut out);
    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.netns.cmp(&b.netns))
            .then_with(|| a.check.cmp(&b.check))
    });
    out
}

/// The doctor's exit status for `findings`: 0 none, 1 warnings, 2 errors.
pub fn exit_code(findings: &[Finding]) -> u8 {
    match findings.iter().map(|f| f.severity).max() {
        None => 0,
        Some(Severity::Warning) => 1,
        Some(Severity::Error) => 2,
    }
}
