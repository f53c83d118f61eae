//! `attach`: give a namespace a macvlan (or a veth end on a bridge) with an
//! address and a default route (without one it reaches its L2 neighbours only).

use netstate::model::{KindInfo, NsState};
use netstate::names::IFF_UP;

use super::{derived_name, up_new};
use crate::kernel::KernelSupport;
use crate::plan::Plan;
use crate::step::{AddrSpec, LinkAdd, LinkChange, LinkKind, LinkSet, RouteSpec, Step};
use crate::types::shell_quote as q;
use crate::types::MacvlanMode;
use crate::validate::{self, NsView, ParentUse, ValidationError};
use crate::Result;

/// The flags of `netlens attach`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct AttachInput {
    /// The macvlan's parent, or with --veth the bridge the host end joins.
    #[arg(long, value_name = "IF")]
    pub parent: String,
    /// The namespace to attach (created when it does not exist).
    #[arg(long = "target", value_name = "NS")]
    pub target_ns: String,
    /// The address inside the target, as a CIDR.
    #[arg(long, value_name = "CIDR")]
    pub ip: String,
    /// The default route's gateway, inside --ip's subnet.
    #[arg(long, value_name = "IP")]
    pub gateway: String,
    /// The macvlan mode: bridge, private, vepa, passthru or source; default bridge.
    #[arg(long, value_name = "MODE")]
    pub mode: Option<String>,
    /// A veth pair whose host end joins the bridge --parent, instead of a macvlan.
    #[arg(long)]
    pub veth: bool,
    /// The interface's name inside the target; default mv-TARGET for a macvlan (created
    /// beside its parent, then moved) and eth0 for a veth end.
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The MTU of the interface inside the target.
    #[arg(long, value_name = "N")]
    pub mtu: Option<u32>,
}

/// Builds the attach plan. `target` is the live state of `--target`, `None`
/// when the namespace does not exist yet (the plan then creates it).
pub fn attach(
    parent_ns: NsView<'_>,
    target: Option<&NsState>,
    input: &AttachInput,
    support: &KernelSupport,
) -> Result<Plan> {
    let tname = input.target_ns.as_str();
    validate::netns_name("--target", tname)?;
    if tname == parent_ns.name {
        return Err(ValidationError::new(
            "--target",
            tname,
            "is the namespace of --parent: attach moves the interface into another namespace",
        ));
    }
    let usage = if input.veth {
        ParentUse::Bridge
    } else {
        ParentUse::Macvlan
    };
    let parent = validate::parent("--parent", &input.parent, parent_ns, usage)?;
    let mode = match (&input.mode, input.veth) {
        (Some(m), true) => {
            return Err(ValidationError::new(
                "--mode",
                m,
                "a mode applies to a macvlan: leave it out with --veth",
            ))
        }
        (Some(m), false) => validate::mode("--mode", m)?,
        (None, _) => MacvlanMode::Bridge,
    };
    if !input.veth {
        passthru_fits(parent_ns, parent.ifindex, &parent.name, mode)?;
    }
    let name = match (&input.name, input.veth) {
        (Some(n), _) => n.clone(),
        (None, false) => derived_name("mv-", tname, ""),
        (None, true) => "eth0".to_string(),
    };
    validate::ifname("--name", &name)?;
    let tview = target.map(|t| NsView::new(tname, t));
    if let Some(t) = tview {
        validate::name_free("--name", &name, t)?;
    }
    let host_end = derived_name("ve-", tname, "");
    if input.veth {
        validate::ifname("--target", &host_end)?;
        validate::name_free("--target", &host_end, parent_ns)?;
    } else {
        validate::name_free("--name", &name, parent_ns)?;
    }
    let why = format!(
        "the MTU of {}: a macvlan cannot exceed its parent",
        parent.name
    );
    let limit = if input.veth {
        None
    } else {
        parent.mtu.map(|p| (p, why.as_str()))
    };
    let mtu = input
        .mtu
        .map(|m| validate::mtu("--mtu", m, limit))
        .transpose()?;
    let ip = validate::cidr("--ip", &input.ip)?;
    validate::addr_free("--ip", &input.ip, ip.addr(), parent_ns)?;
    let gateway = validate::host_ip("--gateway", &input.gateway)?;
    validate::same_family("--gateway", &input.gateway, gateway, ip.addr(), "--ip")?;
    if gateway == ip.addr() || !ip.contains(&gateway) {
        return Err(ValidationError::new(
            "--gateway",
            &input.gateway,
            format!("is not another address inside {ip}: the namespace could not reach it"),
        ));
    }
    let default = RouteSpec::default_via(tname, gateway, &name);
    if let Some(t) = tview {
        validate::addr_free("--ip", &input.ip, ip.addr(), t)?;
        validate::route_free("--gateway", &input.gateway, &default, t)?;
    }

    let (pn, tn) = (parent_ns.name.to_string(), tname.to_string());
    let mut steps = Vec::new();
    if target.is_none() {
        steps.push(Step::NetnsAdd { name: tn.clone() });
    }
    if input.veth {
        let kind = LinkKind::Veth {
            peer: name.clone(),
            peer_netns: Some(tn.clone()),
        };
        support.check(&kind)?;
        steps.push(Step::LinkAdd(LinkAdd {
            netns: pn.clone(),
            name: host_end.clone(),
            kind,
            address: None,
            mtu,
        }));
        steps.push(Step::LinkSet(LinkSet {
            netns: pn.clone(),
            name: host_end.clone(),
            change: LinkChange::Master(parent.name.clone()),
            previous: Some(LinkChange::NoMaster),
        }));
        steps.push(up_new(&pn, &host_end));
    } else {
        let kind = LinkKind::Macvlan {
            parent: parent.name.clone(),
            mode,
        };
        support.check(&kind)?;
        steps.push(Step::LinkAdd(LinkAdd {
            netns: pn.clone(),
            name: name.clone(),
            kind,
            address: None,
            mtu,
        }));
        steps.push(Step::LinkSet(LinkSet {
            netns: pn.clone(),
            name: name.clone(),
            change: LinkChange::Netns(tn.clone()),
            previous: None,
        }));
    }
    let lo_down = target
        .and_then(|t| t.link_by_name("lo"))
        .is_none_or(|lo| lo.flags & IFF_UP == 0);
    if lo_down {
        steps.push(up_new(&tn, "lo"));
    }
    steps.push(Step::AddrAdd(AddrSpec::new(tn.clone(), name.clone(), ip)));
    steps.push(up_new(&tn, &name));
    steps.push(Step::RouteAdd(default));
    let what = if input.veth {
        "veth end on bridge"
    } else {
        "macvlan on"
    };
    let title = format!(
        "attach {}: {} ({what} {}), {ip} via {gateway}",
        q(tname),
        q(&name),
        q(&parent.name)
    );
    Ok(Plan::new(title, tn, steps))
}

/// A passthru macvlan takes the whole parent: none beside it, and it beside none.
fn passthru_fits(ns: NsView<'_>, ifindex: u32, parent: &str, mode: MacvlanMode) -> Result<()> {
    let siblings: Vec<_> = ns
        .state
        .children(ifindex)
        .filter(|l| matches!(l.info, KindInfo::Macvlan { .. }))
        .collect();
    if let Some(pt) = siblings.iter().find(
        |l| matches!(l.info, KindInfo::Macvlan { mode: m, .. } if m == MacvlanMode::Passthru.bits()),
    ) {
        return Err(ValidationError::new(
            "--parent",
            parent,
            format!("has a passthru macvlan ({}): no other macvlan can share it", pt.name),
        ));
    }
    if mode == MacvlanMode::Passthru && !siblings.is_empty() {
        let names: Vec<&str> = siblings.iter().map(|l| l.name.as_str()).collect();
        return Err(ValidationError::new(
            "--mode",
            "passthru",
            format!(
                "{parent} already has macvlans ({}): passthru needs the parent to itself",
                names.join(", ")
            ),
        ));
    }
    Ok(())
}
