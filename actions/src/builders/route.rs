//! `route`: one static route (`ip route add DST via GW dev DEV`), e.g. the default route a
//! macvlan pod lacks so that clients beyond its subnet get an answer.

use std::net::IpAddr;

use ipnet::IpNet;

use crate::plan::Plan;
use crate::step::{RouteSpec, Step};
use crate::types::shell_quote as q;
use crate::validate::{self, NsView, ValidationError};
use crate::Result;

/// The flags of `netlens plan route`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct RouteInput {
    /// The destination: a CIDR, an address (a host route) or `default`.
    #[arg(long, value_name = "CIDR")]
    pub dst: String,
    /// The gateway: an address on a subnet the namespace is connected to.
    #[arg(long, value_name = "IP")]
    pub via: Option<String>,
    /// The device; default: the one whose subnet holds --via.
    #[arg(long, value_name = "IF")]
    pub dev: Option<String>,
    /// The route's metric (default: the kernel's, 0 for IPv4 and 1024 for IPv6).
    #[arg(long, value_name = "N")]
    pub metric: Option<u32>,
}

/// The device of a connected subnet that holds `gw` (only `dev`'s subnets when given).
fn on_link(ns: NsView<'_>, gw: IpAddr, dev: Option<u32>) -> Option<u32> {
    ns.state
        .addrs
        .values()
        .filter(|a| dev.is_none_or(|d| d == a.ifindex))
        .find_map(|a| {
            let local = a.local.or(a.address)?;
            let net = IpNet::new(local, a.prefixlen).ok()?;
            (net.contains(&gw) && local != gw && a.prefixlen < net.max_prefix_len())
                .then_some(a.ifindex)
        })
}

/// Builds the plan: one `ip route add`, undone by its `ip route del`.
pub fn route(ns: NsView<'_>, input: &RouteInput) -> Result<Plan> {
    let via = input
        .via
        .as_deref()
        .map(|s| validate::host_ip("--via", s))
        .transpose()?;
    let dst = if input.dst == "default" {
        match via {
            Some(IpAddr::V6(_)) => IpNet::V6(ipnet::Ipv6Net::default()),
            _ => IpNet::V4(ipnet::Ipv4Net::default()),
        }
    } else {
        validate::prefix("--dst", &input.dst)?
    };
    if let (Some(gw), Some(s)) = (via, &input.via) {
        validate::same_family("--via", s, gw, dst.addr(), "--dst")?;
    }
    let dev = match (&input.dev, via) {
        (Some(d), _) => {
            let l = ns.state.link_by_name(d).ok_or_else(|| {
                ValidationError::new(
                    "--dev",
                    d,
                    format!("no such interface in namespace {}", ns.name),
                )
            })?;
            if let (Some(gw), Some(s)) = (via, &input.via) {
                if on_link(ns, gw, Some(l.ifindex)).is_none() {
                    return Err(ValidationError::new(
                        "--via",
                        s,
                        format!(
                            "is not on a subnet of {d}: the kernel would answer \"Nexthop has invalid gateway\"; give {d} an address on the gateway's subnet first"
                        ),
                    ));
                }
            }
            l.name.clone()
        }
        (None, Some(gw)) => {
            let i = on_link(ns, gw, None).ok_or_else(|| {
                ValidationError::new(
                    "--via",
                    input.via.as_deref().unwrap_or_default(),
                    format!(
                        "is on no subnet namespace {} is connected to: the kernel would answer \"Nexthop has invalid gateway\"",
                        ns.name
                    ),
                )
            })?;
            ns.state.link_name(i).unwrap_or_default().to_owned()
        }
        (None, None) => {
            return Err(ValidationError::new(
                "--via",
                "",
                "give a gateway (--via), a device (--dev) or both",
            ))
        }
    };
    let spec = RouteSpec {
        via,
        dev: Some(dev.clone()),
        metric: input.metric,
        ..RouteSpec::to(ns.name, dst)
    };
    validate::route_free("--dst", &input.dst, &spec, ns)?;
    let title = match via {
        Some(gw) => format!("route {} via {gw} dev {}", input.dst, q(&dev)),
        None => format!("route {} dev {}", input.dst, q(&dev)),
    };
    Ok(Plan::new(title, ns.name, vec![Step::RouteAdd(spec)]))
}
