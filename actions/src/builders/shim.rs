//! `shim`: let the host reach its own macvlan containers.
//!
//! The kernel drops traffic between a macvlan child in bridge mode and its
//! parent, so the host gets a second macvlan (the shim) on the same parent
//! with a /32 and one host route per container address.

use ipnet::IpNet;
use netstate::model::{Addr, Link};

use super::{derived_name, no_repeat, up_new};
use crate::kernel::KernelSupport;
use crate::plan::Plan;
use crate::step::{AddrSpec, LinkAdd, LinkKind, RouteSpec, Step};
use crate::types::shell_quote as q;
use crate::types::MacvlanMode;
use crate::validate::{self, NsView, ParentUse, ValidationError};
use crate::Result;

/// `IFA_F_SECONDARY`.
const IFA_F_SECONDARY: u32 = 0x01;
/// `IFA_F_NOPREFIXROUTE`.
const IFA_F_NOPREFIXROUTE: u32 = 0x200;
/// An address lifetime of `forever`.
const FOREVER: u32 = u32::MAX;
/// `RTPROT_KERNEL`: routes the kernel adds with an address.
const RTPROT_KERNEL: u8 = 2;
/// `RTN_UNICAST`.
const RTN_UNICAST: u8 = 1;
/// The local table, filled by the kernel.
const LOCAL_TABLE: u32 = 255;

/// The flags of `netlens shim`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ShimInput {
    /// The NIC the containers' macvlans sit on (their parent).
    #[arg(long, value_name = "IF")]
    pub parent: String,
    /// The shim's name; default shim-PARENT, cut to 15 bytes.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The shim's own address, a /32 (or /128), e.g. 192.168.1.250.
    #[arg(long, value_name = "ADDR")]
    pub ip: Option<String>,
    /// A container IP or CIDR reached through the shim (repeatable; comma-separated in the form).
    #[arg(long = "to", value_name = "IP|CIDR")]
    pub to: Vec<String>,
    /// Move the parent's IPv4 addresses (labels and noprefixroute kept) and routes (default
    /// route included) onto the shim. A DHCP address is refused: the lease would run out on
    /// the shim while the client renews it on the parent.
    #[arg(long)]
    pub move_host_ip: bool,
}

/// Builds the shim plan: link add macvlan (bridge mode), addr add /32, link
/// set up, one route per `--to`; with `--move-host-ip` the parent's IPv4
/// addresses and routes move onto the shim in the same plan.
pub fn shim(ns: NsView<'_>, input: &ShimInput, support: &KernelSupport) -> Result<Plan> {
    let parent = validate::parent("--parent", &input.parent, ns, ParentUse::Macvlan)?;
    let name = match &input.name {
        Some(n) => n.clone(),
        None => derived_name("shim-", &parent.name, ""),
    };
    validate::ifname("--name", &name)?;
    validate::name_free("--name", &name, ns)?;
    let kind = LinkKind::Macvlan {
        parent: parent.name.clone(),
        mode: MacvlanMode::Bridge,
    };
    support.check(&kind)?;

    let own = input
        .ip
        .as_deref()
        .map(|s| host_address(s, ns))
        .transpose()?;
    if own.is_none() && !input.move_host_ip {
        return Err(ValidationError::new(
            "--ip",
            "",
            format!(
                "a shim needs its own address (a /32), or --move-host-ip to move the address of {} onto it",
                parent.name
            ),
        ));
    }
    let (moved, routes) = if input.move_host_ip {
        host_config(ns, parent)?
    } else {
        (Vec::new(), Vec::new())
    };

    let mut to_routes: Vec<RouteSpec> = Vec::new();
    for s in &input.to {
        let dst = validate::prefix("--to", s)?;
        let spec = RouteSpec {
            dev: Some(name.clone()),
            ..RouteSpec::to(ns.name, dst)
        };
        no_repeat("--to", s, &to_routes, &spec)?;
        validate::route_free("--to", s, &spec, ns)?;
        to_routes.push(spec);
    }

    let mut steps = vec![Step::LinkAdd(LinkAdd {
        netns: ns.name.to_string(),
        name: name.clone(),
        kind,
        address: None,
        mtu: None,
    })];
    steps.extend(own.map(|a| Step::AddrAdd(AddrSpec::new(ns.name, name.clone(), a))));
    // On the shim, primaries first: the first address of a subnet becomes its primary
    // (the source of its prefix route and of the moved default route).
    for secondary in [false, true] {
        for (m, _) in moved.iter().filter(|(_, s)| *s == secondary) {
            steps.push(Step::AddrAdd(AddrSpec {
                dev: name.clone(),
                label: shim_label(m, &parent.name, &name)?,
                ..m.clone()
            }));
        }
    }
    steps.push(up_new(ns.name, &name));
    for previous in routes {
        let route = RouteSpec {
            dev: Some(name.clone()),
            ..previous.clone()
        };
        steps.push(Step::RouteReplace {
            route,
            previous: Some(previous),
        });
    }
    // Deleted with their label and flags, so that undoing the plan puts them back as they were.
    steps.extend(moved.into_iter().map(|(m, _)| Step::AddrDel(m)));
    steps.extend(to_routes.into_iter().map(Step::RouteAdd));

    let title = if input.move_host_ip {
        format!(
            "shim {}: move the host address from {} and reach its macvlan containers",
            q(&name),
            q(&parent.name)
        )
    } else {
        format!(
            "shim {}: host <-> macvlan containers on {}",
            q(&name),
            q(&parent.name)
        )
    };
    Ok(Plan::new(title, ns.name, steps))
}

/// The shim's own address: a bare address or a full-length prefix, not in use.
fn host_address(s: &str, ns: NsView<'_>) -> Result<IpNet> {
    let net = if s.contains('/') {
        let net: IpNet = s.parse().map_err(|_| {
            ValidationError::new(
                "--ip",
                s,
                "not an address or CIDR (write 10.0.0.99 or 10.0.0.99/32)",
            )
        })?;
        if net.prefix_len() != net.max_prefix_len() {
            return Err(ValidationError::new(
                "--ip",
                s,
                format!(
                    "a shim takes a /{}: a /{} would add a connected route for {} through the shim, competing with the parent's",
                    net.max_prefix_len(),
                    net.prefix_len(),
                    net.trunc()
                ),
            ));
        }
        net
    } else {
        IpNet::from(validate::host_ip("--ip", s)?)
    };
    validate::unicast("--ip", s, net.addr())?;
    validate::addr_free("--ip", s, net.addr(), ns)?;
    Ok(net)
}

/// The parent's addresses to move, each with whether it is a secondary.
type Moved = Vec<(AddrSpec, bool)>;

/// The parent's IPv4 addresses (secondaries first: deleting a primary takes
/// its secondaries with it), as they are on the parent (label, `noprefixroute`, broadcast,
/// scope; a peer or deprecated address is refused), and the
/// routes through it to re-add via the shim. A dynamic address (a DHCP lease) is refused:
/// on the shim it would expire while the DHCP client renews it on the parent.
fn host_config(ns: NsView<'_>, parent: &Link) -> Result<(Moved, Vec<RouteSpec>)> {
    let mut addrs: Vec<&Addr> = ns
        .state
        .addrs
        .values()
        .filter(|a| a.ifindex == parent.ifindex && a.family == 2)
        .collect();
    if addrs.is_empty() {
        return Err(ValidationError::new(
            "--move-host-ip",
            &parent.name,
            "the parent has no IPv4 address to move",
        ));
    }
    addrs.sort_by_key(|a| a.flags & IFA_F_SECONDARY == 0);
    let mut moved = Vec::new();
    for a in addrs {
        let Some(net) = a
            .local
            .or(a.address)
            .and_then(|l| IpNet::new(l, a.prefixlen).ok())
        else {
            continue;
        };
        if let Some(valid) = a.valid_lft.filter(|&v| v != FOREVER) {
            return Err(ValidationError::new(
                "--move-host-ip",
                &parent.name,
                format!(
                    "{net} on {} is dynamic (valid_lft {valid}s: a DHCP lease): moved to the shim it would expire there while the DHCP client renews it on {}; give the shim its own --ip, or make the address static first",
                    parent.name, parent.name
                ),
            ));
        }
        let refuse = |why: &str| {
            ValidationError::new(
                "--move-host-ip",
                &parent.name,
                format!("{net} on {} {why}; move it by hand", parent.name),
            )
        };
        if a.local.is_some() && a.address.is_some() && a.local != a.address {
            return Err(refuse("has a peer address (point-to-point)"));
        }
        if a.preferred_lft == Some(0) {
            return Err(refuse("is deprecated (preferred_lft 0)"));
        }
        let spec = AddrSpec {
            label: a.label.clone().filter(|l| *l != parent.name),
            noprefixroute: a.flags & IFA_F_NOPREFIXROUTE != 0,
            broadcast: a.broadcast,
            scope: Some(a.scope).filter(|&sc| sc != 0),
            ..AddrSpec::new(ns.name, parent.name.clone(), net)
        };
        moved.push((spec, a.flags & IFA_F_SECONDARY != 0));
    }
    let mut routes = Vec::new();
    for r in ns.state.routes.values().filter(|r| {
        r.family == 2
            && r.oif == Some(parent.ifindex)
            && r.protocol != RTPROT_KERNEL
            && r.table != LOCAL_TABLE
            && r.kind == RTN_UNICAST
    }) {
        let spec = RouteSpec::from_model(ns.name, r, ns.state).ok_or_else(|| {
            ValidationError::new(
                "--move-host-ip",
                &parent.name,
                format!(
                    "the route \"{}\" is multipath: move it by hand",
                    netstate::text::route(r, ns.state).trim()
                ),
            )
        })?;
        routes.push(spec);
    }
    // The default route last: when it moves, everything it needs is in place.
    routes.sort_by_key(|r| r.dst.prefix_len() == 0);
    Ok((moved, routes))
}

/// The label a moved address takes on the shim: `eth0:web` becomes `SHIM:web` (a label
/// must start with its device's name, and is at most 15 bytes).
fn shim_label(a: &AddrSpec, parent: &str, shim: &str) -> Result<Option<String>> {
    let Some(label) = &a.label else {
        return Ok(None);
    };
    let suffix = label
        .strip_prefix(parent)
        .filter(|rest| rest.starts_with(':'))
        .ok_or_else(|| {
            ValidationError::new(
                "--move-host-ip",
                label,
                format!(
                    "the label of {} does not start with \"{parent}:\", so it cannot follow the address to the shim; move this address by hand",
                    a.addr
                ),
            )
        })?;
    let new = format!("{shim}{suffix}");
    if new.len() > 15 {
        return Err(ValidationError::new(
            "--move-host-ip",
            label,
            format!(
                "on the shim the label of {} would be {new}, longer than 15 bytes; choose a shorter --name",
                a.addr
            ),
        ));
    }
    Ok(Some(new))
}
