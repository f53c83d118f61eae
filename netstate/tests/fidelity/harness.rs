//! A watched namespace, as a consumer sees it: the inventory's model, and the state a
//! consumer of `watch --json` rebuilds by replaying the stream (snapshot = the entries,
//! `new` = set the key, `del` = remove it). `settle` waits until both equal a fresh dump.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use netstate::inventory::{supervise, Inventory, NsStatus, Scope, Update};
use netstate::live::{snapshot, WatchOptions};
use netstate::{netns, stream, NetEventKind, NetnsInfo, NsState};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedReceiver;

/// The state a consumer of the stream holds: (object, key) -> data.
pub type Replayed = BTreeMap<(String, String), Value>;

/// Entries of a snapshot line (or of the model rendered as one), keyed as the stream keys.
pub fn entries_of_snapshot(line: &str) -> Replayed {
    let v: Value = serde_json::from_str(line).expect("a snapshot line is JSON");
    assert_eq!(v["event"], "snapshot", "{line}");
    let mut out = BTreeMap::new();
    for (list, object) in [
        ("links", "link"),
        ("addrs", "addr"),
        ("routes", "route"),
        ("neigh", "neigh"),
        ("fdb", "fdb"),
    ] {
        for e in v[list].as_array().expect("a list of entries") {
            let mut data = e.clone();
            let key = data
                .as_object_mut()
                .and_then(|o| o.remove("key"))
                .and_then(|k| k.as_str().map(str::to_owned))
                .unwrap_or_else(|| panic!("an entry without a key: {e}"));
            let dup = out.insert((object.to_owned(), key.clone()), data);
            assert!(dup.is_none(), "two {object} entries share the key {key:?}");
        }
    }
    out
}

/// Applies one `new`/`del` line as a consumer does.
pub fn replay(state: &mut Replayed, line: &str) {
    let v: Value = serde_json::from_str(line).expect("an event line is JSON");
    let object = v["object"].as_str().expect("object").to_owned();
    let key = v["key"].as_str().expect("key").to_owned();
    match v["event"].as_str() {
        Some("new") => {
            state.insert((object, key), v["data"].clone());
        }
        Some("del") => {
            assert!(
                state.remove(&(object.clone(), key.clone())).is_some(),
                "del of a {object} the stream never announced: {key}"
            );
        }
        other => panic!("unexpected event {other:?}: {line}"),
    }
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

/// One namespace followed by a watcher, with the stream replayed beside the model.
pub struct Watched {
    pub info: NetnsInfo,
    inv: Inventory,
    rx: UnboundedReceiver<Update>,
    task: tokio::task::JoinHandle<()>,
    pub replayed: Replayed,
    /// Stream lines seen (snapshot and events).
    pub lines: usize,
    /// The last event lines, oldest first.
    pub log: std::collections::VecDeque<String>,
}

impl Drop for Watched {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Watched {
    /// Starts watching `name` and waits for its first dump.
    pub async fn start(name: &str) -> Watched {
        let info = netns::find(name).expect("test namespace");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let task = tokio::spawn(supervise(
            Scope::One(info.clone()),
            tx,
            WatchOptions::default(),
        ));
        let mut w = Watched {
            info,
            inv: Inventory::default(),
            rx,
            task,
            replayed: BTreeMap::new(),
            lines: 0,
            log: std::collections::VecDeque::new(),
        };
        let start = Instant::now();
        while w.status() != Some(NsStatus::Live) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "{}: no first dump within 10 s",
                w.info.name
            );
            w.pump(Duration::from_millis(100)).await;
        }
        w
    }

    fn status(&self) -> Option<NsStatus> {
        self.inv.get(self.info.id).map(|e| e.status.clone())
    }

    /// The model.
    pub fn state(&self) -> &NsState {
        &self
            .inv
            .get(self.info.id)
            .expect("the watched namespace is in the inventory")
            .state
    }

    /// Event lines seen since the last call.
    pub fn take_log(&mut self) -> Vec<String> {
        self.log.drain(..).collect()
    }

    /// Applies one update: to the model, and as stream lines to the replayed state.
    fn apply(&mut self, u: Update) {
        if let Update::Net(ev) = &u {
            if let NetEventKind::Snapshot { state, .. } = &ev.kind {
                if self.status() == Some(NsStatus::Loading) {
                    let line = stream::snapshot(&self.info.name, state).expect("snapshot line");
                    self.replayed = entries_of_snapshot(&line);
                    self.lines += 1;
                }
            }
        }
        let mut lines = Vec::new();
        self.inv.apply_each(u, |info, a, st| {
            lines.push(stream::event(&info.name, a, st).expect("event line"));
        });
        self.lines += lines.len();
        for l in lines {
            replay(&mut self.replayed, &l);
            if self.log.len() == LOG {
                self.log.pop_front();
            }
            self.log.push_back(l);
        }
    }

    /// Applies the updates that arrive within `wait`.
    pub async fn pump(&mut self, wait: Duration) {
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(u)) => self.apply(u),
                Ok(None) => panic!("{}: the watcher stopped", self.info.name),
                Err(_) => return,
            }
        }
    }

    /// The model rendered as the stream renders it.
    pub fn model_entries(&self) -> Replayed {
        entries_of_snapshot(&stream::snapshot(&self.info.name, self.state()).expect("snapshot"))
    }

    /// Waits until the model equals a fresh dump (counters aside) and the replayed stream
    /// equals the model; a dump taken while the kernel still changed things on its own
    /// (IPv6 duplicate address detection, neighbour timers) is taken again. On failure,
    /// says what differs.
    pub async fn settle(&mut self) -> Result<Duration, String> {
        let start = Instant::now();
        let mut last = String::new();
        for _ in 0..8 {
            let fresh = normalized(&snapshot(&self.info).await.map_err(|e| e.to_string())?);
            let until = Instant::now() + Duration::from_millis(800);
            loop {
                while let Ok(u) = self.rx.try_recv() {
                    self.apply(u);
                }
                if self.status() == Some(NsStatus::Live) && normalized(self.state()) == fresh {
                    let model = self.model_entries();
                    if model == self.replayed {
                        return Ok(start.elapsed());
                    }
                    last = replay_differences(&model, &self.replayed);
                } else {
                    last = format!(
                        "status {:?}\n{}",
                        self.status(),
                        differences(&normalized(self.state()), &fresh)
                    );
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
