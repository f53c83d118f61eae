//! Every namespace's state, kept up to date from watcher events; and the supervisor that
//! starts a watcher per namespace and follows namespaces as they come and go.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use crate::apply::Applied;
use crate::live::{self, Ask, Control, NetEvent, NetEventKind, WatchOptions};
use crate::model::{Change, Link, NsState, Tables};
use crate::netns::{self, Discovery, NetnsInfo, NsId};

/// How far a namespace's view is from the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsStatus {
    /// Waiting for the first dump.
    Loading,
    /// Dumped and following events.
    Live,
    /// Events were lost; a re-dump is on its way.
    Resyncing,
    /// The watcher stopped: the view is not live. The message says why.
    Failed(String),
}

/// One namespace in the inventory.
#[derive(Debug, Clone)]
pub struct NsEntry {
    pub info: NetnsInfo,
    pub state: NsState,
    pub status: NsStatus,
    /// Receive-buffer overruns recovered by a re-dump.
    pub overruns: u64,
    /// Asks the namespace's watcher to read tables again.
    pub control: Option<Control>,
}

/// What the supervisor and the watchers send.
#[derive(Debug, Clone)]
pub enum Update {
    Namespaces(Discovery),
    Net(NetEvent),
}

/// The state of every namespace netlens shows.
#[derive(Debug, Clone, Default)]
pub struct Inventory {
    pub namespaces: Vec<NsEntry>,
    /// What discovery could not read, in words for the user.
    pub problems: Vec<String>,
}

impl Inventory {
    pub fn get(&self, id: NsId) -> Option<&NsEntry> {
        self.namespaces.iter().find(|n| n.info.id == id)
    }

    /// Reads the neighbours of namespace `id`, which a read without them left out.
    pub fn read_neighbours(&mut self, id: NsId) -> crate::Result<()> {
        let Some(e) = self.get_mut(id) else {
            return Ok(());
        };
        e.state.neighs = crate::dump::neighbours_of(&e.info)?;
        Ok(())
    }

    fn get_mut(&mut self, id: NsId) -> Option<&mut NsEntry> {
        self.namespaces.iter_mut().find(|n| n.info.id == id)
    }

    /// Applies an update; returns the namespace it touched.
    pub fn apply(&mut self, u: Update) -> Option<NsId> {
        self.apply_each(u, |_, _, _| {})
    }

    /// Applies an update entry by entry, calling `f(namespace, applied, state)` for each
    /// entry set (after it is set) or removed (before it is removed, so the names it refers
    /// to still resolve). A first snapshot is taken as is, without a call per entry.
    /// Returns the namespace the update touched.
    pub fn apply_each(
        &mut self,
        u: Update,
        mut f: impl FnMut(&NetnsInfo, Applied<'_>, &NsState),
    ) -> Option<NsId> {
        let ev = match u {
            Update::Namespaces(d) => {
                self.set_namespaces(d);
                return None;
            }
            Update::Net(ev) => ev,
        };
        // What this namespace's watcher, or other namespaces', should read again.
        let mut asks: Vec<Request> = Vec::new();
        let e = self.get_mut(ev.ns)?;
        let NsEntry {
            info,
            state,
            status,
            overruns,
            control,
        } = e;
        let mut each = |a: Applied<'_>, st: &NsState| f(info, a, st);
        // Tables the watcher should read whole after all.
        let mut again = Tables::default();
        match ev.kind {
            NetEventKind::Control(c) => *control = Some(c),
            NetEventKind::Snapshot {
                state: fresh,
                overruns: n,
            } => {
                if *status == NsStatus::Loading {
                    *state = *fresh;
                } else {
                    state.replace_with(*fresh, &mut each);
                }
                *status = NsStatus::Live;
                *overruns = n;
            }
            NetEventKind::Changes(cs) => {
                for c in cs {
                    elsewhere(&c, state, &mut asks);
                    again |= state.apply_with(c, &mut each);
                }
            }
            NetEventKind::Reread(fresh) => again = state.refresh(*fresh, &mut each),
            NetEventKind::Overrun { overruns: n } => {
                *overruns = n;
                *status = NsStatus::Resyncing;
            }
            NetEventKind::Failed(msg) => *status = NsStatus::Failed(msg),
        }
        if again.any() {
            asks.push(Request::To(
                ev.ns,
                Ask {
                    tables: again,
                    links: Vec::new(),
                    fdb_of: Vec::new(),
                },
            ));
        }
        self.ask(ev.ns, asks);
        Some(ev.ns)
    }

    /// Passes on requests to read again to the watchers they are for.
    fn ask(&self, from: NsId, asks: Vec<Request>) {
        for r in asks {
            match r {
                Request::To(id, a) => {
                    if let Some(c) = self.get(id).and_then(|e| e.control.as_ref()) {
                        c.reread(a);
                    }
                }
                Request::ChildrenOf(parent) => {
                    for (e, child) in self.children(from, parent) {
                        if let Some(c) = e.control.as_ref().filter(|_| e.info.id != from) {
                            c.reread(Ask {
                                tables: Tables::default(),
                                fdb_of: Vec::new(),
                                links: vec![child.ifindex],
                            });
                        }
                    }
                }
            }
        }
    }

    /// Reads each namespace of `d` once (blocking), into an inventory of the ones read:
    /// what `doctor`, `trace` and `topo` look at. Those that cannot be read come back as
    /// errors, beside the inventory.
    pub fn read_blocking(d: Discovery) -> (Inventory, Vec<crate::Error>) {
        Inventory::read_blocking_needs(d, crate::dump::Needs::ALL)
    }

    /// [`Inventory::read_blocking`] of what `needs` asks of each namespace.
    pub fn read_blocking_needs(
        d: Discovery,
        needs: crate::dump::Needs,
    ) -> (Inventory, Vec<crate::Error>) {
        let mut inv = Inventory::default();
        let mut errors = Vec::new();
        let infos = d.namespaces.clone();
        inv.set_namespaces(d);
        // A bounded pool of threads, each entering one namespace after the other.
        let mut states = crate::netns::for_each_in(&infos, crate::netns::workers(), |_, info| {
            crate::dump::snapshot_here_needs(&info.name, true, needs)
        });
        // Then the namespaces links name by id: a veth's other end is the namespace with a
        // veth whose own peer is it (matched by ifindex, confirmed with one question).
        let mut by_pair: HashMap<(u32, u32), Vec<usize>> = HashMap::new();
        for (i, r) in states.iter().enumerate() {
            let Ok(st) = r else { continue };
            for l in st
                .links
                .values()
                .filter(|l| l.link_netnsid.is_some() && l.kind.as_deref() == Some("veth"))
            {
                if let Some(p) = l.parent {
                    by_pair.entry((l.ifindex, p)).or_default().push(i);
                }
            }
        }
        let hints: Vec<Vec<NetnsInfo>> = states
            .iter()
            .map(|r| {
                let Ok(st) = r else { return Vec::new() };
                let mut h: Vec<NetnsInfo> = Vec::new();
                for l in st.links.values().filter(|l| l.link_netnsid.is_some()) {
                    let Some(p) = l.parent else { continue };
                    for j in by_pair.get(&(p, l.ifindex)).into_iter().flatten() {
                        if let Some(info) = infos.get(*j) {
                            if !h.iter().any(|x| x.id == info.id) {
                                h.push(info.clone());
                            }
                        }
                    }
                }
                h
            })
            .collect();
        let todo: Vec<usize> = states
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.as_ref()
                    .is_ok_and(|st| st.links.values().any(|l| l.link_netnsid.is_some()))
            })
            .map(|(i, _)| i)
            .collect();
        let todo_infos: Vec<NetnsInfo> =
            todo.iter().filter_map(|i| infos.get(*i).cloned()).collect();
        let links_of: Vec<Vec<crate::model::Link>> = todo
            .iter()
            .map(|i| match states.get(*i) {
                Some(Ok(st)) => st
                    .links
                    .values()
                    .filter(|l| l.link_netnsid.is_some())
                    .cloned()
                    .collect(),
                _ => Vec::new(),
            })
            .collect();
        let hinted: Vec<&[NetnsInfo]> = todo
            .iter()
            .map(|i| hints.get(*i).map_or(&[][..], Vec::as_slice))
            .collect();
        let resolved =
            crate::netns::for_each_in(&todo_infos, crate::netns::workers(), |k, info| {
                let mut links = links_of.get(k).cloned().unwrap_or_default();
                crate::nsid::Resolver::default().resolve_here_hinted(
                    info,
                    links.iter_mut().collect(),
                    hinted.get(k).copied().unwrap_or(&[]),
                );
                Ok(links)
            });
        for (i, r) in todo.iter().zip(resolved) {
            if let (Some(Ok(st)), Ok(links)) = (states.get_mut(*i), r) {
                for l in links {
                    if let Some(m) = st.links.get_mut(&l.ifindex) {
                        m.link_netns = l.link_netns;
                    }
                }
            }
        }
        let mut read = Vec::with_capacity(infos.len());
        for (info, r) in infos.iter().zip(states) {
            match r {
                Ok(st) => read.push((info.id, st)),
                Err(e) => errors.push(e),
            }
        }
        let ok: std::collections::HashSet<NsId> = read.iter().map(|(id, _)| *id).collect();
        inv.namespaces.retain(|e| ok.contains(&e.info.id));
        for (id, st) in read {
            if let Some(e) = inv.get_mut(id) {
                e.state = st;
                e.status = NsStatus::Live;
            }
        }
        (inv, errors)
    }

    fn set_namespaces(&mut self, d: Discovery) {
        self.problems = d.problems;
        // By id: a new list costs what it holds, not what it holds times what was there.
        let mut old: HashMap<NsId, NsEntry> = std::mem::take(&mut self.namespaces)
            .into_iter()
            .map(|e| (e.info.id, e))
            .collect();
        self.namespaces = d
            .namespaces
            .into_iter()
            .map(|info| match old.remove(&info.id) {
                Some(mut e) => {
                    e.info = info;
                    e
                }
                None => NsEntry {
                    info,
                    state: NsState::default(),
                    status: NsStatus::Loading,
                    overruns: 0,
                    control: None,
                },
            })
            .collect();
        if !old.is_empty() {
            // What the gone namespaces held is free; give it back to the system rather
            // than keep it in the allocator's arenas (churn would otherwise ratchet up).
            drop(old);
            release_freed_memory();
        }
    }
}

/// Returns freed heap memory to the system (glibc keeps it in its arenas otherwise).
/// Spaced: at most once a second, whatever the churn.
#[allow(unsafe_code)] // one FFI call, no pointers: libc has no safe wrapper for it
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::sync::Mutex;
        use std::time::{Duration, Instant};
        static LAST: Mutex<Option<Instant>> = Mutex::new(None);
        let Ok(mut last) = LAST.lock() else { return };
        if last.is_some_and(|t| t.elapsed() < Duration::from_secs(1)) {
            return;
        }
        *last = Some(Instant::now());
        // SAFETY: malloc_trim only walks glibc's own arenas; it takes their locks itself.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}

/// A request to read again, made while applying a change.
enum Request {
    /// To a namespace's watcher.
    To(NsId, Ask),
    /// To the watchers of the namespaces holding children of this link (of the namespace
    /// the change came from).
    ChildrenOf(u32),
}

/// What a change changes unannounced in other namespaces: a link whose parent or veth peer
/// lives elsewhere (a macvlan moved into a pod) coming, going, going up or down, changing
/// its MAC, or getting or losing an IPv6 address (a multicast group) changes the parent's
/// own FDB and promiscuity there; a parent changing
/// its MAC or leaving changes its children elsewhere (a passthru macvlan takes the MAC, a
/// child's `link-netnsid` follows its parent).
fn elsewhere(c: &Change, st: &NsState, out: &mut Vec<Request>) {
    let (old, new) = match c {
        Change::NewLink(l) => (st.links.get(&l.ifindex), Some(l)),
        Change::DelLink(i) => (st.links.get(i), None),
        // An address on a macvlan joins (or leaves) multicast groups, which the macvlan
        // passes to its parent's address list: in a parent elsewhere, unannounced there.
        Change::NewAddr(a) | Change::DelAddr(a) if a.family == 10 => {
            out.extend(st.links.get(&a.ifindex).and_then(parent_elsewhere));
            return;
        }
        _ => return,
    };
    let Some(l) = new.or(old) else { return };
    let (updown, mac) = match (old, new) {
        (Some(o), Some(n)) => {
            // Up, carrier, and what a macvlan passes on to its parent.
            let up = |l: &Link| {
                (
                    l.flags & (crate::names::IFF_UP | IFF_LOWER_UP),
                    l.promiscuity,
                    l.allmulti,
                    l.master,
                )
            };
            (up(o) != up(n), o.address != n.address)
        }
        _ => (true, true),
    };
    if !updown && !mac {
        return;
    }
    out.extend(parent_elsewhere(l));
    if mac {
        out.push(Request::ChildrenOf(l.ifindex));
    }
}

/// Read again, in its own namespace, the FDB entries and the link of `l`'s parent or peer
/// when it lives elsewhere (a tunnel moved elsewhere has `IFLA_LINK` 0: no parent to read):
/// a macvlan's MAC and multicast groups are in its parent's own table. A veth's peer keeps
/// no entry for its other end: its link alone is read (its `link-netnsid`, its carrier).
fn parent_elsewhere(l: &Link) -> Option<Request> {
    let (r, p) = (l.link_netns.as_ref()?, l.parent.filter(|p| *p != 0)?);
    let veth = l.kind.as_deref() == Some("veth");
    Some(Request::To(
        r.id,
        Ask {
            tables: Tables::default(),
            links: vec![p],
            fdb_of: if veth { Vec::new() } else { vec![p] },
        },
    ))
}

/// `IFF_LOWER_UP`: carrier.
const IFF_LOWER_UP: u32 = 0x1_0000;

/// Which namespaces to follow.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Only this one.
    One(NetnsInfo),
    /// Every namespace, rescanning for new and removed ones.
    All,
}

/// How often the namespace list is rescanned. Netlink has no event for a namespace being
/// created or a container starting, so discovery (and only discovery) rescans.
pub const RESCAN: Duration = Duration::from_secs(1);

/// Starts watchers and keeps them matched to the namespaces that exist, until `tx` closes.
/// The namespace list is sent when it changes (and once at the start).
pub async fn supervise(scope: Scope, tx: UnboundedSender<Update>, opts: WatchOptions) {
    let mut running: HashMap<NsId, tokio::task::JoinHandle<()>> = HashMap::new();
    let mut last: Option<Discovery> = None;
    loop {
        let d = match &scope {
            Scope::One(info) => Discovery {
                namespaces: vec![info.clone()],
                problems: Vec::new(),
            },
            Scope::All => tokio::task::spawn_blocking(netns::discover)
                .await
                .unwrap_or_default(),
        };
        // A watcher that ended (its error is shown) is started again on this scan.
        running.retain(|id, task| {
            let keep = d.namespaces.iter().any(|n| n.id == *id);
            if !keep {
                task.abort();
            }
            keep && !task.is_finished()
        });
        let mut fresh: Vec<NetnsInfo> = d
            .namespaces
            .iter()
            .filter(|n| !running.contains_key(&n.id))
            .cloned()
            .collect();
        // The host first, then the one on screen: reads queue up in this order.
        fresh.sort_by_key(|n| (n.kind != netns::NsKind::Host, Some(n.id) != opts.first));
        // Only a change is reported: an unchanged scan costs the UI nothing.
        if last.as_ref() != Some(&d) {
            if tx.send(Update::Namespaces(d.clone())).is_err() {
                break;
            }
            last = Some(d);
        }
        for info in fresh {
            let id = info.id;
            let (etx, mut erx) = tokio::sync::mpsc::unbounded_channel();
            let fwd = tx.clone();
            let task = tokio::spawn(async move {
                let watcher = live::watch(info, etx, opts);
                let forward = async {
                    while let Some(ev) = erx.recv().await {
                        if fwd.send(Update::Net(ev)).is_err() {
                            break;
                        }
                    }
                };
                tokio::join!(watcher, forward);
            });
            running.insert(id, task);
        }
        if matches!(scope, Scope::One(_)) {
            // Nothing to rescan: wait until the receiver is gone.
            tx.closed().await;
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(RESCAN) => {}
            () = tx.closed() => break,
        }
    }
    for (_, t) in running {
        t.abort();
    }
}
