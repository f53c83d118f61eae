//! Where a frame goes on this host: from the device that sends it, through veth pairs,
//! bridges, macvlan and vlan devices, in every namespace, to the links whose namespace
//! receives it, the devices where it leaves the host or is encapsulated, and the places it
//! is stopped, each with the reason (a link down, a macvlan and its parent, a bridge port
//! not forwarding…). An address is reached only if a link that holds it receives the frame:
//! addresses repeated in isolated copies of a segment never meet.
//!
//! [`Fabric::new`] indexes the inventory once (linear in links); each [`Fabric::reach`]
//! costs what it visits.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

use crate::consts::{
    BR_STATE_FORWARDING, IFF_LOOPBACK, IFF_LOWER_UP, IFF_UP, MACVLAN_MODE_BRIDGE,
    MACVLAN_MODE_PASSTHRU,
};
use crate::inventory::{Inventory, NsEntry};
use crate::model::{KindInfo, Link};
use crate::netns::NsId;

mod reach;

pub use reach::{Pass, Reach, Start};

/// A link, by namespace and ifindex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkAt {
    pub ns: NsId,
    pub ifindex: u32,
}

/// Why a frame did not get to a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// The link is administratively down.
    AdminDown,
    /// The link is up but has no carrier (a veth whose peer is down, a macvlan whose
    /// parent is down).
    NoCarrier,
    /// A macvlan child sends: its parent never receives it (the kernel does not pass
    /// frames between a macvlan and its lower device).
    ChildToParent { mode: u32 },
    /// The parent sends: its macvlan children never receive it.
    ParentToChild { mode: u32 },
    /// Two macvlan children of one parent whose modes do not let them talk (private,
    /// vepa without a hairpinning switch, mixed modes).
    Siblings { from_mode: u32, to_mode: u32 },
    /// A bridge port that does not forward (STP state: disabled, listening, learning,
    /// blocking).
    PortState(u8),
    /// Both bridge ports are isolated.
    Isolated,
    /// A tagged frame arrives on a device without a VLAN sub-interface for its tag.
    NoVlan(u16),
    /// The other end (veth peer, parent) is in a namespace netlens has not read.
    OtherEndUnknown,
}

/// Where and why a frame stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stop {
    /// The link the frame did not get to (or could not leave).
    pub at: LinkAt,
    /// The link it came from, when another one.
    pub from: Option<LinkAt>,
    pub why: Why,
}

/// The inventory, indexed for following frames.
pub struct Fabric<'a> {
    pub inv: &'a Inventory,
    pos: HashMap<NsId, usize>,
    /// Upper devices (macvlan, macvtap, vlan, ipvlan) of each link, wherever they live.
    uppers: HashMap<LinkAt, Vec<LinkAt>>,
    /// Ports of each bridge.
    ports: HashMap<LinkAt, Vec<LinkAt>>,
    /// Links that hold each address.
    holders: HashMap<IpAddr, Vec<LinkAt>>,
}

impl<'a> Fabric<'a> {
    /// Indexes `inv` (once per question; linear in its links and addresses).
    pub fn new(inv: &'a Inventory) -> Fabric<'a> {
        let pos = inv
            .namespaces
            .iter()
            .enumerate()
            .map(|(i, e)| (e.info.id, i))
            .collect();
        let mut f = Fabric {
            inv,
            pos,
            uppers: HashMap::new(),
            ports: HashMap::new(),
            holders: HashMap::new(),
        };
        for e in &inv.namespaces {
            for l in e.state.links.values() {
                let at = LinkAt {
                    ns: e.info.id,
                    ifindex: l.ifindex,
                };
                if let Some(m) = l.master {
                    f.ports
                        .entry(LinkAt {
                            ns: at.ns,
                            ifindex: m,
                        })
                        .or_default()
                        .push(at);
                }
                if is_upper(l) {
                    if let Some(Ok(p)) = f.other_end_of(e, l) {
                        f.uppers.entry(p).or_default().push(at);
                    }
                }
            }
            for a in e.state.addrs.values() {
                if let Some(ip) = a.local.or(a.address) {
                    f.holders.entry(ip).or_default().push(LinkAt {
                        ns: e.info.id,
                        ifindex: a.ifindex,
                    });
                }
            }
        }
        f
    }

    /// The namespace `id`.
    pub fn entry(&self, id: NsId) -> Option<&'a NsEntry> {
        self.pos.get(&id).and_then(|i| self.inv.namespaces.get(*i))
    }

    /// The link at `at`.
    pub fn link(&self, at: LinkAt) -> Option<&'a Link> {
        self.entry(at.ns)?.state.links.get(&at.ifindex)
    }

    /// `eth0@node1` (`if7@node1` for a link not in the model).
    pub fn label(&self, at: LinkAt) -> String {
        let ns = self
            .entry(at.ns)
            .map_or_else(|| "?".into(), |e| e.info.label());
        match self.link(at) {
            Some(l) => format!("{}@{ns}", l.name),
            None => format!("if{}@{ns}", at.ifindex),
        }
    }

    /// `eth0 in node1`, for sentences.
    pub fn describe(&self, at: LinkAt) -> String {
        let ns = self
            .entry(at.ns)
            .map_or_else(|| "?".into(), |e| e.info.label());
        match self.link(at) {
            Some(l) => format!("{} in {ns}", l.name),
            None => format!("if{} in {ns}", at.ifindex),
        }
    }

    /// The links that hold `ip`, on this host.
    pub fn holders(&self, ip: IpAddr) -> &[LinkAt] {
        self.holders.get(&ip).map_or(&[], Vec::as_slice)
    }

    /// The upper devices (macvlan, vlan…) of `at`, wherever they live.
    pub fn uppers(&self, at: LinkAt) -> &[LinkAt] {
        self.uppers.get(&at).map_or(&[], Vec::as_slice)
    }

    /// The ports of bridge `at`.
    pub fn ports(&self, at: LinkAt) -> &[LinkAt] {
        self.ports.get(&at).map_or(&[], Vec::as_slice)
    }

    /// The veth peer or lower device of `at`: `None` when it has none, `Err` when it is in
    /// a namespace netlens does not know.
    pub fn other_end(&self, at: LinkAt) -> Option<Result<LinkAt, ()>> {
        let e = self.entry(at.ns)?;
        self.other_end_of(e, e.state.links.get(&at.ifindex)?)
    }

    fn other_end_of(&self, e: &NsEntry, l: &Link) -> Option<Result<LinkAt, ()>> {
        let p = l.parent.filter(|p| *p != 0)?;
        if matches!(l.info, KindInfo::Vxlan(_)) {
            return None;
        }
        Some(match (l.link_netnsid, &l.link_netns) {
            (None, _) => Ok(LinkAt {
                ns: e.info.id,
                ifindex: p,
            }),
            (Some(_), Some(r)) if self.pos.contains_key(&r.id) => Ok(LinkAt {
                ns: r.id,
                ifindex: p,
            }),
            (Some(_), _) => Err(()),
        })
    }

    /// Where a frame sent as `start` says goes (see [`Reach`]).
    pub fn reach(&self, start: Start) -> Reach {
        reach::run(self, start)
    }

    /// The links whose namespace receives a frame sent as `start` says.
    pub fn segment(&self, start: Start) -> HashSet<LinkAt> {
        self.reach(start).delivered.into_iter().collect()
    }

    /// The links next to `at` at L2, whatever the direction and state: its veth peer, its
    /// bridge or ports, its macvlan/ipvlan lower device and uppers (not VLANs: a tag is
    /// another broadcast domain).
    fn neighbours(&self, at: LinkAt) -> Vec<LinkAt> {
        let mut v = Vec::new();
        let Some(l) = self.link(at) else { return v };
        if let Some(m) = l.master {
            v.push(LinkAt {
                ns: at.ns,
                ifindex: m,
            });
        }
        v.extend(self.ports(at).iter().copied());
        let frames = |x: &Link| {
            x.kind.as_deref() == Some("veth")
                || matches!(x.info, KindInfo::Macvlan { .. } | KindInfo::Ipvlan { .. })
        };
        if frames(l) {
            if let Some(Ok(o)) = self.other_end(at) {
                v.push(o);
            }
        }
        v.extend(self.uppers(at).iter().copied().filter(|u| {
            self.link(*u)
                .is_some_and(|x| !matches!(x.info, KindInfo::Vlan { .. }))
        }));
        v
    }

    /// The broadcast domain of `at`: every link a chain of veth pairs, bridges and macvlan
    /// lower/upper devices joins it to, whatever their state. Two holders of one address
    /// in one domain both answer ARP for it (to a third party if not to each other).
    pub fn domain(&self, at: LinkAt) -> HashSet<LinkAt> {
        let mut seen = HashSet::from([at]);
        let mut todo = vec![at];
        while let Some(x) = todo.pop() {
            for n in self.neighbours(x) {
                if seen.insert(n) {
                    todo.push(n);
                }
            }
        }
        seen
    }

    /// Every link's broadcast domain, as the number of the domain (linear in links).
    pub fn domains(&self) -> HashMap<LinkAt, usize> {
        let mut out: HashMap<LinkAt, usize> = HashMap::new();
        let mut next = 0;
        for e in &self.inv.namespaces {
            for i in e.state.links.keys() {
                let at = LinkAt {
                    ns: e.info.id,
                    ifindex: *i,
                };
                if out.contains_key(&at) {
                    continue;
                }
                for x in self.domain(at) {
                    out.insert(x, next);
                }
                next += 1;
            }
        }
        out
    }
}

/// Administratively up.
pub fn is_up(l: &Link) -> bool {
    l.flags & IFF_UP != 0
}

/// Up with carrier (loopback needs none).
pub fn has_carrier(l: &Link) -> bool {
    l.flags & IFF_LOWER_UP != 0 || l.flags & IFF_LOOPBACK != 0
}

/// A device stacked on another that receives the lower device's frames: macvlan,
/// macvtap, vlan, ipvlan.
fn is_upper(l: &Link) -> bool {
    matches!(
        l.info,
        KindInfo::Macvlan { .. } | KindInfo::Vlan { .. } | KindInfo::Ipvlan { .. }
    )
}

/// The macvlan mode of `l` (`None` for any other kind).
pub fn macvlan_mode(l: &Link) -> Option<u32> {
    match l.info {
        KindInfo::Macvlan { mode, .. } => Some(mode),
        _ => None,
    }
}

/// Whether two macvlan siblings with these modes exchange frames inside the kernel.
pub fn siblings_talk(a: u32, b: u32) -> bool {
    a == MACVLAN_MODE_BRIDGE && b == MACVLAN_MODE_BRIDGE
}

/// Whether a bridge port in STP state `s` forwards (no state: a bridge without STP).
pub fn forwards(s: Option<u8>) -> bool {
    s.is_none_or(|s| s == BR_STATE_FORWARDING)
}

/// Whether `l` is a passthru macvlan (it takes over its parent).
pub fn passthru(l: &Link) -> bool {
    macvlan_mode(l) == Some(MACVLAN_MODE_PASSTHRU)
}
