//! One-shot dumps on plain blocking netlink sockets, for `netlens dump`: the tables are read
//! on three sockets by three threads inside the namespace (links and addresses, routes,
//! neighbours and FDB), so the kernel builds the three dumps in parallel.
//!
//! [`snapshot_blocking`] applies every message to a model as it is read from a reused
//! buffer. [`raw_dump`] + [`RawDump::write_json`] (`dump --json`) keep routes, neighbours
//! and FDB entries as the kernel's bytes and print them straight from there on two threads:
//! a model entry per route costs more to build (and its fresh memory more to fault in)
//! than printing the route does.

use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use netlink_packet_route::neighbour::NeighbourMessage;
use netlink_packet_route::route::RouteMessage;
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket};

use std::collections::BTreeMap;
use std::io::Write;

use crate::json;
use crate::model::{Change, NsState};
use crate::netns::{self, NetnsInfo};
use crate::{parse, wire, Error, Result};

mod reread;
pub use reread::{reread_blocking, Wanted};

fn err(ns: &str, reason: String) -> Error {
    Error::Netlink {
        name: ns.to_owned(),
        reason,
    }
}

/// Sends one dump request on `sock` and hands every data message of the answer to `each`,
/// as the kernel wrote it (header included), until `NLMSG_DONE`.
fn dump_one(
    sock: &Socket,
    ns: &str,
    what: &str,
    msg: RouteNetlinkMessage,
    seq: u32,
    buf: &mut Vec<u8>,
    each: &mut dyn FnMut(&[u8]),
) -> Result<()> {
    let mut req = NetlinkMessage::from(msg);
    req.header.flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.header.sequence_number = seq;
    req.finalize();
    let mut out = vec![0u8; req.buffer_len()];
    req.serialize(&mut out);
    sock.send(&out, 0)
        .map_err(|e| err(ns, format!("{what} dump request failed: {e}")))?;
    loop {
        buf.clear();
        let n = sock.recv(buf, 0).map_err(|e| {
            if e.raw_os_error() == Some(ENOBUFS) {
                // The socket's buffer overran: the dump is incomplete; it starts again.
                Error::DumpOverrun {
                    name: ns.to_owned(),
                }
            } else {
                err(ns, format!("{what} dump failed: {e}"))
            }
        })?;
        let data = buf.get(..n).unwrap_or_default();
        for m in messages(data) {
            let Some(m) = m else {
                return Err(err(ns, format!("{what} dump: malformed netlink message")));
            };
            let (kind, flags) = header(m);
            if flags & NLM_F_DUMP_INTR != 0 {
                // The table changed under the dump: what it returned may miss objects.
                return Err(Error::DumpOverrun {
                    name: ns.to_owned(),
                });
            }
            match kind {
                NLMSG_NOOP => {}
                NLMSG_DONE => {
                    // The kernel reports a dump that failed part-way (EMSGSIZE…) in DONE.
                    let code = m
                        .get(16..20)
                        .and_then(|b| <[u8; 4]>::try_from(b).ok())
                        .map_or(0, i32::from_ne_bytes);
                    if code < 0 {
                        let e = std::io::Error::from_raw_os_error(-code);
                        return Err(err(ns, format!("{what} dump ended with an error: {e}")));
                    }
                    return Ok(());
                }
                NLMSG_ERROR => {
                    let e = NetlinkMessage::<RouteNetlinkMessage>::deserialize(m)
                        .map_err(|e| err(ns, format!("{what} dump: cannot parse an error: {e}")))?;
                    if let NetlinkPayload::Error(e) = e.payload {
                        if e.code.is_some() {
                            return Err(err(ns, format!("{what} dump failed: {}", e.to_io())));
                        }
                    }
                }
                _ => each(m),
            }
        }
    }
}

const ENOBUFS: i32 = 105;
const NLMSG_NOOP: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;

/// The netlink messages packed in `data` (as one `recv` returns them, or as [`Raw`] keeps
/// them); `None` for a header whose length does not fit, after which the walk stops.
fn messages(data: &[u8]) -> impl Iterator<Item = Option<&[u8]>> {
    let mut off = 0;
    std::iter::from_fn(move || {
        if off + 16 > data.len() {
            return None;
        }
        let len = data
            .get(off..off + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, |b| u32::from_ne_bytes(b) as usize);
        if len < 16 || off + len > data.len() {
            off = data.len();
            return Some(None);
        }
        let m = data.get(off..off + len);
        off += (len + 3) & !3;
        Some(m)
    })
}

/// Type and flags of the netlink message `m` (at least a header long).
fn header(m: &[u8]) -> (u16, u16) {
    let u16_at = |o: usize| {
        m.get(o..o + 2)
            .and_then(|b| <[u8; 2]>::try_from(b).ok())
            .map_or(0, u16::from_ne_bytes)
    };
    (u16_at(4), u16_at(6))
}

/// What one dump part collects its messages into.
trait Collect: Default {
    fn add(&mut self, msg: &[u8]);
}

/// A model built from a dump, and the messages that could not be parsed (left out, counted:
/// one odd message does not cost the whole namespace).
#[derive(Default)]
struct Model {
    st: NsState,
    bad: Unparsed,
}

impl Collect for Model {
    /// Parses the message and applies it to the model.
    fn add(&mut self, msg: &[u8]) {
        match change_of(msg) {
            Ok(Some(c)) => self.st.insert_dumped(c),
            Ok(None) => {}
            Err(e) => self.bad.add(e),
        }
    }
}

/// The change one dumped message carries. Routes, by far the most numerous, are read in
/// place ([`wire::route`]); the rest through netlink-packet-route.
fn change_of(msg: &[u8]) -> std::result::Result<Option<Change>, String> {
    if header(msg).0 == wire::RTM_NEWROUTE {
        return Ok(wire::route(msg)
            .map_err(|e| format!("cannot parse a message: {e}"))?
            .map(Change::NewRoute));
    }
    let m = NetlinkMessage::<RouteNetlinkMessage>::deserialize(msg)
        .map_err(|e| format!("cannot parse a message: {e}"))?;
    Ok(match m.payload {
        NetlinkPayload::InnerMessage(inner) => parse::change(inner),
        _ => None,
    })
}

/// The messages of a dump kept as the kernel sent them, back to back, to be parsed when
/// they are printed: a few bytes per object instead of a model entry.
#[derive(Default)]
struct Raw(Vec<u8>);

impl Collect for Raw {
    fn add(&mut self, msg: &[u8]) {
        self.0.extend_from_slice(msg);
        // Keep the 4-byte alignment `messages` walks by.
        self.0.resize(self.0.len().next_multiple_of(4), 0);
    }
}

/// Parses the messages packed in `data`, handing each change to `f`; returns how many
/// messages could not be parsed and the first reason.
fn changes(data: &[u8], mut f: impl FnMut(Change)) -> Unparsed {
    let mut bad = Unparsed::default();
    for m in messages(data).flatten() {
        match change_of(m) {
            Ok(Some(c)) => f(c),
            Ok(None) => {}
            Err(e) => bad.add(e),
        }
    }
    bad
}

/// Splits packed messages at the first message boundary at or after byte `at`.
fn split_messages(data: &[u8], at: usize) -> (&[u8], &[u8]) {
    let mut off = 0;
    for m in messages(data).flatten() {
        if off >= at {
            break;
        }
        off += (m.len() + 3) & !3;
    }
    data.split_at(off.min(data.len()))
}

/// Messages of a dump that could not be parsed (left out of the output).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Unparsed {
    pub count: usize,
    pub first: Option<String>,
}

impl Unparsed {
    fn add(&mut self, reason: String) {
        self.count += 1;
        self.first.get_or_insert(reason);
    }

    fn merge(&mut self, o: Unparsed) {
        self.count += o.count;
        if self.first.is_none() {
            self.first = o.first;
        }
    }
}

#[derive(Clone, Copy)]
enum Part {
    LinksAddrs,
    Routes,
    NeighFdb,
    /// Neighbours alone: an FDB dump walks a bridge's whole table, so it is not made
    /// for nothing.
    Neighs,
    /// The bridges' and ports' VLANs alone.
    Vlans,
    /// The FDB alone (bridge-family neighbours).
    Fdb,
}

/// What a one-shot read of a namespace needs beyond links, addresses and the FDB: a
/// topology needs neither routes nor neighbours (each namespace's neighbour dump walks the
/// host-wide ARP/ND table, so reading them in every namespace costs more than linear).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needs {
    pub routes: bool,
    pub neighs: bool,
}

impl Needs {
    pub const ALL: Needs = Needs {
        routes: true,
        neighs: true,
    };
}

/// The bridge-family link dump with the VLANs (compressed into ranges, as `bridge vlan
/// show` asks): one message per bridge port and per bridge that has VLANs.
fn vlan_request() -> (&'static str, RouteNetlinkMessage, u32) {
    let mut get = LinkMessage::default();
    get.header.interface_family = AddressFamily::Bridge;
    get.attributes.push(LinkAttribute::ExtMask(vec![
        LinkExtentMask::BrvlanCompressed,
    ]));
    ("bridge vlan", RouteNetlinkMessage::GetLink(get), 7)
}

/// The VLANs of a [`Part::Vlans`] dump, by link.
#[derive(Default)]
struct Vlans {
    by_link: BTreeMap<u32, Vec<crate::model::BridgeVlan>>,
    bad: Unparsed,
}

impl Collect for Vlans {
    fn add(&mut self, msg: &[u8]) {
        match change_of(msg) {
            Ok(Some(Change::BridgePort { ifindex, vlans, .. })) if !vlans.is_empty() => {
                self.by_link.insert(ifindex, vlans);
            }
            Ok(_) => {}
            Err(e) => self.bad.add(e),
        }
    }
}

/// `NLM_F_DUMP_INTR`: the kernel's tables changed while it was dumping them.
const NLM_F_DUMP_INTR: u16 = 0x10;

/// Dumps one part, starting again (a bounded number of times) when the dump was interrupted.
fn dump_part<T: Collect>(ns: &str, part: Part, stats: bool) -> Result<T> {
    let start = std::time::Instant::now();
    let mut tries: u32 = 0;
    loop {
        match dump_part_once(ns, part, stats) {
            // Tables that keep changing interrupt every dump: give up after a while and say
            // so, rather than block a watcher for minutes.
            Err(Error::DumpOverrun { .. }) if start.elapsed() < RETRY_FOR => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(
                    10 * u64::from(tries.min(20)),
                ));
            }
            r => return r,
        }
    }
}

/// How long an interrupted dump is started again before the interruption is reported.
const RETRY_FOR: std::time::Duration = std::time::Duration::from_secs(10);

/// The dump requests of one part: what each reads, the request, its sequence number.
fn requests(part: Part, stats: bool) -> Vec<(&'static str, RouteNetlinkMessage, u32)> {
    match part {
        Part::LinksAddrs => {
            let mut get = LinkMessage::default();
            if !stats {
                // Without counters (as `ip link` without -s) the kernel builds much smaller
                // messages: no IFLA_STATS64 and no per-family statistics.
                get.attributes
                    .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
            }
            vec![
                ("link", RouteNetlinkMessage::GetLink(get), 1),
                vlan_request(),
                (
                    "address",
                    RouteNetlinkMessage::GetAddress(AddressMessage::default()),
                    2,
                ),
            ]
        }
        Part::Routes => [(3, AddressFamily::Inet), (4, AddressFamily::Inet6)]
            .into_iter()
            .map(|(seq, fam)| {
                let mut r = RouteMessage::default();
                r.header.address_family = fam;
                ("route", RouteNetlinkMessage::GetRoute(r), seq)
            })
            .collect(),
        Part::Vlans => vec![vlan_request()],
        Part::Fdb => {
            let mut fdb = NeighbourMessage::default();
            fdb.header.family = AddressFamily::Bridge;
            vec![("fdb", RouteNetlinkMessage::GetNeighbour(fdb), 6)]
        }
        Part::Neighs => vec![(
            "neighbour",
            RouteNetlinkMessage::GetNeighbour(NeighbourMessage::default()),
            5,
        )],
        Part::NeighFdb => {
            let mut fdb = NeighbourMessage::default();
            fdb.header.family = AddressFamily::Bridge;
            vec![
                (
                    "neighbour",
                    RouteNetlinkMessage::GetNeighbour(NeighbourMessage::default()),
                    5,
                ),
                ("fdb", RouteNetlinkMessage::GetNeighbour(fdb), 6),
            ]
        }
    }
}

fn dump_part_once<T: Collect>(ns: &str, part: Part, stats: bool) -> Result<T> {
    let mut sock = Socket::new(NETLINK_ROUTE)
        .map_err(|e| err(ns, format!("cannot open a netlink socket: {e}")))?;
    sock.bind_auto()
        .map_err(|e| err(ns, format!("cannot bind a netlink socket: {e}")))?;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut into = T::default();
    for (what, msg, seq) in requests(part, stats) {
        dump_one(&sock, ns, what, msg, seq, &mut buf, &mut |m| into.add(m))?;
    }
    Ok(into)
}

/// Runs the three parts of a dump of `ns` on three sockets read by three threads at the
/// same time (the kernel builds the three dumps in parallel).
fn dump_parts<R: Collect + Send + 'static>(ns: &NetnsInfo, stats: bool) -> Result<(Model, R, R)> {
    let spawn = |p: Part| {
        let name = ns.name.clone();
        netns::spawn_in(ns, move || dump_part::<R>(&name, p, stats))
            .map_err(|e| err(&ns.name, e.to_string()))
    };
    let name = ns.name.clone();
    let links = netns::spawn_in(ns, move || {
        dump_part::<Model>(&name, Part::LinksAddrs, stats)
    })
    .map_err(|e| err(&ns.name, e.to_string()))?;
    let routes = spawn(Part::Routes)?;
    let neigh = spawn(Part::NeighFdb)?;
    let panicked = || err(&ns.name, "a dump thread panicked".into());
    let links = links.join().map_err(|_| panicked())?;
    let routes = routes.join().map_err(|_| panicked())?;
    let neigh = neigh.join().map_err(|_| panicked())?;
    Ok((links?, routes?, neigh?))
}

/// Logs the messages of a dump that could not be parsed (they are left out of the model).
fn warn_unparsed(ns: &str, bad: &Unparsed) {
    if bad.count > 0 {
        tracing::warn!(
            netns = ns,
            count = bad.count,
            first = bad.first.as_deref().unwrap_or(""),
            "netlink messages that could not be parsed were left out of the dump"
        );
    }
}

/// Dumps every table of `ns` once into a model: links and addresses, routes, and
/// neighbours and FDB on three sockets at the same time. Without `stats`, links carry no
/// counters (a cheaper dump, as `ip link` without `-s`). Messages that cannot be parsed
/// are left out and logged.
pub fn snapshot_blocking(ns: &NetnsInfo, stats: bool) -> Result<NsState> {
    let (mut m, r, n) = dump_parts::<Model>(ns, stats)?;
    m.bad.merge(r.bad);
    m.bad.merge(n.bad);
    warn_unparsed(&ns.name, &m.bad);
    m.st.routes = r.st.routes;
    m.st.neighs = n.st.neighs;
    m.st.fdb = n.st.fdb;
    crate::nsid::resolve_state(ns, &mut m.st);
    Ok(m.st)
}

/// Dumps every table of the namespace the calling thread is in, one request after the
/// other on one socket with one 64 KiB buffer (the kernel's dump messages are at most 32
/// KiB): what many small namespaces read in parallel want, no thread per namespace or part.
/// `name` names the namespace in errors. Namespace ids are not resolved here.
pub fn snapshot_here(name: &str, stats: bool) -> Result<NsState> {
    snapshot_here_needs(name, stats, Needs::ALL)
}

/// The neighbours of `ns` alone (for a read that left them out).
pub fn neighbours_of(
    ns: &NetnsInfo,
) -> Result<std::collections::BTreeMap<crate::model::NeighKey, crate::model::Neigh>> {
    let name = ns.name.clone();
    netns::run_in(ns, move || {
        let m = dump_part::<Model>(&name, Part::Neighs, false)?;
        warn_unparsed(&name, &m.bad);
        Ok(m.st.neighs)
    })
}

/// [`snapshot_here`] of what `needs` asks (links, addresses and the FDB always).
pub fn snapshot_here_needs(name: &str, stats: bool, needs: Needs) -> Result<NsState> {
    let start = std::time::Instant::now();
    let mut tries: u32 = 0;
    loop {
        match snapshot_here_once(name, stats, needs) {
            Err(Error::DumpOverrun { .. }) if start.elapsed() < RETRY_FOR => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(
                    10 * u64::from(tries.min(20)),
                ));
            }
            r => return r,
        }
    }
}

fn snapshot_here_once(name: &str, stats: bool, needs: Needs) -> Result<NsState> {
    let mut sock = Socket::new(NETLINK_ROUTE)
        .map_err(|e| err(name, format!("cannot open a netlink socket: {e}")))?;
    sock.bind_auto()
        .map_err(|e| err(name, format!("cannot bind a netlink socket: {e}")))?;
    let mut buf = Vec::with_capacity(1 << 16);
    let mut m = Model::default();
    let parts = [
        Some(Part::LinksAddrs),
        needs.routes.then_some(Part::Routes),
        Some(if needs.neighs {
            Part::NeighFdb
        } else {
            Part::Fdb
        }),
    ];
    for part in parts.into_iter().flatten() {
        for (what, msg, seq) in requests(part, stats) {
            dump_one(&sock, name, what, msg, seq, &mut buf, &mut |x| m.add(x))?;
        }
    }
    warn_unparsed(name, &m.bad);
    Ok(m.st)
}

/// One namespace dumped for printing: links and addresses in a model, routes, neighbours
/// and FDB entries kept as the kernel sent them (a few bytes each instead of a model entry).
pub struct RawDump {
    name: String,
    st: NsState,
    /// Link and address messages that could not be parsed.
    bad: Unparsed,
    routes: Raw,
    neigh: Raw,
}

/// Dumps every table of `ns` once for [`RawDump::write_json`].
pub fn raw_dump(ns: &NetnsInfo, stats: bool) -> Result<RawDump> {
    let (mut m, routes, neigh) = dump_parts::<Raw>(ns, stats)?;
    crate::nsid::resolve_state(ns, &mut m.st);
    Ok(RawDump::of(ns, m, routes, neigh))
}

/// [`raw_dump`] from the namespace the calling thread is in (a pool worker that entered
/// `ns`): the three parts one after the other, no thread of its own (a pod's dumps are
/// small; threads would cost more than they save).
pub fn raw_dump_here(ns: &NetnsInfo, stats: bool) -> Result<RawDump> {
    let name = ns.name.as_str();
    let mut m = dump_part::<Model>(name, Part::LinksAddrs, stats)?;
    let routes = dump_part::<Raw>(name, Part::Routes, stats)?;
    let neigh = dump_part::<Raw>(name, Part::NeighFdb, stats)?;
    crate::nsid::Resolver::default().resolve_here(ns, m.st.links.values_mut().collect());
    Ok(RawDump::of(ns, m, routes, neigh))
}

impl RawDump {
    fn of(ns: &NetnsInfo, m: Model, routes: Raw, neigh: Raw) -> RawDump {
        RawDump {
            name: ns.name.clone(),
            st: m.st,
            bad: m.bad,
            routes,
            neigh,
        }
    }

    /// Writes the one JSON object `netlens dump --json` prints (the fields of
    /// [`crate::json::NsJson`]), routes, neighbours and FDB entries in the kernel's order
    /// (as `ip -j route` and `bridge -j fdb` print them). This thread prints the links,
    /// addresses and the first part of the routes while a second one serializes the rest
    /// of the routes, the neighbours and the FDB entries. Returns the messages that could
    /// not be parsed and were left out.
    pub fn write_json(&self, out: &mut dyn Write) -> std::io::Result<Unparsed> {
        let st = &self.st;
        // Two cores' worth of work: this thread prints links, addresses and the first routes
        // while a second one serializes the other routes, neighbours and FDB entries. The
        // links weigh about as much as SPLIT_LINK_WEIGHT bytes of route messages each.
        let links = st.links.len() * SPLIT_LINK_WEIGHT;
        let total = links + self.routes.0.len() + self.neigh.0.len();
        let (mine, theirs) = split_messages(&self.routes.0, (total / 2).saturating_sub(links));
        std::thread::scope(|s| {
            let other = s.spawn(|| {
                let mut buf = Vec::with_capacity((theirs.len() + self.neigh.0.len()) * 2);
                let mut first = false;
                let mut bad = routes_json(theirs, st, &mut buf, &mut first)?;
                buf.extend_from_slice(b"]");
                bad.merge(neigh_fdb_json(&self.neigh.0, st, &mut buf));
                Ok::<_, std::io::Error>((buf, bad))
            });
            json::write_head(out, &self.name, st)?;
            out.write_all(b",\"routes\":[")?;
            let mut first = true;
            let mut bad = self.bad.clone();
            bad.merge(routes_json(mine, st, out, &mut first)?);
            let (rest, rest_bad) = other
                .join()
                .map_err(|_| std::io::Error::other("the serializing thread panicked"))??;
            bad.merge(rest_bad);
            // The other thread put a comma before each of its routes; the first needs none
            // if this thread printed no route.
            let skip = usize::from(first && rest.first() == Some(&b','));
            out.write_all(rest.get(skip..).unwrap_or_default())?;
            out.write_all(b"}")?;
            Ok(bad)
        })
    }
}

/// How many bytes of route messages one link's JSON costs to print, roughly (measured).
const SPLIT_LINK_WEIGHT: usize = 300;

/// Prints the routes among the messages in `data` as JSON array elements.
fn routes_json(
    data: &[u8],
    st: &NsState,
    out: &mut dyn Write,
    first: &mut bool,
) -> std::io::Result<Unparsed> {
    let mut res = Ok(());
    let bad = changes(data, |c| {
        if let (Change::NewRoute(route), Ok(())) = (c, &res) {
            res = element(
                out,
                first,
                &json::RouteJson {
                    route: &route,
                    ns: st,
                },
            );
        }
    });
    res?;
    Ok(bad)
}

/// `,"neigh":[...],"fdb":[...]` for the kept neighbour and FDB messages.
fn neigh_fdb_json(raw: &[u8], st: &NsState, out: &mut Vec<u8>) -> Unparsed {
    out.extend_from_slice(b",\"neigh\":[");
    let mut fdb = b"],\"fdb\":[".to_vec();
    let (mut first_n, mut first_f) = (true, true);
    let bad = changes(raw, |c| {
        // Writing into a Vec cannot fail.
        let _ = match c {
            Change::NewNeigh(neigh) => element(
                &mut *out,
                &mut first_n,
                &json::NeighJson {
                    neigh: &neigh,
                    ns: st,
                },
            ),
            Change::NewFdb(fdb_) => element(
                &mut fdb,
                &mut first_f,
                &json::FdbJson { fdb: &fdb_, ns: st },
            ),
            _ => Ok(()),
        };
    });
    out.extend_from_slice(&fdb);
    out.push(b']');
    bad
}

/// Writes one array element, with the comma before all but the first.
fn element<W: Write + ?Sized>(
    out: &mut W,
    first: &mut bool,
    v: &impl serde::Serialize,
) -> serde_json::Result<()> {
    if !std::mem::take(first) {
        out.write_all(b",").map_err(serde_json::Error::io)?;
    }
    serde_json::to_writer(out, v)
}
