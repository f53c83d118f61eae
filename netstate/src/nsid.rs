//! What a namespace's ids for other namespaces (`IFLA_LINK_NETNSID`) stand for: each
//! namespace numbers the others it links to on its own, so an id means something only in
//! the namespace that gave it. The kernel says which id a namespace gives another when asked
//! with an open file of the other (`RTM_GETNSID`, as `ip netns list-id` does); it never
//! tells the way back, so the candidates are the namespaces discovery finds.

use std::collections::BTreeMap;
use std::os::fd::AsRawFd;

use netlink_packet_core::{NetlinkMessage, NetlinkPayload, NLM_F_REQUEST};
use netlink_packet_route::nsid::{NsidAttribute, NsidMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_sys::{protocols::NETLINK_ROUTE, Socket};

use crate::model::{NsRef, NsState};
use crate::netns::{self, NetnsInfo};
use crate::{Error, Result};

fn err(ns: &str, reason: String) -> Error {
    Error::Netlink {
        name: ns.to_owned(),
        reason,
    }
}

/// The id `sock`'s namespace gives the namespace open as `target`, if it gave it one.
fn ask(sock: &Socket, target: &std::fs::File, buf: &mut Vec<u8>) -> std::io::Result<Option<i32>> {
    let mut msg = NsidMessage::default();
    msg.attributes.push(NsidAttribute::Fd(
        u32::try_from(target.as_raw_fd()).unwrap_or(u32::MAX),
    ));
    let mut req = NetlinkMessage::from(RouteNetlinkMessage::GetNsId(msg));
    req.header.flags = NLM_F_REQUEST;
    req.header.sequence_number = 1;
    req.finalize();
    let mut out = vec![0u8; req.buffer_len()];
    req.serialize(&mut out);
    sock.send(&out, 0)?;
    buf.clear();
    let n = sock.recv(buf, 0)?;
    let reply =
        NetlinkMessage::<RouteNetlinkMessage>::deserialize(buf.get(..n).unwrap_or_default())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(match reply.payload {
        NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNsId(m)) => {
            m.attributes.iter().find_map(|a| match a {
                NsidAttribute::Id(i) if *i >= 0 => Some(*i),
                _ => None,
            })
        }
        _ => None,
    })
}

/// The ids `from` gives to each of `candidates` that it numbered, with the namespace each
/// stands for. Only reads: asking does not make the kernel assign an id.
pub fn ids(from: &NetnsInfo, candidates: &[NetnsInfo]) -> Result<BTreeMap<i32, NsRef>> {
    let list: Vec<NetnsInfo> = candidates
        .iter()
        .filter(|c| c.id != from.id)
        .cloned()
        .collect();
    let name = from.name.clone();
    netns::spawn_in(from, move || {
        let fail = |e: std::io::Error| err(&name, format!("namespace ids: {e}"));
        let mut sock = Socket::new(NETLINK_ROUTE).map_err(fail)?;
        sock.bind_auto().map_err(fail)?;
        let mut buf = Vec::with_capacity(4096);
        let mut out = BTreeMap::new();
        for c in list {
            // A namespace that went away since discovery is simply not a candidate, nor is
            // whatever its path names now (a pid reused).
            let Ok(f) = std::fs::File::open(&c.path) else {
                continue;
            };
            let opened = f.metadata().map(|m| crate::netns::NsId {
                dev: std::os::unix::fs::MetadataExt::dev(&m),
                ino: std::os::unix::fs::MetadataExt::ino(&m),
            });
            if opened.ok() != Some(c.id) {
                continue;
            }
            if let Some(id) = ask(&sock, &f, &mut buf).map_err(fail)? {
                out.insert(
                    id,
                    NsRef {
                        id: c.id,
                        name: c.name,
                    },
                );
            }
        }
        Ok(out)
    })
    .map_err(|e| err(&from.name, e.to_string()))?
    .join()
    .map_err(|_| err(&from.name, "the namespace-id thread panicked".into()))?
}

/// The id namespace `from` gives namespace `target` (`None` if none, or unreadable).
pub fn nsid_of(from: &NetnsInfo, target: &NetnsInfo) -> Option<i32> {
    ids(from, std::slice::from_ref(target))
        .ok()?
        .into_iter()
        .find(|(_, r)| r.id == target.id)
        .map(|(i, _)| i)
}

/// Names of the namespaces a namespace's ids stand for, found once and kept; asked again
/// when an id is unknown, or after the kernel announced that ids changed.
#[derive(Debug, Default)]
pub struct Resolver {
    known: BTreeMap<i32, NsRef>,
    /// Ids asked for and not found among the namespaces discovery finds: not asked again
    /// until the kernel announces a change of ids.
    unknown: std::collections::BTreeSet<i32>,
}

impl Resolver {
    /// Forgets what was found (the kernel assigned or dropped an id).
    pub fn forget(&mut self) {
        self.known.clear();
        self.unknown.clear();
    }

    /// Takes the ids a dumped state's links resolved.
    pub fn learn(&mut self, st: &NsState) {
        for l in st.links.values() {
            if let (Some(n), Some(r)) = (l.link_netnsid, &l.link_netns) {
                self.known.insert(n, r.clone());
            }
        }
    }

    /// Fills in `link_netns` of the links that carry an id, asking the kernel (and
    /// discovering namespaces) at most once per call, only if an id is not known yet.
    pub fn resolve(&mut self, ns: &NetnsInfo, links: Vec<&mut crate::model::Link>) {
        let missing = |n: &i32| !self.known.contains_key(n) && !self.unknown.contains(n);
        let wanted: Vec<i32> = links
            .iter()
            .filter_map(|l| l.link_netnsid)
            .filter(|n| missing(n))
            .collect();
        if !wanted.is_empty() {
            let d = netns::discover();
            match ids(ns, &d.namespaces) {
                Ok(m) => self.known = m,
                Err(e) => tracing::warn!(netns = %ns.name, "cannot resolve namespace ids: {e}"),
            }
            self.unknown
                .extend(wanted.into_iter().filter(|n| !self.known.contains_key(n)));
        }
        for l in links {
            l.link_netns = l.link_netnsid.and_then(|n| self.known.get(&n).cloned());
        }
    }
}

/// Fills in `link_netns` of every link of a dumped state.
pub fn resolve_state(ns: &NetnsInfo, st: &mut NsState) {
    Resolver::default().resolve(ns, st.links.values_mut().collect());
}
