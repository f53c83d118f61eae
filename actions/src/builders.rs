//! Guided actions: each validates its input (the CLI flags) against the live
//! model and returns a [`Plan`](crate::Plan).

mod attach;
mod recreate;
mod shim;
mod vlan;
mod vxlan;

pub use attach::{attach, AttachInput};
pub use recreate::recreate_vxlan;
pub use shim::{shim, ShimInput};
pub use vlan::{vlan, VlanInput};
pub use vxlan::{vxlan, vxlan_peer, VxlanInput, VxlanPeerInput, DEFAULT_VXLAN_PORT};

use crate::step::{LinkChange, LinkSet, Step};

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
