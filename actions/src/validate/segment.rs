//! An address a plan gives is held by nobody on the L2 segment it joins: the same segment
//! the trace follows ([`netstate::l2`]), across every namespace of the host. A shim given
//! its container's own address answers ARP for the container and reaches only itself.

use std::net::IpAddr;

use ipnet::IpNet;
use netstate::inventory::Inventory;
use netstate::l2::{Fabric, LinkAt};
use netstate::NsId;

use super::{Result, ValidationError};
use crate::builders::ActionInput;

/// The address `input` gives (with its flag and value as typed), and the link whose
/// broadcast domain it joins, named in namespace `ns`.
fn joins(input: &ActionInput) -> Option<(&'static str, &str, &str)> {
    match input {
        ActionInput::Shim(i) => Some(("--ip", i.ip.as_deref()?, i.parent.as_str())),
        ActionInput::Attach(i) => Some(("--ip", i.ip.as_str(), i.parent.as_str())),
        _ => None,
    }
}

fn addr_of(value: &str) -> Option<IpAddr> {
    value
        .parse::<IpNet>()
        .map(|n| n.addr())
        .or_else(|_| value.parse::<IpAddr>())
        .ok()
}

/// Refuses `input` when the address it gives is held by a link on the broadcast domain of
/// the device it joins (its parent, or the bridge a veth end joins), in any namespace of
/// `inv`; `ns` is the namespace the plan acts in.
pub fn segment_free(input: &ActionInput, ns: NsId, inv: &Inventory) -> Result<()> {
    let Some((field, value, parent)) = joins(input) else {
        return Ok(());
    };
    let Some(ip) = addr_of(value) else {
        return Ok(());
    };
    let f = Fabric::new(inv);
    let Some(e) = f.entry(ns) else { return Ok(()) };
    let Some(p) = e.state.link_by_name(parent) else {
        return Ok(());
    };
    let at = LinkAt {
        ns,
        ifindex: p.ifindex,
    };
    let domain = f.domain(at);
    let Some(h) = f.holders(ip).iter().find(|h| domain.contains(h)) else {
        return Ok(());
    };
    Err(ValidationError::new(
        field,
        value,
        format!(
            "{ip} is already held by {}, on the L2 segment of {parent}: both would answer ARP for it; choose an address nobody on the segment holds",
            f.describe(*h)
        ),
    ))
}
