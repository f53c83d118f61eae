//! The walk itself: a breadth-first search over what a frame does at each device.

use std::collections::{HashMap, HashSet, VecDeque};

use super::{
    forwards, has_carrier, is_up, macvlan_mode, passthru, siblings_talk, Fabric, LinkAt, Stop, Why,
};
use crate::consts::{IFF_LOOPBACK, MACVLAN_MODE_BRIDGE, MACVLAN_MODE_PASSTHRU};
use crate::model::{KindInfo, Link};

/// Where a frame starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// `at` sends it (the egress device of a route).
    Send(LinkAt),
    /// It arrives on `at` from its medium (a vxlan device decapsulating).
    Arrive(LinkAt),
    /// A macvlan child of `parent` in `mode` that does not exist yet sends it (a plan's
    /// shim or attach).
    NewMacvlan { parent: LinkAt, mode: u32 },
    /// A new port of bridge `bridge` sends it (a plan's veth end on a bridge).
    NewPort { bridge: LinkAt },
}

type Tag = Option<u16>;

/// What happens to a frame at one link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Node {
    /// The device sends the frame.
    Tx(LinkAt, Tag),
    /// The frame goes onto the device's medium (its peer, its ports, the wire).
    Wire(LinkAt, Tag),
    /// The frame arrives on the device from its medium.
    Rx(LinkAt, Tag),
    /// The device hands the frame up: to its namespace, or to its upper devices.
    Up(LinkAt, Tag),
    /// The device's namespace receives the frame.
    Deliver(LinkAt),
}

impl Node {
    fn at(self) -> LinkAt {
        match self {
            Node::Tx(a, _)
            | Node::Wire(a, _)
            | Node::Rx(a, _)
            | Node::Up(a, _)
            | Node::Deliver(a) => a,
        }
    }
}

/// How the frame got to a link on its way (see [`Reach::path`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// Sent by the link.
    Sent,
    /// Put on the link's medium (a lower device, a bridge port sending out).
    Out,
    /// Arrived on the link.
    In,
    /// Received by the link's namespace.
    Delivered,
}

/// Where a frame went.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// The links whose namespace received the frame, nearest first.
    pub delivered: Vec<LinkAt>,
    /// Devices through which it leaves the host (a NIC, a device netlens cannot follow).
    pub exits: Vec<LinkAt>,
    /// vxlan devices that encapsulate it.
    pub encapsulated: Vec<LinkAt>,
    /// Where it was stopped, and why (each place once).
    pub stops: Vec<Stop>,
    prev: HashMap<Node, Node>,
}

impl Reach {
    /// Whether `at`'s namespace received the frame through `at`.
    pub fn delivers(&self, at: LinkAt) -> bool {
        self.prev.contains_key(&Node::Deliver(at))
    }

    /// The links the frame passed to be delivered at `to` (or to leave through it), from
    /// the start: each link once, with how the frame passed it.
    pub fn path(&self, to: LinkAt) -> Vec<(LinkAt, Pass)> {
        let end = [Node::Deliver(to), Node::Wire(to, None), Node::Tx(to, None)]
            .into_iter()
            .find(|n| self.prev.contains_key(n));
        let mut v = Vec::new();
        let mut n = end;
        let mut guard = 0;
        while let Some(x) = n {
            let pass = match x {
                Node::Tx(..) => Pass::Sent,
                Node::Wire(..) => Pass::Out,
                Node::Rx(..) | Node::Up(..) => Pass::In,
                Node::Deliver(_) => Pass::Delivered,
            };
            match v.last_mut() {
                Some((a, p)) if *a == x.at() => {
                    // Keep the earliest way the frame met this link, but a delivery wins.
                    if *p != Pass::Delivered {
                        *p = pass;
                    }
                }
                _ => v.push((x.at(), pass)),
            }
            n = self.prev.get(&x).copied().filter(|p| *p != x);
            guard += 1;
            if guard > 100_000 {
                break;
            }
        }
        v.reverse();
        v
    }

    /// Why the frame did not get to `at`, if it was stopped there.
    pub fn stop_at(&self, at: LinkAt) -> Option<&Stop> {
        self.stops.iter().find(|s| s.at == at)
    }
}

struct Walk<'f, 'a> {
    f: &'f Fabric<'a>,
    r: Reach,
    queue: VecDeque<Node>,
    stopped: HashSet<(LinkAt, u8)>,
}

impl Walk<'_, '_> {
    fn go(&mut self, from: Option<Node>, to: Node) {
        if self.r.prev.contains_key(&to) {
            return;
        }
        self.r.prev.insert(to, from.unwrap_or(to));
        self.queue.push_back(to);
    }

    fn stop(&mut self, at: LinkAt, from: Option<LinkAt>, why: Why) {
        let tag = match why {
            Why::AdminDown | Why::NoCarrier => 0,
            Why::ChildToParent { .. } => 1,
            Why::ParentToChild { .. } => 2,
            Why::Siblings { .. } => 3,
            Why::PortState(_) => 4,
            Why::Isolated => 5,
            Why::NoVlan(_) => 6,
            Why::OtherEndUnknown => 7,
        };
        if self.stopped.insert((at, tag)) {
            self.r.stops.push(Stop { at, from, why });
        }
    }

    /// The link at `at` when it can pass a frame; else the stop is noted.
    fn usable(&mut self, at: LinkAt, from: Option<LinkAt>) -> Option<&Link> {
        let l = self.f.link(at)?;
        if !is_up(l) {
            self.stop(at, from, Why::AdminDown);
            return None;
        }
        if !has_carrier(l) {
            self.stop(at, from, Why::NoCarrier);
            return None;
        }
        Some(l)
    }

    fn other_end(&mut self, at: LinkAt) -> Option<LinkAt> {
        if let Ok(o) = self.f.other_end(at)? {
            Some(o)
        } else {
            self.stop(at, None, Why::OtherEndUnknown);
            None
        }
    }

    /// Out of bridge port `q`, if it forwards.
    fn out_port(&mut self, n: Node, q: LinkAt, tag: Tag) {
        let state = self
            .f
            .link(q)
            .and_then(|l| l.port_info.as_ref())
            .and_then(|p| p.state);
        if forwards(state) {
            self.go(Some(n), Node::Wire(q, tag));
        } else {
            self.stop(q, Some(n.at()), Why::PortState(state.unwrap_or(0)));
        }
    }

    /// A macvlan child of `parent` in `mode`, at `me` (if it exists), sends.
    fn macvlan_sends(
        &mut self,
        n: Option<Node>,
        me: Option<LinkAt>,
        parent: LinkAt,
        mode: u32,
        tag: Tag,
    ) {
        if mode != MACVLAN_MODE_PASSTHRU {
            self.stop(parent, me, Why::ChildToParent { mode });
            let sibs: Vec<LinkAt> = self.f.uppers(parent).to_vec();
            for s in sibs.into_iter().filter(|s| Some(*s) != me) {
                let Some(sm) = self.f.link(s).and_then(macvlan_mode) else {
                    continue;
                };
                if siblings_talk(mode, sm) {
                    self.go(n, Node::Rx(s, tag));
                } else {
                    self.stop(
                        s,
                        me,
                        Why::Siblings {
                            from_mode: mode,
                            to_mode: sm,
                        },
                    );
                }
            }
        }
        self.go(n, Node::Wire(parent, tag));
    }

    fn step(&mut self, n: Node) {
        match n {
            Node::Tx(at, tag) => self.tx(n, at, tag),
            Node::Wire(at, tag) => self.wire(n, at, tag),
            Node::Rx(at, tag) => self.rx(n, at, tag),
            Node::Up(at, tag) => self.up(n, at, tag),
            Node::Deliver(at) => self.r.delivered.push(at),
        }
    }

    fn tx(&mut self, n: Node, at: LinkAt, tag: Tag) {
        let Some(l) = self.usable(at, None) else {
            return;
        };
        let (info, flags, kind) = (l.info.clone(), l.flags, l.kind.clone());
        // A device's own frames never reach its macvlan children.
        let kids: Vec<LinkAt> = self.f.uppers(at).to_vec();
        for k in kids {
            if let Some(mode) = self.f.link(k).and_then(macvlan_mode) {
                self.stop(k, Some(at), Why::ParentToChild { mode });
            }
        }
        if flags & IFF_LOOPBACK != 0 {
            self.go(Some(n), Node::Deliver(at));
            return;
        }
        match info {
            KindInfo::Macvlan { mode, .. } => {
                if let Some(p) = self.other_end(at) {
                    self.macvlan_sends(Some(n), Some(at), p, mode, tag);
                }
            }
            KindInfo::Ipvlan { .. } => {
                if let Some(p) = self.other_end(at) {
                    self.macvlan_sends(Some(n), Some(at), p, MACVLAN_MODE_BRIDGE, tag);
                }
            }
            KindInfo::Vlan { id, .. } => {
                if let Some(p) = self.other_end(at) {
                    self.go(Some(n), Node::Wire(p, Some(id)));
                }
            }
            KindInfo::Vxlan(_) => self.r.encapsulated.push(at),
            KindInfo::Bridge(_) => {
                for q in self.f.ports(at).to_vec() {
                    self.out_port(n, q, tag);
                }
            }
            KindInfo::None if kind.as_deref() == Some("veth") => {
                if let Some(p) = self.other_end(at) {
                    self.go(Some(n), Node::Rx(p, tag));
                }
            }
            KindInfo::None => self.go(Some(n), Node::Wire(at, tag)),
        }
    }

    fn wire(&mut self, n: Node, at: LinkAt, tag: Tag) {
        let Some(l) = self.usable(at, None) else {
            return;
        };
        let (info, kind) = (l.info.clone(), l.kind.clone());
        match info {
            KindInfo::Bridge(_) => {
                for q in self.f.ports(at).to_vec() {
                    self.out_port(n, q, tag);
                }
            }
            KindInfo::Vlan { id, .. } => {
                if let Some(p) = self.other_end(at) {
                    self.go(Some(n), Node::Wire(p, Some(id)));
                }
            }
            KindInfo::Macvlan { .. } | KindInfo::Ipvlan { .. } => {
                self.go(Some(n), Node::Tx(at, tag));
            }
            KindInfo::Vxlan(_) => self.r.encapsulated.push(at),
            KindInfo::None if kind.as_deref() == Some("veth") => {
                if let Some(p) = self.other_end(at) {
                    self.go(Some(n), Node::Rx(p, tag));
                }
            }
            KindInfo::None => self.r.exits.push(at),
        }
    }

    fn rx(&mut self, n: Node, at: LinkAt, tag: Tag) {
        let from = self.r.prev.get(&n).map(|p| p.at()).filter(|p| *p != at);
        let Some(l) = self.usable(at, from) else {
            return;
        };
        let (master, port) = (l.master, l.port_info.clone());
        let Some(b) = master else {
            self.go(Some(n), Node::Up(at, tag));
            return;
        };
        let state = port.as_ref().and_then(|p| p.state);
        if !forwards(state) {
            self.stop(at, from, Why::PortState(state.unwrap_or(0)));
            return;
        }
        let isolated = port.as_ref().and_then(|p| p.isolated) == Some(true);
        let bridge = LinkAt {
            ns: at.ns,
            ifindex: b,
        };
        for q in self
            .f
            .ports(bridge)
            .to_vec()
            .into_iter()
            .filter(|q| *q != at)
        {
            let q_isolated = self
                .f
                .link(q)
                .and_then(|x| x.port_info.as_ref())
                .and_then(|p| p.isolated)
                == Some(true);
            if isolated && q_isolated {
                self.stop(q, Some(at), Why::Isolated);
            } else {
                self.out_port(n, q, tag);
            }
        }
        self.go(Some(n), Node::Up(bridge, tag));
    }

    fn up(&mut self, n: Node, at: LinkAt, tag: Tag) {
        if self.usable(at, None).is_none() {
            return;
        }
        let uppers: Vec<LinkAt> = self.f.uppers(at).to_vec();
        if let Some(v) = tag {
            let child = uppers.iter().copied().find(|u| {
                self.f
                    .link(*u)
                    .is_some_and(|l| matches!(l.info, KindInfo::Vlan { id, .. } if id == v))
            });
            match child {
                Some(c) => self.go(Some(n), Node::Rx(c, None)),
                None => self.stop(at, None, Why::NoVlan(v)),
            }
            return;
        }
        // A passthru macvlan takes every frame of its parent.
        if let Some(p) = uppers
            .iter()
            .copied()
            .find(|u| self.f.link(*u).is_some_and(passthru))
        {
            self.go(Some(n), Node::Rx(p, None));
            return;
        }
        self.go(Some(n), Node::Deliver(at));
        for u in uppers {
            let frames = self.f.link(u).is_some_and(|l| {
                matches!(l.info, KindInfo::Macvlan { .. } | KindInfo::Ipvlan { .. })
            });
            if frames {
                self.go(Some(n), Node::Rx(u, None));
            }
        }
    }
}

pub(super) fn run(f: &Fabric<'_>, start: Start) -> Reach {
    let mut w = Walk {
        f,
        r: Reach::default(),
        queue: VecDeque::new(),
        stopped: HashSet::new(),
    };
    match start {
        Start::Send(at) => w.go(None, Node::Tx(at, None)),
        Start::Arrive(at) => w.go(None, Node::Rx(at, None)),
        Start::NewMacvlan { parent, mode } => {
            if w.usable(parent, None).is_some() {
                w.macvlan_sends(None, None, parent, mode, None);
            }
        }
        Start::NewPort { bridge } => {
            for q in f.ports(bridge).to_vec() {
                w.out_port(Node::Up(bridge, None), q, None);
            }
            w.go(None, Node::Up(bridge, None));
        }
    }
    while let Some(n) = w.queue.pop_front() {
        w.step(n);
    }
    w.r
}
