//! `vlan`: an 802.1Q sub-interface (`eth0.100`), e.g. as the parent of a
//! second macvlan network.

use netstate::model::KindInfo;

use super::{derived_name, up_new};
use crate::kernel::KernelSupport;
use crate::plan::Plan;
use crate::step::{AddrSpec, LinkAdd, LinkChange, LinkKind, LinkSet, Step};
use crate::types::shell_quote as q;
use crate::types::VlanProtocol;
use crate::validate::{self, NsView, ParentUse, ValidationError};
use crate::Result;

/// The flags of `netlens vlan`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct VlanInput {
    /// The interface the VLAN sits on.
    #[arg(long, value_name = "IF")]
    pub parent: String,
    /// The VLAN id, 1-4094.
    #[arg(long, value_name = "N")]
    pub id: u32,
    /// The sub-interface's name; default PARENT.ID (the parent part cut to fit 15 bytes).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// An address for the sub-interface, as a CIDR.
    #[arg(long, value_name = "CIDR")]
    pub ip: Option<String>,
    /// Accept frames for other MACs (for macvlans on top of it).
    #[arg(long)]
    pub promisc: bool,
    /// The MTU, at most the parent's.
    #[arg(long, value_name = "N")]
    pub mtu: Option<u32>,
}

/// Builds the VLAN plan: link add vlan, [promisc on], [addr add], link set up.
pub fn vlan(ns: NsView<'_>, input: &VlanInput, support: &KernelSupport) -> Result<Plan> {
    let parent = validate::parent("--parent", &input.parent, ns, ParentUse::Vlan)?;
    let id = validate::vlan_id("--id", input.id)?;
    let kind = LinkKind::Vlan {
        parent: parent.name.clone(),
        id,
        protocol: VlanProtocol::Dot1Q,
    };
    support.check(&kind)?;
    if let Some(twin) = ns.state.children(parent.ifindex).find(|l| {
        matches!(l.info, KindInfo::Vlan { id: other, protocol, .. } if other == id && protocol == 0x8100)
    }) {
        return Err(ValidationError::new(
            "--id",
            id.to_string(),
            format!(
                "{} already has VLAN {id} ({}): the kernel allows one sub-interface per id",
                parent.name, twin.name
            ),
        ));
    }
    let name = match &input.name {
        Some(n) => n.clone(),
        None => derived_name("", &parent.name, &format!(".{id}")),
    };
    validate::ifname("--name", &name)?;
    validate::name_free("--name", &name, ns)?;
    let why = format!(
        "the MTU of {}: a VLAN cannot exceed its parent",
        parent.name
    );
    let mtu = input
        .mtu
        .map(|m| validate::mtu("--mtu", m, parent.mtu.map(|p| (p, why.as_str()))))
        .transpose()?;
    let ip = match &input.ip {
        Some(s) => {
            let net = validate::cidr("--ip", s)?;
            validate::addr_free("--ip", s, net.addr(), ns)?;
            Some(net)
        }
        None => None,
    };

    let mut steps = vec![Step::LinkAdd(LinkAdd {
        netns: ns.name.to_string(),
        name: name.clone(),
        kind,
        address: None,
        mtu,
    })];
    if input.promisc {
        steps.push(Step::LinkSet(LinkSet {
            netns: ns.name.to_string(),
            name: name.clone(),
            change: LinkChange::Promisc(true),
            previous: Some(LinkChange::Promisc(false)),
        }));
    }
    steps.extend(ip.map(|addr| Step::AddrAdd(AddrSpec::new(ns.name, name.clone(), addr))));
    steps.push(up_new(ns.name, &name));
    let title = format!("vlan {}: VLAN {id} on {}", q(&name), q(&parent.name));
    Ok(Plan::new(title, ns.name, steps))
}
