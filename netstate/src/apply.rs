//! Applying kernel changes to a namespace's model with the kernel's own semantics (a replace
//! takes the place of the route it replaced, a MAC that moves stays one FDB entry, a deleted
//! link takes its addresses, routes and neighbours with it), entry by entry, telling the
//! caller what each change did: what `watch --json` prints and the UI highlights.

use std::collections::BTreeMap;

mod refresh;

use crate::model::{
    Addr, Change, Fdb, KindInfo, Link, Neigh, NextHop, NsState, Route, RouteKey, Tables,
};

/// One entry of the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Entry<'a> {
    Link(&'a Link),
    Addr(&'a Addr),
    Route(&'a Route),
    Neigh(&'a Neigh),
    Fdb(&'a Fdb),
}

impl Entry<'_> {
    /// The object kind, as `ip monitor` and `watch --json` name it.
    pub fn object(self) -> &'static str {
        match self {
            Entry::Link(_) => "link",
            Entry::Addr(_) => "addr",
            Entry::Route(_) => "route",
            Entry::Neigh(_) => "neigh",
            Entry::Fdb(_) => "fdb",
        }
    }
}

/// What applying a change did to one entry: it is set (new, or changed, or shown with new
/// names), or it is removed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Applied<'a> {
    New(Entry<'a>),
    Del(Entry<'a>),
}

/// Told of each entry a change sets (after it is set) or removes (before it is removed, so
/// the names it refers to still resolve), with the whole state at that moment.
pub type Sink<'s> = dyn FnMut(Applied<'_>, &NsState) + 's;

/// Tables re-read from the kernel, to be put in place of the model's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fresh {
    /// Links read one by one: `None` when the kernel no longer has the link.
    pub links: Vec<(u32, Option<Link>)>,
    pub routes: Option<BTreeMap<RouteKey, Route>>,
    pub neighs: Option<BTreeMap<crate::model::NeighKey, Neigh>>,
    pub fdb: Option<BTreeMap<crate::model::FdbKey, Fdb>>,
    /// The FDB entries of these devices only (`bridge fdb show brport DEV`, for each):
    /// what one link's change can have changed, without reading a bridge's whole table.
    pub fdb_of: Option<(Vec<u32>, BTreeMap<crate::model::FdbKey, Fdb>)>,
    /// The routes that use these devices only (a nexthop on one of them).
    pub routes_of: Option<(Vec<u32>, BTreeMap<RouteKey, Route>)>,
    /// The neighbours of these devices only.
    pub neighs_of: Option<(Vec<u32>, BTreeMap<crate::model::NeighKey, Neigh>)>,
    /// Every link's VLANs (`bridge vlan show`); a link not listed has none.
    pub vlans: Option<BTreeMap<u32, Vec<crate::model::BridgeVlan>>>,
}

/// A table of the model, for the generic set / delete / sync below.
trait Table {
    type K: Ord + Clone;
    type V: PartialEq;
    fn map(st: &NsState) -> &BTreeMap<Self::K, Self::V>;
    fn map_mut(st: &mut NsState) -> &mut BTreeMap<Self::K, Self::V>;
    fn entry(v: &Self::V) -> Entry<'_>;
}

macro_rules! table {
    ($t:ident, $field:ident, $k:ty, $v:ty, $variant:ident) => {
        struct $t;
        impl Table for $t {
            type K = $k;
            type V = $v;
            fn map(st: &NsState) -> &BTreeMap<$k, $v> {
                &st.$field
            }
            fn map_mut(st: &mut NsState) -> &mut BTreeMap<$k, $v> {
                &mut st.$field
            }
            fn entry(v: &$v) -> Entry<'_> {
                Entry::$variant(v)
            }
        }
    };
}

table!(Links, links, u32, Link, Link);
table!(Addrs, addrs, crate::model::AddrKey, Addr, Addr);
table!(Routes, routes, RouteKey, Route, Route);
table!(Neighs, neighs, crate::model::NeighKey, Neigh, Neigh);
table!(Fdbs, fdb, crate::model::FdbKey, Fdb, Fdb);

fn set<T: Table>(st: &mut NsState, k: T::K, v: T::V, cb: &mut Sink) {
    let at = k.clone();
    T::map_mut(st).insert(k, v);
    if let Some(v) = T::map(st).get(&at) {
        cb(Applied::New(T::entry(v)), st);
    }
}

fn del<T: Table>(st: &mut NsState, k: &T::K, cb: &mut Sink) {
    if let Some(v) = T::map(st).get(k) {
        cb(Applied::Del(T::entry(v)), st);
        T::map_mut(st).remove(k);
    }
}

/// Removes the entries `fresh` does not have.
fn sync_dels<T: Table>(st: &mut NsState, fresh: &BTreeMap<T::K, T::V>, cb: &mut Sink) {
    let gone: Vec<T::K> = T::map(st)
        .keys()
        .filter(|k| !fresh.contains_key(k))
        .cloned()
        .collect();
    for k in &gone {
        del::<T>(st, k, cb);
    }
}

/// Sets the entries of `fresh` the model lacks or holds otherwise.
fn sync_sets<T: Table>(st: &mut NsState, fresh: BTreeMap<T::K, T::V>, cb: &mut Sink) {
    for (k, v) in fresh {
        if T::map(st).get(&k) != Some(&v) {
            set::<T>(st, k, v, cb);
        }
    }
}

/// Puts `fresh` in place of the part of a table that `part` selects (what a filtered dump
/// returned): the part's entries `fresh` lacks go, the others are set.
fn sync_part<T: Table>(
    st: &mut NsState,
    fresh: BTreeMap<T::K, T::V>,
    part: impl Fn(&T::V) -> bool,
    cb: &mut Sink,
) {
    let gone: Vec<T::K> = T::map(st)
        .iter()
        .filter(|(k, v)| part(v) && !fresh.contains_key(k))
        .map(|(k, _)| k.clone())
        .collect();
    for k in &gone {
        del::<T>(st, k, cb);
    }
    sync_sets::<T>(st, fresh, cb);
}

/// Re-announces entries whose data did not change but whose names did.
fn touch<T: Table>(st: &NsState, keep: impl Fn(&T::V) -> bool, cb: &mut Sink) {
    for v in T::map(st).values().filter(|v| keep(v)) {
        cb(Applied::New(T::entry(v)), st);
    }
}

fn same_hop(a: &NextHop, b: &NextHop) -> bool {
    a.gateway == b.gateway && a.oif == b.oif
}

/// `r` with these hops: one hop is written as a single-path route, as the kernel dumps it.
fn with_hops(mut r: Route, hops: Vec<NextHop>) -> Route {
    // RTNH_F_* bits belong to a hop; a single-path route carries its hop's in its own flags.
    r.flags &= !0xff;
    match <[NextHop; 1]>::try_from(hops) {
        Ok([h]) => {
            r.gateway = h.gateway;
            r.oif = Some(h.oif);
            r.flags |= u32::from(h.flags);
            r.nexthops = Vec::new();
        }
        Err(hops) => {
            r.gateway = None;
            r.oif = None;
            r.nexthops = hops;
        }
    }
    r
}

fn nop(_: Applied<'_>, _: &NsState) {}

impl NsState {
    /// Puts an entry of a dump in place. A dump lists each entry once and whole, so none of
    /// the kernel's change semantics apply (and nothing is told): a plain insert.
    pub fn insert_dumped(&mut self, c: Change) {
        match c {
            Change::NewLink(l) => {
                self.links.insert(l.ifindex, l);
            }
            Change::NewAddr(a) => {
                self.addrs.insert(a.key(), a);
            }
            Change::NewRoute(r) | Change::PrependRoute(r) | Change::ReplaceRoute(r) => {
                self.routes.insert(r.key(), r);
            }
            Change::NewNeigh(n) => {
                self.neighs.insert(n.key(), n);
            }
            Change::NewFdb(f) => {
                self.fdb.insert(f.key(), f);
            }
            // The bridge-family link dump (after the links): the VLANs.
            Change::BridgePort { ifindex, vlans, .. } => {
                if let Some(l) = self.links.get_mut(&ifindex) {
                    l.bridge_vlans = vlans;
                }
            }
            // Dumps carry no deletes; a neighbour `ip neigh` hides comes as one: left out.
            _ => {}
        }
    }

    /// Applies one change (see [`NsState::apply_with`]).
    pub fn apply(&mut self, change: Change) -> Tables {
        self.apply_with(change, &mut nop)
    }

    /// Applies one change in place, as the kernel applied it, telling `cb` of each entry it
    /// sets or removes. Returns the tables to read again when the change leaves the model
    /// unsure (a replace among several routes of one key: the kernel replaced the first in
    /// its own order, which the model does not keep).
    pub fn apply_with(&mut self, change: Change, cb: &mut Sink) -> Tables {
        match change {
            Change::NewLink(mut l) => {
                let i = l.ifindex;
                // Its VLANs come in the bridge's messages only: kept while it stays on the
                // same bridge (a port leaving one has none).
                if let Some(o) = self.links.get(&i).filter(|o| o.master == l.master) {
                    l.bridge_vlans.clone_from(&o.bridge_vlans);
                }
                // Entries that named the link by index (announced before it, or under its
                // old name) show its name now.
                let named = self.links.get(&i).is_none_or(|o| o.name != l.name);
                if self.links.get(&i) != Some(&l) {
                    set::<Links>(self, i, l, cb);
                }
                if named {
                    self.touch_dependents(i, cb);
                }
            }
            Change::DelLink(i) => self.del_link(i, cb),
            Change::BridgePort {
                ifindex,
                master,
                info,
                vlans,
            } => {
                // A message about a bridge the link has already left is stale.
                if let Some(l) = self.links.get(&ifindex).filter(|l| l.master == master) {
                    let mut n = l.clone();
                    if let Some(info) = info {
                        n.port_info = Some(info);
                    }
                    // A VLAN deleted from a port hands the bridge's local FDB entry for the
                    // port's MAC in it to the bridge (or a port with the same MAC),
                    // unannounced: the FDB is read again then — only then: a port joining
                    // or a VLAN added is announced entry by entry, and reading a bridge's
                    // whole FDB per port that comes or goes costs as much as the bridge has
                    // ports.
                    let removed = n.bridge_vlans.iter().any(|v| {
                        !vlans
                            .iter()
                            .any(|w| w.vid <= v.vid && v.vid_end <= w.vid_end)
                    });
                    let shared_mac = removed && {
                        let bridge = master.unwrap_or(ifindex);
                        l.address.is_some()
                            && self.links.values().any(|o| {
                                o.ifindex != ifindex
                                    && (o.ifindex == bridge || o.master == Some(bridge))
                                    && o.address == l.address
                            })
                    };
                    n.bridge_vlans = vlans;
                    if &n != l {
                        set::<Links>(self, ifindex, n, cb);
                    }
                    return Tables {
                        fdb: shared_mac,
                        ..Tables::default()
                    };
                }
            }
            Change::NewAddr(a) => set::<Addrs>(self, a.key(), a, cb),
            Change::DelAddr(a) => del::<Addrs>(self, &a.key(), cb),
            Change::NewRoute(r) | Change::PrependRoute(r) => {
                let g = r.group();
                self.add_route(r, cb);
                return self.hiding(&g);
            }
            Change::ReplaceRoute(r) => {
                let g = r.group();
                let mut t = self.replace_route(r, cb);
                t |= self.hiding(&g);
                return t;
            }
            Change::DelRoute(r) => {
                self.del_route(&r, cb);
                return self.hiding(&r.group());
            }
            Change::NewNeigh(n) => {
                if self.neighs.get(&n.key()) != Some(&n) {
                    set::<Neighs>(self, n.key(), n, cb);
                }
            }
            Change::DelNeigh(n) => del::<Neighs>(self, &n.key(), cb),
            Change::NewFdb(f) => {
                if self.fdb.get(&f.key()) != Some(&f) {
                    set::<Fdbs>(self, f.key(), f, cb);
                }
            }
            Change::DelFdb(f) => del::<Fdbs>(self, &f.key(), cb),
        }
        Tables::default()
    }

    fn add_route(&mut self, r: Route, cb: &mut Sink) {
        let k = r.key();
        // An IPv6 route via a gateway joins the multipath route of its key. The kernel
        // announces the whole route, the new hop first; it lists the hops in the order they
        // were added: keep the known ones where they are, the new ones after.
        let r = match self.routes.get(&k) {
            Some(old) if r.joins_multipath() => {
                let incoming = r.hops();
                let mut hops: Vec<NextHop> = old
                    .hops()
                    .into_iter()
                    .map(|h| {
                        incoming
                            .iter()
                            .find(|n| same_hop(n, &h))
                            .cloned()
                            .unwrap_or(h)
                    })
                    .collect();
                for n in incoming {
                    if !hops.iter().any(|h| same_hop(h, &n)) {
                        hops.push(n);
                    }
                }
                with_hops(r, hops)
            }
            _ => r,
        };
        if self.routes.get(&k) != Some(&r) {
            set::<Routes>(self, k, r, cb);
        }
    }

    fn replace_route(&mut self, r: Route, cb: &mut Sink) -> Tables {
        let g = r.group();
        let multipath = r.joins_multipath();
        let v6 = r.family == crate::model::AF_INET6;
        let group: Vec<RouteKey> = self
            .routes
            .range(g.clone()..)
            .map(|(k, _)| k)
            .take_while(|k| {
                k.family == g.family
                    && RouteKey {
                        alt: 0,
                        ..(*k).clone()
                    } == g
            })
            .cloned()
            .collect();
        // IPv6 replaces the first route that joins multipath routes as the new one does or
        // not, or failing that the first route of the key (`fib6_add_rt2node`).
        let alike: Vec<RouteKey> = group
            .iter()
            .filter(|k| !v6 || (k.alt == 0) == multipath)
            .cloned()
            .collect();
        let same = if alike.is_empty() { group } else { alike };
        let k = r.key();
        if let Some(first) = same.first().filter(|f| **f != k) {
            del::<Routes>(self, first, cb);
        }
        set::<Routes>(self, k, r, cb);
        Tables {
            routes: same.len() > 1,
            ..Tables::default()
        }
    }

    fn del_route(&mut self, r: &Route, cb: &mut Sink) {
        let k = r.key();
        let Some(old) = self.routes.get(&k) else {
            return;
        };
        if !r.joins_multipath() {
            del::<Routes>(self, &k, cb);
            return;
        }
        // IPv6: a delete naming a gateway takes one hop out of a multipath route.
        let gone = r.hops();
        let all = old.hops();
        let left: Vec<NextHop> = all
            .iter()
            .filter(|h| !gone.iter().any(|g| same_hop(g, h)))
            .cloned()
            .collect();
        if left.is_empty() {
            del::<Routes>(self, &k, cb);
        } else if left.len() < all.len() {
            let r = with_hops(old.clone(), left);
            set::<Routes>(self, k, r, cb);
        }
    }

    /// Removes link `i` and what the kernel removes with it, without always saying so:
    /// its addresses, neighbours and FDB entries, the routes through it (an IPv4
    /// multipath route goes whole; an IPv6 one loses the hop).
    fn del_link(&mut self, i: u32, cb: &mut Sink) {
        let addrs: Vec<_> = self
            .addrs
            .iter()
            .filter(|(_, a)| a.ifindex == i)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &addrs {
            del::<Addrs>(self, k, cb);
        }
        let routes: Vec<RouteKey> = self
            .routes
            .iter()
            .filter(|(_, r)| r.uses(i))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &routes {
            let Some(r) = self.routes.get(k) else {
                continue;
            };
            let left: Vec<NextHop> = r.nexthops.iter().filter(|h| h.oif != i).cloned().collect();
            if r.joins_multipath() && !left.is_empty() {
                let r = with_hops(r.clone(), left);
                set::<Routes>(self, k.clone(), r, cb);
            } else {
                del::<Routes>(self, k, cb);
            }
        }
        let neighs: Vec<_> = self
            .neighs
            .iter()
            .filter(|(_, n)| n.ifindex == i)
            .map(|(k, _)| k.clone())
            .collect();
        for k in &neighs {
            del::<Neighs>(self, k, cb);
        }
        let fdb: Vec<_> = self
            .fdb
            .iter()
            .filter(|(_, f)| f.ifindex == i || f.master == Some(i))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &fdb {
            del::<Fdbs>(self, k, cb);
        }
        del::<Links>(self, &i, cb);
    }

    /// Re-announces the entries that show link `i`'s name (after a rename, or when the link
    /// came after them), so a consumer of the changes holds the names the model shows.
    fn touch_dependents(&self, i: u32, cb: &mut Sink) {
        self.touch_naming(&std::collections::HashSet::from([i]), cb);
    }

    /// Re-announces, in one pass per table, the entries that show any of these links' names.
    fn touch_naming(&self, named: &std::collections::HashSet<u32>, cb: &mut Sink) {
        if named.is_empty() {
            return;
        }
        let has = |i: &u32| named.contains(i);
        touch::<Links>(
            self,
            |l| {
                !has(&l.ifindex)
                    && (l.master.is_some_and(|m| has(&m))
                        || (l.link_netnsid.is_none() && l.parent.is_some_and(|p| has(&p)))
                        || matches!(&l.info, KindInfo::Vxlan(v) if v.link.is_some_and(|x| has(&x))))
            },
            cb,
        );
        touch::<Addrs>(self, |a| has(&a.ifindex), cb);
        touch::<Routes>(
            self,
            |r| r.oif.is_some_and(|o| has(&o)) || r.nexthops.iter().any(|h| has(&h.oif)),
            cb,
        );
        touch::<Neighs>(self, |n| has(&n.ifindex), cb);
        touch::<Fdbs>(
            self,
            |f| {
                has(&f.ifindex)
                    || f.master.is_some_and(|m| has(&m))
                    || f.ifindex_via.is_some_and(|v| has(&v))
            },
            cb,
        );
    }

    /// Puts a whole fresh dump in place of the model (after lost events), telling `cb` the
    /// exact difference.
    pub fn replace_with(&mut self, fresh: NsState, cb: &mut Sink) {
        let NsState {
            links,
            addrs,
            routes,
            neighs,
            fdb,
        } = fresh;
        let routes = self.with_hidden(routes, false);
        // Entries go before the links they name, links come before the entries naming them.
        sync_dels::<Addrs>(self, &addrs, cb);
        sync_dels::<Routes>(self, &routes, cb);
        sync_dels::<Neighs>(self, &neighs, cb);
        sync_dels::<Fdbs>(self, &fdb, cb);
        sync_dels::<Links>(self, &links, cb);
        // Links renamed, or new (a link set before a new one it names showed `ifN`).
        let named: std::collections::HashSet<u32> = links
            .values()
            .filter(|l| self.links.get(&l.ifindex).is_none_or(|o| o.name != l.name))
            .map(|l| l.ifindex)
            .collect();
        sync_sets::<Links>(self, links, cb);
        sync_sets::<Addrs>(self, addrs, cb);
        sync_sets::<Routes>(self, routes, cb);
        sync_sets::<Neighs>(self, neighs, cb);
        sync_sets::<Fdbs>(self, fdb, cb);
        self.touch_naming(&named, cb);
    }

    /// Routes to read again when an IPv6 key holds a multipath route and routes beside it:
    /// the kernel's dump may skip those (see [`NsState::with_hidden`]), so what changed in
    /// them while they were skipped shows only now.
    fn hiding(&self, g: &RouteKey) -> Tables {
        let mut alts = self
            .routes
            .range(g.clone()..)
            .map(|(k, _)| k)
            .take_while(|k| {
                RouteKey {
                    alt: 0,
                    ..(*k).clone()
                } == *g
            });
        let mixed = g.family == crate::model::AF_INET6
            && alts.next().is_some_and(|k| k.alt == 0)
            && alts.next().is_some();
        Tables {
            routes: mixed,
            ..Tables::default()
        }
    }

    /// A dump's routes, with the model's IPv6 routes the dump may have skipped: the kernel's
    /// IPv6 route dump jumps from the first hop of a multipath route to its last, so a route
    /// of the same key added between the hops (one that cannot join them: no gateway) is
    /// missing from the dump, though it is there (`ip -6 route del` finds it). Its delete is
    /// announced like any other.
    /// A dump filtered by device may leave out the multipath route itself: `partial` looks
    /// it up in the model.
    fn with_hidden(
        &self,
        mut fresh: BTreeMap<RouteKey, Route>,
        partial: bool,
    ) -> BTreeMap<RouteKey, Route> {
        for (k, r) in &self.routes {
            let first = RouteKey {
                alt: 0,
                ..k.clone()
            };
            let multipath = |m: &Route| m.nexthops.len() > 1;
            let hidden = k.family == crate::model::AF_INET6
                && k.alt != 0
                && !fresh.contains_key(k)
                && (fresh.get(&first).is_some_and(multipath)
                    || partial && self.routes.get(&first).is_some_and(multipath));
            if hidden {
                fresh.insert(k.clone(), r.clone());
            }
        }
        fresh
    }
}
