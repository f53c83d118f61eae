//! What a change brings with it unannounced: the watcher remembers a little of each link
//! and, from each change, notes what to read again (links, tables, devices' entries).

use std::collections::HashMap;

use crate::model::{Change, Link, NsState, Tables};
use crate::names;

/// What the watcher remembers of a link, to see the changes that bring silent ones with
/// them: up and carrier, MAC, and the link it hangs on (veth peer, macvlan parent) when that
/// is in this namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Seen {
    /// `IFF_UP | IFF_LOWER_UP` bits, and the operational state: the link watch sets the
    /// operstate as it marks routes linkdown, which may come after the carrier bit was
    /// already seen.
    pub(super) up: (u32, u8),
    mac: u64,
    local_parent: Option<u32>,
    /// `IFLA_LINK`, in whatever namespace: a link coming here may be what it names.
    parent: Option<u32>,
    /// Promiscuity and allmulti counts, master: a macvlan passes them on to its parent
    /// (a macvlan joining a bridge turns its parent promiscuous) unannounced.
    rx: (Option<u32>, Option<u32>, Option<u32>),
    /// Below 1280 IPv6 is off on the link: crossing it leaves or joins multicast groups.
    mtu: Option<u32>,
    /// A bridge's default PVID: changing it moves its ports' (and its own) default VLAN,
    /// announced only in `RTM_NEWVLAN` messages netlens does not read.
    pvid: Option<u16>,
    /// A vxlan device (see the FDB case in [`Followup::note`]).
    vxlan: bool,
}

const IFF_LOWER_UP: u32 = 0x1_0000;
/// What a link's up state is recorded as before its first event (see [`seed`]): no event
/// matches it, so the first one reads as a change.
pub(super) const SEEDED: (u32, u8) = (u32::MAX, u8::MAX);

/// `IF_OPER_UP`.
const IF_OPER_UP: u8 = 6;

/// Whether a link lost its up or carrier bit, or left the operational state up (unknown
/// before counts as down: its neighbours are read).
fn went_down(was: (u32, u8), now: (u32, u8)) -> bool {
    was == SEEDED || was.0 & !now.0 != 0 || (was.1 == IF_OPER_UP && now.1 != IF_OPER_UP)
}

impl Seen {
    pub(super) fn of(l: &Link) -> Seen {
        Seen {
            up: (
                l.flags & (names::IFF_UP | IFF_LOWER_UP),
                l.operstate.unwrap_or(0),
            ),
            mac: l
                .address
                .iter()
                .flatten()
                .fold(0, |acc, b| (acc << 8) | u64::from(*b)),
            local_parent: l
                .parent
                .filter(|p| *p != 0 && *p != l.ifindex && l.link_netnsid.is_none()),
            parent: l.parent.filter(|p| *p != 0 && *p != l.ifindex),
            rx: (l.promiscuity, l.allmulti, l.master),
            mtu: l.mtu,
            pvid: match &l.info {
                crate::model::KindInfo::Bridge(b) => b.vlan_default_pvid,
                _ => None,
            },
            vxlan: l.kind.as_deref() == Some("vxlan"),
        }
    }
}

/// The links of a snapshot as the watcher remembers them. A link is recorded up and with
/// carrier whatever it shows: the dump parts run at the same time, so the routes may have
/// been read before that link went down and the kernel flushed them without a word. Its
/// first event (the kernel queues it after the flush) then counts as a change and the
/// routes are read again; no timing is involved.
pub(super) fn seed(st: &NsState) -> HashMap<u32, Seen> {
    st.links
        .values()
        .map(|l| {
            let mut s = Seen::of(l);
            s.up = SEEDED;
            (l.ifindex, s)
        })
        .collect()
}

/// A vxlan device's own FDB entry announced without a destination. Linux 6.1 follows every
/// `bridge fdb add|append|replace|del … self` on a vxlan device with a generic message of
/// its own, without the destination, after the device's (`bridge monitor fdb` shows both),
/// and sends it for a delete that deleted nothing (a `dst` the entry does not have): such
/// a message is not applied, the table is read again instead.
pub(super) fn untrusted(c: &Change, seen: &HashMap<u32, Seen>) -> bool {
    own_entry(c).is_some_and(|f| seen.get(&f.ifindex).is_some_and(|s| s.vxlan))
}

/// An entry of a device's own FDB (`self`, not a bridge's) announced without a destination.
fn own_entry(c: &Change) -> Option<&crate::model::Fdb> {
    match c {
        Change::NewFdb(f) | Change::DelFdb(f)
            if f.master.is_none() && f.dst.is_none() && f.flags & crate::model::NTF_SELF != 0 =>
        {
            Some(f)
        }
        _ => None,
    }
}

/// What a batch of changes asks to read again.
#[derive(Default)]
pub(super) struct Followup {
    pub(super) tables: Tables,
    pub(super) links: Vec<u32>,
    /// Devices whose own FDB entries alone changed (multicast groups joined or left, a
    /// macvlan child's MAC on its parent): read by device, not the whole table.
    pub(super) fdb_of: Vec<u32>,
    /// Devices whose routes and neighbours alone changed (their state, carrier or MTU):
    /// read by device, not a host's whole tables.
    pub(super) routes_of: Vec<u32>,
    /// Devices whose neighbours alone changed (they went down: their entries flushed).
    pub(super) neighs_of: Vec<u32>,
    /// Devices whose carrier or state changed: their routes are read again once more
    /// after [`LINKWATCH_LATE`] too.
    pub(super) late: Vec<u32>,
}

impl Followup {
    /// Notes what `c` changes silently, given the links as they were before it. The link a
    /// link hangs on changes with it unannounced: a veth's peer when its other end comes or
    /// goes (moved to another namespace, the peer stays with a new `link-netnsid`); a
    /// macvlan's parent, whose own FDB holds the child's MAC and whose promiscuity count
    /// follows it.
    pub(super) fn note(&mut self, c: &Change, seen: &mut HashMap<u32, Seen>) {
        match c {
            Change::NewLink(l) => {
                let now = Seen::of(l);
                if let Some(was) = seen.insert(l.ifindex, now) {
                    {
                        if was.up != now.up {
                            // Down or carrier lost: routes flushed or marked linkdown,
                            // neighbours flushed, the link's multicast groups left or joined.
                            // Coming up adds no neighbour unannounced.
                            self.late.push(l.ifindex);
                            self.routes_of.push(l.ifindex);
                            if went_down(was.up, now.up) {
                                self.neighs_of.push(l.ifindex);
                            }
                            self.own_and_lower(l.ifindex, seen);
                        }
                        if was.mtu != now.mtu {
                            self.routes_of.push(l.ifindex);
                            self.own_and_lower(l.ifindex, seen);
                        }
                        if was.pvid != now.pvid {
                            self.tables.vlans = true;
                        }
                        // A bridge port's message that changes nothing we track may be its
                        // address set to the one it has (`ip link set P address A`): the
                        // bridge still handles it as a change and can move its local entry
                        // for A to the bridge itself, unannounced. A port leaving a bridge
                        // hands the bridge's local entry for its MAC to the bridge or to
                        // another port with the same MAC, unannounced. The port's and the
                        // bridge's own entries are read again; the whole table only when
                        // another port has the same MAC.
                        let moved = if was == now {
                            now.rx.2
                        } else {
                            was.rx.2.filter(|_| was.rx.2 != now.rx.2)
                        };
                        if let Some(bridge) = moved {
                            let twin = seen.iter().any(|(c, s)| {
                                *c != l.ifindex
                                    && *c != bridge
                                    && s.mac == now.mac
                                    && s.rx.2 == Some(bridge)
                            });
                            if twin {
                                self.tables.fdb = true;
                            } else {
                                self.fdb_of.extend([l.ifindex, bridge]);
                            }
                        } else if was.rx.2 != now.rx.2 {
                            // Joining: its local entries are announced; its own are read.
                            self.fdb_of.push(l.ifindex);
                        }
                        if was.mac != now.mac {
                            // Its local entry moves (in its own table, its bridge's, a
                            // macvlan's parent's), and a bridge follows its ports' MACs:
                            // those devices' entries are read again.
                            self.fdb_of.push(l.ifindex);
                            self.fdb_of.extend(now.rx.2);
                            self.fdb_of.extend(now.local_parent);
                            // A local entry for the old MAC is handed, unannounced, to a
                            // link of the same bridge that has it (and the new one taken
                            // from such a link): those links' entries too.
                            let bridge = now.rx.2.unwrap_or(l.ifindex);
                            self.fdb_of.extend(
                                seen.iter()
                                    .filter(|(c, x)| {
                                        **c != l.ifindex
                                            && (x.mac == was.mac || x.mac == now.mac)
                                            && (x.rx.2 == Some(bridge) || **c == bridge)
                                    })
                                    .map(|(c, _)| *c),
                            );
                            // A passthru macvlan takes its parent's new MAC unannounced.
                            self.children_of(l.ifindex, seen);
                        }
                        if was.up != now.up || was.mac != now.mac || was.rx != now.rx {
                            self.links.extend(now.local_parent);
                        }
                    }
                } else {
                    {
                        // A new link (or one moved in) joins multicast groups as it
                        // registers, up or not; links here that named it in another
                        // namespace now name it here.
                        self.links.extend(now.local_parent);
                        self.links.extend(
                            seen.iter()
                                .filter(|(c, s)| **c != l.ifindex && s.parent == Some(l.ifindex))
                                .map(|(c, _)| *c),
                        );
                        // Its own entries, and a macvlan's MAC and groups on its lower
                        // devices here.
                        self.fdb_of.push(l.ifindex);
                        self.own_and_lower(l.ifindex, seen);
                        self.fdb_of.extend(now.local_parent);
                        // A new bridge has its default VLAN, unannounced.
                        if l.kind.as_deref() == Some("bridge") {
                            self.tables.vlans = true;
                        }
                    }
                }
            }
            Change::DelLink(i) => {
                if let Some(was) = seen.remove(i) {
                    self.links.extend(was.local_parent);
                    // A macvlan's MAC leaves its parent's own table.
                    self.fdb_of.extend(was.local_parent);
                    // A bridge port's local entry is handed, unannounced, to a link of
                    // the bridge with the same MAC: then the whole table.
                    let bridge = was.rx.2;
                    if bridge.is_some()
                        && seen.iter().any(|(c, s)| {
                            s.mac == was.mac && (Some(*c) == bridge || s.rx.2 == bridge)
                        })
                    {
                        self.tables.fdb = true;
                    }
                }
                // If the link moved to another namespace, what hangs on it here (a veth
                // peer, macvlan children) now names it there: a new `link-netnsid`.
                self.children_of(*i, seen);
            }
            Change::NewFdb(f) | Change::DelFdb(f) if own_entry(c).is_some() => {
                // A device's own address list: a unicast MAC beyond its filter puts it in
                // promiscuous mode, which changes its promiscuity count unannounced.
                self.links.push(f.ifindex);
                // Not applied (see [`untrusted`]): the table says what the entry is.
                if untrusted(c, seen) {
                    self.tables.fdb = true;
                }
            }
            Change::DelAddr(a) if a.family == 2 => {
                self.tables.routes = true;
                self.own_and_lower(a.ifindex, seen);
            }
            // The address's multicast groups, in the link's own table and (a macvlan, a
            // vlan pass them down) in its lower devices'.
            Change::NewAddr(a) | Change::DelAddr(a) => self.own_and_lower(a.ifindex, seen),
            _ => {}
        }
    }

    /// Reads again the FDB entries of link `i` and of the devices below it here (its
    /// parent, the parent's parent…): multicast groups and MACs pass down the stack.
    fn own_and_lower(&mut self, i: u32, seen: &HashMap<u32, Seen>) {
        let mut at = Some(i);
        for _ in 0..4 {
            let Some(x) = at else { break };
            self.fdb_of.push(x);
            at = seen
                .get(&x)
                .and_then(|s| s.local_parent)
                .filter(|p| *p != x);
        }
    }

    /// Reads again the links that hang on link `i` here.
    fn children_of(&mut self, i: u32, seen: &HashMap<u32, Seen>) {
        self.links.extend(
            seen.iter()
                .filter(|(_, s)| s.local_parent == Some(i))
                .map(|(c, _)| *c),
        );
    }

    pub(super) fn any(&self) -> bool {
        self.tables.any()
            || !self.links.is_empty()
            || !self.fdb_of.is_empty()
            || !self.routes_of.is_empty()
            || !self.neighs_of.is_empty()
    }
}
