//! Link steps: `ip link add`, `ip link set`, `ip link del`.

use std::net::IpAddr;

use netstate::model::{Link, NsState};
use netstate::names::{IFF_PROMISC, IFF_UP};
use serde::{Deserialize, Serialize};

use crate::types::{Mac, MacvlanMode, VlanProtocol, HOST};

/// `ip [-n NS] link add NAME [link PARENT] [address MAC] [mtu N] type KIND ...`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkAdd {
    /// The namespace the link is created in.
    pub netns: String,
    pub name: String,
    pub kind: LinkKind,
    /// `address MAC`: the new device's own MAC.
    pub address: Option<Mac>,
    /// `mtu N`.
    pub mtu: Option<u32>,
}

/// The kind of a new link and its kind-specific parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// `link PARENT type macvlan mode MODE`
    Macvlan { parent: String, mode: MacvlanMode },
    /// `link PARENT type macvtap mode MODE`
    Macvtap { parent: String, mode: MacvlanMode },
    /// `link PARENT type vlan id ID protocol 802.1Q|802.1ad`
    Vlan {
        parent: String,
        id: u16,
        protocol: VlanProtocol,
    },
    /// `type vxlan id VNI dstport PORT [local IP] [remote IP|group IP] [dev DEV] [ttl N] [no]learning`
    Vxlan(VxlanSpec),
    /// `type veth peer name PEER [netns PEER_NS]`
    Veth {
        peer: String,
        /// Where the peer is created; `None`: beside the first end.
        peer_netns: Option<String>,
    },
    /// `type bridge`
    Bridge,
}

impl LinkKind {
    /// The `type` keyword of `ip link add`.
    pub fn type_name(&self) -> &'static str {
        match self {
            LinkKind::Macvlan { .. } => "macvlan",
            LinkKind::Macvtap { .. } => "macvtap",
            LinkKind::Vlan { .. } => "vlan",
            LinkKind::Vxlan(_) => "vxlan",
            LinkKind::Veth { .. } => "veth",
            LinkKind::Bridge => "bridge",
        }
    }

    /// The lower device named by `link PARENT`, if the kind has one.
    pub fn parent(&self) -> Option<&str> {
        match self {
            LinkKind::Macvlan { parent, .. }
            | LinkKind::Macvtap { parent, .. }
            | LinkKind::Vlan { parent, .. } => Some(parent),
            _ => None,
        }
    }
}

/// VXLAN parameters. `dstport` is always rendered: the legacy kernel default
/// (8472) differs from the IANA port (4789), and peers on different ports never
/// hear each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VxlanSpec {
    /// The VNI (`id`).
    pub id: u32,
    pub dstport: u16,
    pub local: Option<IpAddr>,
    pub remote: Option<VxlanRemote>,
    /// The underlay device (`dev`).
    pub dev: Option<String>,
    pub learning: bool,
    pub ttl: Option<u8>,
    /// The rest of what `ip link add … type vxlan` can set (what `recreate` reads back).
    #[serde(default)]
    pub more: VxlanMore,
}

/// VXLAN options beyond the common ones, each rendered only when set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[allow(
    clippy::struct_excessive_bools,
    reason = "one per ip-link vxlan switch"
)]
pub struct VxlanMore {
    /// `ttl inherit`.
    pub ttl_inherit: bool,
    /// `tos 0xNN` (1: `tos inherit`).
    pub tos: Option<u8>,
    /// `srcport MIN MAX`.
    pub srcport: Option<(u16, u16)>,
    /// `ageing SECS`.
    pub ageing: Option<u32>,
    /// `maxaddress N` (0: unlimited, not rendered).
    pub maxaddress: Option<u32>,
    pub proxy: bool,
    pub rsc: bool,
    pub l2miss: bool,
    pub l3miss: bool,
    /// `external` (collect metadata).
    pub external: bool,
    /// `udpcsum` / `noudpcsum`.
    pub udpcsum: Option<bool>,
    /// `udp6zerocsumtx` / `noudp6zerocsumtx`.
    pub udp6zerocsumtx: Option<bool>,
    /// `udp6zerocsumrx` / `noudp6zerocsumrx`.
    pub udp6zerocsumrx: Option<bool>,
}

/// Where a VXLAN device sends frames with no FDB entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VxlanRemote {
    /// `remote IP`: one unicast peer.
    Remote(IpAddr),
    /// `group IP`: a multicast group (needs `dev`).
    Group(IpAddr),
}

/// `ip [-n NS] link set NAME CHANGE`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkSet {
    pub netns: String,
    pub name: String,
    pub change: LinkChange,
    /// The same attribute's value before the change, read from the model; the
    /// inverse sets it back. Not needed for `Netns` and `Name`, whose inverse
    /// follows from the step itself.
    pub previous: Option<LinkChange>,
}

/// One attribute `ip link set` changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkChange {
    /// `up`
    Up,
    /// `down`
    Down,
    /// `promisc on|off`
    Promisc(bool),
    /// `master BRIDGE`
    Master(String),
    /// `nomaster`
    NoMaster,
    /// `netns NS` (`netns 1` for the host)
    Netns(String),
    /// `mtu N`
    Mtu(u32),
    /// `address MAC`
    Address(Mac),
    /// `name NEW`
    Name(String),
}

impl LinkChange {
    /// The `ip link set` words of this change.
    pub fn args(&self) -> Vec<String> {
        let words: Vec<String> = match self {
            LinkChange::Up => vec!["up".into()],
            LinkChange::Down => vec!["down".into()],
            LinkChange::Promisc(on) => vec!["promisc".into(), on_off(*on).into()],
            LinkChange::Master(m) => vec!["master".into(), m.clone()],
            LinkChange::NoMaster => vec!["nomaster".into()],
            LinkChange::Netns(ns) => vec!["netns".into(), netns_arg(ns)],
            LinkChange::Mtu(m) => vec!["mtu".into(), m.to_string()],
            LinkChange::Address(a) => vec!["address".into(), a.to_string()],
            LinkChange::Name(n) => vec!["name".into(), n.clone()],
        };
        words
    }

    /// The value `link` has now for the attribute this change sets, so that a
    /// builder can record it as the step's `previous`.
    pub fn current(&self, link: &Link, ns: &NsState) -> Option<LinkChange> {
        match self {
            LinkChange::Up | LinkChange::Down => Some(if link.flags & IFF_UP != 0 {
                LinkChange::Up
            } else {
                LinkChange::Down
            }),
            LinkChange::Promisc(_) => Some(LinkChange::Promisc(link.flags & IFF_PROMISC != 0)),
            LinkChange::Master(_) | LinkChange::NoMaster => Some(match link.master {
                Some(m) => LinkChange::Master(ns.link_name(m)?.to_string()),
                None => LinkChange::NoMaster,
            }),
            LinkChange::Mtu(_) => link.mtu.map(LinkChange::Mtu),
            LinkChange::Address(_) => {
                Mac::from_bytes(link.address.as_deref()?).map(LinkChange::Address)
            }
            LinkChange::Netns(_) | LinkChange::Name(_) => None,
        }
    }
}

/// `ip [-n NS] link del NAME`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkDel {
    pub netns: String,
    pub name: String,
    /// How to create the link again; `None` when unknown (then no inverse).
    pub previous: Option<LinkAdd>,
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// `ip` names the host namespace by a process in it: PID 1.
pub(crate) fn netns_arg(ns: &str) -> String {
    if ns == HOST {
        "1".into()
    } else {
        ns.into()
    }
}

impl LinkAdd {
    /// The words after `ip [-n NS]`.
    pub fn args(&self) -> Vec<String> {
        // `name NAME`, never a bare NAME: `ip` would read a link named `up` or `type` as a
        // keyword.
        let mut a: Vec<String> = vec![
            "link".into(),
            "add".into(),
            "name".into(),
            self.name.clone(),
        ];
        if let Some(parent) = self.kind.parent() {
            a.extend(["link".into(), parent.to_string()]);
        }
        if let Some(mac) = self.address {
            a.extend(["address".into(), mac.to_string()]);
        }
        if let Some(mtu) = self.mtu {
            a.extend(["mtu".into(), mtu.to_string()]);
        }
        a.extend(["type".into(), self.kind.type_name().into()]);
        match &self.kind {
            LinkKind::Macvlan { mode, .. } | LinkKind::Macvtap { mode, .. } => {
                a.extend(["mode".into(), mode.as_str().into()]);
            }
            LinkKind::Vlan { id, protocol, .. } => {
                a.extend([
                    "id".into(),
                    id.to_string(),
                    "protocol".into(),
                    protocol.as_str().into(),
                ]);
            }
            LinkKind::Vxlan(v) => a.extend(vxlan_args(v)),
            LinkKind::Veth { peer, peer_netns } => {
                a.extend(["peer".into(), "name".into(), peer.clone()]);
                if let Some(ns) = peer_netns {
                    a.extend(["netns".into(), netns_arg(ns)]);
                }
            }
            LinkKind::Bridge => {}
        }
        a
    }

    /// `link del` of this link, remembering how to create it again.
    pub fn inverse(&self) -> LinkDel {
        LinkDel {
            netns: self.netns.clone(),
            name: self.name.clone(),
            previous: Some(self.clone()),
        }
    }
}

fn vxlan_args(v: &VxlanSpec) -> Vec<String> {
    let mut a: Vec<String> = vec![
        "id".into(),
        v.id.to_string(),
        "dstport".into(),
        v.dstport.to_string(),
    ];
    if let Some(local) = v.local {
        a.extend(["local".into(), local.to_string()]);
    }
    match v.remote {
        Some(VxlanRemote::Remote(ip)) => a.extend(["remote".into(), ip.to_string()]),
        Some(VxlanRemote::Group(ip)) => a.extend(["group".into(), ip.to_string()]),
        None => {}
    }
    if let Some(dev) = &v.dev {
        a.extend(["dev".into(), dev.clone()]);
    }
    if v.more.ttl_inherit {
        a.extend(["ttl".into(), "inherit".into()]);
    } else if let Some(ttl) = v.ttl {
        a.extend(["ttl".into(), ttl.to_string()]);
    }
    let m = &v.more;
    match m.tos {
        Some(1) => a.extend(["tos".into(), "inherit".into()]),
        Some(t) => a.extend(["tos".into(), format!("{t:#04x}")]),
        None => {}
    }
    if let Some((lo, hi)) = m.srcport {
        a.extend(["srcport".into(), lo.to_string(), hi.to_string()]);
    }
    if let Some(s) = m.ageing {
        a.extend(["ageing".into(), s.to_string()]);
    }
    if let Some(n) = m.maxaddress.filter(|&n| n != 0) {
        a.extend(["maxaddress".into(), n.to_string()]);
    }
    for (on, word) in [
        (m.proxy, "proxy"),
        (m.rsc, "rsc"),
        (m.l2miss, "l2miss"),
        (m.l3miss, "l3miss"),
        (m.external, "external"),
    ] {
        if on {
            a.push(word.into());
        }
    }
    for (v, word) in [
        (m.udpcsum, "udpcsum"),
        (m.udp6zerocsumtx, "udp6zerocsumtx"),
        (m.udp6zerocsumrx, "udp6zerocsumrx"),
    ] {
        match v {
            Some(true) => a.push(word.into()),
            Some(false) => a.push(format!("no{word}")),
            None => {}
        }
    }
    a.push(if v.learning { "learning" } else { "nolearning" }.into());
    a
}

impl LinkSet {
    /// A change whose `previous` is read from the live link.
    pub fn from_model(netns: &str, link: &Link, ns: &NsState, change: LinkChange) -> LinkSet {
        LinkSet {
            netns: netns.to_string(),
            name: link.name.clone(),
            previous: change.current(link, ns),
            change,
        }
    }

    /// The words after `ip [-n NS]`.
    pub fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec!["link".into(), "set".into(), "dev".into(), self.name.clone()];
        a.extend(self.change.args());
        a
    }

    /// The change that sets the attribute back; `None` when the previous value
    /// is unknown or equal to the new one.
    pub fn inverse(&self) -> Option<LinkSet> {
        match &self.change {
            LinkChange::Netns(target) => Some(LinkSet {
                netns: target.clone(),
                name: self.name.clone(),
                change: LinkChange::Netns(self.netns.clone()),
                previous: None,
            }),
            LinkChange::Name(new) => Some(LinkSet {
                netns: self.netns.clone(),
                name: new.clone(),
                change: LinkChange::Name(self.name.clone()),
                previous: None,
            }),
            change => {
                let prev = self.previous.clone().filter(|p| p != change)?;
                Some(LinkSet {
                    netns: self.netns.clone(),
                    name: self.name.clone(),
                    change: prev,
                    previous: Some(change.clone()),
                })
            }
        }
    }
}
