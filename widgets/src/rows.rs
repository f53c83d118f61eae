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

    /// The columns: how each is fitted to a narrow screen.
    pub fn columns(self) -> &'static [Col] {
        match self {
            Tab::Links => LINKS_COLS,
            Tab::Addresses => ADDRESSES_COLS,
            Tab::Routes => ROUTES_COLS,
            Tab::Neighbours => NEIGHBOURS_COLS,
            Tab::Fdb => FDB_COLS,
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

const fn c(title: &'static str, prio: u8, elide: bool) -> Col {
    Col { title, prio, elide }
}

const LINKS_COLS: &[Col] = &[
    c("#", 0, false),
    c("NAME", 0, false),
    c("KIND", 1, false),
    c("STATE", 0, false),
    c("MTU", 2, false),
    c("MAC", 3, false),
    c("PARENT", 1, false),
    c("MASTER", 2, false),
    c("DETAILS", 4, true),
];

const ADDRESSES_COLS: &[Col] = &[
    c("DEV", 0, false),
    c("FAMILY", 3, false),
    c("ADDRESS", 0, false),
    c("SCOPE", 2, false),
    c("LABEL", 4, false),
];

const ROUTES_COLS: &[Col] = &[
    c("DST", 0, false),
    c("GATEWAY", 0, false),
    c("DEV", 0, false),
    c("TABLE", 2, false),
    c("PROTO", 3, false),
    c("SCOPE", 3, false),
    c("METRIC", 2, false),
    c("PREFSRC", 3, false),
    c("TYPE", 1, false),
];

const NEIGHBOURS_COLS: &[Col] = &[
    c("DST", 0, false),
    c("DEV", 0, false),
    c("LLADDR", 1, false),
    c("STATE", 1, false),
];

const FDB_COLS: &[Col] = &[
    c("MAC", 0, false),
    c("DEV", 0, false),
    c("VLAN", 3, false),
    c("DST", 1, false),
    c("VNI", 2, false),
    c("MASTER", 2, false),
    c("FLAGS", 3, false),
    c("STATE", 1, false),
];

/// A column of a tab and how it gives way on a narrow screen: columns of a higher `prio`
/// are hidden first (0: hidden last); an `elide` column is cut (with …) before any is
/// hidden. Addresses and prefixes are never cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Col {
    pub title: &'static str,
    pub prio: u8,
    pub elide: bool,
}

/// A row's identity: which object of which table it shows (a link by ifindex, other
/// objects by a hash of the kernel's key), stable across updates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RowId {
    Link(u32),
    Addr(u64),
    Route(u64),
    Neigh(u64),
    Fdb(u64),
}

impl RowId {
    /// The link this row shows, on the Links tab.
    pub fn link(self) -> Option<u32> {
        match self {
            RowId::Link(i) => Some(i),
            _ => None,
        }
    }
}

/// How a row's state reads at a glance (coloured by the theme).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    #[default]
    Plain,
    /// A link up with carrier.
    Up,
    /// A link set down by an administrator.
    Down,
    /// A link up but without carrier (NO-CARRIER in `ip link`).
    NoCarrier,
    /// A failed or incomplete neighbour.
    Bad,
}

/// Separates cells inside a row's one allocation.
const SEP: char = '\x1f';

/// A table row: its identity (a hash of the kernel's key, stable across updates) and its
/// cells, kept in one allocation: 100k rows of nine cells cost one string each, not nine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: RowId,
    pub tone: Tone,
    text: Box<str>,
}

impl Row {
    pub fn new(id: RowId, cells: &[String]) -> Row {
        Row {
            id,
            tone: Tone::Plain,
            text: cells.join("\x1f").into_boxed_str(),
        }
    }

    #[must_use]
    pub fn with_tone(mut self, tone: Tone) -> Row {
        self.tone = tone;
        self
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

/// A hash of an object's kernel key.
fn hash_key<K: std::hash::Hash>(k: &K) -> u64 {
    use std::hash::Hasher;
    let mut h = std::collections::hash_map::DefaultHasher::new();
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
    fn id(&self) -> RowId;
    fn cells(&self, cx: &Cx) -> Vec<String>;
    fn tone(&self) -> Tone {
        Tone::Plain
    }
    fn row(&self, cx: &Cx) -> Row {
        Row::new(self.id(), &self.cells(cx)).with_tone(self.tone())
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
    fn id(&self) -> RowId {
        RowId::Link(self.ifindex)
    }
    fn tone(&self) -> Tone {
        const IFF_UP: u32 = 0x1;
        const IFF_LOWER_UP: u32 = 0x1_0000;
        if self.flags & IFF_UP == 0 {
            Tone::Down
        } else if self.flags & IFF_LOWER_UP == 0 {
            Tone::NoCarrier
        } else {
            Tone::Up
        }
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

impl TableRow for Addr {
    const HEADERS: &'static [&'static str] = &["DEV", "FAMILY", "ADDRESS", "SCOPE", "LABEL"];
    fn id(&self) -> RowId {
        RowId::Addr(hash_key(&self.key()))
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
    fn id(&self) -> RowId {
        RowId::Route(hash_key(&self.key()))
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
    fn id(&self) -> RowId {
        RowId::Neigh(hash_key(&self.key()))
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
    fn tone(&self) -> Tone {
        const NUD_INCOMPLETE: u16 = 0x01;
        const NUD_FAILED: u16 = 0x20;
        if self.state & (NUD_INCOMPLETE | NUD_FAILED) != 0 {
            Tone::Bad
        } else {
            Tone::Plain
        }
    }
}

impl TableRow for Fdb {
    const HEADERS: &'static [&'static str] = &[
        "MAC", "DEV", "VLAN", "DST", "VNI", "MASTER", "FLAGS", "STATE",
    ];
    fn id(&self) -> RowId {
        RowId::Fdb(hash_key(&self.key()))
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

/// The row of an entry a change set or removed, to highlight it.
pub fn entry_id(e: Entry<'_>) -> RowId {
    match e {
        Entry::Link(l) => l.id(),
        Entry::Addr(a) => a.id(),
        Entry::Route(r) => r.id(),
        Entry::Neigh(n) => n.id(),
        Entry::Fdb(f) => f.id(),
    }
}

/// Compares two cells: numerically when both are numbers, else as text.
pub fn cmp_cells(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    }
}
