//! `watch --json`: a replayable stream, list-then-watch as `kubectl get --watch`. Per
//! namespace one `snapshot` line (the `dump --json` shape, every entry with its `key`), then
//! one `new`/`del` line per entry the model set or removed, in order. Replaying it
//! (snapshot = the namespace's entries, `new` = set the key's data, `del` = remove the key)
//! gives exactly netlens's model.

use std::fmt::Write as _;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::apply::{Applied, Entry};
use crate::json::{AddrJson, FdbJson, LinkJson, NeighJson, RouteJson};
use crate::model::{Addr, Fdb, Link, Neigh, NsState, Route};
use crate::names;

/// The key of an entry: the model's identity for it, stable for the entry's life (the
/// fields the kernel tells entries apart by, written out).
pub fn key(e: Entry<'_>) -> String {
    match e {
        Entry::Link(l) => l.ifindex.to_string(),
        Entry::Addr(a) => addr_key(a),
        Entry::Route(r) => route_key(r),
        Entry::Neigh(n) => format!(
            "{} {}",
            n.ifindex,
            n.dst.map(|d| d.to_string()).unwrap_or_default()
        ),
        Entry::Fdb(f) => fdb_key(f),
    }
}

fn addr_key(a: &Addr) -> String {
    let k = a.key();
    let mut s = format!(
        "{} {} {}",
        k.ifindex,
        names::family(k.family),
        k.local.map(|l| l.to_string()).unwrap_or_default()
    );
    if let Some(p) = k.peer {
        let _ = write!(s, " peer {p}");
    }
    let _ = write!(s, "/{}", k.prefixlen);
    s
}

fn route_key(r: &Route) -> String {
    let k = r.key();
    let mut s = format!(
        "{} table {} {}",
        names::family(k.family),
        k.table,
        crate::json::route_dst(r)
    );
    if let Some(src) = k.src {
        let _ = write!(s, " from {src}/{}", k.src_len);
    }
    let _ = write!(s, " tos {} metric {}", k.tos, k.metric);
    if k.alt != 0 {
        let _ = write!(s, " #{:016x}", k.alt);
    }
    s
}

fn fdb_key(f: &Fdb) -> String {
    let k = f.key();
    let mut s = format!(
        "{} {} {} vlan {}",
        if k.master { "master" } else { "self" },
        k.table,
        names::mac(&k.mac),
        k.vlan
    );
    if k.src_vni != 0 {
        let _ = write!(s, " src_vni {}", k.src_vni);
    }
    if let Some((dst, port, vni, via)) = k.remote {
        let dst = dst.map(|d| d.to_string()).unwrap_or_default();
        let _ = write!(s, " dst {dst} port {port} vni {vni} via {via}");
    }
    s
}

/// An address as one entry of the stream: `{"ifindex", "ifname", "addr_info": [it]}`.
pub struct AddrEntryJson<'a> {
    pub addr: &'a Addr,
    pub ns: &'a NsState,
}

impl Serialize for AddrEntryJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let a = self.addr;
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry("ifindex", &a.ifindex)?;
        m.serialize_entry(
            "ifname",
            &self
                .ns
                .link_name(a.ifindex)
                .map_or_else(|| format!("if{}", a.ifindex), str::to_owned),
        )?;
        m.serialize_entry("addr_info", &[AddrJson(a)])?;
        m.end()
    }
}

/// The data of an entry: what `dump --json` prints for it (an address alone in its link).
pub struct Data<'a> {
    pub entry: Entry<'a>,
    pub ns: &'a NsState,
}

impl Serialize for Data<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ns = self.ns;
        match self.entry {
            Entry::Link(link) => LinkJson { link, ns }.serialize(s),
            Entry::Addr(addr) => AddrEntryJson { addr, ns }.serialize(s),
            Entry::Route(route) => RouteJson { route, ns }.serialize(s),
            Entry::Neigh(neigh) => NeighJson { neigh, ns }.serialize(s),
            Entry::Fdb(fdb) => FdbJson { fdb, ns }.serialize(s),
        }
    }
}

/// An entry of a snapshot: its data with its key.
#[derive(Serialize)]
struct Keyed<'a> {
    #[serde(flatten)]
    data: Data<'a>,
    key: String,
}

fn keyed<'a>(entry: Entry<'a>, ns: &'a NsState) -> Keyed<'a> {
    Keyed {
        key: key(entry),
        data: Data { entry, ns },
    }
}

/// A list serialized from an iterator, without collecting it.
struct List<I>(std::cell::RefCell<Option<I>>);

impl<'a, I: Iterator<Item = Keyed<'a>>> Serialize for List<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.borrow_mut().take().into_iter().flatten())
    }
}

fn list<'a, I: Iterator<Item = Keyed<'a>>>(it: I) -> List<I> {
    List(std::cell::RefCell::new(Some(it)))
}

/// The `snapshot` line of a namespace.
pub fn snapshot(netns: &str, ns: &NsState) -> serde_json::Result<String> {
    struct Snap<'a>(&'a str, &'a NsState);
    impl Serialize for Snap<'_> {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let ns = self.1;
            let mut m = s.serialize_map(Some(7))?;
            m.serialize_entry("event", "snapshot")?;
            m.serialize_entry("netns", self.0)?;
            m.serialize_entry(
                "links",
                &list(ns.links.values().map(|l: &Link| keyed(Entry::Link(l), ns))),
            )?;
            m.serialize_entry(
                "addrs",
                &list(ns.addrs.values().map(|a| keyed(Entry::Addr(a), ns))),
            )?;
            m.serialize_entry(
                "routes",
                &list(ns.routes.values().map(|r| keyed(Entry::Route(r), ns))),
            )?;
            m.serialize_entry(
                "neigh",
                &list(
                    ns.neighs
                        .values()
                        .map(|n: &Neigh| keyed(Entry::Neigh(n), ns)),
                ),
            )?;
            m.serialize_entry(
                "fdb",
                &list(ns.fdb.values().map(|f| keyed(Entry::Fdb(f), ns))),
            )?;
            m.end()
        }
    }
    serde_json::to_string(&Snap(netns, ns))
}

/// The `new`/`del` line of one applied change.
pub fn event(netns: &str, a: Applied<'_>, ns: &NsState) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct Line<'a> {
        event: &'a str,
        object: &'a str,
        netns: &'a str,
        key: String,
        data: Data<'a>,
    }
    let (event, entry) = match a {
        Applied::New(e) => ("new", e),
        Applied::Del(e) => ("del", e),
    };
    serde_json::to_string(&Line {
        event,
        object: entry.object(),
        netns,
        key: key(entry),
        data: Data { entry, ns },
    })
}
