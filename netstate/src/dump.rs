//! One-shot dumps on plain blocking netlink sockets, for `netlens dump`: each table is read
//! on its own socket and thread inside the namespace, and every message is applied to the
//! model as it is read from a reused buffer — no queue of parsed messages between a reader
//! and a consumer, so memory stays at the model's size.

use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_DUMP, NLM_F_REQUEST};
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use netlink_packet_route::neighbour::NeighbourMessage;
use netlink_packet_route::route::RouteMessage;
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{protocols::NETLINK_ROUTE, Socket};

use crate::model::NsState;
use crate::netns::{self, NetnsInfo};
use crate::{parse, Error, Result};

fn err(ns: &str, reason: String) -> Error {
    Error::Netlink {
        name: ns.to_owned(),
        reason,
    }
}

/// Sends one dump request on `sock` and applies every answer to `st`.
fn dump_one(
    sock: &Socket,
    ns: &str,
    what: &str,
    msg: RouteNetlinkMessage,
    seq: u32,
    buf: &mut Vec<u8>,
    st: &mut NsState,
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
        let n = sock
            .recv(buf, 0)
            .map_err(|e| err(ns, format!("{what} dump failed: {e}")))?;
        let data = buf.get(..n).unwrap_or_default();
        let mut off = 0;
        while off + 16 <= data.len() {
            let len = data
                .get(off..off + 4)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map_or(0, |b| u32::from_ne_bytes(b) as usize);
            if len < 16 || off + len > data.len() {
                return Err(err(ns, format!("{what} dump: malformed netlink message")));
            }
            let m = NetlinkMessage::<RouteNetlinkMessage>::deserialize(&data[off..off + len])
                .map_err(|e| err(ns, format!("{what} dump: cannot parse a message: {e}")))?;
            if m.header.flags & NLM_F_DUMP_INTR != 0 {
                // The table changed under the dump: what it returned may miss objects.
                return Err(Error::DumpOverrun {
                    name: ns.to_owned(),
                });
            }
            match m.payload {
                NetlinkPayload::Done(_) => return Ok(()),
                NetlinkPayload::Error(e) if e.code.is_some() => {
                    return Err(err(ns, format!("{what} dump failed: {}", e.to_io())));
                }
                NetlinkPayload::InnerMessage(inner) => {
                    if let Some(c) = parse::change(inner) {
                        st.apply(c);
                    }
                }
                _ => {}
            }
            off += (len + 3) & !3;
        }
    }
}

#[derive(Clone, Copy)]
enum Part {
    LinksAddrs,
    Routes,
    NeighFdb,
}

/// `NLM_F_DUMP_INTR`: the kernel's tables changed while it was dumping them.
const NLM_F_DUMP_INTR: u16 = 0x10;

/// Dumps one part, starting again (a bounded number of times) when the dump was interrupted.
fn dump_part(ns: &str, part: Part, stats: bool) -> Result<NsState> {
    let mut tries: u32 = 0;
    loop {
        match dump_part_once(ns, part, stats) {
            Err(Error::DumpOverrun { .. }) if tries < 100 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(
                    10 * u64::from(tries.min(20)),
                ));
            }
            r => return r,
        }
    }
}

fn dump_part_once(ns: &str, part: Part, stats: bool) -> Result<NsState> {
    let mut sock = Socket::new(NETLINK_ROUTE)
        .map_err(|e| err(ns, format!("cannot open a netlink socket: {e}")))?;
    sock.bind_auto()
        .map_err(|e| err(ns, format!("cannot bind a netlink socket: {e}")))?;
    let mut buf = Vec::with_capacity(1 << 20);
    let mut st = NsState::default();
    match part {
        Part::LinksAddrs => {
            let mut get = LinkMessage::default();
            if !stats {
                // Without counters (as `ip link` without -s) the kernel builds much smaller
                // messages: no IFLA_STATS64 and no per-family statistics.
                get.attributes
                    .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
            }
            dump_one(
                &sock,
                ns,
                "link",
                RouteNetlinkMessage::GetLink(get),
                1,
                &mut buf,
                &mut st,
            )?;
            dump_one(
                &sock,
                ns,
                "address",
                RouteNetlinkMessage::GetAddress(AddressMessage::default()),
                2,
                &mut buf,
                &mut st,
            )?;
        }
        Part::Routes => {
            for (seq, fam) in [(3, AddressFamily::Inet), (4, AddressFamily::Inet6)] {
                let mut r = RouteMessage::default();
                r.header.address_family = fam;
                dump_one(
                    &sock,
                    ns,
                    "route",
                    RouteNetlinkMessage::GetRoute(r),
                    seq,
                    &mut buf,
                    &mut st,
                )?;
            }
        }
        Part::NeighFdb => {
            dump_one(
                &sock,
                ns,
                "neighbour",
                RouteNetlinkMessage::GetNeighbour(NeighbourMessage::default()),
                5,
                &mut buf,
                &mut st,
            )?;
            let mut fdb = NeighbourMessage::default();
            fdb.header.family = AddressFamily::Bridge;
            dump_one(
                &sock,
                ns,
                "fdb",
                RouteNetlinkMessage::GetNeighbour(fdb),
                6,
                &mut buf,
                &mut st,
            )?;
        }
    }
    Ok(st)
}

/// Dumps every table of `ns` once: links and addresses, routes, and neighbours and FDB on
/// three sockets read by three threads at the same time. Without `stats`, links carry no
/// counters (a cheaper dump, as `ip link` without `-s`).
pub fn snapshot_blocking(ns: &NetnsInfo, stats: bool) -> Result<NsState> {
    let parts = [Part::LinksAddrs, Part::Routes, Part::NeighFdb];
    let handles: Vec<_> = parts
        .into_iter()
        .map(|p| {
            let name = ns.name.clone();
            netns::spawn_in(ns, move || dump_part(&name, p, stats))
        })
        .collect();
    let mut results = Vec::with_capacity(3);
    for h in handles {
        results.push(
            h.map_err(|e| err(&ns.name, e.to_string()))?
                .join()
                .map_err(|_| err(&ns.name, "a dump thread panicked".into()))??,
        );
    }
    let mut it = results.into_iter();
    let (Some(mut st), Some(r), Some(n)) = (it.next(), it.next(), it.next()) else {
        return Err(err(&ns.name, "a dump part is missing".into()));
    };
    st.routes = r.routes;
    st.neighs = n.neighs;
    st.fdb = n.fdb;
    Ok(st)
}

/// The id namespace `from` gives namespace `target`: the value `IFLA_LINK_NETNSID` carries
/// in `from` for links whose peer or parent lives in `target` (`RTM_GETNSID`, as
/// `ip netns list-id` does). `None` if none is assigned or either cannot be read.
pub fn nsid_of(from: &NetnsInfo, target: &NetnsInfo) -> Option<i32> {
    use netlink_packet_core::{NLM_F_ACK, NLM_F_REQUEST as REQ};
    use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
    use std::os::fd::AsRawFd;
    let path = target.path.clone();
    let h = netns::spawn_in(from, move || -> Result<Option<i32>> {
        let fail = |e: std::io::Error| err("nsid", e.to_string());
        let f = std::fs::File::open(&path).map_err(fail)?;
        let mut sock = Socket::new(NETLINK_ROUTE).map_err(fail)?;
        sock.bind_auto().map_err(fail)?;
        let mut msg = NsidMessage::default();
        msg.attributes.push(NsidAttribute::Fd(
            u32::try_from(f.as_raw_fd()).unwrap_or(u32::MAX),
        ));
        let mut req = NetlinkMessage::from(RouteNetlinkMessage::GetNsId(msg));
        req.header.flags = REQ | NLM_F_ACK;
        req.header.sequence_number = 1;
        req.finalize();
        let mut out = vec![0u8; req.buffer_len()];
        req.serialize(&mut out);
        sock.send(&out, 0).map_err(fail)?;
        let mut buf = Vec::with_capacity(1 << 16);
        let n = sock.recv(&mut buf, 0).map_err(fail)?;
        let reply =
            NetlinkMessage::<RouteNetlinkMessage>::deserialize(buf.get(..n).unwrap_or_default())
                .map_err(|e| err("nsid", e.to_string()))?;
        drop(f);
        Ok(match reply.payload {
            NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNsId(m)) => {
                m.attributes.iter().find_map(|a| match a {
                    NsidAttribute::Id(i) if *i >= 0 => Some(*i),
                    _ => None,
                })
            }
            _ => None,
        })
    });
    h.ok()?.join().ok()?.ok()?
}
