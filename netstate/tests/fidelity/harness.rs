//! A watched namespace, as a consumer sees it: the inventory's model, and the state a
//! consumer of `watch --json` rebuilds by replaying the stream (snapshot = the entries,
//! `new` = set the key, `del` = remove it). `settle` waits until both equal a fresh dump.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use netstate::inventory::{Inventory, NsStatus, Update};
use netstate::live::{snapshot, watch, WatchOptions};
use netstate::netns::Discovery;
use netstate::{netns, stream, NetEvent, NetEventKind, NetnsInfo, NsId, NsState};
use tokio::sync::mpsc::UnboundedReceiver;

/// The state a consumer of the stream holds: (object, key) -> data.
pub type Replayed = testns::replay::Entries;

/// Entries of a snapshot line (or of the model rendered as one), keyed as the stream keys.
pub fn entries_of_snapshot(line: &str) -> Replayed {
    testns::replay::snapshot(&serde_json::from_str(line).expect("a snapshot line is JSON"))
}

/// Applies one `new`/`del` line as a consumer does.
pub fn replay(state: &mut Replayed, line: &str) {
    testns::replay::event(
        state,
        &serde_json::from_str(line).expect("an event line is JSON"),
    );
}

/// What may differ between a model and a dump taken at another moment: counters, and the
/// seconds left of a finite address lifetime.
pub fn normalized(st: &NsState) -> NsState {
    let mut s = st.clone();
    for l in s.links.values_mut() {
        l.stats = None;
    }
    for a in s.addrs.values_mut() {
        for lft in [&mut a.valid_lft, &mut a.preferred_lft] {
            if lft.is_some_and(|v| v != u32::MAX) {
                *lft = Some(1);
            }
        }
    }
    s
}

/// `NUD_INCOMPLETE`, `NUD_FAILED`.
const INCOMPLETE: u16 = 0x01;
const FAILED: u16 = 0x20;

/// The kernel never announces a neighbour entering INCOMPLETE (a packet to an address it
/// has not resolved, or failed to): the model shows the last announced state (FAILED, or
/// nothing) until the resolution ends and is announced. A kernel entry INCOMPLETE is taken
/// as what the model last heard.
///
/// An IPv6 route added between the hops of a multipath route of its key (a route without
/// a gateway, then a hop appended) is skipped by the kernel's route dump, which jumps from
/// the first hop to the last: `ip -6 route` does not show it, yet it is there
/// (`ip -6 route del` finds it). The model, told of it by its event, keeps it.
pub fn as_announced(model: &NsState, kernel: &mut NsState) {
    for (k, r) in &model.routes {
        let hidden = k.alt != 0
            && !kernel.routes.contains_key(k)
            && kernel
                .routes
                .get(&netstate::model::RouteKey {
                    alt: 0,
                    ..r.group()
                })
                .is_some_and(|m| m.nexthops.len() > 1);
        if hidden {
            kernel.routes.insert(k.clone(), r.clone());
        }
    }
    kernel.neighs.retain(|k, n| {
        if n.state != INCOMPLETE {
            return true;
        }
        match model.neighs.get(k) {
            Some(m) if m.state == FAILED => {
                *n = m.clone();
                true
            }
            _ => false,
        }
    });
}

/// The entries of `normalized` model `a` that differ from `b`, table by table.
pub fn differences(a: &NsState, b: &NsState) -> String {
    fn table<K: Ord + std::fmt::Debug, V: PartialEq + std::fmt::Debug>(
        what: &str,
        a: &BTreeMap<K, V>,
        b: &BTreeMap<K, V>,
        out: &mut String,
    ) {
        use std::fmt::Write;
        for (k, v) in a {
            match b.get(k) {
                None => {
                    let _ = writeln!(out, "  {what}: only in the model: {v:?}");
                }
                Some(w) if w != v => {
                    let _ = writeln!(out, "  {what}: model {v:?}\n  {what}: kernel {w:?}");
                }
                _ => {}
            }
        }
        for (k, v) in b {
            if !a.contains_key(k) {
                let _ = writeln!(out, "  {what}: only in the kernel: {v:?}");
            }
        }
    }
    let mut out = String::new();
    table("link", &a.links, &b.links, &mut out);
    table("addr", &a.addrs, &b.addrs, &mut out);
    table("route", &a.routes, &b.routes, &mut out);
    table("neigh", &a.neighs, &b.neighs, &mut out);
    table("fdb", &a.fdb, &b.fdb, &mut out);
    out
}

/// How many event lines a [`Watched`] keeps.
const LOG: usize = 2000;

/// Namespaces followed by their watchers into one inventory (as the UI has them: a change
/// in one may ask another's watcher to read again), with the stream replayed beside the
/// model.
pub struct Watched {
    /// The first namespace.
    pub info: NetnsInfo,
    pub infos: Vec<NetnsInfo>,
    inv: Inventory,
    rx: UnboundedReceiver<NetEvent>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    pub replayed: BTreeMap<NsId, Replayed>,
    /// Stream lines seen (snapshots and events).
    pub lines: usize,
    /// The last event lines, oldest first.
    pub log: std::collections::VecDeque<String>,
}

impl Drop for Watched {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl Watched {
    /// Starts watching `name` and waits for its first dump.
    pub async fn start(name: &str) -> Watched {
        Watched::start_all(&[name]).await
    }

    /// Starts watching `names` and waits for their first dumps.
    pub async fn start_all(names: &[&str]) -> Watched {
        let infos: Vec<NetnsInfo> = names
            .iter()
            .map(|n| netns::find(n).expect("test namespace"))
            .collect();
        let mut inv = Inventory::default();
        inv.apply(Update::Namespaces(Discovery {
            namespaces: infos.clone(),
            problems: Vec::new(),
        }));
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let tasks = infos
            .iter()
            .map(|i| tokio::spawn(watch(i.clone(), tx.clone(), WatchOptions::default())))
            .collect();
        let mut w = Watched {
            info: infos[0].clone(),
            infos,
            inv,
            rx,
            tasks,
            replayed: BTreeMap::new(),
            lines: 0,
            log: std::collections::VecDeque::new(),
        };
        let start = Instant::now();
        while !w
            .infos
            .iter()
            .all(|i| w.status(i.id) == Some(NsStatus::Live))
        {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{names:?}: no first dump within 10 s"
            );
            w.pump(Duration::from_millis(100)).await;
        }
        w
    }

    fn status(&self, id: NsId) -> Option<NsStatus> {
        self.inv.get(id).map(|e| e.status.clone())
    }

    /// The model of the first namespace.
    pub fn state(&self) -> &NsState {
        self.state_of(self.info.id)
    }

    pub fn state_of(&self, id: NsId) -> &NsState {
        &self
            .inv
            .get(id)
            .expect("the watched namespace is in the inventory")
            .state
    }

    pub fn inventory(&self) -> &Inventory {
        &self.inv
    }

    /// Event lines seen since the last call.
    pub fn take_log(&mut self) -> Vec<String> {
        self.log.drain(..).collect()
    }

    /// Applies one event: to the model, and as stream lines to the replayed state.
    fn apply(&mut self, ev: NetEvent) {
        let id = ev.ns;
        let name = self
            .inv
            .get(id)
            .map(|e| e.info.name.clone())
            .unwrap_or_default();
        if let NetEventKind::Snapshot { state, .. } = &ev.kind {
            if self.status(id) == Some(NsStatus::Loading) {
                let line = stream::snapshot(&name, state).expect("snapshot line");
                self.replayed.insert(id, entries_of_snapshot(&line));
                self.lines += 1;
            }
        }
        let mut lines = Vec::new();
        self.inv.apply_each(Update::Net(ev), |info, a, st| {
            lines.push(stream::event(&info.name, a, st).expect("event line"));
        });
        self.lines += lines.len();
        let trace = std::env::var_os("NETLENS_FUZZ_TRACE").is_some();
        let replayed = self.replayed.entry(id).or_default();
        for l in lines {
            if trace {
                eprintln!("event {l}");
            }
            replay(replayed, &l);
            if self.log.len() == LOG {
                self.log.pop_front();
            }
            self.log.push_back(l);
        }
    }

    /// Applies the events that arrive within `wait`.
    pub async fn pump(&mut self, wait: Duration) {
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(ev)) => self.apply(ev),
                Ok(None) => panic!("the watchers stopped"),
                Err(_) => return,
            }
        }
    }

    /// A namespace's model rendered as the stream renders it.
    pub fn model_entries(&self, id: NsId) -> Replayed {
        let name = self
            .inv
            .get(id)
            .map(|e| e.info.name.clone())
            .unwrap_or_default();
        entries_of_snapshot(&stream::snapshot(&name, self.state_of(id)).expect("snapshot"))
    }

    /// What differs in namespace `i` between the model and `dumped` (taken as the kernel
    /// announces things), and between the replayed stream and the model; empty if nothing.
    fn differs(&self, i: &NetnsInfo, dumped: &NsState) -> String {
        let mut fresh = dumped.clone();
        as_announced(self.state_of(i.id), &mut fresh);
        let model = normalized(self.state_of(i.id));
        let entries = self.model_entries(i.id);
        let replayed = self.replayed.get(&i.id).cloned().unwrap_or_default();
        let mut out = String::new();
        if self.status(i.id) != Some(NsStatus::Live) {
            out = format!("status {:?}\n", self.status(i.id));
        }
        if model != fresh {
            out.push_str(&differences(&model, &fresh));
        }
        if entries != replayed {
            out.push_str(&replay_differences(&entries, &replayed));
        }
        if !out.is_empty() {
            out.insert_str(0, &format!("namespace {}:\n", i.name));
        }
        out
    }

    /// Waits until every model equals a fresh dump (counters aside) and each replayed
    /// stream equals its model; dumps taken while the kernel still changed things on its
    /// own (IPv6 duplicate address detection, neighbour timers) are taken again. On
    /// failure, says what differs.
    pub async fn settle(&mut self) -> Result<Duration, String> {
        let start = Instant::now();
        let lines_before = self.lines;
        let mut last = String::new();
        for _ in 0..8 {
            // A kernel that never stops changing (a bridge loop) fails the test, rather
            // than let the events pile up.
            if self.lines - lines_before > 100_000 {
                return Err(format!(
                    "more than 100,000 changes while settling: the kernel never stops changing (a loop?)\n{last}"
                ));
            }
            let mut dumped = Vec::new();
            for i in &self.infos {
                dumped.push(normalized(
                    &snapshot(i).await.map_err(|e| format!("{}: {e}", i.name))?,
                ));
            }
            let until = Instant::now() + Duration::from_millis(800);
            loop {
                // Bounded: a kernel that never stops changing (a bridge loop) must not
                // keep this from timing out.
                for _ in 0..10_000 {
                    let Ok(ev) = self.rx.try_recv() else { break };
                    self.apply(ev);
                }
                last = self
                    .infos
                    .iter()
                    .zip(&dumped)
                    .map(|(i, d)| self.differs(i, d))
                    .collect();
                if last.is_empty() {
                    return Ok(start.elapsed());
                }
                if Instant::now() >= until {
                    break;
                }
                self.pump(Duration::from_millis(20)).await;
            }
        }
        Err(last)
    }
}

fn replay_differences(model: &Replayed, replayed: &Replayed) -> String {
    use std::fmt::Write;
    let mut out = String::from("the replayed stream differs from the model:\n");
    for (k, v) in model {
        match replayed.get(k) {
            None => {
                let _ = writeln!(out, "  only in the model: {k:?} {v}");
            }
            Some(w) if w != v => {
                let _ = writeln!(out, "  {k:?}\n    model    {v}\n    replayed {w}");
            }
            _ => {}
        }
    }
    for (k, v) in replayed {
        if !model.contains_key(k) {
            let _ = writeln!(out, "  only in the stream: {k:?} {v}");
        }
    }
    out
}
