//! Guided actions: each validates its input (the CLI flags) against the live
//! model and returns a [`Plan`](crate::Plan).

mod args;
mod attach;
mod recreate;
mod route;
mod shim;
mod vlan;
mod vxlan;

pub use attach::{attach, AttachInput};
pub use recreate::recreate_vxlan;
pub use route::{route, RouteInput};
pub use shim::{shim, ShimInput};
pub use vlan::{vlan, VlanInput};
pub use vxlan::{vxlan, vxlan_peer, VxlanInput, VxlanPeerInput, DEFAULT_VXLAN_PORT};

use crate::step::{LinkChange, LinkSet, Step};
use crate::{KernelSupport, NsView, Plan, Result};

/// The guided actions and their inputs: the one definition the CLI (`netlens plan ACTION`,
/// its flags and help) and the UI's form (its fields, their help) are made from.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum ActionInput {
    /// Let the host reach its macvlan containers: a macvlan shim on the parent, a /32 on it
    /// and a host route per container.
    Shim(ShimInput),
    /// A VLAN sub-interface (needs the kernel's 8021q).
    Vlan(VlanInput),
    /// The local VTEP: a vxlan device with its overlay address (dstport always named).
    Vxlan(VxlanInput),
    /// One peer on an existing vxlan device: static ARP, FDB entry, routes.
    VxlanPeer(VxlanPeerInput),
    /// Give a namespace (created if missing) a macvlan or veth end, an address and a
    /// default route.
    Attach(AttachInput),
    /// One static route (`ip route add DST via GW dev DEV`), e.g. a pod's default route.
    Route(RouteInput),
}

impl ActionInput {
    /// The namespace `attach` acts on besides `ns` (its state is needed to build the plan).
    pub fn target_ns(&self) -> Option<&str> {
        match self {
            ActionInput::Attach(a) => Some(&a.target_ns),
            _ => None,
        }
    }

    /// Validates the input against the live state and builds the plan.
    pub fn build(
        &self,
        ns: NsView<'_>,
        target: Option<&netstate::NsState>,
        support: &KernelSupport,
    ) -> Result<Plan> {
        match self {
            ActionInput::Shim(i) => shim(ns, i, support),
            ActionInput::Vlan(i) => vlan(ns, i, support),
            ActionInput::Vxlan(i) => vxlan(ns, i, support),
            ActionInput::VxlanPeer(i) => vxlan_peer(ns, i),
            ActionInput::Attach(i) => attach(ns, target, i, support),
            ActionInput::Route(i) => route(ns, i),
        }
    }
}

/// The longest interface name the kernel takes.
const MAX_IFNAME: usize = 15;

/// `prefix` + `base` + `suffix`, `base` cut (at a character boundary) so the
/// whole fits in 15 bytes: `shim-enp0s31f6` and `eth0.100` stay whole,
/// `verylongname0.100` becomes `verylongnam.100`.
pub fn derived_name(prefix: &str, base: &str, suffix: &str) -> String {
    let room = MAX_IFNAME.saturating_sub(prefix.len() + suffix.len());
    let mut end = base.len().min(room);
    while !base.is_char_boundary(end) {
        end -= 1;
    }
    format!("{prefix}{}{suffix}", &base[..end])
}

/// `ip link set NAME up` on a link this plan created (it starts down).
fn up_new(netns: &str, name: &str) -> Step {
    Step::LinkSet(LinkSet {
        netns: netns.to_string(),
        name: name.to_string(),
        change: LinkChange::Up,
        previous: Some(LinkChange::Down),
    })
}

/// Fails when the same value was given twice for a repeatable flag.
fn no_repeat<T: PartialEq>(
    field: &'static str,
    value: &str,
    seen: &[T],
    v: &T,
) -> crate::Result<()> {
    if seen.contains(v) {
        Err(crate::ValidationError::new(
            field,
            value,
            "given twice: the second route would fail with \"File exists\"",
        ))
    } else {
        Ok(())
    }
}
