//! One generic table serves links, addresses, routes, neighbours and FDB: each row type
//! says how it renders its columns.

use netstate::inventory::Inventory;
use netstate::json::route_dst;
use netstate::model::{Addr, Fdb, Link, Neigh, Route};
use netstate::relations::parent_label;
use netstate::{names, text, Entry, NsState};

/// The tabs of the inventory view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    Links,
    Addresses,
    Routes,
    Neighbours,
    Fdb,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::Links,
        Tab::Addresses,
        Tab::Routes,
        Tab::Neighbours,
        Tab::Fdb,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Tab::Links => "Links",
            Tab::Addresses => "Addresses",
            Tab::Routes => "Routes",
            Tab::Neighbours => "Neighbours",
            Tab::Fdb => "FDB",
        }
    }

    pub fn headers(self) -> &'static [&'static str] {
        match self {
            Tab::Links => Link::HEADERS,
            Tab::Addresses => Addr::HEADERS,
            Tab::Routes => Route::HEADERS,
            Tab::Neighbours => Neigh::HEADERS,
            Tab::Fdb => Fdb::HEADERS,
        }
    }

    /// Relative column widths.
    pub fn widths(self) -> &'static [u16] {
        match self {
            Tab::Links => &[5, 14, 9, 8, 6, 17, 12, 10, 30],
            Tab::Addresses => &[14, 6, 30, 8, 10],
            Tab::Routes => &[22, 18, 12, 7, 9, 7, 8, 16, 10],
            Tab::Neighbours => &[28, 14, 17, 20],
            Tab::Fdb => &[17, 14, 6, 18, 8, 10, 12, 10],
        }
    }

    /// Rows of this tab for one namespace, in the model's order. With the inventory, links
    /// name a parent or peer in another namespace (`eth0@node1`).
    pub fn rows(self, ns: &NsState, inv: Option<&Inventory>) -> Vec<Row> {
        let cx = Cx { ns, inv };
        match self {
            Tab::Links => ns.links.values().map(|x| x.row(&cx)).collect(),
            Tab::Addresses => ns.addrs.values().map(|x| x.row(&cx)).collect(),
            Tab::Routes => ns.routes.values().map(|x| x.row(&cx)).collect(),
            Tab::Neighbours => ns.neighs.values().map(|x| x.row(&cx)).collect(),
            Tab::Fdb => ns.fdb.values().map(|x| x.row(&cx)).collect(),
        }
    }
}

/// Separates cells inside a row's one allocation.
const SEP: char = '\x1f';

/// A table row: its identity (a hash of the kernel's key, stable across updates) and its
/// cells, kept in one allocation: 100k rows of nine cells cost one string each, not nine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: u64,
    text: Box<str>,
}

impl Row {
    pub fn new(key: u64, cells: &[String]) -> Row {
        Row {
            key,
            text: cells.join("\x1f").into_boxed_str(),
        }
    }

    /// The cells, in column order.
    pub fn cells(&self) -> impl Iterator<Item = &str> {
        self.text.split(SEP)
    }

    /// Cell `i`, or "" past the last one.
    pub fn cell(&self, i: usize) -> &str {
        self.cells().nth(i).unwrap_or("")
    }

    /// Whether any cell contains `needle` (already lower-cased).
    pub fn matches(&self, needle: &str) -> bool {
        needle.is_empty() || self.text.to_lowercase().contains(needle)
    }
}

/// A row key: a hash of the object's kernel key and its table.
pub fn hash_key<K: std::hash::Hash>(table: u8, k: &K) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write_u8(table);
    k.hash(&mut h);
    h.finish()
}

/// What rows are rendered against: the namespace, and the inventory for other namespaces.
pub struct Cx<'a> {
    pub ns: &'a NsState,
    pub inv: Option<&'a Inventory>,
}

/// How a model object renders as a table row.
pub trait TableRow {
    const HEADERS: &'static [&'static str];
    fn key(&self) -> u64;
    fn cells(&self, cx: &Cx) -> Vec<String>;
    fn row(&self, cx: &Cx) -> Row {
        Row::new(self.key(), &self.cells(cx))
    }
}

fn name(ns: &NsState, i: u32) -> String {
    ns.link_name(i)
        .map_or_else(|| format!("if{i}"), str::to_owned)
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|x| x.to_string()).unwrap_or_default()
}

impl TableRow for Link {
    const HEADERS: &'static [&'static str] = &[
        "#", "NAME", "KIND", "STATE", "MTU", "MAC", "PARENT", "MASTER", "DETAILS",
    ];
    fn key(&self) -> u64 {
        link_key(self.ifindex)
    }
    fn cells(&self, cx: &Cx) -> Vec<String> {
        let ns = cx.ns;
        let parent = parent_label(self, ns, cx.inv).unwrap_or_default();
        let details = text::kind_details(self, ns);
        vec![
            self.ifindex.to_string(),
            self.name.clone(),
            self.kind.clone().unwrap_or_default(),
            self.operstate
                .map(names::operstate)
                .unwrap_or_default()
                .into_owned(),
            opt(self.mtu),
            self.address.as_deref().map(names::mac).unwrap_or_default(),
            parent,
            self.master.map(|m| name(ns, m)).unwrap_or_default(),
            details
                .split_once(' ')
                .map(|(_, d)| d.to_owned())
                .unwrap_or_default(),
        ]
    }
}

/// The row key of link `ifindex`.
pub fn link_key(ifindex: u32) -> u64 {
    hash_key(0, &ifindex)
}

impl TableRow for Addr {
    const HEADERS: &'static [&'static str] = &["DEV", "FAMILY", "ADDRESS", "SCOPE", "LABEL"];
    fn key(&self) -> u64 {
        hash_key(1, &self.key())
    }
    fn cells(&self, cx: &Cx) -> Vec<String> {
        let ns = cx.ns;
        vec![
            name(ns, self.ifindex),
            names::family(self.family).to_owned(),
            text::addr_prefix(self),
            names::scope(self.scope).into_owned(),
            self.label.clone().unwrap_or_default(),
        ]
    }
}

impl TableRow for Route {
    const HEADERS: &'static [&'static str] = &[
        "DST", "GATEWAY", "DEV", "TABLE", "PROTO", "SCOPE", "METRIC", "PREFSRC", "TYPE",
    ];
    fn key(&self) -> u64 {
        hash_key(2, &self.key())
    }
    fn cells(&self, cx: &Cx) -> Vec<String> {
        let ns = cx.ns;
        vec![
            route_dst(self),
            opt(self.gateway),
            self.oif.map(|o| name(ns, o)).unwrap_or_default(),
            names::table(self.table).into_owned(),
            names::protocol(self.protocol).into_owned(),
            names::scope(self.scope).into_owned(),
            opt(self.metric),
            opt(self.prefsrc),
            route_type_flags(self),
        ]
    }
}

/// The type with the kernel's flags (linkdown, dead, onlink...) after it.
fn route_type_flags(r: &Route) -> String {
    let mut t = names::route_type(r.kind).into_owned();
    if r.flags != 0 {
        for f in names::route_flags(r.flags) {
            t.push(' ');
            t.push_str(f);
        }
    }
    t
}

impl TableRow for Neigh {
    const HEADERS: &'static [&'static str] = &["DST", "DEV", "LLADDR", "STATE"];
    fn key(&self) -> u64 {
        hash_key(3, &self.key())
    }
    fn cells(&self, cx: &Cx) -> Vec<String> {
        let ns = cx.ns;
        vec![
            opt(self.dst),
            name(ns, self.ifindex),
            self.lladdr.as_deref().map(names::mac).unwrap_or_default(),
            names::nud_states(self.state).join(","),
        ]
    }
}

impl TableRow for Fdb {
    const HEADERS: &'static [&'static str] = &[
        "MAC", "DEV", "VLAN", "DST", "VNI", "MASTER", "FLAGS", "STATE",
    ];
    fn key(&self) -> u64 {
        hash_key(4, &self.key())
    }
    fn cells(&self, cx: &Cx) -> Vec<String> {
        let ns = cx.ns;
        vec![
            names::mac(&self.mac),
            name(ns, self.ifindex),
            opt(self.vlan),
            opt(self.dst),
            opt(self.vni),
            self.master.map(|m| name(ns, m)).unwrap_or_default(),
            names::fdb_flags(self.flags, self.ext_flags).join(","),
            names::fdb_state(self.state).into_owned(),
        ]
    }
}

/// Row key of an entry a change set or removed, to highlight it.
pub fn entry_key(e: Entry<'_>) -> u64 {
    match e {
        Entry::Link(l) => l.key(),
        Entry::Addr(a) => TableRow::key(a),
        Entry::Route(r) => TableRow::key(r),
        Entry::Neigh(n) => TableRow::key(n),
        Entry::Fdb(f) => TableRow::key(f),
    }
}

/// Compares two cells: numerically when both are numbers, else as text.
pub fn cmp_cells(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}
