//! Checks of one input value each, against the rules of the kernel and the live
//! model; every error names the field (the CLI flag) and the value.

mod net;
mod segment;

use std::fmt;

use netstate::model::{Link, NsState};
use netstate::names;

pub use net::{
    addr_free, cidr, host_ip, ip, mac, prefix, route_free, route_present, same_family, unicast,
};
pub use segment::segment_free;

use crate::types::MacvlanMode;

/// An input the kernel would refuse, or that would not do what the user wants.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValidationError {
    /// The field, as the CLI flag that carries it (`--parent`).
    pub field: &'static str,
    /// The value as given.
    pub value: String,
    /// What is wrong, and what to do.
    pub reason: String,
}

impl ValidationError {
    /// An error about `field` = `value`.
    pub fn new(field: &'static str, value: impl Into<String>, reason: impl Into<String>) -> Self {
        ValidationError {
            field,
            value: value.into(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for ValidationError {
    /// `--parent eth9: no such interface in namespace host`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "{} (empty): {}", self.field, self.reason)
        } else {
            let shown: String = self
                .value
                .chars()
                .map(|c| {
                    if c.is_control() {
                        c.escape_default().to_string()
                    } else {
                        c.to_string()
                    }
                })
                .collect();
            write!(f, "{} {shown}: {}", self.field, self.reason)
        }
    }
}

/// This crate's result type.
pub type Result<T> = std::result::Result<T, ValidationError>;

/// One namespace of the live model, with the name plans use for it.
#[derive(Debug, Clone, Copy)]
pub struct NsView<'a> {
    /// `host`, or the name under `/run/netns`.
    pub name: &'a str,
    pub state: &'a NsState,
}

impl<'a> NsView<'a> {
    /// The namespace `name` with state `state`.
    pub fn new(name: &'a str, state: &'a NsState) -> Self {
        NsView { name, state }
    }

    /// The host namespace.
    pub fn host(state: &'a NsState) -> Self {
        NsView::new(crate::HOST, state)
    }
}

/// How a builder uses an existing link it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParentUse {
    /// Lower device of a macvlan/macvtap: an Ethernet device, not loopback.
    Macvlan,
    /// Lower device of a VLAN: an Ethernet device (a VLAN on a VLAN is fine).
    Vlan,
    /// Underlay of a VXLAN: any device.
    Underlay,
    /// The bridge a veth end becomes a port of.
    Bridge,
}

const IFF_LOOPBACK: u32 = 1 << 3;
const ARPHRD_ETHER: u16 = 1;
const IFNAMSIZ: usize = 16;

/// An interface name the kernel accepts: 1–15 bytes, no `/`, `:` or
/// whitespace, not `.` or `..`.
pub fn ifname(field: &'static str, name: &str) -> Result<()> {
    let err = |reason: String| Err(ValidationError::new(field, name, reason));
    if name.is_empty() {
        return err("an interface name cannot be empty".into());
    }
    if name.len() >= IFNAMSIZ {
        return err(format!(
            "is {} bytes long: the kernel takes at most {} (IFNAMSIZ); choose a shorter name",
            name.len(),
            IFNAMSIZ - 1
        ));
    }
    if name == "." || name == ".." {
        return err("\".\" and \"..\" cannot name an interface".into());
    }
    if let Some(c) = name
        .chars()
        .find(|&c| c == '/' || c == ':' || c.is_whitespace() || c == '\0')
    {
        return err(format!(
            "contains {c:?}: interface names cannot contain \"/\", \":\" or whitespace"
        ));
    }
    Ok(())
}

/// A namespace name `ip netns` accepts (no `/`, not `.`/`..`, at most 255
/// bytes); control characters are refused too, as no script could carry them.
pub fn netns_name(field: &'static str, name: &str) -> Result<()> {
    let err = |reason: &str| Err(ValidationError::new(field, name, reason));
    if name.is_empty() {
        return err("a namespace name cannot be empty");
    }
    if name.len() > 255 {
        return err("is longer than 255 bytes, the longest file name under /run/netns");
    }
    if name == "." || name == ".." || name.contains('/') {
        return err("a namespace name cannot contain \"/\" nor be \".\" or \"..\"");
    }
    if name.chars().any(char::is_control) {
        return err("contains a control character: choose a printable name");
    }
    Ok(())
}

/// The name is not taken in the namespace.
pub fn name_free(field: &'static str, name: &str, ns: NsView<'_>) -> Result<()> {
    match ns.state.link_by_name(name) {
        Some(l) => Err(ValidationError::new(
            field,
            name,
            format!(
                "already taken in namespace {} (ifindex {}): choose another name, or delete it first",
                ns.name, l.ifindex
            ),
        )),
        None => Ok(()),
    }
}

/// The named link exists in the namespace and fits the use.
pub fn parent<'a>(
    field: &'static str,
    name: &str,
    ns: NsView<'a>,
    usage: ParentUse,
) -> Result<&'a Link> {
    let link = ns.state.link_by_name(name).ok_or_else(|| {
        ValidationError::new(
            field,
            name,
            format!("no such interface in namespace {}", ns.name),
        )
    })?;
    let what = match usage {
        ParentUse::Macvlan => "a macvlan",
        ParentUse::Vlan => "a VLAN",
        ParentUse::Underlay | ParentUse::Bridge => "",
    };
    let err = |reason: String| Err(ValidationError::new(field, name, reason));
    match usage {
        ParentUse::Macvlan | ParentUse::Vlan if link.flags & IFF_LOOPBACK != 0 => {
            err(format!("is the loopback device: {what} needs an Ethernet parent"))
        }
        ParentUse::Macvlan | ParentUse::Vlan if link.link_type != ARPHRD_ETHER => err(format!(
            "is not an Ethernet device (link/{}): {what} needs an Ethernet parent",
            names::link_type(link.link_type)
        )),
        ParentUse::Underlay if link.kind.as_deref() == Some("vxlan") => err(
            "is a vxlan device: the underlay is the device carrying the route to the peers (e.g. eth0), not a vxlan"
                .into(),
        ),
        ParentUse::Bridge if link.kind.as_deref() != Some("bridge") => err(
            "is not a bridge: a veth end can only be made a port of a bridge; leave out --veth to attach a macvlan to an Ethernet parent"
                .into(),
        ),
        _ => Ok(link),
    }
}

/// A VLAN id, 1–4094 (0 and 4095 are reserved by 802.1Q).
pub fn vlan_id(field: &'static str, id: u32) -> Result<u16> {
    match u16::try_from(id) {
        Ok(v) if (1..=4094).contains(&v) => Ok(v),
        _ => Err(ValidationError::new(
            field,
            id.to_string(),
            "a VLAN id is 1 to 4094 (0 and 4095 are reserved)",
        )),
    }
}

/// A VXLAN network identifier, 0–16777215 (24 bits).
pub fn vni(field: &'static str, vni: u32) -> Result<u32> {
    if vni < 1 << 24 {
        Ok(vni)
    } else {
        Err(ValidationError::new(
            field,
            vni.to_string(),
            "a VNI is 24 bits: 0 to 16777215",
        ))
    }
}

/// A UDP port, 1–65535.
pub fn port(field: &'static str, port: u32) -> Result<u16> {
    match u16::try_from(port) {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(ValidationError::new(
            field,
            port.to_string(),
            "a UDP port is 1 to 65535",
        )),
    }
}

/// An MTU of 68–65535, and at most `limit` (the parent's MTU less any
/// encapsulation overhead) when there is one.
pub fn mtu(field: &'static str, mtu: u32, limit: Option<(u32, &str)>) -> Result<u32> {
    if !(68..=65535).contains(&mtu) {
        return Err(ValidationError::new(
            field,
            mtu.to_string(),
            "an MTU is 68 (the IPv4 minimum) to 65535",
        ));
    }
    match limit {
        Some((max, why)) if mtu > max => Err(ValidationError::new(
            field,
            mtu.to_string(),
            format!("is above {max}, {why}"),
        )),
        _ => Ok(mtu),
    }
}

/// A macvlan mode keyword.
pub fn mode(field: &'static str, s: &str) -> Result<MacvlanMode> {
    s.parse()
        .map_err(|e: String| ValidationError::new(field, s, e))
}
