//! One netlink connection per namespace subscribed to its events; dumps (the first, and
//! again after an overrun) on blocking sockets of their own ([`crate::dump`]).

use futures::channel::mpsc::UnboundedReceiver;
use futures::StreamExt;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{AsyncSocket, SocketAddr};
use rtnetlink::MulticastGroup;
use tokio::sync::mpsc::UnboundedSender;

use crate::model::{Change, NsState, Route};
use crate::netns::{self, NetnsInfo, NsId};
use crate::{names, parse, Error, Result};

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

/// The routes of every table of `ns`, dumped once on a socket of their own.
pub async fn routes(ns: &NetnsInfo) -> Result<Vec<Route>> {
    let ns = ns.clone();
    let name = ns.name.clone();
    tokio::task::spawn_blocking(move || crate::dump::routes_blocking(&ns))
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
    /// A full state: the first dump, or a re-dump after an overrun.
    Snapshot { state: Box<NsState>, overruns: u64 },
    /// Changes in the order the kernel sent them.
    Changes(Vec<Change>),
    /// Every route, re-read after a change the kernel does not announce route by route
    /// (a link going down or an IPv4 address removed flushes routes silently).
    Routes(Vec<Route>),
    /// The receive buffer overran: events were lost; a re-dump follows.
    Overrun { overruns: u64 },
    /// The watcher stopped with this error.
    Failed(String),
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
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            rcvbuf: DEFAULT_RCVBUF,
        }
    }
}

/// The up/down state the watcher compares link events with, seeded from a snapshot. A link
/// the snapshot shows down is recorded as up: the dump parts run at the same time, so the
/// routes may have been read before that link went down and the kernel flushed them
/// without a word. Its first event (the kernel queues it after the flush) then counts as
/// a change and the routes are read again; no timing is involved.
fn seed_up(st: &NsState) -> std::collections::HashMap<u32, bool> {
    st.links.keys().map(|&i| (i, true)).collect()
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

async fn watch_inner(
    ns: &NetnsInfo,
    tx: &UnboundedSender<NetEvent>,
    opts: WatchOptions,
) -> Result<()> {
    let send = |kind| tx.send(NetEvent { ns: ns.id, kind }).is_ok();
    // Subscribe first, dump second: events that race the dump wait in the queue and are
    // applied after it, so the model converges on the kernel's state. The dump itself runs
    // on three blocking sockets of its own ([`snapshot`]: several times faster than one
    // request after the other on this connection) while the connection keeps queueing.
    let mut conn = open(ns, true, opts.rcvbuf).await?;
    // Re-dumps (after an overrun, a link going down) enter the namespace again: hold it
    // open, so they reach it as long as this watcher lives.
    let pinned = netns::pin(ns)?;
    let ns = &pinned.info;
    let mut overruns = 0u64;
    let mut state = snapshot(ns).await?;
    let mut up = seed_up(&state);
    if !send(NetEventKind::Snapshot {
        state: Box::new(std::mem::take(&mut state)),
        overruns,
    }) {
        return Ok(());
    }
    loop {
        let Some(first) = conn.messages.next().await else {
            return Err(Error::Netlink {
                name: ns.name.clone(),
                reason: "the netlink socket closed".into(),
            });
        };
        let mut batch = vec![first];
        while let Ok(m) = conn.messages.try_recv() {
            batch.push(m);
        }
        let mut changes = Vec::with_capacity(batch.len());
        let mut overran = false;
        let mut routes_dirty = false;
        for (m, _) in batch {
            let flags = m.header.flags;
            match m.payload {
                NetlinkPayload::Overrun(_) => overran = true,
                NetlinkPayload::InnerMessage(inner) => {
                    if let Some(c) = parse::change_with_flags(inner, flags) {
                        match &c {
                            Change::NewLink(l) => {
                                let is_up = l.flags & names::IFF_UP != 0;
                                if up.insert(l.ifindex, is_up).is_some_and(|was| was != is_up) {
                                    routes_dirty = true;
                                }
                            }
                            Change::DelLink(i) => {
                                up.remove(i);
                            }
                            Change::DelAddr(a) if a.family == 2 => routes_dirty = true,
                            _ => {}
                        }
                        changes.push(c);
                    }
                }
                _ => {}
            }
        }
        if overran {
            overruns += 1;
            tracing::warn!(netns = %ns.name, overruns, "netlink receive buffer overrun: re-dumping");
            if !send(NetEventKind::Overrun { overruns }) {
                return Ok(());
            }
            // Lost events cannot be replayed: the only truthful state is a fresh dump.
            let fresh = snapshot(ns).await?;
            up = seed_up(&fresh);
            if !send(NetEventKind::Snapshot {
                state: Box::new(fresh),
                overruns,
            }) {
                return Ok(());
            }
            continue;
        }
        if !changes.is_empty() && !send(NetEventKind::Changes(changes)) {
            return Ok(());
        }
        if routes_dirty {
            let routes = routes(ns).await?;
            if !send(NetEventKind::Routes(routes)) {
                return Ok(());
            }
        }
    }
}
