//! `vxlan` and `vxlan-peer`: VXLAN between nodes by hand, with static FDB and
//! ARP entries (a missing one fails silently).

use std::net::IpAddr;

use ipnet::IpNet;
use netstate::model::{KindInfo, NeighKey, NsState};

use super::{no_repeat, up_new};
use crate::kernel::KernelSupport;
use crate::plan::Plan;
use crate::step::{
    AddrSpec, FdbSpec, LinkAdd, LinkKind, NeighSpec, RouteSpec, Step, VxlanSpec, NUD_PERMANENT,
};
use crate::types::shell_quote as q;
use crate::validate::{self, NsView, ParentUse, ValidationError};
use crate::Result;

/// The IANA VXLAN port, `--port`'s default (the legacy kernel default is 8472).
pub const DEFAULT_VXLAN_PORT: u16 = 4789;

/// The flags of `netlens vxlan`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct VxlanInput {
    /// The vxlan device's name.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The VXLAN network identifier, 0-16777215.
    #[arg(long, value_name = "N")]
    pub vni: u32,
    /// The UDP destination port; default 4789 (always written as dstport: without it the
    /// kernel uses 8472).
    #[arg(long, value_name = "N")]
    pub port: Option<u32>,
    /// This node's underlay address: one of --dev's addresses.
    #[arg(long, value_name = "IP")]
    pub local: String,
    /// The underlay device (the one carrying the route to the peers).
    #[arg(long, value_name = "IF")]
    pub dev: String,
    /// Learn peers from traffic; off by default (nolearning: peers come from the FDB).
    #[arg(long)]
    pub learning: bool,
    /// The overlay address, as a CIDR.
    #[arg(long, value_name = "CIDR")]
    pub ip: String,
    /// The device's own MAC (what peers put in their FDB); default: the kernel's choice.
    #[arg(long, value_name = "MAC")]
    pub mac: Option<String>,
    /// The MTU, at most the underlay's less the encapsulation (50 bytes over IPv4).
    #[arg(long, value_name = "N")]
    pub mtu: Option<u32>,
}

/// Builds the VXLAN plan: link add vxlan (always naming `dstport`), addr add, link set up.
pub fn vxlan(ns: NsView<'_>, input: &VxlanInput, support: &KernelSupport) -> Result<Plan> {
    validate::ifname("--name", &input.name)?;
    validate::name_free("--name", &input.name, ns)?;
    let vni = validate::vni("--vni", input.vni)?;
    let port = match input.port {
        Some(p) => validate::port("--port", p)?,
        None => DEFAULT_VXLAN_PORT,
    };
    let local = validate::host_ip("--local", &input.local)?;
    if let Some(twin) = ns.state.links.values().find(|l| match &l.info {
        KindInfo::Vxlan(v) => {
            v.id == Some(vni)
                && v.port.unwrap_or(8472) == port
                && v.local.is_none_or(|a| a.is_ipv4() == local.is_ipv4())
        }
        _ => false,
    }) {
        return Err(ValidationError::new(
            "--vni",
            vni.to_string(),
            format!(
                "{} already uses VNI {vni} on dstport {port}: the kernel refuses a second device with the same VNI and port",
                twin.name
            ),
        ));
    }
    if !owns(ns.state, local) {
        return Err(ValidationError::new(
            "--local",
            &input.local,
            format!(
                "is not an address of namespace {}: peers would send to an address this node does not own; give the underlay address of --dev",
                ns.name
            ),
        ));
    }
    let dev = validate::parent("--dev", &input.dev, ns, ParentUse::Underlay)?;
    let on_dev = ns
        .state
        .addrs
        .values()
        .any(|a| a.ifindex == dev.ifindex && a.local.or(a.address) == Some(local));
    if !on_dev {
        let holder = ns
            .state
            .addrs
            .values()
            .find(|a| a.local.or(a.address) == Some(local))
            .and_then(|a| ns.state.link_name(a.ifindex))
            .unwrap_or("another device");
        return Err(ValidationError::new(
            "--local",
            &input.local,
            format!(
                "is on {holder}, not on --dev {}: the encapsulated packets would leave from one device with the address of another; give an address of {}",
                dev.name, dev.name
            ),
        ));
    }
    let overhead = if local.is_ipv4() { 50 } else { 70 };
    let why = format!(
        "the MTU of {} less {overhead} bytes of VXLAN encapsulation",
        dev.name
    );
    let mtu = input
        .mtu
        .map(|m| {
            let limit = dev.mtu.map(|d| (d.saturating_sub(overhead), why.as_str()));
            validate::mtu("--mtu", m, limit)
        })
        .transpose()?;
    let ip = validate::cidr("--ip", &input.ip)?;
    validate::addr_free("--ip", &input.ip, ip.addr(), ns)?;
    // An overlay subnet that overlaps one of this namespace's subnets (the underlay's, most
    // often) adds a second connected route for the same addresses.
    for a in ns.state.addrs.values() {
        let Some(net) = a
            .local
            .or(a.address)
            .and_then(|x| IpNet::new(x, a.prefixlen).ok())
            .map(|n| n.trunc())
        else {
            continue;
        };
        let mine = ip.trunc();
        if a.family == if ip.addr().is_ipv4() { 2 } else { 10 }
            && (net.contains(&mine.network()) || mine.contains(&net.network()))
            && !net.addr().is_loopback()
        {
            return Err(ValidationError::new(
                "--ip",
                &input.ip,
                format!(
                    "overlaps {net} of {}: the overlay needs a subnet of its own, or two connected routes compete for the same addresses",
                    ns.state.link_name(a.ifindex).unwrap_or("another device")
                ),
            ));
        }
    }
    let mac = input
        .mac
        .as_deref()
        .map(|m| validate::mac("--mac", m, true))
        .transpose()?;
    let kind = LinkKind::Vxlan(VxlanSpec {
        more: crate::step::VxlanMore::default(),
        id: vni,
        dstport: port,
        local: Some(local),
        remote: None,
        dev: Some(dev.name.clone()),
        learning: input.learning,
        ttl: None,
    });
    support.check(&kind)?;

    let netns = ns.name.to_string();
    let steps = vec![
        Step::LinkAdd(LinkAdd {
            netns: netns.clone(),
            name: input.name.clone(),
            kind,
            address: mac,
            mtu,
        }),
        Step::AddrAdd(AddrSpec::new(netns, input.name.clone(), ip)),
        up_new(ns.name, &input.name),
    ];
    let title = format!(
        "vxlan {}: VNI {vni}, dstport {port}, over {}",
        q(&input.name),
        q(&dev.name)
    );
    Ok(Plan::new(title, ns.name, steps))
}

/// The flags of `netlens vxlan-peer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct VxlanPeerInput {
    /// The local vxlan device.
    #[arg(long, value_name = "IF")]
    pub dev: String,
    /// The peer's overlay address.
    #[arg(long, value_name = "IP")]
    pub overlay_ip: String,
    /// The MAC of the peer's vxlan device.
    #[arg(long, value_name = "MAC")]
    pub mac: String,
    /// The peer node's underlay address (where its VTEP listens).
    #[arg(long, value_name = "IP")]
    pub underlay: String,
    /// A network behind the peer, routed via its overlay address (repeatable;
    /// comma-separated in the form).
    #[arg(long = "route", value_name = "CIDR")]
    pub routes: Vec<String>,
}

/// Builds the peer plan: static ARP (`neigh replace ... nud permanent`),
/// `bridge fdb append MAC dev DEV dst UNDERLAY`, a route per `--route` via the
/// peer's overlay address.
pub fn vxlan_peer(ns: NsView<'_>, input: &VxlanPeerInput) -> Result<Plan> {
    let dev = ns.state.link_by_name(&input.dev).ok_or_else(|| {
        ValidationError::new(
            "--dev",
            &input.dev,
            format!("no such interface in namespace {}", ns.name),
        )
    })?;
    let KindInfo::Vxlan(info) = &dev.info else {
        return Err(ValidationError::new(
            "--dev",
            &input.dev,
            format!(
                "is not a VXLAN device (kind {}): create one with netlens vxlan",
                dev.kind.as_deref().unwrap_or("none")
            ),
        ));
    };
    let overlay = validate::host_ip("--overlay-ip", &input.overlay_ip)?;
    overlay_fits(ns, dev.ifindex, &dev.name, overlay, &input.overlay_ip)?;
    let mac = validate::mac("--mac", &input.mac, true)?;
    if dev.address.as_deref() == Some(&mac.0[..]) {
        return Err(ValidationError::new(
            "--mac",
            &input.mac,
            format!(
                "is the MAC of {} itself: give the peer's VXLAN device MAC",
                dev.name
            ),
        ));
    }
    let underlay = validate::host_ip("--underlay", &input.underlay)?;
    if let Some(local) = info.local {
        validate::same_family(
            "--underlay",
            &input.underlay,
            underlay,
            local,
            "the local address of the device",
        )?;
    }
    if owns(ns.state, underlay) {
        return Err(ValidationError::new(
            "--underlay",
            &input.underlay,
            "is an address of this node: give the peer node's underlay address",
        ));
    }
    let mut routes: Vec<RouteSpec> = Vec::new();
    for s in &input.routes {
        let dst = validate::prefix("--route", s)?;
        validate::same_family("--route", s, dst.addr(), overlay, "--overlay-ip")?;
        let spec = RouteSpec {
            via: Some(overlay),
            dev: Some(dev.name.clone()),
            ..RouteSpec::to(ns.name, dst)
        };
        no_repeat("--route", s, &routes, &spec)?;
        // The peer's route already there (a plan run again): nothing to add.
        if validate::route_present(&spec, ns) {
            continue;
        }
        validate::route_free("--route", s, &spec, ns)?;
        routes.push(spec);
    }

    let netns = ns.name.to_string();
    let family = if overlay.is_ipv4() { 2 } else { 10 };
    let key = NeighKey {
        ifindex: dev.ifindex,
        family,
        dst: Some(overlay),
    };
    let neigh = NeighSpec {
        netns: netns.clone(),
        dst: overlay,
        lladdr: Some(mac),
        dev: dev.name.clone(),
        permanent: true,
    };
    // Only a static entry is put back by undo. A learned one (REACHABLE, STALE, FAILED,
    // INCOMPLETE…) is the kernel's cache: undo deletes the static entry and the kernel
    // resolves the address again, which is what "no static entry" means. (Replaying a
    // learned entry would make it permanent: `ip neigh replace` defaults to nud permanent.)
    let previous = ns
        .state
        .neighs
        .get(&key)
        .filter(|n| n.state & NUD_PERMANENT != 0)
        .and_then(|n| NeighSpec::from_model(ns.name, n, ns.state));
    let mut steps = vec![Step::NeighReplace { neigh, previous }];
    let fdb = FdbSpec {
        netns,
        mac,
        dev: dev.name.clone(),
        dst: Some(underlay),
        vni: None,
        port: None,
        self_: false,
        master: false,
    };
    // `append` leaves an existing unicast entry's destination as it was:
    // an entry to another underlay must go first.
    let mut present = false;
    for f in ns.state.fdb.values().filter(|f| {
        f.ifindex == dev.ifindex && f.mac == mac.0 && f.dst.is_some() && f.master.is_none()
    }) {
        if f.dst == Some(underlay) {
            present = true;
        } else if let Some(old) = FdbSpec::from_model(ns.name, f, ns.state) {
            steps.push(Step::FdbDel(old));
        }
    }
    if !present {
        steps.push(Step::FdbAppend(fdb));
    }
    steps.extend(routes.into_iter().map(Step::RouteAdd));
    let title = format!(
        "vxlan peer {overlay} ({mac}) at {underlay} on {}",
        q(&dev.name)
    );
    Ok(Plan::new(title, ns.name, steps))
}

/// Some interface of the namespace has the address.
fn owns(ns: &NsState, ip: IpAddr) -> bool {
    ns.addrs.values().any(|a| a.local.or(a.address) == Some(ip))
}

/// The overlay address is inside a subnet of the device, and not its own.
fn overlay_fits(ns: NsView<'_>, ifindex: u32, dev: &str, ip: IpAddr, value: &str) -> Result<()> {
    let nets: Vec<IpNet> = ns
        .state
        .addrs
        .values()
        .filter(|a| a.ifindex == ifindex)
        .filter_map(|a| IpNet::new(a.local.or(a.address)?, a.prefixlen).ok())
        .collect();
    let err = |reason: String| Err(ValidationError::new("--overlay-ip", value, reason));
    if nets.iter().any(|n| n.addr() == ip) {
        return err(format!(
            "is the address of {dev} itself: give the peer's overlay address"
        ));
    }
    if nets.is_empty() {
        return err(format!(
            "{dev} has no address yet: give it its overlay address first (netlens vxlan --ip)"
        ));
    }
    if !nets.iter().any(|n| n.contains(&ip)) {
        let list: Vec<String> = nets.iter().map(ToString::to_string).collect();
        return err(format!(
            "is outside the subnets of {dev} ({}): routes via it would fail with \"Nexthop has invalid gateway\"",
            list.join(", ")
        ));
    }
    Ok(())
}
