//! One netlink connection per namespace subscribed to its events; dumps (the first, and
//! again after an overrun) on blocking sockets of their own ([`crate::dump`]).

use futures::channel::mpsc::UnboundedReceiver;
use futures::StreamExt;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{AsyncSocket, SocketAddr};
use rtnetlink::MulticastGroup;
use tokio::sync::mpsc::UnboundedSender;

use std::collections::HashMap;

use crate::apply::Fresh;
use crate::model::{Change, Link, NsState, Tables};
use crate::netns::{self, NetnsInfo, NsId};
use crate::nsid::Resolver;
use crate::{parse, Error, Result};

mod followup;
mod pace;
use followup::{seed, untrusted, Followup, Seen, SEEDED};
use pace::{FdbPacer, FDB_DEVS_MAX};

type Messages = UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, SocketAddr)>;

/// Receive buffer asked for on event sockets; the kernel caps it at `net.core.rmem_max`.
pub const DEFAULT_RCVBUF: usize = 4 << 20;

/// Aborts the spawned connection future when the owner goes away.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A netlink route socket bound to one namespace.
pub struct NsConn {
    handle: rtnetlink::Handle,
    messages: Messages,
    _conn: AbortOnDrop,
}

/// Opens a route-netlink connection inside `ns`; with `subscribe`, it also receives link,
/// address, route and neighbour events. Must be called within a tokio runtime.
pub async fn open(ns: &NetnsInfo, subscribe: bool, rcvbuf: usize) -> Result<NsConn> {
    let rt = tokio::runtime::Handle::current();
    let name = ns.name.clone();
    let (conn, handle, messages) = tokio::task::spawn_blocking({
        let ns = ns.clone();
        move || {
            netns::run_in(&ns, move || {
                let _guard = rt.enter();
                let groups: &[MulticastGroup] = if subscribe {
                    &[
                        MulticastGroup::Link,
                        MulticastGroup::Ipv4Ifaddr,
                        MulticastGroup::Ipv6Ifaddr,
                        MulticastGroup::Ipv4Route,
                        MulticastGroup::Ipv6Route,
                        MulticastGroup::Neigh,
                        MulticastGroup::Nsid,
                    ]
                } else {
                    &[]
                };
                let (mut conn, handle, messages) = rtnetlink::new_multicast_connection(groups)
                    .map_err(|e| Error::Netlink {
                        name: name.clone(),
                        reason: format!("cannot open a netlink socket: {e}"),
                    })?;
                // Ignore failure: a smaller buffer still works, overruns are then recovered.
                let _ = conn.socket_mut().socket_ref().set_rx_buf_sz(rcvbuf);
                Ok((conn, handle, messages))
            })
        }
    })
    .await
    .map_err(|e| Error::Netns {
        name: ns.name.clone(),
        reason: format!("namespace thread failed: {e}"),
    })??;
    let task = tokio::spawn(conn);
    Ok(NsConn {
        handle,
        messages,
        _conn: AbortOnDrop(task),
    })
}

impl NsConn {
    /// The rtnetlink handle of this namespace's socket, for requests that change state.
    pub fn handle(&self) -> rtnetlink::Handle {
        self.handle.clone()
    }
}

/// Dumps one namespace once. Links and addresses, routes, and neighbours and FDB are
/// read on three sockets at the same time: the kernel builds the three dumps in parallel.
pub async fn snapshot(ns: &NetnsInfo) -> Result<NsState> {
    snapshot_with(ns, true).await
}

/// Reads again the tables the kernel changed without an event per change, and some links
/// one by one, on sockets of their own.
pub async fn reread(ns: &NetnsInfo, w: crate::dump::Wanted) -> Result<Fresh> {
    let ns = ns.clone();
    let name = ns.name.clone();
    tokio::task::spawn_blocking(move || crate::dump::reread_blocking(&ns, w))
        .await
        .map_err(|e| Error::Netns {
            name,
            reason: format!("dump thread failed: {e}"),
        })?
}

/// Reads of namespaces under way at once, for every watcher together: a thousand watchers
/// starting together read a few namespaces at a time, not a thousand (each read is a
/// thread that enters the namespace).
static READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Dumps one namespace once on one socket from one thread (namespace ids resolved from
/// there): what a watcher of one of many namespaces reads.
pub async fn snapshot_light(ns: &NetnsInfo) -> Result<NsState> {
    let _permit = READS.acquire().await;
    let ns = ns.clone();
    let name = ns.name.clone();
    tokio::task::spawn_blocking(move || {
        let info = ns.clone();
        netns::run_in(&ns, move || {
            let mut st = crate::dump::snapshot_here(&info.name, true)?;
            crate::nsid::Resolver::default().resolve_here(&info, st.links.values_mut().collect());
            Ok(st)
        })
    })
    .await
    .map_err(|e| Error::Netns {
        name,
        reason: format!("dump thread failed: {e}"),
    })?
}

/// Like [`snapshot`]; without `stats`, links carry no counters (a cheaper dump).
pub async fn snapshot_with(ns: &NetnsInfo, stats: bool) -> Result<NsState> {
    let ns = ns.clone();
    let name = ns.name.clone();
    tokio::task::spawn_blocking(move || crate::dump::snapshot_blocking(&ns, stats))
        .await
        .map_err(|e| Error::Netns {
            name,
            reason: format!("dump thread failed: {e}"),
        })?
}

/// What a namespace watcher reports.
#[derive(Debug, Clone, PartialEq)]
pub enum NetEventKind {
    /// How to ask the watcher to read tables again; sent first.
    Control(Control),
    /// A full state: the first dump, or a re-dump after an overrun.
    Snapshot { state: Box<NsState>, overruns: u64 },
    /// Changes in the order the kernel sent them.
    Changes(Vec<Change>),
    /// Tables read again after changes the kernel does not announce entry by entry (a link
    /// going down or losing its carrier flushes routes and neighbours; an IPv4 address
    /// removed flushes routes; a multicast join changes a device's own FDB entries), and
    /// links whose other end moved.
    Reread(Box<Fresh>),
    /// The receive buffer overran: events were lost; a re-dump follows.
    Overrun { overruns: u64 },
    /// The watcher stopped with this error.
    Failed(String),
}

/// Asks a namespace's watcher to read tables again (when applying a change left the model
/// unsure of the kernel's state).
#[derive(Clone)]
pub struct Control(UnboundedSender<Ask>);

/// What a watcher is asked to read again: tables, and links one by one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ask {
    pub tables: Tables,
    pub links: Vec<u32>,
    /// Devices whose FDB entries alone to read again.
    pub fdb_of: Vec<u32>,
}

impl Control {
    /// Asks for `a` to be read again; a watcher that ended is not asked.
    pub fn reread(&self, a: Ask) {
        let _ = self.0.send(a);
    }
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Control")
    }
}

impl PartialEq for Control {
    fn eq(&self, _: &Control) -> bool {
        true
    }
}

/// An event from the watcher of namespace `ns`.
#[derive(Debug, Clone, PartialEq)]
pub struct NetEvent {
    pub ns: NsId,
    pub kind: NetEventKind,
}

/// Options for a namespace watcher.
#[derive(Debug, Clone, Copy)]
pub struct WatchOptions {
    pub rcvbuf: usize,
    /// The namespace read right after the host's (the one a UI shows first).
    pub first: Option<NsId>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            rcvbuf: DEFAULT_RCVBUF,
            first: None,
        }
    }
}

/// Watches one namespace until `tx` closes: subscribes, dumps, then streams changes.
/// Errors are reported as [`NetEventKind::Failed`].
pub async fn watch(ns: NetnsInfo, tx: UnboundedSender<NetEvent>, opts: WatchOptions) {
    let id = ns.id;
    if let Err(e) = watch_inner(&ns, &tx, opts).await {
        let _ = tx.send(NetEvent {
            ns: id,
            kind: NetEventKind::Failed(e.to_string()),
        });
    }
}

/// Fills in the namespaces the links' ids name, off the async threads (it may scan /proc).
async fn resolve(
    ns: &NetnsInfo,
    resolver: Resolver,
    mut links: Vec<Link>,
) -> (Resolver, Vec<Link>) {
    let ns = ns.clone();
    let mut r = resolver;
    // Kept to fall back on: a failed resolution leaves the links unresolved, never lost.
    let unresolved = links.clone();
    tokio::task::spawn_blocking(move || {
        r.resolve(&ns, links.iter_mut().collect());
        (r, links)
    })
    .await
    .unwrap_or_else(|_| (Resolver::patient(), unresolved))
}

/// The next request on the control channel; never, once it is closed.
async fn asked(ctl: &mut Option<tokio::sync::mpsc::UnboundedReceiver<Ask>>) -> Option<Ask> {
    match ctl {
        Some(c) => c.recv().await,
        None => std::future::pending().await,
    }
}

/// How long no event must come before tables are read again after a change that asks for
/// it, and how long that wait may last at most.
const QUIET: std::time::Duration = std::time::Duration::from_millis(20);
const QUIET_AT_MOST: std::time::Duration = std::time::Duration::from_millis(250);

/// The kernel marks routes `linkdown` when its linkwatch work runs, which for a carrier loss
/// may be up to a second after the link message showing it (another change to the link can
/// announce the lost carrier first): after a carrier or state change the routes are read
/// again once this long after.
const LINKWATCH_LATE: std::time::Duration = std::time::Duration::from_millis(1200);

/// The changes of one batch of messages, and whether the socket overran.
#[derive(Default)]
struct Batch {
    changes: Vec<Change>,
    overran: bool,
}

/// A watcher's own state between batches.
struct Watcher<'a> {
    /// The namespace, pinned open.
    ns: &'a NetnsInfo,
    tx: &'a UnboundedSender<NetEvent>,
    resolver: Resolver,
    seen: HashMap<u32, Seen>,
    overruns: u64,
}

impl Watcher<'_> {
    /// Sends an event; `false` once nobody listens.
    fn send(&self, kind: NetEventKind) -> bool {
        self.tx
            .send(NetEvent {
                ns: self.ns.id,
                kind,
            })
            .is_ok()
    }

    /// Takes one message into the batch, noting what it changes unannounced.
    fn take(
        &mut self,
        m: NetlinkMessage<RouteNetlinkMessage>,
        batch: &mut Batch,
        todo: &mut Followup,
    ) {
        let flags = m.header.flags;
        match m.payload {
            NetlinkPayload::Overrun(_) => batch.overran = true,
            NetlinkPayload::InnerMessage(
                RouteNetlinkMessage::NewNsId(m) | RouteNetlinkMessage::DelNsId(m),
            ) => self.resolver.forget_ids(&m),
            NetlinkPayload::InnerMessage(inner) => {
                if let Some(c) = parse::event(inner, flags) {
                    todo.note(&c, &mut self.seen);
                    if !untrusted(&c, &self.seen) {
                        batch.changes.push(c);
                    }
                }
            }
            _ => {}
        }
    }

    /// Dumps the namespace whole and sends it: the first state, and the only truthful one
    /// after lost events or a failed re-read.
    async fn resync(&mut self) -> Result<bool> {
        let state = snapshot_light(self.ns).await?;
        self.resolver.learn(&state);
        self.seen = seed(&state);
        Ok(self.send(NetEventKind::Snapshot {
            state: Box::new(state),
            overruns: self.overruns,
        }))
    }

    /// The links with the namespaces their ids name filled in.
    async fn resolved(&mut self, links: Vec<Link>) -> Vec<Link> {
        let (r, links) = resolve(self.ns, std::mem::take(&mut self.resolver), links).await;
        self.resolver = r;
        links
    }

    /// Fills in the namespaces the ids of new links name.
    async fn resolve_changes(&mut self, changes: &mut [Change]) {
        if !changes
            .iter()
            .any(|c| matches!(c, Change::NewLink(l) if l.link_netnsid.is_some()))
        {
            return;
        }
        let links = changes
            .iter_mut()
            .filter_map(|c| match c {
                Change::NewLink(l) => Some(std::mem::take(l)),
                _ => None,
            })
            .collect();
        let mut done = self.resolved(links).await.into_iter();
        for c in changes {
            if let Change::NewLink(l) = c {
                *l = done.next().unwrap_or_default();
            }
        }
    }

    /// Reads again what `todo` names and sends it; a re-read that fails re-dumps.
    async fn reread(&mut self, mut todo: Followup) -> Result<bool> {
        todo.links.sort_unstable();
        todo.links.dedup();
        todo.fdb_of.sort_unstable();
        todo.fdb_of.dedup();
        todo.routes_of.sort_unstable();
        todo.routes_of.dedup();
        todo.neighs_of.sort_unstable();
        todo.neighs_of.dedup();
        // Each device's routes (neighbours) cost a walk of the whole tables (the kernel
        // filters entry by entry): past a few devices, reading them whole is cheaper.
        if todo.routes_of.len() > FDB_DEVS_MAX {
            todo.tables.routes = true;
            todo.routes_of.clear();
        }
        if todo.neighs_of.len() > FDB_DEVS_MAX {
            todo.tables.neighs = true;
            todo.neighs_of.clear();
        }
        tracing::debug!(netns = %self.ns.name, tables = ?todo.tables, links = ?todo.links, fdb_of = ?todo.fdb_of, routes_of = ?todo.routes_of, neighs_of = ?todo.neighs_of, "reading again");
        let w = crate::dump::Wanted {
            tables: todo.tables,
            links: todo.links,
            fdb_of: todo.fdb_of,
            routes_of: todo.routes_of,
            neighs_of: todo.neighs_of,
        };
        let mut fresh = match reread(self.ns, w).await {
            Ok(f) => f,
            Err(e) => {
                // Tables that keep changing (or a thread that failed): the only truthful
                // state left is a whole dump.
                tracing::warn!(netns = %self.ns.name, "cannot read tables again ({e}): re-dumping");
                return self.resync().await;
            }
        };
        let found: Vec<Link> = fresh
            .links
            .iter_mut()
            .filter_map(|(_, l)| l.take())
            .collect();
        let mut done = self.resolved(found).await.into_iter().peekable();
        for (i, slot) in &mut fresh.links {
            if done.peek().is_some_and(|l| l.ifindex == *i) {
                *slot = done.next();
            }
            if let Some(l) = slot {
                // Up and carrier stay as the events said: a carrier change is announced
                // later (by the link watch), after the routes are marked linkdown, and
                // that event must still read as a change.
                let mut s = Seen::of(l);
                s.up = self.seen.get(i).map_or(SEEDED, |o| o.up);
                self.seen.insert(*i, s);
            }
        }
        Ok(self.send(NetEventKind::Reread(Box::new(fresh))))
    }
}

async fn watch_inner(
    ns: &NetnsInfo,
    tx: &UnboundedSender<NetEvent>,
    opts: WatchOptions,
) -> Result<()> {
    // Subscribe first, dump second: events that race the dump wait in the queue and are
    // applied after it, so the model converges on the kernel's state. The dump itself runs
    // on three blocking sockets of its own ([`snapshot`]: several times faster than one
    // request after the other on this connection) while the connection keeps queueing.
    let mut conn = {
        let _permit = READS.acquire().await;
        open(ns, true, opts.rcvbuf).await?
    };
    // Re-dumps (after an overrun, a link going down) enter the namespace again: hold it
    // open, so they reach it as long as this watcher lives.
    let pinned = netns::pin(ns)?;
    let mut w = Watcher {
        ns: &pinned.info,
        tx,
        resolver: Resolver::patient(),
        seen: HashMap::new(),
        overruns: 0,
    };
    let (ctl_tx, ctl_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut ctl = Some(ctl_rx);
    if !w.send(NetEventKind::Control(Control(ctl_tx))) || !w.resync().await? {
        return Ok(());
    }
    let mut late: Option<tokio::time::Instant> = None;
    let mut late_devs: Vec<u32> = Vec::new();
    // FDB re-reads are spaced: the kernel walks a bridge's whole table for any FDB dump
    // (even one filtered by port), so with a thousand ports every read costs as much as the
    // bridge has ports. What comes within a hundred times the last read's cost of it waits
    // for the next, gathered into one: a small host reads at once.
    let mut fdb = FdbPacer::default();
    loop {
        let mut todo = Followup::default();
        let mut batch = Batch::default();
        tokio::select! {
            () = async {
                match late {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            } => {
                late = None;
                todo.routes_of.append(&mut late_devs);
            }
            () = async {
                match fdb.due {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            } => {
                fdb.due = None;
            }
            m = conn.messages.next() => {
                let Some((m, _)) = m else {
                    return Err(Error::Netlink {
                        name: w.ns.name.clone(),
                        reason: "the netlink socket closed".into(),
                    });
                };
                w.take(m, &mut batch, &mut todo);
                while let Ok((m, _)) = conn.messages.try_recv() {
                    w.take(m, &mut batch, &mut todo);
                }
            }
            a = asked(&mut ctl) => {
                match a {
                    Some(a) => {
                        todo.tables |= a.tables;
                        todo.links.extend(a.links);
                        todo.fdb_of.extend(a.fdb_of);
                    }
                    // Nobody holds the control any more: stop listening to it.
                    None => ctl = None,
                }
            }
        }
        // What the kernel changes unannounced it changes after the event that brings it
        // (a removed address's routes are flushed after the address is announced), and route
        // dumps no longer wait for it: let it finish — until no event came for QUIET — before
        // reading the tables again.
        if todo.any() && !batch.changes.is_empty() {
            let until = tokio::time::Instant::now() + QUIET_AT_MOST;
            while !batch.overran {
                let left = until.saturating_duration_since(tokio::time::Instant::now());
                match tokio::time::timeout(QUIET.min(left), conn.messages.next()).await {
                    Ok(Some((m, _))) => w.take(m, &mut batch, &mut todo),
                    _ => break,
                }
            }
        }
        let Batch {
            mut changes,
            overran,
        } = batch;
        if overran {
            w.overruns += 1;
            tracing::warn!(netns = %w.ns.name, overruns = w.overruns, "netlink receive buffer overrun: re-dumping");
            // Lost events cannot be replayed: the only truthful state is a fresh dump.
            if !w.send(NetEventKind::Overrun {
                overruns: w.overruns,
            }) || !w.resync().await?
            {
                return Ok(());
            }
            continue;
        }
        w.resolve_changes(&mut changes).await;
        if !changes.is_empty() && !w.send(NetEventKind::Changes(changes)) {
            return Ok(());
        }
        if !todo.late.is_empty() {
            late_devs.append(&mut todo.late);
            late = Some(tokio::time::Instant::now() + LINKWATCH_LATE);
        }
        fdb.pace(&mut todo);
        let reads_fdb = todo.tables.fdb || !todo.fdb_of.is_empty();
        let t = tokio::time::Instant::now();
        if todo.any() && !w.reread(todo).await? {
            return Ok(());
        }
        if reads_fdb {
            fdb.cost = t.elapsed();
        }
    }
}
