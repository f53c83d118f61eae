//! Every namespace's state, kept up to date from watcher events; and the supervisor that
//! starts a watcher per namespace and follows namespaces as they come and go.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use crate::live::{self, NetEvent, NetEventKind, WatchOptions};
use crate::model::{Change, NsState};
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

    fn get_mut(&mut self, id: NsId) -> Option<&mut NsEntry> {
        self.namespaces.iter_mut().find(|n| n.info.id == id)
    }

    /// Applies an update; returns the changes it made to a namespace's state (for display),
    /// with the namespace they happened in.
    pub fn apply(&mut self, u: Update) -> Option<(NsId, Vec<Change>)> {
        let mut out = Vec::new();
        let id = self.apply_each(u, |_, c, _| out.push(c.clone()))?;
        Some((id, out))
    }

    /// Applies an update change by change, calling `f(namespace, change, state)` for each:
    /// with the state before a delete (so the deleted object's names still resolve) and after
    /// an upsert. Returns the namespace the update touched.
    pub fn apply_each(
        &mut self,
        u: Update,
        mut f: impl FnMut(&NetnsInfo, &Change, &NsState),
    ) -> Option<NsId> {
        let ev = match u {
            Update::Namespaces(d) => {
                self.set_namespaces(d);
                return None;
            }
            Update::Net(ev) => ev,
        };
        let e = self.get_mut(ev.ns)?;
        let mut each = |e: &mut NsEntry, cs: Vec<Change>| {
            for c in cs {
                if c.is_delete() {
                    f(&e.info, &c, &e.state);
                    e.state.apply(c);
                } else {
                    e.state.apply(c.clone());
                    f(&e.info, &c, &e.state);
                }
            }
        };
        match ev.kind {
            NetEventKind::Snapshot { state, overruns } => {
                if e.status != NsStatus::Loading {
                    let diff = e.state.diff(&state);
                    each(e, diff);
                }
                e.state = *state;
                e.status = NsStatus::Live;
                e.overruns = overruns;
            }
            NetEventKind::Changes(cs) => each(e, cs),
            NetEventKind::Routes(routes) => {
                let mut fresh = NsState::default();
                fresh.set_routes(routes);
                let diff: Vec<Change> = e
                    .state
                    .routes
                    .values()
                    .filter(|r| !fresh.routes.contains_key(&r.key()))
                    .map(|r| Change::DelRoute(r.clone()))
                    .chain(
                        fresh
                            .routes
                            .values()
                            .filter(|r| e.state.routes.get(&r.key()) != Some(*r))
                            .map(|r| Change::NewRoute(r.clone())),
                    )
                    .collect();
                each(e, diff);
            }
            NetEventKind::Overrun { overruns } => {
                e.overruns = overruns;
                e.status = NsStatus::Resyncing;
            }
            NetEventKind::Failed(msg) => e.status = NsStatus::Failed(msg),
        }
        Some(ev.ns)
    }

    fn set_namespaces(&mut self, d: Discovery) {
        self.problems = d.problems;
        let mut next = Vec::with_capacity(d.namespaces.len());
        for info in d.namespaces {
            match self.namespaces.iter().position(|n| n.info.id == info.id) {
                Some(i) => {
                    let mut e = self.namespaces.swap_remove(i);
                    e.info = info;
                    next.push(e);
                }
                None => next.push(NsEntry {
                    info,
                    state: NsState::default(),
                    status: NsStatus::Loading,
                    overruns: 0,
                }),
            }
        }
        self.namespaces = next;
    }
}

impl NsState {
    /// The changes that turn `self` into `other`.
    pub fn diff(&self, other: &NsState) -> Vec<Change> {
        let mut out = Vec::new();
        macro_rules! diff_map {
            ($field:ident, $new:expr, $del:expr) => {
                for (k, v) in &self.$field {
                    if !other.$field.contains_key(k) {
                        out.push($del(k, v));
                    }
                }
                for (k, v) in &other.$field {
                    if self.$field.get(k) != Some(v) {
                        out.push($new(v.clone()));
                    }
                }
            };
        }
        diff_map!(links, Change::NewLink, |k: &u32, _| Change::DelLink(*k));
        diff_map!(addrs, Change::NewAddr, |_, v: &crate::model::Addr| {
            Change::DelAddr(v.clone())
        });
        diff_map!(routes, Change::NewRoute, |_, v: &crate::model::Route| {
            Change::DelRoute(v.clone())
        });
        diff_map!(neighs, Change::NewNeigh, |_, v: &crate::model::Neigh| {
            Change::DelNeigh(v.clone())
        });
        diff_map!(fdb, Change::NewFdb, |_, v: &crate::model::Fdb| {
            Change::DelFdb(v.clone())
        });
        out
    }
}

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
pub async fn supervise(scope: Scope, tx: UnboundedSender<Update>, opts: WatchOptions) {
    let mut running: HashMap<NsId, tokio::task::JoinHandle<()>> = HashMap::new();
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
        let fresh: Vec<NetnsInfo> = d
            .namespaces
            .iter()
            .filter(|n| !running.contains_key(&n.id))
            .cloned()
            .collect();
        if tx.send(Update::Namespaces(d)).is_err() {
            break;
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
