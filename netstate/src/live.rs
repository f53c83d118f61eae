//! One netlink connection per namespace: dump, subscribe, apply events, re-dump on overrun.

use futures::channel::mpsc::UnboundedReceiver;
use futures::StreamExt;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::neighbour::NeighbourMessage;
use netlink_packet_route::route::RouteMessage;
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
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
    name: String,
}

/// Opens a route-netlink connection inside `ns`; with `subscribe`, it also receives link,
/// address, route and neighbour events. Must be called within a tokio runtime.
pub async fn open(ns: &NetnsInfo, subscribe: bool, rcvbuf: usize) -> Result<NsConn> {
    let rt = tokio::runtime::Handle::current();
    let name = ns.name.clone();
    let err_name = name.clone();
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
        name: err_name.clone(),
        reason: format!("namespace thread failed: {e}"),
    })??;
    let task = tokio::spawn(conn);
    Ok(NsConn {
        handle,
        messages,
        _conn: AbortOnDrop(task),
        name: err_name,
    })
}

/// Which tables a dump reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    All,
    Routes,
}

impl NsConn {
    /// The rtnetlink handle of this namespace's socket, for requests that change state.
    pub fn handle(&self) -> rtnetlink::Handle {
        self.handle.clone()
    }

    /// Sends one dump request and applies each answer to `st` as it arrives (the netlink
    /// messages are never all held at once).
    async fn dump_one(
        &mut self,
        msg: RouteNetlinkMessage,
        what: &str,
        st: &mut NsState,
    ) -> Result<()> {
        let mut req = NetlinkMessage::from(msg);
        req.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
        let mut stream = self.handle.request(req).map_err(|e| Error::Netlink {
            name: self.name.clone(),
            reason: format!("{what} dump request failed: {e}"),
        })?;
        while let Some(m) = stream.next().await {
            if m.header.flags & 0x10 != 0 {
                // NLM_F_DUMP_INTR: the tables changed under the dump; start it again.
                return Err(Error::DumpOverrun {
                    name: self.name.clone(),
                });
            }
            match m.payload {
                NetlinkPayload::InnerMessage(inner) => {
                    if let Some(c) = parse::change(inner) {
                        st.apply(c);
                    }
                }
                NetlinkPayload::Error(e) if e.to_io().raw_os_error() == Some(105) => {
                    return Err(Error::DumpOverrun {
                        name: self.name.clone(),
                    });
                }
                NetlinkPayload::Error(e) if e.code.is_some() => {
                    return Err(Error::Netlink {
                        name: self.name.clone(),
                        reason: format!("{what} dump failed: {}", e.to_io()),
                    })
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Dumps every table, like `ip link`, `ip addr`, `ip route show table all`,
    /// `ip neigh` and `bridge fdb show` together.
    pub async fn dump(&mut self) -> Result<NsState> {
        self.dump_part(Part::All).await
    }

    async fn dump_part(&mut self, part: Part) -> Result<NsState> {
        // A dump racing a burst of events can itself hit ENOBUFS: start it again.
        let mut tries = 0;
        loop {
            match self.dump_once(part).await {
                Err(Error::DumpOverrun { .. }) if tries < 1000 => {
                    tries += 1;
                    backoff(tries).await;
                }
                r => return r,
            }
        }
    }

    async fn dump_once(&mut self, part: Part) -> Result<NsState> {
        let mut st = NsState::default();
        if part == Part::All {
            self.dump_one(
                RouteNetlinkMessage::GetLink(LinkMessage::default()),
                "link",
                &mut st,
            )
            .await?;
            self.dump_one(
                RouteNetlinkMessage::GetAddress(AddressMessage::default()),
                "address",
                &mut st,
            )
            .await?;
        }
        if matches!(part, Part::All | Part::Routes) {
            // An AF_UNSPEC dump would also walk MPLS and multicast tables: ask per family.
            for fam in [AddressFamily::Inet, AddressFamily::Inet6] {
                let mut r = RouteMessage::default();
                r.header.address_family = fam;
                self.dump_one(RouteNetlinkMessage::GetRoute(r), "route", &mut st)
                    .await?;
            }
        }
        if part == Part::All {
            self.dump_one(
                RouteNetlinkMessage::GetNeighbour(NeighbourMessage::default()),
                "neighbour",
                &mut st,
            )
            .await?;
            let mut fdb = NeighbourMessage::default();
            fdb.header.family = AddressFamily::Bridge;
            self.dump_one(RouteNetlinkMessage::GetNeighbour(fdb), "fdb", &mut st)
                .await?;
        }
        Ok(st)
    }

    /// Dumps the routes of every table.
    pub async fn dump_routes(&mut self) -> Result<Vec<Route>> {
        Ok(self
            .dump_part(Part::Routes)
            .await?
            .routes
            .into_values()
            .collect())
    }
}

/// Waits a little longer after each failed dump, so a storm of events can pass.
async fn backoff(tries: u32) {
    tokio::time::sleep(std::time::Duration::from_millis(
        u64::from(tries.min(50)) * 10,
    ))
    .await;
}

/// Dumps one namespace once. Links and addresses, routes, and neighbours and FDB are
/// read on three sockets at the same time: the kernel builds the three dumps in parallel.
pub async fn snapshot(ns: &NetnsInfo) -> Result<NsState> {
    snapshot_with(ns, true).await
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
    // applied after it, so the model converges on the kernel's state.
    let mut conn = open(ns, true, opts.rcvbuf).await?;
    let mut overruns = 0u64;
    let mut state = conn.dump().await?;
    let mut up: std::collections::HashMap<u32, bool> = state
        .links
        .values()
        .map(|l| (l.ifindex, l.flags & names::IFF_UP != 0))
        .collect();
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
            let fresh = conn.dump().await?;
            up = fresh
                .links
                .values()
                .map(|l| (l.ifindex, l.flags & names::IFF_UP != 0))
                .collect();
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
            let routes = conn.dump_routes().await?;
            if !send(NetEventKind::Routes(routes)) {
                return Ok(());
            }
        }
    }
}
